"""`question_references` finds plain-language pointers into the questionnaire, not ordinary
references to documents and links."""

from __future__ import annotations

import pytest

from answers.verdicts import question_references


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Please refer to our response to question 12.", ("question 12",)),
        ("See answer above.", ("answer above",)),
        ("Refer to section 4.2 of this questionnaire", ("section 4.2",)),
        ("see row 45", ("row 45",)),
        ("Same as previous answer.", ("previous answer",)),
        ("Yes, as answered in Question #7.", ("question 7",)),
        ("See the response below", ("response below",)),
        ("As above.", ("as above",)),
        ("See VULN-02 and question 3", ("VULN-02", "question 3")),
    ],
)
def test_plain_language_pointers_are_found(text, expected):
    assert question_references(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "See our SOC 2 report.",
        "see https://example.com/security#section-4",
        "Refer to section 4.2 of our information security policy.",
        "Yes. We use AES-256 for data at rest.",
        "See the attached ISO 27001 certificate (2024).",
        "Our questions are answered by the security team within 2 days.",
        "Row-level security is enforced in 3 databases.",
        "Reviewed in Q3 2024; see the pen test summary.",
        "The previous audit found no exceptions.",
    ],
)
def test_ordinary_text_is_not_a_pointer(text):
    assert question_references(text) == ()
