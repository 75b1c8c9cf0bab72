"""The review workflow's JSON API: every route, every error path (issue 5)."""

from __future__ import annotations

import io

import pytest
from docx import Document

import importers
from answers.models import Role
from tests.auth_helpers import bearer, make_user, token_for
from tests.review_builders import SHEET, XLSX, cells, load_bank, multipart, questionnaire_xlsx

API = "/api/v1"


@pytest.fixture
def api(app, client):
    """(client, headers) for a sales user's token, with the synthetic bank loaded."""
    load_bank(app)
    user = make_user(app, "sales@example.com", Role.sales)
    return client, bearer(token_for(app, user))


def upload(api, data: bytes | None = None, filename: str = "vendor.xlsx", **form):
    client, headers = api
    body = dict(form)
    body["file"] = (io.BytesIO(questionnaire_xlsx() if data is None else data), filename)
    return client.post(f"{API}/questionnaires", data=body, headers=headers)


@pytest.fixture
def uploaded(api):
    """The uploaded synthetic questionnaire and its items by question id."""
    client, headers = api
    r = upload(api, customer="Example University", due_date="2031-05-01")
    assert r.status_code == 201, r.json
    items = client.get(f"{API}/questionnaires/{r.json['id']}/items", headers=headers).json["items"]
    return r.json, {i["question_id"]: i for i in items}


def patch(api, item, **body):
    client, headers = api
    return client.patch(f"{API}/items/{item['id']}", json=body, headers=headers)


# --- upload --------------------------------------------------------------------------


def test_upload_returns_id_family_and_counts(api, uploaded):
    q, items = uploaded
    assert q["family"] == "generic" and q["format"] == "xlsx"
    assert q["customer"] == "Example University" and q["due_date"] == "2031-05-01"
    counts = q["counts"]
    assert counts["questions"] == 4 and counts["answered"] == 0
    assert counts["needs_review"] + counts["empty"] == 4
    tiers = {qid: i["tier"] for qid, i in items.items()}
    assert tiers["ENC-01"] == "exact"
    assert tiers["MFA-01"] in ("high", "review") and tiers["BCP-01"] in ("high", "review")
    assert tiers["PHY-01"] == "none"
    assert counts["by_tier"]["exact"] == 1 and counts["by_tier"]["none"] == 1
    assert counts["empty"] == 1  # only the unmatched question has nothing to offer


def test_items_carry_suggestion_choices_and_lock_version(uploaded):
    _q, items = uploaded
    enc = items["ENC-01"]
    assert enc["choices"] == ["Yes", "No"]
    assert enc["suggestion"]["answer"] == "Yes" and enc["suggestion"]["comment"] == "AES-256"
    assert enc["suggestion"]["entry_id"] is not None and enc["score"] == 100
    assert enc["status"] == "pending" and enc["answer"] is None and enc["lock_version"] >= 0
    assert items["PHY-01"]["suggestion"]["answer"] is None


def test_upload_without_file_is_400(api):
    client, headers = api
    r = client.post(f"{API}/questionnaires", data={}, headers=headers)
    assert r.status_code == 400 and "file" in r.json["error"]


def test_upload_unsupported_type_is_415(api):
    r = upload(api, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "old.xls")
    assert r.status_code == 415 and "save it as .xlsx" in r.json["error"]


def test_upload_unreadable_file_is_422_with_a_reason(api):
    r = upload(api, b"%PDF-1.4\n\x00\x01binary", "scan.pdf")
    assert r.status_code == 422 and "scan.pdf" in r.json["error"]


def test_upload_empty_file_is_400(api):
    r = upload(api, b"", "vendor.xlsx")
    assert r.status_code == 400 and r.json["error"]


def test_upload_over_the_limit_is_413(api):
    client, headers = api
    big = multipart(b"x" * (6 * 1024 * 1024), "big.xlsx")  # the app fixture allows 5 MB
    r = client.post(f"{API}/questionnaires", headers=headers, **big)
    assert r.status_code == 413 and r.json["error"]


def test_upload_unknown_product_is_400_and_stores_nothing(api, app):
    client, headers = api
    r = upload(api, product="No Such Product")
    assert r.status_code == 400 and "unknown product" in r.json["error"]
    assert client.get(f"{API}/questionnaires", headers=headers).json["questionnaires"] == []
    from pathlib import Path

    folder = Path(app.config["UPLOAD_FOLDER"])
    assert not folder.exists() or not any(folder.iterdir())


