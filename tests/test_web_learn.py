"""Learning a completed questionnaire from the browser (/bank/learn) and the API
(POST /api/v1/bank/learn): a preview that writes nothing, then what `flask bank learn` does."""

from __future__ import annotations

import io
import re

from sqlmodel import select

from answers import bank
from answers.models import Entry, EntryCreate, EntryStatus
from tests.auth_helpers import bearer, make_user, signed_in, token_for
from tests.questionnaire_builders import questionnaire_xlsx

COMPLETED = [
    ("SEC-01", "Do you encrypt customer data at rest?", "Yes", "AES-256 with AWS KMS."),
    ("SEC-02", "Do you require multi-factor authentication for administrative access?", "Yes", "Okta."),
    ("SEC-03", "Do you store customer data on removable media?", "No", "Prohibited by policy."),
    ("SEC-04", "Describe your approach to quantum tunnelling.", None, None),
]


def _entries(session) -> list[Entry]:
    session.expire_all()
    return list(session.exec(select(Entry).order_by(Entry.id)))


def _preview(client, data: bytes, name: str = "acme-completed.xlsx", **fields):
    return client.post(
        "/bank/learn", data={"file": (io.BytesIO(data), name), **fields}, content_type="multipart/form-data"
    )


def _token(page: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', page).group(1)


def test_the_preview_writes_nothing_and_confirm_learns_like_the_cli(curator_client, session):
    bank.create_entry(
        EntryCreate(question="Do you store customer data on removable media?", answer="Yes"),
        session=session,
        actor="t",
    )
    response = _preview(curator_client, questionnaire_xlsx(COMPLETED), status="draft")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    # 3 answered: 2 new, the third disagrees with the bank's Yes; the unanswered one skipped
    assert "<strong>3</strong> answered" in page and "2 new, 0 merged" in page
    assert "1 answer disagrees with the bank" in page and "1 unanswered skipped" in page
    assert "Learn 3 answer(s)" in page and "AES-256 with AWS KMS." in page
    assert len(_entries(session)) == 1  # nothing written yet

    done = curator_client.post("/bank/learn/confirm", data={"token": _token(page)})
    assert done.status_code == 303
    entries = _entries(session)
    assert [e.question for e in entries[1:]] == [q for _, q, a, _ in COMPLETED if a]
    assert all(e.status == EntryStatus.draft and e.source == "acme-completed.xlsx" for e in entries[1:])
    assert entries[1].question_id == "SEC-01" and entries[1].comment == "AES-256 with AWS KMS."
    assert entries[0].conflict and entries[3].conflict  # both answers kept, both flagged
    # the token is used once
    assert curator_client.post("/bank/learn/confirm", data={"token": _token(page)}).status_code == 400
    assert len(_entries(session)) == 4


def test_learning_for_a_product_scopes_the_entries(curator_client, session):
    page = _preview(curator_client, questionnaire_xlsx(COMPLETED), product="Console").get_data(as_text=True)
    assert "for product <strong>Console</strong>" in page
    assert curator_client.post("/bank/learn/confirm", data={"token": _token(page)}).status_code == 303
    entries = _entries(session)
    assert len(entries) == 3 and all(e.status == EntryStatus.approved for e in entries)
    assert all(bank.entry_products(e.id, session=session) == ["Console"] for e in entries)


def test_a_tampered_or_foreign_token_learns_nothing(app, curator_client, session):
    page = _preview(curator_client, questionnaire_xlsx(COMPLETED)).get_data(as_text=True)
    token = _token(page)
    tampered = curator_client.post("/bank/learn/confirm", data={"token": token[:-2] + "xx"})
    assert tampered.status_code == 400 and "expired or was altered" in tampered.get_data(as_text=True)
    other = signed_in(app, make_user(app, "curator2@example.com", "curator"))
    foreign = other.post("/bank/learn/confirm", data={"token": token})
    assert foreign.status_code == 400 and "belongs to someone else" in foreign.get_data(as_text=True)
    assert _entries(session) == []


def test_a_blank_template_is_refused_unless_asked_and_keeps_the_choices(curator_client, session):
    rows = [(f"Q-{i}", f"Do you have control number {i} in place?", None, None) for i in range(30)]
    rows[0] = ("Q-0", rows[0][1], "No", None)  # one preset value: 1 of 30 answered
    data = questionnaire_xlsx(rows)
    refused = _preview(curator_client, data, product="Console", status="draft")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "only 1 of 30 questions are answered" in page and "by ticking the box below" in page
    assert page.count("only 1 of 30") == 1  # said once, not by the layout again
    assert "--partial" not in page
    assert 'value="Console"' in page and "<option selected>draft</option>" in page
    asked = _preview(curator_client, data, partial="1")
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Few of its questions are answered (1 of 30)" in page
    assert curator_client.post("/bank/learn/confirm", data={"token": _token(page)}).status_code == 303
    assert [e.question for e in _entries(session)] == [rows[0][1]]


def test_files_that_are_not_questionnaires_are_refused_in_plain_words(curator_client, session):
    empty = _preview(curator_client, b"", name="empty.xlsx")
    assert empty.status_code == 400 and "error-box" in empty.get_data(as_text=True)
    pdf = _preview(curator_client, b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n", name="answers.xlsx")
    assert pdf.status_code == 422 and "not a questionnaire format" in pdf.get_data(as_text=True)
    nothing = curator_client.post("/bank/learn", data={}, content_type="multipart/form-data")
    assert nothing.status_code == 400 and "choose a completed questionnaire" in nothing.get_data(as_text=True)
    bad_status = _preview(curator_client, questionnaire_xlsx(COMPLETED), status="retired")
    assert bad_status.status_code == 400 and "status must be approved or draft" in bad_status.get_data(as_text=True)
    assert _entries(session) == []


def test_sales_may_not_learn(sales_client, session):
    assert sales_client.get("/bank/learn").status_code == 403
    assert _preview(sales_client, questionnaire_xlsx(COMPLETED)).status_code == 403
    assert _entries(session) == []


def test_the_bank_page_links_to_learning_for_curators(curator_client, sales_client):
    assert "/bank/learn" in curator_client.get("/bank/").get_data(as_text=True)
    assert "/bank/learn" not in sales_client.get("/bank/").get_data(as_text=True)


def test_api_learns_and_answers_with_counts(app, people, session):
    client = app.test_client()
    headers = bearer(token_for(app, people["curator"]))
    response = client.post(
        "/api/v1/bank/learn",
        data={"file": (io.BytesIO(questionnaire_xlsx(COMPLETED)), "acme.xlsx"), "status": "draft"},
        headers=headers,
    )
    assert response.status_code == 201
    body = response.get_json()
    assert (body["created"], body["merged"], body["conflicts"], body["skipped"]) == (3, 0, 0, 1)
    assert body["entry_ids"] == [e.id for e in _entries(session)]
    again = client.post(
        "/api/v1/bank/learn", data={"file": (io.BytesIO(questionnaire_xlsx(COMPLETED)), "acme.xlsx")}, headers=headers
    )
    assert again.status_code == 201 and (again.get_json()["created"], again.get_json()["merged"]) == (0, 3)


def test_api_refusals_are_json_with_a_status(app, people, session):
    client = app.test_client()
    curator = bearer(token_for(app, people["curator"]))
    rows = [(f"Q-{i}", f"Do you have control number {i} in place?", None, None) for i in range(30)]
    rows[0] = ("Q-0", rows[0][1], "No", None)
    blank = client.post(
        "/api/v1/bank/learn", data={"file": (io.BytesIO(questionnaire_xlsx(rows)), "blank.xlsx")}, headers=curator
    )
    assert blank.status_code == 400 and "with partial=1" in blank.get_json()["error"]
    misspelt = client.post(
        "/api/v1/bank/learn",
        data={"file": (io.BytesIO(questionnaire_xlsx(rows)), "blank.xlsx"), "partial": "sure"},
        headers=curator,
    )
    assert misspelt.status_code == 400 and "partial: 1 or 0" in misspelt.get_json()["error"]
    junk = client.post("/api/v1/bank/learn", data={"file": (io.BytesIO(b"junk"), "x.xlsx")}, headers=curator)
    assert junk.status_code == 422 and "not a questionnaire format" in junk.get_json()["error"]
    missing = client.post("/api/v1/bank/learn", data={}, headers=curator)
    assert missing.status_code == 400 and "choose a completed questionnaire" in missing.get_json()["error"]
    sales = client.post(
        "/api/v1/bank/learn",
        data={"file": (io.BytesIO(questionnaire_xlsx(COMPLETED)), "acme.xlsx")},
        headers=bearer(token_for(app, people["sales"])),
    )
    assert sales.status_code == 403
    assert _entries(session) == []


def test_the_preview_counts_what_learning_then_does_with_a_question_asked_twice(session):
    from answers.learn import learn, plan_learn
    from importers import load

    rows = [*COMPLETED, ("SEC-05", "Do you encrypt customer data at rest?", "No", "Asked again, answered No.")]
    rows.append(("SEC-06", "Do you store customer data on removable media?", "No", None))
    parsed = load(questionnaire_xlsx(rows), "twice.xlsx")
    plan = plan_learn(parsed, session=session)
    assert [action for action, _ in plan.rows] == ["new", "new", "new", "conflict", "merged"]
    result = learn(parsed, session=session, source="twice.xlsx")
    assert (result.created, result.conflicts, result.merged) == (
        plan.count("new"),
        plan.count("conflict"),
        plan.count("merged"),
    )


def test_an_answer_longer_than_an_entry_holds_is_refused_by_the_preview_in_words(app, people, curator_client, session):
    # the preview promised to learn it, the confirm (and the API) then failed with pydantic's
    # "1 validation error for EntryCreate", the CLI with a traceback
    rows = [*COMPLETED[:2], ("SEC-09", "Describe your security programme.", None, "x" * 8001)]
    data = questionnaire_xlsx(rows)
    said = "the comment is 8,001 characters, at most 8,000"
    preview = _preview(curator_client, data)
    page = preview.get_data(as_text=True)
    assert preview.status_code == 400 and "Vendor Security row 4 (SEC-09): " + said in page
    assert 'name="token"' not in page and "validation error" not in page
    api = app.test_client().post(
        "/api/v1/bank/learn",
        data={"file": (io.BytesIO(data), "long.xlsx")},
        headers=bearer(token_for(app, people["curator"])),
    )
    assert api.status_code == 400 and said in api.get_json()["error"]
    assert "nothing learned" in api.get_json()["error"]
    long_question = [("SEC-10", "Do you " + "really " * 700 + "encrypt?", "Yes", None)]
    assert "the question is 4,9" in _preview(curator_client, questionnaire_xlsx(long_question)).get_data(as_text=True)
    assert _entries(session) == []


def test_the_cli_refuses_an_overlong_answer_in_one_line(runner, session, tmp_path):
    path = tmp_path / "long.xlsx"
    path.write_bytes(questionnaire_xlsx([("SEC-09", "Describe your security programme.", None, "x" * 8001)]))
    result = runner.invoke(args=["bank", "learn", str(path)])
    assert result.exit_code == 2 and "at most 8,000" in result.output and "Traceback" not in result.output
    path.write_bytes(questionnaire_xlsx(COMPLETED))
    too_long_source = runner.invoke(args=["bank", "learn", str(path), "--source", "s" * 501])
    assert too_long_source.exit_code == 2 and "source: at most 500 characters" in too_long_source.output
    assert _entries(session) == []
