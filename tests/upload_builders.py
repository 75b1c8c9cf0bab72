"""Synthetic uploads for the upload-hardening tests: a small generic questionnaire in
xlsx/xlsm/docx/csv, and package surgery helpers (replace or add one zip member)."""

from __future__ import annotations

import io
import zipfile

import docx
from openpyxl import Workbook

QUESTIONS = [
    ("AC-1", "Do you enforce multi-factor authentication for all administrative access?"),
    ("AC-2", "Are user access reviews performed at least quarterly?"),
    ("EN-1", "Is customer data encrypted at rest using AES-256 or stronger?"),
    ("LG-1", "Do you retain security audit logs for at least one year?"),
]
SHEET = "Questions"


def wb_bytes(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def questionnaire_workbook(questions=QUESTIONS) -> Workbook:
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append(["Vendor Security Questionnaire"])
    ws.append(["ID", "Question", "Response", "Comments"])
    for qid, text in questions:
        ws.append([qid, text, None, None])
    return wb


def xlsx(questions=QUESTIONS) -> bytes:
    return wb_bytes(questionnaire_workbook(questions))


def no_questions_xlsx() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["Name", "Amount"])
    ws.append(["Widgets", 12])
    return wb_bytes(wb)


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def rezip(parts: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in parts.items():
            zf.writestr(name, content)
    return buf.getvalue()


def replace_member(data: bytes, name: str, content: bytes) -> bytes:
    parts = members(data)
    assert name in parts, f"{name} not in package"
    parts[name] = content
    return rezip(parts)


VBA_PROJECT = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 16 + b'Attribute VB_Name = "Module1"'


def xlsm(vba: bytes = VBA_PROJECT) -> bytes:
    """The questionnaire as a macro-enabled workbook: a vbaProject.bin part, its
    relationship and the macroEnabled content type (bytes are opaque to us)."""
    parts = members(xlsx())
    ct = parts["[Content_Types].xml"].decode()
    ct = ct.replace(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    )
    ct = ct.replace("</Types>", '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>')
    parts["[Content_Types].xml"] = ct.encode()
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    rels = rels.replace(
        "</Relationships>",
        '<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" '
        'Target="vbaProject.bin"/></Relationships>',
    )
    parts["xl/_rels/workbook.xml.rels"] = rels.encode()
    parts["xl/vbaProject.bin"] = vba
    return rezip(parts)


def docx_questionnaire() -> bytes:
    document = docx.Document()
    document.add_paragraph("Vendor Security Questionnaire", style="Title")
    table = document.add_table(rows=len(QUESTIONS) + 1, cols=4)
    for cell, value in zip(table.rows[0].cells, ["ID", "Question", "Response", "Comments"], strict=True):
        cell.text = value
    for row, (qid, text) in zip(table.rows[1:], QUESTIONS, strict=True):
        row.cells[0].text = qid
        row.cells[1].text = text
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def csv_questionnaire() -> bytes:
    lines = ["ID,Question,Response,Comments"] + [f'{qid},"{text}",,' for qid, text in QUESTIONS]
    return ("\r\n".join(lines) + "\r\n").encode()


XXE = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10))
    + b"]>"
)


def _with_prolog(xml: bytes, prolog: bytes) -> bytes:
    body = xml.split(b"?>", 1)[1] if xml.startswith(b"<?xml") else xml
    return prolog + body


def poisoned(data: bytes, part: str, prolog: bytes) -> bytes:
    """`data` with a DOCTYPE/ENTITY prolog in front of package part `part`."""
    return replace_member(data, part, _with_prolog(members(data)[part], prolog))


def zip_bomb() -> bytes:
    """300 MB of zeros in one member of an otherwise plausible package (< 1 MB on disk)."""
    parts = members(xlsx())
    parts["xl/media/big.bin"] = b"\0" * (300 * 1024 * 1024)
    return rezip(parts)