def test_upload_bad_due_date_is_400(api):
    r = upload(api, due_date="next friday")
    assert r.status_code == 400 and "due_date" in r.json["error"]


# --- reading -------------------------------------------------------------------------


def test_get_and_list(api, uploaded):
    client, headers = api
    q, _ = uploaded
    got = client.get(f"{API}/questionnaires/{q['id']}", headers=headers)
    assert got.status_code == 200 and got.json["id"] == q["id"] and got.json["counts"] == q["counts"]
    listed = client.get(f"{API}/questionnaires", headers=headers).json["questionnaires"]
    assert [x["id"] for x in listed] == [q["id"]]


@pytest.mark.parametrize("path", ["/questionnaires/999", "/questionnaires/999/items", "/questionnaires/999/export"])
def test_unknown_questionnaire_is_404_json(api, path):
    client, headers = api
    r = client.get(API + path, headers=headers)
    assert r.status_code == 404 and "999" in r.json["error"]


def test_accept_unknown_questionnaire_is_404(api):
    client, headers = api
    r = client.post(f"{API}/questionnaires/999/accept", json={"min_tier": "high"}, headers=headers)
    assert r.status_code == 404


# --- PATCH item ----------------------------------------------------------------------


def test_accept_takes_the_suggestion_and_bumps_the_version(api, uploaded):
    enc = uploaded[1]["ENC-01"]
    r = patch(api, enc, status="accepted", lock_version=enc["lock_version"])
    assert r.status_code == 200
    assert (r.json["status"], r.json["answer"], r.json["comment"]) == ("accepted", "Yes", "AES-256")
    assert r.json["lock_version"] == enc["lock_version"] + 1


def test_edit_answer_must_be_one_of_the_cells_choices(api, uploaded):
    mfa = uploaded[1]["MFA-01"]
    r = patch(api, mfa, answer="Maybe", status="accepted", lock_version=mfa["lock_version"])
    assert r.status_code == 400 and "'Maybe' is not one of this cell's values: Yes, No" in r.json["error"]
    client, headers = api
    items = client.get(f"{API}/questionnaires/{mfa['questionnaire_id']}/items", headers=headers).json["items"]
    after = next(i for i in items if i["id"] == mfa["id"])
    assert after["status"] == "pending" and after["answer"] is None and after["lock_version"] == mfa["lock_version"]
    ok = patch(api, mfa, answer="No", comment="Only for some admins", status="accepted")
    assert ok.status_code == 200 and (ok.json["answer"], ok.json["comment"]) == ("No", "Only for some admins")


def test_assign_needs_an_assignee(api, uploaded):
    bcp = uploaded[1]["BCP-01"]
    r = patch(api, bcp, status="assigned")
    assert r.status_code == 400 and "assignee" in r.json["error"]
    ok = patch(api, bcp, status="assigned", assignee="bcp-expert@example.com")
    assert ok.status_code == 200 and (ok.json["status"], ok.json["assignee"]) == ("assigned", "bcp-expert@example.com")


def test_stale_lock_version_is_409_and_changes_nothing(api, uploaded):
    enc = uploaded[1]["ENC-01"]
    first = patch(api, enc, answer="No", status="accepted", lock_version=enc["lock_version"])
    assert first.status_code == 200
    stale = patch(api, enc, answer="Yes", comment="overwrite?", status="accepted", lock_version=enc["lock_version"])
    assert stale.status_code == 409 and "reload" in stale.json["error"]
    client, headers = api
    items = client.get(f"{API}/questionnaires/{enc['questionnaire_id']}/items", headers=headers).json["items"]
    now = next(i for i in items if i["id"] == enc["id"])
    assert (now["answer"], now["lock_version"]) == ("No", first.json["lock_version"])
    assert now["comment"] != "overwrite?"


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"verdict": "Yes"}, "unknown field(s): verdict"),
        ({"status": "done"}, "status must be one of"),
        ({"answer": 5}, "answer: expected text"),
        ({"lock_version": "abc"}, "lock_version: expected a whole number"),
        ({"entry_id": 99999}, "not a live bank entry"),
    ],
)
def test_bad_patch_bodies_are_400(api, uploaded, body, needle):
    r = patch(api, uploaded[1]["ENC-01"], **body)
    assert r.status_code == 400 and needle in r.json["error"]


