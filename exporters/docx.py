"""Word documents: write answers into a questionnaire's table cells, and build a response
report for customers or reviewers.

`write_back` edits only `word/document.xml`; every other part of the package (styles,
headers, footers, media, ...) is copied unchanged. Inside a target cell the first
paragraph's properties and the first run's formatting are kept for the new text.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import re
import zipfile
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lxml import etree

from exporters.xlsx import ValueNotAllowed, WriteBackError
from importers.base import CellRef, CellValue, QuestionnaireImportError
from importers.docx import (
    DOCUMENT_PART,
    cell_text,
    check_package,
    checkbox_choices,
    owner,
    table_at,
    table_grid,
    top_level_tables,
    w,
)

__all__ = ["ReportRow", "ValueNotAllowed", "WriteBackError", "response_report", "write_back"]

_TABLE_SHEET = re.compile(r"^table ([1-9][0-9]*(?:\.[1-9][0-9]*)*)$")
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_CHECKBOX_MARK = re.compile(r"[☐☒☑□■✓✔](\s*)([^☐☒☑□■✓✔\t\n]+)")
# XML 1.0 forbids most control characters; Word refuses a document containing them.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text_of(value: CellValue) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    return _XML_ILLEGAL.sub("", str(value).replace("\r\n", "\n").replace("\r", "\n"))


def _ticked(current: str, value: str, ref: CellRef) -> str | None:
    """For a checkbox cell ('☐ Yes ☐ No'), the text with `value`'s box ticked (all boxes
    cleared for ""); None when the cell is not a checkbox list. Raises ValueNotAllowed for
    a value that is none of the options."""
    choices, _ = checkbox_choices(current)
    if not choices:
        return None
    wanted = value.strip().casefold()
    if wanted and wanted not in {c.casefold() for c in choices}:
        raise ValueNotAllowed(f"{ref}: {value!r} is not one of the boxes {', '.join(choices)}")

    def mark(m: re.Match[str]) -> str:
        box = "☒" if m.group(2).strip().casefold() == wanted else "☐"
        return box + m.group(1) + m.group(2)

    return _CHECKBOX_MARK.sub(mark, current)


def _set_cell_text(tc, text: str) -> None:
    """Replace the cell's paragraphs with `text`, keeping the first paragraph's properties
    and the first run's formatting. Newlines become line breaks, tabs become tabs."""
    paragraphs = [child for child in tc if child.tag in (w("p"), w("sdt"))]
    first_p = next((p for p in tc.iter(w("p"))), None)
    ppr = first_p.find(w("pPr")) if first_p is not None else None
    rpr = next((r.find(w("rPr")) for r in tc.iter(w("r")) if r.find(w("rPr")) is not None), None)
    if rpr is None and ppr is not None and ppr.find(w("rPr")) is not None:
        # An empty cell keeps its formatting on the paragraph mark: use it for the run,
        # minus the revision marks only a paragraph mark may carry.
        rpr = copy.deepcopy(ppr.find(w("rPr")))
        for child in list(rpr):
            if child.tag in (w("ins"), w("del"), w("moveFrom"), w("moveTo"), w("rPrChange")):
                rpr.remove(child)
    for child in paragraphs:
        tc.remove(child)
    p = etree.SubElement(tc, w("p"))
    if ppr is not None:
        p.append(copy.deepcopy(ppr))
    run = etree.SubElement(p, w("r"))
    if rpr is not None:
        run.append(copy.deepcopy(rpr))
    for n, line in enumerate(text.split("\n")):
        if n:
            etree.SubElement(run, w("br"))
        for m, piece in enumerate(line.split("\t")):
            if m:
                etree.SubElement(run, w("tab"))
            if piece:
                t = etree.SubElement(run, w("t"))
                t.text = piece
                if piece != piece.strip():
                    t.set(_XML_SPACE, "preserve")


def _parse_document(xml: bytes):
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        return etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as exc:
        raise WriteBackError(f"{DOCUMENT_PART} is not well-formed XML ({exc})") from exc


