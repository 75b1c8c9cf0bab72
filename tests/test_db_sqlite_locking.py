"""File SQLite: a write waits for another connection's transaction instead of failing."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlalchemy import text

from answers.db import SQLITE_BUSY_TIMEOUT_S, make_engine


def test_file_sqlite_uses_wal_and_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'bank.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        # pysqlite's own default is 5 s: too short for a long upload's transaction.
        busy_ms = conn.execute(text("PRAGMA busy_timeout")).scalar()
        assert busy_ms == SQLITE_BUSY_TIMEOUT_S * 1000 >= 30_000


def test_memory_sqlite_is_not_wal() -> None:
    engine = make_engine("sqlite://")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "memory"


def test_second_writer_waits_for_held_transaction(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'bank.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    held = threading.Event()

    def hold_write_lock() -> None:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))
            held.set()
            time.sleep(1.0)  # a long upload's transaction

    holder = threading.Thread(target=hold_write_lock)
    holder.start()
    assert held.wait(5)
    # Without a busy timeout this raises "database is locked" at once.
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (2)"))
    holder.join()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 2