def test_non_json_patch_is_400(api, uploaded):
    client, headers = api
    item = uploaded[1]["ENC-01"]
    r = client.patch(f"{API}/items/{item['id']}", data="status=accepted", headers=headers)
    assert r.status_code == 400 and "JSON" in r.json["error"]
    r = client.patch(f"{API}/items/{item['id']}", json=["accepted"], headers=headers)
    assert r.status_code == 400


def test_patch_unknown_item_is_404(api):
    client, headers = api
    r = client.patch(f"{API}/items/424242", json={"status": "accepted"}, headers=headers)
    assert r.status_code == 404 and "424242" in r.json["error"]


def test_accepting_nothing_is_refused(api, uploaded):
    r = patch(api, uploaded[1]["PHY-01"], status="accepted")
    assert r.status_code == 400 and "nothing to accept" in r.json["error"]


# --- bulk accept ---------------------------------------------------------------------


def test_bulk_accept_by_tier(api, uploaded):
    client, headers = api
    q, items = uploaded
    url = f"{API}/questionnaires/{q['id']}/accept"
    r = client.post(url, json={"min_tier": "exact"}, headers=headers)
    assert r.status_code == 200 and (r.json["accepted"], r.json["skipped_changed"]) == (1, 0)
    assert r.json["questionnaire"]["counts"]["answered"] == 1
    r = client.post(url, json={"min_tier": "review"}, headers=headers)
    assert r.json["accepted"] == 2  # MFA and BCP; PHY has nothing to accept
    after = {i["question_id"]: i for i in client.get(f"{url[:-7]}/items", headers=headers).json["items"]}
    assert after["PHY-01"]["status"] == "pending"
    assert after["MFA-01"]["answer"] == items["MFA-01"]["suggestion"]["answer"]


def test_bulk_accept_leaves_a_reviewers_answer_not_accepted_yet_alone(api, uploaded):
    """PATCH answer and comment without a status keeps the question pending with the
    reviewer's text; bulk accept then accepted the bank's suggestion over it, and the file
    said Yes where the reviewer had written No."""
    client, headers = api
    q, items = uploaded
    enc = items["ENC-01"]  # exact: the bank says Yes
    assert enc["suggestion"]["answer"] == "Yes"
    r = patch(api, enc, answer="No", comment="Not for the legacy archive")
    assert r.status_code == 200 and r.json["status"] == "pending"
    r = client.post(f"{API}/questionnaires/{q['id']}/accept", json={"min_tier": "exact"}, headers=headers)
    assert r.status_code == 200
    assert (r.json["accepted"], r.json["skipped_edited"], r.json["skipped_changed"]) == (0, 1, 0)
    after = {
        i["question_id"]: i for i in client.get(f"{API}/questionnaires/{q['id']}/items", headers=headers).json["items"]
    }
    assert (after["ENC-01"]["status"], after["ENC-01"]["answer"]) == ("pending", "No")
    patch(api, after["ENC-01"], status="accepted")
    got = cells(client.get(f"{API}/questionnaires/{q['id']}/export", headers=headers).data)
    assert (got["C2"], got["D2"]) == ("No", "Not for the legacy archive")


