"""Autofill of the HECVAT 4 blank against a 5,000-entry bank, end to end (target < 5 s).

Prints: bank load (the import computes and stores the bank's vectors, one encode call,
and its phrasing analyses), first run (builds the index from the stored vectors and
analyses; the questions are new: "cold"), warm run (index cached, question vectors
cached), a run as after a bank change (index rebuilt, question cache empty), a first run
as on a bank stored before analyses were (every phrasing analysed, in-process caches
empty), and peak memory.
"""

from __future__ import annotations

import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TARGET = ROOT.parent / "shared" / "questionnaires" / "hecvat" / "sagearbor_HECVAT414.xlsx"

SUBJECTS = [
    "customer data",
    "backups",
    "audit logs",
    "API keys",
    "source code",
    "laptops",
    "prompts",
    "model weights",
    "payment data",
    "employee records",
    "support tickets",
    "database snapshots",
    "encryption keys",
    "containers",
]
ACTIONS = [
    "encrypt",
    "monitor",
    "review access to",
    "retain",
    "delete on request",
    "classify",
    "back up",
    "segregate",
    "scan",
    "replicate across regions",
    "restrict administrative access to",
    "log every change to",
]
QUALIFIERS = [
    "",
    " at least annually",
    " within 30 days",
    " using automated tooling",
    " in every region",
    " with customer-managed keys",
    " for all tenants",
    " under a documented procedure",
]


def synthetic_bank(n: int) -> list:
    from answers.bank import DEMO_BANK, read_bank_file
    from answers.models import EntryCreate

    entries = read_bank_file(DEMO_BANK.read_bytes(), DEMO_BANK.name)
    rng = random.Random(7)
    seen = {e.question for e in entries}
    while len(entries) < n:
        q = f"Do you {rng.choice(ACTIONS)} {rng.choice(SUBJECTS)}{rng.choice(QUALIFIERS)}?"
        if q in seen:
            q = q[:-1] + f" (policy {len(entries)})?"
        seen.add(q)
        entries.append(
            EntryCreate(
                question=q,
                answer=rng.choice(["Yes", "No"]),
                comment="Synthetic.",
                alternates=[q.replace("Do you", "Does your organization")],
            )
        )
    return entries


def main() -> int:
    if not TARGET.exists():
        print(f"skipped: {TARGET} is absent")
        return 0
    from sqlalchemy import delete, func
    from sqlmodel import Session, select

    from answers import matching, responding, suggest
    from answers.bank import import_entries
    from answers.db import get_engine
    from answers.models import EntryVector, PhrasingAnalysis
    from app import create_app

    tmp = tempfile.mkdtemp()
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": f"sqlite:///{tmp}/b.db", "UPLOAD_FOLDER": tmp}
    )
    data = TARGET.read_bytes()
    with app.app_context(), Session(get_engine(app), expire_on_commit=False) as session:
        model = suggest.embedder()
        print(f"matching mode: {model.name if model else 'lexical'}")
        t = time.perf_counter()
        import_entries(synthetic_bank(5000), session=session)
        n_vectors = session.exec(select(func.count()).select_from(EntryVector)).one()
        print(f"bank: 5,000 entries imported in {time.perf_counter() - t:.1f} s ({n_vectors} vectors stored with them)")
        clear = getattr(model, "cache_clear", lambda: None)
        clear()
        for label in (
            "first run (index built from stored vectors, new questions: cold)",
            "warm (index and questions cached)",
        ):
            t = time.perf_counter()
            result = responding.autofill(data, TARGET.name, session=session, max_bytes=50 << 20)
            session.commit()
            print(f"{label}: {time.perf_counter() - t:.2f} s, {len(result.report)} questions, {result.written} written")
        suggest.invalidate()
        clear()
        t = time.perf_counter()
        responding.autofill(data, TARGET.name, session=session, max_bytes=50 << 20)
        print(f"index rebuilt as after a bank change (stored vectors, cold questions): {time.perf_counter() - t:.2f} s")
        session.exec(delete(PhrasingAnalysis))
        session.commit()
        for remembered in (matching._tokens_of, matching.question_clauses, matching.facets):
            remembered.cache_clear()  # as in a new process
        suggest.invalidate()
        clear()
        t = time.perf_counter()
        responding.autofill(data, TARGET.name, session=session, max_bytes=50 << 20)
        print(f"first run, no stored analyses (every phrasing analysed): {time.perf_counter() - t:.2f} s")
        extra = session.exec(select(func.count()).select_from(EntryVector)).one() - n_vectors
        print(f"bank vectors computed at match time: {extra}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (process max RSS, model and bank included): {peak:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
