"""Writability of a question (does the file have an answer cell of its own for it?):
what an accept checks and what it costs on a large questionnaire."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import event
from sqlmodel import Session

from answers import responding
from answers.db import get_engine
from tests.review_builders import QUESTIONS, SHEET, questionnaire_xlsx


def merged_xlsx(questions=QUESTIONS) -> bytes:
    """Rows 3 and 4 (the second and third question) share the merged answer cell C3:C4."""
    wb = load_workbook(io.BytesIO(questionnaire_xlsx(questions)))
    wb[SHEET].merge_cells("C3:C4")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def ingest(app, data: bytes) -> int:
    with Session(get_engine(app), expire_on_commit=False) as s:
        q = responding.ingest(
            data, "vendor.xlsx", session=s, actor="t", upload_folder=app.config["UPLOAD_FOLDER"], max_bytes=10**8
        )
        return q.id  # type: ignore[return-value]


def item_ids(app, qid: int) -> list[int]:
    with Session(get_engine(app)) as s:
        return [i.id for i in responding.list_items(qid, session=s)]  # type: ignore[misc]


def test_an_accept_on_a_large_questionnaire_reads_only_its_own_item(app):
    """An accept used to load and parse every item of the questionnaire (1,000 item rows
    with their suggestions for each click); it loads the one item decided."""
    questions = [(f"Q-{i:03d}", f"Question number {i} about controls?") for i in range(300)]
    qid = ingest(app, merged_xlsx(questions))
    ids = item_ids(app, qid)
    engine = get_engine(app)
    for item_id in ids[10:13]:
        statements: list[str] = []

        def log(_conn, _cursor, statement, _params, _context, _many, statements=statements):
            statements.append(statement)

        with Session(engine) as s:
            event.listen(engine, "before_cursor_execute", log)
            try:
                responding.decide(item_id, responding.Decision(answer="Yes", status="accepted"), session=s, actor="t")
            finally:
                event.remove(engine, "before_cursor_execute", log)
        whole_items = [x for x in statements if "FROM item" in x and "item.suggested_answer" in x]
        assert whole_items and all("WHERE item.id = " in x for x in whole_items), whole_items


def test_the_accept_still_refuses_a_question_without_its_own_cell_and_takes_the_others(app):
    qid = ingest(app, merged_xlsx())
    first, second, third, _fourth = item_ids(app, qid)
    with Session(get_engine(app)) as s:
        for item_id in (first, second):
            responding.decide(item_id, responding.Decision(answer="Yes", status="accepted"), session=s, actor="t")
        try:
            responding.decide(third, responding.Decision(answer="No", status="accepted"), session=s, actor="t")
        except responding.DecisionError as exc:
            assert "not writable" in str(exc) and "C3" in str(exc)
        else:
            raise AssertionError("the third question shares C3 with the second: its accept must be refused")
        assert responding.answered_count(qid, session=s) == 2


def test_a_reused_questionnaire_id_never_gets_another_uploads_answer(app, people):
    """SQLite reuses the highest id after a delete: what is known about a questionnaire's
    cells belongs to its upload, not its id."""
    qid = ingest(app, merged_xlsx())
    with Session(get_engine(app)) as s:
        assert len(responding.unwritable_in(qid, session=s)) == 1
        responding.delete_questionnaire(qid, session=s, user=people["admin"], upload_folder=app.config["UPLOAD_FOLDER"])
    again = ingest(app, questionnaire_xlsx())
    with Session(get_engine(app)) as s:
        if again == qid:
            assert responding.unwritable_in(again, session=s) == {}
        items = responding.list_items(again, session=s)
        assert responding.unwritable_in(again, session=s) == responding.unwritable(items)
        for item_id in (i.id for i in items):
            responding.decide(item_id, responding.Decision(answer="Yes", status="accepted"), session=s, actor="t")
        assert responding.answered_count(again, session=s) == 4


def test_api_items_say_whether_they_are_writable_and_why_not(app, client, people):
    from tests.auth_helpers import bearer, token_for

    headers = bearer(token_for(app, people["sales"]))
    r = client.post("/api/v1/questionnaires", data={"file": (io.BytesIO(merged_xlsx()), "v.xlsx")}, headers=headers)
    qid = r.json["id"]
    listed = client.get(f"/api/v1/questionnaires/{qid}/items", headers=headers).json["items"]
    by_id = {i["question_id"]: i for i in listed}
    assert [i["writable"] for i in listed] == [True, True, False, True]
    assert all(i["not_writable_reason"] is None for i in listed if i["writable"])
    reason = by_id["BCP-01"]["not_writable_reason"]
    assert "merged cell C3" in reason and "MFA-01" in reason
    # the item answered by PATCH says the same
    r = client.patch(f"/api/v1/items/{by_id['BCP-01']['id']}", json={"status": "needs_review"}, headers=headers)
    assert r.status_code == 200 and r.json["writable"] is False and r.json["not_writable_reason"] == reason
    r = client.patch(f"/api/v1/items/{by_id['ENC-01']['id']}", json={"status": "needs_review"}, headers=headers)
    assert r.json["writable"] is True and r.json["not_writable_reason"] is None
