"""The review workflow end to end in a real browser (issue 5): Playwright driving Debian's
Chromium against the app served on 127.0.0.1 with CSRF on. Logs in, uploads a real HECVAT,
accepts one suggestion, edits another, assigns a third, downloads the completed file and
checks those three cells. Leaves a screenshot of the review page in the test's tmp_path."""

from __future__ import annotations

import re
import shutil
import threading
from pathlib import Path

import pytest

import importers
from answers.models import Role
from app import create_app
from tests.auth_helpers import PASSWORD, make_user

CHROMIUM = "/usr/bin/chromium"
HECVAT = Path("hecvat") / "sagearbor_HECVAT414.xlsx"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [pytest.mark.browser, pytest.mark.corpus, pytest.mark.slow]


@pytest.fixture
def live_app(tmp_path):
    """The app on a free local port (file SQLite: the server runs in another thread)."""
    from werkzeug.serving import make_server

    from answers.db import get_engine, init_db

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "browser-test-secret",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'answerbank.db'}",
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
            "MAX_UPLOAD_MB": 25,
            "WTF_CSRF_ENABLED": True,
        }
    )
    init_db(app, demo=True)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
        get_engine(app).dispose()


@pytest.fixture
def chromium():
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        pytest.skip(f"Chromium not installed at {CHROMIUM} (.ci/run installs Debian's chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed in this venv")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def sign_in(page, base: str, email: str, start: str = "/login") -> None:
    """Open ``start`` (a page that asks to sign in first), sign in as ``email`` and land
    back on it (or on the home page, starting from the login page)."""
    page.goto(f"{base}{start}")
    assert "/login" in page.url, f"{start} should ask to sign in first"
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/(?!login)[^?]*$"))


def _where(article) -> tuple[str, int]:
    m = re.fullmatch(r"(.*) row (\d+)", article.locator("header small").inner_text().strip())
    assert m, "the item header names its sheet and row"
    return m.group(1), int(m.group(2))


def _save(article, button: str) -> None:
    article.locator(f"button[value={button}]").click()
    note = article.locator(".save-note")
    note.wait_for()
    assert note.inner_text() == "Saved.", note.inner_text()


def test_review_in_the_browser(live_app, chromium, corpus, tmp_path):
    app, base = live_app
    source = corpus / HECVAT
    if not source.is_file():
        pytest.skip(f"{source} is absent from the corpus")
    make_user(app, "seller@example.com", Role.sales, password=PASSWORD)

    page = chromium.new_page(accept_downloads=True, viewport={"width": 1280, "height": 900})
    page.set_default_timeout(30_000)
    sign_in(page, base, "seller@example.com", start="/questionnaires/upload")
    assert page.url.endswith("/questionnaires/upload")

    page.set_input_files("#file", str(source))
    page.fill("input[name=customer]", "Example University")
    page.click("#upload-form button[type=submit]")
    page.wait_for_url(re.compile(r"/questionnaires/\d+$"))
    assert page.locator("article.item").count() == 50  # the first page of the questionnaire
    shown = re.search(r"1–50 of (\d+) shown", page.locator("#shown-count").inner_text())
    assert shown and int(shown.group(1)) > 250

    # Three answerable questions with a confident suggestion and a dropdown.
    candidates = page.locator("article.item:has(.tier-exact), article.item:has(.tier-high)").filter(
        has=page.locator("select[name=answer]")
    )
    assert candidates.count() >= 3, "the demo bank should match at least three HECVAT questions confidently"
    accept, edit, assign = candidates.nth(0), candidates.nth(1), candidates.nth(2)

    # 1. accept as suggested (keyboard: focus the item, press "a")
    accepted_answer = accept.locator("select[name=answer]").input_value()
    accepted_comment = accept.locator("textarea[name=comment]").input_value()
    assert accepted_answer
    answered_before = int(page.locator("#count-answered").inner_text())
    accept.locator("p.question").click()
    page.keyboard.press("a")
    accept.locator(".save-note").wait_for()
    assert accept.locator(".save-note").inner_text() == "Saved."
    assert accept.locator(".save-note").get_attribute("role") == "status"  # announced, not only shown
    assert int(page.locator("#count-answered").inner_text()) == answered_before + 1
    assert "accepted" in accept.locator(".state").inner_text()

    # 2. edit: another verdict from the cell's list and a new comment
    select = edit.locator("select[name=answer]")
    suggested = select.input_value()
    choices = [o for o in select.locator("option").all_inner_texts() if o.strip() and o != "—"]
    edited_answer = next(c for c in choices if c != suggested)
    select.select_option(edited_answer)
    edit.locator("textarea[name=comment]").fill("Edited in the browser test")
    _save(edit, "accepted")

    # 3. send to an expert
    assign.locator("input[name=assignee]").fill("expert@example.com")
    _save(assign, "assigned")
    assert "expert@example.com" in assign.locator(".state").inner_text()

    where = {name: _where(a) for name, a in (("accept", accept), ("edit", edit), ("assign", assign))}

    # Nothing is lost on reload.
    page.reload()
    item_id = accept.get_attribute("id")
    assert "accepted" in page.locator(f"#{item_id} .state").inner_text()

    shot = tmp_path / "review-page.png"
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(shot), full_page=False)
    print(f"review page screenshot: {shot}")

    with page.expect_download() as info:
        page.click("text=Download completed file")
    download = info.value
    assert download.suggested_filename == "sagearbor_HECVAT414_completed.xlsx"
    out = tmp_path / download.suggested_filename
    download.save_as(out)

    found = {(q.sheet, q.row): q for q in importers.load(out.read_bytes(), out.name).questions}
    got = found[where["accept"]]
    assert got.answer == accepted_answer
    assert (got.comment or "") == accepted_comment.strip()
    got = found[where["edit"]]
    assert got.answer == edited_answer and got.comment == "Edited in the browser test"
    got = found[where["assign"]]
    assert got.answer is None and got.comment is None

    # The session ends (cookies gone): a save says so instead of failing silently.
    page.context.clear_cookies()
    assign.locator("button[value=needs_review]").click()
    note = assign.locator(".save-note.error")
    note.wait_for()
    assert "sign in again" in note.inner_text()
    page.close()


