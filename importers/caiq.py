"""CSA CAIQ (Consensus Assessments Initiative Questionnaire) 1.0, 1.1, 3.0.1 and 4.x.

- 4.x: `Question ID | Question | CSP CAIQ Answer | SSRM Control Ownership | CSP
  Implementation Description | ...`. Answer = the `CSP CAIQ Answer` column (inline
  Yes/No/NA list), comment = the implementation description. The SSRM ownership column
  is a second dropdown, not the answer: it is not read as a question; a warning names it.
- 3.0.1: the answer is an `x` under one of `Yes | No | Not Applicable` (a sub-header row
  below the merged header): `mark_cells`, `answer_cell` = the Yes cell, comment = Notes.
- 1.1: no answer column at all; `Comments and Notes` is the only vendor column, so it is
  the (free text) answer cell. A warning says so.
- 1.0: several questions share one cell (`CO-01a - Do you ...`); each becomes its own
  question with its own id. There is no answer column and one cell cannot hold several
  answers, so `answer_cell` is None (read-only: useful for learning/matching, not for
  write-back). A warning says so.
Question ids lose their whitespace (`AIS- 02.2` -> `AIS-02.2`).

A cell that holds a formula (an answer, a mark, a comment) is read by its cached value and
never written (a write-back would drop the formula, or abort on a shared formula's
master): it is not offered as a target, and a warning names it, as for the other families.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from importers._table import cell_ranges
from importers._text import answer_text, normalise_id
from importers._xlsx import Sheet, Workbook, is_workbook, open_workbook
from importers.base import CellRef, NoQuestionsFound, ParsedQuestionnaire, Question

_TITLE = re.compile(r"consensus assessments? initiative questionnaire", re.IGNORECASE)
_VERSION = re.compile(r"\bv\s?(\d+\.\d+(?:\.\d+)?)\b", re.IGNORECASE)
_V4_ID = re.compile(r"^[A-Z&]{2,4}-\d{2}(\.\d+)?$")
_V10_SPLIT = re.compile(r"(?:^|\n)\s*([A-Z]{2}-\d{2}[a-z]?)\s*[-–]\s*")


def _norm(t: str) -> str:
    return re.sub(r"\s+", " ", t).strip().casefold()


class CaiqImporter:
    name = "caiq"

    def detect(self, data: bytes, filename: str) -> bool:
        if not is_workbook(data, filename):
            return False
        wb = open_workbook(data, filename)
        for name in wb.sheet_names:
            if re.search(r"\bCAIQ|\bCAI\b|CAI Questions", name, re.IGNORECASE):
                return True
        for name in wb.sheet_names[:4]:
            sheet = wb.sheet(name)
            for r in range(1, 4):
                if any(
                    _TITLE.search(t) or "consensus assessment questions" in t.casefold()
                    for t in sheet.row_texts(r, 12).values()
                ):
                    return True
        return False

    def parse(self, data: bytes, filename: str) -> ParsedQuestionnaire:
        wb = open_workbook(data, filename)
        wb.scan_all_xml()
        for name in wb.sheet_names:
            sheet = wb.sheet(name)
            for r in range(1, 6):
                heads = {c: _norm(t) for c, t in sheet.row_texts(r, 60).items()}
                values = set(heads.values())
                if "question id" in values and "csp caiq answer" in values:
                    return _v4(wb, sheet, r, heads, filename)
                if "question id" in values and "consensus assessment questions" in values:
                    return _v3(wb, sheet, r, heads, filename)
                if "cid" in values and "consensus assessment questions" in values:
                    return _v11(wb, sheet, r, heads, filename)
                if "control id" in values and any(v.startswith("consensus assessment questions") for v in values):
                    return _v10(wb, sheet, r, heads, filename)
        raise NoQuestionsFound(f"{filename}: looks like a CAIQ but no CAIQ question header row was found")


def _col(heads: dict[int, str], *names: str, startswith: bool = False) -> int | None:
    for c, h in heads.items():
        if any(h.startswith(n) if startswith else h == n for n in names):
            return c
    return None


def _version(sheet: Sheet, default: str) -> str:
    for r in (1, 2):
        for t in sheet.row_texts(r, 12).values():
            m = _VERSION.search(t)
            if m:
                return m.group(1)
    m = _VERSION.search(sheet.name.replace("CAIQv", "CAIQ v"))
    return m.group(1) if m else default


def _writable(sheet: Sheet, ref: CellRef | None, formula_cells: list[CellRef]) -> CellRef | None:
    """`ref`, or None (noted in `formula_cells`) when the cell holds a formula."""
    if ref is not None and sheet.is_formula(ref.row, ref.column):
        formula_cells.append(ref)
        return None
    return ref


def _formula_warning(sheet: Sheet, formula_cells: list[CellRef]) -> list[str]:
    if not formula_cells:
        return []
    return [
        f"{sheet.name}: answer or comment cells {cell_ranges(formula_cells)} hold formulas; their computed "
        "values are read as answers and the cells are never written"
    ]


def _result(wb: Workbook, questions: list[Question], version: str, filename: str, warnings: list[str]):
    if not questions:
        raise NoQuestionsFound(f"{filename}: CAIQ {version} header found but no question rows under it")
    return ParsedQuestionnaire(family="caiq", version=version, format=wb.format, questions=questions, warnings=warnings)


def _question_rows(sheet: Sheet, first: int, id_c: int, q_c: int) -> Iterator[tuple[int, str, str]]:
    """(row, question id, question text) of every row from ``first`` holding a CCM-style id and a question."""
    for r in range(first, sheet.max_row + 1):
        qid, text = normalise_id(sheet.text(r, id_c)), sheet.text(r, q_c)
        if _V4_ID.match(qid) and text:
            yield r, qid, text


def _v4(wb: Workbook, sheet: Sheet, header: int, heads: dict[int, str], filename: str) -> ParsedQuestionnaire:
    id_c, q_c, a_c = _col(heads, "question id"), _col(heads, "question"), _col(heads, "csp caiq answer")
    comment_c = _col(heads, "csp implementation description", startswith=True)
    owner_c = _col(heads, "ssrm control ownership")
    domain_c = _col(heads, "ccm domain title")
    assert id_c and q_c and a_c
    questions = []
    formula_cells: list[CellRef] = []
    for r, qid, text in _question_rows(sheet, header + 1, id_c, q_c):
        answer_cell = _writable(sheet, CellRef(sheet.name, *sheet.anchor(r, a_c)), formula_cells)
        comment_cell = CellRef(sheet.name, *sheet.anchor(r, comment_c)) if comment_c else None
        questions.append(
            Question(
                sheet=sheet.name,
                row=r,
                id=qid,
                text=text,
                answer_cell=answer_cell,
                comment_cell=_writable(sheet, comment_cell, formula_cells),
                choices=wb.choices(sheet, r, a_c),
                section=sheet.merged_text(r, domain_c) or None if domain_c else None,
                answer=answer_text(sheet.text(r, a_c)),
                comment=answer_text(sheet.text(r, comment_c)) if comment_c else None,
            )
        )
    warnings = _formula_warning(sheet, formula_cells)
    if owner_c and questions:
        owners = wb.choices(sheet, questions[0].row, owner_c)
        warnings.append(
            f"column {CellRef(sheet.name, 1, owner_c).coordinate[:-1]} 'SSRM Control Ownership' is a second dropdown "
            f"({', '.join(owners) or 'free text'}); it is not read or written as the answer"
        )
    return _result(wb, questions, _version(sheet, "4"), filename, warnings)


def _v3(wb: Workbook, sheet: Sheet, header: int, heads: dict[int, str], filename: str) -> ParsedQuestionnaire:
    id_c, q_c = _col(heads, "question id"), _col(heads, "consensus assessment questions")
    notes_c = _col(heads, "notes")
    domain_c = _col(heads, "control domain")
    assert id_c and q_c
    marks: dict[str, int] = {}
    first = header + 1
    for r in range(header + 1, header + 4):
        row = {_norm(t): c for c, t in sheet.row_texts(r, 20).items()}
        if "yes" in row and "no" in row:
            marks = {"Yes": row["yes"], "No": row["no"]}
            na = row.get("not applicable") or row.get("n/a") or row.get("na")
            if na:
                marks["Not Applicable"] = na
            first = r + 1
            break
    if not marks:
        raise NoQuestionsFound(f"{filename}: CAIQ v3 sheet {sheet.name!r} has no Yes / No / Not Applicable columns")
    questions = []
    formula_cells: list[CellRef] = []
    for r, qid, text in _question_rows(sheet, first, id_c, q_c):
        mark_cells = {choice: CellRef(sheet.name, *sheet.anchor(r, c)) for choice, c in marks.items()}
        computed = [ref for ref in mark_cells.values() if _writable(sheet, ref, formula_cells) is None]
        if computed:  # writing an x clears the other marks: one formula among them makes the row read-only
            mark_cells = {}
        marked = [choice for choice, c in marks.items() if sheet.text(r, c)]
        section = sheet.merged_text(r, domain_c).split("\n")[0].strip() if domain_c else ""
        questions.append(
            Question(
                sheet=sheet.name,
                row=r,
                id=qid,
                text=text,
                answer_cell=mark_cells.get("Yes"),
                comment_cell=_writable(sheet, CellRef(sheet.name, *sheet.anchor(r, notes_c)), formula_cells)
                if notes_c
                else None,
                choices=tuple(marks),
                section=section or None,
                answer=marked[0] if len(marked) == 1 else None,
                comment=answer_text(sheet.text(r, notes_c)) if notes_c else None,
                mark_cells=mark_cells,
            )
        )
    return _result(wb, questions, _version(sheet, "3.0.1"), filename, _formula_warning(sheet, formula_cells))


def _v11(wb: Workbook, sheet: Sheet, header: int, heads: dict[int, str], filename: str) -> ParsedQuestionnaire:
    id_c, q_c = _col(heads, "cid"), _col(heads, "consensus assessment questions")
    notes_c = _col(heads, "comments and notes", "comments", "notes")
    domain_c = _col(heads, "domain")
    assert id_c and q_c
    questions = []
    formula_cells: list[CellRef] = []
    for r, qid, text in _question_rows(sheet, header + 1, id_c, q_c):
        cell = CellRef(sheet.name, *sheet.anchor(r, notes_c)) if notes_c else None
        cell = _writable(sheet, cell, formula_cells)
        questions.append(
            Question(
                sheet=sheet.name,
                row=r,
                id=qid,
                text=text,
                answer_cell=cell,
                section=sheet.merged_text(r, domain_c) or None if domain_c else None,
                answer=answer_text(sheet.merged_text(r, notes_c)) if notes_c else None,
            )
        )
    warnings = [
        "CAIQ v1.1 has no answer column: answers go into 'Comments and Notes' as free text",
        *_formula_warning(sheet, formula_cells),
    ]
    return _result(wb, questions, _version(sheet, "1.1"), filename, warnings)


def _v10(wb: Workbook, sheet: Sheet, header: int, heads: dict[int, str], filename: str) -> ParsedQuestionnaire:
    q_c = _col(heads, "consensus assessment questions", startswith=True)
    area_c = _col(heads, "control area")
    assert q_c
    questions = []
    for r in range(header + 1, sheet.max_row + 1):
        cell = sheet.text(r, q_c)
        parts = _V10_SPLIT.split(cell)
        # parts: [before, id1, text1, id2, text2, ...]
        for i in range(1, len(parts) - 1, 2):
            text = re.sub(r"\s+", " ", parts[i + 1]).strip()
            if text:
                questions.append(
                    Question(
                        sheet=sheet.name,
                        row=r,
                        id=parts[i],
                        text=text,
                        answer_cell=None,
                        section=sheet.merged_text(r, area_c) or None if area_c else None,
                    )
                )
    warnings = [
        "CAIQ v1.0 has no answer column and several questions share one cell: "
        "questions are listed without answer cells (nothing can be written back)"
    ]
    return _result(wb, questions, _version(sheet, "1.0"), filename, warnings)
