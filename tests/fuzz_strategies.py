"""Hypothesis strategies that mutate real or synthetic questionnaires, for
tests/test_fuzz_importers.py and bench/fuzz_importers.py.

Seeds: a few small real workbooks from the corpus (when ../shared is present) plus
synthetic xlsx, xlsm, docx and csv built in code. Mutations: raw bytes (flip, truncate,
insert) and, more usefully, edits of one XML member's text followed by a re-zip, so the
package is sound and the damage reaches the parsers."""

from __future__ import annotations

import io
import re
import zipfile
from functools import cache
from pathlib import Path

from hypothesis import strategies as st

from tests import upload_builders as b
from tests.docx_builders import header_table_doc, mark_columns_doc

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "questionnaires"
CORPUS_SEEDS = (
    "caiq/metanorma_csa-caiq-v1.0-10-12-2010.xlsx",
    "other/D3c3pt1c0nCyber_third-party IT and data security questionnaire (app-uploads 047f031).xlsx",
    "other/D3c3pt1c0nCyber_AI questionnaire UPAI (app-uploads 9304453).xlsx",
)


def _sig_xlsx() -> bytes:
    from openpyxl import Workbook
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = "SIG Lite 2024"
    ws.append(["Shared Assessments SIG Lite 2024"])
    ws.append(["Ques Num", "Question/Request", "Response", "Additional Information"])
    ws.append(["A. Enterprise Risk Management"])
    ws.append(["A.1", "Is there a risk assessment program approved by management?", "Yes", "Annual"])
    ws.append(["A.2", "Does the risk assessment program include an owner?", None, None])
    ws.merge_cells("C6:D6")
    dv = DataValidation(type="list", formula1='"Yes,No,N/A"')
    ws.add_data_validation(dv)
    dv.add("C4:C20")
    return b.wb_bytes(wb)


@cache
def seeds() -> dict[str, bytes]:
    """name -> bytes; the name's extension is the upload's file name extension."""
    out = {
        "generic.xlsx": b.xlsx(),
        "sig.xlsx": _sig_xlsx(),
        "macro.xlsm": b.xlsm(),
        "table.docx": header_table_doc(),
        "marks.docx": mark_columns_doc(),
        "plain.csv": b.csv_questionnaire(),
    }
    if CORPUS.is_dir():
        for rel in CORPUS_SEEDS:
            path = CORPUS / rel
            if path.is_file():
                out["corpus-" + path.name] = path.read_bytes()
    return out


def xml_members(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [n for n in zf.namelist() if n.endswith((".xml", ".rels"))]


def rezip_with(data: bytes, name: str, content: bytes) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            out.writestr(info.filename, content if info.filename == name else src.read(info))
    return buf.getvalue()


INTERESTING = [b"<", b">", b"&", b'"', b"'", b"\x00", b"0", b"-1", b"999999999", b"A0", b"XFE1048577", b" ", b"/", b":"]
NUMBERS = ["0", "-1", "1", "65536", "1048577", "99999999999999999999", "1e308", "NaN", "", "x", "1.5"]
REFS = ["A0", "A1", "XFD1048576", "XFE1", "ZZZZ1", "1A", "", "A-1", "$A$1", "C3:B2", "A1:XFD1048576"]


@st.composite
def xml_mutation(draw, data: bytes) -> bytes:
    members = xml_members(data)
    name = draw(st.sampled_from(members))
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        text = zf.read(name)
    op = draw(st.sampled_from(["delete", "duplicate", "replace", "number", "ref", "drop_tag", "cut_tail"]))
    n = len(text)
    if op in ("delete", "duplicate", "replace") and n:
        i = draw(st.integers(0, n - 1))
        j = draw(st.integers(i, min(n, i + 200)))
        if op == "delete":
            text = text[:i] + text[j:]
        elif op == "duplicate":
            text = text[:j] + text[i:j] + text[j:]
        else:
            text = text[:i] + draw(st.sampled_from(INTERESTING)) + text[i + 1 :]
    elif op == "number":
        spots = list(re.finditer(rb'"(-?\d+(?:\.\d+)?)"', text))
        if spots:
            m = draw(st.sampled_from(spots))
            text = text[: m.start(1)] + draw(st.sampled_from(NUMBERS)).encode() + text[m.end(1) :]
    elif op == "ref":
        spots = list(re.finditer(rb'(?:r|ref|sqref)="([^"]*)"', text))
        if spots:
            m = draw(st.sampled_from(spots))
            text = text[: m.start(1)] + draw(st.sampled_from(REFS)).encode() + text[m.end(1) :]
    elif op == "drop_tag":
        spots = list(re.finditer(rb"<[^>]*>", text))
        if spots:
            m = draw(st.sampled_from(spots))
            text = text[: m.start()] + text[m.end() :]
    elif op == "cut_tail" and n:
        text = text[: draw(st.integers(0, n - 1))]
    return rezip_with(data, name, text)


@st.composite
def raw_mutation(draw, data: bytes) -> bytes:
    n = len(data)
    op = draw(st.sampled_from(["flip", "truncate", "insert"]))
    if op == "truncate":
        return data[: draw(st.integers(0, n - 1))]
    i = draw(st.integers(0, n - 1))
    if op == "flip":
        return data[:i] + bytes([data[i] ^ draw(st.integers(1, 255))]) + data[i + 1 :]
    return data[:i] + draw(st.binary(min_size=1, max_size=16)) + data[i:]


@st.composite
def text_mutation(draw, data: bytes) -> bytes:
    n = len(data)
    i = draw(st.integers(0, n - 1))
    j = draw(st.integers(i, min(n, i + 80)))
    insert = draw(st.sampled_from([b'"', b",", b"\r", b"\n", b"\t", b";", b'""', b"\xff\xfe", b"\x00", b"=1+1", b""]))
    return data[:i] + insert + data[j:]


@st.composite
def mutated(draw) -> tuple[str, bytes]:
    """(upload file name, mutated bytes)."""
    available = seeds()
    name = draw(st.sampled_from(sorted(available)))
    data = available[name]
    filename = name.removeprefix("corpus-")
    if name.endswith(".csv"):
        return filename, draw(st.one_of(text_mutation(data), raw_mutation(data)))
    # XML edits weigh double: they reach the parsers; raw damage mostly stops at the zip
    return filename, draw(st.one_of(xml_mutation(data), xml_mutation(data), raw_mutation(data)))