def write_back(original: bytes, values: Mapping[CellRef, CellValue]) -> bytes:
    """Return `original` with `values` written into the table cells they name.

    CellRefs are as the docx importer records them: sheet "table N", row/column the
    cell's grid position; a slot inside a merged cell writes the merged cell. A cell whose
    text is a checkbox list (☐ Yes ☐ No) gets the matching box ticked when the value is
    one of its options (ValueNotAllowed otherwise). Raises WriteBackError for a reference
    that does not exist or a package that cannot be read.
    """
    if not values:
        return original
    try:
        package = check_package(original, "original document")
    except QuestionnaireImportError as exc:
        raise WriteBackError(f"cannot read the original document: {exc}") from exc
    with package:
        root = _parse_document(package.read(DOCUMENT_PART))
        body = root.find(w("body"))
        if body is None:
            raise WriteBackError(f"{DOCUMENT_PART} has no body")
        grids: dict[str, list] = {}
        for ref, value in sorted(values.items(), key=lambda item: item[0]):
            m = _TABLE_SHEET.match(ref.sheet)
            if not m:
                raise WriteBackError(f"{ref}: a Word document has tables, not a sheet named {ref.sheet!r}")
            index = m.group(1)
            if index not in grids:
                # cells are written in place, never added or removed: the tables found
                # before a write are the tables after it
                table = table_at(body, tuple(int(n) for n in index.split(".")))
                if table is None:
                    raise WriteBackError(
                        f"{ref}: table {index} does not exist (the document has {len(top_level_tables(body))})"
                    )
                grids[index] = table_grid(table)
            grid = grids[index]
            cell = owner(grid, ref.row, ref.column)
            if cell is None:
                raise WriteBackError(f"{ref}: table {index} has no cell at row {ref.row}, column {ref.column}")
            text = _text_of(value)
            ticked = _ticked(cell_text(cell.tc), text, ref)
            _set_cell_text(cell.tc, ticked if ticked is not None else text)
        document_xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as target:
            for info in package.infolist():
                data = document_xml if info.filename == DOCUMENT_PART else package.read(info)
                target.writestr(info, data, compress_type=info.compress_type)
    return out.getvalue()


# --- response report -----------------------------------------------------------------

_STATUSES = {
    "answered": "answered",
    "accepted": "answered",
    "written": "answered",
    "needs_review": "needs_review",
    "needs review": "needs_review",
    "review": "needs_review",
    "assigned": "needs_review",
    "unanswered": "unanswered",
    "none": "unanswered",
    "": "unanswered",
    "not_writable": "not_writable",
}
_STATUS_LABELS = {
    "answered": "Answered",
    "needs_review": "Needs review",
    "unanswered": "Unanswered",
    "not_writable": "Not writable in the file",
}
_TIER_ORDER = ("exact", "high", "review", "none")


@dataclass(frozen=True)
class ReportRow:
    """One question in a response report. `status`: answered, needs_review, unanswered or
    not_writable (the file has no cell of its own for the answer) (aliases: accepted,
    written / review, assigned / none); `tier`: the match tier or None."""

    section: str | None
    id: str | None
    question: str
    answer: str | None
    comment: str | None
    status: str
    tier: str | None = None


def _status(row: ReportRow) -> str:
    try:
        return _STATUSES[(row.status or "").strip().lower()]
    except KeyError:
        raise ValueError(f"unknown status {row.status!r} for {row.id or row.question[:40]}") from None


def _appender(document):
    """A function adding a paragraph at the end of ``document``'s body in constant time:
    python-docx's ``add_paragraph`` scans the body's children for the section properties
    each time, quadratic over a report's paragraphs (33 s for 5,000 questions). It takes
    runs as (text, "b" | "i" | "") and an optional paragraph style, and returns the ``w:p``."""
    from docx.oxml import OxmlElement
    from docx.text.paragraph import Paragraph

    body = document.element.body
    end = body.sectPr

    def add_paragraph(*runs: tuple[str, str], style: str | None = None):
        # python-docx's element class only where its API styles it: lxml's own is faster
        p = OxmlElement("w:p") if style is not None else etree.Element(w("p"))
        if end is not None:
            end.addprevious(p)
        else:
            body.append(p)
        for text, emphasis in runs:
            _add_run(p, text, emphasis)
        if style is not None:
            Paragraph(p, document).style = style
        return p

    return add_paragraph


