"""Bank search ignores case beyond A-Z on SQLite too, as PostgreSQL's ILIKE does, without
calling Python for every row: `Entry.search_text` holds each entry's text casefolded when it
is written (answers.models.search_text); entries written by an older release are found
through the per-row casefold functions until `answers.db.fill_search_text` fills theirs.
(PostgreSQL: tests/test_postgres.py.)"""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from answers import bank, models
from answers.db import fill_search_text, get_engine
from answers.models import Entry, EntryCreate, EntryStatus, EntryUpdate
from app import create_app

TEXTS = {
    "question": "Faites-vous une évaluation des risques annuelle ?",
    "comment": "Reviewed by the Sécurité team; multi-factor for all admins.",
    "answer": "Ja, STRASSE",
    "alternates": ["ÜBERPRÜFUNG der Zugriffsrechte", "Do you hold a SOC 2 report?"],
}
QUERIES = [
    ("ÉVALUATION", True),
    ("évaluation", True),
    ("Évaluation des", True),
    ("SÉCURITÉ", True),
    ("überprüfung", True),
    ("zugriffsRECHTE", True),
    ("straße", True),  # casefold: ß is ss
    ("SOC2", True),  # compact: hyphens and spaces removed on both sides
    ("multifactor", True),
    ("MULTI-FACTOR", True),
    ("evaluation", False),  # an accent is not case
    ("100%", False),  # wildcards stay literal
    ("risques_annuelle", False),
]


def _ids(session: Session, query: str) -> set[int]:
    return {e.id for e in bank.search(bank.SearchFilters(query=query), session=session).entries}


@pytest.fixture
def entries(session):
    wanted = bank.create_entry(EntryCreate(**TEXTS, status=EntryStatus.approved), session=session)
    other = bank.create_entry(EntryCreate(question="Do you log access?", answer="Yes"), session=session)
    return wanted, other


@pytest.mark.parametrize("query,found", QUERIES)
def test_search_folds_non_ascii_case_on_sqlite(session, entries, query, found):
    wanted, _ = entries
    assert _ids(session, query) == ({wanted.id} if found else set())


@pytest.mark.parametrize("query,found", QUERIES)
def test_entries_from_an_older_release_are_found_the_same_until_filled(app, session, entries, query, found):
    """Rows without `search_text` are folded per row, with the same result; then filled."""
    wanted, _ = entries
    session.exec(text("UPDATE entry SET search_text = NULL"))  # type: ignore[call-overload]
    session.commit()
    assert _ids(session, query) == ({wanted.id} if found else set())
    assert fill_search_text(get_engine(app)) == 2
    assert fill_search_text(get_engine(app)) == 0  # nothing left: nothing written
    session.expire_all()
    assert session.get(Entry, wanted.id).search_text == models.search_text(**TEXTS)
    assert _ids(session, query) == ({wanted.id} if found else set())


def test_a_word_of_hyphens_still_finds_text_with_hyphens(session, entries):
    wanted, _ = entries
    assert _ids(session, "-") == {wanted.id}


def test_search_text_follows_every_write(session, runner, tmp_path):
    entry = bank.create_entry(EntryCreate(question="Do you run an ÉVALUATION?", answer="Yes"), session=session)
    assert _ids(session, "évaluation") == {entry.id}
    bank.update_entry(entry.id, EntryUpdate(question="Do you run a PRÜFUNG?"), session=session, actor="cur")
    assert _ids(session, "évaluation") == set() and _ids(session, "prüfung") == {entry.id}
    bank.add_alternate(entry.id, "KONTROLLE der Rechte", session=session, actor="cur")
    assert _ids(session, "kontrolle") == {entry.id}
    path = tmp_path / "bank.csv"
    path.write_bytes("question,answer,comment\r\nDo you run a PRÜFUNG?,Yes,Jährlich: ÄNDERUNG\r\n".encode())
    assert runner.invoke(args=["bank", "import", str(path)]).exit_code == 0
    assert _ids(session, "änderung") == {entry.id}
    session.refresh(entry)
    assert entry.search_text == models.search_text(entry.question, entry.comment, entry.answer, entry.alternates)


def test_an_older_database_gets_the_column_and_its_text_on_start(tmp_path):
    config = {"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}"}
    app = create_app({**config, "UPLOAD_FOLDER": str(tmp_path / "up")})
    with Session(get_engine(app)) as session:
        bank.create_entry(EntryCreate(question="Faites-vous une évaluation ?", answer="Oui"), session=session)
        session.exec(text("ALTER TABLE entry DROP COLUMN search_text"))  # type: ignore[call-overload]
        session.commit()
    get_engine(app).dispose()

    again = create_app({**config, "UPLOAD_FOLDER": str(tmp_path / "up")})  # the restart after an upgrade
    with Session(get_engine(again)) as session:
        [entry] = session.exec(select(Entry)).all()
        assert entry.search_text == models.search_text(entry.question, "", "Oui", [])
        assert _ids(session, "ÉVALUATION") == {entry.id}
    get_engine(again).dispose()
