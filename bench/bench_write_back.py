"""Write-back speed: exporters.xlsx.write_back vs an openpyxl load/save of the same workbook.

Takes the largest HECVAT workbook under ../shared/questionnaires (or a path given as the
first argument), writes a value into every answer cell (the importer's cells once the
registry is filled, else column C of rows whose column A is a question id) and prints the
best of N runs for both ways. Target: write-back under 0.5 s. First, whatever the corpus:
exporters.docx.write_back of 500 answers into a Word table (tests/docx_builders.py's
large_doc; about 0.04 s, 7 s when it was quadratic in the answers).

    python bench/bench_write_back.py [WORKBOOK.xlsx] [--runs N]
"""

from __future__ import annotations

import argparse
import io
import re
import sys
import time
import warnings
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import importers  # noqa: E402
from exporters import docx as docx_exporter  # noqa: E402
from exporters.xlsx import list_choices, write_back  # noqa: E402
from importers.base import CellRef  # noqa: E402
from importers.docx import DocxImporter  # noqa: E402
from tests.docx_builders import large_doc  # noqa: E402

CORPUS = ROOT.parent / "shared" / "questionnaires"
ID = re.compile(r"^[A-Z&]{2,5}-\s?\d+(?:\.\d+)?$")
NOT_RESPONSE = re.compile(r"crosswalk|analyst|questions|change ?log|high risk|summary|evaluation", re.I)


def answer_cells(data: bytes, name: str) -> dict[CellRef, str]:
    if importers.REGISTRY:
        parsed = importers.load(data, name)
        cells = {
            q.answer_cell: q.choices[-1] if q.choices else f"Answer {q.id}" for q in parsed.questions if q.answer_cell
        }
        cells.update({q.comment_cell: f"Comment for {q.id}" for q in parsed.questions if q.comment_cell})
        return cells
    choices = list_choices(data)
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    cells: dict[CellRef, str] = {}
    for ws in wb.worksheets:
        if NOT_RESPONSE.search(ws.title):
            continue
        for row in ws.iter_rows(min_col=1, max_col=3):
            if len(row) < 3 or not isinstance(row[0].value, str) or not ID.match(row[0].value.strip()):
                continue
            if isinstance(row[2].value, str) and row[2].value.startswith("="):
                continue
            ref = CellRef(ws.title, row[0].row, 3)
            cells[ref] = choices[ref][-1] if choices.get(ref) else f"Answer to {row[0].value} <&>\nline two"
    wb.close()
    return cells


def best_of(runs: int, fn) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def openpyxl_round_trip(data: bytes, values: dict[CellRef, str]) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    for ref, value in values.items():
        wb[ref.sheet].cell(ref.row, ref.column).value = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workbook", nargs="?", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    document = large_doc(500)
    answers = {q.answer_cell: "Yes" for q in DocxImporter().parse(document, "q.docx").questions}
    docx_time = best_of(args.runs, lambda: docx_exporter.write_back(document, answers))
    print(f"docx write_back of {len(answers)} answers: {docx_time:.3f} s   (quadratic was 7 s)")
    path = args.workbook
    if path is None:
        candidates = sorted(CORPUS.glob("hecvat/*.xlsx"), key=lambda p: p.stat().st_size)
        if not candidates:
            print(f"no workbook given and no corpus at {CORPUS}", file=sys.stderr)
            return 2
        path = candidates[-1]
    data = path.read_bytes()
    warnings.simplefilter("ignore")  # openpyxl warns about the x14 lists it is about to drop
    values = answer_cells(data, path.name)
    print(f"{path.name}: {len(data) / 1e6:.2f} MB, {len(values)} answer cells")
    ours = best_of(args.runs, lambda: write_back(data, values))
    theirs = best_of(max(1, args.runs // 2), lambda: openpyxl_round_trip(data, values))
    print(f"write_back (package splice): {ours:.3f} s   target < 0.5 s: {'ok' if ours < 0.5 else 'MISSED'}")
    print(f"openpyxl load + save:        {theirs:.3f} s   ({theirs / ours:.0f}x slower, and drops x14 dropdowns)")
    return 0 if ours < 0.5 else 1


if __name__ == "__main__":
    raise SystemExit(main())
