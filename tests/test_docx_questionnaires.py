"""Word questionnaires: finding questions in tables, write-back round trips, bad packages."""

from __future__ import annotations

import io
import zipfile

import docx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exporters.docx import _XML_ILLEGAL, ValueNotAllowed, WriteBackError, write_back
from exporters.xlsx import WriteBackError as XlsxWriteBackError
from importers import load
from importers.base import CellRef, CorruptFile, EncryptedFile, NoQuestionsFound, UnsafeFile, UnsupportedFormat
from importers.docx import DocxImporter
from tests import docx_builders as build


def parse(data: bytes, filename: str = "q.docx"):
    return DocxImporter().parse(data, filename)


def parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return {name: package.read(name) for name in package.namelist()}


# --- reading -------------------------------------------------------------------------


def test_header_table_with_sections_and_a_second_table():
    parsed = parse(build.header_table_doc())
    assert parsed.format == "docx"
    assert parsed.family == "generic"
    # The cover table (table 1) holds no questions but still counts in the numbering.
    assert [(q.sheet, q.row, q.id) for q in parsed.questions] == [
        ("table 2", 2, "AC-01"),
        ("table 2", 3, "AC-02"),
        ("table 2", 5, "LG-01"),
        ("table 2", 6, "LG-02"),
        ("table 3", 2, None),
        ("table 3", 3, None),
    ]
    ac01, ac02, lg01, lg02, rest, transit = parsed.questions
    assert lg01.answer == "No"
    assert ac01.text == "Do you enforce multi-factor authentication?"
    assert (ac01.answer, ac01.comment) == ("Yes", "For all staff")
    assert ac01.answer_cell == CellRef("table 2", 2, 3)
    assert ac01.comment_cell == CellRef("table 2", 2, 4)
    assert (ac02.answer, ac02.comment) == (None, None)
    assert [q.section for q in parsed.questions] == ["Access Control"] * 2 + ["Logging"] * 2 + ["Data Protection"] * 2
    assert lg02.answer == "Pending"
    assert rest.choices == ("Yes", "No")
    assert rest.answer == "No"
    assert transit.answer is None
    assert rest.answer_cell == CellRef("table 3", 2, 2)
    assert rest.comment_cell == CellRef("table 3", 2, 3)


def test_table_without_header_uses_the_column_next_to_the_questions():
    parsed = parse(build.no_header_doc())
    assert [q.id for q in parsed.questions] == ["1.1", "1.2", "1.3"]
    assert [q.answer_cell for q in parsed.questions] == [CellRef("table 1", r, 3) for r in (1, 2, 3)]
    assert all(q.comment_cell is None for q in parsed.questions)
    assert parsed.questions[2].answer == "The CISO"
    assert parsed.questions[0].section == "General"


def test_merged_question_cells_put_answers_on_the_grid_column():
    parsed = parse(build.merged_doc())
    assert [q.text for q in parsed.questions] == [
        "Do you segment production networks?",
        "Do you run an IDS?",
        "Do you use a WAF?",
        "Do you have a bug bounty?",
    ]
    assert [q.answer_cell for q in parsed.questions] == [CellRef("table 1", r, 4) for r in (2, 3, 4, 5)]
    assert [q.comment_cell for q in parsed.questions] == [CellRef("table 1", r, 5) for r in (2, 3, 4, 5)]


def test_numbering_inside_the_question_text_becomes_the_id():
    parsed = parse(build.numbered_text_doc())
    assert [(q.id, q.text) for q in parsed.questions[:2]] == [
        ("1", "Does the vendor perform background checks?"),
        ("2", "Describe your vulnerability management program."),
    ]
    assert [q.answer for q in parsed.questions] == [None, None, "Yes"]
    assert {q.section for q in parsed.questions} == {None}  # the Title is not a section


def test_document_without_question_tables_raises_no_questions_found():
    with pytest.raises(NoQuestionsFound):
        parse(build.no_questions_doc())


def _mixed_doc() -> bytes:
    """4 questions in a table, 4 numbered questions as plain paragraphs."""
    document = docx.Document()
    document.add_paragraph("Please answer every question.")
    for n in range(5, 9):
        document.add_paragraph(f"{n}. Do you run control number {n} every quarter?", style="List Number")
    table = document.add_table(rows=4, cols=2)
    for r in range(4):
        build.fill_row(table, r, [f"{r + 1}. Is control {r + 1} in place?", ""])
    document.add_paragraph("Why?")  # too short to be a question
    return build.to_bytes(document)


