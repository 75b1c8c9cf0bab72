"""QA findings on import: mark columns in xlsx, formula answer cells, zip passwords,
huge files, required-question markers. Small synthetic openpyxl fixtures only."""

from __future__ import annotations

import io
import json

from openpyxl import Workbook, load_workbook

import importers
from answers.bank import create_entry
from answers.models import EntryCreate, EntryStatus


def _bytes(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _marks_workbook() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Security"
    ws.append(["Vendor security questionnaire"])
    ws.append(["#", "Question", "Yes", "No", "N/A", "Comments"])
    ws.append([1, "Do you store customer data on removable media?", None, "X", None, "Policy forbids it"])
    ws.append([2, "Do you encrypt customer data at rest?", None, None, None, None])
    return _bytes(wb)


def test_xlsx_yes_no_na_mark_columns_are_read_as_marks():
    p = importers.load(_marks_workbook(), "marks.xlsx")
    assert not any("names no answer column" in w for w in p.warnings)
    first, second = p.questions
    assert {k: v.coordinate for k, v in first.mark_cells.items()} == {"Yes": "C3", "No": "D3", "N/A": "E3"}
    assert first.choices == ("Yes", "No", "N/A")
    assert first.answer == "No" and first.comment == "Policy forbids it"
    assert second.answer is None and second.comment_cell.coordinate == "F4"


def test_autofill_marks_the_yes_column_and_keeps_an_existing_mark(runner, session, tmp_path):
    for question in ("Do you encrypt customer data at rest?", "Do you store customer data on removable media?"):
        create_entry(EntryCreate(question=question, answer="Yes", status=EntryStatus.approved), session=session)
    src, out, report = tmp_path / "marks.xlsx", tmp_path / "o.xlsx", tmp_path / "r.json"
    src.write_bytes(_marks_workbook())
    result = runner.invoke(args=["autofill", str(src), "-o", str(out), "--report", str(report)])
    assert result.exit_code == 0, result.output
    assert "names no answer column" not in result.output
    ws = load_workbook(out)["Security"]
    assert [ws.cell(3, c).value for c in (3, 4, 5)] == [None, "X", None]  # the customer's mark stays
    assert ws["C4"].value == "x" and not ws["D4"].value and not ws["E4"].value
    assert ws["G3"].value is None and ws["G4"].value is None
    rows = json.loads(report.read_text())
    assert [r["written"] for r in rows] == [False, True]
