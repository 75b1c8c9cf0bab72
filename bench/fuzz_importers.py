"""Longer property-based fuzz run of the importers than the test suite does.

    .venv/bin/python bench/fuzz_importers.py [--examples 2000] [--seed 0]

Mutates real (when ../shared is present) and synthetic questionnaires (see
tests/fuzz_strategies.py) and calls importers.load. Anything other than a
ParsedQuestionnaire or a QuestionnaireImportError is a crash: each distinct crash
(exception type + innermost frame) is printed once with one reproducing input saved
under /tmp/answerbank-fuzz/. Prints examples tried, outcomes and crashes found.
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hypothesis import HealthCheck, given, seed, settings

import importers
from tests.fuzz_strategies import mutated, seeds

OUT = Path("/tmp/answerbank-fuzz")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    outcomes: collections.Counter[str] = collections.Counter()
    crashes: dict[str, tuple[str, bytes, str]] = {}

    @seed(args.seed)
    @settings(
        max_examples=args.examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(mutated())
    def run(case: tuple[str, bytes]) -> None:
        filename, data = case
        try:
            parsed = importers.load(data, filename)
        except importers.QuestionnaireImportError as exc:
            outcomes[type(exc).__name__] += 1
        except Exception as exc:
            tb = traceback.extract_tb(exc.__traceback__)[-1]
            key = f"{type(exc).__name__} at {Path(tb.filename).name}:{tb.lineno}"
            outcomes["CRASH"] += 1
            crashes.setdefault(key, (filename, data, f"{type(exc).__name__}: {exc}"))
        else:
            outcomes[f"parsed ({parsed.format})"] += 1

    started = time.perf_counter()
    run()
    elapsed = time.perf_counter() - started
    total = sum(outcomes.values())
    print(f"seeds: {', '.join(sorted(seeds()))}")
    print(f"examples tried: {total} in {elapsed:.1f}s")
    for outcome, count in outcomes.most_common():
        print(f"  {outcome}: {count}")
    print(f"distinct crashes: {len(crashes)}")
    if crashes:
        OUT.mkdir(parents=True, exist_ok=True)
    for i, (key, (filename, data, message)) in enumerate(sorted(crashes.items())):
        path = OUT / f"crash{i}{Path(filename).suffix}"
        path.write_bytes(data)
        print(f"  {key}: {message[:200]} -> {path}")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