def test_questions_in_paragraphs_outside_tables_are_warned_about():
    parsed = parse(_mixed_doc())
    assert len(parsed.questions) == 4
    assert any("4 questions in paragraphs outside tables" in w and "not taken" in w for w in parsed.warnings)


def test_table_only_document_has_no_paragraph_warning():
    assert not any("outside tables" in w for w in parse(build.numbered_text_doc()).warnings)


def test_no_question_tables_error_counts_paragraph_questions():
    document = docx.Document()
    document.add_paragraph("1. Do you encrypt customer data at rest?")
    with pytest.raises(NoQuestionsFound, match="1 question in paragraphs outside tables"):
        parse(build.to_bytes(document))


def test_registry_loads_docx_by_content_without_extension():
    parsed = load(build.no_header_doc(), "upload")
    assert parsed.format == "docx"


# --- writing back ----------------------------------------------------------------------

SHAPES = [build.header_table_doc, build.no_header_doc, build.merged_doc, build.numbered_text_doc]


@pytest.mark.parametrize("make", SHAPES, ids=lambda f: f.__name__)
def test_round_trip_reads_back_every_written_value(make):
    original = make()
    parsed = parse(original)
    values: dict[CellRef, str] = {}
    for n, q in enumerate(parsed.questions):
        values[q.answer_cell] = q.choices[-1] if q.choices else f"Answer {n} <&>\nsecond line"
        if q.comment_cell is not None:
            values[q.comment_cell] = f"  Comment {n}\twith a tab"
    written = write_back(original, values)
    again = parse(written)
    assert [(q.sheet, q.row, q.text) for q in again.questions] == [(q.sheet, q.row, q.text) for q in parsed.questions]
    for q in again.questions:
        assert q.answer == values[q.answer_cell]
        if q.comment_cell is not None:
            assert q.comment == values[q.comment_cell].strip()


def test_untouched_parts_are_byte_identical():
    original = build.header_table_doc()
    parsed = parse(original)
    written = write_back(original, {parsed.questions[1].answer_cell: "Yes"})
    before, after = parts(original), parts(written)
    assert list(after) == list(before)
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"word/document.xml"}
    assert any(name.startswith("word/media/") for name in before)
    assert any(name.startswith("word/header") for name in before)


def test_cell_formatting_and_line_breaks_are_kept():
    original = build.header_table_doc()
    lg02 = parse(original).questions[3]
    written = write_back(original, {lg02.answer_cell: "First line\nSecond line"})
    cell = docx.Document(io.BytesIO(written)).tables[1].rows[5].cells[2]
    assert len(cell.paragraphs) == 1
    run = cell.paragraphs[0].runs[0]
    assert run.bold is True
    assert run.font.size.pt == 9
    assert cell.text == "First line\nSecond line"
    assert len(cell._tc.xpath(".//w:br")) == 1


def test_checkbox_answers_tick_the_chosen_box():
    original = build.header_table_doc()
    transit = parse(original).questions[5]
    written = write_back(original, {transit.answer_cell: "Yes"})
    cell = docx.Document(io.BytesIO(written)).tables[2].rows[2].cells[1]
    assert cell.text == "☒ Yes ☐ No"
    assert parse(written).questions[5].answer == "Yes"


def test_a_value_that_is_no_checkbox_option_is_refused_and_empty_clears_the_boxes():
    original = build.header_table_doc()
    rest = parse(original).questions[4]
    assert rest.answer == "No"
    with pytest.raises(ValueNotAllowed, match="Maybe"):
        write_back(original, {rest.answer_cell: "Maybe"})
    cleared = parse(write_back(original, {rest.answer_cell: ""})).questions[4]
    assert (cleared.choices, cleared.answer) == (("Yes", "No"), None)


def test_writing_into_a_merged_slot_writes_the_merged_cell():
    original = build.merged_doc()
    # Grid column 3 of row 2 is inside the question cell merged over columns 2-3.
    written = write_back(original, {CellRef("table 1", 2, 3): "changed question"})
    assert parse(written).questions[0].text == "changed question"


@pytest.mark.parametrize(
    ("ref", "match"),
    [
        (CellRef("table 9", 1, 1), "table 9 does not exist"),
        (CellRef("table 1", 40, 1), "no cell at row 40"),
        (CellRef("table 1", 1, 9), "no cell at row 1, column 9"),
        (CellRef("Sheet1", 1, 1), "not a sheet"),
    ],
)
def test_unknown_cell_refs_are_refused(ref, match):
    with pytest.raises(WriteBackError, match=match):
        write_back(build.no_header_doc(), {ref: "Yes"})


