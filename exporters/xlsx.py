"""Write answers into the original workbook bytes, changing only the target cells.

`write_back()` edits the package (zip) directly and never round-trips through openpyxl,
which drops x14 dropdowns and extension conditional formats on save. Parts change only
where they must:

- the worksheets that receive values: only the target `<c>` elements (and the `<row>` that
  holds a new cell, and `<dimension>` when a new cell lies outside it) are spliced; every
  other byte of the part is kept;
- xl/workbook.xml: `<calcPr fullCalcOnLoad="1">` so the scoring formulas refresh on open;
- xl/styles.xml: only when highlighting adds a fill, or a date lands in a cell whose
  number format is not a date (a cloned xf with a date format is added; the original xf
  is never changed);
- xl/calcChain.xml: only when a formula cell is overwritten (its chain entry is removed,
  as Excel would otherwise report the file as damaged).

Every other part keeps its compressed bytes, order and name. Text goes in as inline
strings (`t="inlineStr"`), so xl/sharedStrings.xml never changes and text is never a
formula, whatever it starts with.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import math
import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeET
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format

from exporters._package import Package, PackageError
from importers.base import CellRef, CellValue, column_index, column_letter


class WriteBackError(Exception):
    """A value could not be written; the message names the sheet and cell."""


class ValueNotAllowed(WriteBackError):
    """The value is not in the target cell's dropdown list."""


MAX_CELL_CHARS = 32767
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_X14_NS = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"
_XM_NS = "http://schemas.microsoft.com/office/excel/2006/main"
_WORKSHEET_REL = "/worksheet"

# XML 1.0 forbids these even as character references.
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Excel decodes _xHHHH_ in cell text; a literal one must have its underscore escaped.
_EXCEL_ESCAPE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")
_ATTR = re.compile(r"""([\w:.-]+)\s*=\s*("[^"]*"|'[^']*')""")
_A1_RANGE = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)(?::\$?([A-Za-z]{1,3})\$?(\d+))?$")
_SHEET_REF = re.compile(r"^(?:'((?:[^']|'')+)'|([^'!]+))!(.+)$")
_NAME = re.compile(r"^[A-Za-z_\\][\w.\\]*$")
_DATE_1900 = dt.datetime(1899, 12, 30)
_DATE_1904 = dt.datetime(1904, 1, 1)


# --------------------------------------------------------------------------- helpers


def _attrs(tag_text: str) -> dict[str, str]:
    return {k: v[1:-1] for k, v in _ATTR.findall(tag_text)}


def _xml_text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _xml_attr(value: str) -> str:
    return _xml_text(value).replace('"', "&quot;")


def _unescape(text: str) -> str:
    return (
        text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&apos;", "'")
        .replace("&amp;", "&")
    )


def _set_attr(start_tag: str, name: str, value: str | None) -> str:
    """Set, replace or (value None) remove one attribute in a start tag's text."""
    pattern = re.compile(rf"""\s{re.escape(name)}\s*=\s*("[^"]*"|'[^']*')""")
    if value is None:
        return pattern.sub("", start_tag, count=1)
    if pattern.search(start_tag):
        return pattern.sub(f' {name}="{_xml_attr(value)}"', start_tag, count=1)
    end = len(start_tag) - (2 if start_tag.endswith("/>") else 1)
    return f'{start_tag[:end]} {name}="{_xml_attr(value)}"{start_tag[end:]}'


def _parse_range(text: str) -> tuple[int, int, int, int] | None:
    """'C5' or '$C$5:$E$9' -> (min_row, min_col, max_row, max_col); None if not a cell range."""
    m = _A1_RANGE.match(text.strip())
    if not m:
        return None
    c1, r1 = column_index(m.group(1)), int(m.group(2))
    c2, r2 = (column_index(m.group(3)), int(m.group(4))) if m.group(3) else (c1, r1)
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


@functools.lru_cache(maxsize=4096)
def _column_number(letters: str) -> int:
    return column_index(letters)


def _parse_sqref(text: str) -> list[tuple[int, int, int, int]]:
    return [r for part in text.split() if (r := _parse_range(part))]


def _in(ranges: Iterable[tuple[int, int, int, int]], row: int, col: int) -> bool:
    return any(r1 <= row <= r2 and c1 <= col <= c2 for r1, c1, r2, c2 in ranges)


def _prefix_for(text: str, namespace: str) -> str | None:
    """The prefix ('x14:') a part declares for `namespace`, '' for the default, None if absent."""
    m = re.search(rf"""xmlns(?::([\w.-]+))?\s*=\s*["']{re.escape(namespace)}["']""", text)
    if not m:
        return None
    return f"{m.group(1)}:" if m.group(1) else ""


def _decode(data: bytes, part: str) -> str:
    head = data[:100]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or re.search(rb"encoding=[\"'](?!utf-8)", head, re.I):
        raise WriteBackError(f"{part}: only UTF-8 XML parts can be edited")
    try:
        return data.decode("utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8")
    except UnicodeDecodeError as exc:
        raise WriteBackError(f"{part}: not valid UTF-8 ({exc})") from exc


def _parse_xml(data: bytes, part: str) -> Element:
    try:
        return SafeET.fromstring(data)
    except Exception as exc:  # defusedxml raises several types: all mean "refuse this part"
        raise WriteBackError(f"{part}: unreadable XML ({type(exc).__name__}: {exc})") from exc


# --------------------------------------------------------------------------- workbook


@dataclass
class _SheetInfo:
    name: str
    sheet_id: str
    index: int
    part: str