def prefilled_xlsx(answers: dict[str, str], comments: dict[str, str] | None = None) -> bytes:
    """The synthetic questionnaire with some answer (C) and comment (D) cells already filled."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(questionnaire_xlsx()))
    ws = wb[SHEET]
    for coordinate, value in {**answers, **(comments or {})}.items():
        ws[coordinate] = value
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_bulk_accept_skips_questions_the_file_already_answers(api):
    client, headers = api
    r = upload(api, prefilled_xlsx({"C2": "No"}))
    qid = r.json["id"]
    r = client.post(f"{API}/questionnaires/{qid}/accept", json={"min_tier": "high"}, headers=headers)
    assert r.status_code == 200 and r.json["skipped_already_answered"] == 1
    listed = client.get(f"{API}/questionnaires/{qid}/items", headers=headers).json["items"]
    items = {i["question_id"]: i for i in listed}
    assert items["ENC-01"]["status"] == "pending" and items["ENC-01"]["answer"] is None
    got = cells(client.get(f"{API}/questionnaires/{qid}/export", headers=headers).data)
    assert got["C2"] == "No" and "D2" not in got  # no bank comment next to the customer's own answer


def test_bulk_accept_keeps_the_files_comment(api):
    client, headers = api
    qid = upload(api, prefilled_xlsx({}, {"D2": "Customer note"})).json["id"]
    r = client.post(f"{API}/questionnaires/{qid}/accept", json={"min_tier": "exact"}, headers=headers)
    assert r.json["accepted"] == 1 and r.json["skipped_already_answered"] == 0
    got = cells(client.get(f"{API}/questionnaires/{qid}/export", headers=headers).data)
    assert (got["C2"], got["D2"]) == ("Yes", "Customer note")


@pytest.mark.parametrize("bad", ["none", "best", ""])
def test_bulk_accept_rejects_bad_min_tier(api, uploaded, bad):
    client, headers = api
    r = client.post(f"{API}/questionnaires/{uploaded[0]['id']}/accept", json={"min_tier": bad}, headers=headers)
    assert r.status_code == 400 and "min_tier" in r.json["error"]


def test_bulk_accept_rejects_a_non_object_body(api, uploaded):
    client, headers = api
    r = client.post(f"{API}/questionnaires/{uploaded[0]['id']}/accept", json=["high"], headers=headers)
    assert r.status_code == 400


# --- export --------------------------------------------------------------------------


def test_export_writes_accepted_answers_into_the_right_cells(api, uploaded):
    client, headers = api
    q, items = uploaded
    assert patch(api, items["ENC-01"], status="accepted").status_code == 200
    assert patch(api, items["MFA-01"], answer="No", comment="Edited by hand", status="accepted").status_code == 200
    assert patch(api, items["BCP-01"], status="assigned", assignee="x@example.com").status_code == 200
    r = client.get(f"{API}/questionnaires/{q['id']}/export?format=xlsx", headers=headers)
    assert r.status_code == 200 and r.mimetype == XLSX
    assert "filename=vendor_completed.xlsx" in r.headers["Content-Disposition"]
    got = cells(r.data)
    assert (got["C2"], got["D2"]) == ("Yes", "AES-256")
    assert (got["C3"], got["D3"]) == ("No", "Edited by hand")
    assert "C4" not in got and "D4" not in got and "C5" not in got  # assigned and unmatched stay empty
    assert got["B2"] == "Do you encrypt customer data at rest?"  # the rest of the file is untouched
    parsed = importers.load(r.data, "vendor_completed.xlsx")
    assert {x.id: x.answer for x in parsed.questions} == {
        "ENC-01": "Yes",
        "MFA-01": "No",
        "BCP-01": None,
        "PHY-01": None,
    }
    # no format given: the original's format
    assert client.get(f"{API}/questionnaires/{q['id']}/export", headers=headers).data[:2] == b"PK"


def test_export_highlight_marks_open_cells(api, uploaded):
    client, headers = api
    q, items = uploaded
    patch(api, items["ENC-01"], status="accepted")
    r = client.get(f"{API}/questionnaires/{q['id']}/export?format=xlsx&highlight=1", headers=headers)
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(r.data))[SHEET]
    fills = {c: (ws[c].fill.fgColor.rgb or "") for c in ("C2", "C3", "C5")}
    assert not fills["C2"].endswith("FFF2CC")
    assert fills["C3"].endswith("FFF2CC") and fills["C5"].endswith("FFF2CC")


def test_export_report_docx(api, uploaded):
    client, headers = api
    q, items = uploaded
    patch(api, items["ENC-01"], status="accepted")
    r = client.get(f"{API}/questionnaires/{q['id']}/export?format=report", headers=headers)
    assert r.status_code == 200 and "vendor_report.docx" in r.headers["Content-Disposition"]
    doc = Document(io.BytesIO(r.data))
    text = "\n".join(
        [p.text for p in doc.paragraphs] + [c.text for t in doc.tables for row in t.rows for c in row.cells]
    )
    assert "Do you encrypt customer data at rest?" in text and "AES-256" in text
    assert "parking spaces" in text


def report_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    return "\n".join(
        [p.text for p in doc.paragraphs] + [c.text for t in doc.tables for row in t.rows for c in row.cells]
    )


def test_a_decision_on_an_answered_question_writes_answer_and_comment(api):
    client, headers = api
    qid = upload(api, prefilled_xlsx({"C2": "Yes"})).json["id"]
    enc = next(i for i in client.get(f"{API}/questionnaires/{qid}/items", headers=headers).json["items"])
    assert patch(api, enc, answer="No", comment="Reviewed by hand", status="accepted").status_code == 200
    got = cells(client.get(f"{API}/questionnaires/{qid}/export", headers=headers).data)
    assert (got["C2"], got["D2"]) == ("No", "Reviewed by hand")
    report = report_text(client.get(f"{API}/questionnaires/{qid}/export?format=report", headers=headers).data)
    assert "Answer: No\nComment: Reviewed by hand" in report


def test_a_decision_replaces_the_files_lone_comment(api):
    client, headers = api
    qid = upload(api, prefilled_xlsx({}, {"D2": "Customer note"})).json["id"]
    enc = next(i for i in client.get(f"{API}/questionnaires/{qid}/items", headers=headers).json["items"])
    assert patch(api, enc, answer="Yes", comment="Reviewer note", status="accepted").status_code == 200
    got = cells(client.get(f"{API}/questionnaires/{qid}/export", headers=headers).data)
    assert (got["C2"], got["D2"]) == ("Yes", "Reviewer note")


def test_an_undecided_answered_question_keeps_the_file_in_export_and_report(api):
    client, headers = api
    qid = upload(api, prefilled_xlsx({"C2": "No"}, {"D2": "Customer note"})).json["id"]
    got = cells(client.get(f"{API}/questionnaires/{qid}/export", headers=headers).data)
    assert (got["C2"], got["D2"]) == ("No", "Customer note")
    report = report_text(client.get(f"{API}/questionnaires/{qid}/export?format=report", headers=headers).data)
    assert "Answer: No\nComment: Customer note" in report


def test_export_drops_an_answer_whole_when_its_merged_comment_cell_is_taken(api):
    from openpyxl import load_workbook

    client, headers = api
    wb = load_workbook(io.BytesIO(questionnaire_xlsx()))
    wb[SHEET].merge_cells("D3:D4")
    buf = io.BytesIO()
    wb.save(buf)
    qid = upload(api, buf.getvalue()).json["id"]
    listed = client.get(f"{API}/questionnaires/{qid}/items", headers=headers).json["items"]
    items = {i["question_id"]: i for i in listed}
    assert patch(api, items["MFA-01"], answer="Yes", comment="Keys", status="accepted").status_code == 200
    assert patch(api, items["BCP-01"], answer="No", comment="Soon", status="accepted").status_code == 200
    got = cells(client.get(f"{API}/questionnaires/{qid}/export", headers=headers).data)
    assert (got["C3"], got["D3"]) == ("Yes", "Keys")
    assert "C4" not in got  # never the answer of row 4 without its comment


def merged_answer_cells_xlsx() -> bytes:
    """MFA-01 (row 3) and BCP-01 (row 4) share the merged answer cell C3:C4."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(questionnaire_xlsx()))
    wb[SHEET].merge_cells("C3:C4")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_a_question_without_an_answer_cell_of_its_own_is_not_writable(api):
    client, headers = api
    r = upload(api, merged_answer_cells_xlsx())
    qid = r.json["id"]
    assert r.json["counts"]["not_writable"] == 1
    listed = client.get(f"{API}/questionnaires/{qid}/items", headers=headers).json["items"]
    items = {i["question_id"]: i for i in listed}
    r = patch(api, items["BCP-01"], answer="No", status="accepted")
    assert r.status_code == 400 and "not writable" in r.json["error"] and "C3" in r.json["error"]
    r = client.post(f"{API}/questionnaires/{qid}/accept", json={"min_tier": "review"}, headers=headers)
    assert r.json["skipped_not_writable"] == 1 and r.json["questionnaire"]["counts"]["answered"] == r.json["accepted"]
    listed = client.get(f"{API}/questionnaires/{qid}/items", headers=headers).json["items"]
    assert {i["question_id"]: i["status"] for i in listed}["BCP-01"] == "pending"
    got = cells(client.get(f"{API}/questionnaires/{qid}/export", headers=headers).data)
    assert got["C3"] == items["MFA-01"]["suggestion"]["answer"]  # the anchor keeps its own question's answer
    report = report_text(client.get(f"{API}/questionnaires/{qid}/export?format=report", headers=headers).data)
    assert "Not writable in the file" in report


