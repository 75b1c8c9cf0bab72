"""Curation end to end in a real browser (issue 8): a curator creates a draft entry through
the new-entry form, edits it, approves it, and the approved entry then answers a synthetic
questionnaire uploaded through the upload page. Before approval the same question is only
suggested as `review` (drafts are capped). Afterwards the entry page lists the questionnaire
under "Used in" and shows the revisions with a diff. Screenshots of the entry page and the
bank list are left in the test's tmp_path."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from openpyxl import Workbook
from openpyxl.worksheet.datavalidation import DataValidation

from answers.models import Role
from tests.auth_helpers import PASSWORD, make_user
from tests.test_browser_review import chromium, live_app, sign_in  # noqa: F401 (fixtures)

QUESTION = "Do you support customer-managed encryption keys for model fine-tuning data?"
FIRST_COMMENT = "Keys live in the customer's KMS; we never see them."
EDITED_COMMENT = "Keys live in the customer's own KMS (AWS, Azure or GCP); revoking a key stops fine-tuning."

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _questionnaire(path: Path, rows: list[tuple[str, str]] | None = None, sheet: str = "Security") -> Path:
    """ID | Question | Answer (Yes/No dropdown) | Comments; by default our question and two others."""
    rows = rows or [
        ("SEC-01", "Is there a documented incident response plan reviewed annually?"),
        ("SEC-02", QUESTION),
        ("SEC-03", "Do you perform background checks on contractors with production access?"),
    ]
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(["ID", "Question", "Answer", "Comments"])
    for question_id, text in rows:
        ws.append([question_id, text, None, None])
    dv = DataValidation(type="list", formula1='"Yes,No"', allow_blank=True)
    ws.add_data_validation(dv)
    dv.add(f"C2:C{len(rows) + 1}")
    wb.save(path)
    return path


def _curator_page(app, chromium, base: str, start: str = "/login"):  # noqa: F811
    """A browser page signed in as a new curator, on ``start``."""
    make_user(app, "curator@example.com", Role.curator, password=PASSWORD)
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(15_000)
    sign_in(page, base, "curator@example.com", start=start)
    return page


def _upload(page, base: str, source: Path, customer: str) -> None:
    page.goto(f"{base}/questionnaires/upload")
    page.set_input_files("#file", str(source))
    page.fill("input[name=customer]", customer)
    page.click("#upload-form button[type=submit]")
    page.wait_for_url(re.compile(r"/questionnaires/\d+$"))


def _our_item(page):
    item = page.locator("article.item").filter(has=page.get_by_text(QUESTION, exact=True))
    assert item.count() == 1, "the uploaded questionnaire has exactly one item with our question"
    return item


def _tier(item) -> str:
    return item.locator("header .tier").inner_text().split("·")[0].strip()


def test_edit_approve_then_used_in_a_questionnaire(live_app, chromium, tmp_path):  # noqa: F811
    app, base = live_app
    source = _questionnaire(tmp_path / "fine-tuning-questionnaire.xlsx")
    page = _curator_page(app, chromium, base, start="/bank/new")
    assert page.url.endswith("/bank/new")

    # 1. a new entry through the form: it is a draft
    form = page.locator("form.entry-form")
    form.locator("textarea[name=question]").fill(QUESTION)
    form.locator("input[name=answer]").fill("Yes")
    form.locator("textarea[name=comment]").fill(FIRST_COMMENT)
    form.locator("input[name=owner]").fill("security@example.com")
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/bank/\d+$"))
    entry_url = page.url
    assert page.locator(".pagehead .badge.status-draft").inner_text() == "draft"

    # 2. edit the comment: a new revision
    page.click(".pagehead a:has-text('Edit')")
    page.wait_for_url(re.compile(r"/bank/\d+/edit$"))
    assert page.locator("textarea[name=comment]").input_value() == FIRST_COMMENT
    page.fill("textarea[name=comment]", EDITED_COMMENT)
    page.click("form.entry-form button[type=submit]")
    page.wait_for_url(entry_url)
    assert EDITED_COMMENT in page.locator("dl.entry").inner_text()
    assert page.locator(".pagehead .badge.status-draft").count() == 1

    # 3. while it is a draft, the exact question is only suggested for review
    _upload(page, base, source, "Before Approval Inc")
    item = _our_item(page)
    assert _tier(item) == "review", "a draft entry must never be suggested as exact"
    assert item.locator(".badge.status-draft").count() == 1

    # 4. approve on the entry page
    page.goto(entry_url)
    page.click(".pagehead button:has-text('Approve')")
    page.wait_for_url(entry_url)
    assert page.locator(".pagehead .badge.status-approved").inner_text() == "approved"
    assert page.locator(".pagehead button:has-text('Approve')").count() == 0

    # 5. now the same question is an exact match with the entry's answer; accept it
    _upload(page, base, source, "After Approval Ltd")
    item = _our_item(page)
    assert _tier(item) == "exact"
    assert item.locator("select[name=answer]").input_value() == "Yes"
    assert item.locator("textarea[name=comment]").input_value() == EDITED_COMMENT
    item.locator("button[value=accepted]").click()
    item.locator(".save-note").wait_for()
    assert item.locator(".save-note").inner_text() == "Saved."
    assert "accepted" in item.locator(".state").inner_text()

    # 6. the entry page: used once, in the second questionnaire only; three revisions with a diff
    page.goto(entry_url)
    used = page.locator("ul.used li")
    assert used.count() == 1
    assert "fine-tuning-questionnaire" in used.inner_text() and "After Approval Ltd" in used.inner_text()
    assert "1 answer(s)" in used.inner_text()
    assert re.search(r"\b1 time\(s\)", page.locator("dl.entry").inner_text())
    revisions = page.locator("ol.history > li")
    assert revisions.count() == 3
    notes = " | ".join(revisions.all_inner_texts()).lower()
    for word in ("created", "edited", "approved"):
        assert word in notes, f"history mentions {word!r}: {notes}"
    comment_diff = page.locator("ol.history .diff").filter(has_text="comment")
    assert comment_diff.count() >= 1
    assert comment_diff.locator("span.del").filter(has_text=FIRST_COMMENT).count() == 1
    assert comment_diff.locator("span.add").filter(has_text=EDITED_COMMENT).count() == 1

    # buttons inside inline forms look like buttons, not like links (a CSS specificity slip)
    retire = page.locator(".pagehead button:has-text('Retire')")
    assert retire.evaluate("b => getComputedStyle(b).borderTopWidth") != "0px"
    page.screenshot(path=str(tmp_path / "entry-page.png"), full_page=True)
    page.goto(f"{base}/bank/")
    assert page.locator("table.grid tbody tr").filter(has_text=QUESTION).count() == 1
    page.screenshot(path=str(tmp_path / "bank-list.png"), full_page=False)
    print(f"screenshots: {tmp_path}")
    page.close()


UNSURE = "Is there a written plan for handling security incidents?"


def test_a_wording_confirmed_in_review_becomes_an_alternate(live_app, chromium, tmp_path):  # noqa: F811
    """A reviewer accepts a doubtful match; the curator adds the wording to the entry on the
    hygiene page; the next questionnaire with that wording is matched exactly."""
    app, base = live_app
    source = _questionnaire(tmp_path / "incident-questionnaire.xlsx", [("IR-01", UNSURE)])
    page = _curator_page(app, chromium, base)

    def item():
        found = page.locator("article.item").filter(has=page.get_by_text(UNSURE, exact=True))
        assert found.count() == 1
        return found

    # 1. the demo bank's incident-response entry is only a review-tier match: a person decides
    _upload(page, base, source, "First Customer")
    assert _tier(item()) == "review"
    item().locator("button[value=accepted]").click()
    item().locator(".save-note").wait_for()
    assert item().locator(".save-note").inner_text() == "Saved."

    # 2. the curator sees the confirmed wording on the hygiene page and adds it
    page.goto(f"{base}/bank/hygiene")
    card = page.locator(".card.finding").filter(has_text=UNSURE)
    assert card.count() == 1
    assert "incident-questionnaire" in card.inner_text()
    page.screenshot(path=str(tmp_path / "hygiene-confirmed.png"), full_page=True)
    card.locator("button:has-text('Add as alternate')").click()
    page.wait_for_url(re.compile(r"/bank/hygiene$"))
    assert "matched exactly from now on" in page.locator("body").inner_text()
    assert page.locator(".card.finding").filter(has_text=UNSURE).count() == 0

    # 3. the same wording in the next questionnaire is an exact match
    _upload(page, base, source, "Second Customer")
    assert _tier(item()) == "exact"
    assert item().locator("select[name=answer]").input_value() == "Yes"


LOGOUT = "Does the product have automatic logout functionality?"


def test_a_weak_candidate_taken_in_review_is_offered_as_an_alternate(live_app, chromium, tmp_path):  # noqa: F811
    """Nothing in the demo bank matches "automatic logout" well enough to write, but its
    session-timeout entry is the first weak candidate: the reviewer takes it in a click,
    accepts, and the curator finds the wording on the hygiene page."""
    from answers.embeddings import load_default_embedder

    if load_default_embedder() is None:
        pytest.skip("no embedding model (not installed, or ANSWERBANK_EMBEDDINGS=off): lexical mode cannot rank this")
    app, base = live_app
    source = _questionnaire(tmp_path / "customer-questionnaire.xlsx", [("PR-07", LOGOUT)], sheet="Product")
    page = _curator_page(app, chromium, base)
    _upload(page, base, source, "Customer")

    def item():
        return page.locator("article.item").filter(has=page.get_by_text(LOGOUT, exact=True))

    assert _tier(item()) == "none"
    assert item().locator("select[name=answer]").input_value() == ""  # nothing written
    weak = item().locator("details.alternatives")
    assert "weak candidate" in weak.locator("summary").inner_text()
    weak.locator("summary").click()
    page.screenshot(path=str(tmp_path / "weak-candidates.png"), full_page=True)
    # a decision saved in place first: the candidates' form must post the item's new version
    item().locator("button[value=needs_review]").click()
    item().locator(".save-note").wait_for()
    assert item().locator(".save-note").inner_text() == "Saved."
    candidate = weak.locator("li").filter(has_text="Do user sessions time out after a period of inactivity?")
    assert candidate.count() == 1 and weak.locator("li").first.inner_text() == candidate.inner_text()
    candidate.locator("button:has-text('Use this')").click()
    page.wait_for_load_state()
    assert item().locator("select[name=answer]").input_value() == "Yes"
    assert "time out after a period of inactivity" in item().locator("p.source").inner_text()
    item().locator("button[value=accepted]").click()
    item().locator(".save-note").wait_for()
    assert item().locator(".save-note").inner_text() == "Saved."

    page.goto(f"{base}/bank/hygiene")
    card = page.locator(".card.finding").filter(has_text=LOGOUT)
    assert card.count() == 1 and "customer-questionnaire" in card.inner_text()
    page.close()


def test_a_reviewer_finds_the_answer_in_the_bank(live_app, chromium, tmp_path):  # noqa: F811
    """From a question's "Find another answer in the bank" link: search, take an entry, and
    the review page shows the question filled with that entry's answer."""
    app, base = live_app
    asked = "Are idle users signed out of the console automatically?"
    source = _questionnaire(tmp_path / "customer.xlsx", [("PR-09", asked)])
    page = _curator_page(app, chromium, base)
    _upload(page, base, source, "Customer")
    item = page.locator("article.item").filter(has=page.get_by_text(asked))
    item.get_by_role("link", name="Find another answer in the bank").click()
    page.wait_for_url(re.compile(r"/items/\d+/find$"))
    page.fill("input[name=q]", "session inactivity")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"/find\?q="))
    found = page.locator("ul.found li").filter(has_text="Do user sessions time out after a period of inactivity?")
    assert found.count() == 1
    page.screenshot(path=str(tmp_path / "find-in-bank.png"), full_page=True)
    found.get_by_role("button", name="Use this").click()
    page.wait_for_url(re.compile(r"/questionnaires/\d+#item-\d+$"))
    assert item.locator("select[name=answer]").input_value() == "Yes"
    assert "time out after a period of inactivity" in item.locator("p.source").inner_text()
    page.close()
