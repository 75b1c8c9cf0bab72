"""QA findings on import: mark columns in xlsx, formula answer cells, zip passwords,
huge files, required-question markers. Small synthetic openpyxl fixtures only."""

from __future__ import annotations

import io
import json
import re
import struct
import zipfile

import pytest
from openpyxl import Workbook, load_workbook

import importers
from answers.bank import create_entry
from answers.models import EntryCreate, EntryStatus
from tests.auth_helpers import bearer, token_for
from tests.test_upload_bad_input import post_file


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


def _rezip(data: bytes, part: str, edit) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            body = src.read(info)
            out.writestr(info.filename, edit(body) if info.filename == part else body)
    return buf.getvalue()


def _formula_answers_workbook(shared: bool) -> bytes:
    """Answers in C2:C9 are `=IF(E2>0,"Yes","")` with the cached value "No" (a shared
    formula mastered in C2 when `shared`)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Security"
    ws.append(["ID", "Question", "Answer", "Comments", "Score"])
    for i in range(2, 10):
        ws.append([f"S-{i}", f"Do you review firewall rule set number {i} every quarter?", f'=IF(E{i}>0,"Yes","")'])
    ws.append(["S-10", "Do you encrypt customer data at rest?", None])

    def cell(m: re.Match[str]) -> str:
        row, formula = int(m.group(1)), m.group(2)
        if not shared:
            f = f"<f>{formula}</f>"
        elif row == 2:
            f = f'<f t="shared" ref="C2:C9" si="0">{formula}</f>'
        else:
            f = '<f t="shared" si="0"/>'
        return f'<c r="C{row}" t="str">{f}<v>No</v></c>'

    def edit(xml: bytes) -> bytes:
        return re.sub(r'<c r="C(\d+)"[^>]*><f>(.*?)</f><v\s*/?>(?:</v>)?</c>', cell, xml.decode()).encode()

    return _rezip(_bytes(wb), "xl/worksheets/sheet1.xml", edit)


@pytest.mark.parametrize("shared", [False, True])
def test_formula_answer_cells_read_their_cached_value_and_are_never_written(shared):
    p = importers.load(_formula_answers_workbook(shared), "f.xlsx")
    formulas, plain = p.questions[:8], p.questions[8]
    assert all(q.answer == "No" and q.answer_cell is None for q in formulas)
    assert plain.answer is None and plain.answer_cell.coordinate == "C10"
    assert any("C2:C9" in w and "formula" in w for w in p.warnings)


@pytest.mark.parametrize("shared", [False, True])
def test_autofill_keeps_formula_answers_and_fills_the_rest(runner, session, tmp_path, shared):
    for i in range(2, 10):
        q = f"Do you review firewall rule set number {i} every quarter?"
        create_entry(EntryCreate(question=q, answer="Yes", status=EntryStatus.approved), session=session)
    create_entry(
        EntryCreate(question="Do you encrypt customer data at rest?", answer="Yes", status=EntryStatus.approved),
        session=session,
    )
    src, out = tmp_path / "f.xlsx", tmp_path / "o.xlsx"
    src.write_bytes(_formula_answers_workbook(shared))
    result = runner.invoke(args=["autofill", str(src), "-o", str(out)])
    assert result.exit_code == 0, result.output
    ws = load_workbook(out)["Security"]
    assert ws["C2"].value == '=IF(E2>0,"Yes","")'
    assert ws["C10"].value == "Yes"


def _zip_password_protected(data: bytes) -> bytes:
    """The package with every member flagged encrypted (bit 0 of the general purpose
    flags), as `zip -P secret` leaves it: zipfile then asks for a password."""
    out = bytearray(data)
    zf = zipfile.ZipFile(io.BytesIO(data))
    for info in zf.infolist():
        assert out[info.header_offset : info.header_offset + 4] == b"PK\x03\x04"
        out[info.header_offset + 6] |= 0x1
    pos = zf.start_dir
    for _ in zf.infolist():
        assert out[pos : pos + 4] == b"PK\x01\x02"
        out[pos + 8] |= 0x1
        n, m, k = struct.unpack("<HHH", out[pos + 28 : pos + 34])
        pos += 46 + n + m + k
    return bytes(out)


def test_zip_password_protected_workbook_is_refused_as_encrypted(client, app, people):
    data = _zip_password_protected(_marks_workbook())
    with pytest.raises(importers.EncryptedFile, match="password-protected"):
        importers.load(data, "locked.xlsx")
    headers = bearer(token_for(app, people["sales"]))
    response = post_file(client, "/api/v1/questionnaires", data, "locked.xlsx", headers)
    assert response.status_code == 400
    assert "password-protected" in response.get_json()["error"]


def _rows_workbook(n: int) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Export"
    ws.append(["#", "Question", "Answer", "Comments"])
    for i in range(n):
        ws.append([i + 1, f"Do you keep record number {i} for ever?", None, None])
    return _bytes(wb)


def test_a_sheet_over_the_row_limit_is_refused_before_it_is_parsed(monkeypatch, runner, tmp_path):
    monkeypatch.setattr("importers._xlsx.MAX_SHEET_ROWS", 50)
    monkeypatch.setattr("importers.base.MAX_SHEET_ROWS", 50)
    assert len(importers.load(_rows_workbook(40), "ok.xlsx").questions) == 40
    with pytest.raises(importers.FileTooLarge, match="sheet 'Export' has over 50 rows"):
        importers.load(_rows_workbook(60), "big.xlsx")
    src = tmp_path / "big.xlsx"
    src.write_bytes(_rows_workbook(60))
    result = runner.invoke(args=["inspect", str(src)])
    assert result.exit_code == 2 and "over 50 rows" in result.output


def test_too_many_questions_is_refused(monkeypatch):
    monkeypatch.setattr("importers._table.MAX_QUESTIONS", 30)
    monkeypatch.setattr("importers.base.MAX_QUESTIONS", 30)
    with pytest.raises(importers.FileTooLarge, match="over 30 questions"):
        importers.load(_rows_workbook(40), "many.xlsx")
    monkeypatch.setattr("importers.MAX_QUESTIONS", 30)
    csv_text = "ID,Question,Answer\n" + "".join(f"Q{i},Do you keep record {i}?,\n" for i in range(40))
    with pytest.raises(importers.FileTooLarge, match="over 30 questions"):
        importers.load(csv_text.encode(), "many.csv")


def test_a_csv_over_the_row_limit_gets_413_through_the_api(monkeypatch, client, app, people):
    monkeypatch.setattr("importers.csv.MAX_SHEET_ROWS", 50)
    monkeypatch.setattr("importers.base.MAX_SHEET_ROWS", 50)
    data = ("ID,Question,Answer\n" + "".join(f"Q{i},Do you keep record {i}?,\n" for i in range(60))).encode()
    headers = bearer(token_for(app, people["sales"]))
    response = post_file(client, "/api/v1/questionnaires", data, "export.csv", headers)
    assert response.status_code == 413
    assert "the CSV has over 50 rows" in response.get_json()["error"]


def test_hecvat_4_required_marker_is_not_part_of_the_question():
    wb = Workbook()
    ws = wb.active
    ws.title = "START HERE"
    ws.append(["HECVAT - Higher Education Community Vendor Assessment Toolkit", None, "Version 4.1.4"])
    ws.append(["General Information", None, "Answers", "Additional Information"])
    ws.append(["GNRL-01", "Vendor name*", None, None])
    ws.append(["GNRL-02", "Are you storing any passwords in plaintext?*", "No", None])
    ws.append(["GNRL-03", "Do you have a documented incident response plan? *", None, None])
    p = importers.load(_bytes(wb), "hecvat4.xlsx")
    assert p.family == "hecvat"
    assert [q.text for q in p.questions] == [
        "Vendor name",
        "Are you storing any passwords in plaintext?",
        "Do you have a documented incident response plan?",
    ]
    assert p.questions[1].answer == "No"


def test_hecvat_formula_answer_is_read_and_never_written():
    wb = Workbook()
    ws = wb.active
    ws.title = "START HERE"
    ws.append(["HECVAT - Higher Education Community Vendor Assessment Toolkit", None, "Version 4.1.4"])
    ws.append(["General Information", None, "Answers", "Additional Information"])
    ws.append(["GNRL-01", "Vendor name", None, None])
    ws.append(["GNRL-02", "Are you storing any passwords in plaintext?", '=IF(E4>0,"Yes","")', None])
    ws.append(["GNRL-03", "Do you have a documented incident response plan?", None, None])
    tab = wb.create_sheet("Product")  # 4.x repeats the GNRL rows on every tab through formulas
    tab.append(["Product", None, "Answers", "Additional Information"])
    for r in (3, 4, 5):
        tab.append([f"GNRL-0{r - 2}", f"='START HERE'!B{r}", f"='START HERE'!C{r}", f"='START HERE'!D{r}"])

    def edit(xml: bytes) -> bytes:
        return re.sub(
            r'<c r="C4"[^>]*><f>(.*?)</f><v\s*/?>(?:</v>)?</c>',
            r'<c r="C4" t="str"><f>\1</f><v>No</v></c>',
            xml.decode(),
        ).encode()

    def cache_all(xml: bytes) -> bytes:
        return re.sub(
            r'<c r="([A-D]\d+)"[^>]*><f>(.*?)</f><v\s*/?>(?:</v>)?</c>',
            r'<c r="\1" t="str"><f>\2</f><v>Repeated?</v></c>',
            xml.decode(),
        ).encode()

    data = _rezip(_rezip(_bytes(wb), "xl/worksheets/sheet1.xml", edit), "xl/worksheets/sheet2.xml", cache_all)
    p = importers.load(data, "hecvat4.xlsx")
    q = p.questions[1]
    assert q.answer == "No" and q.answer_cell is None
    assert p.questions[2].answer_cell.coordinate == "C5"
    assert [w.split(":")[0] for w in p.warnings] == ["START HERE"]  # not the repeated rows of Product
    assert "C4" in p.warnings[0] and "formula" in p.warnings[0]
