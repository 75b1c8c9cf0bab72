"""CSV questionnaires: import (encodings, dialects, layouts) and write-back round trips."""

from __future__ import annotations

import codecs
import csv as stdlib_csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exporters.csv import format_value, write_back
from exporters.xlsx import WriteBackError
from importers.base import CellRef, CorruptFile, NoQuestionsFound, UnsupportedFormat
from importers.csv import CsvImporter, read_csv_text

HECVAT_CSV = "hecvat/instructure_Intelligent Insights HECVAT Lite (csv export).csv"


def parse(data: bytes, filename: str = "q.csv"):
    return CsvImporter().parse(data, filename)


def make_csv(rows: list[list[str]], *, delimiter: str = ",", newline: str = "\r\n", encoding: str = "utf-8") -> bytes:
    buf = io.StringIO(newline="")
    stdlib_csv.writer(buf, delimiter=delimiter, lineterminator=newline).writerows(rows)
    return buf.getvalue().encode(encoding)


def answer_everything(parsed, prefix: str = "") -> dict[CellRef, str]:
    values: dict[CellRef, str] = {}
    for n, q in enumerate(parsed.questions):
        values[q.answer_cell] = f'{prefix}Answer {n}, with "quotes"\nand a second line'
        if q.comment_cell is not None:
            values[q.comment_cell] = f"{prefix}Comment {n}; ok"
    return values


# --- the real HECVAT CSV export -----------------------------------------------------


@pytest.mark.corpus
def test_hecvat_csv_export_is_read_as_hecvat_lite(corpus):
    parsed = parse((corpus / HECVAT_CSV).read_bytes(), HECVAT_CSV)
    assert parsed.family == "hecvat"
    assert parsed.edition == "Lite"
    assert parsed.format == "csv"
    assert len(parsed.questions) == 78
    assert sum(1 for q in parsed.questions if q.answer) == 77
    assert sum(1 for q in parsed.questions if q.comment) == 67
    by_id = {q.id: q for q in parsed.questions}
    assert by_id["HLSY-02"].answer is None
    assert by_id["COMP-02"].answer == "No"
    assert by_id["COMP-02"].answer_cell == CellRef("", 3, 3)
    assert by_id["COMP-02"].comment_cell == CellRef("", 3, 4)
    assert by_id["COMP-01"].section == "Company Overview"
    # The last section row has no "Vendor Answers" field but still opens a section.
    assert by_id["HLTP-01"].section == "Third Party Assessment"
    assert "\n" in by_id["COMP-01"].answer


@pytest.mark.corpus
def test_hecvat_csv_round_trip_keeps_untouched_records_byte_identical(corpus):
    original = (corpus / HECVAT_CSV).read_bytes()
    parsed = parse(original)
    values = answer_everything(parsed)
    written = write_back(original, values)

    assert written.startswith(codecs.BOM_UTF8)
    again = parse(written)
    assert [q.id for q in again.questions] == [q.id for q in parsed.questions]
    for q in again.questions:
        assert q.answer == values[q.answer_cell]
        assert q.comment == values[q.comment_cell]
    before, after = read_csv_text(original, "a").records, read_csv_text(written, "b").records
    assert len(before) == len(after)
    answered_rows = {ref.row for ref in values}
    for row, (old, new) in enumerate(zip(before, after, strict=True), start=1):
        if row not in answered_rows:
            assert new.raw == old.raw
        else:
            assert new.raw.endswith("\r\n") == old.raw.endswith("\r\n")  # line endings kept
            assert new.fields[:2] == old.fields[:2]


