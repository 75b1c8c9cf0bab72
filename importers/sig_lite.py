"""Shared Assessments SIG (Standardized Information Gathering) Lite / Core.

The licensed workbook cannot be shared, so this reads what public descriptions give: a
questions sheet per edition (`SIG Lite`, `SIG Core`, `SIG 2024`) under a few header
rows, a question-number column with dotted ids under a domain letter (`A.1`, `M.1.3`,
`P.2.2.1`, numbers skipping where scoping removed questions), domain rows
(`A. Enterprise Risk Management` ... `V. Cloud Services`), the question, a Yes/No/N/A
response dropdown, a detail/comment column and sometimes a control family column. The
table itself is read by the shared header-driven reader (`_table.py`).

A sheet is a SIG sheet by its name, or (any name) when most ids of its question table
follow the SIG pattern, or when it carries SIG domain titles.
"""

from __future__ import annotations

import re

from importers._table import header_columns, read_table
from importers._xlsx import Sheet, Workbook, is_workbook, open_workbook
from importers.base import NoQuestionsFound, ParsedQuestionnaire, Question

SIG_ID = re.compile(r"^[A-V]\.\d{1,3}(\.\d{1,3}){0,4}$")
_SHEET = re.compile(r"^\s*SIG\b", re.IGNORECASE)
_EDITION = re.compile(r"\bSIG\s+(Lite|Core|Full)\b", re.IGNORECASE)
_YEAR = re.compile(r"\b(20\d\d)\b")
DOMAINS = (
    "Enterprise Risk Management",
    "Nth Party Management",
    "Information Assurance",
    "Asset and Info Management",
    "Human Resources Security",
    "Physical and Environmental Security",
    "IT Operations Management",
    "Access Control",
    "Application Security",
    "Cybersecurity Incident Management",
    "Operational Resilience",
    "Compliance Management",
    "Endpoint Security",
    "Network Security",
    "Privacy Management",
    "Threat Management",
    "Server Security",
    "Cloud Services",
    "Artificial Intelligence",
    "Security Policy",
    "Organizational Security",
    "Business Resiliency",
    "Environmental, Social and Governance",
)
_DOMAIN_ROW = re.compile(r"^[A-V]\.?\s*[-–:.]?\s*(" + "|".join(re.escape(d) for d in DOMAINS) + r")\b", re.IGNORECASE)


def _sig_ids(sheet: Sheet) -> tuple[int, int]:
    """(ids matching the SIG pattern, ids in all) in the id column of the first header."""
    for r in range(1, min(sheet.max_row, 40) + 1):
        cols = header_columns(sheet, r)
        if cols and cols.id:
            ids = [sheet.text(rr, cols.id) for rr in range(r + 1, sheet.max_row + 1)]
            ids = [i for i in ids if i]
            return sum(1 for i in ids if SIG_ID.match(i)), len(ids)
    return 0, 0


def _domain_rows(sheet: Sheet) -> int:
    return sum(1 for (r, c), v in sheet.cells.items() if c <= 4 and isinstance(v, str) and _DOMAIN_ROW.match(v.strip()))


def is_sig_sheet(sheet: Sheet) -> bool:
    if not sheet.visible:
        return False
    if _SHEET.match(sheet.name):
        return True
    matching, total = _sig_ids(sheet)
    if matching >= 5 and matching >= 0.6 * total:
        return True
    return _domain_rows(sheet) >= 3


class SigImporter:
    name = "sig"

    def detect(self, data: bytes, filename: str) -> bool:
        if not is_workbook(data, filename):
            return False
        wb = open_workbook(data, filename)
        return any(is_sig_sheet(wb.sheet(n)) for n in wb.sheet_names if wb.state(n) == "visible")

    def parse(self, data: bytes, filename: str) -> ParsedQuestionnaire:
        wb = open_workbook(data, filename)
        wb.scan_all_xml()
        sheets = [wb.sheet(n) for n in wb.sheet_names if wb.state(n) == "visible" and is_sig_sheet(wb.sheet(n))]
        questions: list[Question] = []
        warnings: list[str] = []
        for sheet in sheets:
            result = read_table(wb, sheet)
            questions.extend(result.questions)
            warnings.extend(result.warnings)
        if not questions:
            raise NoQuestionsFound(f"{filename}: SIG workbook, but no question table (number, question, response)")
        edition, version = _edition_version(wb, sheets)
        return ParsedQuestionnaire(
            family="sig", version=version, format=wb.format, questions=questions, edition=edition, warnings=warnings
        )


def _edition_version(wb: Workbook, sheets: list[Sheet]) -> tuple[str | None, str | None]:
    texts = [s.name for s in sheets]
    for s in sheets:
        for r in range(1, 4):
            texts.extend(t for t in s.row_texts(r, 10).values() if len(t) < 120)
    texts.extend(wb.sheet_names)
    edition = version = None
    for t in texts:
        m = _EDITION.search(t)
        if m and not edition:
            edition = m.group(1).title()
        y = _YEAR.search(t) if "sig" in t.casefold() else None
        if y and not version:
            version = y.group(1)
    return edition, version
