"""Worst-case text analysis: is every regex pass over a question linear in its length?

A questionnaire cell holds up to 32,767 characters (a docx paragraph has no limit), and
every question goes through the tokens, clauses and facets of ``answers.matching``: one
pattern that backtracks quadratically on some repetition turns an upload into minutes of
CPU. For each adversarial text (repetitions of the words the patterns look for) this
times ``analyse`` (tokens, clauses, facets) and ``entry_facets`` at growing lengths and
prints seconds per size and the growth from the smallest to the largest. Linear work
grows by the size ratio (16x here); a line marked SUPERLINEAR grows more than 3 times that.

Then the same for matching itself: two questions of that many distinct random words
against a bank holding five such entries (comparing two texts' words for near spellings
costs the product of their vocabularies, so a text's first ``MAX_TEXT_TOKENS`` tokens
are compared).

Usage: python bench/bench_regex_worst_case.py
"""

from __future__ import annotations

import random
import string
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from answers import matching

#: (name, the piece repeated, what comes after the repetitions)
PIECES = [
    ("handling verbs joined by or", "store or ", "data?"),
    ("handling verbs joined by commas", "store, ", "data?"),
    ("data nouns", "customer data ", "stored?"),
    ("qualifier words", "independent third party ", "audit?"),
    ("examples in parentheses", "(e.g. not ", "x)"),
    ("open parentheses", "( ", ")"),
    ("and/or lists", "backups and/or ", "logs?"),
    ("leading condition words", "for customers not using sso ", ", is mfa on?"),
    ("frequencies", "at least annually every 12 months ", "?"),
    ("figures", "1 2 3 4 5 6 7 8 9 10 ", "days?"),
    ("two questions joined", "is it documented, and does it ", "work?"),
    ("parties", "your cloud hosting provider ", "?"),
    ("populations and regions", "customers in the us and eu ", "?"),
    ("kinds", "internal external ", "tests?"),
    ("deliverables", "provide a copy of the ", "report?"),
    ("hyphens and slashes", "a-b/c-d ", "?"),
    ("one long word", "x", "?"),
    ("whitespace", " \t ", "?"),
]
REPEATS = (100, 400, 1_600)
SUPERLINEAR = 3.0


def _clear() -> None:
    for fn in (matching._tokens_of, matching.question_clauses, matching.facets, matching.entry_facets):
        fn.cache_clear()


def _seconds(text: str) -> float:
    _clear()
    started = time.perf_counter()
    matching.analyse(text, text, "")
    matching.entry_facets(text, text, text)
    return time.perf_counter() - started


def main() -> int:
    print(f"{'input':36} " + " ".join(f"{'x' + str(n):>9}" for n in REPEATS) + "   growth")
    worst = 0.0
    for name, piece, tail in PIECES:
        times = [_seconds("Do you " + piece * n + tail) for n in REPEATS]
        growth = times[-1] / max(times[0], 1e-6)
        limit = SUPERLINEAR * REPEATS[-1] / REPEATS[0]
        flag = "  SUPERLINEAR" if growth > limit and times[-1] > 0.05 else ""
        worst = max(worst, times[-1])
        print(f"{name:36} " + " ".join(f"{t:9.3f}" for t in times) + f"   {growth:5.1f}x{flag}")
    print(f"slowest text at {REPEATS[-1]} repetitions: {worst:.2f} s")
    rng = random.Random(1)

    def text(words: int) -> str:
        return "Do you " + " ".join("".join(rng.choices(string.ascii_lowercase, k=7)) for _ in range(words)) + "?"

    times = []
    for n in REPEATS:
        bank = [matching.BankEntry(i + 1, text(n) if i < 5 else text(12), answer="Yes") for i in range(100)]
        index = matching.BankIndex.build(bank)
        started = time.perf_counter()
        index.match([matching.Query(text(n)) for _ in range(2)])
        times.append(time.perf_counter() - started)
    print(f"{'match, distinct words':36} " + " ".join(f"{t:9.3f}" for t in times))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
