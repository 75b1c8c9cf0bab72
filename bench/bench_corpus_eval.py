"""Match quality on real questionnaires: learn one completed file, answer another.

For each evaluation the bank starts empty, learns the source file (`flask bank learn`'s
service), then suggests answers for the target with its own answers hidden. Answerable:
the target's real answer is a verdict (Yes / No / N/A); for the labelled evaluations
(rewritten or other-family questionnaires, bench/labels/) it must also have a labelled
equivalent in the source. Coverage: share of answerable questions written (tier exact or
high). Precision: share of written verdicts equal to the real one; a verdict written on
a question with no labelled equivalent counts as wrong. Offered (labelled only): share
of answerable questions whose labelled equivalent the reviewer is shown, written or not
(the suggestion, an alternative, or a weak candidate of a question left empty): what one
click in review answers.
Usage: python bench/bench_corpus_eval.py [--lexical] [--show-wrong] [NAME-FILTER ...]
"""

from __future__ import annotations

import dataclasses
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CORPUS = ROOT.parent / "shared" / "questionnaires"

INSTRUCTURE_BANK = (
    "hecvat/instructure_Canvas LMS HECVAT Full (v3.04, 2024-12).xlsx",
    "caiq/instructure_Instructure CAIQ (v4.0.3).xlsx",
)
VSAQ_FILES = ("webapp", "security_privacy_programs", "infrastructure", "physical_and_datacenter")

EVALUATIONS = [
    # (name, learn from, answer, kind, labels): without labels the target's own answers
    # are the truth; with labels (bench/labels/*.csv, hand-made: which source questions
    # ask the same thing as each target question) a target question is answerable only
    # when it has a labelled equivalent, and a written answer without one is an error.
    (
        "HECVAT Full 3.03 -> 3.04 (Canvas LMS)",
        "hecvat/instructure_Canvas LMS HECVAT Full (v3.03, 2022-12).xlsx",
        "hecvat/instructure_Canvas LMS HECVAT Full (v3.04, 2024-12).xlsx",
        "same family",
        None,
    ),
    (
        "CAIQ 4.0.2 -> 4.0.3 (Instructure)",
        "caiq/instructure_Instructure CAIQ (v4.0.2).xlsx",
        "caiq/instructure_Instructure CAIQ (v4.0.3).xlsx",
        "same family",
        None,
    ),
    (
        "HECVAT Lite 3.04 -> 3.06 (Canvas Catalog -> Intelligent Insights)",
        "hecvat/instructure_Canvas Catalog HECVAT Lite (v3.04).xlsx",
        "hecvat/instructure_Intelligent Insights HECVAT Lite (v3.06).xlsx",
        "same family, other product",
        None,
    ),
    (
        "HECVAT Full 3.04 -> HECVAT Lite 3.06 (Instructure)",
        "hecvat/instructure_Canvas LMS HECVAT Full (v3.04, 2024-12).xlsx",
        "hecvat/instructure_Intelligent Insights HECVAT Lite (v3.06).xlsx",
        "across editions",
        None,
    ),
    (
        "HECVAT Full 3.04 -> HECVAT 4.1.4 blank (labelled)",
        "hecvat/instructure_Canvas LMS HECVAT Full (v3.04, 2024-12).xlsx",
        "hecvat/sagearbor_HECVAT414.xlsx",
        "across versions (rewritten)",
        ("hecvat3_hecvat4.csv", "forward"),
    ),
    (
        "HECVAT Full 3.04 -> CAIQ 4.0.3 (labelled)",
        "hecvat/instructure_Canvas LMS HECVAT Full (v3.04, 2024-12).xlsx",
        "caiq/instructure_Instructure CAIQ (v4.0.3).xlsx",
        "across families",
        ("hecvat3_caiq4.csv", "forward"),
    ),
    (
        "HECVAT Full 3.04 -> CAIQ 3.0.1 blank (labelled)",
        "hecvat/instructure_Canvas LMS HECVAT Full (v3.04, 2024-12).xlsx",
        "caiq/metanorma_csa-caiq-v3.0.1-09-01-2017.xlsx",
        "across families",
        ("hecvat3_caiq3.csv", "forward"),
    ),
    (
        "CAIQ 4.0.3 -> HECVAT Full 3.04 (labelled)",
        "caiq/instructure_Instructure CAIQ (v4.0.3).xlsx",
        "hecvat/instructure_Canvas LMS HECVAT Full (v3.04, 2024-12).xlsx",
        "across families",
        ("hecvat3_caiq4.csv", "reverse"),
    ),
    # a bank learned from both of one vendor's questionnaires, answering questionnaires
    # of other families; "source": the truth is the bank's answer only (the third-party
    # questionnaire holds another vendor's answers, the VSAQ files none)
    (
        "HECVAT 3.04 + CAIQ 4.0.3 -> customer third-party questionnaire (labelled)",
        INSTRUCTURE_BANK,
        "other/D3c3pt1c0nCyber_third-party IT and data security questionnaire (app-uploads 047f031).xlsx",
        "across families",
        ("instructure_thirdparty.csv", "forward", "source"),
    ),
    (
        "HECVAT 3.04 + CAIQ 4.0.3 -> Google VSAQ, 4 questionnaires (labelled)",
        INSTRUCTURE_BANK,
        tuple(f"vsa/google-vsaq_{name}.json" for name in VSAQ_FILES),
        "across families",
        ("instructure_vsaq.csv", "forward", "source"),
    ),
]
LABELS = ROOT / "bench" / "labels"


