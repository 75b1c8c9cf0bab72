"""write_back() on synthetic workbooks built in code: typing, escaping, placement, dropdown
checks, highlighting and the package-level guarantees (untouched parts byte-identical)."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import openpyxl
import pytest
from openpyxl.styles import Border, Font, PatternFill, Side
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from exporters.xlsx import MAX_CELL_CHARS, ValueNotAllowed, WriteBackError, list_choices, write_back
from importers.base import CellRef

SHEET = "HECVAT - Full | Vendor Response"
X14_NS = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"
XM_NS = "http://schemas.microsoft.com/office/excel/2006/main"


# --------------------------------------------------------------------------- builders


def save(wb: openpyxl.Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def sheet_part(data: bytes, index: int = 1) -> str:
    return f"xl/worksheets/sheet{index}.xml"


def replace_part(data: bytes, name: str, edit) -> bytes:
    """Rebuild a zip with one member's text edited (a test helper, so zipfile is fine here)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == name:
                content = edit(content.decode()).encode()
            dst.writestr(info, content)
    return buf.getvalue()


def add_member(data: bytes, name: str, content: bytes) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info.filename))
        dst.writestr(name, content)
    return buf.getvalue()


def x14_list(data: bytes, part: str, formula: str, sqref: str) -> bytes:
    """Add an Excel 2010 x14 list validation (openpyxl cannot write those)."""
    ext = (
        f'<extLst><ext uri="{{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}}" xmlns:x14="{X14_NS}">'
        f'<x14:dataValidations count="1" xmlns:xm="{XM_NS}">'
        '<x14:dataValidation type="list" allowBlank="1" showErrorMessage="1">'
        f"<x14:formula1><xm:f>{formula}</xm:f></x14:formula1><xm:sqref>{sqref}</xm:sqref>"
        "</x14:dataValidation></x14:dataValidations></ext></extLst>"
    )
    return replace_part(data, part, lambda t: t.replace("</worksheet>", ext + "</worksheet>"))


