"""XML parts in another encoding than UTF-8: the DOCTYPE/ENTITY guard sees through every
encoding an XML parser accepts (QA hid one in UTF-16BE without a BOM and in UTF-32), and a
part we read or edit must be UTF-8 (a UTF-16 sheet uploaded and reviewed fine, then its
download failed with 409). Only customXml/ (SharePoint writes it as UTF-16, nobody reads
it) may be in another encoding."""

from __future__ import annotations

import pytest

import importers
from answers import bank
from importers._safety import xml_encoding
from importers.base import CorruptFile, UnsafeFile
from tests import upload_builders as b
from tests.auth_helpers import bearer, token_for

SHEET = "xl/worksheets/sheet1.xml"
DTD = '<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/hostname">]>'
CUSTOM = (
    '<ds:datastoreItem ds:itemID="{X}" xmlns:ds="http://schemas.openxmlformats.org/officeDocument/2006/customXml"/>'
)


def _reencoded(xml: bytes, label: str, codec: str, prolog: str = "") -> bytes:
    """`xml` (UTF-8) declared as `label` and encoded with `codec`, `prolog` after the declaration."""
    body = xml.decode().split("?>", 1)[1] if xml.startswith(b"<?xml") else xml.decode()
    return f'<?xml version="1.0" encoding="{label}"?>{prolog}{body}'.encode(codec)


def _with_part(data: bytes, name: str, content: bytes) -> bytes:
    parts = b.members(data)
    parts[name] = content
    return b.rezip(parts)


ENCODINGS = [("UTF-16", "utf-16"), ("UTF-16BE", "utf-16-be"), ("UTF-16LE", "utf-16-le"), ("UTF-32", "utf-32")]


@pytest.mark.parametrize(
    "data,expected",
    [
        (b'<?xml version="1.0" encoding="UTF-8"?><a/>', "utf-8"),
        (b"\xef\xbb\xbf<a/>", "utf-8"),
        (b"<a/>", "utf-8"),
        ('<?xml version="1.0"?><a/>'.encode("utf-16"), "utf-16-le"),
        ('<?xml version="1.0"?><a/>'.encode("utf-16-be"), "utf-16-be"),
        ('<?xml version="1.0"?><a/>'.encode("utf-32"), "utf-32-le"),
        ('<?xml version="1.0"?><a/>'.encode("utf-32-be"), "utf-32-be"),
        ('<?xml version="1.0"?><a/>'.encode("cp500"), "cp500"),
        (b'<?xml version="1.0" encoding="ISO-8859-1"?><a/>', "iso-8859-1"),
    ],
)
def test_xml_encoding_is_read_as_an_xml_parser_reads_it(data, expected):
    assert xml_encoding(data) == expected


@pytest.mark.parametrize("label,codec", [*ENCODINGS, ("UTF-7", "utf-7"), ("ISO-8859-1", "latin-1")])
def test_a_sheet_not_in_utf8_is_refused_at_import(label, codec):
    sheet = b.members(b.xlsx())[SHEET]
    data = _with_part(b.xlsx(), SHEET, _reencoded(sheet, label, codec))
    with pytest.raises(CorruptFile, match=rf"{SHEET} is .* not UTF-8"):
        importers.load(data, "q.xlsx")


@pytest.mark.parametrize("label,codec", [*ENCODINGS, ("UTF-32BE", "utf-32-be"), ("UTF-7", "utf-7")])
def test_a_doctype_hidden_in_another_encoding_is_refused_even_where_that_encoding_is_allowed(label, codec):
    hidden = _reencoded(CUSTOM.encode(), label, codec, DTD)
    with pytest.raises(UnsafeFile, match="DOCTYPE or ENTITY"):
        importers.load(_with_part(b.xlsx(), "customXml/item1.xml", hidden), "q.xlsx")
    with pytest.raises(UnsafeFile, match="DOCTYPE or ENTITY"):
        importers.load(_with_part(b.docx_questionnaire(), "customXml/item1.xml", hidden), "q.docx")


def test_sharepoint_utf16_custom_xml_still_loads():
    item = _reencoded(CUSTOM.encode(), "utf-16", "utf-16")
    assert len(importers.load(_with_part(b.xlsx(), "customXml/item1.xml", item), "q.xlsx").questions) == 4
    assert len(importers.load(_with_part(b.docx_questionnaire(), "customXml/item1.xml", item), "q.docx").questions) == 4


def test_a_utf16_word_document_part_is_refused():
    document = b.members(b.docx_questionnaire())["word/document.xml"]
    data = _with_part(b.docx_questionnaire(), "word/document.xml", _reencoded(document, "UTF-16", "utf-16"))
    with pytest.raises(CorruptFile, match=r"word/document\.xml is UTF-16-LE XML, not UTF-8"):
        importers.load(data, "q.docx")


def test_a_utf16_sheet_upload_is_a_400_not_a_409_at_download(app, client, people):
    sheet = b.members(b.xlsx())[SHEET]
    data = _with_part(b.xlsx(), SHEET, _reencoded(sheet, "UTF-16", "utf-16"))
    from io import BytesIO

    response = client.post(
        "/api/v1/questionnaires",
        data={"file": (BytesIO(data), "q.xlsx")},
        headers=bearer(token_for(app, people["sales"])),
    )
    assert response.status_code == 400
    assert "xl/worksheets/sheet1.xml is UTF-16-LE XML, not UTF-8" in response.get_json()["error"]


@pytest.mark.parametrize("label,codec", ENCODINGS)
def test_a_bank_xlsx_sheet_not_in_utf8_is_refused(label, codec):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["question", "answer"])
    wb.active.append(["Do you encrypt data at rest?", "Yes"])
    data = b.wb_bytes(wb)
    sheet = b.members(data)[SHEET]
    for prolog in ("", DTD):
        with pytest.raises(bank.BankFileError, match="not UTF-8"):
            bank.read_bank_file(_with_part(data, SHEET, _reencoded(sheet, label, codec, prolog)), "bank.xlsx")
