"""Bank vectors are computed when bank text is written, so matching never embeds bank text."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from sqlmodel import select

from answers import bank, suggest
from answers.learn import learn
from answers.matching import canonical_tokens, embed_text, text_hash
from answers.models import EntryCreate, EntryUpdate, EntryVector
from importers import ParsedQuestionnaire, Question


class CountingEmbedder:
    """Bag-of-canonical-words vectors; records every encode call."""

    name = "counting-fake"

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        out = np.zeros((len(texts), 64), dtype=np.float32)
        for i, t in enumerate(texts):
            for tok in canonical_tokens(t):
                out[i, sum(map(ord, tok)) % 64] += 1.0
            out[i] /= max(float(np.linalg.norm(out[i])), 1e-9)
        return out

    @property
    def encoded(self) -> list[str]:
        return [t for call in self.calls for t in call]


@pytest.fixture
def fake(monkeypatch) -> CountingEmbedder:
    emb = CountingEmbedder()
    monkeypatch.setattr(suggest, "_embedder", emb)
    suggest.invalidate()
    yield emb
    suggest.invalidate()


def stored(session) -> dict[str, int]:
    return {v.text_hash: v.entry_id for v in session.exec(select(EntryVector))}


def entry(question: str, *alternates: str, answer: str = "Yes") -> EntryCreate:
    return EntryCreate(question=question, answer=answer, alternates=list(alternates))


def q(text: str, row: int) -> Question:
    return Question(sheet="S", row=row, id=None, text=text, answer_cell=None)


BANK = [
    entry("Is customer data encrypted at rest?", "Do you encrypt stored customer data?"),
    entry("Do you require MFA for administrative access?"),
    entry("Do you run an annual penetration test?", "Is a pen test performed yearly?"),
]
ALL_TEXTS = [t for e in BANK for t in (e.question, *e.alternates)]


def test_import_stores_every_vector_in_one_encode_call(session, fake):
    bank.import_entries(BANK, session=session)
    assert len(fake.calls) == 1
    assert sorted(fake.encoded) == sorted(embed_text(t) for t in ALL_TEXTS)
    assert set(stored(session)) == {text_hash(t) for t in ALL_TEXTS}


def test_matching_after_import_encodes_only_the_questions(session, fake):
    bank.import_entries(BANK, session=session)
    fake.calls.clear()
    questions = [q("Is customer data encrypted when stored?", 1), q("Is MFA required for admins?", 2)]
    result = suggest.suggest_for(questions, version_line="", product=None, session=session)
    assert result[0].entry_id is not None
    assert sorted(fake.encoded) == sorted(embed_text(x.text) for x in questions)


def test_reimport_of_an_unchanged_bank_encodes_nothing(session, fake):
    bank.import_entries(BANK, session=session)
    fake.calls.clear()
    bank.import_entries(BANK, session=session)
    assert fake.calls == []


def test_edit_encodes_only_the_new_text(session, fake):
    created = bank.create_entry(entry("Do you keep audit logs?"), session=session)
    assert fake.encoded == [embed_text("Do you keep audit logs?")]
    fake.calls.clear()
    bank.update_entry(
        created.id, EntryUpdate(alternates=["Are audit trails retained?"]), session=session, actor="curator"
    )
    assert fake.encoded == ["Are audit trails retained?"]
    assert text_hash("Are audit trails retained?") in stored(session)


def test_learn_stores_vectors_in_one_encode_call(session, fake):
    parsed = ParsedQuestionnaire(
        family="generic",
        version=None,
        format="xlsx",
        questions=[
            Question(sheet="S", row=2, id="1", text="Do you scan for vulnerabilities?", answer_cell=None, answer="Yes"),
            Question(sheet="S", row=3, id="2", text="Is there a DLP tool?", answer_cell=None, answer="No"),
            Question(sheet="S", row=4, id="3", text="Unanswered?", answer_cell=None),
        ],
    )
    learn(parsed, session=session, source="old.xlsx")
    assert len(fake.calls) == 1
    # the embedder reads the acronym spelled out (embed_text)
    assert sorted(fake.encoded) == ["Do you scan for vulnerabilities?", "Is there a data loss prevention tool?"]
    assert text_hash("Unanswered?") not in stored(session)


def test_merge_reuses_the_vectors_of_the_merged_texts(session, fake):
    a = bank.create_entry(entry("Do you back up customer data daily?"), session=session)
    b = bank.create_entry(entry("Are backups taken every day?"), session=session)
    fake.calls.clear()
    bank.merge_entries(a.id, [b.id], session=session, actor="curator")
    assert fake.calls == []  # keyed by text: the alternate's vector already exists
    suggest.suggest_for([q("Are daily backups taken?", 1)], version_line="", product=None, session=session)
    assert fake.encoded == ["Are daily backups taken?"]  # the query only


def test_a_question_worded_like_a_bank_text_is_not_encoded(session, fake):
    bank.import_entries(BANK, session=session)
    fake.calls.clear()
    (s,) = suggest.suggest_for(
        [q("12. Do you encrypt stored customer data?", 1)], version_line="", product=None, session=session
    )
    assert fake.calls == []  # the bank's vector of the same text serves the question
    assert s.entry_id == 1 and s.score == 100


def test_without_an_embedder_writes_store_no_vectors(session, monkeypatch):
    monkeypatch.setattr(suggest, "_embedder", None)
    suggest.invalidate()
    result = bank.import_entries(BANK, session=session)
    assert result.created == 3 and stored(session) == {}


def test_an_encoder_failure_is_logged_and_the_import_still_commits(session, fake, monkeypatch, caplog):
    def broken(texts):
        raise RuntimeError("onnx exploded")

    monkeypatch.setattr(fake, "encode", broken)
    with caplog.at_level(logging.WARNING, logger="answers.suggest"):
        result = bank.import_entries(BANK, session=session)
    assert result.created == 3 and stored(session) == {}
    assert "onnx exploded" in caplog.text


def test_reindex_drops_orphans_and_fills_what_is_missing(session, fake):
    bank.import_entries(BANK, session=session)
    first = session.exec(select(EntryVector).where(EntryVector.text_hash == text_hash(BANK[1].question))).one()
    session.delete(first)
    bank.update_entry(1, EntryUpdate(alternates=[]), session=session, actor="curator")  # an alternate goes away
    fake.calls.clear()
    computed, dropped = suggest.reindex_vectors(session)
    session.commit()
    assert (computed, dropped) == (1, 1)
    assert fake.encoded == [embed_text(BANK[1].question)]
    remaining = [t for t in ALL_TEXTS if t != "Do you encrypt stored customer data?"]
    assert set(stored(session)) == {text_hash(t) for t in remaining}


def test_cli_bank_reindex(app, runner, session, fake):
    bank.import_entries(BANK, session=session)
    for row in session.exec(select(EntryVector)):
        session.delete(row)
    session.commit()
    result = runner.invoke(args=["bank", "reindex"])
    assert result.exit_code == 0, result.output
    assert "5 computed, 0 orphaned dropped" in result.output
    assert len(stored(session)) == 5


def test_restoring_an_old_revision_reuses_its_vector(session, fake):
    created = bank.create_entry(entry("Do you keep audit logs?"), session=session)
    bank.update_entry(
        created.id, EntryUpdate(question="Do you keep audit logs for a year?"), session=session, actor="c"
    )
    fake.calls.clear()
    bank.restore_version(created.id, 1, session=session, actor="c")
    assert fake.calls == []
    assert {text_hash("Do you keep audit logs?"), text_hash("Do you keep audit logs for a year?")} <= set(
        stored(session)
    )


def test_init_db_demo_stores_the_demo_bank_vectors_in_one_call(runner, session, fake):
    result = runner.invoke(args=["init-db", "--demo"])
    assert result.exit_code == 0, result.output
    assert len(fake.calls) == 1
    texts = {
        text_hash(t)
        for e in bank.read_bank_file(bank.DEMO_BANK.read_bytes(), "demo.csv")
        for t in (e.question, *e.alternates)
    }
    assert set(stored(session)) == texts


def test_a_new_model_name_recomputes_the_bank_vectors_and_keeps_the_old_ones(session, fake, monkeypatch):
    # as when the int8 encoder replaces the float one: vectors are keyed by model name
    bank.import_entries(BANK, session=session)
    session.commit()
    renamed = CountingEmbedder()
    renamed.name = "counting-fake-int8"
    monkeypatch.setattr(suggest, "_embedder", renamed)
    suggest.invalidate()
    question = q("Is customer data encrypted when stored?", 1)
    (s,) = suggest.suggest_for([question], version_line="", product=None, session=session)
    assert s.entry_id == 1
    # the first match computed every bank text under the new name, none taken from the old
    assert sorted(renamed.encoded) == sorted([*(embed_text(t) for t in ALL_TEXTS), embed_text(question.text)])
    models = [v.model for v in session.exec(select(EntryVector))]
    assert models.count("counting-fake") == models.count("counting-fake-int8") == len(ALL_TEXTS)
    renamed.calls.clear()
    assert suggest.reindex_vectors(session) == (0, 0)  # nothing missing; the old model's rows are no orphans
    assert renamed.calls == []


def test_reindex_can_drop_the_vectors_of_a_retired_model_name(app, runner, session, fake, monkeypatch):
    bank.import_entries(BANK, session=session)
    session.commit()
    renamed = CountingEmbedder()
    renamed.name = "counting-fake-fused"  # an upgrade renamed the model
    monkeypatch.setattr(suggest, "_embedder", renamed)
    result = runner.invoke(args=["bank", "reindex"])
    assert result.exit_code == 0 and f"{len(ALL_TEXTS)} computed, 0 orphaned dropped" in result.output
    result = runner.invoke(args=["bank", "reindex", "--drop-other-models"])
    assert result.exit_code == 0, result.output
    assert f"0 computed, {len(ALL_TEXTS)} dropped (orphans and other models)" in result.output
    session.expire_all()
    assert {v.model for v in session.exec(select(EntryVector))} == {"counting-fake-fused"}