def questionnaire() -> bytes:
    """A small HECVAT-like workbook: ids in A, questions in B, answers in C, comments in D,
    a hidden Values sheet, inline / defined-name / x14 dropdowns, merges and styles."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = SHEET
    ws["A1"] = "Title"
    ws.merge_cells("C3:E3")
    ws["A3"], ws["B3"] = "GNRL-01", "Vendor name"
    rows = [("COMP-01", "Do you have a security team?"), ("COMP-02", "Uptime tier?"), ("COMP-03", "Hosting?")]
    for i, (qid, text) in enumerate(rows, start=5):
        ws.cell(i, 1, qid)
        ws.cell(i, 2, text)
        ws.cell(i, 4, "old comment")
    ws["C5"].font = Font(bold=True, color="FF0000")
    ws["C5"].border = Border(left=Side(style="thin"), bottom=Side(style="double"))
    ws["C6"].font = Font(bold=True, color="FF0000")
    ws["C6"].border = Border(left=Side(style="thin"), bottom=Side(style="double"))
    ws["C9"] = "=B5"
    ws["F5"] = '=IF(C5="Yes",1,0)'
    ws.row_dimensions[7].hidden = True
    ws.column_dimensions["H"].hidden = True
    ws.conditional_formatting.add("C5:C7", openpyxl.formatting.rule.CellIsRule(operator="equal", formula=['"No"']))
    dv = DataValidation(type="list", formula1='"Yes,No,N/A"', allow_blank=True)
    dv.add("C5")
    ws.add_data_validation(dv)
    dv2 = DataValidation(type="list", formula1="uptime", allow_blank=True)
    dv2.add("C6")
    ws.add_data_validation(dv2)
    values = wb.create_sheet("(backend scoring)")
    for r, v in enumerate(["Tier I", "Tier II", "1) Yes", "2) No"], start=1):
        values.cell(r, 1, v)
    values.sheet_state = "hidden"
    wb.defined_names["uptime"] = DefinedName("uptime", attr_text="'(backend scoring)'!$A$1:$A$2")
    data = save(wb)
    # openpyxl asks for recalculation itself; Excel-saved files do not
    data = replace_part(data, "xl/workbook.xml", lambda t: t.replace(' fullCalcOnLoad="1"', ""))
    return x14_list(data, sheet_part(data), "'(backend scoring)'!$A$3:$A$4", "C7")


def read(data: bytes, *, data_only: bool = True) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data), data_only=data_only)


def members(data: bytes) -> dict[str, tuple[int, int, int, bytes]]:
    """name -> (compress type, crc, compressed size, raw local record bytes)."""
    z = zipfile.ZipFile(io.BytesIO(data))
    infos = sorted(z.infolist(), key=lambda i: i.header_offset)
    out = {}
    for info, nxt in zip(infos, [*infos[1:], None], strict=True):
        end = nxt.header_offset if nxt else z.start_dir
        out[info.filename] = (info.compress_type, info.CRC, info.compress_size, data[info.header_offset : end])
    return out


def part_text(data: bytes, name: str) -> str:
    return zipfile.ZipFile(io.BytesIO(data)).read(name).decode()


def ref(coordinate: str, sheet: str = SHEET) -> CellRef:
    return CellRef.parse(sheet, coordinate)


# --------------------------------------------------------------------------- text and types


@pytest.mark.parametrize(
    "text",
    ["=1+1", "+SUM(A1)", "-2", "@foo", '=HYPERLINK("http://evil.example","click")', "=cmd|' /C calc'!A0"],
)
def test_write_back_writes_formula_like_text_as_text(text):
    out = write_back(questionnaire(), {ref("D5"): text})
    cell = read(out, data_only=False)[SHEET]["D5"]
    assert cell.value == text
    assert cell.data_type == "s"
    assert "<f>" not in re.search(r'<c r="D5".*?</c>', part_text(out, sheet_part(out))).group(0)


@pytest.mark.parametrize(
    "text",
    ["<&>\"'", "line one\nline two\n\nline four", "Zürich – 東京 – emoji 🔒", "  leading and trailing  ", "tab\there"],
)
def test_write_back_round_trips_text_exactly(text):
    out = write_back(questionnaire(), {ref("D5"): text})
    assert read(out)[SHEET]["D5"].value == text


def test_write_back_normalises_carriage_returns_to_line_feeds():
    out = write_back(questionnaire(), {ref("D5"): "a\r\nb\rc"})
    assert read(out)[SHEET]["D5"].value == "a\nb\nc"


def test_write_back_escapes_literal_excel_escape_sequences():
    out = write_back(questionnaire(), {ref("D5"): "literal _x0041_ here"})
    # Excel decodes _xHHHH_ in cell text; the underscore must be escaped to survive
    assert "literal _x005F_x0041_ here" in part_text(out, sheet_part(out))


def test_write_back_types_numbers_bools_and_dates():
    data = questionnaire()
    out = write_back(
        data,
        {
            ref("D5"): 42,
            ref("D6"): 2.5,
            ref("D7"): True,
            ref("D8"): dt.date(2026, 11, 28),
            ref("E8"): dt.datetime(2026, 1, 2, 12),
        },
    )
    ws = read(out)[SHEET]
    assert ws["D5"].value == 42 and ws["D5"].data_type == "n"
    assert ws["D6"].value == 2.5
    assert ws["D7"].value is True and ws["D7"].data_type == "b"
    assert ws["D8"].value == dt.datetime(2026, 11, 28)  # openpyxl reads date-formatted serials back as datetimes
    assert ws["D8"].is_date
    assert ws["E8"].value == dt.datetime(2026, 1, 2, 12)
    assert re.search(r'<c r="D8"[^>]*><v>46354</v></c>', part_text(out, sheet_part(out)))


def test_write_back_uses_the_1904_date_system_when_the_workbook_does():
    data = replace_part(
        questionnaire(), "xl/workbook.xml", lambda t: re.sub(r"<workbookPr\b", '<workbookPr date1904="1"', t)
    )
    out = write_back(data, {ref("D8"): dt.date(1904, 1, 2)})
    assert re.search(r'<c r="D8"[^>]*><v>1</v></c>', part_text(out, sheet_part(out)))


def test_write_back_keeps_an_existing_date_style():
    wb = openpyxl.Workbook()
    wb.active["A1"] = dt.date(2020, 1, 1)
    wb.active["A1"].number_format = "yyyy-mm-dd"
    data = save(wb)
    out = write_back(data, {CellRef("Sheet", 1, 1): dt.date(2026, 11, 28)})
    cell = read(out)["Sheet"]["A1"]
    assert cell.value == dt.datetime(2026, 11, 28) and cell.number_format == "yyyy-mm-dd"
    assert members(out)["xl/styles.xml"] == members(data)["xl/styles.xml"]


def test_write_back_none_clears_the_value_and_keeps_the_style():
    data = questionnaire()
    before = read(data)[SHEET]["C5"]
    data = write_back(data, {ref("C5"): "Yes"})
    out = write_back(data, {ref("C5"): None, ref("C9"): None})
    ws = read(out, data_only=False)[SHEET]
    assert ws["C5"].value is None and ws["C9"].value is None
    assert ws["C5"].font.b and ws["C5"].font.color.rgb == before.font.color.rgb


def test_write_back_overwrites_a_formula_and_prunes_the_calc_chain():
    data = add_member(
        questionnaire(),
        "xl/calcChain.xml",
        b'<?xml version="1.0"?><calcChain xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<c r="C9" i="1"/><c r="F5"/></calcChain>',
    )
    out = write_back(data, {ref("C9"): "Acme"})
    assert read(out, data_only=False)[SHEET]["C9"].value == "Acme"
    chain = part_text(out, "xl/calcChain.xml")
    assert 'r="C9"' not in chain and '<c r="F5" i="1"/>' in chain


def test_write_back_refuses_a_shared_formula_master():
    shared = '<c r="F5"><f t="shared" ref="F5:F7" si="0">B5</f><v>0</v></c>'
    data = replace_part(questionnaire(), "xl/worksheets/sheet1.xml", lambda t: re.sub(r'<c r="F5".*?</c>', shared, t))
    with pytest.raises(WriteBackError, match=r"F5.*shared formula"):
        write_back(data, {ref("F5"): "x"})


def test_write_back_refuses_illegal_characters_and_overlong_text():
    with pytest.raises(WriteBackError, match=r"D5.*U\+000B"):
        write_back(questionnaire(), {ref("D5"): "soft\x0bbreak"})
    with pytest.raises(WriteBackError, match=r"D5.*32,767"):
        write_back(questionnaire(), {ref("D5"): "x" * (MAX_CELL_CHARS + 1)})
    assert (
        read(write_back(questionnaire(), {ref("D5"): "x" * MAX_CELL_CHARS}))[SHEET]["D5"].value == "x" * MAX_CELL_CHARS
    )


@pytest.mark.parametrize(
    ("data", "values", "pattern"),
    [
        (None, {CellRef("Nope", 1, 1): "x"}, "no sheet named 'Nope'"),
        (None, {CellRef(SHEET, 0, 1): "x"}, "not a cell address"),
        (b"PK\x03\x04 not really a zip", {CellRef(SHEET, 1, 1): "x"}, "not a readable xlsx package"),
        (b"\xd0\xcf\x11\xe0 an encrypted OLE file", {CellRef(SHEET, 1, 1): "x"}, "not a readable xlsx package"),
        (None, {CellRef(SHEET, 3, 3): "a", CellRef(SHEET, 3, 4): "b"}, "one merged range"),
        (None, {CellRef(SHEET, 5, 4): object()}, "cannot write a object"),
    ],
)
def test_write_back_errors_name_the_problem(data, values, pattern):
    with pytest.raises(WriteBackError, match=pattern):
        write_back(data or questionnaire(), values)


# --------------------------------------------------------------------------- placement


def test_write_back_inserts_cells_in_row_and_column_order():
    data = questionnaire()
    out = write_back(data, {ref("A6"): "before", ref("Z5"): "after", ref("C4"): "empty row", ref("B40"): "beyond"})
    text = part_text(out, sheet_part(out))
    ws = read(out)[SHEET]
    assert (ws["Z5"].value, ws["C4"].value, ws["B40"].value) == ("after", "empty row", "beyond")
    rows = [int(r) for r in re.findall(r'<row r="(\d+)"', text)]
    assert rows == sorted(rows) and 4 in rows and rows[-1] == 40
    for row_xml in re.findall(r"<row .*?</row>", text):
        cols = [openpyxl.utils.column_index_from_string(c) for c in re.findall(r'<c r="([A-Z]+)\d+"', row_xml)]
        assert cols == sorted(cols)
    assert re.search(r'<dimension ref="A1:Z40"/>', text)


def test_write_back_fills_a_self_closed_empty_row_and_keeps_its_height():
    data = replace_part(
        questionnaire(),
        "xl/worksheets/sheet1.xml",
        lambda t: t.replace('<row r="5"', '<row r="4" ht="30" customHeight="1"/><row r="5"'),
    )
    out = write_back(data, {ref("C4"): "x"})
    assert re.search(
        r'<row r="4" ht="30" customHeight="1"><c r="C4"[^>]*t="inlineStr">', part_text(out, sheet_part(out))
    )
    ws = read(out)[SHEET]
    assert ws["C4"].value == "x" and ws.row_dimensions[4].height == 30


def test_write_back_handles_rows_and_cells_without_addresses():
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row><c t="inlineStr"><is><t>a1</t></is></c><c t="inlineStr"><is><t>b1</t></is></c></row>'
        '<row><c t="inlineStr"><is><t>a2</t></is></c></row></sheetData></worksheet>'
    )
    wb = openpyxl.Workbook()
    data = replace_part(save(wb), "xl/worksheets/sheet1.xml", lambda _: sheet)
    out = write_back(
        data, {CellRef("Sheet", 1, 1): "new a1", CellRef("Sheet", 2, 3): "c2", CellRef("Sheet", 1, 4): "d1"}
    )
    ws = read(out)["Sheet"]
    assert [[c.value for c in row] for row in ws.iter_rows(min_row=1, max_row=2, max_col=4)] == [
        ["new a1", "b1", None, "d1"],
        ["a2", None, "c2", None],
    ]


def test_write_back_targets_the_top_left_cell_of_a_merged_range():
    out = write_back(questionnaire(), {ref("E3"): "Acme Corp"})
    ws = read(out)[SHEET]
    assert ws["C3"].value == "Acme Corp"
    assert "C3:E3" in [str(r) for r in ws.merged_cells.ranges]


def test_write_back_changes_only_the_target_cells_in_the_sheet():
    data = questionnaire()
    out = write_back(data, {ref("C5"): "Yes", ref("D6"): "new comment"})
    old, new = part_text(data, sheet_part(data)), part_text(out, sheet_part(out))
    cell = r'<c r="{}"[^>]*?(?:/>|>.*?</c>)'
    for coordinate in ("C5", "D6"):
        old = re.sub(cell.format(coordinate), "", old, count=1)
        new = re.sub(cell.format(coordinate), "", new, count=1)
    assert old == new


def test_write_back_keeps_every_other_part_byte_identical():
    data = questionnaire()
    out = write_back(data, {ref("C5"): "Yes"})
    before, after = members(data), members(out)
    assert list(before) == list(after)
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"xl/worksheets/sheet1.xml", "xl/workbook.xml"}


def test_write_back_requests_full_recalculation_on_load():
    out = write_back(questionnaire(), {ref("C5"): "Yes"})
    assert re.search(r'<calcPr[^>]*fullCalcOnLoad="1"', part_text(out, "xl/workbook.xml"))
    no_calc = replace_part(questionnaire(), "xl/workbook.xml", lambda t: re.sub(r"<calcPr[^>]*/>", "", t))
    out = write_back(no_calc, {ref("C5"): "Yes"})
    text = part_text(out, "xl/workbook.xml")
    assert '<calcPr fullCalcOnLoad="1"/>' in text
    assert read(out)[SHEET]["C5"].value == "Yes"


def test_write_back_keeps_validations_merges_formats_and_hidden_rows():
    data = questionnaire()
    out = write_back(data, {ref("C5"): "No", ref("C6"): "Tier II", ref("C7"): "1) Yes"})
    old, new = part_text(data, sheet_part(data)), part_text(out, sheet_part(out))
    for pattern in (r"<dataValidation\b", r"<x14:dataValidation\b", r"<conditionalFormatting\b", r"<mergeCell\b"):
        assert len(re.findall(pattern, new)) == len(re.findall(pattern, old)) > 0
    assert old[old.index("</sheetData>") :] == new[new.index("</sheetData>") :]
    ws = read(out)[SHEET]
    assert ws.row_dimensions[7].hidden and ws.column_dimensions["H"].hidden


def test_write_back_to_a_sheet_without_cells():
    wb = openpyxl.Workbook()
    wb.create_sheet("Empty")
    out = write_back(save(wb), {CellRef("Empty", 3, 2): "first"})
    assert read(out)["Empty"]["B3"].value == "first"


# --------------------------------------------------------------------------- dropdowns


def test_list_choices_reads_inline_defined_name_and_x14_lists():
    choices = list_choices(questionnaire())
    assert choices[ref("C5")] == ("Yes", "No", "N/A")
    assert choices[ref("C6")] == ("Tier I", "Tier II")
    assert choices[ref("C7")] == ("1) Yes", "2) No")
    assert ref("D5") not in choices


@pytest.mark.parametrize(("coordinate", "value"), [("C5", "Maybe"), ("C6", "Tier III"), ("C7", "Yes"), ("C5", "yes")])
def test_write_back_refuses_values_outside_the_dropdown(coordinate, value):
    with pytest.raises(ValueNotAllowed) as err:
        write_back(questionnaire(), {ref(coordinate): value})
    message = str(err.value)
    assert SHEET in message and coordinate in message and repr(value) in message
    assert write_back(questionnaire(), {ref(coordinate): value}, check_choices=False)


def test_write_back_accepts_dropdown_values_and_clearing():
    out = write_back(questionnaire(), {ref("C5"): "N/A", ref("C6"): "Tier I", ref("C7"): "2) No", ref("D5"): None})
    ws = read(out)[SHEET]
    assert (ws["C5"].value, ws["C6"].value, ws["C7"].value) == ("N/A", "Tier I", "2) No")


# --------------------------------------------------------------------------- packages and styles


def test_write_back_leaves_xlsm_macros_and_content_types_untouched():
    data = add_member(questionnaire(), "xl/vbaProject.bin", bytes(range(256)) * 40)
    out = write_back(data, {ref("C5"): "Yes"})
    before, after = members(data), members(out)
    assert after["xl/vbaProject.bin"] == before["xl/vbaProject.bin"]
    assert after["[Content_Types].xml"] == before["[Content_Types].xml"]


def test_highlight_adds_a_fill_and_keeps_fonts_and_borders():
    data = questionnaire()
    out = write_back(
        data, {ref("C5"): "Yes"}, highlight={ref("C5"): "FFFF00", ref("C6"): "#ffff00", ref("D9"): "00B0F0"}
    )
    ws = read(out)[SHEET]
    for coordinate in ("C5", "C6"):
        cell = ws[coordinate]
        assert cell.fill.fill_type == "solid" and cell.fill.fgColor.rgb == "FFFFFF00"
        assert cell.font.b and cell.font.color.rgb == "00FF0000"
        assert cell.border.left.style == "thin" and cell.border.bottom.style == "double"
    assert ws["C5"].style_id == ws["C6"].style_id  # one new xf per (style, colour)
    assert ws["D9"].fill.fgColor.rgb == "FF00B0F0"
    assert ws["C7"].fill.fill_type is None  # untouched cells keep their look
    assert ws["D5"].value == "old comment" and ws["D5"].fill.fill_type is None
    styles_before = part_text(data, "xl/styles.xml")
    styles_after = part_text(out, "xl/styles.xml")
    count = int(re.search(r'<cellXfs count="(\d+)"', styles_before).group(1))
    assert f'<cellXfs count="{count + 2}"' in styles_after


def test_highlight_alone_keeps_the_cell_value_and_formula():
    data = questionnaire()
    out = write_back(data, {}, highlight={ref("F5"): "FFFF00", ref("D5"): "FFFF00", ref("C9"): "FFFF00"})
    ws = read(out, data_only=False)[SHEET]
    assert ws["F5"].value == '=IF(C5="Yes",1,0)' and ws["C9"].value == "=B5" and ws["D5"].value == "old comment"
    assert all(ws[c].fill.fgColor.rgb == "FFFFFF00" for c in ("F5", "D5", "C9"))


def test_highlight_rejects_a_bad_colour():
    with pytest.raises(WriteBackError, match="highlight colour"):
        write_back(questionnaire(), {}, highlight={ref("C5"): "yellow"})


def test_write_back_without_anything_to_write_returns_the_original():
    data = questionnaire()
    assert write_back(data, {}) is data


def test_write_back_finds_sheets_with_special_characters_in_their_names():
    out = write_back(questionnaire(), {CellRef("(backend scoring)", 10, 1): "x", ref("D5"): "y"})
    wb = read(out)
    assert wb["(backend scoring)"]["A10"].value == "x" and wb[SHEET]["D5"].value == "y"
    assert wb["(backend scoring)"].sheet_state == "hidden"


def test_existing_fill_is_kept_on_cells_that_are_not_highlighted():
    wb = openpyxl.Workbook()
    wb.active["A1"] = "x"
    wb.active["A1"].fill = PatternFill("solid", fgColor="FF00FF00")
    out = write_back(save(wb), {CellRef("Sheet", 1, 1): "y"})
    assert read(out)["Sheet"]["A1"].fill.fgColor.rgb == "FF00FF00"