@dataclass
class _Workbook:
    package: Package
    sheets: dict[str, _SheetInfo]
    defined_names: dict[tuple[int | None, str], str]  # (localSheetId or None, lower name) -> formula
    date1904: bool
    _shared_strings: list[str] | None = None
    _sheet_texts: dict[str, _SheetText] = field(default_factory=dict)

    @classmethod
    def open(cls, data: bytes) -> _Workbook:
        try:
            package = Package(data)
        except PackageError as exc:
            raise WriteBackError(f"not a readable xlsx package: {exc}") from exc
        wb_part = _main_part(package)
        root = _parse_xml(_read(package, wb_part), wb_part)
        ns = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
        q = f"{{{ns}}}" if ns else ""
        rels_part = posixpath.join(posixpath.dirname(wb_part), "_rels", posixpath.basename(wb_part) + ".rels")
        rels = {}
        if package.find(rels_part):
            for rel in _parse_xml(_read(package, rels_part), rels_part):
                target = rel.get("Target", "")
                if rel.get("TargetMode") == "External":
                    continue
                path = (
                    target.lstrip("/") if target.startswith("/") else posixpath.join(posixpath.dirname(wb_part), target)
                )
                rels[rel.get("Id")] = (posixpath.normpath(path), rel.get("Type", ""))
        sheets: dict[str, _SheetInfo] = {}
        sheets_el = root.find(f"{q}sheets")
        for index, sheet in enumerate(sheets_el if sheets_el is not None else []):
            rid = sheet.get(f"{{{_REL_NS}}}id")
            part, rel_type = rels.get(rid, ("", ""))
            if not rel_type.endswith(_WORKSHEET_REL):
                part = ""  # chart sheets, dialog sheets: nothing to write into
            sheets[sheet.get("name", "")] = _SheetInfo(sheet.get("name", ""), sheet.get("sheetId", ""), index, part)
        names: dict[tuple[int | None, str], str] = {}
        dn = root.find(f"{q}definedNames")
        for el in dn if dn is not None else []:
            local = el.get("localSheetId")
            names[(int(local) if local is not None else None, el.get("name", "").lower())] = (el.text or "").strip()
        pr = root.find(f"{q}workbookPr")
        date1904 = pr is not None and pr.get("date1904", "0").lower() in ("1", "true")
        return cls(package, sheets, names, date1904)

    def sheet(self, name: str, where: str) -> _SheetInfo:
        info = self.sheets.get(name)
        if info is None:
            raise WriteBackError(f"{where}: the workbook has no sheet named {name!r}")
        if not info.part or not self.package.find(info.part):
            raise WriteBackError(f"{where}: sheet {name!r} is not a worksheet with cells")
        return info

    def sheet_text(self, name: str) -> _SheetText:
        if name not in self._sheet_texts:
            info = self.sheet(name, f"'{name}'")
            self._sheet_texts[name] = _SheetText(_decode(_read(self.package, info.part), info.part), info.part)
        return self._sheet_texts[name]

    @property
    def shared_strings(self) -> list[str]:
        if self._shared_strings is None:
            self._shared_strings = []
            part = self.package.find("xl/sharedStrings.xml")
            if part:
                root = _parse_xml(_read(self.package, part), part)
                for si in root:
                    self._shared_strings.append(_rich_text(si))
        return self._shared_strings


def _rich_text(el: Element) -> str:
    """Text of an <si> / <is>: its <t>, or its runs' <t>; phonetic runs (<rPh>) excluded."""
    parts = []
    for child in el:
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "t":
            parts.append(child.text or "")
        elif tag == "r":
            parts.extend(t.text or "" for t in child if t.tag.rsplit("}", 1)[-1] == "t")
    return "".join(parts)


def _main_part(package: Package) -> str:
    rels = package.find("_rels/.rels")
    if rels:
        for rel in _parse_xml(_read(package, rels), rels):
            if rel.get("Type", "").endswith("/officeDocument"):
                found = package.find(rel.get("Target", "").lstrip("/"))
                if found:
                    return found
    found = package.find("xl/workbook.xml")
    if not found:
        raise WriteBackError("not an xlsx workbook: the package has no xl/workbook.xml")
    return found


def _read(package: Package, part: str) -> bytes:
    try:
        return package.read(part)
    except PackageError as exc:
        raise WriteBackError(f"corrupt package: {exc}") from exc


# --------------------------------------------------------------------------- sheet text


@dataclass
class _Row:
    number: int
    start: int  # span of the whole <row> element in the sheet text
    end: int
    start_tag: str
    inner_start: int  # -1 for <row/>
    explicit: bool


