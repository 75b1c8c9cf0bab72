"""Question vectors are stored with their questionnaire: matching it again (Match again,
another process, a restart) reads them instead of running the model, and they go when
the questionnaire goes."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from sqlmodel import select

from answers import bank, responding, retention, suggest
from answers.matching import embed_text, text_hash
from answers.models import EntryCreate, Questionnaire, QuestionVector, Role, User
from tests.questionnaire_builders import questionnaire_xlsx
from tests.test_bank_vectors import CountingEmbedder

BANK = [
    EntryCreate(question="Is customer data encrypted at rest?", answer="Yes"),
    EntryCreate(question="Do you require MFA for administrative access?", answer="Yes"),
]
ROWS = [
    ("1", "Is customer data encrypted at rest?", None, None),  # worded like the bank: its vector serves
    ("2", "Do you encrypt stored customer data?", None, None),
    ("3", "Is MFA required for admins?", None, None),
    ("4", "Do you encrypt stored customer data?", None, None),  # asked twice: one vector
]
NEW_TEXTS = ["Do you encrypt stored customer data?", "Is multi-factor authentication required for admins?"]


def restart(monkeypatch) -> CountingEmbedder:
    """A new process: a fresh embedder with an empty query cache and no index built."""
    emb = CountingEmbedder()
    monkeypatch.setattr(suggest, "_embedder", emb)
    suggest.invalidate()
    return emb


@pytest.fixture
def fake(monkeypatch, session) -> CountingEmbedder:
    emb = restart(monkeypatch)
    bank.import_entries(BANK, session=session)
    session.commit()
    emb.calls.clear()
    yield emb
    suggest.invalidate()


def upload(app, session, rows=ROWS, name="vendor.xlsx") -> Questionnaire:
    q = responding.ingest(
        questionnaire_xlsx(rows),
        name,
        session=session,
        actor="se@example.com",
        upload_folder=app.config["UPLOAD_FOLDER"],
        max_bytes=5_000_000,
    )
    session.commit()
    return q


def stored(session, questionnaire_id: int | None = None) -> dict[str, np.ndarray]:
    query = select(QuestionVector)
    if questionnaire_id is not None:
        query = query.where(QuestionVector.questionnaire_id == questionnaire_id)
    return {v.text_hash: np.frombuffer(v.vector, dtype=np.float32) for v in session.exec(query)}


def suggestions(session, questionnaire_id: int) -> list[tuple]:
    return [
        (i.entry_id, i.score, i.tier, i.suggested_answer)
        for i in responding.list_items(questionnaire_id, session=session)
    ]


def test_an_upload_stores_the_vectors_it_computed_and_no_others(app, session, fake):
    q = upload(app, session)
    assert sorted(fake.encoded) == sorted(NEW_TEXTS)
    kept = stored(session, q.id)
    assert set(kept) == {text_hash(t) for t in NEW_TEXTS}  # not the bank's wording, once each
    for t in NEW_TEXTS:
        assert np.allclose(kept[text_hash(t)], fake.encode([embed_text(t)])[0])
    assert {v.model for v in session.exec(select(QuestionVector))} == {fake.name}


def test_match_again_after_a_restart_runs_no_model_and_suggests_the_same(app, session, fake, monkeypatch):
    q = upload(app, session)
    before = suggestions(session, q.id)
    assert any(entry_id is not None for entry_id, *_ in before)
    again = restart(monkeypatch)
    responding.resuggest(q.id, session=session, actor="se@example.com")
    session.commit()
    assert again.calls == []
    assert suggestions(session, q.id) == before
    assert len(stored(session)) == len(NEW_TEXTS)  # read, not stored a second time


def test_another_questionnaire_reads_the_stored_vectors(app, session, fake, monkeypatch):
    upload(app, session)
    again = restart(monkeypatch)
    second = upload(app, session, rows=[*ROWS, ("5", "Do you keep audit logs?", None, None)], name="again.xlsx")
    assert again.encoded == ["Do you keep audit logs?"]
    assert set(stored(session, second.id)) == {text_hash("Do you keep audit logs?")}


def test_autofill_reads_stored_vectors_and_stores_none(app, session, fake, monkeypatch):
    upload(app, session)
    count = len(stored(session))
    again = restart(monkeypatch)
    result = responding.autofill(
        questionnaire_xlsx([*ROWS, ("5", "Do you keep audit logs?", None, None)]),
        "vendor.xlsx",
        session=session,
        max_bytes=5_000_000,
    )
    assert len(result.report) == 5
    assert again.encoded == ["Do you keep audit logs?"]
    assert len(stored(session)) == count  # autofill keeps nothing of the file


def test_deleting_a_questionnaire_deletes_its_vectors_only(app, session, fake, monkeypatch):
    first = upload(app, session)
    other = upload(app, session, rows=[("1", "Do you keep audit logs?", None, None)], name="other.xlsx")
    curator = User(email="curator@example.com", role=Role.curator)
    session.add(curator)
    responding.delete_questionnaire(first.id, session=session, user=curator, upload_folder=app.config["UPLOAD_FOLDER"])
    session.commit()
    assert set(stored(session)) == {text_hash("Do you keep audit logs?")}
    assert set(stored(session, other.id)) == {text_hash("Do you keep audit logs?")}
    # a questionnaire that had read the deleted vectors computes them again, once
    third_rows = [("1", "Do you encrypt stored customer data?", None, None)]
    again = restart(monkeypatch)
    third = upload(app, session, rows=third_rows, name="third.xlsx")
    assert again.encoded == ["Do you encrypt stored customer data?"]
    assert set(stored(session, third.id)) == {text_hash("Do you encrypt stored customer data?")}


def test_the_retention_purge_takes_the_vectors_with_the_questionnaire(app, session, fake):
    q = upload(app, session)
    assert stored(session, q.id)
    later = q.uploaded_at + dt.timedelta(days=31)
    purged = retention.purge(session, days=30, upload_folder=app.config["UPLOAD_FOLDER"], now=later)
    assert [e.id for e in purged] == [q.id]
    assert stored(session) == {}


def test_lexical_matching_stores_no_question_vectors(app, session, monkeypatch):
    monkeypatch.setattr(suggest, "_embedder", None)
    suggest.invalidate()
    bank.import_entries(BANK, session=session)
    q = upload(app, session)
    assert suggestions(session, q.id)[0][0] is not None  # matched, lexically
    assert stored(session) == {}


def test_reindex_for_a_new_model_drops_question_vectors_of_other_models(app, session, fake, monkeypatch):
    upload(app, session)
    renamed = restart(monkeypatch)
    renamed.name = "counting-fake-v2"
    suggest.reindex_vectors(session, drop_other_models=False)
    assert len(stored(session)) == len(NEW_TEXTS)  # kept: a deployment may move back
    _, dropped = suggest.reindex_vectors(session, drop_other_models=True)
    assert stored(session) == {} and dropped >= len(NEW_TEXTS)


def test_an_answer_proposed_to_the_bank_takes_its_question_vector(app, session, fake):
    from answers.models import EntryVector

    q = upload(app, session)
    item = next(i for i in responding.list_items(q.id, session=session) if i.text == "Is MFA required for admins?")
    responding.decide(
        item.id,
        responding.Decision(status="accepted", answer="No", comment="Admins use keys"),
        session=session,
        actor="se",
    )
    fake.calls.clear()
    assert responding.propose_to_bank(q.id, session=session, actor="se").created == 1
    assert fake.calls == []  # the question's stored vector serves the new bank entry
    kept = {v.text_hash: v.vector for v in session.exec(select(EntryVector))}
    assert kept[text_hash(item.text)] == stored(session, q.id)[text_hash(item.text)].tobytes()
