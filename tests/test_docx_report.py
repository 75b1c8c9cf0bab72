"""The response report (.docx) for customers and reviewers."""

from __future__ import annotations

import datetime as dt
import io

import docx
import pytest

from exporters.docx import ReportRow, response_report

ROWS = [
    ReportRow(
        "Access Control", "AC-01", "Do you enforce MFA?", "Yes", "For all staff\nand contractors", "answered", "exact"
    ),
    ReportRow("Access Control", "AC-02", "Are access reviews quarterly?", "Yes", None, "needs_review", "review"),
    ReportRow("Logging", "LG-01", "Do you keep audit logs for a year?", None, None, "unanswered", "none"),
    ReportRow(None, None, "Anything else to tell us?", "No", None, "accepted", "high"),
    ReportRow("Access Control", "AC-03", "Is SSO supported?", "Yes", "SAML 2.0", "answered", "high"),
]


def open_report(data: bytes):
    return docx.Document(io.BytesIO(data))


def paragraphs(document) -> list[tuple[str, str]]:
    return [(p.style.name, p.text) for p in document.paragraphs]


def table_counts(table) -> dict[str, str]:
    return {row.cells[0].text: row.cells[1].text for row in table.rows[1:]}


def test_report_has_title_page_summary_and_every_question_by_section():
    generated = dt.datetime(2026, 3, 4, 5, 6, tzinfo=dt.UTC)
    document = open_report(
        response_report("Acme security review", ROWS, subtitle="For Contoso", generated_at=generated)
    )
    text = paragraphs(document)

    assert text[0] == ("Title", "Acme security review")
    assert ("Subtitle", "For Contoso") in text
    assert ("Normal", "Generated 2026-03-04 05:06 UTC") in text
    assert document.core_properties.title == "Acme security review"

    status, tiers = document.tables
    assert table_counts(status) == {"Answered": "3", "Needs review": "1", "Unanswered": "1", "Total": "5"}
    assert table_counts(tiers) == {"exact": "1", "high": "2", "review": "1", "none": "1"}

    headings = [t for style, t in text if style == "Heading 2" and t != "By match tier"]
    assert headings == ["Access Control", "Logging", "General"]
    flat = [t for _, t in text]
    ac01 = flat.index("AC-01  Do you enforce MFA?")
    assert flat[ac01 + 1] == "Answer: Yes"
    assert flat[ac01 + 2] == "Comment: For all staff\nand contractors"
    # AC-03 is grouped with its section although it came last.
    assert flat.index("AC-03  Is SSO supported?") < flat.index("Logging")
    lg01 = flat.index("LG-01  Do you keep audit logs for a year?")
    assert flat[lg01 + 1] == "Answer: (no answer)"
    assert flat[lg01 + 2] == "Unanswered · tier none"


def test_report_without_tiers_has_no_tier_table():
    rows = [ReportRow("S", "1", "Q?", "Yes", None, "answered", None)]
    document = open_report(response_report("T", rows))
    assert len(document.tables) == 1
    assert table_counts(document.tables[0])["Answered"] == "1"


def test_unknown_status_is_refused():
    with pytest.raises(ValueError, match="unknown status"):
        response_report("T", [ReportRow("S", "1", "Q?", "Yes", None, "maybe", None)])


def test_report_of_many_questions_keeps_them_in_order_before_the_section_properties():
    """The responses are placed before the body's section properties without python-docx's
    per-paragraph scan (quadratic: 33 s for 5,000 questions); Word needs sectPr last."""
    rows = [
        ReportRow(f"Part {n // 100}", f"Q-{n}", f"Question {n}?", "Yes", None, "answered", None) for n in range(300)
    ]
    document = open_report(response_report("Large", rows))
    body = document.element.body
    assert body[-1].tag.endswith("}sectPr")
    questions = [p.text for p in document.paragraphs if p.text.startswith("Q-")]
    assert questions == [f"Q-{n}  Question {n}?" for n in range(300)]
    assert [p.text for p in document.paragraphs if p.style.name == "Heading 2"] == ["Part 0", "Part 1", "Part 2"]
