"""A database made by an older release survives opening it with this one: missing tables,
columns and indexes are added with the models' defaults, rows survive, the app works on
it; what needs a person is refused by name and changes nothing (answers/schema.py).

An "older release's database" is made here by creating today's tables, filling them
through the app, then dropping what later releases added (SQL both SQLite >= 3.35 and
PostgreSQL run)."""

from __future__ import annotations

import io
import logging
import uuid

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from answers import audit, schema
from answers.db import get_engine, schema_upgraded
from answers.models import ApiToken, AuditEvent, Entry, Item, Questionnaire, Role, User
from app import create_app
from tests.auth_helpers import PASSWORD, bearer, make_user, token_for
from tests.review_builders import load_bank, questionnaire_xlsx

API = "/api/v1"

#: what this release has and an older one lacked: columns of every kind of default
#: (bool, int, JSON list, text, enum, nullable timestamp), indexes, a whole table
OLDER_RELEASE = [
    "DROP INDEX ix_entry_conflict",
    "ALTER TABLE entry DROP COLUMN conflict",
    "ALTER TABLE entry DROP COLUMN tags",
    "ALTER TABLE entry DROP COLUMN usage_count",
    "DROP INDEX ix_entry_status",
    'ALTER TABLE "user" DROP COLUMN session_epoch',
    'ALTER TABLE "user" DROP COLUMN failed_logins',
    'ALTER TABLE "user" DROP COLUMN locked_until',
    "ALTER TABLE questionnaire DROP COLUMN customer",
    "ALTER TABLE item DROP COLUMN lock_version",
    "ALTER TABLE item DROP COLUMN alternatives",
    "DROP INDEX ix_item_status",
    "ALTER TABLE item DROP COLUMN status",
    "DROP TABLE wordingdismissal",
]
#: PostgreSQL keeps an enum column's type apart: an older release had no item status at all
OLDER_RELEASE_POSTGRES = ["DROP TYPE itemstatus"]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request, tmp_path):
    """The URL of an empty database: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'answerbank.db'}"
        return
    server = request.getfixturevalue("postgres_url")
    name = f"answerbank_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def open_app(database, tmp_path):
    """`open_app()`: start the app on the database, as a restart of the service does."""
    started = []

    def start(**config):
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "test-secret",
                "DATABASE_URL": database,
                "UPLOAD_FOLDER": str(tmp_path / "uploads"),
                "WTF_CSRF_ENABLED": False,
                **config,
            }
        )
        started.append(app)
        return app

    yield start
    for app in started:
        get_engine(app).dispose()


def _run(url: str, statements: list[str]) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for sql in statements:
                conn.exec_driver_sql(sql)
    finally:
        engine.dispose()


def _age(url: str) -> None:
    """Turn the database into one an older release made (its rows stay)."""
    _run(url, OLDER_RELEASE + (OLDER_RELEASE_POSTGRES if url.startswith("postgresql") else []))


def _columns(app, table: str) -> set[str]:
    return {c["name"] for c in inspect(get_engine(app)).get_columns(table)}


def _indexes(app, table: str) -> set[str]:
    return {ix["name"] for ix in inspect(get_engine(app)).get_indexes(table)}


def _upload(app, client, headers) -> dict:
    body = {"file": (io.BytesIO(questionnaire_xlsx()), "vendor.xlsx"), "customer": "Example University"}
    r = client.post(f"{API}/questionnaires", data=body, headers=headers)
    assert r.status_code == 201, r.json
    return r.json


def _fill(app) -> dict:
    """Bank, users, a token, a questionnaire with suggestions, an audit trail."""
    load_bank(app)
    sales = make_user(app, "sales@example.com", Role.sales, password=PASSWORD)
    make_user(app, "curator@example.com", Role.curator)
    client = app.test_client()
    headers = bearer(token_for(app, sales))
    q = _upload(app, client, headers)
    with Session(get_engine(app)) as s:
        return {
            "entries": sorted((e.id, e.question, e.answer, e.comment) for e in s.exec(select(Entry))),
            "users": sorted(u.email for u in s.exec(select(User))),
            "questionnaires": [(x.id, x.name) for x in s.exec(select(Questionnaire))],
            "items": sorted((i.id, i.text, i.entry_id, i.tier) for i in s.exec(select(Item))),
            "tokens": len(s.exec(select(ApiToken)).all()),
            "events": len(s.exec(select(AuditEvent)).all()),
            "questionnaire": q["id"],
            "headers": headers,
        }


def test_an_older_database_is_upgraded_on_start_keeps_its_rows_and_works(open_app, database):
    before = _fill(open_app())
    _age(database)

    app = open_app()  # the restart after pulling the new release
    changes = schema_upgraded(app)
    for added in (
        "added column entry.conflict (default ",
        "added column entry.tags (default '[]')",
        "added column user.session_epoch (default 0)",
        "added column user.locked_until",
        "added column item.status (default 'pending')",
        "added column questionnaire.customer (default '')",
        "added index ix_entry_conflict on entry(conflict)",
        "added index ix_entry_status on entry(status)",
        "created table wordingdismissal",
    ):
        assert any(c.startswith(added) for c in changes), (added, changes)
    assert {"conflict", "tags", "usage_count"} <= _columns(app, "entry")
    assert {"ix_entry_conflict", "ix_entry_status"} <= _indexes(app, "entry")
    assert "ix_item_status" in _indexes(app, "item")

    with Session(get_engine(app)) as s:
        entries = s.exec(select(Entry)).all()
        assert sorted((e.id, e.question, e.answer, e.comment) for e in entries) == before["entries"]
        assert {(e.conflict, tuple(e.tags), e.usage_count) for e in entries} == {(False, (), 0)}
        users = s.exec(select(User)).all()
        assert sorted(u.email for u in users) == before["users"]
        assert {(u.session_epoch, u.failed_logins, u.locked_until) for u in users} == {(0, 0, None)}
        assert [(x.id, x.name, x.customer) for x in s.exec(select(Questionnaire))] == [
            (qid, name, "") for qid, name in before["questionnaires"]
        ]
        items = s.exec(select(Item)).all()
        assert sorted((i.id, i.text, i.entry_id, i.tier) for i in items) == before["items"]
        assert {(i.status, i.lock_version, tuple(i.alternatives)) for i in items} == {("pending", 1, ())}
        assert len(s.exec(select(ApiToken)).all()) == before["tokens"]
        events = s.exec(select(AuditEvent).order_by(AuditEvent.id)).all()  # type: ignore[arg-type]
        assert len(events) == before["events"] + 1
        assert events[-1].action == "schema.upgrade" and events[-1].details["changes"] == changes
        assert audit.verify(s) == len(events)

    # the app works on it: sign in with the old password, the bank, review, matching
    client = app.test_client()
    login = client.post("/login", data={"email": "sales@example.com", "password": PASSWORD})
    assert login.status_code == 302 and client.get("/").status_code == 200
    headers = before["headers"]
    listed = client.get(f"{API}/entries", headers=headers)
    assert listed.status_code == 200, listed.json
    items = client.get(f"{API}/questionnaires/{before['questionnaire']}/items", headers=headers).json["items"]
    enc = next(i for i in items if i["question_id"] == "ENC-01")
    saved = client.patch(
        f"{API}/items/{enc['id']}",
        json={"status": "accepted", "answer": "Yes", "lock_version": enc["lock_version"]},
        headers=headers,
    )
    assert saved.status_code == 200, saved.json
    fresh = _upload(app, client, headers)
    again = client.get(f"{API}/questionnaires/{fresh['id']}/items", headers=headers).json["items"]
    assert next(i for i in again if i["question_id"] == "ENC-01")["tier"] == "exact"
    runner = app.test_cli_runner()
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "Upgraded: added column entry.conflict" in result.output  # what the start did
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0


def test_a_second_start_changes_nothing(open_app, database):
    _fill(open_app())
    _age(database)
    assert schema_upgraded(open_app())
    app = open_app()
    assert schema_upgraded(app) == []
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0 and "Upgraded" not in result.output
    with Session(get_engine(app)) as s:
        upgrades = s.exec(select(AuditEvent).where(AuditEvent.action == "schema.upgrade")).all()
        assert len(upgrades) == 1


def test_a_new_database_is_created_without_an_upgrade_event(open_app):
    app = open_app()
    assert schema_upgraded(app) == []
    with Session(get_engine(app)) as s:
        assert s.exec(select(AuditEvent)).all() == []
    assert app.test_client().get("/healthz").get_json() == {"status": "ok", "database": "ok"}


def test_a_changed_type_or_a_required_column_without_default_is_refused_and_nothing_changes(open_app, database):
    _fill(open_app())
    _run(
        database,
        [
            # safe on its own, but must not be applied while the rest is refused
            "DROP INDEX ix_entry_conflict",
            "ALTER TABLE entry DROP COLUMN conflict",
            # an older release that stored the count as text
            "ALTER TABLE entry DROP COLUMN usage_count",
            "ALTER TABLE entry ADD COLUMN usage_count VARCHAR(20) NOT NULL DEFAULT ''",
            # a NOT NULL column the model gives no default
            "ALTER TABLE questionnaire DROP COLUMN size",
        ],
    )
    app = open_app()  # starts: init-db and /healthz must be able to say why
    health = app.test_client().get("/healthz")
    assert health.status_code == 503
    problems = health.get_json()["problems"]
    assert len(problems) == 2
    assert problems[0].startswith("entry.usage_count holds VARCHAR") and "INTEGER" in problems[0]
    assert problems[1].startswith("questionnaire.size (INTEGER NOT NULL) is missing")
    assert "ALTER TABLE questionnaire ADD COLUMN size INTEGER NOT NULL DEFAULT <value>" in problems[1]

    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 2
    assert "nothing was changed" in result.output
    assert "entry.usage_count" in result.output and "questionnaire.size" in result.output
    assert "conflict" not in _columns(app, "entry")  # nothing half-applied
    with Session(get_engine(app)) as s:
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "schema.upgrade")).all() == []

    # doing what the message says lets the next start finish the job
    _run(
        database,
        [
            "ALTER TABLE entry DROP COLUMN usage_count",
            "ALTER TABLE entry ADD COLUMN usage_count INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE questionnaire ADD COLUMN size INTEGER NOT NULL DEFAULT 0",
        ],
    )
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "conflict" in _columns(app, "entry")
    assert app.test_client().get("/healthz").status_code == 200


def test_a_unique_index_over_duplicate_rows_is_refused_by_name(open_app, database):
    _fill(open_app())
    _run(
        database,
        [
            "DROP INDEX ix_user_email",
            'CREATE INDEX ix_user_email_old ON "user" (email)',
            'INSERT INTO "user" (email, role, active, session_epoch, failed_logins, created_at) '
            'SELECT email, role, active, session_epoch, failed_logins, created_at FROM "user" '
            "WHERE email = 'sales@example.com'",
        ],
    )
    result = open_app().test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 2
    assert "user(email) must be unique (index ix_user_email)" in result.output
    assert "'sales@example.com'" in result.output


def test_a_failure_while_applying_rolls_everything_back(open_app, database, monkeypatch):
    """SQLite would commit each ALTER TABLE on its own (pysqlite's implicit transactions
    skip DDL): the upgrade runs inside its own BEGIN."""
    _fill(open_app())
    _age(database)
    real_plan = schema.plan

    def plan_with_a_failing_last_step(conn, metadata=None):
        result = real_plan(conn, metadata)
        if result.changes:
            result.changes.append(("a step that fails", "ALTER TABLE no_such_table ADD COLUMN x INTEGER"))
        return result

    monkeypatch.setattr(schema, "plan", plan_with_a_failing_last_step)
    app = open_app(AUTO_CREATE_TABLES=False)
    with pytest.raises(DBAPIError, match="no_such_table"):
        schema.upgrade(get_engine(app))
    assert not {"conflict", "tags", "usage_count"} & _columns(app, "entry")
    assert "wordingdismissal" not in inspect(get_engine(app)).get_table_names()
    with Session(get_engine(app)) as s:
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "schema.upgrade")).all() == []


def test_columns_the_models_no_longer_have_are_left_alone(open_app, database, caplog):
    _fill(open_app())
    extra = [
        "ALTER TABLE entry ADD COLUMN legacy_note VARCHAR(50)",
        "ALTER TABLE product ADD COLUMN legacy_code INTEGER NOT NULL DEFAULT 7",
        "ALTER TABLE apitoken ADD COLUMN legacy_scope VARCHAR(20) NOT NULL DEFAULT 'all'",
    ]
    if database.startswith("postgresql"):  # SQLite cannot add a NOT NULL column without a default
        extra.append("ALTER TABLE apitoken ALTER COLUMN legacy_scope DROP DEFAULT")
    _run(database, extra)
    with caplog.at_level(logging.WARNING, logger="answers.schema"):
        app = open_app()
    assert schema_upgraded(app) == []
    assert "legacy_note" in _columns(app, "entry") and "legacy_code" in _columns(app, "product")
    notes = [r.getMessage() for r in caplog.records]
    assert not any("legacy_note" in n or "legacy_code" in n for n in notes)  # harmless: left alone, quietly
    # one that would make every new row of its table fail is named
    assert any("apitoken.legacy_scope is not used" in n for n in notes) == database.startswith("postgresql")
    client = app.test_client()
    assert client.post("/login", data={"email": "sales@example.com", "password": PASSWORD}).status_code == 302
    assert client.get("/bank/").status_code == 200


@pytest.mark.postgres
@pytest.mark.parametrize("database", ["postgres"], indirect=True)  # SQLite stores enum names as text
def test_an_enum_label_a_later_release_added_is_added_on_postgres(open_app, database):
    open_app()
    _run(
        database,
        [
            'ALTER TABLE "user" DROP COLUMN role',
            "DROP TYPE role",
            "CREATE TYPE role AS ENUM ('sales', 'admin')",
            "ALTER TABLE \"user\" ADD COLUMN role role NOT NULL DEFAULT 'sales'",
        ],
    )
    app = open_app()
    assert "added 'curator' to enum role" in schema_upgraded(app)
    make_user(app, "curator@example.com", Role.curator)


def test_two_processes_starting_at_once_upgrade_once(open_app, database):
    """Two workers of a server start together: the second waits for the first's lock and
    then finds nothing to do (instead of failing on "column already exists")."""
    import threading

    _fill(open_app())
    _age(database)
    engines = [get_engine(open_app(AUTO_CREATE_TABLES=False)) for _ in range(2)]
    results: list[list[str]] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def start(engine) -> None:
        barrier.wait()
        try:
            results.append(schema.upgrade(engine))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sorted(map(bool, results)) == [False, True]
    with Session(engines[0]) as s:
        assert len(s.exec(select(AuditEvent).where(AuditEvent.action == "schema.upgrade")).all()) == 1
        assert audit.verify(s) > 0
