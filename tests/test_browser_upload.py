"""The upload page in a real browser (Playwright + Debian's Chromium, CSRF on): what its
script does around the plain form post. QA web pass 3."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session, func, select

from answers.db import get_engine
from answers.models import Questionnaire, Role
from tests.auth_helpers import PASSWORD, make_user
from tests.test_browser_review import chromium, live_app, sign_in  # noqa: F401 (fixtures)
from tests.upload_builders import xlsx

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _uploads(app) -> int:
    with Session(get_engine(app)) as s:
        return s.exec(select(func.count()).select_from(Questionnaire)).one()


def test_a_double_click_on_upload_makes_one_questionnaire(live_app, chromium, tmp_path):  # noqa: F811
    # QA: both clicks posted the file, and the list showed the questionnaire twice
    app, base = live_app
    make_user(app, "seller@example.com", Role.sales, password=PASSWORD)
    source = tmp_path / "vendor.xlsx"
    source.write_bytes(xlsx())
    page = chromium.new_page()
    page.set_default_timeout(30_000)
    sign_in(page, base, "seller@example.com", start="/questionnaires/upload")
    page.set_input_files("#file", str(source))
    # the drop box names the chosen file; the browser's own file button, which would name it
    # a second time, is out of sight
    assert page.locator("#file-name").inner_text() == "vendor.xlsx"
    assert page.locator("#file").bounding_box()["width"] <= 1
    page.evaluate("() => { const b = document.querySelector('#upload-form [type=submit]'); b.click(); b.click(); }")
    page.wait_for_url(re.compile(r"/questionnaires/\d+$"))
    page.goto(f"{base}/questionnaires/")
    assert _uploads(app) == 1
    assert page.locator("tbody tr").count() == 1
    page.close()


def test_a_file_over_the_limit_is_refused_before_it_travels_and_the_typed_fields_stay(live_app, chromium, tmp_path):  # noqa: F811
    # QA: the browser sent all of it to get a 413 page whose form had lost the customer and date
    app, base = live_app
    make_user(app, "seller@example.com", Role.sales, password=PASSWORD)
    big = tmp_path / "huge.xlsx"
    with big.open("wb") as f:
        f.truncate(int(app.config["MAX_UPLOAD_MB"]) * 1024 * 1024 + 1)
    page = chromium.new_page()
    page.set_default_timeout(30_000)
    sign_in(page, base, "seller@example.com", start="/questionnaires/upload")
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.fill("input[name=customer]", "Example University")
    page.fill("input[name=due_date]", "2026-12-31")
    page.set_input_files("#file", str(big))
    page.click("#upload-form button[type=submit]")
    status = page.locator("#upload-status")
    status.wait_for()
    assert status.inner_text() == f"The file is larger than the {app.config['MAX_UPLOAD_MB']} MB upload limit."
    assert posts == []
    assert page.input_value("input[name=customer]") == "Example University"
    assert page.input_value("input[name=due_date]") == "2026-12-31"
    assert page.locator("#upload-form button[type=submit]").is_enabled()  # another file may follow
    assert _uploads(app) == 0
    page.close()
