"""Curate the answer bank: create, import, export, demo bank.

Service functions take `session` keyword-only and commit once per use case. Every change
leaves an `EntryVersion` (the history) and an audit event.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, select

from answers import audit
from answers.matching import normalise
from answers.models import Entry, EntryCreate, EntryProduct, EntryStatus, EntryVersion, Product, utcnow

BANK_COLUMNS = ("question", "answer", "comment", "alternates", "tags", "owner")
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


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    entry_ids: list[int] = field(default_factory=list)


# --- entries -------------------------------------------------------------------------


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
    }


def get_or_create_product(name: str, *, session: Session) -> Product:
    name = name.strip()
    if not name:
        raise ValueError("product name must not be empty")
    product = session.exec(select(Product).where(Product.name == name)).first()
    if product is None:
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


def _set_products(entry: Entry, names: Iterable[str], *, session: Session) -> list[str]:
    for link in session.exec(select(EntryProduct).where(EntryProduct.entry_id == entry.id)):
        session.delete(link)
    session.flush()  # the deletes must precede re-inserts of the same key
    out = []
    for name in sorted({n.strip() for n in names if n.strip()}):
        product = get_or_create_product(name, session=session)
        session.add(EntryProduct(entry_id=entry.id, product_id=product.id))
        out.append(name)
    session.flush()
    return out


def _add_entry(data: EntryCreate, *, session: Session, actor: str) -> Entry:
    entry = Entry.model_validate(data.model_dump(exclude={"products"}))
    if entry.status == EntryStatus.approved:
        entry.approved_at, entry.approved_by = utcnow(), actor
    session.add(entry)
    session.flush()
    products = _set_products(entry, data.products, session=session)
    session.add(
        EntryVersion(
            entry_id=entry.id, revision=1, snapshot=snapshot(entry, products), changed_by=actor, note="created"
        )
    )
    audit.record(
        session,
        "entry.create",
        actor=actor,
        object_type="entry",
        object_id=entry.id,
        details={"after": snapshot(entry, products)},
    )
    return entry


def create_entry(data: EntryCreate, *, session: Session, actor: str = "system") -> Entry:
    """Add one entry (revision 1). Returns it committed."""
    entry = _add_entry(data, session=session, actor=actor)
    session.commit()
    return entry


def _update_entry(entry: Entry, data: EntryCreate, *, session: Session, actor: str) -> bool:
    """Apply the fields of `data` to `entry` as a new revision. False when nothing changed."""
    before = snapshot(entry, entry_products(entry.id, session=session))
    for key in ("question", "answer", "comment", "alternates", "tags", "owner", "status", "review_by", "source"):
        value = getattr(data, key)
        if key in ("review_by",) and value is None:
            continue
        if key == "source" and not value:
            continue
        setattr(entry, key, value)
    products = _set_products(entry, data.products, session=session)
    after = snapshot(entry, products)
    if after == before:
        return False
    entry.revision += 1
    entry.updated_at = utcnow()
    if entry.status == EntryStatus.approved and before["status"] != "approved":
        entry.approved_at, entry.approved_by = utcnow(), actor
    session.add(entry)
    session.add(
        EntryVersion(entry_id=entry.id, revision=entry.revision, snapshot=after, changed_by=actor, note="import")
    )
    audit.record(
        session,
        "entry.update",
        actor=actor,
        object_type="entry",
        object_id=entry.id,
        details={"before": before, "after": after},
    )
    return True


def question_index(*, session: Session) -> dict[tuple[str, tuple[str, ...]], Entry]:
    """{(normalised question, product scope): entry} over the entries not retired."""
    scopes: dict[int, list[str]] = {}
    for entry_id, name in session.exec(
        select(EntryProduct.entry_id, Product.name).join(Product, EntryProduct.product_id == Product.id)
    ):
        scopes.setdefault(entry_id, []).append(name)
    return {
        (normalise(e.question), tuple(sorted(scopes.get(e.id, [])))): e
        for e in session.exec(select(Entry).where(Entry.status != EntryStatus.retired).order_by(Entry.id))
    }


# --- bank files (csv / xlsx) ---------------------------------------------------------


def _split_list(value: str, *, lines_only: bool) -> list[str]:
    if lines_only:
        parts = value.splitlines()
    else:
        parts = value.replace("\n", ";").replace(",", ";").split(";")
    return [p.strip() for p in parts if p.strip()]


def _unescape(value: str) -> str:
    """Undo the export's formula guard: a leading ' before = + - @ is ours."""
    if len(value) > 1 and value[0] == "'" and value[1] in "=+-@":
        return value[1:]
    return value


def _escape(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_PREFIXES) else value


def _read_csv(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise BankFileError("the CSV file is neither UTF-8 nor Windows-1252 text") from exc
    if "\x00" in text:
        raise BankFileError("the CSV file contains binary data (NUL bytes)")
    try:
        return [row for row in csv.reader(io.StringIO(text, newline=""))]
    except csv.Error as exc:
        raise BankFileError(f"the CSV file is malformed: {exc}") from exc


def _read_xlsx(data: bytes) -> list[list[str]]:
    import zipfile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise BankFileError(f"the xlsx file cannot be read: {exc}") from exc
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for row in sheet.iter_rows(values_only=True):
            rows.append(["" if v is None else str(v) for v in row])
        return rows
    finally:
        workbook.close()


def read_bank_file(data: bytes, filename: str) -> list[EntryCreate]:
    """Parse a bank file (csv or xlsx with the header `question,answer,comment,alternates,
    tags,owner`; alternates one per line, tags separated by `;` or `,`).

    Raises BankFileError listing every bad row; returns nothing partial.
    """
    if len(data) > MAX_BANK_FILE_BYTES:
        raise BankFileError(f"{filename}: the file is over {MAX_BANK_FILE_BYTES // 1_048_576} MB")
    lower = filename.lower()
    if lower.endswith(".csv"):
        rows = _read_csv(data)
    elif lower.endswith((".xlsx", ".xlsm")):
        rows = _read_xlsx(data)
    else:
        raise BankFileError(f"{filename}: bank files are .csv or .xlsx")
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise BankFileError(f"{filename}: the file is empty")
    header = [h.strip().lower() for h in rows[0]]
    while header and not header[-1]:
        header.pop()
    unknown = [h for h in header if h not in BANK_COLUMNS]
    if unknown or "question" not in header or "answer" not in header:
        raise BankFileError(
            f"{filename}: the header must be {','.join(BANK_COLUMNS)}"
            + (f" (unknown column(s): {', '.join(unknown)})" if unknown else "")
        )
    entries: list[EntryCreate] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(rows[1:], start=2):
        cells = {name: _unescape((raw[i] if i < len(raw) else "").strip()) for i, name in enumerate(header)}
        extra = [c for c in raw[len(header) :] if c.strip()]
        if extra:
            problems.append(f"row {number}: more fields than the header has")
            continue
        if not cells.get("question"):
            problems.append(f"row {number}: question is empty")
            continue
        key = normalise(cells["question"])
        if key in seen:
            problems.append(f"row {number}: the same question as row {seen[key]}")
            continue
        seen[key] = number
        try:
            entries.append(
                EntryCreate(
                    question=cells["question"],
                    answer=cells.get("answer", ""),
                    comment=cells.get("comment", ""),
                    alternates=_split_list(cells.get("alternates", ""), lines_only=True),
                    tags=_split_list(cells.get("tags", ""), lines_only=False),
                    owner=cells.get("owner", ""),
                )
            )
        except ValidationError as exc:
            reasons = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            problems.append(f"row {number}: {reasons}")
    if problems:
        raise BankFileError(f"{filename}: {len(problems)} bad row(s), nothing imported", problems)
    return entries


def import_entries(
    entries: Sequence[EntryCreate],
    *,
    session: Session,
    actor: str = "system",
    product: str | None = None,
    status: EntryStatus = EntryStatus.approved,
    source: str = "",
) -> ImportResult:
    """Add or update entries (same question and product scope: a new revision). One commit."""
    result = ImportResult()
    products = [product.strip()] if product and product.strip() else []
    index = question_index(session=session)
    for data in entries:
        data = data.model_copy(update={"status": status, "products": products, "source": data.source or source})
        key = (normalise(data.question), tuple(products))
        existing = index.get(key)
        if existing is None:
            entry = _add_entry(data, session=session, actor=actor)
            index[key] = entry
            result.created += 1
        else:
            entry = existing
            if _update_entry(entry, data, session=session, actor=actor):
                result.updated += 1
            else:
                result.unchanged += 1
        result.entry_ids.append(entry.id)
    audit.record(
        session,
        "bank.import",
        actor=actor,
        details={"source": source, "product": product, "created": result.created, "updated": result.updated},
    )
    session.commit()
    return result


def export_rows(*, session: Session, include_retired: bool = False) -> list[list[str]]:
    """Header plus one row per entry, in id order."""
    rows: list[list[str]] = [list(BANK_COLUMNS)]
    query = select(Entry).order_by(Entry.id)
    if not include_retired:
        query = query.where(Entry.status != EntryStatus.retired)
    for e in session.exec(query):
        rows.append([e.question, e.answer, e.comment, "\n".join(e.alternates), "; ".join(e.tags), e.owner])
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
        from openpyxl.styles import Alignment, Font

        workbook = Workbook()
        sheet = workbook.active
        sheet.title = "Answer bank"
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                cell = sheet.cell(row=r, column=c)
                cell.value = value
                cell.data_type = "s"  # text stays text, even "=..."
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for letter, width in zip("ABCDEF", (60, 12, 70, 50, 25, 30), strict=True):
            sheet.column_dimensions[letter].width = width
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
