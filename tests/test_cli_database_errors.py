"""A database that refuses (read-only, locked, unreachable): a command ends with one line
on stderr and exit 2, never a traceback, and nothing is half-written."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from answers import db
from app import create_app


def _app(url: str, tmp_path: Path):
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": url,
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
            "MAX_UPLOAD_MB": 5,
        }
    )


@pytest.fixture
def bank_file(tmp_path: Path) -> Path:
    path = tmp_path / "bank.csv"
    path.write_text("question,answer\nDo you encrypt customer data at rest?,Yes\n", encoding="utf-8")
    return path


@pytest.fixture
def database(tmp_path: Path) -> Path:
    """A file database with the tables, made by the app (WAL journal)."""
    path = tmp_path / "answerbank.db"
    engine = db.get_engine(_app(f"sqlite:///{path}", tmp_path))
    engine.dispose()
    return path


def _entries(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT count(*) FROM entry").fetchone()[0]


def _one_error_line(result, reason: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    [line] = result.output.strip().splitlines()
    assert line.startswith("Error: the database sqlite:///")
    assert line.endswith(f"refused: {reason}")


def test_a_read_only_database_refuses_an_import_in_one_line(tmp_path, database, bank_file):
    app = _app(f"sqlite:///file:{database}?mode=ro&uri=true", tmp_path)
    result = app.test_cli_runner().invoke(args=["bank", "import", str(bank_file)])
    _one_error_line(result, "attempt to write a readonly database")
    assert _entries(database) == 0


def test_a_read_only_database_outside_wal_mode_still_loads_and_reads(tmp_path, database, bank_file):
    # a read-only copy of a database in rollback-journal mode: switching it to WAL is a
    # write, and used to fail the app's start (a traceback for every command)
    with sqlite3.connect(database) as conn:
        conn.execute("PRAGMA journal_mode=DELETE")
    app = _app(f"sqlite:///file:{database}?mode=ro&uri=true", tmp_path)
    runner = app.test_cli_runner()
    exported = runner.invoke(args=["bank", "export", str(tmp_path / "export.csv")])
    assert exported.exit_code == 0, exported.output
    _one_error_line(runner.invoke(args=["bank", "import", str(bank_file)]), "attempt to write a readonly database")
    _one_error_line(
        runner.invoke(args=["users", "create", "a@example.com", "--role", "sales"]),
        "attempt to write a readonly database",
    )


def test_a_locked_database_refuses_an_import_in_one_line_and_keeps_nothing(tmp_path, database, bank_file, monkeypatch):
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_S", 0.2)
    app = _app(f"sqlite:///{database}", tmp_path)
    holder = sqlite3.connect(database, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another process's long write
        result = app.test_cli_runner().invoke(args=["bank", "import", str(bank_file)])
    finally:
        holder.rollback()
        holder.close()
    _one_error_line(result, "database is locked")
    assert _entries(database) == 0


@pytest.mark.parametrize("args", [["init-db"], ["bank", "export"]])
def test_a_database_that_cannot_be_opened_is_named_in_one_line(tmp_path, args):
    app = _app(f"sqlite:///{tmp_path / 'no-such-folder' / 'answerbank.db'}", tmp_path)
    if args[0] == "bank":
        args = [*args, str(tmp_path / "bank.csv")]
    result = app.test_cli_runner().invoke(args=args)
    _one_error_line(result, "unable to open database file")
