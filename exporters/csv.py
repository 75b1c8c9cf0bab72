"""Write answers back into the original CSV bytes, changing only the target fields.

Records that receive no value are copied byte for byte; in a changed record, untouched
fields keep their original text and quoting and only the target fields are re-quoted.
The encoding, byte-order mark, delimiter and each record's line ending are kept.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections import defaultdict
from collections.abc import Mapping

from exporters.xlsx import WriteBackError
from importers.base import CellRef, CellValue, QuestionnaireImportError
from importers.csv import DELIMITERS, CsvText, read_csv_text

__all__ = ["WriteBackError", "format_value", "write_back"]

_MAX_COLUMN = 16384
# Spreadsheet apps run cells starting with these as formulas (CSV injection).
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# NUL and other C0 controls are not text: a CSV holding them reads as binary.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# Typographic characters a legacy encoding (cp1252, latin-1...) may lack, and the ASCII
# a reader would type instead. Only punctuation-like ones: a symbol that carries meaning
# of its own (a check mark) is left for the error below rather than guessed at.
_ASCII_FALLBACK = {
    "\u2265": ">=",  # ≥
    "\u2264": "<=",  # ≤
    "\u2260": "!=",  # ≠
    "\u2192": "->",  # →
    "\u2190": "<-",  # ←
    "\u2194": "<->",  # ↔
    "\u21d2": "=>",  # ⇒
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": ",",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u2013": "-",  # en dash
    "\u2014": "-",  # em dash
    "\u2212": "-",  # minus sign
    "\u2011": "-",  # non-breaking hyphen
    "\u2010": "-",
    "\u2026": "...",
    "\u2022": "*",  # bullet
    "\u00a0": " ",
    "\u202f": " ",
    "\u2009": " ",
    "\u200b": "",  # zero-width space
    "\u00d7": "x",  # ×
}


def _is_unicode(encoding: str) -> bool:
    return encoding.lower().replace("_", "-").startswith(("utf", "ucs"))


def fit_encoding(text: str, encoding: str) -> str:
    """`text` with each character `encoding` cannot hold replaced by an ASCII equivalent
    (the table above, else its NFKD decomposition when that fits, e.g. "ﬁ" -> "fi").
    Characters with no equivalent are kept, so encoding still fails and names them."""
    if _is_unicode(encoding):
        return text
    out: list[str] = []
    for ch in text:
        try:
            ch.encode(encoding)
            out.append(ch)
            continue
        except UnicodeEncodeError:
            pass
        candidate = _ASCII_FALLBACK.get(ch)
        if candidate is None:
            decomposed = unicodedata.normalize("NFKD", ch)
            stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
            candidate = stripped or decomposed
        try:
            candidate.encode(encoding)
            out.append(candidate)
        except UnicodeEncodeError:
            out.append(ch)
    return "".join(out)


def format_value(value: CellValue, encoding: str = "utf-8") -> str:
    """The text a value is written as in a file of `encoding`: text is fitted to the
    encoding (fit_encoding) and then, if a spreadsheet would run it as a formula, gets a
    leading apostrophe; in that order, as fitting can create the prefix ("\u200b=1" and
    "\uff1d1" become "=1" in cp1252). Numbers, dates and booleans are written plainly."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    text = _CONTROL.sub("", fit_encoding(str(value), encoding).replace("\r\n", "\n"))
    if text.startswith(_FORMULA_PREFIXES):
        text = "'" + text
    return text


def _quote(text: str, delimiter: str) -> str:
    # every delimiter the importer may sniff is quoted, not only this file's: a written
    # ";" must not make the completed file read as semicolon-separated
    if text == "" or (not any(ch in text for ch in (*DELIMITERS, '"', "\n", "\r")) and text == text.strip(" ")):
        return text
    return '"' + text.replace('"', '""') + '"'


