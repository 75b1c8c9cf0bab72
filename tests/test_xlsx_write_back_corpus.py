"""write_back() on the real questionnaires: every answer cell written, everything else intact.

Two ways to pick the answer cells: the importers (the real contract, once the importer
registry is filled) and a simple local scan (column C on rows whose column A holds a
question id) that verifies the writer on its own until then. Also: LibreOffice opens an
exported file and shows the answers.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from lxml import etree

import importers
from exporters.xlsx import _Workbook, list_choices, write_back
from importers.base import CellRef
from tests.conftest import CORPUS
from tests.libreoffice import convert, soffice_or_skip
from tests.test_xlsx_write_back import members, questionnaire

ID = re.compile(r"^[A-Z&]{2,5}-\s?\d+(?:\.\d+)?$")  # the whole cell: not "GNRL-01 through GNRL-08; ..."
# Sheets that repeat question ids without being answered (INVENTORY.md, point 8)
NOT_RESPONSE = re.compile(r"crosswalk|analyst|questions|change ?log|high risk|summary|evaluation", re.I)
XLSX = sorted(CORPUS.glob("*/*.xlsx")) if CORPUS.is_dir() else []
STRUCTURE = {
    "validations": r"<(?:\w+:)?dataValidation\b",
    "x14 validations": r"<x14:dataValidation\b",
    "conditional formats": r"<conditionalFormatting\b",
    "x14 conditional formats": r"<x14:conditionalFormatting\b",
    "merged ranges": r"<mergeCell\b",
    "hidden rows": r"<row [^>]*hidden=\"1\"",
    "hidden columns": r"<col [^>]*hidden=\"1\"",
    "legacy drawings": r"<legacyDrawing\b",
    "drawings": r"<drawing\b",
    "protection": r"<sheetProtection\b",
}


def scan_answer_cells(data: bytes) -> dict[CellRef, str]:
    """Column C of rows whose column A is a question id, on response-like sheets; formula
    cells (computed, not answered) and cells hidden under a merge's top-left are skipped."""
    wb = _Workbook.open(data)
    found = {}
    for name, info in wb.sheets.items():
        if not info.part or NOT_RESPONSE.search(name):
            continue
        st = wb.sheet_text(name)
        merged = [
            openpyxl.utils.range_boundaries(m) for m in re.findall(r'<mergeCell ref="([A-Z]+\d+:[A-Z]+\d+)"', st.tail())
        ]
        covered = {(r, c) for c1, r1, c2, r2 in merged for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}
        covered -= {(r1, c1) for c1, r1, _, _ in merged}
        for row in st.rows:
            cells = {c.column: c for c in st.cells(row)}
            a, c = cells.get(1), cells.get(3)
            qid = a.cached_text(wb.shared_strings, st.p).strip() if a else ""
            if ID.match(qid) and (row.number, 3) not in covered and (c is None or c.formula_tag(st.p) is None):
                found[CellRef(name, row.number, 3)] = qid
    return found


def values_for(cells: dict[CellRef, str], choices: dict[CellRef, tuple[str, ...]]) -> dict[CellRef, str]:
    return {
        ref: choices[ref][-1] if choices.get(ref) else f'Answerbank {qid} <&> "quoted"\nsecond line'
        for ref, qid in cells.items()
    }


def sheet_parts(data: bytes, sheets: set[str]) -> dict[str, str]:
    wb = _Workbook.open(data)
    return {wb.sheets[s].part: s for s in sheets}


def assert_only_sheets_changed(data: bytes, out: bytes, sheets: set[str]) -> None:
    before, after = members(data), members(out)
    assert list(before) == list(after), "member order or names changed"
    allowed = set(sheet_parts(data, sheets)) | {"xl/workbook.xml"}
    changed = {name for name in before if before[name] != after[name]}
    assert changed <= allowed, f"untouched parts changed: {sorted(changed - allowed)}"
    z_before, z_after = zipfile.ZipFile(io.BytesIO(data)), zipfile.ZipFile(io.BytesIO(out))
    for part in sheet_parts(data, sheets):
        old, new = z_before.read(part).decode(), z_after.read(part).decode()
        for what, pattern in STRUCTURE.items():
            assert len(re.findall(pattern, new)) == len(re.findall(pattern, old)), f"{part}: {what} count changed"
        old_tail, new_tail = old[old.index("</sheetData>") :], new[new.index("</sheetData>") :]
        assert old_tail == new_tail, f"{part}: content after sheetData changed"
    assert re.search(r'<calcPr[^>]*fullCalcOnLoad="1"', z_after.read("xl/workbook.xml").decode())


def read_back(out: bytes, values: dict[CellRef, object]) -> dict[CellRef, object]:
    """The written cells as openpyxl (data_only) reads them."""
    wb = openpyxl.load_workbook(io.BytesIO(out), read_only=True, data_only=True)
    got = {}
    for sheet in {ref.sheet for ref in values}:
        wanted = {(r.row, r.column) for r in values if r.sheet == sheet}
        max_row = max(r for r, _ in wanted)
        max_col = max(c for _, c in wanted)
        for row in wb[sheet].iter_rows(min_row=1, max_row=max_row, max_col=max_col):
            for cell in row:
                if getattr(cell, "row", None) and (cell.row, cell.column) in wanted:
                    got[CellRef(sheet, cell.row, cell.column)] = cell.value
    wb.close()
    return got


