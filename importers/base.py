"""The importer contract: what every questionnaire format produces.

Pure data, no I/O. `CellRef` says where a value lives (a worksheet cell, a CSV field or
a Word table cell); `Question` carries the question, where its answer and comment go,
and the values the answer cell allows; `ParsedQuestionnaire` is one uploaded file.
Exporters write exactly to the `CellRef`s recorded here and never re-walk the file.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

CellValue = str | int | float | bool | dt.date | dt.datetime | None

# A questionnaire has 100-1,000 questions (SIG Full about 1,900 on one sheet). Far past
# these a file is a data export, not a questionnaire: refused early, before parsing it all.
MAX_QUESTIONS = 5_000
MAX_SHEET_ROWS = 20_000  # per visible sheet (and per CSV): no questionnaire comes near it
# Per workbook, over every sheet read (hidden lookup sheets too): <row> and <c> elements,
# counted on the bytes before a tree is built. What parsing costs is proportional to this
# (about 20 us and 1 KB of peak memory an element); the largest real questionnaire reads
# 54,000, a hidden 30,000-row list of 5 columns adds 180,000, and the 312,000-row export
# that once took 64 s and 1.5 GB has 1.9 million.
MAX_WORKBOOK_ELEMENTS = 400_000

_A1 = re.compile(r"^([A-Z]{1,3})([1-9][0-9]*)$")


def column_letter(column: int) -> str:
    """1 -> 'A', 27 -> 'AA'. Raises ValueError outside Excel's 1..16384."""
    if not 1 <= column <= 16384:
        raise ValueError(f"column {column} is outside 1..16384")
    letters = ""
    while column:
        column, rem = divmod(column - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_index(letters: str) -> int:
    """'A' -> 1, 'AA' -> 27."""
    index = 0
    for ch in letters.upper():
        if not "A" <= ch <= "Z":
            raise ValueError(f"not a column: {letters!r}")
        index = index * 26 + ord(ch) - 64
    return index


@dataclass(frozen=True, order=True)
class CellRef:
    """A place a value is written to. Rows and columns are 1-based.

    - xlsx/xlsm: `sheet` is the worksheet name, (`row`, `column`) the cell.
    - csv: `sheet` is "" and (`row`, `column`) the record and field (header included).
    - docx: `sheet` is "table N" (N: 1-based index of the table in document order,
      nested tables excluded) and (`row`, `column`) the cell in that table's grid.
    """

    sheet: str
    row: int
    column: int

    @property
    def coordinate(self) -> str:
        """A1-style address without the sheet: 'C12'."""
        return f"{column_letter(self.column)}{self.row}"

    @classmethod
    def parse(cls, sheet: str, coordinate: str) -> CellRef:
        """CellRef.parse('Sheet1', 'C12'). Raises ValueError on a malformed address."""
        m = _A1.match(coordinate.strip().upper())
        if not m:
            raise ValueError(f"not a cell address: {coordinate!r}")
        return cls(sheet, int(m.group(2)), column_index(m.group(1)))

    def __str__(self) -> str:
        if not self.sheet:
            return self.coordinate
        return f"'{self.sheet}'!{self.coordinate}"

    def to_json(self) -> dict[str, object]:
        return {"sheet": self.sheet, "row": self.row, "column": self.column}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> CellRef:
        return cls(str(data["sheet"]), int(data["row"]), int(data["column"]))  # type: ignore[arg-type]


@dataclass
class Question:
    """One question found in a questionnaire.

    `answer_cell` receives the verdict; `choices` are the values it allows (empty: free
    text). Layouts that answer by marking one of several columns (CAIQ 3: an `x` under
    Yes / No / Not Applicable) set `mark_cells` {choice: cell} instead; `answer_cell` is
    then the first of them. `answer` / `comment` hold what the file already contains.
    """

    sheet: str
    row: int
    id: str | None
    text: str
    answer_cell: CellRef | None
    comment_cell: CellRef | None = None
    choices: tuple[str, ...] = ()
    section: str | None = None
    answer: str | None = None
    comment: str | None = None
    mark_cells: dict[str, CellRef] = field(default_factory=dict)

    def cell_values(self, answer: CellValue, comment: CellValue = None) -> dict[CellRef, CellValue]:
        """The cells to write for this answer and comment (None: leave the cell alone).

        For mark layouts the chosen column gets "x" and the other marks are cleared.
        Raises ValueError when a mark layout gets an answer that is none of its choices.
        """
        values: dict[CellRef, CellValue] = {}
        if answer is not None:
            if self.mark_cells:
                if answer not in self.mark_cells:
                    raise ValueError(
                        f"{answer!r} is not one of {', '.join(self.mark_cells)} for {self.id or self.text[:40]}"
                    )
                for choice, ref in self.mark_cells.items():
                    values[ref] = "x" if choice == answer else ""
            elif self.answer_cell is not None:
                values[self.answer_cell] = answer
        if comment is not None and self.comment_cell is not None:
            values[self.comment_cell] = comment
        return values

    def to_json(self) -> dict[str, object]:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "id": self.id,
            "question": self.text,
            "section": self.section,
            "answer_cell": self.answer_cell.coordinate if self.answer_cell else None,
            "comment_cell": self.comment_cell.coordinate if self.comment_cell else None,
            "choices": list(self.choices),
            "answer": self.answer,
            "comment": self.comment,
            "mark_cells": {k: v.coordinate for k, v in self.mark_cells.items()},
        }


