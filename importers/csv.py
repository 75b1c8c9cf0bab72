"""CSV questionnaires: HECVAT CSV exports and any delimited table of questions.

`import csv` below is the standard library: this package uses absolute imports, so the
module name `importers.csv` does not shadow it.

Records keep their exact source text (`CsvText.records[i].raw`) so that the CSV exporter
can rewrite only the records that receive answers and copy every other byte unchanged.
CellRef for CSV: sheet "", row = 1-based record (header and blank records counted),
column = 1-based field.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import PurePath

from importers._tabletext import (
    ID_VALUE,
    NUMBERED,
    QUESTION_HEADERS,
    family_of,
    header_columns,
    mark_columns,
    marked,
    norm,
    pick_id_column,
    pick_question_column,
    question_like,
)
from importers.base import (
    MAX_SHEET_ROWS,
    CellRef,
    CorruptFile,
    NoQuestionsFound,
    ParsedQuestionnaire,
    Question,
    UnsupportedFormat,
    too_many_rows,
)

__all__ = ["CsvImporter", "CsvRecord", "CsvText", "decode_csv", "read_csv_text"]

DELIMITERS = (",", ";", "\t", "|")
_TEXT_EXTENSIONS = {".csv", ".tsv", ".txt", ".tab"}
# Formats other importers (or nobody) read: never claim them by content.
_OTHER_EXTENSIONS = {
    ".xlsx", ".xlsm", ".xls", ".docx", ".doc", ".pdf", ".json", ".yaml", ".yml",
    ".xml", ".html", ".htm", ".zip", ".png", ".jpg", ".jpeg", ".gif",
}  # fmt: skip
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")
_MAX_FIELD = 10 * 1024 * 1024


@dataclass(frozen=True)
class CsvRecord:
    """One record: its fields and its exact source text (terminator included)."""

    fields: list[str]
    raw: str


@dataclass(frozen=True)
class CsvText:
    """A decoded CSV file. `bom` is the byte-order mark that preceded the text."""

    encoding: str
    bom: bytes
    delimiter: str
    records: list[CsvRecord]


def _looks_binary(data: bytes) -> bool:
    head = data[:8192]
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return controls > max(8, len(head) // 100)


def decode_csv(data: bytes, filename: str) -> tuple[str, str, bytes]:
    """Decode CSV bytes: (text, encoding, bom).

    UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "Unicode text"), else cp1252.
    Raises UnsupportedFormat for packages and binary content, CorruptFile when empty.
    """
    if not data.strip():
        raise CorruptFile(f"{filename}: the file is empty")
    if data.startswith(b"PK\x03\x04"):
        raise UnsupportedFormat(f"{filename}: this is a zip package (xlsx or docx?), not a CSV file")
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnsupportedFormat(f"{filename}: this is a legacy Office file (xls or doc), not a CSV file")
    for bom, encoding in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding), encoding, bom
            except UnicodeDecodeError as exc:
                raise CorruptFile(f"{filename}: invalid UTF-16 text at byte {exc.start}") from exc
    if _looks_binary(data):
        raise UnsupportedFormat(f"{filename}: binary content, not a CSV text file")
    bom = codecs.BOM_UTF8 if data.startswith(codecs.BOM_UTF8) else b""
    body = data[len(bom) :]
    try:
        return body.decode("utf-8"), "utf-8", bom
    except UnicodeDecodeError:
        if bom:
            raise CorruptFile(f"{filename}: marked as UTF-8 but not valid UTF-8") from None
    # Excel on Windows saves "CSV (Comma delimited)" in the ANSI code page.
    try:
        return body.decode("cp1252"), "cp1252", b""
    except UnicodeDecodeError:
        return body.decode("latin-1"), "latin-1", b""


class _TooManyRecords(Exception):
    """More lines than MAX_SHEET_ROWS: read_csv_text turns it into FileTooLarge."""


def _read_records(text: str, delimiter: str, limit: int | None = None) -> list[CsvRecord]:
    """Split `text` into records with the csv module, keeping each record's source text.

    csv.reader reports how many physical lines it consumed (`line_num`), which gives the
    exact span of every record, embedded newlines in quoted fields included.
    """
    lines = [m.group(0) for m in _LINE.finditer(text)]
    if lines and lines[-1] == "":
        lines.pop()
    reader = csv.reader(iter(lines), delimiter=delimiter, quotechar='"', doublequote=True, strict=False)
    records: list[CsvRecord] = []
    consumed = 0
    for fields in reader:
        raw = "".join(lines[consumed : reader.line_num])
        consumed = reader.line_num
        records.append(CsvRecord(fields, raw))
        if limit is not None and len(records) >= limit:
            break
        if limit is None and len(records) > MAX_SHEET_ROWS:
            raise _TooManyRecords  # a data export, not a questionnaire: stop splitting it
    return records


def _has_stray_quote(raw: str, delimiter: str) -> bool:
    """A quote in a field that does not start with one, reading ``raw`` split at
    ``delimiter`` outside quoted fields (a comma inside a quoted ",0" is part of the field,
    not a split: splitting it counted a stray quote against the right delimiter)."""
    piece_start, quoted, in_quotes = True, False, False
    for ch in raw:
        if piece_start:
            if ch == delimiter or ch.isspace():  # an empty field, or space before the value
                continue
            piece_start = False
            quoted = in_quotes = ch == '"'
            if quoted:
                continue
        if ch == '"':
            if not quoted:
                return True
            in_quotes = not in_quotes  # a doubled quote toggles twice
        elif ch == delimiter and not in_quotes:
            piece_start = True
    return False


def _sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first records into the most consistent field counts."""
    best, best_score = ",", -1.0
    sample = text[:65536]
    for delimiter in DELIMITERS:
        try:
            records = _read_records(sample, delimiter, limit=60)
        except csv.Error:
            continue
        counts = [len(r.fields) for r in records if any(f.strip() for f in r.fields)]
        if not counts:
            continue
        mode, hits = Counter(counts).most_common(1)[0]
        if mode < 2:
            continue
        # a quote inside a field that does not start with one: the quoting belongs to
        # another delimiter (a ";" written into a comma file's quoted cell, say)
        stray = sum(1 for r in records if _has_stray_quote(r.raw, delimiter))
        score = hits / len(counts) + min(mode, 10) / 100 - stray / len(records)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def read_csv_text(data: bytes, filename: str) -> CsvText:
    """Decode and split a CSV file. Raises QuestionnaireImportError subclasses."""
    text, encoding, bom = decode_csv(data, filename)
    delimiter = _sniff_delimiter(text)
    csv.field_size_limit(max(csv.field_size_limit(), _MAX_FIELD))
    try:
        records = _read_records(text, delimiter)
    except _TooManyRecords:
        raise too_many_rows(filename, "the CSV") from None
    except csv.Error as exc:
        raise CorruptFile(f"{filename}: unreadable CSV ({exc})") from exc
    return CsvText(encoding, bom, delimiter, records)


