"""Small synthetic questionnaires built in code (openpyxl), shared by the workflow tests."""

from __future__ import annotations

import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.worksheet.datavalidation import DataValidation


def questionnaire_xlsx(
    rows: Sequence[tuple[str, str, str | None, str | None]],
    *,
    choices: str | None = "Yes,No,N/A",
    title: str = "Vendor Security",
) -> bytes:
    """A customer-style sheet: ID | Question | Answer (dropdown) | Comments.

    `rows` are (id, question, answer or None, comment or None)."""
    wb = Workbook()
    ws = wb.active
    ws.title = title
    ws.append(["ID", "Question", "Answer", "Comments"])
    for row in rows:
        ws.append(list(row))
    if choices:
        dv = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=True)
        ws.add_data_validation(dv)
        dv.add(f"C2:C{len(rows) + 1}")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def one_question(text: str, *, choices: tuple[str, ...] = ("Yes", "No", "N/A")):
    """A parsed question as the importers give it: sheet "S", row 2, its answer cell in
    column 3 (a dropdown of ``choices``) and its comment cell in column 4."""
    from importers.base import CellRef, Question

    return Question(
        sheet="S",
        row=2,
        id=None,
        text=text,
        answer_cell=CellRef("S", 2, 3),
        comment_cell=CellRef("S", 2, 4),
        choices=choices,
    )


def hidden_lookup_xlsx(
    hidden_rows: int, hidden_cols: int = 2, *, visible_rows: int = 20, state: str = "hidden"
) -> bytes:
    """A questionnaire sheet whose Answer dropdown reads a hidden 'Lists' sheet of
    `hidden_rows` x `hidden_cols` (the first three rows are the verdicts)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Questions")
    dv = DataValidation(type="list", formula1="Lists!$A$1:$A$3")
    dv.add(f"C2:C{visible_rows + 1}")
    ws.data_validations.dataValidation.append(dv)
    ws.append(["ID", "Question", "Answer", "Comment"])
    for i in range(1, visible_rows + 1):
        ws.append([f"Q-{i}", f"Do you keep record number {i} encrypted?", None, None])
    lists = wb.create_sheet("Lists")
    lists.sheet_state = state
    for r in range(hidden_rows):
        first = ("Yes", "No", "N/A")[r] if r < 3 else f"lookup {r}"
        lists.append([first, *(f"v{r}-{c}" for c in range(1, hidden_cols))])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
