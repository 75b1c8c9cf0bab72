"""Precision probes: how often a question that asks something else is written anyway.

The bank is the 438 answered questions (a verdict) of Instructure's HECVAT Full 3.04 and CAIQ 4.0.3
(``../shared``; skipped where absent). Each probe rewrites those questions into ones the
source entry does *not* answer, asks them, and counts how many are still written (tier
exact or high) from that entry. Lower is better; none of these is zero by design (some
rewrites are harmless, e.g. "employees" -> "administrators" is a subset).

- narrowed: a word that asks for a stronger form of the control inserted into the
  question ("immutable" backups, "end-to-end" encryption) and asked against the original
  entry (``matching`` alone);
- narrowed No: the narrowed questions in the bank, answered No, and the original questions
  asked (through ``answers.suggest``, where a No to a narrower question is held back);
- object swaps: one object, place or kind swapped ("remote access" -> "physical access",
  "servers" -> "laptops"), asked against the original entry (``matching`` alone).

Figures (2026-11-29, AVX2 machine; model / lexical), at the session's start and after the
qualifier, handling, narrower-No and on-site rules: narrowed 273 -> 181 / 226 -> 135 of
303; narrowed No 302 -> 138 / 298 -> 129 of 303; object swaps 119 -> 116 / 86 -> 84 of 160.
Then "board-approved", "independent" / "third-party" audits and tests, "role-based": narrowed
74 / 32, narrowed No 19 / 16; incidents / vulnerabilities as two kinds: object swaps
101 / 75; application / infrastructure as two kinds: object swaps 64 / 48.
A second thing joined by "and", one more population: narrowed 61 / 20, narrowed No 17 / 14,
object swaps 63 / 47.
2026-11-30, at main 912a573: narrowed 54 / 18, narrowed No 10 / 7, object swaps 51 / 35; then
a policy / its procedures as two kinds: object swaps 44 / 29 (the other rules of that day,
"required", keys you manage, firewall rules, public bug bounty, API access, a data center's
certification, moved no probe).

Usage: python bench/bench_precision_probes.py [--lexical] [--show]
"""

from __future__ import annotations

import re
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_corpus_eval import CORPUS, INSTRUCTURE_BANK, _read  # noqa: E402

NARROWING = [
    (r"\b(encrypt(?:ed|s|ion)?)\b", r"end-to-end \1"),
    (r"\b(backups?)\b", r"immutable \1"),
    (r"\b(backups?)\b", r"offline \1"),
    (r"\b(encryption )?keys\b", r"customer-managed keys"),
    (r"\bmonitor(ed|ing)?\b", r"monitor\1 in real time"),
    (r"\b(audit(?:s|ed)?)\b", r"independent \1"),
    (r"\b(MFA|multi-factor authentication|two-factor authentication)\b", r"phishing-resistant \1"),
    (r"\b(disaster recovery|DR) (site|facility|location)\b", r"hot \1 \2"),
    (r"\b(data center|datacenter)s?\b", r"Tier IV \1"),
    (r"\b(penetration test(?:s|ing)?)\b", r"red-team \1"),
    (r"\b(policy|policies)\b", r"board-approved \1"),
    (r"\b(training)\b", r"role-based \1"),
    (r"\b(logs?)\b", r"tamper-proof \1"),
    (r"\b(vulnerability scan(?:s|ning)?)\b", r"authenticated \1"),
    (r"\b(firewalls?)\b", r"next-generation \1"),
    (r"\b(certifi(?:ed|cation))\b", r"FedRAMP High \1"),
    (r"\b(access reviews?)\b", r"automated \1"),
    (r"\b(data)\b", r"all customer and backup \1"),
]
SWAPS = [
    (r"\blaptops?\b", "servers"),
    (r"\bservers?\b", "laptops"),
    (r"\bemployees\b", "administrators"),
    (r"\bproduction\b", "development"),
    (r"\bdevelopment\b", "production"),
    (r"\bapplications?\b", "infrastructure"),
    (r"\bemail\b", "chat"),
    (r"\bmobile\b", "desktop"),
    (r"\bnetwork\b", "application"),
    (r"\bsource code\b", "customer data"),
    (r"\bbackups?\b", "logs"),
    (r"\blogs\b", "backups"),
    (r"\bpasswords?\b", "API keys"),
    (r"\bvendors?\b", "customers"),
    (r"\bdatabases?\b", "file shares"),
    (r"\bremote access\b", "physical access"),
    (r"\bphysical access\b", "remote access"),
    (r"\bvulnerabilit(?:y|ies)\b", "incidents"),
    (r"\bincidents?\b", "vulnerabilities"),
    (r"\bpolicy\b", "procedure"),
    (r"\bfirewalls?\b", "antivirus"),
    (r"\bSSO\b", "MFA"),
    (r"\bMFA\b", "SSO"),
]
WRITTEN = ("exact", "high")