class _SheetText:
    """A worksheet part as text, with its rows located but not parsed."""

    def __init__(self, text: str, part: str) -> None:
        self.text = text
        self.part = part
        m = re.search(r"<(?:([\w.-]+):)?worksheet\b", text)
        if not m:
            raise WriteBackError(f"{part}: not a worksheet part")
        self.p = f"{m.group(1)}:" if m.group(1) else ""
        p = re.escape(self.p)
        sd = re.search(rf"<{p}sheetData\b[^>]*?(/?)>", text)
        if not sd:
            raise WriteBackError(f"{part}: the worksheet has no <sheetData>")
        self.sheet_data_tag = (sd.start(), sd.end())
        self.sheet_data_empty = sd.group(1) == "/"
        if self.sheet_data_empty:
            self.data_start = self.data_end = sd.end()
        else:
            close = text.find(f"</{self.p}sheetData>", sd.end())
            if close < 0:
                raise WriteBackError(f"{part}: <sheetData> is not closed")
            self.data_start, self.data_end = sd.end(), close
        self.rows: list[_Row] = []
        row_re = re.compile(rf"<{p}row\b[^>]*?(/?)>")
        pos, last = self.data_start, 0
        while True:
            m = row_re.search(text, pos, self.data_end)
            if not m:
                break
            a = _attrs(m.group(0))
            explicit = "r" in a
            number = int(a["r"]) if explicit else last + 1
            if m.group(1) == "/":
                end, inner = m.end(), -1
            else:
                close = text.find(f"</{self.p}row>", m.end(), self.data_end)
                if close < 0:
                    raise WriteBackError(f"{part}: row {number} is not closed")
                end, inner = close + len(f"</{self.p}row>"), m.end()
            self.rows.append(_Row(number, m.start(), end, m.group(0), inner, explicit))
            last, pos = number, end
        self.row_numbers = [r.number for r in self.rows]
        if self.row_numbers != sorted(self.row_numbers):
            raise WriteBackError(f"{part}: rows are out of order")
        self.tail_from = self.data_end  # everything after sheetData: merges, validations, ...
        # group 2: the column letters of the r attribute (None: implicit address); group 3: "/" if empty
        self._cell_re = re.compile(rf"""<{p}c\b(?=([^>]*?\sr\s*=\s*["']([A-Za-z]{{1,3}})\d+["'])?)[^>]*?(/?)>""")

    def row(self, number: int) -> _Row | None:
        i = bisect.bisect_left(self.row_numbers, number)
        if i < len(self.rows) and self.rows[i].number == number:
            return self.rows[i]
        return None

    def cells(self, row: _Row) -> list[_Cell]:
        if row.inner_start < 0:
            return []
        close_tag = f"</{self.p}c>"
        inner_end = row.end - len(f"</{self.p}row>")
        out, last = [], 0
        cell_re = self._cell_re
        text, pos = self.text, row.inner_start
        while True:
            m = cell_re.search(text, pos, inner_end)
            if not m:
                break
            if m.group(3) == "/":
                end, inner = m.end(), ""
            else:
                close = text.find(close_tag, m.end(), inner_end)
                if close < 0:
                    raise WriteBackError(f"{self.part}: a cell in row {row.number} is not closed")
                end, inner = close + len(close_tag), text[m.end() : close]
            letters = m.group(2)
            col = _column_number(letters) if letters else last + 1
            out.append(_Cell(col, m.start(), end, m.group(0), inner, letters is not None))
            last, pos = col, end
        return out

    def tail(self) -> str:
        return self.text[self.tail_from :]

    def head(self) -> str:
        return self.text[: self.sheet_data_tag[0]]

    def cell_text_values(self, bounds: tuple[int, int, int, int], shared: list[str]) -> list[str]:
        """Cached display values of the cells in a range, row by row (empty cells skipped)."""
        r1, c1, r2, c2 = bounds
        values = []
        i = bisect.bisect_left(self.row_numbers, r1)
        while i < len(self.rows) and self.rows[i].number <= r2:
            for cell in self.cells(self.rows[i]):
                if c1 <= cell.column <= c2:
                    value = cell.cached_text(shared, self.p)
                    if value:
                        values.append(value)
            i += 1
        return values


@dataclass
class _Cell:
    column: int
    start: int
    end: int
    start_tag: str
    inner: str
    explicit: bool

    @property
    def attrs(self) -> dict[str, str]:
        return _attrs(self.start_tag)

    def formula_tag(self, p: str) -> dict[str, str] | None:
        m = re.search(rf"<{re.escape(p)}f\b[^>]*?/?>", self.inner)
        return _attrs(m.group(0)) if m else None

    def cached_text(self, shared: list[str], p: str) -> str:
        t = self.attrs.get("t", "n")
        if t == "inlineStr":
            return "".join(
                _unescape(x) for x in re.findall(rf"<{re.escape(p)}t\b[^>]*>(.*?)</{re.escape(p)}t>", self.inner, re.S)
            )
        m = re.search(rf"<{re.escape(p)}v>(.*?)</{re.escape(p)}v>", self.inner, re.S)
        if not m:
            return ""
        raw = _unescape(m.group(1))
        if t == "s":
            try:
                return shared[int(raw)]
            except (ValueError, IndexError):
                return ""
        if t == "b":
            return "TRUE" if raw.strip() == "1" else "FALSE"
        if t == "n":
            return _number_text(raw)
        return raw


def _number_text(raw: str) -> str:
    try:
        number = float(raw)
    except ValueError:
        return raw
    return str(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number)


# --------------------------------------------------------------------------- dropdown lists


@dataclass
class _Validation:
    ranges: list[tuple[int, int, int, int]]
    choices: tuple[str, ...] | None  # None: a list whose values we cannot resolve (no check)
    formula: str