@dataclass
class ParsedQuestionnaire:
    """A whole questionnaire as one importer read it.

    `family`: 'hecvat', 'caiq', 'sig', 'generic', ... ; `version`: as printed in the file
    ('3.06', '4.1.4', '4.0.3') or None; `edition`: 'Full', 'Lite', 'Triage', 'Core' or None;
    `format`: 'xlsx', 'xlsm', 'csv' or 'docx'.
    """

    family: str
    version: str | None
    format: str
    questions: list[Question]
    edition: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def version_line(self) -> str:
        """Where question ids keep their meaning: family plus major version ('hecvat-3')."""
        major = (self.version or "").split(".")[0]
        return f"{self.family}-{major}" if major else self.family

    def to_json(self) -> dict[str, object]:
        return {
            "family": self.family,
            "version": self.version,
            "edition": self.edition,
            "format": self.format,
            "count": len(self.questions),
            "warnings": list(self.warnings),
            "questions": [q.to_json() for q in self.questions],
        }


class QuestionnaireImportError(Exception):
    """Base of every import failure: the message is one line a user can act on."""

    http_status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UnsupportedFormat(QuestionnaireImportError):
    """A file type we do not read (legacy .xls, pdf, images, ...)."""

    http_status = 415


class UnknownQuestionnaireFormat(QuestionnaireImportError):
    """A readable file in which no questionnaire layout was recognised."""

    http_status = 422


class NoQuestionsFound(UnknownQuestionnaireFormat):
    """The layout was recognised but holds no questions."""


class CorruptFile(QuestionnaireImportError):
    """A damaged or truncated file."""


class EncryptedFile(QuestionnaireImportError):
    """A password-protected workbook or document: ask for an unprotected copy."""


class UnsafeFile(QuestionnaireImportError):
    """Content we refuse to parse: zip bombs, external entities, entity expansion."""


class FileTooLarge(QuestionnaireImportError):
    """Over the configured size limit."""

    http_status = 413


def too_many_rows(filename: str, where: str) -> FileTooLarge:
    return FileTooLarge(
        f"{filename}: {where} has over {MAX_SHEET_ROWS:,} rows; a questionnaire has at most a few thousand "
        "(remove the extra rows or split the file)"
    )


def too_many_cells(filename: str, where: str) -> FileTooLarge:
    return FileTooLarge(
        f"{filename}: {where} brings the cells read over {MAX_WORKBOOK_ELEMENTS:,} "
        "(a questionnaire and its lookup lists hold far fewer; remove the extra rows or split the file)"
    )


def too_many_questions(filename: str) -> FileTooLarge:
    return FileTooLarge(
        f"{filename}: over {MAX_QUESTIONS:,} questions; a questionnaire has at most a few thousand (split the file)"
    )


class Importer(Protocol):
    """One questionnaire format. Registered in `importers/__init__.py`, most specific first."""

    name: str

    def detect(self, data: bytes, filename: str) -> bool:
        """Cheap check: could this file be in my format?"""
        ...

    def parse(self, data: bytes, filename: str) -> ParsedQuestionnaire:
        """Read the questionnaire. Raises QuestionnaireImportError subclasses only."""
        ...
