"""A question asking for text ("Describe ...", "How ...?") in a free-text cell gets the
entry's comment, never a bare "Yes": a verdict answers nothing there."""

from __future__ import annotations

import pytest

from answers import bank
from answers.models import EntryCreate, EntryStatus
from answers.suggest import asks_for_text, invalidate, suggest_for
from importers.base import CellRef, Question

IR_PLAN = "Do you have a formal incident response plan?"
IR_COMMENT = "Our incident response plan names an on-call lead and is tested every year."
SIEM = "Do you have a SIEM?"


def _seed(session) -> None:
    invalidate()
    bank.import_entries(
        [
            EntryCreate(question=IR_PLAN, answer="Yes", comment=IR_COMMENT),
            EntryCreate(question=SIEM, answer="Yes"),
        ],
        session=session,
        status=EntryStatus.approved,
    )


def _question(text: str, choices: tuple[str, ...] = ()) -> Question:
    return Question(
        sheet="S", row=2, id=None, text=text, answer_cell=CellRef("S", 2, 3), comment_cell=None, choices=choices
    )


def _suggest(session, text: str, choices: tuple[str, ...] = ()):
    [s] = suggest_for([_question(text, choices)], version_line="generic", product=None, session=session)
    return s


def test_a_request_for_text_gets_the_comment_not_the_verdict(session):
    _seed(session)
    s = _suggest(session, "Describe your formal incident response plan.")
    assert s.entry_id is not None and s.answer == IR_COMMENT


def test_a_request_for_text_from_a_verdict_without_comment_is_not_written(session):
    _seed(session)
    s = _suggest(session, "Describe your SIEM.")
    assert s.answer is None and s.tier not in ("exact", "high")


def test_a_yes_no_question_in_a_free_text_cell_still_gets_verdict_and_comment(session):
    _seed(session)
    assert _suggest(session, IR_PLAN).answer == f"Yes. {IR_COMMENT}"
    assert _suggest(session, "Describe your formal incident response plan.", ("Yes", "No")).answer == "Yes"


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("Describe your incident response process.", True),
        ("12. How often are backups tested?", True),
        ("What is your RTO?", True),
        ("Do you have a SIEM?", False),
        ("Please confirm that data is encrypted at rest.", False),
        ("Is there a documented process?", False),
    ],
)
def test_asks_for_text(text, asks):
    assert asks_for_text(text) is asks
