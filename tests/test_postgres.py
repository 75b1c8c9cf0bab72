"""The same schema and demo bank work on PostgreSQL (production)."""

import uuid

import pytest
from sqlalchemy import text

from app import create_app
from tests.test_bank_search_folding import QUERIES, TEXTS

pytestmark = pytest.mark.postgres


def test_init_db_demo_on_postgres(postgres_url, tmp_path):
    from sqlalchemy import create_engine

    name = f"answerbank_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = postgres_url.rsplit("/", 1)[0] + "/" + name
    try:
        app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": url, "UPLOAD_FOLDER": str(tmp_path)})
        result = app.test_cli_runner().invoke(args=["init-db", "--demo"])
        assert result.exit_code == 0, result.output
        assert app.test_client().get("/healthz").get_json()["database"] == "ok"
        from answers.db import get_engine

        with get_engine(app).connect() as conn:
            assert conn.execute(text("select count(*) from entry")).scalar() >= 150
        from sqlmodel import Session, select

        from answers import bank
        from answers.models import Entry, EntryStatus

        with Session(get_engine(app)) as session:  # the tag list read in PostgreSQL's own SQL
            live = session.exec(select(Entry.tags).where(Entry.status != EntryStatus.retired))
            assert bank.tags_in_use(session=session) == sorted({t for tags in live for t in tags})
        get_engine(app).dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_concurrent_audited_writes_keep_one_chain_on_postgres(postgres_url, tmp_path):
    """Two sessions appending at once must not both read the same head (a forked chain)."""
    import threading

    from sqlalchemy import create_engine
    from sqlmodel import Session, SQLModel

    from answers import audit

    name = f"answerbank_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_engine(postgres_url.rsplit("/", 1)[0] + "/" + name)
    try:
        SQLModel.metadata.create_all(engine)

        def writer(n: int) -> None:
            for i in range(15):
                with Session(engine) as session:
                    audit.record(session, "test.write", actor=f"writer{n}", details={"i": i})
                    audit.record(session, "test.write", actor=f"writer{n}", details={"i": i, "second": True})
                    session.commit()

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        with Session(engine) as session:
            assert audit.verify(session) == 90
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def pg_session(postgres_url):
    """A session on a fresh, empty PostgreSQL database (dropped afterwards)."""
    from sqlalchemy import create_engine
    from sqlmodel import Session, SQLModel

    name = f"answerbank_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_engine(postgres_url.rsplit("/", 1)[0] + "/" + name)
    try:
        SQLModel.metadata.create_all(engine)
        with Session(engine, expire_on_commit=False) as session:
            yield session
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.parametrize(
    "query",
    ["échange", "ÉCHANGE", "Échange", "clés", "CLÉS", "échange clés", "DECLÉS", "mfa", "Ω", "ωmega"],
)
def test_bank_search_folds_case_of_non_ascii_words_in_alternates_on_postgres(pg_session, query):
    """Alternates are JSON text on PostgreSQL, with non-ASCII written as \\u escapes: an
    upper-case É is \\u00c9, and no ILIKE finds it from "é" (\\u00e9). SQLite passes this
    through ab_casefold_json; PostgreSQL must search the decoded wordings."""
    from answers import bank
    from answers.models import EntryCreate

    wanted = bank.create_entry(
        EntryCreate(question="Key management?", answer="Yes", alternates=["ÉCHANGE DE CLÉS", "MFA", "ΩMEGA"]),
        session=pg_session,
    )
    bank.create_entry(EntryCreate(question="Do you encrypt data?", answer="Yes"), session=pg_session)
    found = bank.search(bank.SearchFilters(query=query), session=pg_session).entries
    assert [e.id for e in found] == [wanted.id]


def test_bank_search_does_not_match_json_syntax_on_postgres(pg_session):
    from answers import bank
    from answers.models import EntryCreate

    bank.create_entry(EntryCreate(question="Q?", answer="Yes", alternates=["one", "two"]), session=pg_session)
    for query in ('", "', "u00", '["', "\\"):
        assert bank.search(bank.SearchFilters(query=query), session=pg_session).entries == [], query


def test_login_sessions_open_check_refresh_end_and_prune_on_postgres(pg_session):
    """Timestamps go through `timestamp without time zone`: idle expiry, the once-a-minute
    refresh and pruning compare them with aware UTC times."""
    import datetime as dt

    from sqlmodel import select

    from answers import users
    from answers.models import LoginSession

    lifetime = dt.timedelta(hours=12)
    t0 = dt.datetime.now(dt.UTC)
    user = users.create_user(pg_session, "seller@example.com", "sales")
    row, secret = users.open_session(pg_session, user, ip="192.0.2.1", user_agent="curl/8", lifetime=lifetime, now=t0)
    other, other_secret = users.open_session(pg_session, user, ip=None, user_agent=None, lifetime=lifetime, now=t0)

    def check(s: str, at: dt.datetime):
        return users.check_session(pg_session, s, user_id=user.id, epoch=user.session_epoch, lifetime=lifetime, now=at)

    assert check(secret, t0 + dt.timedelta(seconds=30)) is not None
    assert check(secret, t0 + dt.timedelta(minutes=2)) is not None
    pg_session.expire_all()
    assert users.aware(pg_session.get(LoginSession, row.id).last_seen_at) == t0 + dt.timedelta(minutes=2)
    assert check(other_secret, t0 + lifetime + dt.timedelta(seconds=1)) is None  # idle
    assert [r.id for r in users.list_sessions(pg_session, user, lifetime=lifetime, now=t0 + lifetime)] == [
        row.id,
        other.id,
    ]
    users.end_session(pg_session, user, other.id)
    assert check(other_secret, t0 + dt.timedelta(minutes=3)) is None
    users.open_session(pg_session, user, ip=None, user_agent=None, lifetime=lifetime, now=t0 + dt.timedelta(minutes=4))
    assert other.id not in {r.id for r in pg_session.exec(select(LoginSession))}  # pruned
    users.logout_everywhere(pg_session, user)
    assert check(secret, t0 + dt.timedelta(minutes=5)) is None


@pytest.mark.parametrize("query,found", [(q, found) for q, found in QUERIES if q != "straße"])
def test_bank_search_folds_non_ascii_case_on_postgres_as_on_sqlite(pg_session, query, found):
    """The same words find the same entry as on SQLite (tests/test_bank_search_folding.py),
    through ILIKE and lower() as before; SQLite's stored folded text is not written here.
    ("straße" is left out: Python's casefold makes ß "ss", PostgreSQL's lower() does not.)"""
    from answers import bank
    from answers.models import EntryCreate, EntryStatus

    wanted = bank.create_entry(EntryCreate(**TEXTS, status=EntryStatus.approved), session=pg_session)
    bank.create_entry(EntryCreate(question="Do you log access?", answer="Yes"), session=pg_session)
    found_ids = {e.id for e in bank.search(bank.SearchFilters(query=query), session=pg_session).entries}
    assert found_ids == ({wanted.id} if found else set())
    pg_session.refresh(wanted)
    assert wanted.search_text is None
