"""A question nothing matches well enough to write still shows the reviewer the entries the
matcher ranked first ("weak candidates"): never written, never bulk-accepted, one click
to take (the way questionnaires of a new family get answered, and then learned)."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from answers import bank, curation, responding
from answers.embeddings import load_default_embedder
from answers.matching import Query
from answers.models import Entry, EntryCreate, Item
from answers.suggest import bank_index, invalidate, suggest_for
from importers.base import CellRef, Question
from tests.auth_helpers import db
from tests.review_builders import BANK, SHEET, multipart, questionnaire_xlsx

BACKUPS = "Do you encrypt backups stored offsite on tape?"  # near "encrypt customer data at rest", not it
LOGOUT = "Does the product have automatic logout functionality?"
INACTIVITY = "Does your application automatically lock the session or log out an account after a period of inactivity?"


def _question(text: str) -> Question:
    return Question(
        sheet=SHEET,
        row=2,
        id="Q-01",
        text=text,
        answer_cell=CellRef(SHEET, 2, 3),
        comment_cell=CellRef(SHEET, 2, 4),
        choices=("1) Yes", "2) No"),
    )


def _seed(session, *extra: EntryCreate) -> dict[str, int]:
    invalidate()
    ids = bank.import_entries([*BANK, *extra], session=session).entry_ids
    return {e.question: e.id for e in session.exec(select(Entry).where(Entry.id.in_(ids))).all()}


def test_weak_candidates_are_the_matchers_ranking_fitted_to_the_cell_and_never_written(session):
    ids = _seed(session)
    [s] = suggest_for([_question(BACKUPS)], version_line="generic", product=None, session=session)
    assert (s.tier, s.entry_id, s.answer, s.comment) == ("none", None, None, None)
    assert "weak candidates" in s.note
    index, _ = bank_index(session)
    [ranked] = index.match([Query(BACKUPS)])
    expected = [(ranked.entry_id, ranked.score)] + [(a.entry_id, a.score) for a in ranked.alternatives]
    assert [(a.entry_id, a.score) for a in s.alternatives] == [(i, float(sc)) for i, sc in expected if sc > 0]
    top = s.alternatives[0]
    assert top.entry_id == ids["Do you encrypt customer data at rest?"]
    # the cell's own spelling of the verdict, and the entry's comment for the comment cell
    assert (top.tier, top.answer, top.comment) == ("none", "1) Yes", "AES-256")
    assert all(a.tier == "none" for a in s.alternatives)


def test_a_question_with_no_candidate_at_all_lists_none(session):
    _seed(session)
    [s] = suggest_for(
        [_question("How many parking spaces does your headquarters have for visitors?")],
        version_line="generic",
        product=None,
        session=session,
    )
    assert (s.tier, s.alternatives, s.note) == ("none", [], "")  # every entry scored 0: nothing to offer


@pytest.fixture
def backups_upload(app, sales_client):
    with db(app) as s:
        ids = _seed(s)
    data = questionnaire_xlsx([("ENC-01", "Do you encrypt customer data at rest?"), ("BAK-01", BACKUPS)])
    r = sales_client.post("/questionnaires/upload", **multipart(data, "vendor.xlsx"))
    assert r.status_code == 303
    return int(r.headers["Location"].rstrip("/").rsplit("/", 1)[-1]), ids


def _item(app, qid: int, question_id: str) -> Item:
    with db(app) as s:
        return s.exec(select(Item).where(Item.questionnaire_id == qid, Item.question_id == question_id)).one()


def test_weak_candidates_are_not_bulk_accepted_nor_exported(app, sales_client, backups_upload):
    qid, ids = backups_upload
    page = sales_client.get(f"/questionnaires/{qid}").get_data(as_text=True)
    assert "weak candidate(s): not written, use one only if it asks the same thing" in page
    assert "No good match in the bank: left empty." in page
    r = sales_client.post(f"/questionnaires/{qid}/accept", data={"min_tier": "high"})  # the page's lowest
    assert r.status_code == 303
    with db(app) as s:  # the API's lowest tier
        responding.accept_all(qid, session=s, actor="test", min_tier="review")
    item = _item(app, qid, "BAK-01")
    assert (item.status.value, item.answer, item.entry_id) == ("pending", None, None)
    assert ids["Do you encrypt customer data at rest?"] in {a["entry_id"] for a in item.alternatives}
    exported = sales_client.get(f"/questionnaires/{qid}/export")
    assert exported.status_code == 200
    ws = load_workbook(io.BytesIO(exported.data))[SHEET]
    assert ws["C2"].value == "Yes" and ws["C3"].value is None  # the exact match only


def test_a_reviewer_takes_a_weak_candidate_and_it_is_exported(app, sales_client, backups_upload):
    qid, ids = backups_upload
    item = _item(app, qid, "BAK-01")
    entry_id = ids["Do you encrypt customer data at rest?"]
    r = sales_client.post(
        f"/questionnaires/{qid}/items/{item.id}",
        json={"entry_id": entry_id, "status": "accepted", "lock_version": item.lock_version},
        headers={"Accept": "application/json"},
    )
    assert r.status_code == 200, r.get_json()
    item = _item(app, qid, "BAK-01")
    assert (item.status.value, item.entry_id, item.answer, item.comment) == ("accepted", entry_id, "Yes", "AES-256")
    ws = load_workbook(io.BytesIO(sales_client.get(f"/questionnaires/{qid}/export").data))[SHEET]
    assert (ws["C3"].value, ws["D3"].value) == ("Yes", "AES-256")
    # a person matched it: the wording goes to the curators
    with db(app) as s:
        assert [(c.entry.id, c.text) for c in curation.confirmed_wordings(session=s)] == [(entry_id, BACKUPS)]


def test_across_wordings_the_right_entry_is_offered_then_learned(app, sales_client, curator_client):
    """With the model: "automatic logout" scores far below review against "lock or log out
    after inactivity", yet it is the first weak candidate; taken, confirmed and added as
    an alternate, the next questionnaire asking it is answered exactly."""
    if load_default_embedder() is None:
        pytest.skip(
            "no embedding model (not installed, or ANSWERBANK_EMBEDDINGS=off): lexical mode cannot rank this pair"
        )
    with db(app) as s:
        ids = _seed(s, EntryCreate(question=INACTIVITY, answer="Yes", comment="After 30 minutes"))
    data = questionnaire_xlsx([("LOG-01", LOGOUT)])
    r = sales_client.post("/questionnaires/upload", **multipart(data, "customer.xlsx"))
    qid = int(r.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    item = _item(app, qid, "LOG-01")
    assert (item.tier, item.entry_id) == ("none", None) and item.score < 50
    assert item.alternatives[0]["entry_id"] == ids[INACTIVITY]
    r = sales_client.post(
        f"/questionnaires/{qid}/items/{item.id}",
        json={"entry_id": ids[INACTIVITY], "status": "accepted", "lock_version": item.lock_version},
        headers={"Accept": "application/json"},
    )
    assert r.status_code == 200
    assert curator_client.post(f"/bank/{ids[INACTIVITY]}/alternates", data={"text": LOGOUT}).status_code == 303
    r = sales_client.post("/questionnaires/upload", **multipart(data, "customer-2.xlsx"))
    again = _item(app, int(r.headers["Location"].rstrip("/").rsplit("/", 1)[-1]), "LOG-01")
    assert (again.tier, again.entry_id, again.suggested_answer) == ("exact", ids[INACTIVITY], "Yes")