def parse_back(out: bytes, values: dict[CellRef, object]) -> dict[CellRef, object]:
    """The written cells' text as a strict XML parser (lxml) reads the sheet parts: a fast
    read-back that also proves every written part is well-formed."""
    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    z = zipfile.ZipFile(io.BytesIO(out))
    got = {}
    for part, sheet in sheet_parts(out, {ref.sheet for ref in values}).items():
        wanted = {ref.coordinate: ref for ref in values if ref.sheet == sheet}
        for _, el in etree.iterparse(io.BytesIO(z.read(part)), tag=f"{main}c"):
            ref = wanted.get(el.get("r"))
            if ref is not None:
                assert el.get("t") == "inlineStr" and el.find(f"{main}f") is None, str(ref)
                got[ref] = "".join(el.find(f"{main}is").itertext())
            el.clear()
    return got


@pytest.mark.corpus
@pytest.mark.parametrize("path", XLSX, ids=lambda p: p.name[:60])
def test_write_back_into_every_scanned_answer_cell_keeps_the_rest_of_the_file(corpus, path: Path):
    data = path.read_bytes()
    cells = scan_answer_cells(data)
    if not cells:
        pytest.skip(f"{path.name}: no id-in-A / answer-in-C rows (a different layout)")
    values = values_for(cells, list_choices(data))
    out = write_back(data, values)
    assert_only_sheets_changed(data, out, {ref.sheet for ref in values})
    assert parse_back(out, values) == values


@pytest.mark.corpus
@pytest.mark.parametrize(
    "name", ["hecvat/sagearbor_HECVAT414.xlsx", "hecvat/instructure_Parchment HECVAT Full - All Products (v3.06).xlsx"]
)
def test_openpyxl_reads_back_the_answers_written_into_a_hecvat(corpus, name):
    data = (corpus / name).read_bytes()
    values = values_for(scan_answer_cells(data), list_choices(data))
    assert read_back(write_back(data, values), values) == values


@pytest.mark.corpus
@pytest.mark.skipif(not importers.REGISTRY, reason="importers registry empty")
@pytest.mark.parametrize("path", XLSX, ids=lambda p: p.name[:60])
def test_write_back_into_every_imported_answer_cell_reads_back_through_the_importer(corpus, path: Path):
    data = path.read_bytes()
    try:
        parsed = importers.load(data, path.name)
    except importers.UnknownQuestionnaireFormat as exc:
        pytest.skip(f"{path.name}: not a questionnaire the importers read ({exc})")
    values: dict[CellRef, str] = {}
    # setdefault: questions that share one merged cell share its value
    for q in parsed.questions:
        if q.mark_cells:
            for ref, value in q.cell_values(next(iter(q.mark_cells))).items():
                values.setdefault(ref, value)
        elif q.answer_cell is not None:
            values.setdefault(q.answer_cell, q.choices[-1] if q.choices else f"Answer to {q.id or q.row}")
        if q.comment_cell is not None:
            values.setdefault(q.comment_cell, f"Comment <&> for {q.id or q.row}\nline two")
    if not values:
        pytest.skip(f"{path.name}: the importer found no answer cells")
    out = write_back(data, values)
    assert_only_sheets_changed(data, out, {ref.sheet for ref in values})
    again = importers.load(out, path.name)
    for q in again.questions:
        if q.answer_cell is not None and not q.mark_cells and q.answer_cell in values:
            # continuation rows below a question (`(a) 4 Hours`) stay and are appended on import
            assert q.answer is not None
            assert q.answer.split("\n")[0] == values[q.answer_cell], f"{q.sheet}!{q.answer_cell.coordinate}"
        if q.comment_cell is not None and q.comment_cell in values:
            assert q.comment == values[q.comment_cell], f"{q.sheet}!{q.comment_cell.coordinate}"


# --------------------------------------------------------------------------- LibreOffice


def _convert_all_sheets(exe: str, xlsx: Path, tmp_path: Path) -> dict[str, str]:
    """Every sheet as CSV text, keyed by sheet name (filter option 12 = -1: all sheets)."""
    csv_filter = "csv:Text - txt - csv (StarCalc):44,34,UTF8,1,,0,false,true,false,false,false,-1"
    out_dir = convert(exe, [xlsx], csv_filter, tmp_path)
    prefix = xlsx.stem + "-"
    return {p.stem[len(prefix) :]: p.read_text(encoding="utf-8") for p in out_dir.glob("*.csv")}


@pytest.mark.slow
def test_libreoffice_opens_an_exported_hecvat_and_shows_the_answers(tmp_path):
    exe = soffice_or_skip()
    hecvat = CORPUS / "hecvat" / "instructure_Canvas Catalog HECVAT Lite (v3.04).xlsx"
    if hecvat.is_file():
        data = hecvat.read_bytes()
        cells = scan_answer_cells(data)
        choices = list_choices(data)
        values = values_for(cells, choices)
        free_text = next(ref for ref in values if not choices.get(ref))
        values[free_text] = "Answerbank wrote this, with a comma"
    else:
        data = questionnaire()
        values = {
            CellRef("HECVAT - Full | Vendor Response", 5, 3): "N/A",
            CellRef("HECVAT - Full | Vendor Response", 5, 4): "Answerbank wrote this, with a comma",
        }
    path = tmp_path / "completed.xlsx"
    path.write_bytes(write_back(data, values))
    sheets = _convert_all_sheets(exe, path, tmp_path)
    for sheet in {ref.sheet for ref in values}:
        assert sheet in sheets, f"LibreOffice did not export {sheet!r}: {sorted(sheets)}"
    text = sheets[next(iter(values)).sheet]
    assert '"Answerbank wrote this, with a comma"' in text
    rows = list(csv.reader(io.StringIO(text)))
    for ref, value in values.items():
        if ref.sheet == next(iter(values)).sheet:
            assert rows[ref.row - 1][ref.column - 1] == value, str(ref)
