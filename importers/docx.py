"""Word (.docx) questionnaires whose questions sit in tables.

The package is checked before any XML parser sees it (zip bomb bounds, no DTDs or
entities). Tables are read on their cell grid: `CellRef.sheet` is "table N" (1-based,
top-level tables in document order; a table inside a cell of table N is "table N.1", N.2 ...
in its order there, and so on down), row and column are the 1-based grid position of the
cell's top-left slot, with `w:gridBefore`, `w:gridSpan` and vertical merges (`w:vMerge`)
accounted for. `exporters/docx.py` resolves the same references with `table_at()` and
`table_grid()` here.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePath

from importers._safety import check_xml
from importers._table import cell_ranges
from importers._tabletext import (
    ID_VALUE,
    NUMBERED,
    family_of,
    header_columns,
    mark_columns,
    marked,
    pick_id_column,
    pick_question_column,
    question_like,
)
from importers.base import (
    CellRef,
    CorruptFile,
    EncryptedFile,
    NoQuestionsFound,
    ParsedQuestionnaire,
    Question,
    UnsafeFile,
    UnsupportedFormat,
)

__all__ = [
    "DocxImporter",
    "GridCell",
    "cell_text",
    "check_package",
    "checkbox_choices",
    "nested_tables",
    "table_at",
    "table_grid",
    "top_level_tables",
]

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MAX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_RATIO = 100
MAX_MEMBERS = 10_000
DOCUMENT_PART = "word/document.xml"

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")
_PLACEHOLDERS = {"click or tap here to enter text.", "click here to enter text.", "enter text here."}
_CHECKBOX = re.compile(r"([☐☒☑□■✓✔])\s*([^☐☒☑□■✓✔\t\n]+)")
_CHECKED = set("☒☑■✓✔")


def w(tag: str) -> str:
    """Clark name of a WordprocessingML element: w('tc') -> '{ns}tc'."""
    return f"{{{W_NS}}}{tag}"


# --- the package ---------------------------------------------------------------------


def check_package(data: bytes, filename: str) -> zipfile.ZipFile:
    """Open a .docx package after checking it is safe to parse.

    Raises EncryptedFile (password-protected: an OLE container with EncryptionInfo),
    UnsupportedFormat (legacy .doc, other packages, not a zip), CorruptFile (damaged zip,
    missing document part) or UnsafeFile (zip bomb bounds exceeded, DTD or entity
    declarations in an XML part).
    """
    if not data:
        raise CorruptFile(f"{filename}: the file is empty")
    if data.startswith(_OLE_MAGIC):
        if _ENCRYPTION_STREAM in data[:65536] or _ENCRYPTION_STREAM in data:
            raise EncryptedFile(f"{filename}: the document is password-protected; upload an unprotected copy")
        raise UnsupportedFormat(f"{filename}: legacy Word .doc is not supported; save it as .docx")
    if not data.startswith(b"PK"):
        raise UnsupportedFormat(f"{filename}: not a Word .docx document")
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
        members = package.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise CorruptFile(f"{filename}: damaged or truncated .docx package ({exc})") from exc
    if len(members) > MAX_MEMBERS:
        raise UnsafeFile(f"{filename}: {len(members):,} parts in the package is over the {MAX_MEMBERS:,} limit")
    total = sum(m.file_size for m in members)
    if total > MAX_UNCOMPRESSED:
        raise UnsafeFile(f"{filename}: unpacks to {total:,} bytes, over the {MAX_UNCOMPRESSED:,}-byte limit")
    for member in members:
        if member.file_size > 1024 * 1024 and member.file_size > MAX_RATIO * max(member.compress_size, 1):
            raise UnsafeFile(f"{filename}: part {member.filename} compresses {MAX_RATIO}x or more (zip bomb?)")
    if any(m.flag_bits & 0x1 for m in members):
        raise EncryptedFile(f"{filename}: the package is password-protected; upload an unprotected copy")
    names = {m.filename for m in members}
    if DOCUMENT_PART not in names:
        if "xl/workbook.xml" in names:
            raise UnsupportedFormat(f"{filename}: this is an Excel workbook, not a Word document")
        raise CorruptFile(f"{filename}: no {DOCUMENT_PART} in the package: not a Word document")
    for member in members:
        if not member.filename.endswith((".xml", ".rels")):
            continue
        check_xml(_read_member(package, member, filename), member.filename, filename)
    return package


def _read_member(package: zipfile.ZipFile, member: zipfile.ZipInfo, filename: str) -> bytes:
    try:
        with package.open(member) as stream:
            data = stream.read(member.file_size + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
        raise CorruptFile(f"{filename}: part {member.filename} is damaged ({exc})") from exc
    if len(data) > member.file_size:
        raise UnsafeFile(f"{filename}: part {member.filename} unpacks to more than its declared size")
    return data


# --- the table grid ------------------------------------------------------------------


def _content_children(element, tag: str) -> Iterator:
    """Children with `tag`, looking through content controls and custom XML wrappers."""
    for child in element:
        if child.tag == tag:
            yield child
        elif child.tag == w("sdt"):
            content = child.find(w("sdtContent"))
            if content is not None:
                yield from _content_children(content, tag)
        elif child.tag in (w("customXml"), w("smartTag")):
            yield from _content_children(child, tag)


def top_level_tables(body) -> list:
    """The `w:tbl` elements of the document body in order (nested tables excluded)."""
    return [element for element in _walk_blocks(body) if element.tag == w("tbl")]


def nested_tables(tbl) -> list:
    """The tables inside the cells of `tbl` (not those inside them), in document order."""
    return [
        inner
        for tr in _content_children(tbl, w("tr"))
        for tc in _content_children(tr, w("tc"))
        for inner in _content_children(tc, w("tbl"))
    ]


def _named_tables(tbl, name: str) -> Iterator[tuple[str, object]]:
    """`tbl` under `name` ("table 2"), then the tables inside it ("table 2.1", ...)."""
    yield name, tbl
    for n, inner in enumerate(nested_tables(tbl), start=1):
        yield from _named_tables(inner, f"{name}.{n}")


def table_at(body, path: tuple[int, ...]):
    """The table named "table " + ".".join(path) (see the module docstring), or None."""
    tables = top_level_tables(body)
    for index in path:
        if not 1 <= index <= len(tables):
            return None
        table = tables[index - 1]
        tables = nested_tables(table)
    return table


@dataclass(frozen=True)
class GridCell:
    """A `w:tc` at its grid position. `vmerge` is 'restart', 'continue' or None."""

    tc: object
    row: int
    column: int
    span: int
    vmerge: str | None

    def covers(self, column: int) -> bool:
        return self.column <= column < self.column + self.span


def _int_attr(element, default: int) -> int:
    if element is None:
        return default
    try:
        return max(default, int(element.get(w("val"), default)))
    except ValueError:
        return default


def table_grid(tbl) -> list[list[GridCell]]:
    """The rows of a table, each a list of GridCells with 1-based grid positions."""
    grid: list[list[GridCell]] = []
    for r, tr in enumerate(_content_children(tbl, w("tr")), start=1):
        trpr = tr.find(w("trPr"))
        before = trpr.find(w("gridBefore")) if trpr is not None else None
        column = 1 + (_int_attr(before, 0) if before is not None else 0)
        cells: list[GridCell] = []
        for tc in _content_children(tr, w("tc")):
            tcpr = tc.find(w("tcPr"))
            span = _int_attr(tcpr.find(w("gridSpan")) if tcpr is not None else None, 1)
            vmerge_el = tcpr.find(w("vMerge")) if tcpr is not None else None
            vmerge = None
            if vmerge_el is not None:
                vmerge = "restart" if vmerge_el.get(w("val")) == "restart" else "continue"
            cells.append(GridCell(tc, r, column, span, vmerge))
            column += span
        grid.append(cells)
    return grid


def owner(grid: list[list[GridCell]], row: int, column: int) -> GridCell | None:
    """The cell that holds grid slot (row, column): vertical merges resolve to their top."""
    if not 1 <= row <= len(grid):
        return None
    cell = next((c for c in grid[row - 1] if c.covers(column)), None)
    while cell is not None and cell.vmerge == "continue" and row > 1:
        row -= 1
        above = next((c for c in grid[row - 1] if c.covers(column)), None)
        if above is None:
            break
        cell = above
    return cell


def _run_text(element, out: list[str]) -> None:
    for child in element:
        tag = child.tag
        if not isinstance(tag, str):
            continue  # comments and processing instructions
        if tag == w("t"):
            out.append(child.text or "")
        elif tag == w("tab"):
            out.append("\t")
        elif tag in (w("br"), w("cr")):
            out.append("\n")
        elif tag == w("noBreakHyphen"):
            out.append("-")
        elif tag in (w("pPr"), w("rPr"), w("del"), w("txbxContent"), w("drawing"), w("pict")):
            continue
        elif "AlternateContent" not in tag:  # its Choice and Fallback would repeat the text
            _run_text(child, out)


def paragraph_text(p) -> str:
    out: list[str] = []
    _run_text(p, out)
    return "".join(out)


def cell_text(tc) -> str:
    """The text of a table cell: its paragraphs joined by newlines (nested tables skipped)."""
    return "\n".join(paragraph_text(p) for p in _content_children(tc, w("p")))


def has_formula_field(tc) -> bool:
    """The cell holds a Word formula field ({ =SUM(ABOVE) }, simple or complex): its text
    is computed, and writing the cell would replace the field by plain text."""
    for simple in tc.iter(w("fldSimple")):
        if (simple.get(w("instr")) or "").lstrip().startswith("="):
            return True
    instruction: list[str] = []
    for element in tc.iter(w("fldChar"), w("instrText")):
        if element.tag == w("instrText"):
            instruction.append(element.text or "")
        elif element.get(w("fldCharType")) in ("separate", "end"):
            if "".join(instruction).lstrip().startswith("="):
                return True
            instruction = []
    return False


def checkbox_choices(text: str) -> tuple[tuple[str, ...], str | None]:
    """('☐ Yes ☒ No') -> (('Yes', 'No'), 'No'): the options and the one ticked (or None)."""
    matches = _CHECKBOX.findall(text)
    if len(matches) < 2:
        return (), None
    choices = tuple(label.strip() for _, label in matches)
    ticked = [label.strip() for box, label in matches if box in _CHECKED]
    return choices, ticked[0] if len(ticked) == 1 else None


# --- finding the questions -----------------------------------------------------------


@dataclass
class _TableLayout:
    question: int
    answer: int
    comment: int | None
    id: int | None
    header_rows: set[int]
    marks: dict[str, int]


def _texts(grid: list[list[GridCell]]) -> list[dict[int, str]]:
    """Per row, {grid column: stripped text} of the cells that start there (merge
    continuations count as empty)."""
    return [{c.column: ("" if c.vmerge == "continue" else cell_text(c.tc).strip()) for c in row} for row in grid]


def _full_width(row: list[GridCell], width: int) -> bool:
    real = [c for c in row if c.vmerge != "continue"]
    return len(real) == 1 and real[0].span >= width > 1


def _table_layout(grid: list[list[GridCell]], texts: list[dict[int, str]], width: int) -> _TableLayout | None:
    header_rows: set[int] = set()
    header: dict[str, int] = {}
    marks: dict[str, int] = {}
    for r, row in enumerate(grid[:4]):
        if _full_width(row, width):
            continue
        cols = header_columns(texts[r].items())
        row_marks = mark_columns(texts[r].items())
        named = set(cols.values()) | set(row_marks.values())
        others = [t for c, t in texts[r].items() if t and c not in named]
        # A header row holds labels only: no question text, no question id. It names the
        # question column, or the answer column(s) plus at most one other label ("Control |
        # Response"). A data row answering "Requirement" is not a header.
        if any(question_like(t) or ID_VALUE.match(t) for t in others):
            continue
        if "question" in cols or (("answer" in cols or row_marks) and len(others) <= 1):
            header, marks, header_rows = cols, row_marks, {r}
            break
    data_rows = [r for r in range(len(grid)) if r not in header_rows and not _full_width(grid[r], width)]
    columns: dict[int, list[str]] = {}
    for r in data_rows:
        for col, text in texts[r].items():
            columns.setdefault(col, []).append(text)
    if marks and "answer" not in header:
        header["answer"] = min(marks.values())
    question = header.get("question")
    if question is None:
        limit = header.get("answer", width + 1)
        question = pick_question_column({c: v for c, v in columns.items() if c < limit})
        if question is None:
            return None
        if not header and not any(question_like(v) for v in columns[question]):
            return None
    answer = header.get("answer")
    if answer is None:
        following = Counter(
            c.column + c.span for r in data_rows for c in grid[r] if c.covers(question) and c.column + c.span <= width
        )
        if not following:
            return None
        answer = following.most_common(1)[0][0]
    comment = header.get("comment")
    if comment is None and not header:
        later = sorted(c for c in columns if c > answer and c not in (question,))
        comment = later[0] if later else None
    ident = header.get("id")
    if ident is None:
        ident = pick_id_column({c: v for c, v in columns.items() if c < question}, question)
    return _TableLayout(question, answer, comment, ident, header_rows, marks)


def _is_heading(paragraph, styles: dict[str, str]) -> bool:
    ppr = paragraph.find(w("pPr"))
    style = ppr.find(w("pStyle")) if ppr is not None else None
    if style is None:
        return ppr is not None and ppr.find(w("outlineLvl")) is not None
    name = styles.get(style.get(w("val"), ""), style.get(w("val"), ""))
    return name.lower().replace(" ", "").startswith("heading")  # not Title: that names the document


def _style_names(document) -> dict[str, str]:
    """{styleId: style name} from the styles part ('Heading1' -> 'heading 1')."""
    names: dict[str, str] = {}
    try:
        styles = document.part.styles.element
    except (KeyError, NotImplementedError, AttributeError):
        # AttributeError: python-docx when the styles relationship points at a part of
        # another type (a damaged package); headings are then not recognised, tables are.
        return names
    for style in styles.iterchildren(w("style")):
        name = style.find(w("name"))
        names[style.get(w("styleId"), "")] = name.get(w("val"), "") if name is not None else ""
    return names


def _questions_in_table(tbl, sheet: str, heading: str | None, warnings: list[str]) -> list[Question]:
    grid = table_grid(tbl)
    if not grid:
        return []
    width = max((c.column + c.span - 1 for row in grid for c in row), default=0)
    texts = _texts(grid)
    layout = _table_layout(grid, texts, width)
    if layout is None:
        return []
    section = heading
    questions: list[Question] = []
    formula_cells: list[CellRef] = []  # computed by a Word formula field: read, never written
    for r, row in enumerate(grid, start=1):
        if r - 1 in layout.header_rows:
            continue
        if _full_width(row, width):
            section = next((t for t in texts[r - 1].values() if t), "") or section
            continue
        q_cell = owner(grid, r, layout.question)
        a_cell = owner(grid, r, layout.answer)
        if q_cell is None or q_cell.row != r or q_cell.vmerge == "continue":
            continue
        text = cell_text(q_cell.tc).strip()
        if not text:
            continue
        if a_cell is None or a_cell.tc is q_cell.tc:
            continue
        c_cell = owner(grid, r, layout.comment) if layout.comment is not None else None
        if c_cell is not None and c_cell.tc in (q_cell.tc, a_cell.tc):
            c_cell = None
        id_cell = owner(grid, r, layout.id) if layout.id is not None else None
        ident = cell_text(id_cell.tc).strip() if id_cell is not None and id_cell.tc is not q_cell.tc else ""
        if not ident:
            m = NUMBERED.match(text)
            if m:
                ident, text = m.group(1), m.group(2).strip()
        elif not ID_VALUE.match(ident) and len(ident) > 20:
            ident = ""
        if a_cell.row != r:
            warnings.append(f"{sheet} row {r} shares its answer cell with row {a_cell.row}")
        mark_cells: dict[str, CellRef] = {}
        answer_cell: CellRef | None = CellRef(sheet, a_cell.row, a_cell.column)
        if layout.marks:
            owners = {label: owner(grid, r, col) for label, col in layout.marks.items()}
            owners = {k: c for k, c in owners.items() if c is not None and c.tc is not q_cell.tc}
            mark_cells = {label: CellRef(sheet, c.row, c.column) for label, c in owners.items()}
            choices = tuple(mark_cells)
            answer = marked({label: cell_text(c.tc) for label, c in owners.items()})
            computed = [CellRef(sheet, c.row, c.column) for c in owners.values() if has_formula_field(c.tc)]
            if computed:  # marking one clears the others: the row is read-only
                formula_cells.extend(computed)
                mark_cells, answer_cell = {}, None
        else:
            answer_text = cell_text(a_cell.tc).strip()
            choices, ticked = checkbox_choices(answer_text)
            answer = ticked if choices else answer_text
            if has_formula_field(a_cell.tc):
                formula_cells.append(answer_cell)
                answer_cell = None
        comment_cell = CellRef(sheet, c_cell.row, c_cell.column) if c_cell is not None else None
        if c_cell is not None and has_formula_field(c_cell.tc):
            formula_cells.append(comment_cell)
            comment_cell = None
        if answer and answer.lower() in _PLACEHOLDERS:
            answer = None
        comment = cell_text(c_cell.tc).strip() if c_cell is not None else ""
        if comment.lower() in _PLACEHOLDERS:
            comment = ""
        questions.append(
            Question(
                sheet=sheet,
                row=r,
                id=ident or None,
                text=text,
                answer_cell=answer_cell,
                comment_cell=comment_cell,
                choices=choices,
                section=section,
                answer=answer or None,
                comment=comment or None,
                mark_cells=mark_cells,
            )
        )
    if formula_cells:
        warnings.append(
            f"{sheet}: answer or comment cells {cell_ranges(formula_cells)} hold formula fields; their computed "
            "values are read as answers and the cells are never written"
        )
    return questions


class DocxImporter:
    """Word documents with questionnaire tables."""

    name = "docx"

    def detect(self, data: bytes, filename: str) -> bool:
        if PurePath(filename).suffix.lower() in (".docx", ".docm", ".doc"):
            return True
        if data.startswith(_OLE_MAGIC):
            return False  # legacy xls or doc without a name: the xlsx importer reports it
        if not data.startswith(b"PK\x03\x04"):
            return False
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as package:
                return DOCUMENT_PART in package.namelist()
        except (zipfile.BadZipFile, ValueError, EOFError):
            return False

    def parse(self, data: bytes, filename: str) -> ParsedQuestionnaire:
        """Read the questions in the document's tables.

        Raises EncryptedFile, UnsupportedFormat, CorruptFile, UnsafeFile (see
        check_package) or NoQuestionsFound when no table holds questions.
        """
        import docx  # python-docx; imported here so importing the registry stays cheap
        from docx.opc.exceptions import PackageNotFoundError
        from lxml.etree import XMLSyntaxError

        check_package(data, filename).close()
        try:
            document = docx.Document(io.BytesIO(data))
        except XMLSyntaxError as exc:
            if "Excessive depth" in str(exc) or "XML_PARSE_HUGE" in str(exc):  # libxml2's limit: 256 levels
                raise UnsafeFile(
                    f"{filename}: the document nests tables (or other parts) more than 255 levels deep; "
                    "no questionnaire needs that, so it is not read"
                ) from exc
            raise CorruptFile(f"{filename}: cannot open the Word document ({exc})") from exc
        except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            raise CorruptFile(f"{filename}: cannot open the Word document ({exc})") from exc
        except (TypeError, AttributeError) as exc:
            # python-docx trips over damaged relationship parts (no Target, no TargetMode,
            # a root element of the wrong type) with these; only this call is covered.
            raise CorruptFile(f"{filename}: a package relationship part is damaged ({exc})") from exc
        body = document.element.body
        styles = _style_names(document)
        tables = top_level_tables(body)
        index_of = {id(t): i for i, t in enumerate(tables, start=1)}
        nested = 0  # tables inside tables: a form's layout table often holds the questions
        questions: list[Question] = []
        warnings: list[str] = []
        heading: str | None = None
        loose_questions = 0  # question-shaped paragraphs outside tables: not read
        for element in _walk_blocks(body):
            if element.tag == w("p"):
                if _is_heading(element, styles):
                    heading = paragraph_text(element).strip() or heading
                elif _is_question_shaped(paragraph_text(element)):
                    loose_questions += 1
            elif element.tag == w("tbl"):
                for name, table in _named_tables(element, f"table {index_of[id(element)]}"):
                    nested += table is not element
                    questions.extend(_questions_in_table(table, name, heading, warnings))
        loose = (
            f"{loose_questions} question{'s' if loose_questions != 1 else ''} in paragraphs outside tables "
            "(only questions in tables with an answer column are read)"
        )
        if not questions:
            detail = f"; {loose}" if loose_questions else ""
            raise NoQuestionsFound(
                f"{filename}: no table with questions and an answer column found "
                f"({len(tables)} tables{f', {nested} inside them' if nested else ''}){detail}"
            )
        if loose_questions:
            # A silent partial parse is the worst failure: say what was left out.
            warnings.append(f"{loose} were not taken: answer them by hand or move them into a table")
        family, edition = family_of(questions)
        ids = Counter(q.id for q in questions if q.id)
        duplicates = sorted(i for i, n in ids.items() if n > 1)
        if duplicates:
            warnings.append(f"duplicate question ids: {', '.join(duplicates[:10])}")
        return ParsedQuestionnaire(family, None, "docx", questions, edition=edition, warnings=warnings)


def _is_question_shaped(text: str) -> bool:
    """A paragraph that reads as a question: ends with "?" and has a few words."""
    text = text.strip()
    return text.endswith("?") and len(text.split()) >= 3


def _walk_blocks(body) -> Iterator:
    """Paragraphs and top-level tables of the body in document order."""
    for child in body:
        if child.tag in (w("p"), w("tbl")):
            yield child
        elif child.tag in (w("sdt"), w("customXml")):
            content = child.find(w("sdtContent")) if child.tag == w("sdt") else child
            if content is not None:
                yield from _walk_blocks(content)
