"""Every real xlsx questionnaire: family, version, edition and question count as
INVENTORY.md gives them, plus spot checks of cells, dropdowns and existing answers."""

from __future__ import annotations

import pytest

import importers
from importers import NoQuestionsFound

pytestmark = pytest.mark.corpus

# path, family, version, edition, questions, answered (None: not stated in INVENTORY.md)
INVENTORY = [
    ("hecvat/D3c3pt1c0nCyber_HECVAT v4.1.2 blank (app-uploads 2a3f479).xlsx", "hecvat", "4.1.2", None, 331, 0),
    ("hecvat/sagearbor_HECVAT414.xlsx", "hecvat", "4.1.4", None, 331, 0),
    ("hecvat/D3c3pt1c0nCyber_HECVAT-Full-v3.06 (blank, 2024-05 revision).xlsx", "hecvat", "3.06", "Full", 255, None),
    ("hecvat/D3c3pt1c0nCyber_HECVAT-Full-v3.06 (LiveSafe, 2025-06 revision).xlsx", "hecvat", "3.06", "Full", 255, None),
    (
        "hecvat/D3c3pt1c0nCyber_HECVAT-Full-v3.06 (Vector EHS, app-uploads cead019).xlsx",
        "hecvat",
        "3.06",
        "Full",
        255,
        180,
    ),
    ("hecvat/D3c3pt1c0nCyber_HECVAT-Lite-v2.11.xlsx", "hecvat", "2.11", "Lite", 74, 0),
    ("hecvat/D3c3pt1c0nCyber_HECVAT-Triage-v2.10.xlsx", "hecvat", "2.10", "Triage", 38, 0),
    ("hecvat/thedannywahl_Portfolium HECVAT v2.11.xlsx", "hecvat", "2.11", "Full", 280, 214),
    ("hecvat/instructure_Canvas LMS HECVAT Full (v3.03, 2022-12).xlsx", "hecvat", "3.03", "Full", 255, 203),
    ("hecvat/instructure_Canvas LMS HECVAT Full (v3.04, 2024-12).xlsx", "hecvat", "3.04", "Full", 255, 203),
    ("hecvat/instructure_Canvas Credentials HECVAT Full (v3.06).xlsx", "hecvat", "3.06", "Full", 255, 202),
    ("hecvat/instructure_Parchment HECVAT Full - All Products (v3.06).xlsx", "hecvat", "3.06", "Full", 255, 217),
    ("hecvat/instructure_Elevate Standards Alignment HECVAT Lite (v3.01).xlsx", "hecvat", "3.01", "Lite", 94, 94),
    ("hecvat/instructure_Canvas Catalog HECVAT Lite (v3.04).xlsx", "hecvat", "3.04", "Lite", 94, 92),
    ("hecvat/instructure_Intelligent Insights HECVAT Lite (v3.06).xlsx", "hecvat", "3.06", "Lite", 94, 93),
    ("caiq/instructure_Instructure CAIQ (v4.0.3).xlsx", "caiq", "4.0.3", None, 261, 261),
    ("caiq/instructure_Instructure CAIQ (v4.0.2).xlsx", "caiq", "4.0.2", None, 261, 261),
    ("caiq/metanorma_csa-caiq-v3.0.1-12-05-2016.xlsx", "caiq", "3.0.1", None, 295, 0),
    ("caiq/metanorma_csa-caiq-v3.0.1-09-01-2017.xlsx", "caiq", "3.0.1", None, 295, 0),
    ("caiq/metanorma_csa-caiq-v3.0.1-09-01-2017-filled.xlsx", "caiq", "3.0.1", None, 295, 295),
    ("caiq/metanorma_csa-caiq-v1.1-09-01-2011.xlsx", "caiq", "1.1", None, 197, None),
    ("caiq/metanorma_csa-caiq-v1.0-10-12-2010.xlsx", "caiq", "1.0", None, 147, 0),
    # Cover Sheet 17 prompts (8 answered), General IT 24 (24), Data Security 20 (18).
    (
        "other/D3c3pt1c0nCyber_third-party IT and data security questionnaire (app-uploads 047f031).xlsx",
        "generic",
        None,
        None,
        61,
        50,
    ),
    ("other/D3c3pt1c0nCyber_AI questionnaire UPAI (app-uploads 9304453).xlsx", "generic", None, None, 7, 7),
]


def _load(corpus, rel):
    path = corpus / rel
    return importers.load(path.read_bytes(), path.name)


def test_inventory_lists_every_corpus_workbook(corpus):
    listed = {rel for rel, *_ in INVENTORY} | {"other/instructure_Instructure ISO 27001 SOA.xlsx"}
    found = {str(p.relative_to(corpus)) for p in corpus.rglob("*.xls*")}
    assert found == listed


@pytest.mark.parametrize(("rel", "family", "version", "edition", "count", "answered"), INVENTORY)
def test_corpus_workbook_matches_inventory(corpus, rel, family, version, edition, count, answered):
    parsed = _load(corpus, rel)
    assert (parsed.family, parsed.version, parsed.edition) == (family, version, edition)
    assert len(parsed.questions) == count
    ids = [q.id for q in parsed.questions if q.id]
    if family == "hecvat":  # CAIQ 1.1 itself repeats one id
        assert len(ids) == len(set(ids)) == count
    if answered is not None:
        assert sum(1 for q in parsed.questions if q.answer) == answered