@pytest.mark.corpus
def test_flask_inspect_reports_the_hecvat_csv(corpus, runner):
    import json

    result = runner.invoke(args=["inspect", str(corpus / HECVAT_CSV), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["family"], report["format"], report["count"]) == ("hecvat", "csv", 78)
    assert sum(1 for q in report["questions"] if q["answer"]) == 77


def test_flask_inspect_rejects_a_binary_csv_with_exit_code_2(runner, tmp_path):
    path = tmp_path / "broken.csv"
    path.write_bytes(b"\x00\x01binary" * 50)
    result = runner.invoke(args=["inspect", str(path)])
    assert result.exit_code == 2
    assert "binary" in result.output


@pytest.mark.corpus
def test_write_back_of_nothing_returns_identical_bytes(corpus):
    original = (corpus / HECVAT_CSV).read_bytes()
    assert write_back(original, {}) == original


# --- synthetic layouts -----------------------------------------------------------------


def test_header_row_semicolon_cp1252_crlf():
    rows = [
        ["ID", "Question", "Response", "Comments"],
        ["1.1", "Do you encrypt data at rest?", "Yes", "AES-256 – everywhere"],
        ["1.2", "Do you have an incident response plan?", "", ""],
    ]
    data = make_csv(rows, delimiter=";", encoding="cp1252")
    parsed = parse(data)
    assert parsed.family == "generic"
    assert [q.id for q in parsed.questions] == ["1.1", "1.2"]
    first = parsed.questions[0]
    assert (first.answer, first.comment) == ("Yes", "AES-256 – everywhere")
    assert first.answer_cell == CellRef("", 2, 3)
    assert first.comment_cell == CellRef("", 2, 4)

    written = write_back(data, {first.answer_cell: "No", parsed.questions[1].comment_cell: "Plan – v2"})
    assert written.decode("cp1252").split("\r\n")[0] == "ID;Question;Response;Comments"
    again = parse(written)
    assert again.questions[0].answer == "No"
    assert again.questions[1].comment == "Plan – v2"


def test_tab_delimited_without_header_numbering_inside_text():
    rows = [
        ["Section I: General"],
        ["1. Does the vendor keep an asset inventory?", "Yes"],
        ["2. Describe your backup schedule.", ""],
        ["Section II: Data"],
        ["3) Is customer data encrypted in transit?", "Yes"],
        ["", "(a) TLS 1.2 or later"],
        ["4. Are keys rotated yearly?", ""],
    ]
    data = make_csv(rows, delimiter="\t", newline="\n")
    parsed = parse(data, "q.tsv")
    assert [(q.id, q.section) for q in parsed.questions] == [
        ("1", "Section I: General"),
        ("2", "Section I: General"),
        ("3", "Section II: Data"),
        ("4", "Section II: Data"),
    ]
    assert parsed.questions[0].text == "Does the vendor keep an asset inventory?"
    assert parsed.questions[1].answer is None
    assert parsed.questions[1].answer_cell == CellRef("", 3, 2)

    written = write_back(data, {q.answer_cell: "Nightly\nand weekly" for q in parsed.questions})
    assert b"\r" not in written
    assert [q.answer for q in parse(written, "q.tsv").questions] == ["Nightly\nand weekly"] * 4


def test_a_data_row_answering_with_a_header_word_stays_a_question():
    data = make_csv(
        [
            ["ID", "Question", "Response", "Comments"],
            ["R-1", "Which column holds your reply?", "Response", "Notes"],
            ["R-2", "Do you encrypt backups?", "Yes", ""],
        ]
    )
    parsed = parse(data)
    assert [(q.id, q.answer, q.comment) for q in parsed.questions] == [
        ("R-1", "Response", "Notes"),
        ("R-2", "Yes", None),
    ]


def test_short_rows_are_padded_when_the_answer_field_is_missing():
    data = b"Q-1,Do you run background checks?\nQ-2,Do you use MFA?,Yes\n"
    parsed = parse(data)
    assert [q.id for q in parsed.questions] == ["Q-1", "Q-2"]
    written = write_back(data, {parsed.questions[0].answer_cell: "Yes"})
    assert written == b"Q-1,Do you run background checks?,Yes\nQ-2,Do you use MFA?,Yes\n"


def test_embedded_newlines_bom_and_untouched_quoting_in_a_changed_record():
    text = (
        '\ufeffID,Question,Answer,Notes\r\n"A-1","Do you\r\nlog access?",,"kept ""as is"""\r\n'
        "A-2,Do you patch monthly?,Yes,\r\n"
    )
    data = text.encode("utf-8")
    parsed = parse(data)
    assert parsed.questions[0].text == "Do you\r\nlog access?"
    assert parsed.questions[0].comment == 'kept "as is"'
    written = write_back(data, {parsed.questions[0].answer_cell: "Yes"})
    assert written == text.replace('access?",,', 'access?",Yes,').encode("utf-8")


def test_last_record_without_line_ending_is_written_without_one():
    data = b"ID,Question,Answer\nX-1,Do you have a CISO?,"
    parsed = parse(data)
    assert (
        write_back(data, {parsed.questions[0].answer_cell: "Yes"}) == b"ID,Question,Answer\nX-1,Do you have a CISO?,Yes"
    )


@pytest.mark.parametrize("dangerous", ['=HYPERLINK("http://x")', "+1+2", "-2+3", "@SUM(A1)", "\tcmd", "\r=1"])
def test_text_that_looks_like_a_formula_is_written_as_text(dangerous):
    data = b"ID,Question,Answer\nX-1,Do you have a CISO?,\n"
    parsed = parse(data)
    written = write_back(data, {parsed.questions[0].answer_cell: dangerous})
    record = read_csv_text(written, "w").records[1]
    assert record.fields[2] == "'" + dangerous.replace("\r\n", "\n")
    assert not record.fields[2].startswith(("=", "+", "-", "@", "\t", "\r"))


def test_numbers_and_booleans_are_not_prefixed():
    data = b"ID,Question,Answer,Count\nX-1,How many staff?,,\n"
    written = write_back(data, {CellRef("", 2, 3): -5, CellRef("", 2, 4): 2.0})
    assert written == b"ID,Question,Answer,Count\nX-1,How many staff?,-5,2\n"


def test_unknown_cell_refs_are_refused():
    data = b"ID,Question,Answer\nX-1,Do you have a CISO?,\n"
    with pytest.raises(WriteBackError, match="record 9"):
        write_back(data, {CellRef("", 9, 3): "Yes"})
    with pytest.raises(WriteBackError, match="no sheet"):
        write_back(data, {CellRef("Sheet1", 2, 3): "Yes"})


def test_text_the_encoding_cannot_hold_is_refused():
    data = "ID;Question;Answer\nX-1;Do you have a CISO – yes?;\n".encode("cp1252")
    with pytest.raises(WriteBackError, match="cp1252"):
        write_back(data, {CellRef("", 2, 3): "Yes ✓"})


def test_typographic_characters_become_ascii_in_a_legacy_encoding():
    data = "ID;Question;Answer\nX-1;Password length – minimum?;\n".encode("cp1252")
    answer = "Yes: ≥ 12 characters → enforced ≤ 90 days, ﬁle \u2011 “ok” – é"
    written = write_back(data, {CellRef("", 2, 3): answer}).decode("cp1252")
    # cp1252 holds the dash, curly quotes and é: they stay; the rest become ASCII
    expected = 'X-1;Password length – minimum?;"Yes: >= 12 characters -> enforced <= 90 days, file - “ok” – é"'
    assert written.split("\n")[1] == expected


def test_utf8_file_keeps_typographic_characters():
    for data in (
        "ID,Question,Answer\nX-1,Mindestlänge?,\n".encode(),
        codecs.BOM_UTF8 + b"ID,Question,Answer\nX-1,Q?,\n",
    ):
        written = write_back(data, {CellRef("", 2, 3): "≥ 12 → yes"}).decode("utf-8-sig")
        assert written.split("\n")[1].endswith(",≥ 12 → yes")


def test_an_ascii_file_without_bom_gets_ascii_text_or_a_named_refusal():
    """No BOM and no byte above 127: Excel opens the file as cp1252, so UTF-8 bytes of a
    typographic answer would show as mojibake ("’" as "â€™")."""
    data = b"Question,Answer\r\nDo you encrypt data in transit?,\r\n"
    written = write_back(data, {CellRef("", 2, 2): "Yes \u2013 TLS \u2265 1.2, customer\u2019s keys, café"})
    assert (
        written == b'Question,Answer\r\nDo you encrypt data in transit?,"Yes - TLS >= 1.2, customer\'s keys, cafe"\r\n'
    )
    with pytest.raises(WriteBackError, match=r"record 2, field 2 .*'€'.*plain-ASCII file"):
        write_back(data, {CellRef("", 2, 2): "Costs 5 €"})


def test_unencodable_answer_names_the_record():
    rows = "ID;Question;Answer\nX-1;Q one – a?;\nX-2;Q two?;\n".encode("cp1252")
    with pytest.raises(WriteBackError, match=r"record 3, field 3 .*'✓'.*cp1252"):
        write_back(rows, {CellRef("", 2, 3): "≥ 12", CellRef("", 3, 3): "Yes ✓"})


# --- bad input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"", CorruptFile),
        (b"   \r\n", CorruptFile),
        (b"\x00\x01\x02binary\x00stuff" * 10, UnsupportedFormat),
        (b"PK\x03\x04" + b"\x00" * 40, UnsupportedFormat),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40, UnsupportedFormat),
    ],
)
def test_bad_input_raises_a_specific_error(data, error):
    with pytest.raises(error):
        parse(data)


