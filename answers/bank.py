"""Curate the answer bank: create, import, export, demo bank.

Service functions take `session` keyword-only and commit once per use case. Every change
leaves an `EntryVersion` (the history) and an audit event.

Bank files and products: an export is a full backup, and one import restores it, each
entry with exactly its products. A row's scope is its `products` cell when the file has
that column (empty: company-wide), else the import's `product`; the two never combine (a
file with a products column is refused with a `product` that a row's cell does not say
alone), so an import never moves an answer into a scope its file does not give it. Products
the cells name that the bank lacks are refused (once per product, with its rows) unless the
import is told to create them (`create_products`, `--create-products`). See plan_import.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import difflib
import io
import json
import re
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl.utils import get_column_letter
from pydantic import PrivateAttr, ValidationError
from sqlalchemy import String, and_, cast, func, or_, update
from sqlalchemy import text as sql_text
from sqlmodel import Session, col, select

from answers import audit
from answers.matching import normalise
from answers.models import (
    Entry,
    EntryCreate,
    EntryProduct,
    EntryStatus,
    EntryUpdate,
    EntryVersion,
    Item,
    ItemStatus,
    Product,
    Questionnaire,
    _clean_list,
    clean_tags,
    compact_folded,
    utcnow,
)
from answers.suggest import prepare_bank_texts
from importers import QuestionnaireImportError
from importers._safety import preflight
from importers._text import strip_invisible
from importers._xlsx import cell_text, open_workbook
from importers.base import CellValue, FileTooLarge

BANK_COLUMNS = (
    "question",
    "answer",
    "comment",
    "alternates",
    "tags",
    "owner",
    "products",
    "status",
    "review_by",
    "source",
    "family",
    "version",
    "question_id",
    "conflict",
)
_IMPORT_STATUSES = ("draft", "approved", "retired")
DEMO_BANK = Path(__file__).with_name("demo_bank.csv")
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
MAX_BANK_FILE_BYTES = 20 * 1024 * 1024


class BankFileError(Exception):
    """A bank file could not be imported; nothing was written. `problems` lists each bad row."""

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)

    def __str__(self) -> str:
        if not self.problems:
            return self.args[0]
        more = f" (+{len(self.problems) - 3} more)" if len(self.problems) > 3 else ""
        return f"{self.args[0]}: {'; '.join(self.problems[:3])}{more}"


class BankRow(EntryCreate):
    """One row of a bank file: an EntryCreate plus its `conflict` cell (the row keeps a
    second answer of its question and scope apart for a curator, see plan_import) and the
    number of the file row it came from (for the messages of plan_import)."""

    conflict: bool = False
    _row: int | None = PrivateAttr(default=None)


def _row_number(data: EntryCreate, position: int) -> int:
    """The file row ``data`` came from; for rows not read from a file, its position plus
    one for the header."""
    number = getattr(data, "_row", None)
    return number if isinstance(number, int) else position + 2


def _conflict_row(data: EntryCreate) -> bool:
    return bool(getattr(data, "conflict", False))


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0  # live entries a `retired` row took out of use (not counted as updated)
    entry_ids: list[int] = field(default_factory=list)
    new_products: list[str] = field(default_factory=list)  # created from the file's products column

    def summary(self) -> str:
        """'2 created, 1 updated, 5 unchanged, 1 retired' and the products created, if any:
        what the import did (or, from a plan, will do), for people."""
        counts = f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, {self.retired} retired"
        return f"{counts}; new product(s): {', '.join(self.new_products)}" if self.new_products else counts


@dataclass
class PlannedRow:
    """What importing one file row does: `action` is `create`, `update`, `unchanged` or
    `retire` (the live entry of its question and scope is retired); `entry` is the
    existing entry it touches (None for `create`)."""

    data: EntryCreate
    scope: list[str]
    status: EntryStatus
    key: tuple[str, tuple[str, ...]]
    action: str
    entry: Entry | None = None
    flags: Entry | None = None  # a live entry this conflict row flags as its rival (see plan_import)

    @property
    def label(self) -> str:
        """The action as the import preview shows it."""
        if self.action == "retire":
            return f"RETIRE entry #{self.entry.id}" if self.entry else "retire"
        label = {"create": "new", "update": "update", "unchanged": "unchanged"}[self.action]
        if self.flags is not None and self.flags is self.entry:
            label = f"flags entry #{self.flags.id} as a conflict again"
        elif self.flags is not None:
            label += f", flags entry #{self.flags.id} as its conflict"
        elif _conflict_row(self.data) and self.status != EntryStatus.retired:
            label += " (conflict)"
        return label


@dataclass
class ImportPlan:
    rows: list[PlannedRow]
    new_products: list[str] = field(default_factory=list)  # products the file names, created by the import

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    def live_edits(self) -> int:
        """Updates of an approved entry that leave it approved: live at once, no second look."""
        return sum(
            1
            for r in self.rows
            if r.action == "update"
            and r.entry is not None
            and r.entry.status == EntryStatus.approved
            and r.status == EntryStatus.approved
        )

    def summary(self) -> str:
        return ImportResult(
            created=self.count("create"),
            updated=self.count("update"),
            unchanged=self.count("unchanged"),
            retired=self.count("retire"),
        ).summary()


# --- entries -------------------------------------------------------------------------

# C0 controls (but tab, newline, carriage return) and DEL: no one types them, the form lets
# them through from a paste, and XML 1.0 (so xlsx) cannot hold most of them; nor can it hold
# a lone surrogate (JSON can send one) or U+FFFE/U+FFFF.
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
# Word's manual line break and page break, as a paste from Word delivers them
_PASTED_BREAK_RE = re.compile("[\x0b\x0c]")
_TEXT_FIELDS = (
    "question",
    "answer",
    "comment",
    "owner",
    "alternates",
    "tags",
    "products",
    "family",
    "version",
    "question_id",
)


def pasted_breaks(text: str) -> str:
    """``text`` with a vertical tab or form feed (Word's line and page breaks, pasted) as
    the newline its writer meant. The one rule for text a person types or pastes: bank
    entries and review decisions."""
    return _PASTED_BREAK_RE.sub("\n", text)


def _entry_text(text: str) -> str:
    """Entry text as saved: pasted breaks as newlines, without the invisible characters
    (zero-width, soft hyphen, bidi controls) that split words for matching or reorder
    what a reader sees; the questionnaire importers drop them from questions too."""
    return strip_invisible(pasted_breaks(text))


def learned_text(text: str) -> str:
    """Text read from a questionnaire as an entry keeps it: ``_entry_text`` without the
    control characters an entry may not hold (a CSV questionnaire's stray U+0001 was
    learned, and the bank's own export was then refused by its import, "contains the
    control character U+0001", and lost it silently as xlsx)."""
    return _CONTROL_RE.sub("", _entry_text(text))


def _cleaned_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """``fields`` with ``_entry_text`` applied to its text fields (of `_TEXT_FIELDS`)."""
    out = dict(fields)
    for key in _TEXT_FIELDS:
        value = out.get(key)
        if isinstance(value, str):
            out[key] = _entry_text(value)
        elif isinstance(value, list | tuple):
            out[key] = [_entry_text(v) if isinstance(v, str) else v for v in value]
    return out


def control_character_problem(fields: dict[str, Any]) -> str | None:
    """A message naming the first text field (of `_TEXT_FIELDS` in `fields`) that holds a
    control character other than tab, newline or carriage return; None when all are clean."""
    for key in _TEXT_FIELDS:
        value = fields.get(key)
        texts = value if isinstance(value, list | tuple) else [value]
        for text in texts:
            if isinstance(text, str) and (m := _CONTROL_RE.search(text)):
                return f"{key}: contains the control character U+{ord(m.group()):04X}; remove it and save again"
    return None


def empty_answer_problem(answer: str | None, comment: str | None, status: EntryStatus | str | None) -> str | None:
    """Why an entry with this answer, comment and status cannot be saved, or None: an
    approved entry with neither an answer nor a comment would match a question and write
    nothing there (hiding a better entry). A draft may be empty: a question waiting for
    an expert's answer."""
    if status == EntryStatus.approved and not (answer or "").strip() and not (comment or "").strip():
        return "an approved entry needs an answer or a comment: fill one in, or keep it as a draft"
    return None


def _check_text(fields: dict[str, Any]) -> None:
    problem = control_character_problem(fields)
    if problem:
        raise EntryError(problem)


def snapshot(entry: Entry, products: Sequence[str] = ()) -> dict[str, Any]:
    """The versioned fields of an entry, JSON-ready."""
    return {
        "question": entry.question,
        "answer": entry.answer,
        "comment": entry.comment,
        "alternates": list(entry.alternates),
        "tags": list(entry.tags),
        "owner": entry.owner,
        "status": entry.status.value if isinstance(entry.status, EntryStatus) else entry.status,
        "review_by": entry.review_by.isoformat() if entry.review_by else None,
        "source": entry.source,
        "products": sorted(products),
        "family": entry.family,
        "version": entry.version,
        "question_id": entry.question_id,
    }


def find_product(name: str | None, *, session: Session) -> Product | None:
    """The stored product a user means by ``name``: surrounding spaces are dropped and case
    is ignored (matching ignores it too), an exact spelling wins. None when ``name`` is
    blank or no product has that name. The one lookup CLI, web and API share."""
    name = (name or "").strip()
    if not name:
        return None
    product = session.exec(select(Product).where(Product.name == name)).first()
    if product is None:
        wanted = name.casefold()
        product = next((p for p in session.exec(select(Product)) if p.name.casefold() == wanted), None)
    return product


def known_products(names: Iterable[str], *, session: Session) -> list[str]:
    """The stored names of the products ``names`` (see find_product), sorted, without
    duplicates. Raises EntryError naming the unknown ones: like a questionnaire upload, a
    typed-in entry cannot invent a product (a bank import's --product can)."""
    found: set[str] = set()
    unknown = []
    for name in names:
        product = find_product(name, session=session)
        if product is None:
            unknown.append(name.strip())
        else:
            found.add(product.name)
    if unknown:
        raise EntryError(f"products: unknown product(s) {', '.join(map(repr, unknown))} ({NEW_PRODUCT_HINT})")
    return sorted(found)


MAX_PRODUCT_NAME = 200
# Only a bank import or learn with a product creates one, or a bank import told to create the
# products its file's products column names (`--create-products`: restoring a backup into a
# new bank); otherwise a file's products column, an entry form or an upload must name an
# existing product (a typo must not invent one).
NEW_PRODUCT_HINT = (
    "a new product is created by importing with a product: `flask bank import FILE --product NAME`, "
    "`flask bank learn FILE --product NAME`, or the Product field of the bank's Import"
)
FILE_PRODUCTS_HINT = (
    "to create the products a bank file names (a backup restored into a new bank), import it with "
    '`--create-products` (the bank\'s Import: tick "Create the products this file names")'
)
# how many row numbers a message lists before "..."
_ROWS_SHOWN = 5


def rows_text(numbers: Sequence[int]) -> str:
    """ "row 7" or "12 rows: 3, 4, 9, 10, 11, ...": how many rows, and the first few."""
    if len(numbers) == 1:
        return f"row {numbers[0]}"
    more = ", ..." if len(numbers) > _ROWS_SHOWN else ""
    return f"{len(numbers)} rows: {', '.join(map(str, numbers[:_ROWS_SHOWN]))}{more}"


def _unknown_product_in(unknown: dict[str, list[int]], spelled: dict[str, str], name: str, row: int) -> None:
    """Note that ``row`` names the unknown product ``name``: ``unknown`` lists each one's
    rows under its first spelling (``spelled``: casefolded -> that spelling), once a row."""
    rows = unknown.setdefault(spelled.setdefault(name.casefold(), name), [])
    if not rows or rows[-1] != row:
        rows.append(row)


def _unknown_product_problems(unknown: dict[str, list[int]]) -> list[str]:
    """One line per unknown product (as first written) with its rows: a backup of a bank
    with a product of 500 entries listed 500 lines of one refusal."""
    return [f"unknown product {name!r} ({rows_text(rows)})" for name, rows in unknown.items()]


#: The bank search's product filter value for "company-wide entries only": no product's name.
COMPANY_WIDE_FILTER = "-"


def product_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a new product's name, or None. Bank files separate products
    with ";" (a name holding one would come back as two products), and a name must read
    the same wherever it is shown: no control characters, no surrounding spaces."""
    if not name.strip():
        return "a product name must not be empty"
    if ";" in name:
        return f"product name {name!r}: must not contain ';' (bank files separate products with it)"
    if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in name):
        return f"product name {name!r}: must not contain control characters (tabs, line breaks)"
    if name != name.strip():
        return f"product name {name!r}: must not start or end with a space"
    if name == COMPANY_WIDE_FILTER:
        return f"product name {name!r}: the bank's product filter uses it for company-wide entries"
    if len(name) > MAX_PRODUCT_NAME:
        return f"product name {name[:40]!r}...: at most {MAX_PRODUCT_NAME} characters"
    return None


def check_new_product(name: str | None, *, session: Session) -> None:
    """Raise EntryError when ``name`` names no stored product (see find_product) and cannot
    be a new one (product_name_problem). Called before a use case that may create the
    product does any work, so the user gets one clear line and nothing is written."""
    if name and name.strip() and find_product(name, session=session) is None:
        if problem := product_name_problem(name):
            raise EntryError(problem)


def get_or_create_product(name: str, *, session: Session) -> Product:
    """The stored product ``name`` means (see find_product), else a new one. Raises
    EntryError when a new product would get a bad name (product_name_problem)."""
    product = find_product(name, session=session)
    if product is None:
        if problem := product_name_problem(name):
            raise EntryError(problem)
        product = Product(name=name)
        session.add(product)
        session.flush()
    return product


def entry_products(entry_id: int, *, session: Session) -> list[str]:
    rows = session.exec(
        select(Product.name)
        .join(EntryProduct, EntryProduct.product_id == Product.id)
        .where(EntryProduct.entry_id == entry_id)
    )
    return sorted(rows)


def _set_products(entry: Entry, names: Iterable[str], *, session: Session, new: bool = False) -> list[str]:
    """Scope ``entry`` to the products ``names`` (created as needed); ``new``: the entry
    was just added and has no links yet, so there is nothing to look up or delete (a bank
    import adds thousands: 5,000 entries without vectors 5.0 -> 4.0 s)."""
    if not new:
        for link in session.exec(select(EntryProduct).where(EntryProduct.entry_id == entry.id)):
            session.delete(link)
        session.flush()  # the deletes must precede re-inserts of the same key
    out = []
    for name in sorted({n.strip() for n in names if n.strip()}):
        product = get_or_create_product(name, session=session)
        if product.name in out:  # "Canvas" and "canvas" are one product
            continue
        session.add(EntryProduct(entry_id=entry.id, product_id=product.id))
        out.append(product.name)
    out.sort()
    session.flush()
    return out


def _add_entry(data: EntryCreate, *, session: Session, actor: str, ip: str | None = None) -> Entry:
    entry = Entry.model_validate(data.model_dump(exclude={"products", "conflict"}))
    if entry.status == EntryStatus.approved:
        entry.approved_at, entry.approved_by = utcnow(), actor
    session.add(entry)
    session.flush()
    products = _set_products(entry, data.products, session=session, new=True)
    session.add(
        EntryVersion(
            entry_id=entry.id, revision=1, snapshot=snapshot(entry, products), changed_by=actor, note="created"
        )
    )
    audit.record(
        session,
        "entry.create",
        actor=actor,
        ip=ip,
        object_type="entry",
        object_id=entry.id,
        details={"after": snapshot(entry, products)},
    )
    return entry


def create_entry(data: EntryCreate, *, session: Session, actor: str = "system", ip: str | None = None) -> Entry:
    """Add one entry (revision 1). Returns it committed. Raises EntryError for text with
    control characters or an approved entry with neither answer nor comment,
    DuplicateEntry when a live entry already has this question (or an alternate names
    another live entry) for the same products."""
    changes = _cleaned_fields(data.model_dump(include=set(_TEXT_FIELDS)))
    data = data.model_copy(update=changes)
    _check_text(changes)
    if problem := empty_answer_problem(data.answer, data.comment, data.status):
        raise EntryError(problem)
    _refuse_duplicate(data.question, data.products, session=session, alternates=data.alternates)
    entry = _add_entry(data, session=session, actor=actor, ip=ip)
    prepare_bank_texts(session, [entry])
    session.commit()
    return entry


_IMPORTED_FIELDS = (
    "question",
    "answer",
    "comment",
    "alternates",
    "tags",
    "owner",
    "review_by",
    "source",
    "family",
    "version",
    "question_id",
)


def _imported_change(
    entry: Entry, data: EntryCreate, products: Sequence[str], status: EntryStatus
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The snapshots of `entry` before and after importing `data` (the fields the file had a
    column for) with `status`; nothing is changed."""
    before = snapshot(entry, products)
    after = dict(before)
    for key in _IMPORTED_FIELDS:
        if key in data.model_fields_set:
            value = getattr(data, key)
            after[key] = (
                value.isoformat() if isinstance(value, dt.date) else list(value) if isinstance(value, list) else value
            )
    after["status"] = status.value
    return before, after


def _update_entry(
    entry: Entry,
    data: EntryCreate,
    *,
    products: Sequence[str],
    status: EntryStatus,
    session: Session,
    actor: str,
    ip: str | None = None,
) -> bool:
    """Apply the imported fields of `data` (those the file had a column for) and `status` to
    `entry`, whose product scope is `products`, as a new revision. False, and nothing
    written, when nothing changed: re-importing an unchanged export is a no-op."""
    before = snapshot(entry, products)
    for key in _IMPORTED_FIELDS:
        if key in data.model_fields_set:
            setattr(entry, key, getattr(data, key))
    entry.status = status
    after = snapshot(entry, products)
    if after == before:
        return False
    entry.revision += 1
    entry.updated_at = utcnow()
    if entry.status == EntryStatus.approved and before["status"] != "approved":
        entry.approved_at, entry.approved_by = utcnow(), actor
    if entry.status != EntryStatus.approved:
        entry.approved_at, entry.approved_by = None, None
    session.add(entry)
    session.add(
        EntryVersion(entry_id=entry.id, revision=entry.revision, snapshot=after, changed_by=actor, note="import")
    )
    audit.record(
        session,
        "entry.update",
        actor=actor,
        ip=ip,
        object_type="entry",
        object_id=entry.id,
        details={"before": before, "after": after},
    )
    return True


def _by_question(*, session: Session, retired: bool = False) -> dict[tuple[str, tuple[str, ...]], list[Entry]]:
    """{(normalised question, product scope): the entries not retired (`retired`: the
    retired ones), in id order}."""
    scopes: dict[int, list[str]] = {}
    for entry_id, name in session.exec(
        select(EntryProduct.entry_id, Product.name).join(Product, EntryProduct.product_id == Product.id)
    ):
        scopes.setdefault(entry_id, []).append(name)
    condition = Entry.status == EntryStatus.retired if retired else Entry.status != EntryStatus.retired
    out: dict[tuple[str, tuple[str, ...]], list[Entry]] = {}
    for e in session.exec(select(Entry).where(condition).order_by(Entry.id)):
        out.setdefault((normalise(e.question), tuple(sorted(scopes.get(e.id, [])))), []).append(e)
    return out


def question_index(*, session: Session) -> dict[tuple[str, tuple[str, ...]], Entry]:
    """{(normalised question, product scope): entry} over the entries not retired (of two
    with one question and scope, a learned conflict, the later)."""
    return {key: entries[-1] for key, entries in _by_question(session=session).items()}


# --- bank files (csv / xlsx) ---------------------------------------------------------


def _split_list(value: str, *, lines_only: bool) -> list[str]:
    if lines_only:
        parts = value.splitlines()
    else:
        parts = value.replace("\n", ";").replace(",", ";").split(";")
    return [p.strip() for p in parts if p.strip()]


_GUARDED = "=+-@'"


def _unescape(value: str) -> str:
    """Undo the export's guard: a leading ' before = + - @ or another ' is ours (one only:
    the export doubles an apostrophe that belongs to the text, so "'-1" survives)."""
    if len(value) > 1 and value[0] == "'" and value[1] in _GUARDED:
        return value[1:]
    return value


def _escape(value: str, *, formulas: bool = True) -> str:
    """The reverse of _unescape: a ' before text a spreadsheet would run as a formula
    (`formulas`: csv, where cells carry no type) and before text _unescape would change."""
    guard = (formulas and value.startswith(_FORMULA_PREFIXES)) or _unescape(value) != value
    return "'" + value if guard else value


_DELIMITERS = (",", ";", "\t")


def _csv_delimiter(text: str) -> str:
    """The delimiter that splits the header line into cells naming `question` and `answer`:
    Excel saves CSV with ";" where the decimal separator is a comma (most of Europe) and
    "Unicode Text" with tabs. Comma when none does (the header check then says what is wrong)."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    for delimiter in _DELIMITERS:
        cells = {c.strip().lower() for c in next(csv.reader([first], delimiter=delimiter), [])}
        if {"question", "answer"} <= cells:
            return delimiter
    return ","


def _read_csv(data: bytes) -> list[list[str]]:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # Excel's "Unicode Text"
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise BankFileError("the CSV file contains binary data (it starts as UTF-16 text but is not)") from exc
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError as exc:
                raise BankFileError("the CSV file is neither UTF-8 nor Windows-1252 text") from exc
    if "\x00" in text:
        raise BankFileError("the CSV file contains binary data (NUL bytes)")
    # strict: an unclosed or stray quote is an error, not one giant cell swallowing the
    # rest of the file ('"unterminated,Yes' was imported as a single question)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_csv_delimiter(text), strict=True)
    try:
        return list(reader)
    except csv.Error as exc:
        raise BankFileError(f"the CSV file is malformed at line {reader.line_num}: {exc} (check the quotes)") from exc


def _xlsx_text(value: CellValue) -> str:
    """A typed cell as the text a person reads in it: 1 -> '1', 2.5 -> '2.5', a date ->
    '2027-01-31', TRUE/FALSE -> 'Yes'/'No' (the bank's verdict words, not Excel's)."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return cell_text(value)


def _read_xlsx(data: bytes, filename: str) -> tuple[list[tuple[int, list[str]]], dict[int, list[str]]]:
    """([(sheet row number, cell texts)], {row number: addresses of formula cells}) of the
    first worksheet, read with the questionnaire importers' safe package reader: zip bombs,
    DOCTYPE/ENTITY XML, encrypted and legacy files are refused with a BankFileError
    (openpyxl would inflate a bomb in full). Formula cells are reported, not read: their
    cached value is often missing (a file written by a script) and would import as ''."""
    try:
        preflight(data, filename)
        sheets = open_workbook(data, filename).sheets()
    except FileTooLarge as exc:
        # the questionnaire limits (rows per sheet, cells per workbook) bound an xlsx
        # bank too; a CSV bank file is read as a stream and has only the byte limit
        raise BankFileError(
            f"{filename}: too large for an xlsx bank file ({exc}); save the bank as CSV, which has no row limit"
        ) from exc
    except QuestionnaireImportError as exc:
        raise BankFileError(f"the xlsx file cannot be read: {exc}") from exc
    if not sheets:
        raise BankFileError(f"{filename}: the workbook has no worksheet")
    sheet = sheets[0]
    formulas: dict[int, list[str]] = {}
    for r, c in sorted(sheet.formulas):
        formulas.setdefault(r, []).append(f"{get_column_letter(c)}{r}")
    last_row = max([sheet.max_row, *formulas])
    last_col = max([sheet.max_col, *(c for _, c in sheet.formulas)])
    rows = [(r, [_xlsx_text(sheet.value(r, c)) for c in range(1, last_col + 1)]) for r in range(1, last_row + 1)]
    return rows, formulas


def _parse_review_by(value: str) -> dt.date | None:
    """An ISO date ('2027-01-31'; a spreadsheet date-time keeps its date part) or None."""
    if not value:
        return None
    if len(value) > 10 and value[10] in " T":
        value = value[:10]
    return dt.date.fromisoformat(value)


def validation_message(exc: ValidationError) -> str:
    """ "question: must not be empty; answer: ..." for people: pydantic's own text carries a
    "Value error, " prefix that means nothing to a curator."""
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg'].removeprefix('Value error, ')}" for e in exc.errors())


def product_names(*, session: Session) -> set[str]:
    return set(session.exec(select(Product.name)))


def import_product_names(product: str | None, *, session: Session, create_products: bool = False) -> set[str] | None:
    """The product names a bank file's `products` cells may use (read_bank_file's
    `known_products`) when imported with the Product ``product`` and ``create_products``:
    the stored ones; None (read_bank_file checks none, plan_import does) when the import
    creates the file's products, or has a product, which every products cell must then
    name (plan_import says so first: a full export restored into an empty bank with
    `--product NAME` was refused row by row, "unknown product(s) 'NAME'", while the message
    said to import it with that very `--product`)."""
    if create_products or (product and product.strip()):
        return None
    return product_names(session=session)


# a UTF-8 byte-order mark read as Windows-1252 or Latin-1 (LibreOffice opening our CSV
# export without being told its character set)
_MISREAD_BOM = codecs.BOM_UTF8.decode("cp1252")
_CONFLICT_WORDS = {"yes": True, "true": True, "1": True, "no": False, "false": False, "0": False, "": False}


def read_bank_file(data: bytes, filename: str, *, known_products: Collection[str] | None = None) -> list[BankRow]:
    """Parse a bank file (csv or xlsx with the header `question,answer,comment,alternates,
    tags,owner,products,status,review_by,source,family,version,question_id,conflict`; only
    question and answer are required; alternates one per line, tags separated by `;` or
    `,`, products by `;`; conflict yes/no, true/false, 1/0 or empty).

    Each BankRow carries exactly the columns the file has in `model_fields_set`: an
    absent column leaves that field of an existing entry alone, a present empty cell clears
    it (an empty family, version or question_id is None). `known_products`: the product
    names a `products` cell may use (None: not checked). Rows with the same question and
    product scope are refused, but for rows with the status `retired` (a full export holds
    every retired version of a question) and live rows that all say `conflict` yes (a
    learned conflict: two answers of one question kept apart for a curator).

    Raises BankFileError listing every bad row (an unknown product once, with the number of
    its rows and the first few); returns nothing partial.
    """
    if len(data) > MAX_BANK_FILE_BYTES:
        raise BankFileError(f"{filename}: the file is over {MAX_BANK_FILE_BYTES // 1_048_576} MB")
    lower = filename.lower()
    formulas: dict[int, list[str]] = {}
    if lower.endswith(".csv"):
        numbered = list(enumerate(_read_csv(data), start=1))
    elif lower.endswith((".xlsx", ".xlsm")):
        numbered, formulas = _read_xlsx(data, filename)
    else:
        raise BankFileError(f"{filename}: bank files are .csv or .xlsx")
    numbered = [(n, r) for n, r in numbered if any(c.strip() for c in r) or n in formulas]
    if not numbered:
        raise BankFileError(f"{filename}: the file is empty")
    header_number, header_row = numbered[0]
    if header_number in formulas:
        raise BankFileError(f"{filename}: the header cell {formulas[header_number][0]} holds a formula")
    if header_row and header_row[0].startswith(_MISREAD_BOM):
        raise BankFileError(
            f"{filename}: the first header cell starts with {_MISREAD_BOM!r}, the mark of a UTF-8 CSV file opened "
            "as another character set, which garbles every accented letter and symbol too: open the CSV file "
            "again choosing the character set UTF-8 (or import the CSV file itself)"
        )
    header = [h.strip().lstrip("\ufeff").lower() for h in header_row]
    while header and not header[-1]:
        header.pop()
    unknown = [h for h in header if h not in BANK_COLUMNS]
    if unknown or "question" not in header or "answer" not in header or len(set(header)) != len(header):
        raise BankFileError(
            f"{filename}: the header must be question,answer and any of {','.join(BANK_COLUMNS[2:])}"
            + (f" (unknown column(s): {', '.join(unknown)})" if unknown else "")
        )
    entries: list[BankRow] = []
    problems: list[str] = []
    bad_rows: set[int] = set()
    unknown: dict[str, list[int]] = {}  # unknown product, as first written -> its rows
    spelled: dict[str, str] = {}  # casefolded unknown product -> as first written
    seen: dict[tuple[str, tuple[str, ...]], tuple[int, bool]] = {}  # key -> (first live row, a conflict row)
    known_folded = None if known_products is None else {k.casefold() for k in known_products}
    for number, raw in numbered[1:]:
        if number in formulas:
            cells_named = ", ".join(formulas[number])
            bad_rows.add(number)
            problems.append(
                f"row {number}: cell {cells_named} holds a formula; bank files take plain text (paste as values)"
            )
            continue
        cells = {name: _unescape(_entry_text(raw[i] if i < len(raw) else "").strip()) for i, name in enumerate(header)}
        extra = [c for c in raw[len(header) :] if c.strip()]
        if extra:
            bad_rows.add(number)
            problems.append(f"row {number}: more fields than the header has")
            continue
        if not cells.get("question"):
            bad_rows.add(number)
            problems.append(f"row {number}: question is empty")
            continue
        fields: dict[str, Any] = {"question": cells["question"], "answer": cells["answer"]}
        for name in ("comment", "owner", "source"):
            if name in cells:
                fields[name] = cells[name]
        if "alternates" in cells:
            fields["alternates"] = _split_list(cells["alternates"], lines_only=True)
        if "tags" in cells:
            fields["tags"] = _split_list(cells["tags"], lines_only=False)
        row_problems = []
        if "products" in cells:
            names = sorted({p.strip() for p in cells["products"].replace("\n", ";").split(";") if p.strip()})
            missing = {n.casefold() for n in names if known_folded is not None and n.casefold() not in known_folded}
            for name in names:
                if name.casefold() in missing:
                    _unknown_product_in(unknown, spelled, name, number)
            if missing:
                bad_rows.add(number)  # reported once per product, below
            fields["products"] = names
        if cells.get("status"):
            if cells["status"].lower() not in _IMPORT_STATUSES:
                row_problems.append(f"status must be draft, approved or retired, not {cells['status']!r}")
            else:
                fields["status"] = EntryStatus(cells["status"].lower())
        if "review_by" in cells:
            try:
                fields["review_by"] = _parse_review_by(cells["review_by"])
            except ValueError:
                row_problems.append(f"review_by must be a date like 2027-01-31, not {cells['review_by']!r}")
        for name in ("family", "version", "question_id"):
            if name in cells:
                fields[name] = cells[name] or None
        if "conflict" in cells:
            if cells["conflict"].lower() not in _CONFLICT_WORDS:
                row_problems.append(f"conflict must be yes or no (or empty), not {cells['conflict']!r}")
            else:
                fields["conflict"] = _CONFLICT_WORDS[cells["conflict"].lower()]
        if problem := control_character_problem(fields):
            row_problems.append(problem)
        if row_problems:
            bad_rows.add(number)
            problems.append(f"row {number}: {'; '.join(row_problems)}")
        if number in bad_rows:
            continue
        # product names ignore case (find_product): "Console" and "console" are one scope
        key = (normalise(cells["question"]), tuple(sorted({p.casefold() for p in fields.get("products", ())})))
        if fields.get("status") != EntryStatus.retired:  # a full export repeats retired questions
            conflict = bool(fields.get("conflict"))
            if key in seen and not (conflict and seen[key][1]):
                message = f"row {number}: the same question as row {seen[key][0]}"
                if "conflict" in cells:
                    message += " (two answers of one question are kept only as a conflict: conflict yes in both rows)"
                else:  # an export from before the conflict column holds both sides of a conflict
                    message += (
                        " (two answers of one question are kept only as a conflict: add a conflict column"
                        " saying yes in both rows)"
                    )
                bad_rows.add(number)
                problems.append(message)
                continue
            seen.setdefault(key, (number, conflict))
        try:
            row = BankRow(**fields)
        except ValidationError as exc:
            bad_rows.add(number)
            problems.append(f"row {number}: {validation_message(exc)}")
        else:
            row._row = number
            entries.append(row)
    if bad_rows:
        hint = f" ({FILE_PRODUCTS_HINT})" if unknown else ""
        raise BankFileError(
            f"{filename}: {len(bad_rows)} bad row(s), nothing imported{hint}",
            _unknown_product_problems(unknown) + problems,
        )
    return entries


def plan_import(
    entries: Sequence[EntryCreate],
    *,
    session: Session,
    product: str | None = None,
    status: EntryStatus = EntryStatus.approved,
    create_products: bool = False,
) -> ImportPlan:
    """What `import_entries` would do with each row, writing nothing (the preview and the
    import itself use it). A row's status is its `status` cell when set (an export has one
    in every row), else `status` for a new entry or one the row changes (an unchanged row
    leaves its entry's status alone).

    Products: a row's scope is its `products` cell when the file has that column (empty:
    company-wide, as an export writes it), else `product`. The two never combine: with a
    products column, `product` must be what every row's cell says (that product alone), or
    the file is refused, since either the cells or `product` would be ignored: a cell left
    empty would make an answer meant for `product` company-wide (used in every product's
    questionnaires), a cell naming another product would leave `product` unheeded. So an
    import never moves an answer out of the scope its file gives it. A product the cells
    name that the bank lacks is refused (once per product, with its rows: a typo must not
    invent a product) unless `create_products` (restoring a backup into a new bank), when
    it is created as first spelled in the file (names checked by product_name_problem);
    the plan's `new_products` lists them.

    Raises BankFileError when `product` and a products column disagree, when a row names a
    product that does not exist (and may not be created), or (listing the
    rows) when a row would leave an approved entry with neither an answer nor a comment
    (it would match a question and write nothing), or would give an entry a wording (an
    alternate, or a new entry's question) that already names another live entry of the same
    product scope (one wording names one entry, as the entry form and the API refuse; the
    entries of one conflict may share theirs); EntryError when `product` is new and not a
    valid product name.

    Retired entries follow the curation rules, so a full export is a backup:
    - a `retired` row pairs with the bank's retired entries of its question and scope, in
      id order (re-importing an export changes nothing); past those, it retires the live
      entry of that question and scope when the file has no live row for it (the Retire
      rule), else it is added as a new retired entry;
    - a draft or approved row never matches a retired entry: a retired entry comes back
      only by Restore, so such a row adds a new entry, as it always has.

    Conflicts (rows whose `conflict` cell says yes; see read_bank_file) likewise:
    - a conflict row pairs with the bank's live entries of its question and scope that
      are flagged `conflict`: the one it leaves unchanged, else the next in id order
      (re-importing an export changes nothing); a retired conflict row retires its entry
      (one side of a conflict retired in the file);
    - past those, a live conflict row that leaves the bank's unflagged live entry of its
      question and scope unchanged is that entry (flagged again when the file holds the
      other side); any other adds a new entry, flagged, and flags that unflagged live
      entry too (audited, as learning a disagreeing answer does), so a curator sees both
      answers; a retired conflict row is then a retired row like any other;
    - a row never clears a flag: a curator does, in the bank (Retire, Mark as fine).
    """
    check_new_product(product, session=session)
    found = find_product(product, session=session)
    default_scope = [found.name] if found else [product.strip()] if product and product.strip() else []
    if default_scope:
        _refuse_other_scopes(entries, default_scope[0])
    known = product_names(session=session) | set(default_scope)  # a new `product` is created
    stored = {k.casefold(): k for k in known}  # product names ignore case (find_product)
    unknown: dict[str, list[int]] = {}  # as first written in the file -> its rows
    spelled: dict[str, str] = {}  # casefolded unknown product -> as first written
    for position, data in enumerate(entries):
        if "products" not in data.model_fields_set:
            continue
        for name in data.products:
            if name.casefold() not in stored:
                _unknown_product_in(unknown, spelled, name, _row_number(data, position))
    stored |= spelled  # "Canvas" then "canvas": one product, created as first written
    if unknown and not create_products:
        bad = len({n for rows_of in unknown.values() for n in rows_of})
        raise BankFileError(
            f"{bad} bad row(s), nothing imported ({FILE_PRODUCTS_HINT})", _unknown_product_problems(unknown)
        )
    if bad_names := [f"{p} ({rows_text(unknown[n])})" for n in unknown if (p := product_name_problem(n))]:
        raise BankFileError("a product the file names cannot be created, nothing imported", bad_names)
    rows: list[tuple[EntryCreate, list[str], EntryStatus, tuple[str, tuple[str, ...]]]] = []
    for data in entries:
        if "products" in data.model_fields_set:
            scope = sorted({stored[n.casefold()] for n in data.products})
        else:
            scope = default_scope
        row_status = data.status if "status" in data.model_fields_set else status
        rows.append((data, scope, row_status, (normalise(data.question), tuple(scope))))
    live_rows = {key for _, _, row_status, key in rows if row_status != EntryStatus.retired}
    live = _by_question(session=session)
    index: dict[tuple[str, tuple[str, ...]], Entry | None] = {key: found[-1] for key, found in live.items()}
    retired = _by_question(session=session, retired=True)
    paired = _pair_conflict_rows(rows, live)
    planned: list[PlannedRow] = []
    for position, (data, scope, row_status, key) in enumerate(rows):
        existing = index.get(key)
        rival = None
        if position in paired:
            action, entry, rival, row_status = paired[position]
            if action == "retire" and index.get(key) is entry:
                del index[key]
        elif row_status == EntryStatus.retired and retired.get(key):
            entry = retired[key].pop(0)
            before, after = _imported_change(entry, data, scope, row_status)
            action = "unchanged" if before == after else "update"
        elif row_status == EntryStatus.retired and existing is not None and key not in live_rows:
            entry, action = existing, "retire"
            del index[key]
        elif key not in index or row_status == EntryStatus.retired:
            entry, action = None, "create"
            if row_status != EntryStatus.retired:
                index[key] = None  # created by an earlier row of this file
        else:
            entry = existing
            if entry is None:  # the same question twice (not from read_bank_file): the later row wins
                action = "update"
            else:
                # an unchanged row must not approve a draft or demote an approved entry
                action, row_status = _row_change(entry, data, scope, row_status)
        planned.append(PlannedRow(data, scope, row_status, key, action, entry, rival))
    problems = sorted(_empty_approved_rows(planned) + _wording_clashes(planned, live, session=session))
    if problems:
        raise BankFileError(
            f"{len(problems)} bad row(s), nothing imported", [f"row {n}: {message}" for n, message in problems]
        )
    return ImportPlan(planned, new_products=sorted(unknown, key=str.casefold))


def _refuse_other_scopes(entries: Sequence[EntryCreate], product: str) -> None:
    """Raise BankFileError when a row of ``entries`` has a products cell that says anything
    but ``product`` alone (see plan_import: the import's product and a file's products
    column do not combine)."""
    rows = [
        _row_number(data, position)
        for position, data in enumerate(entries)
        if "products" in data.model_fields_set and {n.casefold() for n in data.products} != {product.casefold()}
    ]
    if rows:
        raise BankFileError(
            f"the import's product is {product!r}, but the file's products column scopes these rows otherwise "
            f"(no product: company-wide, or other products): {rows_text(rows)}; nothing imported. A file with a "
            "products column keeps each row's own products: import it without a product (with "
            f"--create-products for products the bank lacks), or write {product!r} in those rows"
        )


def _row_change(
    entry: Entry, data: EntryCreate, scope: Sequence[str], row_status: EntryStatus
) -> tuple[str, EntryStatus]:
    """("unchanged" or "update", the status the row leaves) for a row paired with
    ``entry``: without a status cell, an unchanged row keeps the entry's status (the
    default status is for new entries and the ones a row edits)."""
    if "status" not in data.model_fields_set:
        before, after = _imported_change(entry, data, scope, EntryStatus(entry.status))
        if before == after:
            return "unchanged", EntryStatus(entry.status)
    before, after = _imported_change(entry, data, scope, row_status)
    return ("unchanged" if before == after else "update"), row_status


def _pair_conflict_rows(
    rows: Sequence[tuple[EntryCreate, list[str], EntryStatus, tuple[str, tuple[str, ...]]]],
    live: dict[tuple[str, tuple[str, ...]], list[Entry]],
) -> dict[int, tuple[str, Entry | None, Entry | None, EntryStatus]]:
    """{row position: (action, entry, entry the row flags, status)} for the conflict rows
    (see plan_import), per question and scope. A row pairs with a flagged entry it leaves
    unchanged (a retired row: but for the status, which retires that entry), the rows left
    with the other flagged entries in id order. A live row past those that leaves an
    unflagged live entry unchanged is that entry, flagged when the conflict has another
    side (a bank whose conflict was half retired gets its backup's state back, not a copy
    of the surviving side); the others are new entries, each flagging one unflagged live
    entry while there is one. A retired row past the flagged entries is left to the
    retired-row rules."""
    by_key: dict[tuple[str, tuple[str, ...]], list[int]] = {}
    for position, (data, _, _, key) in enumerate(rows):
        if _conflict_row(data):
            by_key.setdefault(key, []).append(position)
    out: dict[int, tuple[str, Entry | None, Entry | None, EntryStatus]] = {}

    def pair(position: int, entry: Entry) -> tuple[str, Entry | None, Entry | None, EntryStatus]:
        data, scope, row_status, _ = rows[position]
        if row_status == EntryStatus.retired:
            return "retire", entry, None, row_status
        action, status = _row_change(entry, data, scope, row_status)
        return action, entry, None, status

    def leaves_unchanged(position: int, entry: Entry) -> bool:
        data, scope, row_status, _ = rows[position]
        status = EntryStatus(entry.status) if row_status == EntryStatus.retired else row_status
        return _row_change(entry, data, scope, status)[0] == "unchanged"

    for key, positions in by_key.items():
        flagged = [e for e in live.get(key, []) if e.conflict]
        unflagged = [e for e in live.get(key, []) if not e.conflict]
        two_sides = bool(flagged) or sum(1 for p in positions if rows[p][2] != EntryStatus.retired) > 1
        waiting = list(positions)
        for position in positions:
            same = next((e for e in flagged if leaves_unchanged(position, e)), None)
            if same is not None:
                out[position] = pair(position, same)
                flagged.remove(same)
                waiting.remove(position)
        for position in list(waiting):
            if not flagged:
                break
            out[position] = pair(position, flagged.pop(0))
            waiting.remove(position)
        rest = [p for p in waiting if rows[p][2] != EntryStatus.retired]
        for position in list(rest):
            same = next((e for e in unflagged if leaves_unchanged(position, e)), None)
            if same is not None:
                unflagged.remove(same)
                rest.remove(position)
                _, _, _, status = pair(position, same)
                out[position] = ("update", same, same, status) if two_sides else ("unchanged", same, None, status)
        for position in rest:
            out[position] = ("create", None, unflagged.pop(0) if unflagged else None, rows[position][2])
    return out


def _empty_approved_rows(planned: Sequence[PlannedRow]) -> list[tuple[int, str]]:
    """(row number, problem) for each row that would leave an approved entry with neither
    an answer nor a comment. An unchanged row writes nothing and is let be."""
    problems = []
    for position, row in enumerate(planned):
        if row.action in ("unchanged", "retire") or row.status != EntryStatus.approved:
            continue
        data = row.data
        comment = data.comment if "comment" in data.model_fields_set or row.entry is None else row.entry.comment
        if problem := empty_answer_problem(data.answer, comment, row.status):
            problems.append((_row_number(data, position), f"{problem} (or set its status to draft)"))
    return problems


def _wording_clashes(
    planned: Sequence[PlannedRow], live: dict[tuple[str, tuple[str, ...]], list[Entry]], *, session: Session
) -> list[tuple[int, str]]:
    """(row number, problem) for each live row that gives its entry a wording (an alternate it does
    not have yet, or a new entry's question) that names another live entry of its scope
    once the import is done: a bank entry (`wording_clash`'s message, as the entry form and
    the API say it) or another row's new entry. The entries of one conflict may share
    wordings; two entries of one question are the import's identity rule, not a clash."""
    added: dict[int, dict[str, str]] = {}  # position -> {normalised wording: as written}
    for position, row in enumerate(planned):
        data = row.data
        if row.status == EntryStatus.retired or row.action == "retire":
            continue
        if row.entry is None and row.action == "create":
            added[position] = {row.key[0]: data.question} | {normalise(a): a for a in data.alternates}
        elif (
            row.entry is not None and "alternates" in data.model_fields_set and data.alternates != row.entry.alternates
        ):
            theirs = wordings(row.entry)
            if new := {normalise(a): a for a in data.alternates if normalise(a) not in theirs}:
                added[position] = new
    if not added:  # re-importing an export: nothing to look up
        return []
    # owner ("entry", id) or ("row", position) -> (folded scope, question, wordings, conflict)
    # once the import is done
    owners: dict[tuple[str, int], tuple[tuple[str, ...], str, set[str], bool]] = {}
    for (question, scope), found in live.items():
        for e in found:
            owners[("entry", e.id)] = (tuple(_folded(scope)), question, wordings(e), e.conflict)
    for position, row in enumerate(planned):
        if row.action == "retire" and row.entry is not None:
            owners.pop(("entry", row.entry.id), None)
        if row.flags is not None:
            scope, question, texts, _ = owners[("entry", row.flags.id)]
            owners[("entry", row.flags.id)] = (scope, question, texts, True)
        if row.status == EntryStatus.retired or row.action == "retire":
            continue
        data, question = row.data, row.key[0]
        texts = {question, *map(normalise, data.alternates)}
        if row.entry is None and row.action == "create":
            owners[("row", position)] = (tuple(_folded(row.scope)), question, texts, _conflict_row(data))
        elif row.entry is not None and "alternates" in data.model_fields_set:
            conflict = row.entry.conflict or row.flags is row.entry
            owners[("entry", row.entry.id)] = (tuple(_folded(row.scope)), question, texts, conflict)
        # (a later row of a question a row of this file adds, not from read_bank_file: that entry's)
    named: dict[tuple[str, tuple[str, ...]], list[tuple[str, int]]] = {}
    for owner, (scope, _, texts, _) in owners.items():
        for text in texts:
            named.setdefault((text, scope), []).append(owner)
    problems = []
    for position, new in added.items():
        row = planned[position]
        own = ("row", position) if row.entry is None else ("entry", row.entry.id)
        scope, question, _, conflict = owners[own]
        for text, written in new.items():
            others = [
                o
                for o in named.get((text, scope), [])
                if o != own and not (conflict and owners[o][3]) and not (text == question == owners[o][1])
            ]
            if not others:
                continue
            kind, ident = others[0]
            if kind == "entry":
                message = wording_clash(
                    written, get_entry(ident, session=session), entry_products(ident, session=session)
                )
            else:
                message = (
                    f"the wording {written!r} is also a wording of row {_row_number(planned[ident].data, ident)}: "
                    f"{ONE_WORDING}"
                )
            problems.append((_row_number(row.data, position), message))
            break
    return problems


def import_entries(
    entries: Sequence[EntryCreate],
    *,
    session: Session,
    actor: str = "system",
    ip: str | None = None,
    product: str | None = None,
    status: EntryStatus = EntryStatus.approved,
    source: str = "",
    create_products: bool = False,
) -> ImportResult:
    """Add, update or retire entries as `plan_import` plans them (`product`, `status` and
    `create_products` as there); one commit. An entry is
    identified by (normalised question, product scope). A row's source is its `source`
    cell when the file has that column (empty stays empty, so an export imports back as it
    was), else `source`. Fields the file has no column for keep their value on existing
    entries. A retirement is audited like Retire (conflicts refreshed) and counted in
    `retired`, not `updated`. Raises like `plan_import` (nothing written)."""
    plan = plan_import(entries, session=session, product=product, status=status, create_products=create_products)
    result = ImportResult(new_products=plan.new_products)
    for name in plan.new_products:  # even one only retired rows name: their scope comes back too
        get_or_create_product(name, session=session)
    created: dict[tuple[str, tuple[str, ...]], Entry] = {}
    touched: list[Entry] = []
    sides: dict[tuple[str, tuple[str, ...]], list[int]] = {}  # the entries of each conflict met so far
    for row in plan.rows:
        data, scope, row_status, key = row.data, row.scope, row.status, row.key
        if row.flags is not None and row.flags is not row.entry:
            sides.setdefault(key, []).append(row.flags.id)
        if row.action == "retire":
            entry = row.entry
            assert entry is not None
            _update_entry(entry, data, products=scope, status=entry.status, session=session, actor=actor, ip=ip)
            _retire(entry, session=session, actor=actor, ip=ip, note="retired by bank import")
            result.retired += 1
        elif row.action == "create":
            new_source = data.source if "source" in data.model_fields_set else source
            data = data.model_copy(update={"status": row_status, "products": scope, "source": new_source})
            entry = _add_entry(data, session=session, actor=actor, ip=ip)
            if row_status != EntryStatus.retired and _conflict_row(data):
                rivals = list(sides.get(key, []))
                _flag_conflict(entry, rivals, session=session, actor=actor, ip=ip, source=source)
                if row.flags is not None:
                    _flag_conflict(row.flags, [entry.id], session=session, actor=actor, ip=ip, source=source)
                    touched.append(row.flags)
            elif row_status != EntryStatus.retired:
                created[key] = entry
            result.created += 1
        else:
            entry = row.entry or created[key]
            changed = _update_entry(entry, data, products=scope, status=row_status, session=session, actor=actor, ip=ip)
            if row.flags is entry:  # the unflagged side of a conflict the file restores
                _flag_conflict(entry, sides.get(key, []), session=session, actor=actor, ip=ip, source=source)
                changed = True
            result.updated += changed
            result.unchanged += not changed
        if _conflict_row(data) and row_status != EntryStatus.retired:
            sides.setdefault(key, []).append(entry.id)
        result.entry_ids.append(entry.id)
        touched.append(entry)
    prepare_bank_texts(session, touched)  # one encode call for the whole file
    audit.record(
        session,
        "bank.import",
        actor=actor,
        ip=ip,
        details={
            "source": source,
            "product": product,
            "created": result.created,
            "updated": result.updated,
            "retired": result.retired,
            "new_products": result.new_products,
        },
    )
    session.commit()
    return result


def _flag_conflict(
    entry: Entry, rivals: Sequence[int], *, session: Session, actor: str, ip: str | None, source: str
) -> None:
    """Flag ``entry`` as one side of a conflict, audited as learning does (flush only)."""
    entry.conflict = True
    session.add(entry)
    audit.record(
        session,
        "entry.conflict",
        actor=actor,
        ip=ip,
        object_type="entry",
        object_id=entry.id,
        details={"with": list(rivals), "source": source, "by": "bank import"},
    )


def export_rows(*, session: Session, include_retired: bool = True) -> list[list[str]]:
    """Header plus one row per entry, in id order: every entry with its status, retired ones
    too, its provenance (family, version, question_id) and its conflict flag ("yes" or
    empty): an export is a full backup (see plan_import for how they come back)."""
    rows: list[list[str]] = [list(BANK_COLUMNS)]
    query = select(Entry).order_by(Entry.id)
    if not include_retired:
        query = query.where(Entry.status != EntryStatus.retired)
    entries = list(session.exec(query))
    scopes = products_of([e.id for e in entries], session=session)
    for e in entries:
        rows.append(
            [
                e.question,
                e.answer,
                e.comment,
                "\n".join(e.alternates),
                "; ".join(e.tags),
                e.owner,
                "; ".join(scopes.get(e.id, [])),
                e.status.value if isinstance(e.status, EntryStatus) else str(e.status),
                e.review_by.isoformat() if e.review_by else "",
                e.source,
                e.family or "",
                e.version or "",
                e.question_id or "",
                "yes" if e.conflict else "",
            ]
        )
    return rows


def export_bank(filename: str, *, session: Session) -> bytes:
    """The bank as csv or xlsx bytes (chosen by `filename`'s extension).

    Text that a spreadsheet would run as a formula is prefixed with ' (and stripped again
    on import)."""
    rows = export_rows(session=session)
    lower = filename.lower()
    if lower.endswith(".csv"):
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerows([[_escape(c) for c in row] for row in rows])
        return buffer.getvalue().encode("utf-8-sig")
    if lower.endswith(".xlsx"):
        from openpyxl import Workbook
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
        from openpyxl.styles import Alignment, Font

        workbook = Workbook()
        sheet = workbook.active
        sheet.title = "Answer bank"
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                cell = sheet.cell(row=r, column=c)
                # text cells never run as formulas; only what the import would strip is guarded
                cell.value = _escape(ILLEGAL_CHARACTERS_RE.sub("", value), formulas=False)  # XML cannot hold them
                cell.data_type = "s"  # text stays text, even "=..."
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        widths = (60, 12, 70, 50, 25, 30, 25, 10, 12, 30, 12, 10, 14, 10)
        for column, (_, width) in enumerate(zip(BANK_COLUMNS, widths, strict=True), start=1):
            sheet.column_dimensions[get_column_letter(column)].width = width
        sheet.freeze_panes = "A2"
        out = io.BytesIO()
        workbook.save(out)
        return out.getvalue()
    raise BankFileError(f"{filename}: export to .csv or .xlsx")


def load_demo(*, session: Session) -> int:
    """Load the demo bank (a fictional AI inference API vendor). Returns entries added."""
    entries = read_bank_file(DEMO_BANK.read_bytes(), DEMO_BANK.name)
    result = import_entries(entries, session=session, source="demo bank", status=EntryStatus.approved)
    return result.created


# --- curation use cases --------------------------------------------------------------
#
# Edits keep the status unless the caller sets one: only curators write to the bank, so a
# curator's edit of an approved entry is itself a review; it stays approved and the approval
# is re-stamped (approved_at/by) because the approval must cover the text now shown. A
# caller that wants a second pair of eyes passes `status=draft`.

DEFAULT_REVIEW_DAYS = 365
_VERSIONED_TEXT = ("question", "answer", "comment")


class EntryError(ValueError):
    """An edit that breaks a rule (empty question, too long a verdict, a bad merge)."""


class EntryNotFound(LookupError):
    pass


class DuplicateEntry(EntryError):
    """Another live entry already has this question for the same product scope: a second
    entry would make the matcher's pick between them (with maybe opposite answers) depend
    on entry ids. `existing_id` is that entry's id."""

    def __init__(self, message: str, existing_id: int) -> None:
        super().__init__(message)
        self.existing_id = existing_id


def _folded(names: Iterable[str]) -> list[str]:
    return sorted({n.strip().casefold() for n in names if n.strip()})


def _refuse_duplicate(
    question: str | None,
    products: Iterable[str],
    *,
    session: Session,
    exclude_id: int | None = None,
    alternates: Iterable[str] = (),
) -> None:
    """Raise DuplicateEntry when a live entry other than `exclude_id` has `question`
    (normalised) as its question or an alternate, for the same products (names compared
    ignoring case; none = company-wide). The identity learning and bank files use: one
    entry per question and scope; disagreeing sources are learned as flagged conflicts.
    `alternates`: wordings being added to an entry, refused the same way (one wording
    naming two entries is matched `exact` to whichever the matcher meets first); `question`
    None checks only those."""
    key, scope = (normalise(question) if question is not None else None), _folded(products)
    added = {normalise(a): a for a in alternates if normalise(a)}
    added.pop(key, None)
    for other in session.exec(select(Entry).where(Entry.status != EntryStatus.retired).order_by(Entry.id)):
        if other.id == exclude_id:
            continue
        theirs = wordings(other)
        shared = key if key in theirs else None
        if shared is None:
            shared = next((k for k in added if k in theirs), None)
            if shared is None:
                continue
        names = entry_products(other.id, session=session)
        if _folded(names) != scope:
            continue
        if shared == key:
            message = (
                f"entry #{other.id} already answers this question {_whose(other, names)}: edit that entry instead"
                " of adding a second answer to the same question"
            )
        else:
            message = wording_clash(added[shared], other, names)
        raise DuplicateEntry(message, other.id)


ONE_WORDING = "one wording names one entry, or which answer it gets depends on the matcher's pick"


def _whose(other: Entry, names: Sequence[str]) -> str:
    return f"for {', '.join(names) or 'all products'} (its answer: {other.answer or other.comment[:80]!r})"


def wording_clash(wording: str, other: Entry, names: Sequence[str]) -> str:
    """Why ``wording`` cannot be added to an entry: it already names ``other`` (question or
    alternate), an entry of the same product scope ``names``. The one message the entry
    form, the API, "Add as a wording" and bank import give."""
    return f"the wording {wording!r} already names entry #{other.id} {_whose(other, names)}: {ONE_WORDING}"


class StaleRevision(EntryError):
    """The entry changed since the editor read it: saving would silently overwrite the
    other change. `current` is the entry's revision now."""

    def __init__(self, message: str, current: int) -> None:
        super().__init__(message)
        self.current = current


def wordings(entry: Entry) -> set[str]:
    """The normalised texts that name `entry`: its question and its alternates."""
    return {normalise(t) for t in (entry.question, *entry.alternates)}


def get_entry(entry_id: int, *, session: Session) -> Entry:
    entry = session.get(Entry, entry_id)
    if entry is None:
        raise EntryNotFound(f"entry {entry_id} not found")
    return entry


def is_stale(entry: Entry, today: dt.date | None = None) -> bool:
    """Past its review-by date: never used above tier `review` until re-approved."""
    return bool(entry.review_by and entry.review_by < (today or dt.date.today()))


def _new_version(
    entry: Entry,
    before: dict[str, Any],
    products: Sequence[str],
    *,
    session: Session,
    actor: str,
    ip: str | None = None,
    note: str,
    action: str,
) -> bool:
    """Append a revision and an audit event when the snapshot changed. False: nothing changed."""
    after = snapshot(entry, products)
    if after == before:
        return False
    entry.revision += 1
    entry.updated_at = utcnow()
    session.add(entry)
    session.add(EntryVersion(entry_id=entry.id, revision=entry.revision, snapshot=after, changed_by=actor, note=note))
    audit.record(
        session,
        action,
        actor=actor,
        ip=ip,
        object_type="entry",
        object_id=entry.id,
        details={"before": before, "after": after, "note": note},
    )
    return True


def _validated(changes: dict[str, Any]) -> dict[str, Any]:
    out = _cleaned_fields(changes)
    _check_text(out)
    if "question" in out:
        out["question"] = (out["question"] or "").strip()
        if not out["question"]:
            raise EntryError("question must not be empty")
        if len(out["question"]) > 4000:
            raise EntryError("question: at most 4,000 characters")
    for key, limit in (("answer", 200), ("comment", 8000), ("owner", 320)):
        if key in out:
            out[key] = (out[key] or "").strip()
            if len(out[key]) > limit:
                raise EntryError(f"{key}: at most {limit:,} characters")
    if "alternates" in out:
        out["alternates"] = _clean_list(out["alternates"])
    if "tags" in out:
        out["tags"] = clean_tags(out["tags"])
    if "status" in out and out["status"] is None:
        del out["status"]
    return out


def update_entry(
    entry_id: int,
    data: EntryUpdate,
    *,
    session: Session,
    actor: str,
    ip: str | None = None,
    note: str = "edited",
    expected_revision: int | None = None,
) -> Entry:
    """Apply the fields set in `data` as a new revision (none when nothing changed).

    `expected_revision`: the revision the editor started from; when the entry has moved
    on since, StaleRevision is raised and nothing changes (two curators editing the same
    entry: the second save must not silently undo the first).

    Status stays as it is unless `data.status` is set (see the module note above). A status
    change obeys the rules of the use case it stands for: a retired entry comes back only by
    Restore; approving needs a review-by date that has not passed (a stale or undated entry
    gets a fresh one, as in `approve`); retiring clears the conflicts the entry caused
    (`retire`, as a revision of its own after the other changes). A new question or product
    scope that another live entry already has is refused (DuplicateEntry), and so is an
    approved entry (or one being approved) left with neither an answer nor a comment.
    Raises EntryNotFound, EntryError."""
    entry = get_entry(entry_id, session=session)
    if expected_revision is not None and expected_revision != entry.revision:
        who = entry_changed_by(entry, session=session)
        raise StaleRevision(
            f"entry {entry_id} was changed since you opened it (you started from revision "
            f"{expected_revision}; it is now at revision {entry.revision}{f' by {who}' if who else ''})",
            entry.revision,
        )
    changes = _validated(data.model_dump(exclude_unset=True))
    target = EntryStatus(changes["status"]) if "status" in changes else None
    retiring = False
    if target is not None and target != entry.status:
        if entry.status == EntryStatus.retired:
            raise EntryError(f"entry {entry_id} is retired: use Restore on a revision to bring it back")
        if target == EntryStatus.retired:
            retiring = True
            del changes["status"]
        elif target == EntryStatus.approved:
            changes["review_by"] = _approval_review_by(changes.get("review_by"), entry.review_by)
    if not retiring and (
        problem := empty_answer_problem(
            changes.get("answer", entry.answer), changes.get("comment", entry.comment), target or entry.status
        )
    ):
        raise EntryError(problem)
    before = snapshot(entry, entry_products(entry.id, session=session))
    products_changes = changes.pop("products", None)
    if entry.status != EntryStatus.retired and not retiring:
        question = changes.get("question", entry.question)
        scope = before["products"] if products_changes is None else products_changes
        moved = _folded(scope) != _folded(before["products"])
        alternates = changes.get("alternates", entry.alternates)
        added = alternates if moved else [a for a in alternates if normalise(a) not in wordings(entry)]
        if normalise(question) != normalise(entry.question) or moved:
            _refuse_duplicate(question, scope, session=session, exclude_id=entry.id, alternates=added)
        elif added:  # the question and scope as they were: only the new wordings are checked
            _refuse_duplicate(None, scope, session=session, exclude_id=entry.id, alternates=added)
    for key, value in changes.items():
        setattr(entry, key, EntryStatus(value) if key == "status" else value)
    products = (
        _set_products(entry, products_changes, session=session) if products_changes is not None else before["products"]
    )
    text_changed = any(before[k] != getattr(entry, k) for k in _VERSIONED_TEXT)
    if entry.status == EntryStatus.approved and (before["status"] != "approved" or text_changed):
        entry.approved_at, entry.approved_by = utcnow(), actor
    if entry.status != EntryStatus.approved:
        entry.approved_at, entry.approved_by = None, None
    _new_version(entry, before, products, session=session, actor=actor, ip=ip, note=note, action="entry.update")
    if retiring:
        _retire(entry, session=session, actor=actor, ip=ip, note="retired")
    prepare_bank_texts(session, [entry])
    session.commit()
    return entry


def entry_changed_by(entry: Entry, *, session: Session) -> str:
    """Who wrote the entry's current revision ('' when unknown)."""
    row = session.exec(
        select(EntryVersion.changed_by).where(
            EntryVersion.entry_id == entry.id, EntryVersion.revision == entry.revision
        )
    ).first()
    return row or ""


def add_alternate(
    entry_id: int,
    text: str,
    *,
    session: Session,
    actor: str,
    ip: str | None = None,
    note: str = "alternate confirmed in review",
) -> Entry:
    """Add `text` as another wording of the entry's question: a new revision (status kept),
    so the matcher answers it `exact` from now on. Nothing happens when the entry already
    has this wording (after `normalise`). Raises EntryNotFound, EntryError (empty or
    over-long text, a retired entry)."""
    entry = get_entry(entry_id, session=session)
    text = " ".join((text or "").split())
    if not normalise(text):
        raise EntryError("the wording to add must not be empty")
    if len(text) > 4000:
        raise EntryError("the wording to add: at most 4,000 characters")
    if entry.status == EntryStatus.retired:
        raise EntryError(f"entry {entry_id} is retired: restore a version first")
    if normalise(text) in wordings(entry):
        return entry
    return update_entry(
        entry_id, EntryUpdate(alternates=[*entry.alternates, text]), session=session, actor=actor, ip=ip, note=note
    )


def _approval_review_by(requested: dt.date | None, current: dt.date | None) -> dt.date:
    """The review-by date an approval leaves (approval is the review): ``requested`` when
    given, else ``current`` while it has not passed, else a year from today. Raises
    EntryError for a ``requested`` date in the past (stale the moment it is approved)."""
    today = dt.date.today()
    if requested is not None:
        if requested < today:
            raise EntryError(
                f"the review-by date {requested.isoformat()} has passed: choose today or a later date to approve"
            )
        return requested
    if current is None or current < today:
        return today + dt.timedelta(days=DEFAULT_REVIEW_DAYS)
    return current


def approve(
    entry_id: int, *, session: Session, actor: str, ip: str | None = None, review_by: dt.date | None = None
) -> Entry:
    """Make an entry usable for `exact`/`high`. A stale (or undated) entry gets a fresh
    review-by date (`review_by`, default a year from today): approval is the review.
    Raises EntryError for a retired entry, one with neither an answer nor a comment, or a
    `review_by` in the past (it would be stale the moment it is approved)."""
    entry = get_entry(entry_id, session=session)
    if entry.status == EntryStatus.retired:
        raise EntryError(f"entry {entry_id} is retired: restore a version first")
    if problem := empty_answer_problem(entry.answer, entry.comment, EntryStatus.approved):
        raise EntryError(f"entry {entry_id}: {problem}")
    new_review_by = _approval_review_by(review_by, entry.review_by)
    before = snapshot(entry, entry_products(entry.id, session=session))
    entry.status = EntryStatus.approved
    entry.review_by = new_review_by
    entry.approved_at, entry.approved_by = utcnow(), actor
    if not _new_version(
        entry, before, before["products"], session=session, actor=actor, ip=ip, note="approved", action="entry.approve"
    ):
        session.add(entry)  # re-approval of an unchanged approved entry still stamps who and when
        audit.record(session, "entry.approve", actor=actor, ip=ip, object_type="entry", object_id=entry.id)
    session.commit()
    return entry


def retire(entry_id: int, *, session: Session, actor: str, ip: str | None = None, note: str = "retired") -> Entry:
    """Take an entry out of matching; its history stays. Clears conflicts it caused."""
    entry = get_entry(entry_id, session=session)
    _retire(entry, session=session, actor=actor, ip=ip, note=note)
    session.commit()
    return entry


def _retire(entry: Entry, *, session: Session, actor: str, ip: str | None = None, note: str) -> None:
    before = snapshot(entry, entry_products(entry.id, session=session))
    entry.status = EntryStatus.retired
    entry.approved_at, entry.approved_by = None, None
    was_conflicted, entry.conflict = entry.conflict, False
    changed = _new_version(
        entry, before, before["products"], session=session, actor=actor, ip=ip, note=note, action="entry.retire"
    )
    if not changed and was_conflicted:
        session.add(entry)
    session.flush()
    refresh_conflicts(entry.question, session=session, actor=actor, ip=ip)


def refresh_conflicts(question: str, *, session: Session, actor: str, ip: str | None = None) -> None:
    """Clear the `conflict` flag of live entries on `question` whose rivals are all gone or
    now agree with them (flush only)."""
    from answers.learn import same_verdict

    key = normalise(question)
    live = [e for e in session.exec(select(Entry).where(Entry.status != EntryStatus.retired)) if key in wordings(e)]
    for e in live:
        if e.conflict and all(same_verdict(e.answer, o.answer) for o in live if o.id != e.id):
            e.conflict = False
            session.add(e)
            audit.record(session, "entry.conflict_cleared", actor=actor, ip=ip, object_type="entry", object_id=e.id)
    session.flush()


def clear_conflict(entry_ids: Sequence[int], *, session: Session, actor: str, ip: str | None = None) -> None:
    """A curator says these entries do not conflict: clear their flags. One commit."""
    for entry_id in entry_ids:
        clear_conflict_flag(get_entry(entry_id, session=session), session=session, actor=actor, ip=ip)
    session.commit()


def clear_conflict_flag(entry: Entry, *, session: Session, actor: str, ip: str | None = None) -> None:
    """Clear one entry's conflict flag, audited, when it is set. Never commits."""
    if not entry.conflict:
        return
    entry.conflict = False
    session.add(entry)
    audit.record(
        session,
        "entry.conflict_cleared",
        actor=actor,
        ip=ip,
        object_type="entry",
        object_id=entry.id,
        details={"before": {"conflict": True}, "after": {"conflict": False}, "by": "curator"},
    )


def versions(entry_id: int, *, session: Session) -> list[EntryVersion]:
    """The entry's history, newest first."""
    return list(
        session.exec(
            select(EntryVersion).where(EntryVersion.entry_id == entry_id).order_by(EntryVersion.revision.desc())  # type: ignore[attr-defined]
        )
    )


def _restored_scope(old: EntryVersion, current: list[str]) -> list[str]:
    """The product scope a restore brings back: the old revision's. Learning once saved its
    revisions with `products: []` whatever the entry's scope; such a row says nothing about
    the scope, so the entry keeps its current products (a restore must never widen an
    entry's answer to every product)."""
    products = list(old.snapshot.get("products") or [])
    if not products and current and old.note == "learned":
        return list(current)
    return products


def restore_version(entry_id: int, revision: int, *, session: Session, actor: str, ip: str | None = None) -> Entry:
    """Bring back the fields of an old revision as a NEW revision (history is never rewritten).
    The restored entry is a draft unless the old revision was approved and is not stale and
    the entry is not retired: a retired entry comes back as a draft, for a curator to approve
    anew (it was taken out of use; restoring is no review). Raises EntryNotFound,
    DuplicateEntry (the restored question and scope belong to another live entry now)."""
    entry = get_entry(entry_id, session=session)
    retired = entry.status == EntryStatus.retired
    old = session.exec(
        select(EntryVersion).where(EntryVersion.entry_id == entry_id, EntryVersion.revision == revision)
    ).first()
    if old is None:
        raise EntryNotFound(f"entry {entry_id} has no revision {revision}")
    snap = old.snapshot
    before = snapshot(entry, entry_products(entry.id, session=session))
    for key in ("question", "answer", "comment", "owner", "source"):
        setattr(entry, key, snap.get(key) or "")
    entry.alternates, entry.tags = list(snap.get("alternates") or []), list(snap.get("tags") or [])
    entry.review_by = dt.date.fromisoformat(snap["review_by"]) if snap.get("review_by") else None
    status = EntryStatus(snap.get("status") or "draft")
    if status == EntryStatus.retired or (status == EntryStatus.approved and (is_stale(entry) or retired)):
        status = EntryStatus.draft  # a stale approval is no approval: a curator approves it anew
    if empty_answer_problem(entry.answer, entry.comment, status):
        status = EntryStatus.draft  # saved before approved entries needed an answer or comment
    restored_scope = _restored_scope(old, before["products"])
    if (
        retired
        or normalise(entry.question) != normalise(before["question"])
        or _folded(restored_scope) != _folded(before["products"])
    ):
        _refuse_duplicate(entry.question, restored_scope, session=session, exclude_id=entry.id)
    entry.status = status
    if status == EntryStatus.approved:
        entry.approved_at, entry.approved_by = utcnow(), actor
    else:
        entry.approved_at, entry.approved_by = None, None
    products = _set_products(entry, restored_scope, session=session)
    _new_version(
        entry,
        before,
        products,
        session=session,
        actor=actor,
        ip=ip,
        note=f"restored revision {revision}",
        action="entry.restore",
    )
    prepare_bank_texts(session, [entry])
    session.commit()
    return entry


def version_diff(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """[(field, unified diff lines)] for the snapshot fields that differ. Plain text: escape
    when rendering. A field only one of them has (an older revision was saved before
    snapshots carried `family`, `version`, `question_id`) is no change."""
    out = []
    for key in sorted(set(old) & set(new)):
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        a_lines = [str(x) for x in a] if isinstance(a, list) else ("" if a is None else str(a)).splitlines()
        b_lines = [str(x) for x in b] if isinstance(b, list) else ("" if b is None else str(b)).splitlines()
        lines = list(difflib.unified_diff(a_lines, b_lines, lineterm="", n=2))[2:]  # drop the ---/+++ header
        out.append((key, lines))
    return out


def merge_entries(
    keep_id: int, merge_ids: Sequence[int], *, session: Session, actor: str, ip: str | None = None
) -> Entry:
    """Fold `merge_ids` into `keep_id`: their questions and alternates become alternates,
    tags and sources are united, usage adds up; the merged entries are retired with a note
    naming the kept one (their own history stays). Entries of different product scopes are
    never merged (that would leak an answer into another product). One commit."""
    keep = get_entry(keep_id, session=session)
    ids = [i for i in dict.fromkeys(merge_ids) if i != keep_id]
    if not ids:
        raise EntryError("choose at least one other entry to merge")
    if keep.status == EntryStatus.retired:
        raise EntryError(f"entry {keep_id} is retired: cannot keep it")
    scope = entry_products(keep.id, session=session)
    others = [get_entry(i, session=session) for i in ids]
    for other in others:
        if other.status == EntryStatus.retired:
            raise EntryError(f"entry {other.id} is already retired")
        if entry_products(other.id, session=session) != scope:
            raise EntryError(f"entry {other.id} is for other products than entry {keep_id}: not merged")
    before = snapshot(keep, scope)
    seen = wordings(keep)
    alternates = list(keep.alternates)
    tags = list(keep.tags)
    sources = [s.strip() for s in keep.source.split(";") if s.strip()]
    for other in others:
        for text in (other.question, *other.alternates):
            if normalise(text) not in seen:
                seen.add(normalise(text))
                alternates.append(text)
        tags += [t for t in other.tags if t not in tags]
        sources += [s.strip() for s in other.source.split(";") if s.strip() and s.strip() not in sources]
        keep.usage_count += other.usage_count
        if other.last_used_at and (keep.last_used_at is None or other.last_used_at > keep.last_used_at):
            keep.last_used_at = other.last_used_at
        if not keep.owner and other.owner:
            keep.owner = other.owner
    keep.alternates, keep.tags, keep.source = alternates, tags, "; ".join(sources)[:500]
    keep.conflict = False
    note = "merged " + ", ".join(f"#{o.id}" for o in others)
    _new_version(keep, before, scope, session=session, actor=actor, ip=ip, note=note, action="entry.merge")
    for other in others:
        _retire(other, session=session, actor=actor, ip=ip, note=f"merged into #{keep.id}")
    refresh_conflicts(keep.question, session=session, actor=actor, ip=ip)
    prepare_bank_texts(session, [keep])
    session.commit()
    return keep


def record_use(entry_ids: Iterable[int | None], *, session: Session) -> None:
    """Count accepted answers per entry (`usage_count`, `last_used_at`). Flush only: the
    caller's use case commits. Not a versioned change of the entry."""
    counts = Counter(i for i in entry_ids if i is not None)
    now = utcnow()
    # one UPDATE per distinct count, not per entry: each ORM UPDATE also refreshes the
    # entries held in the session, and a bulk accept holds hundreds (340 entries: 1.8 s)
    by_count: dict[int, list[int]] = {}
    for entry_id, n in sorted(counts.items()):
        by_count.setdefault(n, []).append(entry_id)
    for n, ids in by_count.items():
        session.execute(
            update(Entry).where(col(Entry.id).in_(ids)).values(usage_count=Entry.usage_count + n, last_used_at=now)
        )


@dataclass
class Usage:
    questionnaire_id: int
    name: str
    customer: str
    uploaded_at: dt.datetime
    items: int


def used_in(entry_id: int, *, session: Session) -> list[Usage]:
    """The questionnaires where this entry's answer was accepted, newest first."""
    rows = session.exec(
        select(Questionnaire, func.count(Item.id))
        .join(Item, Item.questionnaire_id == Questionnaire.id)
        .where(Item.entry_id == entry_id, Item.status == ItemStatus.accepted)
        .group_by(Questionnaire.id)
        .order_by(Questionnaire.uploaded_at.desc())  # type: ignore[attr-defined]
    )
    return [Usage(q.id, q.name, q.customer, q.uploaded_at, n) for q, n in rows]


# --- search --------------------------------------------------------------------------

SORTS = {
    "updated": "recently changed",
    "last_used": "last used",
    "last_reviewed": "last reviewed",
    "usage": "usage count",
    "question": "question A-Z",
}


@dataclass
class SearchFilters:
    query: str = ""
    tag: str = ""
    owner: str = ""
    status: str = ""  # '' = draft and approved; 'all' includes retired
    product: str = ""
    #: a product name: only the entries a questionnaire for it may use (company-wide ones
    #: and the product's own); "": no such restriction
    usable_for: str = ""
    stale: bool = False
    conflicted: bool = False
    never_used: bool = False
    sort: str = "updated"


@dataclass
class Page:
    entries: list[Entry]
    total: int
    page: int
    per_page: int
    products: dict[int, list[str]] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def like_pattern(text: str) -> str:
    """A LIKE pattern (escape character backslash) matching any text that contains ``text``."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _compact(column: Any) -> Any:
    """``compact_folded`` in SQL, on a column already folded to lower case."""
    return func.replace(func.replace(column, "-", ""), " ", "")


def _pg_alternates() -> Any:
    """PostgreSQL: an entry's alternates as plain text, one per line. The column is JSON
    text with every non-ASCII character written as a \\u escape (É is \\u00c9), which no
    ILIKE folds to "é"; json_array_elements_text decodes them (and leaves out the JSON
    syntax, so a search for '", "' does not match every entry with two alternates)."""
    alternate = func.json_array_elements_text(Entry.alternates).table_valued("value").alias("alternate")
    return select(func.string_agg(alternate.c.value, "\n")).select_from(alternate).scalar_subquery()


def _word_condition(word: str, *, sqlite: bool):
    """An entry's question, comment, answer or alternates contain ``word``, ignoring case,
    or (hyphens and spaces removed on both sides) its compact form: "SOC2" finds "SOC 2",
    "multifactor" finds "multi-factor". SQLite's LIKE folds ASCII only: there, the compact
    word, casefolded in Python, is looked for in `Entry.search_text`, those four casefolded
    and compacted when written (answers.models.search_text), so no Python runs per row
    (a text holding the word as typed holds its compact form: one LIKE covers both). An
    entry without it (written by an older release, until answers.db.fill_search_text), and
    a word of hyphens only, are folded per row by the functions registered in answers.db.
    PostgreSQL's ILIKE and lower() fold Unicode (under the database's UTF-8 locale); its
    alternates are searched as their decoded wordings (_pg_alternates)."""
    compact = compact_folded(word)
    if sqlite:
        folded = (
            func.ab_casefold(Entry.question),
            func.ab_casefold(Entry.comment),
            func.ab_casefold(Entry.answer),
            func.ab_casefold_json(Entry.alternates),
        )
        per_row = [column.like(like_pattern(word.casefold()), escape="\\") for column in folded]
        if not compact:
            return or_(*per_row)
        per_row += [_compact(column).like(like_pattern(compact), escape="\\") for column in folded]
        stored = col(Entry.search_text)
        return or_(stored.like(like_pattern(compact), escape="\\"), and_(stored.is_(None), or_(*per_row)))
    pattern = like_pattern(word)
    columns = (Entry.question, Entry.comment, Entry.answer, _pg_alternates())
    matches = [column.ilike(pattern, escape="\\") for column in columns]  # type: ignore[attr-defined]
    if compact:  # both sides folded by PostgreSQL's lower(): Python's casefold differs ("ß")
        unfolded = like_pattern(word.replace("-", "").replace(" ", ""))
        matches += [_compact(func.lower(column)).like(func.lower(unfolded), escape="\\") for column in columns]
    return or_(*matches)


def search(filters: SearchFilters, *, session: Session, page: int = 1, per_page: int = 50) -> Page:
    """Entries matching every filter, one page of them. Plain SQL (LIKE), so it runs the
    same on SQLite and PostgreSQL. Raises EntryError for an unknown status or sort."""
    today = dt.date.today()
    conditions = []
    if filters.status in ("", None):
        conditions.append(Entry.status != EntryStatus.retired)
    elif filters.status != "all":
        try:
            conditions.append(Entry.status == EntryStatus(filters.status))
        except ValueError as exc:
            raise EntryError(f"status must be draft, approved, retired or all, not {filters.status!r}") from exc
    sqlite = session.get_bind().dialect.name == "sqlite"
    for word in filters.query.split()[:8]:
        conditions.append(_word_condition(word, sqlite=sqlite))
    if filters.tag:
        conditions.append(cast(Entry.tags, String).ilike(like_pattern(json.dumps(filters.tag.strip())), escape="\\"))
    if filters.owner:
        conditions.append(Entry.owner == filters.owner.strip())
    if filters.stale:
        conditions.append(Entry.review_by < today)  # type: ignore[operator]
    if filters.conflicted:
        conditions.append(Entry.conflict == True)  # noqa: E712
    if filters.never_used:
        conditions.append(Entry.usage_count == 0)
    if filters.product:
        if filters.product == COMPANY_WIDE_FILTER:  # company-wide only
            conditions.append(~Entry.id.in_(select(EntryProduct.entry_id)))  # type: ignore[union-attr]
        else:
            product = find_product(filters.product, session=session)  # spelled any case
            conditions.append(
                Entry.id.in_(  # type: ignore[union-attr]
                    select(EntryProduct.entry_id)
                    .join(Product, Product.id == EntryProduct.product_id)
                    .where(Product.id == (product.id if product else None))
                )
            )
    if filters.usable_for:
        product = find_product(filters.usable_for, session=session)
        conditions.append(
            or_(
                ~Entry.id.in_(select(EntryProduct.entry_id)),  # type: ignore[union-attr]
                Entry.id.in_(  # type: ignore[union-attr]
                    select(EntryProduct.entry_id).where(EntryProduct.product_id == (product.id if product else None))
                ),
            )
        )
    orders = {
        "updated": [Entry.updated_at.desc()],  # type: ignore[attr-defined]
        "last_used": [Entry.last_used_at.is_(None), Entry.last_used_at.desc()],  # type: ignore[union-attr]
        "last_reviewed": [Entry.approved_at.is_(None), Entry.approved_at.desc()],  # type: ignore[union-attr]
        "usage": [Entry.usage_count.desc()],  # type: ignore[attr-defined]
        # case-insensitive A-Z ("encryption" beside "Encryption"); SQLite's lower() folds ASCII only
        "question": [func.ab_casefold(Entry.question) if sqlite else func.lower(Entry.question), Entry.question],
    }
    if filters.sort not in orders:
        raise EntryError(f"sort must be one of {', '.join(orders)}")
    page = max(1, page)
    per_page = min(max(1, per_page), 200)
    total = session.exec(select(func.count()).select_from(Entry).where(*conditions)).one()
    rows = list(
        session.exec(
            select(Entry)
            .where(*conditions)
            .order_by(*orders[filters.sort], Entry.id.desc())  # type: ignore[union-attr]
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    return Page(rows, total, page, per_page, products_of([e.id for e in rows], session=session))


def products_of(entry_ids: Sequence[int | None], *, session: Session) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    ids = [i for i in entry_ids if i is not None]
    if not ids:
        return out
    for entry_id, name in session.exec(
        select(EntryProduct.entry_id, Product.name)
        .join(Product, Product.id == EntryProduct.product_id)
        .where(EntryProduct.entry_id.in_(ids))  # type: ignore[attr-defined]
        .order_by(Product.name)
    ):
        out.setdefault(entry_id, []).append(name)
    return out


def owners(*, session: Session) -> list[str]:
    return sorted(o for o in session.exec(select(Entry.owner).distinct()) if o)


#: The distinct tags of live entries, read in the database: decoding every entry's tags in
#: Python took 0.46 s of the bank page's 0.64 s at 20,000 entries.
_TAGS_IN_USE = {
    "sqlite": "SELECT DISTINCT t.value FROM entry, json_each(entry.tags) AS t "
    "WHERE entry.status != 'retired' AND t.type = 'text'",
    "postgresql": "SELECT DISTINCT t FROM entry, json_array_elements_text(entry.tags::json) AS t "
    "WHERE entry.status != 'retired'",
}


def tags_in_use(*, session: Session) -> list[str]:
    """Every tag a live (not retired) entry carries, sorted."""
    query = _TAGS_IN_USE.get(session.get_bind().dialect.name)
    if query is not None:
        return sorted(session.execute(sql_text(query)).scalars())
    found: set[str] = set()
    for tags in session.exec(select(Entry.tags).where(Entry.status != EntryStatus.retired)):
        found.update(tags or [])
    return sorted(found)


def due_for_review(*, session: Session, within_days: int = 30, owner: str | None = None) -> dict[str, list[Entry]]:
    """{owner ('' = nobody): live entries whose review-by date is past or within `within_days`},
    most overdue first."""
    limit = dt.date.today() + dt.timedelta(days=within_days)
    query = (
        select(Entry)
        .where(Entry.status != EntryStatus.retired, Entry.review_by.is_not(None), Entry.review_by <= limit)  # type: ignore[union-attr, operator]
        .order_by(Entry.review_by, Entry.id)
    )
    if owner is not None:
        query = query.where(Entry.owner == owner)
    out: dict[str, list[Entry]] = {}
    for entry in session.exec(query):
        out.setdefault(entry.owner, []).append(entry)
    return dict(sorted(out.items()))
