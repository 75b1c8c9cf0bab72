"""Questionnaire importers: bytes in, `ParsedQuestionnaire` out. No Flask, no database.

`load(data, filename)` tries the registered formats in order (most specific first) and
raises a `QuestionnaireImportError` subclass with a one-line reason when none fits.
"""

from __future__ import annotations

from importers.base import (
    CellRef,
    CellValue,
    CorruptFile,
    EncryptedFile,
    FileTooLarge,
    Importer,
    NoQuestionsFound,
    ParsedQuestionnaire,
    Question,
    QuestionnaireImportError,
    UnknownQuestionnaireFormat,
    UnsafeFile,
    UnsupportedFormat,
)

__all__ = [
    "CellRef",
    "CellValue",
    "CorruptFile",
    "EncryptedFile",
    "FileTooLarge",
    "Importer",
    "NoQuestionsFound",
    "ParsedQuestionnaire",
    "Question",
    "QuestionnaireImportError",
    "REGISTRY",
    "UnknownQuestionnaireFormat",
    "UnsafeFile",
    "UnsupportedFormat",
    "load",
]

DEFAULT_MAX_BYTES = 25 * 1024 * 1024

# Ordered: most specific first. Filled in by the importers issue.
REGISTRY: list[Importer] = []


def load(data: bytes, filename: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedQuestionnaire:
    """Parse an uploaded questionnaire.

    Raises FileTooLarge over `max_bytes`, UnknownQuestionnaireFormat when no registered
    format recognises the file, or the specific error of the format that tried.
    """
    if len(data) > max_bytes:
        raise FileTooLarge(f"{filename}: {len(data):,} bytes is over the {max_bytes:,}-byte limit")
    if not data:
        raise CorruptFile(f"{filename}: the file is empty")
    for importer in REGISTRY:
        if importer.detect(data, filename):
            return importer.parse(data, filename)
    raise UnknownQuestionnaireFormat(f"{filename}: not a questionnaire format Answerbank reads (xlsx, xlsm, csv, docx)")

# Appended by the docx/csv work; CSV last: it claims any delimited text, so the package
# formats must have had their turn.
from importers.csv import CsvImporter  # noqa: E402
from importers.docx import DocxImporter  # noqa: E402

REGISTRY += [DocxImporter(), CsvImporter()]