def _bank():
    from answers.matching import BankEntry
    from answers.verdicts import canonical_verdict

    questions = [q for path in INSTRUCTURE_BANK for q in _read(path).questions]
    answered = [q for q in questions if q.text and canonical_verdict(q.answer or "")]
    return [BankEntry(i + 1, q.text, answer=q.answer, comment=q.comment or "") for i, q in enumerate(answered)]


def _rewrites(bank, rules):
    """(source entry, rule, rewritten question) for every rule that changes a question."""
    out = []
    for entry in bank:
        for pattern, repl in rules:
            new = re.sub(pattern, repl, entry.question, count=1, flags=re.IGNORECASE)
            if new != entry.question:
                out.append((entry, pattern, new))
    return out


def _report(label: str, rewrites, written_flags, show: bool) -> None:
    total = Counter(p for _, p, _ in rewrites)
    hits = Counter(p for (_, p, _), w in zip(rewrites, written_flags, strict=True) if w)
    print(f"{label}: {sum(hits.values())} of {len(rewrites)} written")
    for pattern, n in total.most_common():
        print(f"  {hits[pattern]:4d} / {n:4d}  {pattern}")
    if show:
        for (_, _, new), w in zip(rewrites, written_flags, strict=True):
            if w:
                print(f"    {new[:140]}")


def _against_source(index, rewrites) -> list[bool]:
    from answers.matching import Query

    results = index.match([Query(new) for _, _, new in rewrites])
    return [s.tier in WRITTEN and s.entry_id == e.entry_id for (e, _, _), s in zip(rewrites, results, strict=True)]


def _narrowed_no(rewrites, lexical: bool) -> list[bool]:
    """The narrowed questions answered No in a bank; the original questions asked through
    ``suggest_for``: is a No written?"""
    from sqlmodel import Session

    from answers import suggest
    from answers.bank import import_entries
    from answers.db import get_engine
    from answers.models import EntryCreate, EntryStatus
    from app import create_app
    from tests.questionnaire_builders import one_question

    tmp = tempfile.mkdtemp()
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": f"sqlite:///{tmp}/b.db", "UPLOAD_FOLDER": tmp}
    )
    with app.app_context(), Session(get_engine(app), expire_on_commit=False) as session:
        if lexical:
            suggest._embedder = None
        suggest.invalidate()
        narrowed = list(dict.fromkeys(new for _, _, new in rewrites))
        import_entries(
            [EntryCreate(question=t, answer="No") for t in narrowed], session=session, status=EntryStatus.approved
        )
        session.commit()
        found = suggest.suggest_for(
            [one_question(e.question) for e, _, _ in rewrites], version_line="generic", product=None, session=session
        )
    return [s.tier in WRITTEN and s.answer == "No" for s in found]


def main() -> int:
    if not all((CORPUS / path).exists() for path in INSTRUCTURE_BANK):
        print(f"skipped: the Instructure questionnaires are absent from {CORPUS}")
        return 0
    from answers.embeddings import load_default_embedder
    from answers.matching import BankIndex

    lexical = "--lexical" in sys.argv
    show = "--show" in sys.argv
    embedder = None if lexical else load_default_embedder()
    print(f"matching mode: {embedder.name if embedder else 'lexical'}")
    bank = _bank()
    index = BankIndex.build(bank, embedder=embedder)
    narrowed = _rewrites(bank, NARROWING)
    label = f"narrowed, against the original entry ({len(bank)} entries)"
    _report(label, narrowed, _against_source(index, narrowed), show)
    _report("narrowed No, original asked (through suggest)", narrowed, _narrowed_no(narrowed, lexical), show)
    swaps = _rewrites(bank, SWAPS)
    _report("object swaps, against the original entry", swaps, _against_source(index, swaps), show)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
