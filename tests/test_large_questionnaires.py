"""What a large questionnaire costs outside the matcher: the upload inserts its items in a
batch, a question asked again is matched once, and "Match again" writes only the items
whose suggestion changed (bench/bench_scale.py prints the times)."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import event, update
from sqlmodel import Session, col

import importers
from answers import bank, responding
from answers.db import get_engine
from answers.matching import BankIndex
from answers.models import EntryUpdate, Item, ItemStatus
from answers.suggest import invalidate, suggest_for
from tests.questionnaire_builders import one_question
from tests.review_builders import QUESTIONS, load_bank, questionnaire_xlsx


def _ingest(app, data: bytes, filename: str = "vendor.xlsx") -> int:
    with Session(get_engine(app), expire_on_commit=False) as s:
        q = responding.ingest(
            data, filename, session=s, actor="t", upload_folder=app.config["UPLOAD_FOLDER"], max_bytes=10**8
        )
        return q.id  # type: ignore[return-value]


def _items(app, qid: int) -> list[Item]:
    with Session(get_engine(app), expire_on_commit=False) as s:
        return responding.list_items(qid, session=s)


def _statements(app, action) -> list[str]:
    engine = get_engine(app)
    seen: list[str] = []

    def log(_conn, _cursor, statement, _params, _context, _many) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", log)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", log)
    return seen


def test_stored_items_read_back_as_the_questions_the_importer_found(app):
    load_bank(app)
    data = questionnaire_xlsx()
    qid = _ingest(app, data)
    parsed = importers.load(data, "vendor.xlsx")
    items = _items(app, qid)
    assert [responding.question_of(i) for i in items] == parsed.questions
    assert [i.position for i in items] == list(range(len(QUESTIONS)))
    assert all(i.status == ItemStatus.pending and i.lock_version == 1 and i.answer is None for i in items)
    assert items[0].tier == "exact" and items[0].suggested_answer == "Yes" and items[0].entry_id is not None


@pytest.mark.corpus
def test_a_mark_layout_reads_back_as_found(app, corpus):
    """CAIQ 3 answers by an x under Yes / No / N/A: the marks' cells survive the insert."""
    data = (corpus / "caiq" / "metanorma_csa-caiq-v3.0.1-09-01-2017.xlsx").read_bytes()
    qid = _ingest(app, data, "caiq.xlsx")
    parsed = importers.load(data, "caiq.xlsx")
    assert any(q.mark_cells for q in parsed.questions)
    assert [responding.question_of(i) for i in _items(app, qid)] == parsed.questions


def test_an_upload_inserts_its_items_in_one_batch(app):
    load_bank(app)
    questions = [(f"Q-{n:03d}", f"Question number {n} about the controls you keep?") for n in range(300)]
    statements = _statements(app, lambda: _ingest(app, questionnaire_xlsx(questions)))
    writes = [s for s in statements if s.lstrip().upper().startswith(("INSERT INTO ITEM", "UPDATE ITEM"))]
    # SQLite takes a few hundred rows per multi-row INSERT; one statement per item before
    assert 1 <= len(writes) <= 10, len(writes)
    assert not [s for s in writes if s.lstrip().upper().startswith("UPDATE")]


def test_a_question_asked_again_is_matched_once_and_suggested_alike(app, session, monkeypatch):
    load_bank(app)
    first = dataclasses.replace(one_question(QUESTIONS[0][1]), id="A-1")
    again = dataclasses.replace(first, id="A-2", row=40)  # a home-made file numbers it anew
    other = one_question(QUESTIONS[1][1])
    alone = suggest_for([first, other], version_line="generic", product=None, session=session)
    matched: list[int] = []
    original = BankIndex.match

    def counting(self, queries, product=None, **kwargs):
        matched.append(len(queries))
        return original(self, queries, product=product, **kwargs)

    monkeypatch.setattr(BankIndex, "match", counting)
    together = suggest_for([first, other, again], version_line="generic", product=None, session=session)
    assert matched == [2]
    assert together == [*alone, alone[0]]
    # where ids keep their meaning (a HECVAT's), the same text under another id is another question
    suggest_for([first, again], version_line="hecvat-4", product=None, session=session)
    assert matched == [2, 2]
    # a cell with other values, or no comment cell, is fitted for itself
    no_comment = dataclasses.replace(first, comment_cell=None)
    free_text = dataclasses.replace(first, choices=())
    suggest_for([first, no_comment, free_text], version_line="generic", product=None, session=session)
    assert matched == [2, 2, 3]


def test_match_again_writes_only_changed_items_and_keeps_a_decision_made_meanwhile(app, monkeypatch):
    entry_ids = load_bank(app)
    qid = _ingest(app, questionnaire_xlsx())
    before = {i.question_id: i for i in _items(app, qid)}
    with Session(get_engine(app), expire_on_commit=False) as s:
        for entry_id in entry_ids[:2]:  # the bank now answers ENC-01 and MFA-01 No
            bank.update_entry(entry_id, EntryUpdate(answer="No"), session=s, actor="cur@example.com")
    invalidate()
    decided = before["MFA-01"]

    def decided_meanwhile(*args, **kwargs):
        found = suggest_for(*args, **kwargs)
        # another reviewer accepts MFA-01 after Match again read it, before it writes
        kwargs["session"].execute(
            update(Item)
            .where(col(Item.id) == decided.id)
            .values(status=ItemStatus.accepted, answer="Ours", lock_version=Item.lock_version + 1)
        )
        return found

    monkeypatch.setattr(responding, "suggest_for", decided_meanwhile)
    with Session(get_engine(app), expire_on_commit=False) as s:
        statements = _statements(app, lambda: responding.resuggest(qid, session=s, actor="cur@example.com"))
    after = {i.question_id: i for i in _items(app, qid)}
    enc = after["ENC-01"]
    assert (enc.suggested_answer, enc.lock_version) == ("No", before["ENC-01"].lock_version + 1)
    mfa = after["MFA-01"]
    assert (mfa.status, mfa.answer, mfa.lock_version) == (ItemStatus.accepted, "Ours", decided.lock_version + 1)
    assert mfa.suggested_answer == decided.suggested_answer == "Yes"
    # the unchanged items are not written: one UPDATE statement (an executemany) for them all
    updates = [s for s in statements if s.lstrip().upper().startswith("UPDATE ITEM")]
    assert len(updates) == 2, updates  # the reviewer's, then Match again's
    for question_id in ("BCP-01", "PHY-01"):
        kept = after[question_id]
        assert (kept.suggested_answer, kept.tier, kept.lock_version) == (
            before[question_id].suggested_answer,
            before[question_id].tier,
            before[question_id].lock_version,
        )
