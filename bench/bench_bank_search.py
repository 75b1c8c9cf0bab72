"""Bank search speed on SQLite: `python bench/bench_bank_search.py [N_ENTRIES]`.

Fills a temporary SQLite database with N entries (default 20,000; a tenth of them in
French or German, with accented capitals), then times `bank.search` (count and one page of
50, as the bank page asks) for a few queries, in two ways over the same data:

- stored: `Entry.search_text`, folded when written (what the bank reads now);
- per row: that column emptied, so every row is folded by the casefold functions
  registered on the connection (what the bank read before, and what it still reads for an
  entry written by an older release until `fill_search_text` runs).

Prints the median of 7 runs per query and how many entries each finds (the same both ways:
checked). Timings on a shared machine are noisy: compare the two columns of one run.
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text
from sqlmodel import Session

from answers import bank
from answers.db import fill_search_text, get_engine
from answers.models import Entry, EntryStatus
from bench._app import bench_app

WORDS = (
    "encrypt data rest transit backup access control mfa vpn logging monitoring incident response vendor risk "
    "policy audit retention deletion privacy key rotation password sso patch vulnerability scan penetration test"
).split()
FOREIGN = (
    "ÉVALUATION des risques chiffrement données sauvegarde Sécurité CONTRÔLE d'accès journalisation "
    "VERSCHLÜSSELUNG Übertragung Datensicherung Straße Zugriffsprüfung ÄNDERUNGSVERWALTUNG"
).split()
QUERIES = ("encrypt backup", "évaluation", "VERSCHLÜSSELUNG", "multi-factor", "zugriffsprüfung sécurité", "nothing")


def fill(session: Session, n: int) -> None:
    rng = random.Random(7)
    rows = []
    for i in range(n):
        words = rng.sample(FOREIGN if i % 10 == 0 else WORDS, 8)
        rows.append(
            Entry(
                question=f"Do you {' '.join(words)} ({i})?",
                answer=rng.choice(["Yes", "No", "N/A"]),
                comment=" ".join(rng.sample(WORDS, 12)) + (" Multi-Factor" if i % 50 == 0 else ""),
                alternates=[f"Is {' '.join(rng.sample(WORDS, 5))} in place?"],
                status=rng.choice([EntryStatus.approved] * 9 + [EntryStatus.draft]),
            )
        )
    session.add_all(rows)
    session.commit()


def timed(session: Session, query: str) -> tuple[float, int]:
    times, total = [], 0
    for _ in range(7):
        t0 = time.perf_counter()
        total = bank.search(bank.SearchFilters(query=query), session=session).total
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), total


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    with tempfile.TemporaryDirectory() as tmp:
        app = bench_app(tmp)
        engine = get_engine(app)
        with Session(engine) as session:
            t0 = time.perf_counter()
            fill(session, n)
            print(f"{n:,} entries written in {time.perf_counter() - t0:.1f} s")
            stored = {q: timed(session, q) for q in QUERIES}
            session.exec(text("UPDATE entry SET search_text = NULL"))  # type: ignore[call-overload]
            session.commit()
            per_row = {q: timed(session, q) for q in QUERIES}
        t0 = time.perf_counter()
        filled = fill_search_text(engine)
        print(f"fill_search_text: {filled:,} entries in {time.perf_counter() - t0:.2f} s")
        print(f"{'query':28} {'stored':>10} {'per row':>10}  found")
        for q in QUERIES:
            assert stored[q][1] == per_row[q][1], (q, stored[q], per_row[q])
            print(f"{q:28} {stored[q][0]:8.1f} ms {per_row[q][0]:8.1f} ms  {stored[q][1]}")


if __name__ == "__main__":
    main()
