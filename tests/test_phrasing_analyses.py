"""Stored phrasing analyses: a process's first index build reads the bank's tokens, clauses
and facets instead of working them out again, and the questions are encoded meanwhile."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from answers import bank, suggest
from answers.matching import (
    ANALYSIS_VERSION,
    BankEntry,
    BankIndex,
    Query,
    analyse,
    analysis_key,
    canonical_tokens,
    dump_analysis,
    embed_text,
    load_analysis,
)
from answers.models import EntryCreate, EntryUpdate, PhrasingAnalysis
from importers import Question

# texts that exercise every part of an analysis: conditions, compounds, opposites, either-or
# alternatives, parties, frequencies, populations, regions, kinds, deliverables, periods, topics,
# a control offered
TEXTS = [
    ("Is customer data encrypted at rest?", "Is customer data encrypted at rest?", "AES-256 at rest."),
    ("For customers not using SSO, is MFA enforced?", "For customers not using SSO, is MFA enforced?", ""),
    ("Do you have a WAF and/or SPI firewall?", "Do you have a WAF and/or SPI firewall?", ""),
    ("Is remote access disabled by default?", "Is remote access disabled by default?", ""),
    ("Do your subprocessors encrypt backups?", "Do your subprocessors encrypt backups?", ""),
    ("How often do you test the plan?", "Do you test the DR plan at least annually?", "Tested yearly."),
    ("Do employees and contractors sign NDAs?", "Do employees and contractors sign NDAs?", ""),
    ("Is data stored in every region?", "Is data stored in the EU region?", ""),
    ("Are internal and external pen tests run?", "Are internal and external pen tests run?", ""),
    ("Can you share your SOC 2 report?", "Can you share your SOC 2 report?", "Available upon request."),
    ("Are incidents reported within 24 hours, and is the plan reviewed?", "x", "Employee accounts."),
    ("Do you not allow shared accounts?", "Do you not allow shared accounts?", ""),
    ("Are backups tested quarterly?", "Are backups tested quarterly?", ""),
    ("Are backups immutable and air-gapped?", "Are backups immutable and air-gapped?", ""),
    ("Do you assess vendors' privacy risk?", "Do you assess vendors' privacy risk?", ""),
    ("Do you support SSO?", "Do you support SSO?", ""),
    ("", "", ""),
]


@pytest.mark.parametrize(("text", "question", "comment"), TEXTS)
def test_a_stored_analysis_reads_back_equal(text, question, comment):
    analysis = analyse(text, question, comment)
    assert load_analysis(dump_analysis(analysis)) == analysis


def test_the_examples_fill_every_kind_of_field():
    """The round trip above is only as good as its examples: each field holds something."""
    analyses = [analyse(*t) for t in TEXTS]
    for part in ("clauses", "facets"):
        for name in getattr(analyses[0], part)._fields:
            assert any(getattr(getattr(a, part), name) for a in analyses), f"{part}.{name} never set"


@pytest.mark.parametrize(
    "data",
    [
        "",
        "just text",
        "\x1f".join(["norm", "tok", "", "", "hash"]),  # record fields missing
        "\x1f".join(["n", "t", "\x1e\x1e2\x1e\x1e\x1e", "\x1e" * 8, "h"]),  # a flag that is no flag
        "\x1f".join(["n", "t", "\x1e" * 5, "\x1e" * 8, "h", "extra"]),
    ],
)
def test_anything_else_is_refused_with_a_value_error(data):
    with pytest.raises(ValueError):
        load_analysis(data)


def test_a_word_that_cannot_be_delimited_is_refused_when_dumped():
    good = analyse(*TEXTS[0])
    with pytest.raises(ValueError):
        dump_analysis(good._replace(tokens=("two words",)))
    with pytest.raises(ValueError):
        dump_analysis(good._replace(facets=good.facets._replace(actions=frozenset({"a\x1eb"}))))


def _bank() -> list[BankEntry]:
    return [
        BankEntry(entry_id=i + 1, question=question, answer="Yes", comment=comment, alternates=(text,))
        for i, (text, question, comment) in enumerate(TEXTS[:-1])
    ]


def test_an_index_built_from_stored_analyses_matches_like_one_that_worked_them_out():
    entries = _bank()
    fresh = BankIndex.build(entries)
    assert len(fresh.computed_analyses) == len(
        {analysis_key(t, e.question, e.comment) for e in entries for t in (e.question, *e.alternates)}
    )
    stored = {k: load_analysis(dump_analysis(a)) for k, a in fresh.computed_analyses.items()}
    reread = BankIndex.build(entries, analyses=stored)
    assert reread.computed_analyses == {}
    queries = [Query(text=t) for t, _, _ in TEXTS] + [Query(text="Do you encrypt stored client data?")]
    assert reread.match(queries) == fresh.match(queries)


def test_the_index_uses_the_analysis_it_is_given():
    """Proof that a given analysis is read, not recomputed: one whose tokens name another
    topic makes the lexical index find the entry by that topic."""
    (entry,) = [BankEntry(entry_id=1, question="Do you rotate keys?", answer="Yes")]
    key = analysis_key(entry.question, entry.question, entry.comment)
    planted = analyse(entry.question, entry.question, "")._replace(tokens=tuple(canonical_tokens("penguins")))
    index = BankIndex.build([entry], analyses={key: planted})
    (s,) = index.match([Query(text="penguins")])
    assert s.entry_id == 1


# --- stored with the bank ---------------------------------------------------------------


def stored_keys(session) -> set[str]:
    return set(session.exec(select(PhrasingAnalysis.key).where(PhrasingAnalysis.version == ANALYSIS_VERSION)))


def keys_of(*entries: EntryCreate) -> set[str]:
    return {analysis_key(t, e.question, e.comment or "") for e in entries for t in (e.question, *e.alternates)}


BANK = [
    EntryCreate(
        question="Is customer data encrypted at rest?", answer="Yes", alternates=["Do you encrypt stored data?"]
    ),
    EntryCreate(question="Do you require MFA for administrative access?", answer="Yes", comment="All admins."),
]


@pytest.fixture
def csv_questionnaire(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text("ID,Question,Answer,Comment\nQ-1,Do you encrypt stored data?,,\n", encoding="utf-8")
    return path


@pytest.fixture
def lexical(monkeypatch):
    monkeypatch.setattr(suggest, "_embedder", None)
    suggest.invalidate()
    yield
    suggest.invalidate()


def test_import_stores_the_analysis_of_every_phrasing(session, lexical):
    bank.import_entries(BANK, session=session)
    assert stored_keys(session) == keys_of(*BANK)


def test_a_new_process_builds_its_index_from_the_stored_analyses(session, lexical, monkeypatch):
    bank.import_entries(BANK, session=session)
    session.commit()
    suggest.invalidate()
    built: list[BankIndex] = []
    real_build = BankIndex.build.__func__

    def spy(cls, *args, **kwargs):
        built.append(real_build(cls, *args, **kwargs))
        return built[-1]

    monkeypatch.setattr(BankIndex, "build", classmethod(spy))
    question = Question(sheet="S", row=1, id=None, text="Do you encrypt stored customer data?", answer_cell=None)
    (s,) = suggest.suggest_for([question], version_line="", product=None, session=session)
    assert s.entry_id == 1
    assert built and built[0].computed_analyses == {}


def test_an_edit_stores_the_new_phrasings_and_reindex_drops_the_old(session, lexical):
    created = bank.create_entry(BANK[1], session=session)
    before = stored_keys(session)
    bank.update_entry(created.id, EntryUpdate(comment="Every admin, hardware keys."), session=session, actor="c")
    edited = EntryCreate(question=BANK[1].question, answer="Yes", comment="Every admin, hardware keys.")
    assert stored_keys(session) == before | keys_of(edited)  # the comment is read with the text
    session.add(PhrasingAnalysis(version="0" * 16, key="k", data="from an older release"))
    session.flush()
    computed, dropped = suggest.reindex_analyses(session)
    assert (computed, dropped) == (0, 2)
    assert set(session.exec(select(PhrasingAnalysis.key))) == keys_of(edited)


def test_an_unreadable_row_is_analysed_again(session, lexical):
    bank.import_entries(BANK, session=session)
    for row in session.exec(select(PhrasingAnalysis)):
        row.data = "garbage"
    session.commit()
    suggest.invalidate()
    question = Question(sheet="S", row=1, id=None, text="Is MFA required for admin access?", answer_cell=None)
    (s,) = suggest.suggest_for([question], version_line="", product=None, session=session)
    assert s.entry_id == 2


def test_cli_reindex_reports_the_analyses(app, runner, session, lexical):
    bank.import_entries(BANK, session=session)
    for row in session.exec(select(PhrasingAnalysis)):
        session.delete(row)
    session.commit()
    result = runner.invoke(args=["bank", "reindex"])
    assert result.exit_code == 0, result.output
    assert "Phrasing analyses: 3 computed, 0 orphaned or stale dropped." in result.output
    assert stored_keys(session) == keys_of(*BANK)


def test_cli_autofill_keeps_what_its_match_computed(app, runner, session, lexical, tmp_path, csv_questionnaire):
    bank.import_entries(BANK, session=session)
    for row in session.exec(select(PhrasingAnalysis)):
        session.delete(row)
    session.commit()
    out = tmp_path / "out.csv"
    result = runner.invoke(args=["autofill", str(csv_questionnaire), "-o", str(out)])
    assert result.exit_code == 0, result.output
    session.expire_all()
    assert stored_keys(session) == keys_of(*BANK)


def test_cli_autofill_goes_on_when_the_database_refuses_the_write(
    app, runner, session, lexical, tmp_path, csv_questionnaire, monkeypatch
):
    from sqlmodel import Session

    bank.import_entries(BANK, session=session)
    session.commit()

    def refuse(self):
        raise OperationalError("COMMIT", {}, Exception("attempt to write a readonly database"))

    monkeypatch.setattr(Session, "commit", refuse)
    out = tmp_path / "out.csv"
    result = runner.invoke(args=["autofill", str(csv_questionnaire), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "were not kept (OperationalError)" in result.output
    assert out.exists()


# --- the questions are encoded while the index is built -----------------------------------


class QueryCachingEmbedder:
    """Bag-of-words vectors, with a query cache like MiniLMEmbedder's; records the thread
    of every encode."""

    name = "caching-fake"

    def __init__(self) -> None:
        self.cache: dict[str, np.ndarray] = {}
        self.encoded: list[tuple[str, str]] = []  # (thread name, text)

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), 64), dtype=np.float32)
        for i, t in enumerate(texts):
            self.encoded.append((threading.current_thread().name, t))
            for tok in canonical_tokens(t):
                out[i, sum(map(ord, tok)) % 64] += 1.0
            out[i] /= max(float(np.linalg.norm(out[i])), 1e-9)
        return out

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self.cache]
        if missing:
            self.cache.update(zip(missing, self.encode(missing), strict=True))
        return np.stack([self.cache[t] for t in texts]) if texts else np.zeros((0, 64), np.float32)


def test_questions_are_encoded_beside_the_index_build_and_never_twice(session, monkeypatch):
    fake = QueryCachingEmbedder()
    monkeypatch.setattr(suggest, "_embedder", fake)
    suggest.invalidate()
    bank.import_entries(BANK, session=session)
    session.commit()
    suggest.invalidate()
    fake.encoded.clear()
    texts = ["Do you encrypt stored data?", "Is MFA required for admin access?", "Is MFA required for admin access?"]
    questions = [Question(sheet="S", row=r, id=None, text=t, answer_cell=None) for r, t in enumerate(texts, 1)]
    result = suggest.suggest_for(questions, version_line="", product=None, session=session)
    assert [s.entry_id for s in result] == [1, 2, 2]
    # the bank's own wording is not encoded; the other question once, in the prefetch thread
    assert [(name.split("_")[0], t) for name, t in fake.encoded] == [("prefetch", embed_text(texts[1]))]
    suggest.invalidate()
    fake.encoded.clear()
    assert suggest.suggest_for(questions, version_line="", product=None, session=session) == result
    assert fake.encoded == []  # cached by the embedder: a rebuild encodes nothing again
