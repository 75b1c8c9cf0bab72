"""HECVAT (EDUCAUSE Higher Education Community Vendor Assessment Toolkit) 2.x, 3.x, 4.x.

Layout (all versions): A = id (`QUAL-01`), B = question (a VLOOKUP formula in 3.x/4.x:
cached values are read), C = answer, D = additional information, E/F = guidance and
analyst formulas. 2.x/3.x answer on one `HECVAT - Full|Lite|Triage` sheet; 4.x spreads
the questions over eight tabs and repeats the START HERE `GNRL` rows on every tab via
formulas, so each id is kept once, where it first appears (START HERE comes first).
"""

from __future__ import annotations

import re

from importers._table import cell_ranges
from importers._text import answer_text
from importers._xlsx import Sheet, Workbook, is_workbook, open_workbook
from importers.base import CellRef, NoQuestionsFound, ParsedQuestionnaire, Question

_ID = re.compile(r"^[A-Z]{4}-\d{2,3}$")
_VERSION = re.compile(r"\bVersion\s+(\d+(?:\.\d+)+)", re.IGNORECASE)
_EDITION = re.compile(r"^HECVAT\s*-\s*(Full|Lite|Triage)\b", re.IGNORECASE)
# Sheets that carry question ids but are not answered by the vendor.
_SKIP = re.compile(
    r"analyst|crosswalk|scoring|evaluation|summary|report|instruction|introduction|acknowledg|changelog|"
    r"^questions$|^values$|high.risk|auto responses",
    re.IGNORECASE,
)
_V4_TABS = ("START HERE",)
_ANSWER_HEADERS = ("vendor answers", "answer", "summary answers", "answers")
_COMMENT_HEADERS = ("additional information", "comments", "notes")


class HecvatImporter:
    name = "hecvat"

    def detect(self, data: bytes, filename: str) -> bool:
        if not is_workbook(data, filename):
            return False
        wb = open_workbook(data, filename)
        if any(_EDITION.match(n) for n in wb.sheet_names):
            return True
        if "START HERE" in wb.sheet_names:
            sheet = wb.sheet("START HERE")
            return any("HECVAT" in sheet.text(r, c) for r in (1, 2, 3) for c in range(1, 8))
        return False

    def parse(self, data: bytes, filename: str) -> ParsedQuestionnaire:
        wb = open_workbook(data, filename)
        wb.scan_all_xml()
        sheets = [s for s in _response_sheets(wb)]
        version = edition = None
        questions: list[Question] = []
        warnings: list[str] = []
        seen: set[str] = set()
        for sheet in sheets:
            version = version or _version(sheet)
            m = _EDITION.match(sheet.name)
            if m and not edition:
                edition = m.group(1).title()
            formula_cells: dict[int, list[CellRef]] = {}
            kept_formulas: list[CellRef] = []
            for q in _read_sheet(wb, sheet, formula_cells):
                if q.id in seen:
                    continue  # 4.x repeats GNRL rows on every tab through formulas
                seen.add(q.id or "")
                questions.append(q)
                kept_formulas += formula_cells.get(q.row, [])
            if kept_formulas:
                warnings.append(
                    f"{sheet.name}: answer or comment cells {cell_ranges(kept_formulas)} hold formulas; their "
                    "computed values are read as answers and the cells are never written"
                )
        if not questions:
            raise NoQuestionsFound(f"{filename}: HECVAT workbook, but no question rows (id in A, question in B) found")
        return ParsedQuestionnaire(
            family="hecvat",
            version=version,
            format=wb.format,
            questions=questions,
            edition=edition,
            warnings=warnings,
        )


def _response_sheets(wb: Workbook) -> list[Sheet]:
    out = []
    for name in wb.sheet_names:
        if wb.state(name) != "visible" or _SKIP.search(name):
            continue
        sheet = wb.sheet(name)
        ids = sum(1 for r in sheet.rows() if _ID.match(sheet.text(r, 1)) and sheet.text(r, 2))
        if ids >= 3:
            out.append(sheet)
    return out


def _version(sheet: Sheet) -> str | None:
    for r in (1, 2, 3):
        for c in range(1, 10):
            m = _VERSION.search(sheet.text(r, c))
            if m:
                return m.group(1)
    return None


def _is_header(sheet: Sheet, row: int) -> bool:
    return sheet.text(row, 3).casefold() in _ANSWER_HEADERS and bool(sheet.text(row, 1))


def _read_sheet(wb: Workbook, sheet: Sheet, formula_cells: dict[int, list[CellRef]]) -> list[Question]:
    """The question rows of one response sheet; `formula_cells` gets, by row, the answer
    and comment cells that hold formulas (read, never written)."""
    headers = [r for r in sheet.rows() if _is_header(sheet, r)]
    # Comment column: D where the section headers name it (Triage has none).
    first_d = sheet.text(headers[0], 4).casefold() if headers else ""
    header_d = first_d
    section: str | None = None
    out = []
    for r in sheet.rows():
        a = sheet.text(r, 1)
        b = sheet.text(r, 2)
        if not a:
            continue
        if _is_header(sheet, r):
            section = a
            header_d = sheet.text(r, 4).casefold()
            continue
        if not _ID.match(a):
            # A short title alone in A (`General Information`) opens a section; long
            # instruction paragraphs and `GNRL-01 through GNRL-08` labels do not.
            if not b and len(a) <= 60 and not re.match(r"^[A-Z]{4}-\d", a) and not a.startswith("Step "):
                section = a
            continue
        # HECVAT 4 marks required questions with a trailing "*": not part of the question.
        b = b.rstrip("* \t")
        if not b:
            continue
        answer_rc = sheet.anchor(r, 3)
        comment_cell = None
        if any(h in header_d for h in _COMMENT_HEADERS) and sheet.anchor(r, 4) == (r, 4):
            comment_cell = CellRef(sheet.name, r, 4)
        answer_cell: CellRef | None = CellRef(sheet.name, *answer_rc)
        answer = answer_text(sheet.text(*answer_rc), b)
        if sheet.is_formula(*answer_rc):
            # computed by the workbook: its cached value is the answer, the formula stays
            formula_cells.setdefault(r, []).append(CellRef(sheet.name, *answer_rc))
            answer_cell = None
        comment = answer_text(sheet.text(r, 4)) if comment_cell else None
        if comment_cell and sheet.is_formula(r, 4):
            formula_cells.setdefault(r, []).append(comment_cell)
            comment_cell = None
        out.append(
            Question(
                sheet=sheet.name,
                row=r,
                id=a,
                text=b,
                answer_cell=answer_cell,
                comment_cell=comment_cell,
                choices=wb.choices(sheet, *answer_rc),
                section=section,
                answer=answer,
                comment=comment,
            )
        )
    del first_d
    return out