def _sheet_validations(wb: _Workbook, sheet: str) -> list[_Validation]:
    st = wb.sheet_text(sheet)
    tail = st.tail()
    out = []
    p = re.escape(st.p)
    for m in re.finditer(rf"<{p}dataValidation\b([^>]*?)(?:/>|>(.*?)</{p}dataValidation>)", tail, re.S):
        a = _attrs(m.group(1))
        if a.get("type") != "list":
            continue
        f1 = re.search(rf"<{p}formula1>(.*?)</{p}formula1>", m.group(2) or "", re.S)
        formula = _unescape(f1.group(1)).strip() if f1 else ""
        out.append(_Validation(_parse_sqref(a.get("sqref", "")), _resolve_list(wb, sheet, formula), formula))
    x14, xm = _prefix_for(st.text, _X14_NS), _prefix_for(st.text, _XM_NS)
    if x14 is not None and xm is not None:
        px, pm = re.escape(x14), re.escape(xm)
        for m in re.finditer(rf"<{px}dataValidation\b([^>]*?)>(.*?)</{px}dataValidation>", tail, re.S):
            a = _attrs(m.group(1))
            if a.get("type") != "list":
                continue
            body = m.group(2)
            f1 = re.search(rf"<{px}formula1>\s*<{pm}f>(.*?)</{pm}f>", body, re.S)
            sq = re.search(rf"<{pm}sqref>(.*?)</{pm}sqref>", body, re.S)
            formula = _unescape(f1.group(1)).strip() if f1 else ""
            ranges = _parse_sqref(sq.group(1)) if sq else []
            out.append(_Validation(ranges, _resolve_list(wb, sheet, formula), formula))
    return out


def _resolve_list(wb: _Workbook, sheet: str, formula: str, depth: int = 0) -> tuple[str, ...] | None:
    """The values a list validation allows, or None when its formula is not something we read
    (INDIRECT, OFFSET, external books, ...)."""
    formula = formula.strip().lstrip("=")
    if not formula or depth > 5:
        return None
    if formula.startswith('"') and formula.endswith('"') and len(formula) >= 2:
        items = formula[1:-1].replace('""', '"').split(",")
        return tuple(item.strip() for item in items if item.strip())
    m = _SHEET_REF.match(formula)
    if m:
        target = m.group(1).replace("''", "'") if m.group(1) is not None else m.group(2)
        rest = m.group(3)
    else:
        target, rest = sheet, formula
    bounds = _parse_range(rest)
    if bounds is not None:
        if target not in wb.sheets or not wb.sheets[target].part:
            return None
        values = tuple(wb.sheet_text(target).cell_text_values(bounds, wb.shared_strings))
        return values or None  # an empty list is more likely our misreading than a real rule
    if not m and _NAME.match(formula):
        local = wb.sheets[sheet].index if sheet in wb.sheets else None
        key = formula.lower()
        target_formula = wb.defined_names.get((local, key)) or wb.defined_names.get((None, key))
        if target_formula:
            return _resolve_list(wb, sheet, target_formula, depth + 1)
    return None


def _sheet_bounds(st: _SheetText) -> tuple[int, int]:
    """(last row, last column) of a sheet: its <dimension>, else the last row in sheetData."""
    m = re.search(rf"<{re.escape(st.p)}dimension\b[^>]*>", st.head())
    if m:
        b = _parse_range(_attrs(m.group(0)).get("ref", ""))
        if b:
            return b[2], b[3]
    last_row = st.rows[-1].number if st.rows else 0
    last_col = max((c.column for c in st.cells(st.rows[-1])), default=0) if st.rows else 0
    return last_row, max(last_col, 1)


def list_choices(package: bytes) -> dict[CellRef, tuple[str, ...]]:
    """Every cell with a resolvable dropdown list -> the values it allows, in list order.

    Reads standard `<dataValidation type="list">` and x14 `<x14:dataValidation>` lists from
    the sheet XML: inline lists (`"Yes,No"`), ranges (`Values!$A$4:$A$5`, cached values,
    shared strings resolved) and defined names. Ranges that run past the sheet's used area
    (whole columns) are clipped to its `<dimension>`. Lists built from formulas we do not
    evaluate (INDIRECT, OFFSET) are left out. Raises WriteBackError on a corrupt package.
    """
    wb = _Workbook.open(package)
    out: dict[CellRef, tuple[str, ...]] = {}
    for name, info in wb.sheets.items():
        if not info.part or not wb.package.find(info.part):
            continue
        st = wb.sheet_text(name)
        max_row, max_col = _sheet_bounds(st)
        for v in _sheet_validations(wb, name):
            if v.choices is None:
                continue
            for r1, c1, r2, c2 in v.ranges:
                for row in range(r1, min(r2, max_row) + 1):
                    for col in range(c1, min(c2, max_col) + 1):
                        out.setdefault(CellRef(name, row, col), v.choices)
    return out


# --------------------------------------------------------------------------- styles


