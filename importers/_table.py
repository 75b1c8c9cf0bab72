"""Find a table of questions on a worksheet and read it: shared by the SIG and generic
importers.

Columns come from a header row named in the usual ways (`Question` / `Question/Request`,
`Response` / `Answer`, `Comments` / `Additional Information`, `#` / `Ques Num` / `ID`,
`Section` / `Category`), a new header row further down starts a new table (stacked
questionnaires). Without any header row, the column holding the most question-shaped
texts is the question column and the answer goes in the column to its right.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from importers._tabletext import mark_columns, marked
from importers._text import answer_text, looks_like_question, split_numbering
from importers._xlsx import Sheet, Workbook
from importers.base import MAX_QUESTIONS, CellRef, Question, too_many_questions

_ID_HEADER = re.compile(
    r"^(#|id|no\.?|nr\.?|num(ber)?|s/?n|sr\.? ?no\.?|sl\.? ?no\.?|seq|"
    r"ref(erence)?\.?( ?(#|no\.?|id))?|item( ?(#|no\.?|id))?|"
    r"(question|ques|q)\.? ?(#|no\.?|num(ber)?|id|ref)|qid|control ?(#|id|no\.?))$"
)
# with the same words in French, Spanish, German, Portuguese, Italian and Dutch: a customer
# abroad sends the questionnaire in its own language ("Réponse", "Respuesta", "Antwort")
_QUESTION_HEADER = re.compile(
    r"\b(questions?|question/request|request|requirements?|query|queries|control question"
    r"|preguntas?|fragen?|perguntas?|domand[ae]|vraag|vragen)\b"
)
_ANSWER_HEADER = re.compile(
    r"\b(answers?|responses?|reply|yes ?/ ?no(?: ?/ ?n/?a)?|y/n"
    r"|réponses?|respuestas?|antwort(?:en)?|respostas?|rispost[ae]|antwoord(?:en)?|oui ?/ ?non|sí ?/ ?no|ja ?/ ?nein)\b"
)
_COMMENT_HEADER = re.compile(
    r"\b(comments?|notes?|additional information|additional info|details?|explanation|remarks?|justification|"
    r"evidence|clarification|description of (response|answer)"
    r"|commentaires?|remarques?|comentarios?|comentários?|observaciones|observações|kommentare?|bemerkung(?:en)?"
    r"|anmerkung(?:en)?|comment[oi]|opmerking(?:en)?|toelichting)\b"
)
_SECTION_HEADER = re.compile(r"^(section|category|domain|control family|family|area|topic|control (area|domain))$")


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().strip(":*").strip().casefold()


def header_role(text: str) -> str | None:
    """'Ques Num' -> 'id', 'Question/Request' -> 'question', 'Response' -> 'answer', ..."""
    h = _norm(text)
    if not h or len(h) > 60:
        return None
    if _ID_HEADER.match(h):
        return "id"
    if _SECTION_HEADER.match(h):
        return "section"
    answer = bool(_ANSWER_HEADER.search(h)) and "responsib" not in h
    comment = bool(_COMMENT_HEADER.search(h))
    if answer and (not comment or _ANSWER_HEADER.match(h) or h.startswith(("vendor", "supplier", "your"))):
        return "answer"
    if comment:
        return "comment"
    if _QUESTION_HEADER.search(h):
        return "question"
    return None


@dataclass
class Columns:
    question: int
    answer: int | None = None
    comment: int | None = None
    id: int | None = None
    section: int | None = None
    header_row: int | None = None
    marks: dict[str, int] = field(default_factory=dict)  # Yes / No / N/A mark columns


@dataclass
class TableResult:
    questions: list[Question] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def header_columns(sheet: Sheet, row: int) -> Columns | None:
    """The row as a header, if it names a question column and at least one other role."""
    roles: dict[str, int] = {}
    texts = sheet.row_texts(row, min(sheet.max_col, 60))
    # A data row that mentions "notes" or "response" is still a data row.
    if any(looks_like_question(t) or len(t) > 40 for t in texts.values()):
        return None
    for col, text in texts.items():
        role = header_role(text)
        if role and role not in roles:
            roles[role] = col
    # `Yes | No | N/A` columns answer by a mark (an x under the answer), as in the CSV reader.
    marks = {} if "answer" in roles else mark_columns(texts.items())
    if "question" not in roles or len(roles) + bool(marks) < 2:
        return None
    return Columns(
        question=roles["question"],
        answer=roles.get("answer"),
        comment=roles.get("comment"),
        id=roles.get("id"),
        section=roles.get("section"),
        header_row=row,
        marks=marks,
    )


def content_columns(sheet: Sheet) -> Columns | None:
    """No header: the column with the most question-shaped texts, the id column left of it
    (short tokens on most question rows), the answer column right of it."""
    width = min(sheet.max_col, 30)
    counts: dict[int, int] = {}
    texts: dict[int, int] = {}
    for (r, c), value in sheet.cells.items():
        if c <= width and isinstance(value, str) and sheet.anchor(r, c) == (r, c):
            texts[c] = texts.get(c, 0) + 1
            if looks_like_question(value):
                counts[c] = counts.get(c, 0) + 1
    # A question column is mostly questions: a control list (ISO SOA statements) with a
    # few sentences that happen to open with "Where" or "When" is not one.
    counts = {c: n for c, n in counts.items() if n >= 2 and n >= 0.3 * texts[c]}
    if not counts:
        return None
    q_col = max(counts, key=lambda c: (counts[c], -c))
    q_rows = [r for r in sheet.rows() if looks_like_question(sheet.text(r, q_col))]
    id_col = None
    for c in range(q_col - 1, 0, -1):
        tokens = [sheet.text(r, c) for r in q_rows]
        short = [t for t in tokens if t and len(t) <= 20 and t.count(" ") <= 1 and any(ch.isdigit() for ch in t)]
        if len(short) >= max(2, len(q_rows) // 2):
            id_col = c
            break
    # The answer goes right of the question (past a question cell merged sideways).
    answer_col = q_col + 1
    for r in q_rows:
        r0, c0 = sheet.anchor(r, q_col + 1)
        if (r0, c0) == (r, q_col):
            answer_col = max(answer_col, max(c for (rr, c), a in sheet._anchor.items() if a == (r, q_col)) + 1)
    while answer_col in sheet.hidden_cols and answer_col < 16384:
        answer_col += 1
    return Columns(question=q_col, answer=answer_col, id=id_col)


def read_table(wb: Workbook, sheet: Sheet, *, require_id_digit: bool = True) -> TableResult:
    """Read every question table on the sheet (header-driven where a header row exists,
    else by content). Continuation rows (`(a) 4 Hours` under an answer, no question) are
    appended to the previous question's existing answer."""
    result = TableResult()
    headers = {r: cols for r in sheet.rows() if (cols := header_columns(sheet, r))}
    if headers:
        first = min(headers)
        cols: Columns | None = None
        start = first
    else:
        cols = content_columns(sheet)
        if cols is None:
            return result
        start = 1
        result.warnings.append(
            f"{sheet.name}: no header row; questions read from column {_letter(cols.question)}, "
            f"answers assumed in column {_letter(cols.answer or cols.question + 1)}"
        )
    section: str | None = None
    prev: Question | None = None
    formula_cells: list[CellRef] = []
    for r in range(start, sheet.max_row + 1):
        if r in headers:
            cols = _with_answer_column(sheet, headers[r], headers, result)
            prev = None
            continue
        assert cols is not None
        q_rc = sheet.anchor(r, cols.question)
        text = sheet.text(r, cols.question) if q_rc == (r, cols.question) else ""
        qid = sheet.text(r, cols.id) if cols.id else ""
        if cols.section:
            section = sheet.merged_text(r, cols.section) or section
        if not text:
            # A title left of the question column (also in the id column: `A. Enterprise
            # Risk Management` where ids go) opens a section.
            left = [
                t
                for c, t in sheet.row_texts(r, cols.question).items()
                if c < cols.question and (c != cols.id or " " in t)
            ]
            answer_here = sheet.text(r, cols.answer) if cols.answer else ""
            if left and not cols.section:
                if len(left[0]) <= 100 and not left[0].endswith(":"):
                    section = left[0]
                prev = None
            elif answer_here and not qid and prev is not None and cols.answer and not cols.marks:
                extra = answer_text(answer_here)
                if extra and not sheet.is_formula(r, cols.answer):
                    prev.answer = f"{prev.answer}\n{extra}" if prev.answer else extra
            continue
        if not qid:
            number, body = split_numbering(text)
            if number:
                qid, text = number, body
        has_id = bool(qid) and (any(ch.isdigit() for ch in qid) or not require_id_digit)
        is_question = (
            looks_like_question(text)
            or (has_id and len(text) >= 3)
            or (text.endswith(":") and len(text) >= 5)
            or (cols.header_row is not None and len(text) >= 40)
        )
        if not is_question:
            if len(text) <= 100 and not cols.section:
                section = text
            prev = None
            continue
        answer_cell = comment_cell = None
        answer = comment = None
        mark_cells: dict[str, CellRef] = {}
        a_rc: tuple[int, int] | None = None
        if cols.marks:
            mark_cells = {label: CellRef(sheet.name, *sheet.anchor(r, c)) for label, c in cols.marks.items()}
            first = next(iter(mark_cells.values()))
            a_rc = (first.row, first.column)
            answer = marked({label: sheet.text(ref.row, ref.column) for label, ref in mark_cells.items()})
            computed = [ref for ref in mark_cells.values() if sheet.is_formula(ref.row, ref.column)]
            if computed:
                # marking one column clears the others: a formula among them makes the row read-only
                formula_cells.extend(computed)
                mark_cells = {}
            else:
                answer_cell = first
        elif cols.answer:
            a_rc = sheet.anchor(r, cols.answer)
            answer_cell = CellRef(sheet.name, *a_rc)
            answer = answer_text(sheet.text(*a_rc), text)
            if sheet.is_formula(*a_rc):
                # The workbook computes this answer: read its cached value, never write
                # over the formula (nor over a shared formula's master).
                formula_cells.append(answer_cell)
                answer_cell = None
        if cols.comment:
            c_rc = sheet.anchor(r, cols.comment)
            if c_rc != a_rc:
                comment_cell = CellRef(sheet.name, *c_rc)
                comment = answer_text(sheet.text(*c_rc))
                if sheet.is_formula(*c_rc):
                    formula_cells.append(comment_cell)
                    comment_cell = None
        q = Question(
            sheet=sheet.name,
            row=r,
            id=qid or None,
            text=text,
            answer_cell=answer_cell,
            comment_cell=comment_cell,
            choices=tuple(mark_cells or cols.marks)
            if cols.marks
            else wb.choices(sheet, answer_cell.row, answer_cell.column)
            if answer_cell
            else (),
            section=section,
            answer=answer,
            comment=comment,
            mark_cells=mark_cells,
        )
        result.questions.append(q)
        if len(result.questions) > MAX_QUESTIONS:
            raise too_many_questions(wb.filename)
        prev = q
    if formula_cells:
        result.warnings.append(
            f"{sheet.name}: answer or comment cells {cell_ranges(formula_cells)} hold formulas; their computed "
            "values are read as answers and the cells are never written"
        )
    return result


