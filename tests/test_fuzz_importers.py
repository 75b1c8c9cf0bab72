"""Property-based fuzzing of importers.load on mutated questionnaires (real ones when the
corpus is present, synthetic ones always): the only acceptable outcomes are a
ParsedQuestionnaire or a QuestionnaireImportError subclass with a one-line message.
A longer run: bench/fuzz_importers.py."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings

import importers
from importers import CorruptFile, ParsedQuestionnaire, QuestionnaireImportError
from tests import upload_builders as b
from tests.fuzz_strategies import mutated, rezip_with
from tests.upload_builders import members


@settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(mutated())
def test_mutated_questionnaires_parse_or_raise_a_domain_error(case):
    filename, data = case
    try:
        parsed = importers.load(data, filename)
    except QuestionnaireImportError as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        assert isinstance(parsed, ParsedQuestionnaire)


# -- regressions: the crashes the fuzzer found, fixed in importers/_xlsx.py and docx.py --

SHEET = "xl/worksheets/sheet1.xml"


def _sheet_edit(pattern: bytes, replacement: bytes) -> bytes:
    data = b.xlsx()
    xml = members(data)[SHEET]
    edited, n = re.subn(pattern, replacement, xml, count=1, flags=re.S)
    assert n == 1
    return rezip_with(data, SHEET, edited)


@pytest.mark.parametrize(
    ("pattern", "replacement", "words"),
    [
        (rb'<row r="3"', b'<row r="C3:B2"', "sheet 'Questions' is damaged at row C3:B2"),
        (rb'<row r="3"', b'<row r="99999999999999999999"', "outside 1..1048576"),
        (rb'<c r="B3"', b'<c r="ZZZ3"', "beyond column XFD"),
        (rb'<c r="B3".*?</c>', b'<c r="B3" s="x"><v>5</v></c>', "damaged at cell B3"),
    ],
)
def test_damaged_sheet_numbers_are_corrupt_file_naming_sheet_and_place(pattern, replacement, words):
    with pytest.raises(CorruptFile, match=re.escape(words)):
        importers.load(_sheet_edit(pattern, replacement), "q.xlsx")


def test_damaged_styles_number_is_corrupt_file_naming_the_part():
    data = b.xlsx()
    styles = members(data)["xl/styles.xml"]
    damaged, n = re.subn(rb'numFmtId="\d+"', b'numFmtId="A0"', styles)
    assert n
    with pytest.raises(CorruptFile, match=re.escape("xl/styles.xml is damaged")):
        importers.load(rezip_with(data, "xl/styles.xml", damaged), "q.xlsx")


def _docx_rels_edit(edit) -> bytes:
    data = b.docx_questionnaire()
    part = "word/_rels/document.xml.rels"
    return rezip_with(data, part, edit(members(data)[part]))


def test_docx_relationship_without_target_is_corrupt_file():
    data = _docx_rels_edit(lambda xml: re.sub(rb' Target="[^"]*"', b"", xml, count=1))
    with pytest.raises(CorruptFile, match="relationship part is damaged"):
        importers.load(data, "q.docx")


def test_docx_relationships_root_of_wrong_type_is_corrupt_file():
    data = _docx_rels_edit(
        lambda xml: xml.replace(b"<Relationships ", b"<Other ").replace(b"</Relationships>", b"</Other>")
    )
    with pytest.raises(QuestionnaireImportError):
        importers.load(data, "q.docx")


def test_docx_styles_relationship_to_a_part_of_another_type_still_reads_tables():
    def retarget(xml: bytes) -> bytes:
        return re.sub(rb'(relationships/styles" Target=")styles\.xml', rb"\1fontTable.xml", xml)

    data = _docx_rels_edit(retarget)
    assert b"fontTable.xml" in members(data)["word/_rels/document.xml.rels"]
    parsed = importers.load(data, "q.docx")
    assert len(parsed.questions) == len(b.QUESTIONS)