# --- finding the questions ---------------------------------------------------------


def _columns(records: list[CsvRecord], rows: list[int], candidates: range) -> dict[int, list[str]]:
    return {col: [records[i].fields[col].strip() for i in rows if col < len(records[i].fields)] for col in candidates}


@dataclass
class _Layout:
    question: int
    answer: int
    comment: int | None
    id: int | None
    header_rows: dict[int, str | None]  # record index -> section title it opens (or None)
    marks: dict[str, int] = field(default_factory=dict)  # Yes/No/N/A mark columns


def _find_layout(records: list[CsvRecord], filename: str) -> _Layout:
    header_rows: dict[int, str | None] = {}
    first: dict[str, int] | None = None
    marks: dict[str, int] = {}
    for index, record in enumerate(records):
        cols = header_columns(enumerate(record.fields))
        row_marks = mark_columns(enumerate(record.fields))
        # A header names the answer (or Yes/No mark) or comment column; a HECVAT-style
        # section row repeats it with the section title where the question header goes.
        if "answer" not in cols and "comment" not in cols and not row_marks:
            continue
        named = set(cols.values()) | set(row_marks.values())
        others = [f.strip() for c, f in enumerate(record.fields) if f.strip() and c not in named]
        # Labels only: a data row whose answer happens to read "Response" or "Notes" has
        # an id and a question besides.
        if any(question_like(t) or ID_VALUE.match(t) for t in others):
            continue
        if len(others) > (3 if first is None and "question" in cols else 1):
            continue
        if first is None:
            first, marks = cols, row_marks
        elif any(cols.get(kind, first.get(kind)) != first.get(kind) for kind in ("answer", "comment")):
            continue  # the names sit in other columns: not this table's header
        header_rows[index] = others[0] if others and "question" not in cols else None
    data_rows = [i for i, r in enumerate(records) if i not in header_rows and any(f.strip() for f in r.fields)]
    width = max((len(r.fields) for r in records), default=0)

    if first is not None:
        answer = first.get("answer", min(marks.values()) if marks else None)
        question = first.get("question")
        if question is None:
            limit = answer if answer is not None else first.get("comment", width)
            question = pick_question_column(_columns(records, data_rows, range(limit)))
        if question is None:
            raise NoQuestionsFound(f"{filename}: found a header row but no column of questions")
        if answer is None:
            answer = question + 1
        comment = first.get("comment")
        ident = first.get("id")
        if ident is None:
            ident = pick_id_column(_columns(records, data_rows, range(question)), question)
        return _Layout(question, answer, comment, ident, header_rows, marks)

    question = pick_question_column(_columns(records, data_rows, range(width)))
    if question is None:
        raise NoQuestionsFound(f"{filename}: no column of questions found")
    ident = pick_id_column(_columns(records, data_rows, range(question)), question)
    answer = question + 1
    comment = answer + 1 if answer + 1 < width else None
    return _Layout(question, answer, comment, ident, _question_header(records, data_rows, question))


