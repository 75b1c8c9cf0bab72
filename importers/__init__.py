"""Questionnaire importers: bytes in, `ParsedQuestionnaire` out. No Flask, no database.

`load(data, filename)` tries the registered formats in order (most specific first) and
raises a `QuestionnaireImportError` subclass with a one-line reason when none fits.
"""

from __future__ import annotations

from importers import _safety
from importers._text import strip_invisible
from importers._xlsx import workbook_format
from importers.base import (
    MAX_QUESTIONS,
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
    too_many_questions,
)

__all__ = [
    "REGISTRY",
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
    "UnknownQuestionnaireFormat",
    "UnsafeFile",
    "UnsupportedFormat",
    "load",
    "workbook_format",
]

DEFAULT_MAX_BYTES = 25 * 1024 * 1024

from importers.caiq import CaiqImporter  # noqa: E402
from importers.generic import GenericImporter  # noqa: E402
from importers.hecvat import HecvatImporter  # noqa: E402
from importers.sig_lite import SigImporter  # noqa: E402

# Ordered: most specific first. Each detect() is cheap and content-based (never the file
# name alone); the generic spreadsheet reader takes any workbook the others decline.
REGISTRY: list[Importer] = [
    HecvatImporter(),
    CaiqImporter(),
    SigImporter(),
    GenericImporter(),
    # CSV and Word (.docx) importers are registered here, after the xlsx ones.
]


def load(data: bytes, filename: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedQuestionnaire:
    """Parse an uploaded questionnaire.

    Question text (and section) comes without zero-width characters, soft hyphens and bidi
    controls (``strip_invisible``). Raises FileTooLarge over `max_bytes`, over MAX_SHEET_ROWS
    rows on a visible sheet (or CSV records), over MAX_WORKBOOK_ELEMENTS rows and cells in the
    sheets read (hidden lookup sheets have no row limit of their own) or over MAX_QUESTIONS
    questions, UnknownQuestionnaireFormat when no registered format recognises the file, or
    the specific error of the format that tried.
    """
    if len(data) > max_bytes:
        raise FileTooLarge(f"{filename}: {len(data):,} bytes is over the {max_bytes:,}-byte limit")
    if not data:
        raise CorruptFile(f"{filename}: the file is empty")
    # Legacy/encrypted Office files, damaged zips and zip bombs are refused here, whatever
    # the extension says, before any format's detect() opens the package.
    _safety.preflight(data, filename)
    _safety.check_extension(data, filename)
    for importer in REGISTRY:
        if importer.detect(data, filename):
            parsed = importer.parse(data, filename)
            if len(parsed.questions) > MAX_QUESTIONS:
                raise too_many_questions(filename)
            for q in parsed.questions:  # what is matched and shown; the cells are not touched
                q.text = strip_invisible(q.text)
                q.section = strip_invisible(q.section) if q.section else q.section
            return parsed
    raise UnknownQuestionnaireFormat(f"{filename}: not a questionnaire format Answerbank reads (xlsx, xlsm, csv, docx)")


# Appended by the docx/csv work; CSV last: it claims any delimited text, so the package
# formats must have had their turn.
from importers.csv import CsvImporter  # noqa: E402
from importers.docx import DocxImporter  # noqa: E402

REGISTRY += [DocxImporter(), CsvImporter()]
