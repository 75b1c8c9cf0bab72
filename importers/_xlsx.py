"""Read an xlsx/xlsm package for questionnaire import: cached values, merged cells and
dropdown lists (standard validations, defined names, and the x14 extension lists that
openpyxl drops), straight from the package XML.

Why not openpyxl's full load: it takes 2.5-3.6 s on a HECVAT 3.x Full workbook (it builds
styles for every cell of 256-column sheets) and still misses x14 validations; its
read-only mode is fast but has neither merged cells nor validations. One lxml pass over
the parts we need gives all three in a fraction of that (bench/bench_import.py).
Sheets are parsed lazily: a validation list on a hidden `Values` sheet parses that sheet
only when a list points at it.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
import zipfile
from dataclasses import dataclass, field

from lxml import etree
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.cell import range_boundaries
from openpyxl.utils.datetime import from_excel

from importers._safety import check_xml, is_zip, open_zip, read_member
from importers.base import (
    MAX_SHEET_ROWS,
    MAX_WORKBOOK_ELEMENTS,
    CellValue,
    CorruptFile,
    UnsupportedFormat,
    too_many_cells,
    too_many_rows,
)

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
X14_NS = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"
XM_NS = "http://schemas.microsoft.com/office/excel/2006/main"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
MAX_ROW, MAX_COL = 1_048_576, 16_384  # Excel's grid: a damaged address beyond it is refused
_CELL_RE = re.compile(r"^\$?([A-Z]{1,3})\$?([0-9]+)$")
_ROW_OR_CELL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)[\s/>]")
_NAME_RE = re.compile(r"^[A-Za-z_\\][A-Za-z0-9_.\\]*$")

Box = tuple[int, int, int, int]  # min_row, min_col, max_row, max_col


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def cell_text(value: CellValue) -> str:
    """A cached value as the text a user sees: whitespace stripped, 1.0 -> '1'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


@dataclass
class Sheet:
    """One worksheet's cached values, formulas, merges, validations and hidden rows/cols."""

    name: str
    state: str
    cells: dict[tuple[int, int], CellValue] = field(default_factory=dict)
    formulas: set[tuple[int, int]] = field(default_factory=set)
    merged: list[Box] = field(default_factory=list)
    validations: list[tuple[list[Box], str]] = field(default_factory=list)
    hidden_rows: set[int] = field(default_factory=set)
    hidden_cols: set[int] = field(default_factory=set)
    tables: list[Box] = field(default_factory=list)
    max_row: int = 0
    max_col: int = 0
    _anchor: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)

    @property
    def visible(self) -> bool:
        return self.state == "visible"

    def value(self, row: int, col: int) -> CellValue:
        return self.cells.get((row, col))

    def text(self, row: int, col: int) -> str:
        return cell_text(self.cells.get((row, col)))

    def is_formula(self, row: int, col: int) -> bool:
        return (row, col) in self.formulas

    def anchor(self, row: int, col: int) -> tuple[int, int]:
        """The top-left cell of the merged range holding (row, col), else the cell itself."""
        return self._anchor.get((row, col), (row, col))

    def merged_text(self, row: int, col: int) -> str:
        """Text of the cell, or of its merge anchor (a vertically merged domain column)."""
        return self.text(*self.anchor(row, col))

    def rows(self) -> range:
        return range(1, self.max_row + 1)

    def row_texts(self, row: int, max_col: int | None = None) -> dict[int, str]:
        """Non-empty texts of one row by column."""
        out = {}
        for col in range(1, (max_col or self.max_col) + 1):
            t = self.text(row, col)
            if t:
                out[col] = t
        return out


CONTENT_TYPES = "[Content_Types].xml"