@pytest.mark.parametrize("fmt", ["docx", "pdf", "csv"])
def test_export_wrong_format_is_400(api, uploaded, fmt):
    client, headers = api
    r = client.get(f"{API}/questionnaires/{uploaded[0]['id']}/export?format={fmt}", headers=headers)
    assert r.status_code == 400 and "format must be xlsx" in r.json["error"]


def test_export_with_the_stored_file_gone_is_409(api, uploaded, app):
    from pathlib import Path

    client, headers = api
    for f in Path(app.config["UPLOAD_FOLDER"]).rglob("*"):
        if f.is_file():
            f.unlink()
    r = client.get(f"{API}/questionnaires/{uploaded[0]['id']}/export?format=xlsx", headers=headers)
    assert r.status_code == 409 and r.json["error"]


# --- auth ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/questionnaires"),
        ("get", "/questionnaires"),
        ("get", "/questionnaires/1"),
        ("get", "/questionnaires/1/items"),
        ("patch", "/items/1"),
        ("post", "/questionnaires/1/accept"),
        ("get", "/questionnaires/1/export"),
    ],
)
def test_every_route_needs_a_token(client, method, path):
    r = getattr(client, method)(API + path)
    assert r.status_code == 401 and r.json["error"]
    r = getattr(client, method)(API + path, headers=bearer("ab_not-a-real-token"))
    assert r.status_code == 401