def test_a_new_verdict_clears_the_banks_unchanged_comment(live_app, chromium, tmp_path):
    """The bank's comment argues for the bank's verdict ("Yes - AES-256"): switching the
    verdict to No with that comment still in the box must not save "No - AES-256". The page
    clears it and says so; the bank's verdict again puts it back; an edited comment stays."""
    from tests.review_builders import load_bank, questionnaire_xlsx

    app, base = live_app
    load_bank(app)
    make_user(app, "seller@example.com", Role.sales, password=PASSWORD)
    source = tmp_path / "vendor.xlsx"
    source.write_bytes(questionnaire_xlsx())

    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(30_000)
    sign_in(page, base, "seller@example.com", start="/questionnaires/upload")
    page.set_input_files("#file", str(source))
    page.click("#upload-form button[type=submit]")
    page.wait_for_url(re.compile(r"/questionnaires/\d+$"))

    enc = page.locator("article.item", has_text="Do you encrypt customer data at rest?")
    verdict, comment, hint = (
        enc.locator("select[name=answer]"),
        enc.locator("textarea[name=comment]"),
        enc.locator(".comment-hint"),
    )
    assert verdict.input_value() == "Yes" and comment.input_value() == "AES-256"
    assert hint.is_hidden()

    verdict.select_option("No")
    assert comment.input_value() == ""
    assert hint.is_visible() and "Yes" in hint.inner_text() and "No" in hint.inner_text()
    verdict.select_option("Yes")  # back to the bank's verdict: its comment fits again
    assert comment.input_value() == "AES-256" and hint.is_hidden()

    comment.fill("AES-256, keys rotated yearly")  # the reviewer's own words stay
    verdict.select_option("No")
    assert comment.input_value() == "AES-256, keys rotated yearly" and hint.is_hidden()
    comment.fill("AES-256")
    verdict.select_option("Yes")
    verdict.select_option("No")
    assert comment.input_value() == ""
    comment.fill("Not at rest yet: planned for Q3")
    assert hint.is_hidden()  # typing a comment of one's own ends the hint
    verdict.select_option("Yes")
    assert comment.input_value() == "Not at rest yet: planned for Q3"  # never overwritten

    # Saved with the new verdict and without the bank's comment.
    comment.fill("")
    verdict.select_option("No")
    _save(enc, "accepted")
    page.reload()
    enc = page.locator("article.item", has_text="Do you encrypt customer data at rest?")
    assert enc.locator("select[name=answer]").input_value() == "No"
    assert enc.locator("textarea[name=comment]").input_value() == ""
    page.close()