class _Styles:
    """xl/styles.xml, edited only by appending fills and cell formats."""

    def __init__(self, wb: _Workbook) -> None:
        part = wb.package.find("xl/styles.xml")
        if not part:
            raise WriteBackError("the workbook has no xl/styles.xml to add formats to")
        self.part = part
        self.text = _decode(_read(wb.package, part), part)
        m = re.search(r"<(?:([\w.-]+):)?styleSheet\b", self.text)
        self.p = f"{m.group(1)}:" if m and m.group(1) else ""
        self.xfs = self._section("cellXfs", "xf")
        self.fills = self._section("fills", "fill")
        self.num_fmts = {
            int(a["numFmtId"]): _unescape(a.get("formatCode", ""))
            for a in (_attrs(t) for t in re.findall(rf"<{re.escape(self.p)}numFmt\b[^>]*>", self.text))
            if "numFmtId" in a
        }
        self.new_fills: list[str] = []
        self.new_xfs: list[str] = []
        self.cache: dict[tuple[int, str, str], int] = {}
        self.changed = False

    def _section(self, section: str, item: str) -> list[str]:
        p = re.escape(self.p)
        m = re.search(rf"<{p}{section}\b[^>]*>(.*?)</{p}{section}>", self.text, re.S)
        if not m:
            return []
        return [x.group(0) for x in re.finditer(rf"<{p}{item}\b[^>]*?(?:/>|>.*?</{p}{item}>)", m.group(1), re.S)]

    def xf(self, index: int, where: str) -> str:
        if not 0 <= index < len(self.xfs) + len(self.new_xfs):
            raise WriteBackError(f"{where}: style index {index} is not in the workbook's cell formats")
        return (self.xfs + self.new_xfs)[index]

    def is_date(self, index: int, where: str) -> bool:
        fmt_id = int(_attrs(self.xf(index, where).split(">", 1)[0]).get("numFmtId", "0"))
        code = self.num_fmts.get(fmt_id, BUILTIN_FORMATS.get(fmt_id, "General"))
        return fmt_id in range(27, 37) or fmt_id in range(50, 59) or is_date_format(code)

    def _clone(self, index: int, key: tuple[int, str, str], where: str, **attrs: str) -> int:
        if key in self.cache:
            return self.cache[key]
        xf = self.xf(index, where)
        start_end = xf.index(">") + 1
        start = xf[:start_end]
        for name, value in attrs.items():
            start = _set_attr(start, name, value)
        self.new_xfs.append(start + xf[start_end:])
        self.cache[key] = len(self.xfs) + len(self.new_xfs) - 1
        self.changed = True
        return self.cache[key]

    def with_fill(self, index: int, rgb: str, where: str) -> int:
        key = (index, "fill", rgb)
        if key not in self.cache:
            p = self.p
            self.new_fills.append(
                f'<{p}fill><{p}patternFill patternType="solid"><{p}fgColor rgb="{rgb}"/>'
                f'<{p}bgColor indexed="64"/></{p}patternFill></{p}fill>'
            )
            fill_id = len(self.fills) + len(self.new_fills) - 1
            return self._clone(index, key, where, fillId=str(fill_id), applyFill="1")
        return self.cache[key]

    def with_date_format(self, index: int, with_time: bool, where: str) -> int:
        fmt = "22" if with_time else "14"
        return self._clone(index, (index, "numFmt", fmt), where, numFmtId=fmt, applyNumberFormat="1")

    def render(self) -> bytes:
        text = self.text
        p = re.escape(self.p)
        for section, items, total in (
            ("fills", self.new_fills, len(self.fills)),
            ("cellXfs", self.new_xfs, len(self.xfs)),
        ):
            if not items:
                continue
            m = re.search(rf"(<{p}{section}\b[^>]*>)(.*?)(</{p}{section}>)", text, re.S)
            if not m:
                raise WriteBackError(f"{self.part}: no <{section}> section to add to")
            start = _set_attr(m.group(1), "count", str(total + len(items)))
            text = text[: m.start()] + start + m.group(2) + "".join(items) + m.group(3) + text[m.end() :]
        return text.encode("utf-8")


# --------------------------------------------------------------------------- values


def _clean_text(value: str, where: str) -> str:
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    bad = _ILLEGAL_XML.search(value)
    if bad:
        raise WriteBackError(
            f"{where}: the text contains control character U+{ord(bad.group(0)):04X}, which a workbook cannot hold;"
            " remove it from the answer"
        )
    if len(value) > MAX_CELL_CHARS:
        raise WriteBackError(
            f"{where}: {len(value):,} characters is over Excel's {MAX_CELL_CHARS:,}-character cell limit"
        )
    return value


def _serial(value: dt.date, date1904: bool, where: str) -> float:
    moment = value if isinstance(value, dt.datetime) else dt.datetime(value.year, value.month, value.day)
    moment = moment.replace(tzinfo=None)  # Excel has no time zones: keep the wall-clock time
    epoch = _DATE_1904 if date1904 else _DATE_1900
    if moment < (epoch if date1904 else dt.datetime(1900, 1, 1)):
        raise WriteBackError(f"{where}: {value} is before the workbook's first date ({epoch.year})")
    delta = moment - epoch
    serial = delta.days + delta.seconds / 86400 + delta.microseconds / 86400e6
    if not date1904 and moment < dt.datetime(1900, 3, 1):
        serial -= 1  # Excel counts the non-existent 1900-02-29
    return serial


def _format_number(value: float | int, where: str) -> str:
    if isinstance(value, float):
        if not math.isfinite(value):
            raise WriteBackError(f"{where}: {value} cannot be stored in a cell")
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def _choice_text(value: CellValue) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return _format_number(value, "")
    return str(value)


# --------------------------------------------------------------------------- write_back


@dataclass
class _Target:
    ref: CellRef  # as asked
    row: int  # after merge redirection
    column: int
    value: CellValue = None
    has_value: bool = False
    fill: str | None = None

    @property
    def where(self) -> str:
        return str(CellRef(self.ref.sheet, self.row, self.column))


def _norm_colour(colour: str, where: str) -> str:
    c = colour.strip().lstrip("#").upper()
    if re.fullmatch(r"[0-9A-F]{6}", c):
        return "FF" + c
    if re.fullmatch(r"[0-9A-F]{8}", c):
        return c
    raise WriteBackError(f"{where}: highlight colour {colour!r} is not RRGGBB or AARRGGBB hex")