def test_session_cookie_does_not_open_the_api(sales_client):
    assert sales_client.get(f"{API}/questionnaires").status_code == 401


def test_sales_curator_and_admin_may_all_review(app, client, people):
    load_bank(app)
    for role in ("sales", "curator", "admin"):
        headers = bearer(token_for(app, people[role]))
        r = client.post(
            f"{API}/questionnaires", data={"file": (io.BytesIO(questionnaire_xlsx()), "v.xlsx")}, headers=headers
        )
        assert r.status_code == 201, (role, r.json)
        items = client.get(f"{API}/questionnaires/{r.json['id']}/items", headers=headers).json["items"]
        assert (
            client.patch(f"{API}/items/{items[0]['id']}", json={"status": "accepted"}, headers=headers).status_code
            == 200
        )


# --- a real questionnaire --------------------------------------------------------------


@pytest.mark.corpus
def test_hecvat4_blank_round_trip_through_the_api(app, client, corpus):
    from answers import bank
    from tests.auth_helpers import db

    with db(app) as s:
        bank.load_demo(session=s)
    headers = bearer(token_for(app, make_user(app, "sales@example.com", Role.sales)))
    name = "D3c3pt1c0nCyber_HECVAT v4.1.2 blank (app-uploads 2a3f479).xlsx"
    data = (corpus / "hecvat" / name).read_bytes()
    r = client.post(f"{API}/questionnaires", headers=headers, **multipart(data, name))
    assert r.status_code == 201, r.json
    assert r.json["family"] == "hecvat" and r.json["counts"]["questions"] > 250
    qid = r.json["id"]
    accepted = client.post(f"{API}/questionnaires/{qid}/accept", json={"min_tier": "high"}, headers=headers).json
    assert accepted["accepted"] > 0
    items = client.get(f"{API}/questionnaires/{qid}/items", headers=headers).json["items"]
    done = {(i["sheet"], i["question_id"]): i["answer"] for i in items if i["status"] == "accepted" and i["answer"]}
    assert done
    out = client.get(f"{API}/questionnaires/{qid}/export?format=xlsx", headers=headers)
    assert out.status_code == 200
    back = {(q.sheet, q.id): q.answer for q in importers.load(out.data, "completed.xlsx").questions}
    for key, answer in done.items():
        assert back[key] == answer, key
    untouched = [k for k, v in back.items() if k not in done and v]
    assert not untouched, untouched[:5]  # a blank file: nothing else was written


@pytest.mark.parametrize("assignee", ["not an email", "bob", "a@b", "two@words here.com"])
def test_assignee_must_be_an_email_address(api, uploaded, assignee):
    _, items = uploaded
    r = patch(api, items["BCP-01"], status="assigned", assignee=assignee)
    assert r.status_code == 400 and "email address" in r.json["error"]
    client, headers = api
    listed = client.get(f"{API}/questionnaires/{uploaded[0]['id']}/items", headers=headers).json["items"]
    item = next(i for i in listed if i["id"] == items["BCP-01"]["id"])
    assert (item["status"], item["assignee"]) == ("pending", None)


