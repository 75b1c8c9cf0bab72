"""Matching quality and speed: prints the figures the tier thresholds are calibrated on.

Usage: python -m bench.bench_matching [--no-embedder] [--speed-only] [--quality-only]

Quality (bench/paraphrases.py): top-1 accuracy over labelled paraphrases; "written" =
suggestions of tier exact or high; precision = written with the right entry / all
written (paraphrases and no-answer questions alike); coverage = paraphrases written
correctly / paraphrases; no-answer written = no-answer questions that got a written
suggestion (each one a wrong answer sent).

Speed: 2,000 questions against a 20,000-phrasing synthetic bank, build and match timed
separately; with the embedder, bank vectors are precomputed (as stored in the database
when entries are written) and only the queries are encoded. "build": the first in a process; "rebuild": as after
a bank edit (canonical tokens of known texts remembered). "cold": questions never seen
(the embedder's query cache and the token caches cleared; median and range of five runs),
encoding timed on its own too; "warm": the same
questions again, their vectors cached (template questions repeat across uploads). Peak memory from tracemalloc
(Python allocations, numpy included) and ru_maxrss (the whole process).
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from answers.matching import (
    BankEntry,
    BankIndex,
    Query,
    _tokens_of,
    embed_text,
    facets,
    question_clauses,
    text_hash,
)
from bench.paraphrases import BANK, NO_ANSWER, PARAPHRASES


def paraphrase_bank() -> list[BankEntry]:
    return [BankEntry(entry_id=i + 1, question=q, answer=a) for i, (_, q, a) in enumerate(BANK)]


def evaluate(index: BankIndex) -> dict[str, float]:
    """Quality figures of ``index`` (built from paraphrase_bank()) on the labelled set."""
    key_to_id = {key: i + 1 for i, (key, _, _) in enumerate(BANK)}
    queries = [Query(text) for text, _ in PARAPHRASES] + [Query(text) for text in NO_ANSWER]
    truth = [key_to_id[key] for _, key in PARAPHRASES] + [None] * len(NO_ANSWER)
    suggestions = index.match(queries)
    n_para = len(PARAPHRASES)
    top1 = sum(s.entry_id == t for s, t in zip(suggestions[:n_para], truth[:n_para], strict=True))
    written = [(s, t) for s, t in zip(suggestions, truth, strict=True) if s.tier in ("exact", "high")]
    right = sum(s.entry_id == t for s, t in written)
    review_right = sum(
        s.entry_id == t and s.tier == "review" for s, t in zip(suggestions[:n_para], truth[:n_para], strict=True)
    )
    return {
        "top1": top1 / n_para,
        "precision": right / len(written) if written else 1.0,
        "coverage": right / n_para,
        "written": len(written),
        "wrong_written": len(written) - right,
        "no_answer_written": sum(1 for s in suggestions[n_para:] if s.tier in ("exact", "high")),
        "review_right": review_right / n_para,
    }


def wrong_written(index: BankIndex) -> list[str]:
    key_to_id = {key: i + 1 for i, (key, _, _) in enumerate(BANK)}
    id_to_q = {i + 1: q for i, (_, q, _) in enumerate(BANK)}
    queries = [(text, key_to_id[key]) for text, key in PARAPHRASES] + [(t, None) for t in NO_ANSWER]
    out = []
    for (text, truth), s in zip(queries, index.match([Query(t) for t, _ in queries]), strict=True):
        if s.tier in ("exact", "high") and s.entry_id != truth:
            out.append(f"  {s.score:3d} {text!r} -> {id_to_q.get(s.entry_id)!r}")
    return out


_WORDS = (
    "access account admin application audit backup breach change cloud code compliance customer data database "
    "deletion device disaster employee encryption endpoint environment firewall hosting identity incident "
    "inventory key laptop log malware monitoring network password patch penetration personnel physical policy "
    "privacy production recovery retention review risk role scan server session software storage supplier "
    "system test training vendor vulnerability wireless"
).split()


def synthetic_bank(n_entries: int, phrasings_per_entry: int, seed: int = 7) -> list[BankEntry]:
    rng = random.Random(seed)

    def sentence() -> str:
        words = rng.sample(_WORDS, rng.randint(5, 10))
        return "Do you " + " ".join(words) + "?"

    return [
        BankEntry(
            entry_id=i + 1,
            question=sentence(),
            answer=rng.choice(["Yes", "No"]),
            alternates=tuple(sentence() for _ in range(phrasings_per_entry - 1)),
        )
        for i in range(n_entries)
    ]


COLD_RUNS = 5


def speed(embedder) -> None:
    entries = synthetic_bank(5_000, 4)  # 20,000 phrasings
    rng = random.Random(11)
    queries = [Query(rng.choice(entries).question.replace("Do you", "Does the vendor")) for _ in range(1_000)]
    queries += [Query("Is " + " ".join(rng.sample(_WORDS, 7)) + " in place?") for _ in range(1_000)]
    vectors = None
    if embedder is not None:
        # stand-in for vectors cached in the database: random unit vectors, one per phrasing
        vrng = np.random.default_rng(3)
        texts = [t for e in entries for t in (e.question, *e.alternates)]
        vecs = vrng.standard_normal((len(texts), 384)).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        vectors = {text_hash(t): v for t, v in zip(texts, vecs, strict=True)}
    clear = getattr(embedder, "cache_clear", lambda: None)
    _tokens_of.cache_clear()  # a first build in a fresh process
    t0 = time.perf_counter()
    index = BankIndex.build(entries, embedder=embedder, vectors=vectors)
    t1 = time.perf_counter()
    BankIndex.build(entries, embedder=embedder, vectors=vectors)  # as after a bank edit: texts seen before
    rebuild_s = time.perf_counter() - t1
    enc_s = 0.0
    if embedder is not None:
        t_enc = time.perf_counter()
        embedder.encode(sorted({embed_text(q.text) for q in queries}))
        enc_s = time.perf_counter() - t_enc
    colds = []
    for _ in range(COLD_RUNS):  # a shared machine: the spread matters as much as one figure
        clear()  # cold: none of these questions seen before (vectors, tokens, clauses)
        _tokens_of.cache_clear()  # the index keeps its phrasings' tokens itself
        question_clauses.cache_clear()
        facets.cache_clear()
        t2 = time.perf_counter()
        result = index.match(queries)
        colds.append(time.perf_counter() - t2)
    t3 = time.perf_counter()
    index.match(queries)  # warm: the same questions again (query vectors cached by the embedder)
    t4 = time.perf_counter()
    # second pass under tracemalloc (it slows allocation, so not timed)
    mode = index.mode
    del index
    clear()
    tracemalloc.start()
    BankIndex.build(entries, embedder=embedder, vectors=vectors).match(queries)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"speed [{mode}]: bank {len(entries)} entries / 20,000 phrasings, {len(queries)} questions")
    print(
        f"  build {t1 - t0:.2f} s (rebuild {rebuild_s:.2f} s); "
        f"match cold {sorted(colds)[len(colds) // 2]:.2f} s (median of {len(colds)}: "
        f"{min(colds):.2f}-{max(colds):.2f}), warm {t4 - t3:.2f} s (tiers: "
        f"{ {t: sum(s.tier == t for s in result) for t in ('exact', 'high', 'review', 'none')} })"
    )
    if embedder is not None:
        n_unique = len({embed_text(q.text) for q in queries})
        print(f"  cold includes encoding {n_unique} new questions: {enc_s:.2f} s alone ({n_unique / enc_s:.0f}/s)")
    print(
        f"  peak traced memory {peak / 2**20:.0f} MiB; process max RSS "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-embedder", action="store_true")
    parser.add_argument("--speed-only", action="store_true")
    parser.add_argument("--quality-only", action="store_true")
    parser.add_argument("--show-errors", action="store_true")
    args = parser.parse_args()
    embedder = None
    if not args.no_embedder:
        from answers.embeddings import load_default_embedder

        embedder = load_default_embedder()
        if embedder is None:
            print("embedder unavailable: lexical only")
    if not args.speed_only:
        print(f"quality: {len(BANK)} bank entries, {len(PARAPHRASES)} paraphrases, {len(NO_ANSWER)} no-answer")
        for emb in ([embedder] if embedder is not None else []) + [None]:
            t0 = time.perf_counter()
            index = BankIndex.build(paraphrase_bank(), embedder=emb)
            r = evaluate(index)
            print(
                f"  {index.mode:8s} top-1 {r['top1']:.3f}  written precision {r['precision']:.3f} "
                f"({r['wrong_written']} wrong of {r['written']})  coverage {r['coverage']:.3f}  "
                f"no-answer written {r['no_answer_written']}  right-but-review {r['review_right']:.3f}  "
                f"({time.perf_counter() - t0:.1f} s)"
            )
            if args.show_errors:
                print("\n".join(wrong_written(index)))
    if not args.quality_only:
        for emb in ([embedder] if embedder is not None else []) + [None]:
            speed(emb)


if __name__ == "__main__":
    main()