def cell_ranges(refs: list[CellRef]) -> str:
    """[C2, C3, C4, D7] -> 'C2:C4, D7': runs of consecutive rows in one column."""
    runs: list[list[CellRef]] = []
    for ref in sorted(refs, key=lambda x: (x.column, x.row)):
        if runs and runs[-1][-1].column == ref.column and runs[-1][-1].row + 1 == ref.row:
            runs[-1].append(ref)
        else:
            runs.append([ref])
    return ", ".join(
        run[0].coordinate if len(run) == 1 else f"{run[0].coordinate}:{run[-1].coordinate}" for run in runs
    )


def _with_answer_column(sheet: Sheet, cols: Columns, headers: dict[int, Columns], result: TableResult) -> Columns:
    """A header without an answer column: answers go in the first empty column right of
    the question (and of the comment column), said in a warning."""
    if cols.answer:
        return cols
    if cols.marks:
        # Marks answer the question; `answer` points at the first mark column so the
        # continuation-row logic has a column, never an unheaded empty one.
        return Columns(
            cols.question, min(cols.marks.values()), cols.comment, cols.id, cols.section, cols.header_row, cols.marks
        )
    header_row = cols.header_row or 0
    end = min([r for r in headers if r > header_row] + [sheet.max_row + 1])
    used = {c for (r, c) in sheet.cells if header_row <= r < end}
    c = max(cols.question, cols.id or 0, cols.section or 0) + 1
    while c in used or c in sheet.hidden_cols:
        c += 1
    result.warnings.append(
        f"{sheet.name}: header row {header_row} names no answer column; answers go in empty column {_letter(c)}"
    )
    return Columns(cols.question, c, cols.comment, cols.id, cols.section, cols.header_row)


def _letter(col: int) -> str:
    from importers.base import column_letter

    return column_letter(col)