def test_csv_without_questions_raises_no_questions_found():
    with pytest.raises(NoQuestionsFound):
        parse(b"name,amount\nx,1\ny,2\n")


def test_detect_by_content_and_extension():
    importer = CsvImporter()
    table = b"ID,Question,Answer\nX-1,Do you have a CISO?,Yes\n"
    assert importer.detect(table, "upload-without-extension")
    assert importer.detect(b"\x00\x01", "q.csv")  # claimed, so parse() names the problem
    assert not importer.detect(b'{"questionnaire": [1, 2]}', "vsaq.json")
    assert not importer.detect(b"PK\x03\x04rest", "upload")
    assert not importer.detect(b"just one line of prose", "notes")


# UTF-8 with a BOM, so any text fits (an all-ASCII file without one takes ASCII only)
SYNTHETIC = codecs.BOM_UTF8 + make_csv(
    [
        ["Section A"],
        ["A-1", "Do you encrypt backups?", "", ""],
        ["A-2", "Describe your patching cadence.", "Monthly", "see policy"],
    ]
)
_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answers=st.lists(_TEXT, min_size=2, max_size=2), comments=st.lists(_TEXT, min_size=2, max_size=2))
def test_any_text_round_trips_through_write_back(answers, comments):
    parsed = parse(SYNTHETIC)
    values = {}
    for q, answer, comment in zip(parsed.questions, answers, comments, strict=True):
        values[q.answer_cell] = answer
        values[q.comment_cell] = comment
    again = parse(write_back(SYNTHETIC, values))
    assert [q.id for q in again.questions] == ["A-1", "A-2"]
    for q in again.questions:
        assert q.answer == (format_value(values[q.answer_cell]).strip() or None)
        assert q.comment == (format_value(values[q.comment_cell]).strip() or None)