def write_back(
    original: bytes,
    values: Mapping[CellRef, CellValue],
    *,
    highlight: Mapping[CellRef, str] | None = None,
    check_choices: bool = True,
) -> bytes:
    """Return `original` (xlsx/xlsm bytes) with `values` written into their cells.

    Values: str -> inline text (never a formula; CR/CRLF become LF; "" clears like None);
    int/float -> number; bool -> TRUE/FALSE; date/datetime -> serial number in the
    workbook's date system (the cell keeps its style; if that style has no date format,
    a copy of it with a date format is added); None -> the cell's value is cleared, its
    style kept. A formula in a target cell is replaced by the value.

    A target inside a merged range is written to the range's top-left cell. `highlight`
    maps cells to an RRGGBB colour: they get a solid fill on a copy of their cell format.
    With `check_choices`, a value outside the cell's dropdown list raises ValueNotAllowed
    (exact, case-sensitive comparison; lists we cannot resolve are not checked).

    Raises WriteBackError naming the sheet and cell for: unknown sheets, bad addresses,
    corrupt packages, illegal characters, text over 32,767 characters, two different values for
    one merged range, a target that is the master of a shared formula or part of a multi-cell
    array formula (rewriting those would corrupt the cells that depend on them).
    """
    highlight = highlight or {}
    if not values and not highlight:
        return original
    wb = _Workbook.open(original)
    targets: dict[str, dict[tuple[int, int], _Target]] = {}
    merges: dict[str, list[tuple[int, int, int, int]]] = {}

    def target_for(ref: CellRef) -> _Target:
        if not isinstance(ref, CellRef) or not (1 <= ref.row <= 1048576 and 1 <= ref.column <= 16384):
            raise WriteBackError(f"{ref}: not a cell address inside a worksheet")
        wb.sheet(ref.sheet, str(ref))
        if ref.sheet not in merges:
            tail = wb.sheet_text(ref.sheet).tail()
            p = re.escape(wb.sheet_text(ref.sheet).p)
            merges[ref.sheet] = [
                b
                for b in (_parse_range(_attrs(t).get("ref", "")) for t in re.findall(rf"<{p}mergeCell\b[^>]*>", tail))
                if b
            ]
        row, col = ref.row, ref.column
        for r1, c1, r2, c2 in merges[ref.sheet]:
            if r1 <= row <= r2 and c1 <= col <= c2:
                row, col = r1, c1
                break
        sheet_targets = targets.setdefault(ref.sheet, {})
        return sheet_targets.setdefault((row, col), _Target(ref, row, col))

    for ref, value in values.items():
        t = target_for(ref)
        if t.has_value and t.ref != ref and t.value != value:
            raise WriteBackError(f"{t.where}: both {t.ref.coordinate} and {ref.coordinate} are in one merged range")
        if isinstance(value, str):
            value = _clean_text(value, t.where) or None
        elif value is not None and not isinstance(value, bool | int | float | dt.date):
            raise WriteBackError(f"{t.where}: cannot write a {type(value).__name__} into a cell")
        t.value, t.has_value, t.ref = value, True, ref
    for ref, colour in highlight.items():
        t = target_for(ref)
        t.fill = _norm_colour(colour, t.where)

    if check_choices:
        for sheet, sheet_targets in targets.items():
            checked = [t for t in sheet_targets.values() if t.has_value and t.value is not None]
            if not checked:
                continue
            validations = _sheet_validations(wb, sheet)
            for t in checked:
                for v in validations:
                    if v.choices is not None and _in(v.ranges, t.row, t.column):
                        if _choice_text(t.value) not in v.choices:
                            raise ValueNotAllowed(
                                f"{t.where}: {t.value!r} is not one of the cell's dropdown values "
                                f"({', '.join(v.choices) or 'an empty list'})"
                            )

    styles = (
        _Styles(wb)
        if (highlight or any(isinstance(t.value, dt.date) for st in targets.values() for t in st.values()))
        else None
    )
    replacements: dict[str, bytes] = {}
    overwritten_formulas: dict[str, set[str]] = {}
    for sheet, sheet_targets in targets.items():
        info = wb.sheets[sheet]
        st = wb.sheet_text(sheet)
        text, formulas = _edit_sheet(
            st, sheet, sorted(sheet_targets.values(), key=lambda t: (t.row, t.column)), wb, styles
        )
        replacements[info.part] = text.encode("utf-8")
        if formulas:
            overwritten_formulas[info.sheet_id] = formulas
    if styles is not None and styles.changed:
        replacements[styles.part] = styles.render()
    wb_part = _main_part(wb.package)
    wb_text = _decode(_read(wb.package, wb_part), wb_part)
    if (new_wb_text := _request_full_calc(wb_text)) != wb_text:
        replacements[wb_part] = new_wb_text.encode("utf-8")
    if overwritten_formulas:
        chain = wb.package.find("xl/calcChain.xml")
        if chain:
            replacements[chain] = _prune_calc_chain(_decode(_read(wb.package, chain), chain), overwritten_formulas)
    try:
        return wb.package.rewrite(replacements)
    except PackageError as exc:
        raise WriteBackError(f"could not rebuild the package: {exc}") from exc


def _default_style(st: _SheetText, row: _Row | None, column: int) -> str | None:
    """The style Excel gives a new cell: its row's (if customFormat), else its column's."""
    if row is not None:
        a = _attrs(row.start_tag)
        if a.get("customFormat") in ("1", "true") and "s" in a:
            return a["s"]
    for tag in re.findall(rf"<{re.escape(st.p)}col\b[^>]*>", st.head()):
        a = _attrs(tag)
        try:
            if int(a.get("min", 0)) <= column <= int(a.get("max", 0)):
                return a.get("style")
        except ValueError:
            continue
    return None