def read_labels(name: str, direction: str) -> dict[str, set[str]]:
    """{target id: source ids labelled `same`}; `reverse` swaps the two sides."""
    import csv

    same: dict[str, set[str]] = {}
    with (LABELS / name).open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["relation"].strip() != "same":
                continue
            sources = {s.strip() for s in row["source_ids"].split(";") if s.strip()}
            if direction == "forward":
                same.setdefault(row["target_id"].strip(), set()).update(sources)
            else:
                for s in sources:
                    same.setdefault(s, set()).add(row["target_id"].strip())
    return same


def _files(paths: str | tuple[str, ...]) -> tuple[str, ...]:
    return (paths,) if isinstance(paths, str) else paths


def _read(path: str):
    """One corpus file as a questionnaire (VSAQ JSON through bench/vsaq.py)."""
    from bench.vsaq import load_vsaq
    from importers import load

    file = CORPUS / path
    return load_vsaq(file) if file.suffix == ".json" else load(file.read_bytes(), file.name)


def _joined(parts: list):
    """The questions of several questionnaires as one (the first one's family)."""
    from importers.base import ParsedQuestionnaire

    if len(parts) == 1:
        return parts[0]
    return ParsedQuestionnaire(
        family=parts[0].family,
        version=parts[0].version,
        format=parts[0].format,
        questions=[q for part in parts for q in part.questions],
    )


def run(source: str | tuple[str, ...], target: str | tuple[str, ...]):
    """Learn ``source`` (one file or several) into an empty bank, suggest for ``target``
    with its answers hidden.

    Returns (source questionnaire(s) as one, target questionnaire, suggestions, seconds
    spent suggesting, {entry id: the source question id it was learned from}).
    """
    from sqlmodel import Session, select

    from answers import suggest
    from answers.db import get_engine
    from answers.learn import learn
    from answers.models import Entry
    from app import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": "sqlite://", "UPLOAD_FOLDER": "/tmp"})
    suggest.invalidate()
    with app.app_context(), Session(get_engine(app), expire_on_commit=False) as session:
        sources = [(path, _read(path)) for path in _files(source)]
        for path, parsed in sources:
            learn(parsed, session=session, source=Path(path).name)
        src, tgt = _joined([parsed for _, parsed in sources]), _joined([_read(p) for p in _files(target)])
        blank = [dataclasses.replace(q, answer=None, comment=None) for q in tgt.questions]
        started = time.perf_counter()
        results = suggest.suggest_for(blank, version_line=tgt.version_line, product=None, session=session)
        secs = time.perf_counter() - started
        entry_qid = {e.id: e.question_id for e in session.exec(select(Entry)).all()}
    return src, tgt, results, secs, entry_qid


def equivalents_of(labelled):
    """question -> the source question ids labelled `same` (empty without labels)."""
    if not labelled:
        return lambda q: ()
    same = read_labels(*labelled[:2])
    # labels name a question by its id, or by sheet!row where ids are missing or repeat
    return lambda q: same.get(q.id or "", ()) or same.get(f"{q.sheet}!{q.row}", ())


