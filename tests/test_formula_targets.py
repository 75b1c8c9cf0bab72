"""No importer offers a cell that holds a formula as a target: the xlsx exporter aborts a
whole write-back on a shared formula's master, and overwriting any formula drops it. CAIQ
answer, mark and notes cells, generic mark columns, and Word cells holding a formula field
are read (cached value) and never written; a warning names them."""

import io
import re
import zipfile

import pytest
from openpyxl import Workbook

import importers
from exporters import xlsx as xlsx_export


def _bytes(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _shared(data: bytes, master: str, ref: str, children: list[str]) -> bytes:
    """`data` with the formula of `master` made the master of a shared formula over `ref`
    and the formulas of `children` its dependants (openpyxl never writes shared formulas),
    each with a cached value 'x' so the cell reads as marked."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = body.decode()
                for cell in [master, *children]:
                    pattern = rf'<c r="{cell}"([^>]*)><f>([^<]*)</f><v\s*/?>(?:</v>)?'
                    m = re.search(pattern, text)
                    assert m, cell
                    f = '<f t="shared" si="0"/>'
                    if cell == master:
                        f = f'<f t="shared" ref="{ref}" si="0">{m.group(2)}</f>'
                    attrs = re.sub(r'\s*t="\w+"', "", m.group(1))
                    text = text[: m.start()] + f'<c r="{cell}"{attrs} t="str">{f}<v>x</v>' + text[m.end() :]
                body = text.encode()
            dst.writestr(info, body)
    return out.getvalue()


def _write_every_answer(data: bytes, parsed, answer: str = "Yes") -> bytes:
    values = {}
    for q in parsed.questions:
        if q.answer_cell is None:
            continue
        choice = answer if not q.choices or answer in q.choices else q.choices[0]
        values.update(q.cell_values(choice, "written by the test" if q.comment_cell else None))
    return xlsx_export.write_back(data, values, check_choices=False)


def _caiq_v3() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "CAIQ v3.0.1"
    ws.append(["Consensus Assessments Initiative Questionnaire v3.0.1"])
    ws.append(["Control Domain", "Question ID", "Consensus Assessment Questions", "Answers"] + [None] * 2 + ["Notes"])
    ws.append([None, None, None, "Yes", "No", "Not Applicable", None, None])
    ws.append(["AIS", "AIS-01.1", "Do you use industry standards to build in security?", None, None, None, None, ""])
    for r, qid in ((5, "AIS-01.2"), (6, "AIS-01.3")):
        mark = f'=IF(H{r}="y","x","")'
        ws.append(["AIS", qid, f"Do you run check number {r} on every release?", mark, None, None, "n", "y"])
    ws.append(["AIS", "AIS-01.4", "Do you review code before release?", None, None, None, '=IF(H7="y","ok","")', "y"])
    return _shared(_bytes(wb), "D5", "D5:D6", ["D6"])


def test_caiq_3_mark_cells_holding_a_shared_formula_are_read_not_written():
    data = _caiq_v3()
    parsed = importers.load(data, "caiq.xlsx")
    assert parsed.family == "caiq"
    by_id = {q.id: q for q in parsed.questions}
    for qid in ("AIS-01.2", "AIS-01.3"):
        assert (by_id[qid].answer_cell, by_id[qid].mark_cells, by_id[qid].answer) == (None, {}, "Yes")
    assert by_id["AIS-01.1"].mark_cells and by_id["AIS-01.1"].answer_cell.coordinate == "D4"
    assert by_id["AIS-01.4"].comment_cell is None and by_id["AIS-01.4"].answer_cell is not None
    assert any("D5:D6, G7 hold formulas" in w for w in parsed.warnings), parsed.warnings
    out = _write_every_answer(data, parsed)  # aborted on the shared formula's master before
    again = {q.id: q for q in importers.load(out, "caiq.xlsx").questions}
    assert again["AIS-01.1"].answer == "Yes"
    assert again["AIS-01.2"].answer == "Yes"  # the formula still computes it


def _caiq_v4() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "CAIQv4.0.3"
    ws.append(["Consensus Assessments Initiative Questionnaire v4.0.3"])
    header = ["Question ID", "Question", "CSP CAIQ Answer", "SSRM Control Ownership", "CSP Implementation Description"]
    ws.append(header)
    ws.append(["A&A-01.1", "Are audit policies established and documented?", None, None, None])
    ws.append(["A&A-02.1", "Are independent audits conducted yearly?", '=IF(1,"x","")', None, None])
    ws.append(["A&A-03.1", "Is a risk-based audit plan kept?", '=IF(1,"x","")', None, '=IF(1,"x","")'])
    return _shared(_bytes(wb), "C4", "C4:C5", ["C5"])


def test_caiq_4_answer_and_comment_cells_holding_formulas_are_not_targets():
    data = _caiq_v4()
    parsed = importers.load(data, "caiq4.xlsx")
    assert parsed.family == "caiq"
    by_id = {q.id: q for q in parsed.questions}
    assert by_id["A&A-01.1"].answer_cell.coordinate == "C3"
    assert by_id["A&A-02.1"].answer_cell is None and by_id["A&A-02.1"].answer == "x"
    assert by_id["A&A-03.1"].comment_cell is None
    assert any("C4:C5, E5 hold formulas" in w for w in parsed.warnings), parsed.warnings
    _write_every_answer(data, parsed)


def test_generic_mark_columns_holding_a_shared_formula_are_read_not_written():
    wb = Workbook()
    ws = wb.active
    ws.title = "Security"
    ws.append(["ID", "Question", "Yes", "No", "N/A", "Comments", "Flag"])
    ws.append(["1", "Do you encrypt data at rest?", None, None, None, None, "y"])
    ws.append(["2", "Do you encrypt data in transit?", '=IF(G3="y","x","")', None, None, None, "y"])
    ws.append(["3", "Do you enforce multi-factor authentication?", '=IF(G4="y","x","")', None, None, None, "y"])
    data = _shared(_bytes(wb), "C3", "C3:C4", ["C4"])
    parsed = importers.load(data, "marks.xlsx")
    if not parsed.questions[0].mark_cells:
        pytest.skip("the table reader does not see Yes/No/N/A as mark columns here")
    second = parsed.questions[1]
    assert (second.answer_cell, second.mark_cells, second.answer) == (None, {}, "Yes")
    assert second.choices == ("Yes", "No", "N/A")
    assert any("C3:C4 hold formulas" in w for w in parsed.warnings), parsed.warnings
    _write_every_answer(data, parsed)


# --- Word: a cell computed by a formula field --------------------------------------------

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _field_doc() -> bytes:
    """Question | Answer | Comments; row 2's answer is a simple formula field, row 3's
    comment a complex one (fldChar begin / instrText / separate / result / end)."""
    import docx
    from docx.oxml import parse_xml

    from tests.docx_builders import fill_row, to_bytes

    document = docx.Document()
    table = document.add_table(rows=4, cols=3)
    fill_row(table, 0, ["Question", "Answer", "Comments"])
    fill_row(table, 1, ["Do you enforce multi-factor authentication?", "", ""])
    fill_row(table, 2, ["How many data centres do you run?", "", ""])
    fill_row(table, 3, ["Do you encrypt backups?", "", ""])
    simple = parse_xml(f'<w:fldSimple xmlns:w="{_W}" w:instr=" =SUM(ABOVE) "><w:r><w:t>3</w:t></w:r></w:fldSimple>')
    table.rows[2].cells[1].paragraphs[0]._p.append(simple)
    complex_runs = [
        f'<w:r xmlns:w="{_W}"><w:fldChar w:fldCharType="begin"/></w:r>',
        f'<w:r xmlns:w="{_W}"><w:instrText xml:space="preserve"> = 2 * 21 </w:instrText></w:r>',
        f'<w:r xmlns:w="{_W}"><w:fldChar w:fldCharType="separate"/></w:r>',
        f'<w:r xmlns:w="{_W}"><w:t>42</w:t></w:r>',
        f'<w:r xmlns:w="{_W}"><w:fldChar w:fldCharType="end"/></w:r>',
    ]
    for run in complex_runs:
        table.rows[3].cells[2].paragraphs[0]._p.append(parse_xml(run))
    return to_bytes(document)


def test_word_cells_holding_a_formula_field_are_read_not_written():
    from exporters import docx as docx_export

    data = _field_doc()
    parsed = importers.load(data, "q.docx")
    mfa, centres, backups = parsed.questions
    assert mfa.answer_cell is not None and mfa.comment_cell is not None
    assert (centres.answer_cell, centres.answer) == (None, "3")
    assert backups.answer_cell is not None and backups.comment_cell is None
    assert backups.comment == "42"
    assert any("table 1: answer or comment cells B3, C4 hold formula fields" in w for w in parsed.warnings)
    values = {}
    for q in parsed.questions:
        if q.answer_cell is not None:
            values.update(q.cell_values("Yes", "written" if q.comment_cell else None))
    out = docx_export.write_back(data, values)
    with zipfile.ZipFile(io.BytesIO(out)) as package:
        document = package.read("word/document.xml").decode()
    assert "=SUM(ABOVE)" in document and "= 2 * 21" in document  # both fields survive
    again = importers.load(out, "q.docx").questions
    assert [q.answer for q in again] == ["Yes", "3", "Yes"]