def _format_of(content_types: etree._Element | None, names: set[str]) -> str:
    """'xlsm' or 'xlsx', as Excel reads the package, never by the file name: Excel refuses
    a file whose extension disagrees with the content type its [Content_Types].xml gives
    the workbook part (a plain workbook named .xlsm, a macro-enabled one named .xlsx).
    When no content type names that part, a vbaProject.bin part makes it macro-enabled."""
    declared = ""
    if content_types is not None:
        for override in content_types.iter(f"{{{CT_NS}}}Override"):
            if override.get("PartName", "").lower() == "/xl/workbook.xml":
                declared = override.get("ContentType", "").lower()
        if not declared:
            for default in content_types.iter(f"{{{CT_NS}}}Default"):
                if default.get("Extension", "").lower() == "xml":
                    declared = default.get("ContentType", "").lower()
    if "spreadsheetml" in declared or "ms-excel" in declared:  # a workbook's own content type
        return "xlsm" if "macroenabled" in declared else "xlsx"
    return "xlsm" if any(name.lower() == "xl/vbaproject.bin" for name in names) else "xlsx"


def workbook_format(data: bytes, filename: str) -> str:
    """'xlsm' or 'xlsx' for a workbook package by its content (see `_format_of`): the
    extension its completed file must carry. Raises CorruptFile or UnsafeFile for a
    damaged package or [Content_Types].xml."""
    package = open_zip(data, filename)
    try:
        names = set(package.namelist())
        root = None
        if CONTENT_TYPES in names:
            raw = read_member(package, CONTENT_TYPES, filename)
            check_xml(raw, CONTENT_TYPES, filename)
            try:
                root = etree.fromstring(raw, _PARSER)
            except etree.XMLSyntaxError as exc:
                raise CorruptFile(f"{filename}: {CONTENT_TYPES} is not well-formed XML ({exc})") from exc
        return _format_of(root, names)
    finally:
        package.close()