def test_a_save_after_a_colleague_deleted_the_questionnaire_says_so_in_the_page(live_app, chromium, tmp_path):
    # QA round 2: the item's note showed Flask's "If you entered the URL manually..."
    from sqlmodel import Session

    from answers import responding
    from answers.db import get_engine
    from tests.review_builders import questionnaire_xlsx

    app, base = live_app
    seller = make_user(app, "seller@example.com", Role.sales, password=PASSWORD)
    curator = make_user(app, "curator@example.com", Role.curator)
    with Session(get_engine(app), expire_on_commit=False) as s:
        qid = responding.ingest(
            questionnaire_xlsx(),
            "vendor.xlsx",
            session=s,
            actor=seller.email,
            actor_id=seller.id,
            upload_folder=app.config["UPLOAD_FOLDER"],
            max_bytes=10**7,
        ).id
    page = chromium.new_page()
    page.set_default_timeout(30_000)
    sign_in(page, base, seller.email, start=f"/questionnaires/{qid}")
    with Session(get_engine(app)) as s:
        responding.delete_questionnaire(qid, session=s, user=curator, upload_folder=app.config["UPLOAD_FOLDER"])
    article = page.locator("article.item").first
    article.locator("button[value=accepted]").click()
    note = article.locator(".save-note")
    note.wait_for()
    assert "this questionnaire was deleted" in note.inner_text(), note.inner_text()
    assert "entered the URL manually" not in note.inner_text()
    # no other save can work: the page offers none
    assert page.locator("article.item").nth(1).locator("button[value=accepted]").is_disabled()


def test_a_multi_line_answer_keeps_its_line_breaks_through_the_page(live_app, chromium, tmp_path):
    """QA web pass 3: free-text answers sat in a one-line <input>, which drops line breaks:
    accepting a question the customer's file already answered in three paragraphs (to add
    a comment, or just to confirm it) wrote those paragraphs back run together."""
    from openpyxl import Workbook, load_workbook

    app, base = live_app
    make_user(app, "seller@example.com", Role.sales, password=PASSWORD)
    answer = "We back up hourly.\nBackups are encrypted.\n\nRestores are tested quarterly."
    wb = Workbook()
    ws = wb.active
    ws.title = "Security"
    ws.append(["ID", "Question", "Answer", "Comments"])
    ws.append(["BCK-01", "Describe how customer data is backed up and restored.", answer, None])
    ws.append(["BCK-02", "Describe the retention of backups.", None, None])
    source = tmp_path / "vendor.xlsx"
    wb.save(source)

    page = chromium.new_page(accept_downloads=True)
    page.set_default_timeout(30_000)
    sign_in(page, base, "seller@example.com", start="/questionnaires/upload")
    page.set_input_files("#file", str(source))
    page.click("#upload-form button[type=submit]")
    page.wait_for_url(re.compile(r"/questionnaires/\d+$"))
    kept = page.locator("article.item", has_text="backed up and restored")
    assert kept.locator("[name=answer]").input_value() == answer
    kept.locator("textarea[name=comment]").fill("Confirmed by the backup team")
    _save(kept, "accepted")
    typed = page.locator("article.item", has_text="retention of backups")
    typed.locator("[name=answer]").fill("Daily backups: 35 days.\nMonthly: 1 year.")
    _save(typed, "accepted")

    with page.expect_download() as info:
        page.click("text=Download completed file")
    out = tmp_path / "done.xlsx"
    info.value.save_as(out)
    ws = load_workbook(out)["Security"]
    assert ws["C2"].value == answer
    assert ws["C3"].value == "Daily backups: 35 days.\nMonthly: 1 year."
    page.close()


