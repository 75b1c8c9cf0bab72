"""The review workflow's browser pages: upload, list with progress, review, decide, export."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from answers.models import Role
from tests.auth_helpers import make_user, signed_in
from tests.review_builders import cells, multipart, questionnaire_xlsx


def upload(client, **fields):
    return client.post("/questionnaires/upload", **multipart(questionnaire_xlsx(), "vendor.xlsx", **fields))


@pytest.fixture
def qid(reviewer):
    r = upload(reviewer, customer="Example University", due_date="2031-05-01")
    assert r.status_code == 303
    return int(r.headers["Location"].rstrip("/").rsplit("/", 1)[-1])


def items(client, qid):
    """Item id, lock version, status text by question id, as the review page shows them."""
    html = client.get(f"/questionnaires/{qid}").get_data(as_text=True)
    out = {}
    for m in re.finditer(
        r'id="item-(\d+)".*?data-version="(\d+)">.*?<span class="qid">([^<]*)</span>'
        r'.*?<span class="state">([^<]*)</span>',
        html,
        re.S,
    ):
        out[m.group(3)] = {"id": int(m.group(1)), "version": int(m.group(2)), "state": m.group(4)}
    return out


def decide(client, qid, item, *, json=True, **body):
    url = f"/questionnaires/{qid}/items/{item['id']}"
    if json:
        return client.post(url, json=body, headers={"Accept": "application/json"})
    return client.post(url, data={k: str(v) for k, v in body.items()})


def test_upload_redirects_to_the_review_page(reviewer, qid):
    page = reviewer.get(f"/questionnaires/{qid}").get_data(as_text=True)
    assert "Do you encrypt customer data at rest?" in page
    assert "due 2031-05-01" in page and "Example University" in page
    assert set(items(reviewer, qid)) == {"ENC-01", "MFA-01", "BCP-01", "PHY-01"}
    assert "No good match in the bank: left empty." in page
    assert "owner sec@x.test" in page  # the bank entry the exact match came from


def test_upload_page_shows_the_limit_and_readable_errors(reviewer):
    form = reviewer.get("/questionnaires/upload").get_data(as_text=True)
    assert "up to 5 MB" in form
    r = reviewer.post("/questionnaires/upload", **multipart(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "a.xls"))
    assert r.status_code == 415 and "save it as .xlsx" in r.get_data(as_text=True)
    r = reviewer.post("/questionnaires/upload", data={"customer": "x"})
    assert r.status_code == 400 and "choose a questionnaire file" in r.get_data(as_text=True)
    r = upload(reviewer, customer="Kept Customer", due_date="someday")
    page = r.get_data(as_text=True)
    assert r.status_code == 400 and "due date: expected a date" in page and 'value="Kept Customer"' in page


def test_list_shows_progress_and_due_date(reviewer, qid):
    page = reviewer.get("/questionnaires/").get_data(as_text=True)
    assert "Example University" in page and "2031-05-01" in page and "sales@example.com" in page
    assert "0 answered · 3 to decide · 1 empty" in page
    enc = items(reviewer, qid)["ENC-01"]
    assert decide(reviewer, qid, enc, status="accepted", lock_version=enc["version"]).status_code == 200
    page = reviewer.get("/questionnaires/").get_data(as_text=True)
    assert "1 answered · 2 to decide · 1 empty" in page
    assert 'max="4" value="1"' in page


def test_decision_survives_a_reload(reviewer, qid):
    mfa = items(reviewer, qid)["MFA-01"]
    r = decide(
        reviewer, qid, mfa, answer="No", comment="Edited comment", status="accepted", lock_version=mfa["version"]
    )
    assert r.status_code == 200 and r.json["lock_version"] == mfa["version"] + 1
    after = items(reviewer, qid)["MFA-01"]
    assert after["state"].strip() == "accepted" and after["version"] == mfa["version"] + 1
    page = reviewer.get(f"/questionnaires/{qid}").get_data(as_text=True)
    assert "Edited comment</textarea>" in page


def test_two_reviewers_the_stale_save_is_refused_with_json(app, reviewer, qid):
    other = signed_in(app, make_user(app, "second@example.com", Role.sales))
    enc = items(reviewer, qid)["ENC-01"]  # both loaded the page at this version
    first = decide(
        other, qid, enc, answer="No", comment="From the second tab", status="accepted", lock_version=enc["version"]
    )
    assert first.status_code == 200
    late = decide(
        reviewer, qid, enc, answer="Yes", comment="Would overwrite", status="accepted", lock_version=enc["version"]
    )
    assert late.status_code == 409 and "changed by someone else" in late.json["error"]
    # in a reviewer's words (QA web pass 3: "item 1929 ... (version 3, you had 2): reload"),
    # and warning that a reload replaces the text still typed in the page
    assert "version" not in late.json["error"] and f"item {enc['id']}" not in late.json["error"]
    assert "copy your text" in late.json["error"]
    page = reviewer.get(f"/questionnaires/{qid}").get_data(as_text=True)
    assert "From the second tab</textarea>" in page and "Would overwrite" not in page


def test_two_reviewers_plain_form_gets_a_flash_message(app, reviewer, qid):
    other = signed_in(app, make_user(app, "second@example.com", Role.sales))
    bcp = items(reviewer, qid)["BCP-01"]
    assert (
        decide(
            other, qid, bcp, json=False, status="assigned", assignee="a@x.test", lock_version=bcp["version"]
        ).status_code
        == 303
    )
    r = decide(reviewer, qid, bcp, json=False, status="accepted", lock_version=bcp["version"])
    assert r.status_code == 303
    page = reviewer.get(r.headers["Location"]).get_data(as_text=True)
    assert "changed by someone else" in page
    assert items(reviewer, qid)["BCP-01"]["state"].strip() == "assigned → a@x.test"


def test_plain_form_decision_with_a_bad_verdict_flashes_the_reason(reviewer, qid):
    enc = items(reviewer, qid)["ENC-01"]
    r = decide(reviewer, qid, enc, json=False, answer="Perhaps", status="accepted", lock_version=enc["version"])
    page = reviewer.get(r.headers["Location"]).get_data(as_text=True)
    assert "is not one of this cell&#39;s values" in page or "is not one of this cell's values" in page
    assert items(reviewer, qid)["ENC-01"]["state"].strip() == "pending"


def test_decide_for_an_item_of_another_questionnaire_is_404(reviewer, qid):
    other = int(upload(reviewer).headers["Location"].rsplit("/", 1)[-1])
    enc = items(reviewer, qid)["ENC-01"]
    assert reviewer.post(f"/questionnaires/{other}/items/{enc['id']}", json={"status": "accepted"}).status_code == 404
    assert reviewer.get("/questionnaires/9999").status_code == 404


def test_bulk_accept_and_filters(reviewer, qid):
    r = reviewer.post(f"/questionnaires/{qid}/accept", data={"min_tier": "exact"})
    assert r.status_code == 303
    page = reviewer.get(r.headers["Location"]).get_data(as_text=True)
    assert "Accepted 1 suggestion(s)." in page
    r = reviewer.post(f"/questionnaires/{qid}/accept", data={"min_tier": "none"}, follow_redirects=True)
    assert "min_tier must be" in r.get_data(as_text=True)
    assert set(items_with(reviewer, qid, status="accepted")) == {"ENC-01"}
    assert set(items_with(reviewer, qid, tier="none")) == {"PHY-01"}
    assert set(items_with(reviewer, qid, status="pending", tier="exact")) == set()


def items_with(client, qid, **filters):
    query = "&".join(f"{k}={v}" for k, v in filters.items())
    html = client.get(f"/questionnaires/{qid}?{query}").get_data(as_text=True)
    return re.findall(r'<span class="qid">([^<]*)</span>', html)


def test_page_exports(reviewer, qid):
    enc = items(reviewer, qid)["ENC-01"]
    decide(reviewer, qid, enc, status="accepted", lock_version=enc["version"])
    r = reviewer.get(f"/questionnaires/{qid}/export?format=original")
    assert r.status_code == 200 and "vendor_completed.xlsx" in r.headers["Content-Disposition"]
    got = cells(r.data)
    assert (got["C2"], got["D2"]) == ("Yes", "AES-256") and "C3" not in got
    r = reviewer.get(f"/questionnaires/{qid}/export?format=report")
    assert r.status_code == 200 and r.data[:2] == b"PK"
    assert reviewer.get(f"/questionnaires/{qid}/export?format=pdf").status_code == 400
    assert reviewer.get("/questionnaires/9999/export").status_code == 404


def test_pages_need_a_login(client):
    for path in ("/questionnaires/", "/questionnaires/upload", "/questionnaires/1"):
        r = client.get(path)
        assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_review_page_posts_need_the_csrf_token(app, qid, reviewer):
    app.config["WTF_CSRF_ENABLED"] = True
    enc = items(reviewer, qid)["ENC-01"]
    r = reviewer.post(f"/questionnaires/{qid}/items/{enc['id']}", json={"status": "accepted"})
    assert r.status_code == 400
    assert items(reviewer, qid)["ENC-01"]["state"].strip() == "pending"


def test_upload_page_io_is_a_plain_form(reviewer):
    """The page works without JavaScript: a multipart form posting the file field."""
    page = reviewer.get("/questionnaires/upload").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'name="file"' in page and "upload.js" in page


def test_the_form_of_an_answered_question_shows_the_files_answer(reviewer):
    import io

    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(questionnaire_xlsx()))
    wb.active["C2"], wb.active["D2"] = "No", "Customer note"
    buf = io.BytesIO()
    wb.save(buf)
    r = reviewer.post("/questionnaires/upload", **multipart(buf.getvalue(), "vendor.xlsx"))
    page = reviewer.get(r.headers["Location"]).get_data(as_text=True)
    enc = page[page.index("Do you encrypt customer data at rest?") : page.index("Is multi-factor")]
    assert "<option selected>No</option>" in enc and "Customer note</textarea>" in enc
    assert "AES-256</textarea>" not in enc  # accepting unchanged keeps the file's answer and comment


def test_a_question_without_an_answer_cell_of_its_own_is_marked_on_the_page(reviewer):
    import io

    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(questionnaire_xlsx()))
    wb.active.merge_cells("C3:C4")
    buf = io.BytesIO()
    wb.save(buf)
    r = reviewer.post("/questionnaires/upload", **multipart(buf.getvalue(), "vendor.xlsx"))
    page = reviewer.get(r.headers["Location"]).get_data(as_text=True)
    bcp = page[page.index("Do you maintain a tested business continuity plan?") : page.index("parking spaces")]
    assert "Not writable:" in bcp and "merged cell C3" in bcp and "disabled" in bcp
    assert "Not writable:" not in page[: page.index("Do you maintain a tested")]


def test_the_page_never_bulk_accepts_review_matches(reviewer, qid):
    page = reviewer.get(f"/questionnaires/{qid}").get_data(as_text=True)
    choices = re.search(r'<select name="min_tier">(.*?)</select>', page, re.S).group(1)
    assert re.findall(r'value="(\w+)"', choices) == ["exact", "high"]
    r = reviewer.post(f"/questionnaires/{qid}/accept", data={"min_tier": "review"}, follow_redirects=True)
    assert "review matches need each one read" in r.get_data(as_text=True)
    assert items_with(reviewer, qid, status="accepted") == []


def test_a_saved_decision_tells_the_page_how_many_are_answered(reviewer, qid):
    enc = items(reviewer, qid)["ENC-01"]
    r = decide(reviewer, qid, enc, status="accepted", lock_version=enc["version"])
    assert r.status_code == 200 and r.json["answered"] == 1


def test_match_again_takes_the_current_bank_and_bulk_accept_skips_a_changed_entry(app, reviewer, qid):
    from answers import bank
    from answers.db import get_session
    from answers.models import EntryUpdate, Item

    with app.app_context():
        session = get_session()
        enc = session.get(Item, items(reviewer, qid)["ENC-01"]["id"])
        bank.update_entry(enc.entry_id, EntryUpdate(answer="No"), session=session, actor="cur@example.com")
    page = reviewer.post(f"/questionnaires/{qid}/accept", data={"min_tier": "exact"}, follow_redirects=True)
    assert "Skipped 1 suggestion(s) whose bank entry was retired or changed" in page.get_data(as_text=True)
    assert set(items_with(reviewer, qid, status="accepted")) == set()
    page = reviewer.post(f"/questionnaires/{qid}/resuggest", follow_redirects=True).get_data(as_text=True)
    assert "again against the current bank" in page
    reviewer.post(f"/questionnaires/{qid}/accept", data={"min_tier": "exact"})
    assert set(items_with(reviewer, qid, status="accepted")) == {"ENC-01"}
    with app.app_context():
        assert get_session().get(Item, enc.id).answer == "No"
    assert reviewer.post("/questionnaires/999999/resuggest").status_code == 404


def test_accepting_the_shown_suggestion_of_a_retired_or_changed_entry_is_refused(app, reviewer, qid):
    # the page puts the suggestion into its boxes and Accept posts them: a curator's
    # retirement (or turned-around answer) since the upload was then written as if typed
    from answers import bank
    from answers.db import get_session
    from answers.models import EntryUpdate, Item

    shown = items(reviewer, qid)
    with app.app_context():
        session = get_session()
        enc, mfa = session.get(Item, shown["ENC-01"]["id"]), session.get(Item, shown["MFA-01"]["id"])
        bank.retire(enc.entry_id, session=session, actor="cur@example.com")
        bank.update_entry(mfa.entry_id, EntryUpdate(answer="No"), session=session, actor="cur@example.com")
    for item, said in ((enc, "retired since"), (mfa, "changed since")):
        body = {"answer": item.suggested_answer, "comment": item.suggested_comment, "assignee": ""}
        r = decide(reviewer, qid, shown[item.question_id], status="accepted", lock_version=item.lock_version, **body)
        assert r.status_code == 400 and said in r.get_json()["error"], r.get_json()
        plain = decide(reviewer, qid, shown[item.question_id], json=False, status="accepted", **body)
        assert plain.status_code == 303  # back to the page, with the reason flashed
    assert items(reviewer, qid)["ENC-01"]["state"] == "pending" and items(reviewer, qid)["MFA-01"]["state"] == "pending"
    # an answer of the reviewer's own is still taken
    r = decide(reviewer, qid, shown["ENC-01"], status="accepted", answer="Yes", comment="AES-256, keys in our HSM.")
    assert r.status_code == 200 and r.get_json()["status"] == "accepted"


def test_bulk_accept_says_how_many_questions_someone_else_decided_meanwhile(app, reviewer, qid, monkeypatch):
    from answers import responding
    from answers.db import get_session
    from answers.models import Item

    original = responding.withdrawn_reason
    target = items(reviewer, qid)["ENC-01"]["id"]

    def colleague_accepts_first(item, *args):
        if item.id == target:
            with app.app_context():  # another request: its own session
                decision = responding.Decision(answer="No", status="accepted")
                responding.decide(target, decision, session=get_session(), actor="x")
        return original(item, *args)

    monkeypatch.setattr(responding, "withdrawn_reason", colleague_accepts_first)
    page = reviewer.post(f"/questionnaires/{qid}/accept", data={"min_tier": "exact"}, follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "Accepted 0 suggestion(s)." in text and "Skipped 1 question(s) someone else decided" in text, text
    with app.app_context():
        stored = get_session().get(Item, target)
        assert (stored.answer, stored.decided_by) == ("No", None)


class _Unlabelled(HTMLParser):
    """Form controls with no accessible name: outside any <label>, without aria-label."""

    def __init__(self):
        super().__init__()
        self.in_label = 0
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.in_label += tag == "label"
        if tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit", "button"):
            if not (self.in_label or a.get("aria-label")):
                self.found.append(f"{tag} {a.get('name')}")

    def handle_endtag(self, tag):
        self.in_label -= tag == "label"


def test_every_control_of_the_review_page_has_a_label(reviewer, qid):
    # QA web pass 3: the four filter dropdowns had none (a screen reader said "combo box, any tier")
    parser = _Unlabelled()
    html = reviewer.get(f"/questionnaires/{qid}").get_data(as_text=True)
    parser.feed(html)
    assert parser.found == []
    # the status filter reads as the page writes statuses elsewhere, and still filters
    assert '<option value="needs_review">needs review</option>' in html
    filtered = reviewer.get(f"/questionnaires/{qid}?status=needs_review").get_data(as_text=True)
    assert '<option value="needs_review" selected>needs review</option>' in filtered
