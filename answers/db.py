"""One engine per app, one session per request, `init-db`.

The engine lives in `app.extensions["answerbank.engine"]`; `get_session()` opens a session
on first use within a request (or CLI command) and `teardown_appcontext` closes it.
Creating the app creates missing tables and upgrades an older database
(`answers.schema.upgrade`); what that start changed, or why it refused, stays in
`app.extensions` for `init-db`, `python app.py` and `/healthz` to report.
"""

from __future__ import annotations

import json
import sqlite3

from flask import Flask, current_app, g
from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, create_engine, func, select

from answers import models, schema

_ENGINE_KEY = "answerbank.engine"
_UPGRADED_KEY = "answerbank.schema_upgraded"  # list[str]: what the app's start changed
_REFUSED_KEY = "answerbank.schema_refused"  # SchemaUpgradeRefused from the app's start
SQLITE_BUSY_TIMEOUT_S = 30.0


def casefold(value: object) -> str | None:
    """SQLite's `ab_casefold(text)`: SQLite's own LIKE and lower() fold ASCII only, so bank
    search compares Python-casefolded text ("VERSCHLÜSSELN" finds "verschlüsseln")."""
    return None if value is None else str(value).casefold()


def casefold_json_list(value: object) -> str | None:
    """SQLite's `ab_casefold_json(json)`: a JSON list of strings as its casefolded lines
    (the stored JSON escapes non-ASCII: "verschl\\u00fcsselt" would never match)."""
    if value is None:
        return None
    try:
        items = json.loads(str(value))
    except ValueError:
        return str(value).casefold()
    return "\n".join(map(str, items)).casefold() if isinstance(items, list) else str(items).casefold()


def make_engine(url: str) -> Engine:
    """An engine for `url`. In-memory SQLite shares one connection so tests see one database."""
    if url.startswith("sqlite"):
        # A write waits up to this long for another connection's transaction (a long
        # upload, a `flask bank import`) instead of failing with "database is locked".
        connect_args = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_S}
        kwargs: dict = {"connect_args": connect_args}
        if url in ("sqlite://", "sqlite:///:memory:"):
            kwargs["poolclass"] = StaticPool
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # pragma: no cover - trivial
            dbapi_conn.create_function("ab_casefold", 1, casefold, deterministic=True)
            dbapi_conn.create_function("ab_casefold_json", 1, casefold_json_list, deterministic=True)
            dbapi_conn.create_function("ab_search_text", 4, models.search_text, deterministic=True)
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
            if url not in ("sqlite://", "sqlite:///:memory:"):
                try:
                    cur.execute("PRAGMA journal_mode=WAL")
                except sqlite3.OperationalError:
                    # a read-only database (file, folder or `mode=ro`) keeps its journal
                    # mode: it can still be read, and a write fails with its own reason
                    pass
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def get_engine(app: Flask | None = None) -> Engine:
    app = app or current_app
    return app.extensions[_ENGINE_KEY]


def get_session() -> Session:
    """The session of the current request or command; committed by the service functions."""
    if "db_session" not in g:
        g.db_session = Session(get_engine(), expire_on_commit=False)
    return g.db_session


def close_session(_exc: BaseException | None = None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def create_tables(app: Flask | None = None) -> list[str]:
    """Create missing tables and add what an older release's database lacks; returns the
    changes made (logged and audited). Raises `schema.SchemaUpgradeRefused`, changing
    nothing, when the database needs a person's decision."""
    app = app or current_app
    try:
        changes = schema.upgrade(get_engine(app), metadata=SQLModel.metadata)
    except schema.SchemaUpgradeRefused as exc:
        app.extensions[_REFUSED_KEY] = exc
        raise
    app.extensions.pop(_REFUSED_KEY, None)
    app.extensions.setdefault(_UPGRADED_KEY, []).extend(changes)
    if filled := fill_search_text(get_engine(app)):
        app.logger.info("bank search: folded the text of %d entries written by an older release", filled)
    return changes


def fill_search_text(engine: Engine) -> int:
    """SQLite: write the missing `Entry.search_text` (entries written by a release without
    it) in one UPDATE; returns how many. Bank search finds such an entry anyway, through
    the casefold functions, only slower. Nothing to do (and nothing written: a read-only
    database opens as before) when none is missing, or on PostgreSQL."""
    if engine.dialect.name != "sqlite":
        return 0
    with engine.begin() as conn:
        if conn.execute(text("SELECT 1 FROM entry WHERE search_text IS NULL LIMIT 1")).first() is None:
            return 0
        return conn.execute(
            text(
                "UPDATE entry SET search_text = ab_search_text(question, comment, answer, alternates) "
                "WHERE search_text IS NULL"
            )
        ).rowcount


def schema_upgraded(app: Flask) -> list[str]:
    """Every schema change this app made since it was created (its start included)."""
    return list(app.extensions.get(_UPGRADED_KEY, []))


def schema_refused(app: Flask) -> schema.SchemaUpgradeRefused | None:
    """Why the last upgrade attempt refused, while the database still needs it."""
    return app.extensions.get(_REFUSED_KEY)


def init_app(app: Flask) -> None:
    app.extensions[_ENGINE_KEY] = make_engine(app.config["DATABASE_URL"])
    app.teardown_appcontext(close_session)
    if app.config.get("AUTO_CREATE_TABLES", True):
        try:
            create_tables(app)
        except schema.SchemaUpgradeRefused as exc:
            # the app still starts: `init-db` must be able to say the same, and /healthz
            # answers 503 with the reason instead of every page failing unexplained
            app.logger.error("%s", exc)
        except OperationalError:
            # unreachable, unreadable or locked: the app still loads, so that the command
            # run says so in one line (`cli`) and /healthz answers 503, not a traceback
            pass


def refused_message(exc: OperationalError, url: str) -> str:
    """One line for a database that refused a connection, a read or a write: its URL
    (password hidden) and the driver's first line ("attempt to write a readonly database",
    "database is locked", "connection refused")."""
    lines = str(exc.orig or exc).strip().splitlines()
    reason = lines[0] if lines else type(exc).__name__
    return f"the database {make_url(url).render_as_string(hide_password=True)} refused: {reason}"


def bank_is_empty(session: Session) -> bool:
    return session.exec(select(func.count()).select_from(models.Entry)).one() == 0


def init_db(app: Flask, *, demo: bool = False, demo_if_empty: bool = False) -> int:
    """Create the tables (or upgrade an older database: `create_tables`, which may raise
    `schema.SchemaUpgradeRefused`); load the demo bank when asked (or when the bank is
    empty and `demo_if_empty`). Returns the number of demo entries loaded."""
    from answers import bank  # late: bank imports matching, which is heavier

    create_tables(app)
    with Session(get_engine(app)) as session:
        if demo or (demo_if_empty and bank_is_empty(session)):
            return bank.load_demo(session=session)
    return 0