def test_write_back_error_is_the_shared_exporter_error():
    assert WriteBackError is XlsxWriteBackError


def test_write_back_of_nothing_returns_identical_bytes():
    original = build.no_header_doc()
    assert write_back(original, {}) == original


# --- bad packages ----------------------------------------------------------------------


def _rezip(original: bytes, replace: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(original)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, replace.get(info.filename, src.read(info)))
        for name, data in replace.items():
            if name not in src.namelist():
                dst.writestr(name, data)
    return out.getvalue()


def _xxe_doc() -> bytes:
    original = build.no_header_doc()
    document = parts(original)["word/document.xml"]
    evil = document.replace(
        b"?>",
        b'?><!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        1,
    )
    return _rezip(original, {"word/document.xml": evil})


def _zip_encrypted_doc() -> bytes:
    """Set the 'encrypted' flag on every central-directory entry (zipfile cannot write one)."""
    data = bytearray(build.no_header_doc())
    start = 0
    while (start := data.find(b"PK\x01\x02", start)) != -1:
        data[start + 8] |= 0x01
        start += 4
    return bytes(data)


def _bomb_doc() -> bytes:
    return _rezip(build.no_header_doc(), {"word/media/filler.bin": b"\x00" * (8 * 1024 * 1024)})


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (lambda: b"", CorruptFile),
        (lambda: b"\x00\x01\x02 binary junk" * 20, UnsupportedFormat),
        (lambda: build.no_header_doc()[:1500], CorruptFile),
        (lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, UnsupportedFormat),
        (
            lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512 + "EncryptionInfo".encode("utf-16-le"),
            EncryptedFile,
        ),
        (_zip_encrypted_doc, EncryptedFile),
        (_xxe_doc, UnsafeFile),
        (_bomb_doc, UnsafeFile),
    ],
    ids=["empty", "binary", "truncated-zip", "legacy-doc", "encrypted", "zip-encrypted", "xxe", "zip-bomb"],
)
def test_bad_packages_raise_the_specific_error(make, error):
    with pytest.raises(error):
        parse(make())


def test_total_uncompressed_size_is_bounded(monkeypatch):
    import importers.docx as module

    monkeypatch.setattr(module, "MAX_UNCOMPRESSED", 10_000)
    with pytest.raises(UnsafeFile, match="unpacks to"):
        parse(build.no_header_doc())


def test_write_back_refuses_an_unsafe_original():
    with pytest.raises(WriteBackError, match="DTD"):
        write_back(_xxe_doc(), {CellRef("table 1", 1, 3): "Yes"})


def test_grid_before_nested_tables_and_content_controls():
    original = build.odd_grid_doc()
    parsed = parse(original)
    assert [(q.sheet, q.row, q.id, q.answer_cell) for q in parsed.questions] == [
        ("table 1", 2, "N-1", CellRef("table 1", 2, 3)),
        ("table 1", 3, None, CellRef("table 1", 3, 3)),
        ("table 2", 2, "S-1", CellRef("table 2", 2, 3)),
    ]
    assert parsed.questions[2].answer == "Yes"
    values = {q.answer_cell: f"value {n}" for n, q in enumerate(parsed.questions)}
    again = parse(write_back(original, values))
    assert [q.answer for q in again.questions] == ["value 0", "value 1", "value 2"]
    # The nested table in the answer cell is kept (only paragraphs are replaced).
    written = docx.Document(io.BytesIO(write_back(original, values)))
    assert len(written.tables[0].rows[1].cells[2].tables) == 1