@pytest.mark.parametrize(
    ("answers", "comments"),
    [
        # hypothesis found it: ",0" quoted holds a comma, ";\r" a semicolon; splitting the
        # record at every comma counted a stray quote against the comma, and ";" won
        (["", ",0"], [";\r", ";\r"]),
        (["", ",0"], [";\n", ";\n"]),
        (['"a"', 'a"b'], [";", ","]),
    ],
)
def test_written_cells_with_quotes_and_other_delimiters_read_back(answers, comments):
    parsed = parse(SYNTHETIC)
    values = {}
    for q, answer, comment in zip(parsed.questions, answers, comments, strict=True):
        values[q.answer_cell], values[q.comment_cell] = answer, comment
    again = parse(write_back(SYNTHETIC, values))
    assert [(q.id, q.answer, q.comment) for q in again.questions] == [
        (
            q.id,
            format_value(values[q.answer_cell]).strip() or None,
            format_value(values[q.comment_cell]).strip() or None,
        )
        for q in parsed.questions
    ]


@pytest.mark.parametrize(
    "header",
    [
        ["ID", "Question", "Réponse", "Commentaire"],
        ["No.", "Question", "", ""],
        ["ID", "Question", "Antwort", "Kommentar"],
    ],
)
def test_a_header_naming_only_the_question_column_is_not_a_question(header):
    # the answer and comment headers in words the importer does not know: the header row
    # used to become a question "Question" with the id "ID"
    data = make_csv([header, ["Q1", "Do you encrypt data at rest?", "", ""], ["Q2", "Do you test restores?", "", ""]])
    parsed = parse(data)
    assert [(q.id, q.text, q.answer_cell, q.comment_cell) for q in parsed.questions] == [
        ("Q1", "Do you encrypt data at rest?", CellRef("", 2, 3), CellRef("", 2, 4)),
        ("Q2", "Do you test restores?", CellRef("", 3, 3), CellRef("", 3, 4)),
    ]