def _two_pages(live_app, chromium, tmp_path):
    """A signed-in page on the review of a fresh 130-question upload (three pages); the
    app and the questionnaire's id."""
    from tests.review_builders import load_bank
    from tests.test_review_paging import two_sheet_xlsx

    app, base = live_app
    load_bank(app)
    make_user(app, "seller@example.com", Role.sales, password=PASSWORD)
    source = tmp_path / "big.xlsx"
    source.write_bytes(two_sheet_xlsx(65))
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(30_000)
    sign_in(page, base, "seller@example.com", start="/questionnaires/upload")
    page.set_input_files("#file", str(source))
    page.click("#upload-form button[type=submit]")
    page.wait_for_url(re.compile(r"/questionnaires/\d+$"))
    return page, app, int(page.url.rsplit("/", 1)[1])


def test_pages_filters_and_links_to_one_question_in_the_browser(live_app, chromium, tmp_path):
    """A 130-question file in three pages: a filter chosen in the form survives the page
    links, a save (with the script and without) stays on its page, an old #item-N link
    finds the page of its question, bulk accept acts on every page and comes back."""
    page, _app, _qid = _two_pages(live_app, chromium, tmp_path)
    base, review_url = live_app[1], page.url
    assert page.locator("article.item").count() == 50
    assert page.locator("nav.pager").first.get_attribute("aria-label") == "Pages of questions"

    page.select_option("select[name=sheet]", "Privacy")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r"sheet=Privacy"))
    page.locator("nav.pager").first.get_by_role("link", name="Next →").click()
    page.wait_for_url(re.compile(r"sheet=Privacy.*page=2|page=2.*sheet=Privacy"))
    assert page.locator("article.item").count() == 15
    assert all("Privacy row" in t for t in page.locator("article.item header small").all_inner_texts())
    assert page.locator("select[name=sheet]").input_value() == "Privacy"
    # the keys move across pages too: k on the first question goes back (to the question
    # above it, the previous page's last), j on the last forward
    page.locator("article.item p.question").first.click()
    page.keyboard.press("k")
    page.wait_for_url(re.compile(r"\?sheet=Privacy#item-\d+$"))
    assert page.locator("article.item.current").get_attribute("id") == page.locator("article.item").last.get_attribute(
        "id"
    )
    page.locator("article.item p.question").last.click()
    page.keyboard.press("j")
    page.wait_for_url(re.compile(r"sheet=Privacy.*page=2|page=2.*sheet=Privacy"))

    article = page.locator("article.item").nth(2)
    saved = article.get_attribute("id")
    _save(article, "needs_review")
    page.reload()
    assert "page=2" in page.url and "needs review" in page.locator(f"#{saved} .state").inner_text()

    # a link to one question from before the page had pages: the script asks for its page
    last = page.locator("article.item").last.get_attribute("id")
    page.goto(f"{review_url}#{last}")
    page.wait_for_url(re.compile(rf"\?page=3#{last}$"))  # unfiltered, the last question is on page 3
    assert page.locator(f"#{last}").is_visible()

    # bulk accept from a filtered later page: the whole questionnaire, and back to this page
    page.goto(f"{review_url}?sheet=Security&page=2")
    page.click("text=Bulk accept")
    page.wait_for_url(re.compile(r"sheet=Security.*page=2|page=2.*sheet=Security"))
    accepted = re.search(r"Accepted (\d+) suggestion", page.content())
    # the bank's own wording, every 4th of 130 questions (34), less the one sent to review above
    assert accepted and int(accepted.group(1)) == 33
    page.close()

    # without JavaScript: the form posts, the redirect comes back to the same page and question
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(30_000)
    sign_in(page, base, "seller@example.com", start=review_url.removeprefix(base))
    page.goto(f"{review_url}?sheet=Privacy&page=2")
    article = page.locator("article.item").nth(4)
    item_id = article.get_attribute("id")
    article.locator("input[name=assignee]").fill("expert@example.com")
    article.locator("button[value=assigned]").click()
    page.wait_for_url(re.compile(rf"page=2#{item_id}$"))
    assert "sheet=Privacy" in page.url
    assert "assigned → expert@example.com" in page.locator(f"#{item_id} .state").inner_text()
    context.close()