def test_pasted_line_breaks_become_newlines_and_other_control_characters_are_refused(api, uploaded, app):
    """A vertical tab (Word's line break, pasted) saved with 200 and then broke the download
    (409); NUL and ESC did the same. The bank's rule on entry text now holds for decisions."""
    client, headers = api
    q, items = uploaded
    r = patch(api, items["ENC-01"], comment="line one\x0bline two\x0cpage two\tand a tab", status="accepted")
    assert r.status_code == 200 and r.json["comment"] == "line one\nline two\npage two\tand a tab"
    # NUL is refused by the request guard (web/inputs.py) before the decision rule sees it
    for field, value, said in [
        ("comment", "nul\x00here", "comment: contains a NUL character (U+0000)"),
        ("answer", "esc\x1b[31m", "answer: contains the control character U+001B"),
    ]:
        r = patch(api, items["MFA-01"], **{field: value, "status": "accepted"})
        assert r.status_code == 400 and r.json["error"].startswith(said), r.json
    lone = client.patch(
        f"{API}/items/{items['MFA-01']['id']}",
        data='{"answer": "x \\ud800"}',
        headers=headers,
        content_type="application/json",
    )
    assert lone.status_code == 400 and "U+D800" in lone.json["error"]  # was a 500 on the database write
    page = signed_in_page(app)
    r = page.post(f"/questionnaires/{q['id']}/items/{items['MFA-01']['id']}", data={"comment": "bell\x07"})
    assert r.status_code == 303  # a plain form: the error is flashed on the review page
    assert "U+0007" in page.get(f"/questionnaires/{q['id']}").get_data(as_text=True)
    export = client.get(f"{API}/questionnaires/{q['id']}/export", headers=headers)
    assert export.status_code == 200 and cells(export.data)["D2"] == "line one\nline two\npage two\tand a tab"
    assert "C3" not in cells(export.data) and "D3" not in cells(export.data)


def signed_in_page(app):
    """A browser session of the api fixture's sales user."""
    from sqlmodel import select

    from answers.users import User
    from tests.auth_helpers import db, signed_in

    with db(app) as s:
        user = s.exec(select(User).where(User.email == "sales@example.com")).one()
    return signed_in(app, user)


@pytest.mark.parametrize(
    ("filename", "stem"),
    [
        ("vendor.xlsx", "vendor"),
        ("x.xlsx.exe", "x"),
        ("x.xlsx.xlsx", "x"),
        ("plan.v2.xlsx", "plan.v2"),
        ("A" * 500 + ".xlsx", "A" * 100),
        ("Fragebogen-" + "ä" * 120 + ".xlsx", "Fragebogen-" + "ä" * 69),  # 150 UTF-8 bytes
    ],
)
def test_download_names_drop_every_extension_and_stay_short(filename, stem):
    from answers.exporting import download_stem

    assert download_stem(filename) == stem


def test_an_upload_named_x_xlsx_exe_downloads_as_x_completed_and_long_names_are_capped(api):
    client, headers = api
    r = upload(api, filename="x.xlsx.exe")
    assert r.status_code == 201, r.json
    export = client.get(f"{API}/questionnaires/{r.json['id']}/export", headers=headers)
    assert "filename=x_completed.xlsx" in export.headers["Content-Disposition"]
    r = upload(api, filename="A" * 500 + ".xlsx")
    assert r.status_code == 201, r.json
    assert r.json["filename"] == "A" * 195 + ".xlsx"  # stored shortened, the extension kept
    export = client.get(f"{API}/questionnaires/{r.json['id']}/export", headers=headers)
    assert f"filename={'A' * 100}_completed.xlsx" in export.headers["Content-Disposition"]


def test_a_docx_with_tables_nested_too_deep_is_refused_in_plain_words(api):
    document = Document()
    table = document.add_table(rows=2, cols=3)
    for column, label in enumerate(("Question", "Answer", "Comments")):
        table.cell(0, column).text = label
    table.cell(1, 0).text = "Do you encrypt customer data at rest?"
    cell = table.cell(1, 2)
    for level in range(300):
        cell = cell.add_table(rows=1, cols=1).cell(0, 0)
        cell.text = f"level {level}"
    buf = io.BytesIO()
    document.save(buf)
    r = upload(api, buf.getvalue(), "nested.docx")
    assert r.status_code == 400
    assert "nests tables (or other parts) more than 255 levels deep" in r.json["error"]
    assert "XML_PARSE_HUGE" not in r.json["error"]


def test_bulk_accept_skips_a_suggestion_whose_entry_was_retired_since_the_upload(api, uploaded, app):
    # a curator retiring an entry withdraws its answer: the single accept refused it, bulk
    # accept wrote it anyway
    from answers import bank
    from answers.db import get_session

    client, headers = api
    q, items = uploaded
    with app.app_context():
        bank.retire(items["ENC-01"]["suggestion"]["entry_id"], session=get_session(), actor="cur@example.com")
    r = client.post(f"{API}/questionnaires/{q['id']}/accept", json={"min_tier": "exact"}, headers=headers)
    assert r.status_code == 200 and (r.json["accepted"], r.json["skipped_withdrawn"]) == (0, 1), r.json
    listed = client.get(f"{API}/questionnaires/{q['id']}/items", headers=headers).json["items"]
    enc = next(i for i in listed if i["question_id"] == "ENC-01")
    assert (enc["status"], enc["answer"]) == ("pending", None)