def truth_of(src, labelled):
    """question -> its true verdict, or None when it is not answerable.

    Unlabelled: the target's own answer. Labelled: the target's own answer where it has
    one (unless the labels say ``source``: another vendor's answers), else the labelled
    source questions' (when they agree); a question without a labelled equivalent
    holding a verdict is not answerable.
    """
    from answers.verdicts import canonical_verdict

    if not labelled:
        return lambda q: canonical_verdict(q.answer or "")
    equivalents = equivalents_of(labelled)
    own = labelled[2:] != ("source",)
    source_verdict = {q.id: canonical_verdict(q.answer or "") for q in src.questions}

    def truth(q):
        verdicts = {source_verdict.get(i) for i in equivalents(q)} - {None}
        if not verdicts:
            return None
        return (own and canonical_verdict(q.answer or "")) or (verdicts.pop() if len(verdicts) == 1 else None)

    return truth


_VERDICT_HEAD = re.compile(r"^\s*([^.,;:(]+)")


def written_verdict(answer: str | None) -> str | None:
    """The verdict a written answer gives: the whole cell ("Yes"), or its head where one
    free-text cell carries verdict and comment ("Yes. Sessions expire after 30 minutes")."""
    from answers.verdicts import canonical_verdict

    if answer is None:
        return None
    head = _VERDICT_HEAD.match(answer)
    return canonical_verdict(answer) or (canonical_verdict(head.group(1)) if head else None)


def main() -> int:
    if not CORPUS.is_dir():
        print(f"skipped: {CORPUS} is absent")
        return 0
    if "--lexical" in sys.argv:
        os.environ["ANSWERBANK_EMBEDDINGS"] = "off"
    show_wrong = "--show-wrong" in sys.argv

    print(
        f"matching mode: {'lexical' if os.environ.get('ANSWERBANK_EMBEDDINGS') == 'off' else 'embeddings if installed'}"
    )
    print(
        f"{'evaluation':60} {'answerable':>10} {'written':>8} {'coverage':>9} {'precision':>9} "
        f"{'review':>7} {'offered':>8} {'secs':>6}"
    )
    only = [a for a in sys.argv[1:] if not a.startswith("--")]
    # per kind: answerable, written, right, offered, unsupported (across families: small sets)
    totals: dict[str, list[int]] = {}
    for name, source, target, kind, labelled in EVALUATIONS:
        if only and not any(o.casefold() in name.casefold() for o in only):
            continue
        if labelled and not (LABELS / labelled[0]).is_file():
            print(f"{name[:60]:60} skipped: bench/labels/{labelled[0]} is absent")
            continue
        src, tgt, results, secs, entry_qid = run(source, target)
        truth, equivalents = truth_of(src, labelled), equivalents_of(labelled)
        answerable = written = correct = review = unsupported = offered = 0
        wrong = []
        for q, s in zip(tgt.questions, results, strict=True):
            written_now = s.tier in ("exact", "high") and s.answer is not None
            real_verdict = truth(q)
            if real_verdict is None:
                # labelled: a verdict written where the source has no equivalent is wrong
                if labelled and written_now and written_verdict(s.answer) is not None:
                    unsupported += 1
                    written += 1
                    wrong.append(
                        (
                            q.id,
                            q.text[:70],
                            "(no labelled equivalent)",
                            s.answer,
                            s.tier,
                            s.score,
                            entry_qid.get(s.entry_id),
                        )
                    )
                continue
            answerable += 1
            shown = {s.entry_id} | {a.entry_id for a in s.alternatives}
            offered += bool({entry_qid.get(e) for e in shown if e} & set(equivalents(q)))
            if written_now:
                written += 1
                if written_verdict(s.answer) == real_verdict:
                    correct += 1
                else:
                    wrong.append(
                        (q.id, q.text[:70], real_verdict, s.answer, s.tier, s.score, entry_qid.get(s.entry_id))
                    )
            elif s.tier == "review":
                review += 1
        coverage = (written - unsupported) / answerable if answerable else 0
        precision = correct / written if written else 1
        shown = f"{offered / answerable:8.1%}" if labelled and answerable else f"{'-':>8}"
        print(
            f"{name[:60]:60} {answerable:10} {written:8} {coverage:9.1%} {precision:9.1%} "
            f"{review:7} {shown} {secs:6.2f} ({kind})"
        )
        if show_wrong:
            for w in wrong:
                print("    wrong:", w)
        total = totals.setdefault(kind, [0, 0, 0, 0, 0])
        for i, n in enumerate((answerable, written, correct, offered, unsupported)):
            total[i] += n
    for kind, (answerable, written, correct, offered, unsupported) in totals.items():
        if kind == "across families" and answerable:
            print(
                f"{'all ' + kind:60} {answerable:10} {written:8} {(written - unsupported) / answerable:9.1%} "
                f"{correct / written if written else 1:9.1%} {'':7} {offered / answerable:8.1%}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