def test_leaving_a_page_with_unsaved_edits_asks_first_and_links_to_one_question_move_on_from_it(
    live_app, chromium, tmp_path
):
    """A comment typed on page 1 and not saved was lost without a word by Next, by j past
    the last question or by a filter; and after ?item=N, j went to the page's first
    question instead of the one after N."""
    page, _app, _qid = _two_pages(live_app, chromium, tmp_path)
    review_url = page.url

    dialogs = []

    def dismiss(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()  # "stay on this page"

    page.on("dialog", dismiss)
    article = page.locator("article.item").nth(3)
    article.locator("textarea[name=comment]").fill("Typed, not saved yet.")
    page.locator("nav.pager").first.get_by_role("link", name="Next →").click()
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]
    assert page.url == review_url
    assert article.locator("textarea[name=comment]").input_value() == "Typed, not saved yet."
    page.locator("article.item p.question").last.click()
    page.keyboard.press("j")
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload", "beforeunload"] and page.url == review_url

    _save(article, "needs_review")  # saved: nothing to lose any more
    page.locator("nav.pager").first.get_by_role("link", name="Next →").click()
    page.wait_for_url(re.compile(r"page=2$"))
    assert len(dialogs) == 2

    linked = page.locator("article.item").nth(10).get_attribute("id")
    after = page.locator("article.item").nth(11).get_attribute("id")
    page.goto(f"{review_url}?item={linked.removeprefix('item-')}")
    page.wait_for_url(re.compile(rf"page=2#{linked}$"))
    assert page.locator("article.item.current").get_attribute("id") == linked
    page.keyboard.press("j")
    assert page.locator("article.item.current").get_attribute("id") == after

    # left anyway, then back: the browser puts the typed text back, and it is still unsaved
    assert page.locator("article.item.unsaved").count() == 0  # a page as sent has nothing unsaved
    page.remove_listener("dialog", dismiss)
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.accept()))
    page.locator(f"#{after} textarea[name=comment]").fill("Typed, then left.")
    page.locator("nav.pager").first.get_by_role("link", name="← Previous").click()
    page.wait_for_url(re.compile(r"/questionnaires/\d+$"))
    assert len(dialogs) == 3
    page.go_back()
    page.wait_for_url(re.compile(r"page=2"))
    page.wait_for_timeout(300)
    assert page.locator(f"#{after} textarea[name=comment]").input_value() == "Typed, then left."
    assert page.locator("article.item.unsaved").evaluate_all("els => els.map(e => e.id)") == [after]
    page.close()


def test_a_on_the_last_question_of_a_page_accepts_it_and_goes_on_to_the_next_question(live_app, chromium, tmp_path):
    """`a` on a page's last question saved it and stayed there (j and k crossed pages, a
    did not). Under a "pending" filter the next question is not "page 2": the questions
    decided on page 1 have left the filter, so page 2 would skip as many."""
    from answers import responding
    from tests.auth_helpers import db

    page, app, qid = _two_pages(live_app, chromium, tmp_path)
    review_url = page.url
    page.goto(f"{review_url}?status=pending")
    with db(app) as s:
        items = responding.list_items(qid, session=s)
        assert all(i.status.value == "pending" for i in items)
        # the reviewer decided the rest of page 1 (in this tab, as they went along)
        for item in items[:49]:
            responding.decide(item.id, responding.Decision(status="needs_review"), session=s, actor="t")
    last = page.locator("article.item").last
    assert last.get_attribute("id") == f"item-{items[49].id}"
    last.locator("p.question").click()
    page.keyboard.press("a")
    page.wait_for_url(re.compile(rf"\?status=pending#item-{items[50].id}$"))
    assert page.locator("article.item.current").get_attribute("id") == f"item-{items[50].id}"
    with db(app) as s:
        assert responding.get_item(items[49].id, session=s).status.value == "accepted"
    page.close()


def test_k_on_the_first_question_of_a_page_goes_to_the_one_above(live_app, chromium, tmp_path):
    """k on a page's first question opened the previous page at its top, nothing focused:
    49 questions above the one a reader expects."""
    from answers import responding
    from tests.auth_helpers import db

    page, app, qid = _two_pages(live_app, chromium, tmp_path)
    with db(app) as s:
        items = responding.list_items(qid, session=s)
    page.goto(f"{page.url}?page=2")
    first = page.locator("article.item").first
    assert first.get_attribute("id") == f"item-{items[50].id}"
    first.locator("p.question").click()
    page.keyboard.press("k")
    page.wait_for_url(re.compile(rf"/questionnaires/{qid}#item-{items[49].id}$"))
    assert page.locator("article.item.current").get_attribute("id") == f"item-{items[49].id}"
    page.close()
