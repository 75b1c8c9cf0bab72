"""What each candidate `high` threshold would write: the numbers behind HIGH_SCORE_*.

Runs every evaluation once with the high threshold at 0 (so each suggestion keeps its
score and every other rule: approval, the margin over a rival with another answer,
exact matches), then counts, per threshold, what would be written (tier exact, or high
at or above the threshold) and how much of it is right. Sets: the labelled paraphrase
set (bench/paraphrases.py; dense and lexical) and the corpus evaluations of
bench/bench_corpus_eval.py (dense, or lexical with --lexical).
Usage: python bench/bench_threshold_sweep.py [--lexical] [NAME-FILTER ...]
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

THRESHOLDS = (55, 60, 62, 64, 66, 68, 70, 72, 75, 80)


class Outcome(NamedTuple):
    answerable: bool  # there is a right answer to write
    exact: bool  # written whatever the threshold
    high_at_zero: bool  # written once the score reaches the threshold
    score: int
    right: bool  # what would be written is right


def table(name: str, outcomes: list[Outcome], current: int) -> None:
    answerable = sum(o.answerable for o in outcomes)
    print(f"\n{name} ({answerable} answerable)")
    for t in THRESHOLDS:
        written = [o for o in outcomes if o.exact or (o.high_at_zero and o.score >= t)]
        right = sum(o.right for o in written)
        covered = sum(o.answerable for o in written)  # coverage: answerable questions written
        precision = right / len(written) if written else 1.0
        coverage = covered / answerable if answerable else 0.0
        mark = "  <- current" if t == current else ""
        print(f"  >= {t:3}: written {len(written):4}  precision {precision:6.1%}  coverage {coverage:6.1%}{mark}")


def paraphrase_outcomes(embedder) -> list[Outcome]:
    from answers.matching import BankIndex, Query
    from bench.bench_matching import paraphrase_bank
    from bench.paraphrases import BANK, NO_ANSWER, PARAPHRASES

    key_to_id = {key: i + 1 for i, (key, _, _) in enumerate(BANK)}
    queries = [Query(text) for text, _ in PARAPHRASES] + [Query(text) for text in NO_ANSWER]
    truth = [key_to_id[key] for _, key in PARAPHRASES] + [None] * len(NO_ANSWER)
    suggestions = BankIndex.build(paraphrase_bank(), embedder=embedder).match(queries)
    return [
        Outcome(t is not None, s.tier == "exact", s.tier == "high", s.score, t is not None and s.entry_id == t)
        for s, t in zip(suggestions, truth, strict=True)
    ]


def corpus_outcomes(source: str, target: str, labelled) -> list[Outcome]:
    from bench.bench_corpus_eval import run, truth_of, written_verdict

    src, tgt, results, _, _ = run(source, target)
    truth = truth_of(src, labelled)
    outcomes = []
    for q, s in zip(tgt.questions, results, strict=True):
        real = truth(q)
        written = written_verdict(s.answer)
        if real is None and (not labelled or written is None):
            continue  # not answerable and nothing wrong could be written
        outcomes.append(
            Outcome(
                real is not None,
                s.tier == "exact" and written is not None,
                s.tier == "high" and written is not None,
                s.score,
                real is not None and written == real,
            )
        )
    return outcomes


def main() -> int:
    if "--lexical" in sys.argv:
        os.environ["ANSWERBANK_EMBEDDINGS"] = "off"
    from answers import matching
    from answers.embeddings import load_default_embedder
    from bench.bench_corpus_eval import CORPUS, EVALUATIONS, LABELS

    current = {"dense": matching.HIGH_SCORE_DENSE, "lexical": matching.HIGH_SCORE_LEXICAL}
    matching.HIGH_SCORE_DENSE = matching.HIGH_SCORE_LEXICAL = 0
    embedder = load_default_embedder()
    mode = "dense" if embedder is not None else "lexical"
    only = [a for a in sys.argv[1:] if not a.startswith("--")]
    if not only:
        for emb, name in ((embedder, mode), (None, "lexical")):
            if emb is None and name == "dense":
                continue
            table(f"paraphrase set, {name}", paraphrase_outcomes(emb), current[name])
    if not CORPUS.is_dir():
        print(f"\ncorpus evaluations skipped: {CORPUS} is absent")
        return 0
    for name, source, target, _, labelled in EVALUATIONS:
        if only and not any(o.casefold() in name.casefold() for o in only):
            continue
        if labelled and not (LABELS / labelled[0]).is_file():
            continue
        table(f"{name}, {mode}", corpus_outcomes(source, target, labelled), current[mode])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
