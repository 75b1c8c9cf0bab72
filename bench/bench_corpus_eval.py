"""Match quality on real questionnaires: learn one completed file, answer another.

For each evaluation the bank starts empty, learns the source file (`flask bank learn`'s
service), then suggests answers for the target with its own answers hidden. Answerable:
the target's real answer is a verdict (Yes / No / N/A). Coverage: share of answerable
questions written (tier exact or high). Precision: share of written verdicts equal to
the real one. Usage: python bench/bench_corpus_eval.py [--lexical] [--show-wrong]
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CORPUS = ROOT.parent / "shared" / "questionnaires"

EVALUATIONS = [
    # (name, learn from, answer, kind)
    (
        "HECVAT Full 3.03 -> 3.04 (Canvas LMS)",
        "hecvat/instructure_Canvas LMS HECVAT Full (v3.03, 2022-12).xlsx",
        "hecvat/instructure_Canvas LMS HECVAT Full (v3.04, 2024-12).xlsx",
        "same family",
    ),
    (
        "CAIQ 4.0.2 -> 4.0.3 (Instructure)",
        "caiq/instructure_Instructure CAIQ (v4.0.2).xlsx",
        "caiq/instructure_Instructure CAIQ (v4.0.3).xlsx",
        "same family",
    ),
    (
        "HECVAT Lite 3.04 -> 3.06 (Canvas Catalog -> Intelligent Insights)",
        "hecvat/instructure_Canvas Catalog HECVAT Lite (v3.04).xlsx",
        "hecvat/instructure_Intelligent Insights HECVAT Lite (v3.06).xlsx",
        "same family, other product",
    ),
    (
        "HECVAT Full 3.04 -> HECVAT Lite 3.06 (Instructure)",
        "hecvat/instructure_Canvas LMS HECVAT Full (v3.04, 2024-12).xlsx",
        "hecvat/instructure_Intelligent Insights HECVAT Lite (v3.06).xlsx",
        "across editions",
    ),
    (
        "HECVAT Full 3.04 -> CAIQ 4.0.3 (Instructure)",
        "hecvat/instructure_Canvas LMS HECVAT Full (v3.04, 2024-12).xlsx",
        "caiq/instructure_Instructure CAIQ (v4.0.3).xlsx",
        "across families",
    ),
    (
        "CAIQ 4.0.3 -> HECVAT Full 3.04 (Instructure)",
        "caiq/instructure_Instructure CAIQ (v4.0.3).xlsx",
        "hecvat/instructure_Canvas LMS HECVAT Full (v3.04, 2024-12).xlsx",
        "across families",
    ),
]


def main() -> int:
    if not CORPUS.is_dir():
        print(f"skipped: {CORPUS} is absent")
        return 0
    if "--lexical" in sys.argv:
        os.environ["ANSWERBANK_EMBEDDINGS"] = "off"
    show_wrong = "--show-wrong" in sys.argv
    from sqlmodel import Session

    from answers import suggest
    from answers.db import get_engine
    from answers.learn import learn
    from answers.verdicts import canonical_verdict
    from app import create_app
    from importers import load

    print(
        f"matching mode: {'lexical' if os.environ.get('ANSWERBANK_EMBEDDINGS') == 'off' else 'embeddings if installed'}"
    )
    print(
        f"{'evaluation':60} {'answerable':>10} {'written':>8} {'coverage':>9} {'precision':>9} "
        f"{'review':>7} {'secs':>6}"
    )
    for name, source, target, kind in EVALUATIONS:
        app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": "sqlite://", "UPLOAD_FOLDER": "/tmp"})
        suggest.invalidate()
        with app.app_context(), Session(get_engine(app), expire_on_commit=False) as session:
            src = load((CORPUS / source).read_bytes(), Path(source).name)
            learn(src, session=session, source=Path(source).name)
            tgt = load((CORPUS / target).read_bytes(), Path(target).name)
            truth = [q.answer for q in tgt.questions]
            blank = [dataclasses.replace(q, answer=None, comment=None) for q in tgt.questions]
            started = time.perf_counter()
            results = suggest.suggest_for(blank, version_line=tgt.version_line, product=None, session=session)
            secs = time.perf_counter() - started
        answerable = written = correct = review = 0
        wrong = []
        for q, real, s in zip(tgt.questions, truth, results, strict=True):
            real_verdict = canonical_verdict(real or "")
            if real_verdict is None:
                continue
            answerable += 1
            if s.tier in ("exact", "high") and s.answer is not None:
                written += 1
                if canonical_verdict(s.answer) == real_verdict:
                    correct += 1
                else:
                    wrong.append((q.id, q.text[:70], real, s.answer, s.tier, s.score))
            elif s.tier == "review":
                review += 1
        coverage = written / answerable if answerable else 0
        precision = correct / written if written else 1
        print(
            f"{name[:60]:60} {answerable:10} {written:8} {coverage:9.1%} {precision:9.1%} "
            f"{review:7} {secs:6.2f} ({kind})"
        )
        if show_wrong:
            for w in wrong:
                print("    wrong:", w)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