def _array_ranges(st: _SheetText) -> list[tuple[int, int, int, int]]:
    body = st.text[st.data_start : st.data_end]
    out = []
    for tag in re.findall(rf"<{re.escape(st.p)}f\b[^>]*\bt=\"(?:array|dataTable)\"[^>]*>", body):
        b = _parse_range(_attrs(tag).get("ref", ""))
        if b and (b[0] != b[2] or b[1] != b[3]):
            out.append(b)
    return out


def _cell_xml(
    st: _SheetText, t: _Target, style: str | None, old_tag: str | None, wb: _Workbook, styles: _Styles | None
) -> str:
    p = st.p
    if old_tag is None:
        tag = (
            f'<{p}c r="{column_letter(t.column)}{t.row}"' + (f' s="{style}"' if style not in (None, "0") else "") + ">"
        )
    else:
        tag = old_tag if not old_tag.endswith("/>") else old_tag[:-2].rstrip() + ">"
        if "r" not in _attrs(tag):
            tag = f'<{p}c r="{column_letter(t.column)}{t.row}"' + tag[len(f"<{p}c") :]
        for name in ("t", "cm", "vm"):  # type and metadata belonged to the old value
            tag = _set_attr(tag, name, None)
    style_index = int(_attrs(tag).get("s", "0") or 0)
    value = t.value if t.has_value else None
    body = ""
    if t.has_value:
        if isinstance(value, str):
            text = _EXCEL_ESCAPE.sub(r"_x005F_\1", value)
            tag = _set_attr(tag, "t", "inlineStr")
            body = f'<{p}is><{p}t xml:space="preserve">{_xml_text(text)}</{p}t></{p}is>'
        elif isinstance(value, bool):
            tag = _set_attr(tag, "t", "b")
            body = f"<{p}v>{int(value)}</{p}v>"
        elif isinstance(value, int | float):
            body = f"<{p}v>{_format_number(value, t.where)}</{p}v>"
        elif isinstance(value, dt.date):
            assert styles is not None
            if not styles.is_date(style_index, t.where):
                style_index = styles.with_date_format(style_index, isinstance(value, dt.datetime), t.where)
            body = f"<{p}v>{_format_number(_serial(value, wb.date1904, t.where), t.where)}</{p}v>"
    if t.fill is not None:
        assert styles is not None
        style_index = styles.with_fill(style_index, t.fill, t.where)
    if style_index or "s" in _attrs(tag):
        tag = _set_attr(tag, "s", str(style_index))
    return f"{tag}{body}</{p}c>" if body else tag[:-1] + "/>"


def _edit_sheet(
    st: _SheetText, sheet: str, targets: list[_Target], wb: _Workbook, styles: _Styles | None
) -> tuple[str, set[str]]:
    """The sheet text with the target cells rewritten; and the cells whose formula was removed."""
    text, p = st.text, st.p
    arrays = _array_ranges(st)
    by_row: dict[int, list[_Target]] = {}
    for t in targets:
        if _in(arrays, t.row, t.column):
            raise WriteBackError(f"{t.where}: the cell is part of a multi-cell array formula or data table")
        by_row.setdefault(t.row, []).append(t)
    splices: list[tuple[int, int, str]] = []
    formulas: set[str] = set()
    made_explicit: set[int] = set()
    for row_number, row_targets in by_row.items():
        row = st.row(row_number)
        cells = st.cells(row) if row else []
        columns = [c.column for c in cells]
        new_cells: list[tuple[int, str]] = []  # (insert before index, xml)
        replaced: dict[int, str] = {}
        for t in row_targets:
            i = bisect.bisect_left(columns, t.column)
            if i < len(cells) and cells[i].column == t.column:
                cell = cells[i]
                if not t.has_value:  # highlight only: restyle, keep the value or formula as it is
                    assert styles is not None and t.fill is not None
                    start = _set_attr(cell.start_tag, "s", str(_restyle(styles, cell, t)))
                    replaced[i] = start + text[cell.start + len(cell.start_tag) : cell.end]
                    continue
                f = cell.formula_tag(p)
                if f is not None:
                    if f.get("t") == "shared" and "ref" in f:
                        raise WriteBackError(
                            f"{t.where}: the cell is the master of a shared formula ({f['ref']}); "
                            "overwriting it would break the cells that share it"
                        )
                    formulas.add(f"{column_letter(t.column)}{t.row}")
                replaced[i] = _cell_xml(st, t, None, cell.start_tag, wb, styles)
            else:
                style = _default_style(st, row, t.column)
                new_cells.append((i, _cell_xml(st, t, style, None, wb, styles)))
        if row is not None and row.inner_start >= 0:
            parts, last = [], row.inner_start
            inserts: dict[int, list[str]] = {}
            for i, xml in new_cells:
                inserts.setdefault(i, []).append(xml)
            for i, cell in enumerate(cells):
                parts.append(text[last : cell.start])
                parts.extend(inserts.get(i, []))
                if i in replaced:
                    parts.append(replaced[i])
                elif not cell.explicit and (inserts or any(not c.explicit for c in cells)):
                    # implicit addresses would shift around an inserted cell: make them explicit
                    tag = f'<{p}c r="{column_letter(cell.column)}{row_number}"' + cell.start_tag[len(f"<{p}c") :]
                    parts.append(tag + text[cell.start + len(cell.start_tag) : cell.end])
                else:
                    parts.append(text[cell.start : cell.end])
                last = cell.end
            inner_end = row.end - len(f"</{p}row>")
            parts.append(text[last:inner_end])
            parts.extend(inserts.get(len(cells), []))
            start_tag = _widen_spans(row.start_tag, [t.column for t in row_targets])
            if not row.explicit:
                start_tag = _set_attr(start_tag, "r", str(row_number))
            splices.append((row.start, row.end, start_tag + "".join(parts) + f"</{p}row>"))
        elif row is not None:  # <row .../> without cells
            start_tag = _widen_spans(row.start_tag[:-2].rstrip() + ">", [t.column for t in row_targets])
            if not row.explicit:
                start_tag = _set_attr(start_tag, "r", str(row_number))
            splices.append((row.start, row.end, start_tag + "".join(x for _, x in new_cells) + f"</{p}row>"))
        else:
            i = bisect.bisect_left(st.row_numbers, row_number)
            at = st.rows[i].start if i < len(st.rows) else st.data_end
            xml = f'<{p}row r="{row_number}">' + "".join(x for _, x in new_cells) + f"</{p}row>"
            if i < len(st.rows) and not st.rows[i].explicit and st.rows[i].number not in made_explicit:
                following = st.rows[i]
                made_explicit.add(following.number)
                splices.append(
                    (
                        following.start,
                        following.start + len(following.start_tag),
                        _set_attr(following.start_tag, "r", str(following.number)),
                    )
                )
            splices.append((at, at, xml))
    if st.sheet_data_empty:
        s, e = st.sheet_data_tag
        tag = text[s:e][:-2].rstrip() + ">"
        body = "".join(x for _, _, x in sorted(splices, key=lambda x: x[0]))
        new_text = text[:s] + tag + body + f"</{p}sheetData>" + text[e:]
        return _update_dimension(new_text, p, targets), formulas
    out, last = [], 0
    for start, end, xml in sorted(splices, key=lambda x: (x[0], x[1])):
        out.append(text[last:start])
        out.append(xml)
        last = max(last, end)
    out.append(text[last:])
    return _update_dimension("".join(out), p, targets), formulas