def _question_header(records: list[CsvRecord], data_rows: list[int], question: int) -> dict[int, str | None]:
    """{index: None} for a header above the first question that names only the question
    column ("ID,Question,Réponse,Commentaire": answer words we do not know), so that it
    is not read as a question "Question"; else {}."""
    for index in data_rows:
        text = _field(records[index], question)
        if question_like(text):
            return {}
        if norm(text) in QUESTION_HEADERS:
            return {index: None}
    return {}


def _field(record: CsvRecord, col: int | None) -> str:
    if col is None or col >= len(record.fields):
        return ""
    return record.fields[col].strip()


def _is_section_row(record: CsvRecord, layout: _Layout) -> str | None:
    """A record with one short non-question text and nothing else is a section title."""
    filled = [(c, f.strip()) for c, f in enumerate(record.fields) if f.strip()]
    if len(filled) != 1 or filled[0][0] > layout.question:
        return None  # a lone value right of the questions continues an answer
    text = filled[0][1]
    if question_like(text) or len(text) > 120:
        return None
    if layout.id is not None and ID_VALUE.match(_field(record, layout.id)):
        return None
    if NUMBERED.match(text):
        return None
    return text


class CsvImporter:
    """Delimited-text questionnaires (.csv, .tsv, .txt, or any text that splits into columns)."""

    name = "csv"

    def detect(self, data: bytes, filename: str) -> bool:
        suffix = PurePath(filename).suffix.lower()
        if suffix in _TEXT_EXTENSIONS:
            return True
        if suffix in _OTHER_EXTENSIONS or data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"%PDF")):
            return False
        try:
            text, _, _ = decode_csv(data[:65536], filename)
        except (UnsupportedFormat, CorruptFile):
            return False
        if text.lstrip()[:1] in ("{", "[", "<") or text.lstrip().startswith("//"):
            return False
        records = _read_records(text, _sniff_delimiter(text), limit=20)
        return sum(1 for r in records if len(r.fields) >= 2) >= 2

    def parse(self, data: bytes, filename: str) -> ParsedQuestionnaire:
        """Read the questions of a CSV file.

        Raises UnsupportedFormat (binary or package content), CorruptFile (empty or
        undecodable) or NoQuestionsFound.
        """
        parsed = read_csv_text(data, filename)
        records = parsed.records
        layout = _find_layout(records, filename)
        questions: list[Question] = []
        section: str | None = None
        for index, record in enumerate(records):
            row = index + 1
            if index in layout.header_rows:
                section = layout.header_rows[index] or section
                continue
            if not any(f.strip() for f in record.fields):
                continue
            title = _is_section_row(record, layout)
            if title is not None:
                section = title
                continue
            text = _field(record, layout.question)
            if not text:
                continue
            ident = _field(record, layout.id) or None
            if ident is None:
                m = NUMBERED.match(text)
                if m:
                    ident, text = m.group(1), m.group(2).strip()
            answer = _field(record, layout.answer) or None
            comment = _field(record, layout.comment) or None
            mark_cells = {label: CellRef("", row, col + 1) for label, col in layout.marks.items()}
            if mark_cells:
                answer = marked({label: _field(record, col) for label, col in layout.marks.items()})
            questions.append(
                Question(
                    sheet="",
                    row=row,
                    id=ident,
                    text=text,
                    answer_cell=CellRef("", row, layout.answer + 1),
                    comment_cell=CellRef("", row, layout.comment + 1) if layout.comment is not None else None,
                    section=section,
                    answer=answer,
                    comment=comment,
                    choices=tuple(mark_cells),
                    mark_cells=mark_cells,
                )
            )
        if not questions:
            raise NoQuestionsFound(f"{filename}: no questions found in the CSV")
        family, edition = family_of(questions)
        warnings: list[str] = []
        ids = Counter(q.id for q in questions if q.id)
        duplicates = sorted(i for i, n in ids.items() if n > 1)
        if duplicates:
            warnings.append(f"duplicate question ids: {', '.join(duplicates[:10])}")
        return ParsedQuestionnaire(family, None, "csv", questions, edition=edition, warnings=warnings)


def parse_text(text: str, filename: str = "questionnaire.csv") -> ParsedQuestionnaire:
    """Convenience for tests and tools: parse CSV given as text (encoded UTF-8)."""
    return CsvImporter().parse(text.encode("utf-8"), filename)