_RUN_BREAKS = re.compile(r"([\t\r\n])")


def _add_run(p: etree._Element, text: str, emphasis: str = "") -> None:
    """Append a run of ``text`` to ``p`` as python-docx's ``Paragraph.add_run`` writes it
    (a tab is ``w:tab``, a line break ``w:br``, edge spaces preserved), ``emphasis`` "b"
    bold or "i" italic; without its per-character loop, a third of a large report's time."""
    r = etree.SubElement(p, w("r"))
    if emphasis:
        etree.SubElement(etree.SubElement(r, w("rPr")), w(emphasis))
    for part in _RUN_BREAKS.split(text):
        if part == "\t":
            etree.SubElement(r, w("tab"))
        elif part in ("\r", "\n"):
            etree.SubElement(r, w("br"))
        elif part:
            t = etree.SubElement(r, w("t"))
            t.text = part
            if len(part.strip()) < len(part):
                t.set(_XML_SPACE, "preserve")


def response_report(
    title: str,
    questions: Sequence[ReportRow],
    *,
    subtitle: str = "",
    generated_at: dt.datetime | None = None,
) -> bytes:
    """A .docx report: title page, summary counts (by status, and by tier when tiers are
    given), then every question with its answer and comment, grouped by section in the
    order sections first appear. Raises ValueError for an unknown status."""
    import docx  # python-docx, only needed here
    from docx.enum.text import WD_BREAK

    generated_at = generated_at or dt.datetime.now(dt.UTC)
    statuses = [_status(row) for row in questions]
    counts = Counter(statuses)
    document = docx.Document()
    properties = document.core_properties
    properties.title = title
    properties.subject = subtitle
    properties.author = "Answerbank"
    properties.created = generated_at.replace(tzinfo=None)
    properties.modified = generated_at.replace(tzinfo=None)

    document.add_heading(title, level=0)
    if subtitle:
        document.add_paragraph(subtitle, style="Subtitle")
    document.add_paragraph(f"Generated {generated_at:%Y-%m-%d %H:%M} UTC")
    document.add_paragraph(f"{len(questions)} questions")
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    document.add_heading("Summary", level=1)
    summary = document.add_table(rows=1, cols=2)
    summary.style = "Table Grid"
    summary.rows[0].cells[0].text, summary.rows[0].cells[1].text = "Status", "Questions"
    for key in ("answered", "needs_review", "unanswered", "not_writable"):
        if key == "not_writable" and not counts.get(key):
            continue  # most files have none: no row that makes readers wonder
        cells = summary.add_row().cells
        cells[0].text, cells[1].text = _STATUS_LABELS[key], str(counts.get(key, 0))
    cells = summary.add_row().cells
    cells[0].text, cells[1].text = "Total", str(len(questions))
    tiers = Counter(row.tier for row in questions if row.tier)
    if tiers:
        document.add_heading("By match tier", level=2)
        by_tier = document.add_table(rows=1, cols=2)
        by_tier.style = "Table Grid"
        by_tier.rows[0].cells[0].text, by_tier.rows[0].cells[1].text = "Tier", "Questions"
        for tier in sorted(tiers, key=lambda t: (_TIER_ORDER.index(t) if t in _TIER_ORDER else 99, t)):
            cells = by_tier.add_row().cells
            cells[0].text, cells[1].text = tier, str(tiers[tier])

    document.add_heading("Responses", level=1)
    sections: dict[str, list[tuple[ReportRow, str]]] = {}
    for row, status in zip(questions, statuses, strict=True):
        sections.setdefault(row.section or "General", []).append((row, status))
    add_paragraph = _appender(document)
    for section, rows in sections.items():
        add_paragraph((section, ""), style="Heading 2")
        for row, status in rows:
            heading = [(f"{row.id}  ", "b")] if row.id else []
            add_paragraph(*heading, (row.question, "b"))
            add_paragraph(("Answer: ", "i"), (row.answer or "(no answer)", ""))
            if row.comment:
                add_paragraph(("Comment: ", "i"), (row.comment, ""))
            if status != "answered" or row.tier:
                note = [_STATUS_LABELS[status]] + ([f"tier {row.tier}"] if row.tier else [])
                add_paragraph((" · ".join(note), "i"))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