def _split_raw_fields(body: str, delimiter: str) -> list[str]:
    """Split one record's text (without terminator) into the raw text of each field."""
    raw: list[str] = []
    start, i, in_quotes, at_field_start = 0, 0, False, True
    while i < len(body):
        ch = body[i]
        if in_quotes:
            if ch == '"':
                if i + 1 < len(body) and body[i + 1] == '"':
                    i += 1
                else:
                    in_quotes = False
        elif ch == '"' and at_field_start:
            in_quotes = True
        elif ch == delimiter:
            raw.append(body[start:i])
            start = i + 1
            at_field_start = True
            i += 1
            continue
        at_field_start = False
        i += 1
    raw.append(body[start:])
    return raw


def _parse_one(text: str, delimiter: str) -> list[str]:
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', strict=False))
    return rows[0] if rows else []


def _rewrite_record(raw: str, fields: list[str], changes: dict[int, str], delimiter: str) -> str:
    body = raw.rstrip("\r\n")
    ending = raw[len(body) :]  # kept as it was (the last record may have none)
    pieces = _split_raw_fields(body, delimiter) if body else []
    if [*_parse_one(body, delimiter)] != fields or len(pieces) != len(fields):
        # Unusual quoting the splitter does not mirror: re-emit every field.
        pieces = [_quote(f, delimiter) for f in fields]
    width = max(len(pieces), max(changes) + 1)
    pieces += [""] * (width - len(pieces))
    for index, text in changes.items():
        pieces[index] = _quote(text, delimiter)
    return delimiter.join(pieces) + ending


def write_back(original: bytes, values: Mapping[CellRef, CellValue]) -> bytes:
    """Return `original` with `values` written into their fields.

    CellRef rows/columns are 1-based record/field numbers with sheet "" (as the CSV
    importer records them). Short records are padded with empty fields. Raises
    WriteBackError for a reference outside the file or text the file's encoding cannot hold
    (after typographic characters are replaced by ASCII: "≥" -> ">="), naming the record.
    An all-ASCII file without BOM counts as ASCII (Excel reads it as cp1252, not UTF-8).
    """
    try:
        parsed: CsvText = read_csv_text(original, "original CSV")
    except QuestionnaireImportError as exc:
        raise WriteBackError(f"cannot read the original CSV: {exc}") from exc
    encoding, described = parsed.encoding, f"this file's {parsed.encoding} encoding"
    if encoding == "utf-8" and not parsed.bom and original.isascii():
        # Nothing says UTF-8: no BOM, no byte above 127. Excel opens such a file in the ANSI
        # code page (cp1252), so UTF-8 bytes would read as mojibake ("’" as "â€™"). New
        # text stays ASCII: transliterated like the cp1252 path, else refused.
        encoding, described = "ascii", "this plain-ASCII file (no UTF-8 byte-order mark, read as Windows-1252)"
    by_row: dict[int, dict[int, str]] = defaultdict(dict)
    for ref, value in values.items():
        if ref.sheet:
            raise WriteBackError(f"{ref}: a CSV file has no sheet {ref.sheet!r}")
        if not 1 <= ref.row <= len(parsed.records):
            raise WriteBackError(f"{ref}: record {ref.row} does not exist (the file has {len(parsed.records)})")
        if not 1 <= ref.column <= _MAX_COLUMN:
            raise WriteBackError(f"{ref}: field {ref.column} is outside 1..{_MAX_COLUMN}")
        text = format_value(value, encoding)
        try:
            text.encode(encoding)
        except UnicodeEncodeError as exc:
            bad = text[exc.start : exc.end]
            raise WriteBackError(
                f"record {ref.row}, field {ref.column} ({ref}): the answer contains {bad!r}, which "
                f"{described} cannot hold; edit that answer or save the file as UTF-8"
            ) from exc
        by_row[ref.row - 1][ref.column - 1] = text
    out: list[str] = []
    for index, record in enumerate(parsed.records):
        changes = by_row.get(index)
        out.append(_rewrite_record(record.raw, record.fields, changes, parsed.delimiter) if changes else record.raw)
    text = "".join(out)
    try:
        return parsed.bom + text.encode(parsed.encoding)
    except UnicodeEncodeError as exc:
        bad = text[exc.start : exc.end]
        raise WriteBackError(
            f"the answer text contains {bad!r}, which this file's {parsed.encoding} encoding cannot hold"
        ) from exc