def test_questions_in_tables_inside_tables_are_read_and_written_back():
    """A form whose second part sits in a layout table: its questions were dropped without
    a word (only top-level tables were read), and a form laid out wholly that way was
    refused as having no question table."""
    original = build.nested_form_doc()
    parsed = parse(original)
    assert [(q.sheet, q.row, q.id, q.answer, q.section) for q in parsed.questions] == [
        ("table 1", 2, "A-1", None, "Part 1"),
        ("table 1", 3, "A-2", None, "Part 1"),
        ("table 2.1", 2, "B-1", None, "Part 2"),
        ("table 2.1", 3, "B-2", "Yes", "Part 2"),
        ("table 2.1.1", 2, None, None, "Part 2"),
    ]
    assert parsed.warnings == []
    values = {q.answer_cell: f"value {n}" for n, q in enumerate(parsed.questions)}
    written = write_back(original, values)
    assert [q.answer for q in parse(written).questions] == [f"value {n}" for n in range(5)]
    # the answer cell holding the innermost table keeps it
    again = docx.Document(io.BytesIO(written))
    assert again.tables[1].cell(0, 0).tables[0].rows[2].cells[2].tables[0].cell(1, 0).text == (
        "Is the plan tested every year?"
    )
    for ref, match in (
        (CellRef("table 2.2", 2, 3), "table 2.2 does not exist"),
        (CellRef("table 1.1", 1, 1), "table 1.1 does not exist"),
    ):
        with pytest.raises(WriteBackError, match=match):
            write_back(original, {ref: "Yes"})


def test_a_form_with_its_questions_only_inside_a_layout_table_is_read():
    document = docx.Document()
    cell = document.add_table(rows=1, cols=1).cell(0, 0)
    inner = cell.add_table(rows=2, cols=3)
    build.fill_row(inner, 0, ["ID", "Question", "Answer"])
    build.fill_row(inner, 1, ["Q1", "Do you encrypt customer data at rest?", ""])
    parsed = parse(build.to_bytes(document))
    assert [(q.sheet, q.id, q.answer_cell) for q in parsed.questions] == [
        ("table 1.1", "Q1", CellRef("table 1.1", 2, 3))
    ]


_CELL_TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="☐☒☑□■✓✔"),
    max_size=40,
)


@settings(max_examples=40, deadline=None)
@given(value=_CELL_TEXT)
def test_any_text_round_trips_through_a_word_cell(value):
    original = build.no_header_doc()
    ref = parse(original).questions[0].answer_cell
    again = parse(write_back(original, {ref: value})).questions[0]
    expected = _XML_ILLEGAL.sub("", value.replace("\r\n", "\n").replace("\r", "\n")).strip()
    assert again.answer == (expected or None)


def test_header_naming_only_the_answer_column_and_a_vertically_merged_answer():
    parsed = parse(build.answer_header_only_doc())
    assert [(q.row, q.answer, q.answer_cell) for q in parsed.questions] == [
        (2, "Yes", CellRef("table 1", 2, 2)),
        (3, "Yes, quarterly", CellRef("table 1", 3, 2)),
        (4, "Yes, quarterly", CellRef("table 1", 3, 2)),
    ]
    assert parsed.warnings == ["table 1 row 4 shares its answer cell with row 3"]


def test_flask_inspect_reads_a_word_questionnaire(runner, tmp_path):
    import json

    path = tmp_path / "vendor questionnaire.docx"
    path.write_bytes(build.header_table_doc())
    result = runner.invoke(args=["inspect", str(path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["format"], report["count"]) == ("docx", 6)
    assert report["questions"][0]["answer_cell"] == "C2"
    assert report["questions"][0]["sheet"] == "table 2"


def test_flask_inspect_rejects_an_xxe_document_with_exit_code_2(runner, tmp_path):
    path = tmp_path / "evil.docx"
    path.write_bytes(_xxe_doc())
    result = runner.invoke(args=["inspect", str(path)])
    assert result.exit_code == 2
    assert "DTD" in result.output


def test_write_back_of_many_answers_writes_every_one():
    # its speed (about 0.04 s; 7 s when it was quadratic) is printed by bench/bench_write_back.py
    original = build.large_doc(500)
    parsed = parse(original)
    written = write_back(original, {q.answer_cell: "Yes" for q in parsed.questions})
    assert {q.answer for q in parse(written).questions} == {"Yes"}


def test_answers_marked_under_yes_no_na_columns():
    original = build.mark_columns_doc()
    first, second = parse(original).questions
    assert (first.id, first.answer, first.comment, first.choices) == ("1", "Yes", "BitLocker", ("Yes", "No", "N/A"))
    assert first.mark_cells == {label: CellRef("table 1", 2, col) for label, col in (("Yes", 3), ("No", 4), ("N/A", 5))}
    assert first.answer_cell == CellRef("table 1", 2, 3)
    assert second.answer is None
    written = write_back(original, {**first.cell_values("No"), **second.cell_values("N/A", "Not used")})
    again = parse(written).questions
    assert [(q.answer, q.comment) for q in again] == [("No", "BitLocker"), ("N/A", "Not used")]