def test_header_naming_only_the_answer_column():
    data = make_csv([["Control", "Response"], ["Do you back up daily?", "Yes"], ["Do you test restores?", ""]])
    parsed = parse(data)
    assert [(q.text, q.answer, q.answer_cell) for q in parsed.questions] == [
        ("Do you back up daily?", "Yes", CellRef("", 2, 2)),
        ("Do you test restores?", None, CellRef("", 3, 2)),
    ]


def test_utf16_tab_separated_unicode_text_keeps_its_encoding():
    text = "ID\tQuestion\tAnswer\r\nU-1\tDo you support SSO — SAML?\t\r\n"
    data = codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    parsed = parse(data, "unicode.txt")
    assert parsed.questions[0].text == "Do you support SSO — SAML?"
    written = write_back(data, {parsed.questions[0].answer_cell: "Yes ✓"})
    assert written.startswith(codecs.BOM_UTF16_LE)
    assert written[2:].decode("utf-16-le") == text.replace("\t\r\n", "\tYes ✓\r\n", 1)


def test_module_named_csv_does_not_shadow_the_standard_library():
    import importers.csv as module

    assert module.csv is stdlib_csv
    assert module.csv.__file__ != module.__file__


def test_header_with_extra_labels_and_yes_no_mark_columns():
    data = make_csv(
        [
            ["Ref", "Question", "Yes", "No", "N/A", "Comments", "Owner", "Evidence link"],
            ["M-1", "Do you encrypt laptops?", "x", "", "", "BitLocker", "IT", ""],
            ["M-2", "Do you allow USB storage?", "", "", "", "", "", ""],
        ]
    )
    first, second = parse(data).questions
    assert (first.id, first.answer, first.comment, first.choices) == ("M-1", "Yes", "BitLocker", ("Yes", "No", "N/A"))
    assert first.mark_cells == {"Yes": CellRef("", 2, 3), "No": CellRef("", 2, 4), "N/A": CellRef("", 2, 5)}
    assert first.section is None
    written = write_back(data, {**first.cell_values("No"), **second.cell_values("N/A", "Not used")})
    assert [(q.answer, q.comment) for q in parse(written).questions] == [("No", "BitLocker"), ("N/A", "Not used")]


@pytest.mark.parametrize(
    ("answers", "comments"), [(["", ";\r"], [";", ";\r"]), (["", ";\r"], [";0", ";"]), (["a|b", "x"], ["\t", "|"])]
)
def test_written_delimiters_of_another_dialect_do_not_change_how_the_file_reads(answers, comments):
    # found by the property test above: "; " written into a comma file made it sniff as ";"
    parsed = parse(SYNTHETIC)
    values = {}
    for q, answer, comment in zip(parsed.questions, answers, comments, strict=True):
        values[q.answer_cell] = answer
        values[q.comment_cell] = comment
    again = parse(write_back(SYNTHETIC, values))
    assert [q.id for q in again.questions] == ["A-1", "A-2"]
    assert [q.comment for q in again.questions] == [format_value(c).strip() or None for c in comments]


def test_flask_inspect_prints_csv_cells_without_an_empty_sheet_name(runner, tmp_path):
    path = tmp_path / "q.csv"
    path.write_bytes(b"ID,Question,Answer\r\nAC-01,Do you enforce multi-factor authentication?,Yes\r\n")
    result = runner.invoke(args=["inspect", str(path)])
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if "AC-01" in x)
    assert line.split()[0] == "C2", line
    assert "!" not in line


@pytest.mark.parametrize(
    "answer",
    ["\u200b=1+41", '\uff1dHYPERLINK("http://x")', "\uff0b1+1", "\uff20SUM(1)", "\u22121+1", "\ufe62cmd|x!A0"],
)
def test_a_formula_prefix_made_by_the_legacy_encoding_is_guarded(answer):
    # the guard used to run before transliteration: "\u200b=1+41" reached a cp1252 file as =1+41
    data = "ID;Question;Answer\nX-1;Do you have a CISO – yes?;\n".encode("cp1252")
    written = write_back(data, {CellRef("", 2, 3): answer})
    field = read_csv_text(written, "w").records[1].fields[2]
    assert field.startswith("'") and field[1] in "=+-@"
    assert format_value(answer, "cp1252") == field