def _restyle(styles: _Styles, cell: _Cell, t: _Target) -> int:
    assert t.fill is not None
    return styles.with_fill(int(cell.attrs.get("s", "0") or 0), t.fill, t.where)


def _widen_spans(start_tag: str, columns: list[int]) -> str:
    spans = _attrs(start_tag).get("spans")
    m = re.fullmatch(r"(\d+):(\d+)", spans or "")
    if not m:
        return start_tag
    lo, hi = int(m.group(1)), int(m.group(2))
    new_lo, new_hi = min([lo, *columns]), max([hi, *columns])
    return start_tag if (new_lo, new_hi) == (lo, hi) else _set_attr(start_tag, "spans", f"{new_lo}:{new_hi}")


def _update_dimension(text: str, p: str, targets: list[_Target]) -> str:
    m = re.search(rf"<{re.escape(p)}dimension\b[^>]*>", text)
    if not m:
        return text
    b = _parse_range(_attrs(m.group(0)).get("ref", ""))
    if b is None:
        return text
    r1, c1, r2, c2 = b
    nr1 = min([r1, *(t.row for t in targets)])
    nc1 = min([c1, *(t.column for t in targets)])
    nr2 = max([r2, *(t.row for t in targets)])
    nc2 = max([c2, *(t.column for t in targets)])
    if (nr1, nc1, nr2, nc2) == b:
        return text
    ref = f"{column_letter(nc1)}{nr1}:{column_letter(nc2)}{nr2}"
    return text[: m.start()] + _set_attr(m.group(0), "ref", ref) + text[m.end() :]


def _request_full_calc(text: str) -> str:
    m = re.search(r"<(?:([\w.-]+):)?workbook\b", text)
    p = f"{m.group(1)}:" if m and m.group(1) else ""
    calc = re.search(rf"<{re.escape(p)}calcPr\b[^>]*?/?>", text)
    if calc:
        return text[: calc.start()] + _set_attr(calc.group(0), "fullCalcOnLoad", "1") + text[calc.end() :]
    # calcPr comes after these elements in CT_Workbook; insert it before the first follower
    followers = (
        "oleSize",
        "customWorkbookViews",
        "pivotCaches",
        "smartTagPr",
        "smartTagTypes",
        "webPublishing",
        "fileRecoveryPr",
        "webPublishObjects",
        "extLst",
    )
    positions = [f.start() for name in followers if (f := re.search(rf"<{re.escape(p)}{name}\b", text))]
    close = text.rfind(f"</{p}workbook>")
    at = min(positions) if positions else close
    if at < 0:
        raise WriteBackError("xl/workbook.xml: no </workbook> to add calcPr to")
    return text[:at] + f'<{p}calcPr fullCalcOnLoad="1"/>' + text[at:]


def _prune_calc_chain(text: str, removed: dict[str, set[str]]) -> bytes:
    """calcChain.xml without the entries of cells that no longer hold a formula.

    An entry's `i` (sheet id) carries over to following entries that omit it, so an
    entry that is removed hands its `i` to the next one.
    """
    out, last, current_sheet, pending_i = [], 0, None, None
    for m in re.finditer(r"<(?:[\w.-]+:)?c\b[^>]*?/>", text):
        a = _attrs(m.group(0))
        explicit_i = a.get("i")
        if explicit_i is not None:
            current_sheet = explicit_i
        out.append(text[last : m.start()])
        last = m.end()
        if current_sheet in removed and a.get("r") in removed[current_sheet]:
            if explicit_i is not None:
                pending_i = explicit_i
            continue
        tag = m.group(0)
        if pending_i is not None and explicit_i is None:
            tag = _set_attr(tag, "i", pending_i)
        pending_i = None
        out.append(tag)
    out.append(text[last:])
    return "".join(out).encode("utf-8")
