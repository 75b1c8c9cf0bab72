"""A field label or heading in a customer's file ("Institution Data Zone") shares words with
a full question in the bank but does not ask it: never written, left for a person with a
note that says why."""

from __future__ import annotations

import pytest

from answers import bank
from answers.matching import label_against_question, reads_like_label
from answers.models import EntryCreate, EntryStatus
from answers.suggest import LABEL_NOTE, suggest_for
from importers.base import CellRef, Question

ZONE = "Will institution data leave the institution data zone?"
ENCRYPT = "Is customer data encrypted at rest?"


def _seed(session) -> None:
    bank.import_entries(
        [
            EntryCreate(question=ZONE, answer="No"),
            EntryCreate(question=ENCRYPT, answer="Yes", comment="AES-256."),
            EntryCreate(question="Vendor Contact Email", answer="", comment="security@example.com"),
        ],
        session=session,
        status=EntryStatus.approved,
    )


def _question(text: str, choices: tuple[str, ...] = ("Yes", "No")) -> Question:
    return Question(
        sheet="S", row=2, id=None, text=text, answer_cell=CellRef("S", 2, 3), comment_cell=None, choices=choices
    )


def _suggest(session, text: str, choices: tuple[str, ...] = ("Yes", "No")):
    _seed(session)
    [s] = suggest_for([_question(text, choices)], version_line="generic", product=None, session=session)
    return s


@pytest.mark.parametrize("text", ["Institution Data Zone", "Customer data encryption at rest"])
def test_a_label_matched_to_a_longer_question_is_left_for_review(session, suggest_mode, text):
    s = _suggest(session, text)
    assert s.entry_id is not None and s.answer  # still offered...
    assert s.tier == "review" and LABEL_NOTE in s.note  # ...never written, and the reviewer is told why


@pytest.mark.parametrize(
    "text", [ENCRYPT, "Do you encrypt customer data at rest?", "Customer data: is it encrypted at rest?"]
)
def test_a_question_is_still_written(session, suggest_mode, text):
    s = _suggest(session, text)
    assert s.tier in ("exact", "high") and s.answer == "Yes" and LABEL_NOTE not in s.note


def test_a_label_matched_to_a_label_is_still_written(session, suggest_mode):
    s = _suggest(session, "Vendor Contact Email", choices=())
    assert (s.tier, s.answer, s.note) == ("exact", "security@example.com", "")


def test_label_detection():
    assert reads_like_label("Institution Data Zone")
    assert reads_like_label("Vendor Contact Email")
    assert not reads_like_label("Is customer data encrypted at rest?")
    assert not reads_like_label("Customer data is encrypted at rest")  # a statement to confirm
    assert not reads_like_label("Describe your data retention policy")  # a request
    assert not reads_like_label("Select the purposes for which you use unencrypted protocols:")
    assert not reads_like_label("one two three four five six seven eight nine")  # a sentence, not a label
    assert label_against_question("Institution Data Zone", ZONE)
    assert not label_against_question("Institution Data Zone", "Institution data zone")