def test_a_suggestion_whose_entry_changed_since_matching_is_neither_bulk_nor_singly_accepted(api, uploaded, app):
    # a curator turning the entry's answer around after the upload: the page still shows
    # the old suggestion, and accepting it would send what the bank no longer says
    from answers import bank
    from answers.db import get_session
    from answers.models import EntryUpdate

    client, headers = api
    q, items = uploaded
    entry_id = items["ENC-01"]["suggestion"]["entry_id"]
    with app.app_context():
        bank.update_entry(entry_id, EntryUpdate(answer="No"), session=get_session(), actor="cur@example.com")
    r = client.post(f"{API}/questionnaires/{q['id']}/accept", json={"min_tier": "exact"}, headers=headers)
    assert (r.json["accepted"], r.json["skipped_withdrawn"]) == (0, 1), r.json
    r = patch(api, items["ENC-01"], status="accepted")
    assert r.status_code == 400 and "changed since this questionnaire was matched" in r.json["error"], r.json
    client.post(f"{API}/questionnaires/{q['id']}/resuggest", headers=headers)
    listed = client.get(f"{API}/questionnaires/{q['id']}/items", headers=headers).json["items"]
    enc = next(i for i in listed if i["question_id"] == "ENC-01")
    r = patch(api, enc, status="accepted")
    assert r.status_code == 200 and r.json["answer"] == "No", r.json


def test_a_suggestion_whose_entry_moved_to_another_product_since_matching_is_not_accepted(api, app):
    # a curator scoping an entry to another product after the upload: bulk accept and a
    # plain accept still wrote its answer into this product's questionnaire
    from answers import bank
    from answers.db import get_session
    from answers.models import EntryCreate, EntryUpdate

    client, headers = api
    with app.app_context():
        session = get_session()
        for name in ("Console", "Inference API"):
            bank.get_or_create_product(name, session=session)
        session.commit()
        entry = bank.create_entry(
            EntryCreate(
                question="Is multi-factor authentication enforced for administrator accounts?",
                answer="Yes",
                comment="Console admins use hardware keys.",
                status="approved",
                products=["Console"],
            ),
            session=session,
        )
    r = upload(api, product="Console")
    q = r.json
    items = {
        i["question_id"]: i for i in client.get(f"{API}/questionnaires/{q['id']}/items", headers=headers).json["items"]
    }
    assert items["MFA-01"]["suggestion"]["entry_id"] == entry.id and items["MFA-01"]["tier"] == "exact"
    with app.app_context():
        bank.update_entry(entry.id, EntryUpdate(products=["Inference API"]), session=get_session(), actor="cur")
    r = client.post(f"{API}/questionnaires/{q['id']}/accept", json={"min_tier": "exact"}, headers=headers)
    assert (r.json["accepted"], r.json["skipped_withdrawn"]) == (1, 1), r.json  # ENC-01 (company-wide) taken
    r = patch(api, items["MFA-01"], status="accepted")
    assert r.status_code == 400 and "answers for Inference API only" in r.json["error"], r.json
    listed = client.get(f"{API}/questionnaires/{q['id']}/items", headers=headers).json["items"]
    mfa = next(i for i in listed if i["question_id"] == "MFA-01")
    assert (mfa["status"], mfa["answer"]) == ("pending", None)


@pytest.mark.parametrize(
    ("filename", "download"), [("vendor.tsv", "vendor_completed.tsv"), ("q.TXT", "q_completed.txt")]
)
def test_a_tab_separated_questionnaire_downloads_with_its_own_extension(api, filename, download):
    # vendor.tsv came back as vendor_completed.csv: Excel opens a .csv by its list
    # separator, and the tab-separated answers landed in one column (autofill keeps .tsv)
    client, headers = api
    data = b"ID\tQuestion\tAnswer\tComments\r\nENC-01\tDo you encrypt customer data at rest?\t\t\r\n"
    r = upload(api, data, filename)
    assert r.status_code == 201, r.json
    export = client.get(f"{API}/questionnaires/{r.json['id']}/export", headers=headers)
    assert export.status_code == 200 and f"filename={download}" in export.headers["Content-Disposition"]
