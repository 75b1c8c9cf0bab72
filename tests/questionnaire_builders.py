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
