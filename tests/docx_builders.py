"""Synthetic Word questionnaires built with python-docx, in several table shapes."""

from __future__ import annotations

import io
import struct
import zlib

import docx
from docx.shared import Pt


def tiny_png() -> bytes:
    """A valid 2x2 red PNG (for a media part in the package)."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def to_bytes(document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def fill_row(table, index: int, values: list[str]) -> None:
    for cell, value in zip(table.rows[index].cells, values, strict=False):
        cell.text = value


def header_table_doc() -> bytes:
    """Heading, cover table (no questions), 4-column table with header and a section row,
    then a second heading and a 3-column table (Question | Answer | Notes). Has a page
    header and a picture so the package holds header and media parts."""
    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = "Acme Corp - Confidential"
    document.add_paragraph("Vendor Security Questionnaire", style="Title")
    cover = document.add_table(rows=2, cols=2)
    fill_row(cover, 0, ["Vendor name", "Acme"])
    fill_row(cover, 1, ["Date", "2026-01-01"])
    document.add_picture(io.BytesIO(tiny_png()))
    document.add_heading("Access Control", level=1)
    table = document.add_table(rows=6, cols=4)
    table.style = "Table Grid"
    fill_row(table, 0, ["ID", "Question", "Response", "Comments"])
    fill_row(table, 1, ["AC-01", "Do you enforce multi-factor authentication?", "Yes", "For all staff"])
    fill_row(table, 2, ["AC-02", "Are access reviews performed quarterly?", "", ""])
    merged = table.rows[3].cells[0].merge(table.rows[3].cells[3])
    merged.text = "Logging"
    fill_row(table, 4, ["LG-01", "Do you retain audit logs for at least one year?", "No", ""])
    fill_row(table, 5, ["LG-02", "Describe how logs are protected from tampering.", "", ""])
    answer_run = table.rows[5].cells[2].paragraphs[0].add_run("Pending")
    answer_run.bold = True
    answer_run.font.size = Pt(9)
    document.add_heading("Data Protection", level=1)
    second = document.add_table(rows=3, cols=3)
    fill_row(second, 0, ["Question", "Answer", "Notes"])
    fill_row(second, 1, ["Is data encrypted at rest?", "☐ Yes ☒ No", ""])
    fill_row(second, 2, ["Is data encrypted in transit?", "☐ Yes ☐ No", ""])
    return to_bytes(document)


def no_header_doc() -> bytes:
    """A 3-column table without header: id | question | (empty answer)."""
    document = docx.Document()
    document.add_heading("General", level=2)
    table = document.add_table(rows=3, cols=3)
    fill_row(table, 0, ["1.1", "Do you have a security policy?", ""])
    fill_row(table, 1, ["1.2", "Is the policy reviewed annually?", ""])
    fill_row(table, 2, ["1.3", "Who owns the security program?", "The CISO"])
    return to_bytes(document)


def merged_doc() -> bytes:
    """Question cells spanning two grid columns, a domain column merged vertically, and
    a row that starts after an empty grid slot: answers must still land in column 4."""
    document = docx.Document()
    table = document.add_table(rows=5, cols=5)
    fill_row(table, 0, ["Domain", "Question", "", "Answer", "Comment"])
    table.rows[0].cells[1].merge(table.rows[0].cells[2])
    domain = table.rows[1].cells[0].merge(table.rows[3].cells[0])
    domain.text = "Network"
    for r, text in ((1, "Do you segment production networks?"), (2, "Do you run an IDS?"), (3, "Do you use a WAF?")):
        q = table.rows[r].cells[1].merge(table.rows[r].cells[2])
        q.text = text
    table.rows[4].cells[0].text = "Other"
    table.rows[4].cells[1].text = "Do you have a bug bounty?"
    return to_bytes(document)


def numbered_text_doc() -> bytes:
    """Numbering inside the question text, answer column right of it, no header; the
    document has a Title paragraph but no headings."""
    document = docx.Document()
    document.add_paragraph("Supplier questionnaire 2026", style="Title")
    table = document.add_table(rows=3, cols=2)
    fill_row(table, 0, ["1. Does the vendor perform background checks?", ""])
    fill_row(table, 1, ["2. Describe your vulnerability management program.", ""])
    fill_row(table, 2, ["3. Is there a disaster recovery plan?", "Yes"])
    return to_bytes(document)


def no_questions_doc() -> bytes:
    document = docx.Document()
    document.add_paragraph("Meeting notes")
    table = document.add_table(rows=2, cols=2)
    fill_row(table, 0, ["Name", "Role"])
    fill_row(table, 1, ["Alice", "Engineer"])
    return to_bytes(document)


def odd_grid_doc() -> bytes:
    """Shapes python-docx does not make directly: a row that starts after an empty grid
    slot (w:gridBefore), a nested table inside a cell (not counted as a top-level table),
    and a table wrapped in a content control (w:sdt), which is counted."""
    from copy import deepcopy

    from docx.oxml.ns import qn
    from lxml import etree

    document = docx.Document()
    first = document.add_table(rows=3, cols=3)
    fill_row(first, 0, ["Ref", "Question", "Answer"])
    fill_row(first, 1, ["N-1", "Do you scan for vulnerabilities weekly?", ""])
    fill_row(first, 2, ["", "Do you patch critical issues within 7 days?", ""])
    # Row 3: drop the first cell and declare one empty grid slot before the row instead.
    tr = first.rows[2]._tr
    tr.remove(tr.tc_lst[0])
    tr_pr = tr.get_or_add_trPr()
    before = etree.SubElement(tr_pr, qn("w:gridBefore"))
    before.set(qn("w:val"), "1")
    tr_pr.insert(0, before)
    # A nested table in the first table's answer cell of row 2.
    first.rows[1].cells[2].add_table(rows=1, cols=2)
    second = document.add_table(rows=2, cols=3)
    fill_row(second, 0, ["#", "Question", "Response"])
    fill_row(second, 1, ["S-1", "Do you hold an ISO 27001 certificate?", "Yes"])
    # Wrap the second table in a block-level content control.
    tbl = second._tbl
    sdt = etree.Element(qn("w:sdt"))
    content = etree.SubElement(sdt, qn("w:sdtContent"))
    tbl.addprevious(sdt)
    content.append(deepcopy(tbl))
    tbl.getparent().remove(tbl)
    return to_bytes(document)


def nested_form_doc() -> bytes:
    """A form laid out with tables: a plain question table, then a one-cell layout table
    holding a heading and the second part's question table, and inside that table's
    last answer cell a table of its own with one more question (three levels)."""
    document = docx.Document()
    document.add_heading("Part 1", 1)
    first = document.add_table(rows=3, cols=3)
    fill_row(first, 0, ["ID", "Question", "Answer"])
    fill_row(first, 1, ["A-1", "Do you encrypt customer data at rest?", ""])
    fill_row(first, 2, ["A-2", "Do you enforce MFA for administrators?", ""])
    document.add_heading("Part 2", 1)
    layout = document.add_table(rows=1, cols=1)
    cell = layout.cell(0, 0)
    cell.paragraphs[0].text = "Hosting"
    inner = cell.add_table(rows=3, cols=3)
    fill_row(inner, 0, ["ID", "Question", "Answer"])
    fill_row(inner, 1, ["B-1", "Do you host customer data in the EU?", ""])
    fill_row(inner, 2, ["B-2", "Do you have a documented incident response plan?", "Yes"])
    deepest = inner.rows[2].cells[2].add_table(rows=2, cols=2)
    fill_row(deepest, 0, ["Question", "Answer"])
    fill_row(deepest, 1, ["Is the plan tested every year?", ""])
    return to_bytes(document)


def answer_header_only_doc() -> bytes:
    """Header names only the answer column; the answer of row 3 is merged down over row 4."""
    document = docx.Document()
    table = document.add_table(rows=4, cols=2)
    fill_row(table, 0, ["Control", "Response"])
    fill_row(table, 1, ["Do you back up daily?", "Yes"])
    fill_row(table, 2, ["Do you test restores?", ""])
    fill_row(table, 3, ["Do you keep offsite copies?", ""])
    table.rows[2].cells[1].merge(table.rows[3].cells[1]).text = "Yes, quarterly"
    return to_bytes(document)


def large_doc(questions: int = 500) -> bytes:
    document = docx.Document()
    table = document.add_table(rows=questions + 1, cols=4)
    fill_row(table, 0, ["ID", "Question", "Answer", "Comments"])
    for r in range(1, questions + 1):
        fill_row(table, r, [f"Q-{r}", f"Do you perform control number {r}?"])
    return to_bytes(document)


def mark_columns_doc() -> bytes:
    """Answers given by an x under Yes / No / N/A, then a comments column."""
    document = docx.Document()
    table = document.add_table(rows=3, cols=6)
    fill_row(table, 0, ["No.", "Question", "Yes", "No", "N/A", "Comments"])
    fill_row(table, 1, ["1", "Do you encrypt laptops?", "x", "", "", "BitLocker"])
    fill_row(table, 2, ["2", "Do you allow USB storage?", "", "", "", ""])
    return to_bytes(document)
