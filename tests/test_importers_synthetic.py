"""Synthetic workbooks: SIG shapes, generic shapes, dropdowns, and every bad input."""

from __future__ import annotations

import functools
import io
import zipfile

import pytest
from openpyxl import Workbook
from openpyxl.worksheet.datavalidation import DataValidation

import importers
from importers import (
    CorruptFile,
    EncryptedFile,
    NoQuestionsFound,
    UnknownQuestionnaireFormat,
    UnsafeFile,
    UnsupportedFormat,
)


def _bytes(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _sig_workbook(
    sheet_name="SIG Lite 2024", headers=("Ques Num", "Question/Request", "Response", "Additional Information")
):
    wb = Workbook()
    ws = wb.active
    ws.title = sheet_name
    ws.append(["Shared Assessments SIG Lite 2024"])
    ws.append(["Scoping: Lite"])
    ws.append(list(headers))
    ws.append(["A. Enterprise Risk Management"])
    ws.append(["A.1", "Is there a risk assessment program that has been approved by management?", "Yes", "Annual"])
    ws.append(["A.1.3", "Does the risk assessment program include an owner?", None, None])
    ws.append(["B. Nth Party Management"])
    ws.append(["B.2.2.1", "Are third parties assessed before onboarding?", "No", None])
    dv = DataValidation(type="list", formula1='"Yes,No,N/A"')
    ws.add_data_validation(dv)
    dv.add("C5:C20")
    return wb


def test_sig_lite_header_shape():
    p = importers.load(_bytes(_sig_workbook()), "vendor.xlsx")
    assert (p.family, p.edition, p.version) == ("sig", "Lite", "2024")
    assert [q.id for q in p.questions] == ["A.1", "A.1.3", "B.2.2.1"]
    first = p.questions[0]
    assert first.choices == ("Yes", "No", "N/A")
    assert (first.answer_cell.coordinate, first.comment_cell.coordinate) == ("C5", "D5")
    assert (first.answer, first.comment) == ("Yes", "Annual")
    assert first.section == "A. Enterprise Risk Management"
    assert p.questions[2].section == "B. Nth Party Management"


def test_sig_core_other_header_names_and_control_family_column():
    wb = Workbook()
    ws = wb.active
    ws.title = "Questionnaire"
    ws.append(["SIG Core 2023"])
    ws.append(["Question Number", "Control Family", "Question", "Answer", "Comments"])
    for i, fam in enumerate(["Access Control"] * 3 + ["Network Security"] * 3, start=1):
        ws.append([f"H.{i}.1", fam, f"Is control number {i} implemented for every system?", None, None])
    p = importers.load(_bytes(wb), "core.xlsx")
    assert (p.family, p.edition) == ("sig", "Core")
    assert len(p.questions) == 6
    assert p.questions[0].section == "Access Control" and p.questions[-1].section == "Network Security"
    assert p.questions[0].answer_cell.coordinate == "D3" and p.questions[0].comment_cell.coordinate == "E3"


def test_sig_without_response_column_gets_first_empty_column_and_a_warning():
    wb = Workbook()
    ws = wb.active
    ws.title = "SIG 2024"
    ws.append(["#", "Question", None, "Detail"])
    ws.append(["A.1", "Is there a documented risk policy?", None, None])
    ws.append(["A.2", "Is the policy reviewed?", None, None])
    p = importers.load(_bytes(wb), "sig.xlsx")
    assert p.family == "sig"
    assert p.questions[0].answer_cell.coordinate == "C2"
    assert any("no answer column" in w for w in p.warnings)


def test_sig_questions_pasted_into_a_customer_sheet_are_found():
    wb = Workbook()
    ws = wb.active
    ws.title = "Vendor Review"
    ws.append(["Acme Corp vendor review"])
    ws.append(["Section", "ID", "Question", "Response"])
    ws.append(["General", "1", "Do you have a security officer?", None])
    ws.append(["SIG", "A.1", "Is there a risk assessment program?", None])
    ws.append(["SIG", "M.1.3", "Are incidents reported to clients?", None])
    ws.append(["Privacy", "P.2.2.1", "Is personal data encrypted at rest?", None])
    p = importers.load(_bytes(wb), "review.xlsx")
    assert p.family in ("sig", "generic")
    assert [q.id for q in p.questions] == ["1", "A.1", "M.1.3", "P.2.2.1"]
    assert p.questions[1].section == "SIG"


def test_generic_header_stacked_tables_float_ids_and_hidden_copy():
    wb = Workbook()
    ws = wb.active
    ws.title = "Security"
    ws.append(["No.", "Question", "Vendor Response", "Notes"])
    ws.append([1.0, "Do you encrypt data at rest?", "Yes", None])
    ws.append([2.0, "Do you run penetration tests?", None, None])
    ws.append([])
    ws.append(["Ref", "Requirement", "Answer"])
    ws.append(["R-7", "Please describe your backup regime.", None])
    hidden = wb.create_sheet("Master")
    hidden.sheet_state = "hidden"
    for row in ws.iter_rows(values_only=True):
        hidden.append(list(row))
    p = importers.load(_bytes(wb), "custom.xlsx")
    assert p.family == "generic"
    assert [q.id for q in p.questions] == ["1", "2", "R-7"]
    assert all(q.sheet == "Security" for q in p.questions)
    assert p.questions[0].comment_cell.coordinate == "D2"
    assert p.questions[2].answer_cell.coordinate == "C6"
    assert p.questions[2].comment_cell is None


@pytest.mark.parametrize(
    "header",
    [
        ["N°", "Question", "Réponse", "Commentaire"],
        ["Nº", "Pregunta", "Respuesta", "Comentarios"],
        ["Nr.", "Frage", "Antwort", "Bemerkungen"],
        ["ID", "Pergunta", "Resposta", "Observações"],
    ],
)
def test_a_header_in_another_language_names_its_columns(header):
    """A customer abroad sends the questionnaire in its own language: the answers go to its
    answer column, not to the first empty one."""
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    ws.append(["1", "Do you encrypt data at rest?", None, None])
    ws.append(["2", "Do you run penetration tests?", None, None])
    p = importers.load(_bytes(wb), "custom.xlsx")
    assert [(q.answer_cell.coordinate, q.comment_cell.coordinate) for q in p.questions] == [("C2", "D2"), ("C3", "D3")]
    assert not p.warnings


def test_generic_merged_answer_cell_is_top_left_and_choices_from_defined_range():
    wb = Workbook()
    ws = wb.active
    ws.title = "Q"
    lists = wb.create_sheet("Lists")
    lists.sheet_state = "hidden"
    lists["A1"], lists["A2"] = "Compliant", "Not compliant"
    ws.append(["Question", "Answer", None, "Comment"])
    ws.append(["Do you have an ISMS?", None, None, None])
    ws.append(["Is MFA enforced for admins?", None, None, None])
    ws.merge_cells("B2:C2")
    dv = DataValidation(type="list", formula1="Lists!$A$1:$A$2")
    ws.add_data_validation(dv)
    dv.add("B2:B3")
    p = importers.load(_bytes(wb), "merged.xlsx")
    q1, q2 = p.questions
    assert q1.answer_cell.coordinate == "B2"
    assert q1.choices == q2.choices == ("Compliant", "Not compliant")


def test_generic_sections_from_title_rows_without_header():
    wb = Workbook()
    ws = wb.active
    ws.append(["Access management"])
    ws.append([None, "1. Do you review access quarterly?", "Yes"])
    ws.append([None, None, "(a) by managers"])
    ws.append(["Logging"])
    ws.append([None, "2. Are logs kept for a year?", "No"])
    p = importers.load(_bytes(wb), "plain.xlsx")
    assert [(q.id, q.section, q.answer) for q in p.questions] == [
        ("1", "Access management", "Yes\n(a) by managers"),
        ("2", "Logging", "No"),
    ]


def test_workbook_without_questions_is_refused():
    wb = Workbook()
    ws = wb.active
    ws.append(["Name", "Amount"])
    ws.append(["Widgets", 12])
    with pytest.raises(NoQuestionsFound):
        importers.load(_bytes(wb), "budget.xlsx")


# -- bad inputs ------------------------------------------------------------------------

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


def _zip_with(parts: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _xxe_workbook() -> bytes:
    src = zipfile.ZipFile(io.BytesIO(_bytes(_sig_workbook())))
    parts = {n: src.read(n) for n in src.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    evil = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
    body = sheet.split(b"?>", 1)[1] if sheet.startswith(b"<?xml") else sheet
    parts["xl/worksheets/sheet1.xml"] = evil + body
    return _zip_with(parts)


def _docx_bytes() -> bytes:
    import docx

    d = docx.Document()
    d.add_paragraph("Meeting notes")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


BAD_INPUTS = {
    "legacy_xls": (OLE2 + "Workbook".encode("utf-16-le"), UnsupportedFormat, "legacy .xls"),
    "encrypted": (OLE2 + "EncryptedPackage".encode("utf-16-le"), EncryptedFile, "password-protected"),
    "truncated_zip": (None, CorruptFile, "damaged or truncated"),
    "zip_bomb": (None, UnsafeFile, "zip bomb"),
    "xxe": (None, UnsafeFile, "DOCTYPE"),
    "empty": (b"", CorruptFile, "empty"),
    "random": (bytes(range(256)) * 8, UnknownQuestionnaireFormat, "not a questionnaire"),
    # With the Word importer registered this is read as the docx it is (no questions in it).
    "docx_renamed": (None, UnknownQuestionnaireFormat, "upload.xlsx"),
}


@functools.cache
def _bad(name: str) -> bytes:
    data = BAD_INPUTS[name][0]
    if data is not None:
        return data
    if name == "truncated_zip":
        full = _bytes(_sig_workbook())
        return full[: len(full) // 2]
    if name == "zip_bomb":
        return _zip_with({"xl/workbook.xml": b"<workbook/>", "xl/big.bin": b"\0" * (300 * 1024 * 1024)})
    if name == "xxe":
        return _xxe_workbook()
    return _docx_bytes()


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_raises_specific_error(name):
    _, error, words = BAD_INPUTS[name]
    with pytest.raises(error, match=words) as info:
        importers.load(_bad(name), "upload.xlsx")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_flask_inspect_exits_2_with_one_line(runner, tmp_path, name):
    path = tmp_path / "upload.xlsx"
    path.write_bytes(_bad(name))
    result = runner.invoke(args=["inspect", str(path), "--json"])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert "Traceback" not in result.output


def test_zip_bomb_is_refused_before_inflating():
    data = _bad("zip_bomb")
    assert len(data) < 2 * 1024 * 1024  # 300 MB of zeros compress to well under 1 MB


def test_flask_inspect_json_of_a_good_workbook(runner, tmp_path):
    import json

    path = tmp_path / "sig.xlsx"
    path.write_bytes(_bytes(_sig_workbook()))
    result = runner.invoke(args=["inspect", str(path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["family"] == "sig" and data["count"] == 3
    assert data["questions"][0]["answer_cell"] == "C5"


@pytest.mark.parametrize(
    ("name", "kind", "target"),
    [
        ("q.csv", "an Excel workbook", ".xlsx"),
        ("q.TXT", "a Word document", ".docx"),
        ("q.tsv", "a zip archive", ".zip"),
    ],
)
def test_package_named_as_text_is_refused(name, kind, target):
    from importers import load

    if target == ".xlsx":
        data = _bytes(_sig_workbook())
    elif target == ".docx":
        data = _docx_bytes()
    else:
        data = _zip_with({"notes.txt": b"a,b\n1,2\n"})
    with pytest.raises(
        UnsupportedFormat,
        match=f"{name}: the file is {kind} named .{name.rsplit('.', 1)[1].lower()}: rename it to \\{target}",
    ):
        load(data, name)