class Workbook:
    """The parts of an xlsx package an importer needs. Sheets parse on first use."""

    def __init__(self, data: bytes, filename: str) -> None:
        self.filename = filename
        if not is_zip(data):
            raise UnsupportedFormat(f"{filename}: not an xlsx/xlsm workbook")
        self._zip: zipfile.ZipFile = open_zip(data, filename)
        self._names = set(self._zip.namelist())
        if "xl/workbook.xml" not in self._names:
            raise UnsupportedFormat(f"{filename}: a zip package but not an Excel workbook")
        content_types = self._xml(CONTENT_TYPES) if CONTENT_TYPES in self._names else None
        self.format = _format_of(content_types, self._names)
        self._strings = self._shared_strings()
        self.sheet_names: list[str] = []
        self._states: dict[str, str] = {}
        self._paths: dict[str, str] = {}
        self.defined_names: dict[tuple[str | None, str], str] = {}
        self._at = ""
        for part, step in (("xl/styles.xml", self._date_style_ids), ("xl/workbook.xml", self._read_workbook)):
            try:
                step()
            except (ValueError, OverflowError) as exc:  # int() of a damaged attribute
                raise CorruptFile(f"{filename}: {part} is damaged ({exc})") from exc
        self._sheets: dict[str, Sheet] = {}
        self._elements = 0  # <row> and <c> elements of the sheets parsed so far (MAX_WORKBOOK_ELEMENTS)
        self._list_cache: dict[tuple[str, str], tuple[str, ...]] = {}

    # -- package -------------------------------------------------------------------
    def _read(self, part: str) -> bytes:
        raw = read_member(self._zip, part, self.filename)
        check_xml(raw, part, self.filename)
        return raw

    def _xml(self, part: str) -> etree._Element:
        try:
            return etree.fromstring(self._read(part), _PARSER)
        except etree.XMLSyntaxError as exc:
            raise CorruptFile(f"{self.filename}: {part} is not well-formed XML ({exc})") from exc

    def scan_all_xml(self) -> None:
        """Check every XML part for DOCTYPE/ENTITY, not only the ones we parse (the
        exporter hands the package back to Excel and to openpyxl)."""
        for name in self._names:
            if name.endswith((".xml", ".rels", ".vml")):
                self._read(name)

    def _rels(self, part: str) -> dict[str, str]:
        folder, base = posixpath.split(part)
        rels_part = posixpath.join(folder, "_rels", base + ".rels")
        if rels_part not in self._names:
            return {}
        out = {}
        for rel in self._xml(rels_part).iter(f"{{{PKG_REL_NS}}}Relationship"):
            target = rel.get("Target", "")
            if rel.get("TargetMode") == "External":
                continue
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
            out[rel.get("Id", "")] = path
        return out

    def _shared_strings(self) -> list[str]:
        if "xl/sharedStrings.xml" not in self._names:
            return []
        out = []
        for si in self._xml("xl/sharedStrings.xml").iter(_q("si")):
            # Phonetic runs (rPh) are furigana, not part of the text.
            out.append("".join(t.text or "" for t in si.iter(_q("t")) if t.getparent().tag != _q("rPh")))
        return out

    def _date_style_ids(self) -> None:
        self._date_styles = self._read_date_style_ids()

    def _read_date_style_ids(self) -> set[int]:
        if "xl/styles.xml" not in self._names:
            return set()
        root = self._xml("xl/styles.xml")
        formats = dict(BUILTIN_FORMATS)
        for nf in root.iter(_q("numFmt")):
            formats[int(nf.get("numFmtId", "0"))] = nf.get("formatCode", "")
        out = set()
        xfs = root.find(_q("cellXfs"))
        if xfs is not None:
            for i, xf in enumerate(xfs.iter(_q("xf"))):
                code = formats.get(int(xf.get("numFmtId", "0")))
                if code and is_date_format(code):
                    out.add(i)
        return out

    def _read_workbook(self) -> None:
        root = self._xml("xl/workbook.xml")
        rels = self._rels("xl/workbook.xml")
        for sh in root.iter(_q("sheet")):
            name = sh.get("name", "")
            self.sheet_names.append(name)
            self._states[name] = sh.get("state", "visible")
            self._paths[name] = rels.get(sh.get(f"{{{R_NS}}}id", ""), "")
        for dn in root.iter(_q("definedName")):
            local = dn.get("localSheetId")
            scope = self.sheet_names[int(local)] if local is not None and int(local) < len(self.sheet_names) else None
            self.defined_names[(scope, (dn.get("name") or "").lower())] = (dn.text or "").strip()

    # -- sheets ----------------------------------------------------------------------
    def state(self, name: str) -> str:
        return self._states[name]

    def sheet(self, name: str) -> Sheet:
        if name not in self._sheets:
            self._at = ""
            try:
                self._sheets[name] = self._parse_sheet(name)
            except (ValueError, OverflowError) as exc:  # int()/float() of a damaged attribute
                where = f" at {self._at}" if self._at else ""
                raise CorruptFile(f"{self.filename}: sheet {name!r} is damaged{where} ({exc})") from exc
        return self._sheets[name]

    def sheets(self) -> list[Sheet]:
        return [self.sheet(n) for n in self.sheet_names if self._paths.get(n) in self._names]

    def _parse_sheet(self, name: str) -> Sheet:
        path = self._paths.get(name, "")
        sheet = Sheet(name=name, state=self._states.get(name, "visible"))
        if path not in self._names:
            return sheet  # a chartsheet or a dangling relationship: no cells
        raw = self._read(path)
        # Count on the bytes before building the tree: a 300k-row export would take
        # gigabytes and minutes to parse, to be refused afterwards. A visible sheet is the
        # questionnaire: MAX_SHEET_ROWS rows. A hidden one is a lookup list that may be long;
        # what bounds the cost is every sheet read: MAX_WORKBOOK_ELEMENTS rows and cells.
        rows, elements = 0, self._elements
        limit_rows = sheet.visible
        for m in _ROW_OR_CELL_TAG.finditer(raw):
            elements += 1
            if elements > MAX_WORKBOOK_ELEMENTS:
                raise too_many_cells(self.filename, f"sheet {name!r}")
            if m.group(1) == b"row":
                rows += 1
                if limit_rows and rows > MAX_SHEET_ROWS:
                    raise too_many_rows(self.filename, f"sheet {name!r}")
        self._elements = elements
        try:
            root = etree.fromstring(raw, _PARSER)
        except etree.XMLSyntaxError as exc:
            raise CorruptFile(f"{self.filename}: {path} is not well-formed XML ({exc})") from exc
        del raw
        strings, dates = self._strings, self._date_styles
        for col in root.iter(_q("col")):
            if col.get("hidden") in ("1", "true"):
                sheet.hidden_cols.update(range(int(col.get("min", "1")), min(int(col.get("max", "1")), 16384) + 1))
        data = root.find(_q("sheetData"))
        last_row = 0
        for row in data.iterfind(_q("row")) if data is not None else ():
            self._at = f"row {row.get('r') or last_row + 1}"
            r = int(row.get("r") or last_row + 1)
            if not 1 <= r <= MAX_ROW:
                raise CorruptFile(f"{self.filename}: sheet {name!r} has a row number {r} outside 1..{MAX_ROW}")
            last_row = r
            if row.get("hidden") in ("1", "true"):
                sheet.hidden_rows.add(r)
            last_col = 0
            for c in row.iterfind(_q("c")):
                ref = c.get("r")
                if ref:
                    self._at = f"cell {ref}"
                    m = _CELL_RE.match(ref)
                    if not m:
                        raise CorruptFile(f"{self.filename}: sheet {name!r} has a malformed cell address {ref!r}")
                    col = _col_index(m.group(1))
                else:
                    col = last_col + 1
                if col > MAX_COL:
                    raise CorruptFile(f"{self.filename}: sheet {name!r} has a cell beyond column XFD ({ref or col})")
                last_col = col
                if c.find(_q("f")) is not None:
                    sheet.formulas.add((r, col))
                value = self._cell_value(c, strings, dates)
                if value is None or value == "":
                    continue
                sheet.cells[(r, col)] = value
                sheet.max_row = max(sheet.max_row, r)
                sheet.max_col = max(sheet.max_col, col)
        for mc in root.iter(_q("mergeCell")):
            box = _box(mc.get("ref", ""))
            if box is None:
                continue
            sheet.merged.append(box)
            r0, c0, r1, c1 = box
            # Whole-row merges (A8:XFD8) would be 16384 entries a row: cap at the used width.
            c1 = min(c1, max(sheet.max_col, c0) + 1)
            r1 = min(r1, max(sheet.max_row, r0) + 1)
            for rr in range(r0, r1 + 1):
                for cc in range(c0, c1 + 1):
                    if (rr, cc) != (r0, c0):
                        sheet._anchor[(rr, cc)] = (r0, c0)
        for dv in root.iter(_q("dataValidation")):
            if dv.get("type") != "list":
                continue
            f1 = dv.find(_q("formula1"))
            sheet.validations.append((_boxes(dv.get("sqref", "")), (f1.text or "").strip() if f1 is not None else ""))
        for dv in root.iter(f"{{{X14_NS}}}dataValidation"):
            if dv.get("type") != "list":
                continue
            f = dv.find(f"{{{X14_NS}}}formula1/{{{XM_NS}}}f")
            sqref = dv.find(f"{{{XM_NS}}}sqref")
            sheet.validations.append(
                (_boxes(sqref.text or "" if sqref is not None else ""), (f.text or "").strip() if f is not None else "")
            )
        for rid, target in self._rels(path).items():
            if "/tables/" in target and target in self._names:
                t = self._xml(target)
                box = _box(t.get("ref", ""))
                if box:
                    sheet.tables.append(box)
            del rid
        return sheet

    def _cell_value(self, c: etree._Element, strings: list[str], dates: set[int]) -> CellValue:
        t = c.get("t", "n")
        if t == "inlineStr":
            is_ = c.find(_q("is"))
            return "".join(x.text or "" for x in is_.iter(_q("t"))) if is_ is not None else None
        v = c.find(_q("v"))
        if v is None or v.text is None:
            return None
        raw = v.text
        if t == "s":
            try:
                return strings[int(raw)]
            except (ValueError, IndexError) as exc:
                raise CorruptFile(f"{self.filename}: cell {c.get('r')} points at a missing shared string") from exc
        if t in ("str", "d"):
            return raw
        if t == "b":
            return raw == "1"
        if t == "e":
            return None  # #REF!, #N/A: no value a user would call an answer
        try:
            num = float(raw)
        except ValueError:
            return raw
        if int(c.get("s", "0")) in dates:
            try:
                return from_excel(num)
            except (ValueError, OverflowError):
                return num
        return int(num) if num.is_integer() and "." not in raw and "E" not in raw.upper() else num

    # -- dropdowns -------------------------------------------------------------------
    def choices(self, sheet: Sheet, row: int, col: int) -> tuple[str, ...]:
        """Values the cell's list validation allows (standard first, then x14); () if none."""
        for boxes, formula in sheet.validations:
            if any(r0 <= row <= r1 and c0 <= col <= c1 for r0, c0, r1, c1 in boxes):
                key = (sheet.name, formula)
                if key not in self._list_cache:
                    self._list_cache[key] = self._resolve_list(sheet.name, formula, depth=0)
                return self._list_cache[key]
        return ()

    def _resolve_list(self, sheet_name: str, formula: str, depth: int) -> tuple[str, ...]:
        f = formula.strip()
        if f.startswith("="):
            f = f[1:].strip()
        if not f or depth > 5:
            return ()
        if f.startswith('"'):
            items = f.strip('"').replace('""', '"').split(",")
            return tuple(i.strip() for i in items if i.strip())
        if "!" in f:
            target, _, ref = f.rpartition("!")
            target = target.strip("'").replace("''", "'")
        else:
            target, ref = sheet_name, f
        if _NAME_RE.match(ref) and not _CELL_RE.match(ref):
            defined = self.defined_names.get((sheet_name, ref.lower())) or self.defined_names.get((None, ref.lower()))
            return self._resolve_list(sheet_name, defined, depth + 1) if defined else ()
        box = _box(ref)
        if box is None or target not in self._states:
            return ()  # INDIRECT/OFFSET or a missing sheet: not resolvable statically
        src = self.sheet(target)
        r0, c0, r1, c1 = box
        values = []
        for r in range(r0, min(r1, r0 + 1000) + 1):
            for c in range(c0, min(c1, c0 + 50) + 1):
                t = src.text(r, c)
                if t:
                    values.append(t)
        return tuple(values)


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _box(ref: str) -> Box | None:
    ref = ref.replace("$", "").strip()
    if not ref:
        return None
    try:
        c0, r0, c1, r1 = range_boundaries(ref)
    except (ValueError, TypeError):
        return None
    if c0 is None and r0 is None:
        return None
    # Whole columns (C:C) or whole rows (3:3).
    return (r0 or 1, c0 or 1, r1 or 1_048_576, c1 or 16_384)


def _boxes(sqref: str) -> list[Box]:
    return [b for b in (_box(p) for p in sqref.split()) if b is not None]


_cache: list[tuple[bytes, str, Workbook]] = []


def open_workbook(data: bytes, filename: str) -> Workbook:
    """The Workbook for these bytes; the last one is kept so detect() and parse() of
    several importers share one read. Raises UnsupportedFormat / CorruptFile / UnsafeFile."""
    for cached_data, cached_name, wb in _cache:
        if cached_data is data and cached_name == filename:
            return wb
    wb = Workbook(data, filename)
    _cache[:] = [(data, filename, wb)]
    return wb


def is_workbook(data: bytes, filename: str) -> bool:
    """Cheap detect: a zip whose package holds xl/workbook.xml."""
    if not is_zip(data):
        return False
    try:
        return open_workbook(data, filename) is not None
    except UnsupportedFormat:
        return False