def test_iso_soa_control_list_is_not_a_questionnaire(corpus):
    with pytest.raises(NoQuestionsFound, match="no recognisable questions"):
        _load(corpus, "other/instructure_Instructure ISO 27001 SOA.xlsx")


def _by_id(parsed):
    return {q.id: q for q in parsed.questions}


def test_hecvat4_x14_dropdowns_and_start_here_gnrl(corpus):
    qs = _by_id(_load(corpus, "hecvat/sagearbor_HECVAT414.xlsx"))
    assert qs["GNRL-01"].sheet == "START HERE"
    assert qs["GNRL-01"].text == "Solution Provider Name"
    assert qs["COMP-01"].choices == ("Yes", "No")  # x14 list on 'Auto Responses'!$J$3:$J$4
    assert qs["COMP-01"].answer_cell.coordinate == "C23"
    assert qs["COMP-01"].comment_cell.coordinate == "D23"
    infra = [q for q in qs.values() if q.sheet == "Infrastructure" and "AWS" in q.choices]
    assert infra and infra[0].choices[0] == "Self-Managed"
    assert qs["DOCU-01"].section == "Documentation"


def test_hecvat3_cached_question_text_named_list_and_placeholders(corpus):
    p = _load(corpus, "hecvat/D3c3pt1c0nCyber_HECVAT-Full-v3.06 (blank, 2024-05 revision).xlsx")
    qs = _by_id(p)
    assert qs["QUAL-01"].text.startswith("Does your product process protected health information")
    assert qs["QUAL-01"].answer_cell.coordinate == "C27"
    assert qs["QUAL-01"].section == "Qualifiers"
    assert qs["GNRL-01"].answer is None  # placeholder `Vendor Name`
    assert qs["DATE-01"].answer is None  # placeholder `mm/dd/yyyy`
    assert qs["GNRL-01"].comment_cell is None  # answer merged C:E
    yes_no = [q for q in p.questions if q.choices == ("Yes", "No")]  # defined name `yes`
    assert len(yes_no) > 40
    assert any(q.choices[:2] == ("1) Yes", "2) No") for q in p.questions)  # x14 Values!$C$26:$C$29


def test_hecvat_completed_answer_and_comment(corpus):
    qs = _by_id(_load(corpus, "hecvat/instructure_Canvas LMS HECVAT Full (v3.04, 2024-12).xlsx"))
    assert qs["GNRL-01"].answer == "Instructure"
    answered = [q for q in qs.values() if q.answer in ("Yes", "No")]
    assert answered and all(q.comment_cell and q.comment_cell.column == 4 for q in answered)


def test_hecvat_vertical_answer_merge_points_at_top_left(corpus):
    p = _load(corpus, "hecvat/D3c3pt1c0nCyber_HECVAT-Full-v3.06 (LiveSafe, 2025-06 revision).xlsx")
    by_row = {q.row: q for q in p.questions}
    assert by_row[167].answer_cell.coordinate == "C166"
    assert by_row[178].answer_cell.coordinate == "C175"


def test_caiq3_mark_layout(corpus):
    qs = _by_id(_load(corpus, "caiq/metanorma_csa-caiq-v3.0.1-09-01-2017-filled.xlsx"))
    q = qs["AIS-02.2"]  # `AIS- 02.2` in the file
    assert {k: v.coordinate for k, v in q.mark_cells.items()} == {"Yes": "F11", "No": "G11", "Not Applicable": "H11"}
    assert q.answer == "Yes" and q.comment == "test" and q.comment_cell.coordinate == "I11"
    assert q.choices == ("Yes", "No", "Not Applicable")


def test_caiq4_inline_list_and_comment(corpus):
    p = _load(corpus, "caiq/instructure_Instructure CAIQ (v4.0.3).xlsx")
    q = _by_id(p)["A&A-01.1"]
    assert q.choices == ("Yes", "No", "NA")
    assert (q.answer_cell.coordinate, q.comment_cell.coordinate, q.answer) == ("C3", "E3", "Yes")
    assert any("SSRM" in w for w in p.warnings)


def test_caiq10_questions_split_from_one_cell(corpus):
    p = _load(corpus, "caiq/metanorma_csa-caiq-v1.0-10-12-2010.xlsx")
    same_row = [q for q in p.questions if q.row == p.questions[0].row]
    assert p.questions[0].id == "CO-01a"
    assert all(q.answer_cell is None for q in p.questions)
    assert len({q.row for q in p.questions}) < len(p.questions)
    assert same_row


def test_generic_numbering_and_continuation_rows(corpus):
    p = _load(corpus, "other/D3c3pt1c0nCyber_third-party IT and data security questionnaire (app-uploads 047f031).xlsx")
    it = [q for q in p.questions if q.sheet == "General IT Questionnaire"]
    q18 = next(q for q in it if q.id == "18")
    assert q18.text.startswith("Does the product have automatic logout")
    assert q18.answer == "Yes\n(a) 4 Hours"
    assert q18.answer_cell.coordinate == "C44"
    assert q18.section == "Section III: Product Details"
