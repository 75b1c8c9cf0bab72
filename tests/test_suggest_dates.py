"""A date in the bank ("Date completed: 2024-05-02") was true on the day it was given: it is
never written automatically, whatever the match; a person fills it. So is an answer to a
question about a recent period ("a breach in the last 12 months"): a person confirms it."""

from __future__ import annotations

import pytest

from answers import bank
from answers.models import EntryCreate, EntryStatus
from answers.suggest import DATE_NOTE, invalidate, recent_note, suggest_for
from answers.verdicts import asks_for_date, is_date, recent_period
from importers.base import CellRef, Question

PENTEST = "When was your most recent external penetration test?"
ENCRYPT = "Do you encrypt customer data at rest?"
BREACH = "Have you had a data breach in the last 12 months?"
DR_TEST = "Has the disaster recovery plan been tested within the past year?"


def _seed(session) -> None:
    invalidate()
    bank.import_entries(
        [
            EntryCreate(question="Date completed", answer="2024-05-02", family="hecvat", version="3.06"),
            EntryCreate(question="Date", comment="December 1, 2022"),
            EntryCreate(question="Vendor signature date", answer="last Friday"),
            EntryCreate(question=PENTEST, answer="2024-03-01 00:00:00"),
            EntryCreate(question=ENCRYPT, answer="Yes", comment="AES-256."),
            EntryCreate(question=BREACH, answer="No"),
            EntryCreate(question=DR_TEST, answer="Yes", comment="Tested in March."),
            EntryCreate(question="Is the disaster recovery plan tested annually?", answer="Yes"),
        ],
        session=session,
        status=EntryStatus.approved,
    )


def _question(text: str, choices: tuple[str, ...] = ()) -> Question:
    return Question(
        sheet="S", row=2, id=None, text=text, answer_cell=CellRef("S", 2, 3), comment_cell=None, choices=choices
    )


@pytest.mark.parametrize("text", ["Date completed", "Date", "Vendor signature date", PENTEST])
def test_a_date_from_the_bank_is_never_written(session, text):
    _seed(session)
    [s] = suggest_for([_question(text)], version_line="hecvat-3", product=None, session=session)
    assert s.entry_id is not None and s.answer
    assert s.tier == "review" and DATE_NOTE in s.note


def test_other_answers_are_still_written(session):
    _seed(session)
    [s] = suggest_for([_question(ENCRYPT, ("Yes", "No"))], version_line="hecvat-3", product=None, session=session)
    assert (s.tier, s.answer, s.note) == ("exact", "Yes", "")


@pytest.mark.parametrize(
    "text", ["2024-05-02", "2024-05-02 00:00:00", "05/02/2024", "December 1st, 2022", "1 Dec 2022", "May 2024"]
)
def test_is_date(text):
    assert is_date(text)


@pytest.mark.parametrize("text", ["Yes", "72 hours", "2024", "v3.06", "AES-256", "", None])
def test_is_not_date(text):
    assert not is_date(text)


def test_asks_for_date():
    assert asks_for_date("Date") and asks_for_date("Date completed:") and asks_for_date("Completion Date")
    assert not asks_for_date("Is software kept up to date?")
    assert not asks_for_date("Do you keep a record of the date of each change?")


@pytest.mark.parametrize(
    ("text", "period"),
    [
        (BREACH, "in the last 12 months"),
        (DR_TEST, "within the past year"),
        ("Have you had a significant breach in the past three years?", "in the past three years"),
        ("Any violations of privacy law during the previous 36 months?", "during the previous 36 months"),
        ("Do you have a current AoC, executed within the past year?", "within the past year"),
    ],
)
def test_recent_period(text, period):
    assert recent_period(text) == period


@pytest.mark.parametrize(
    ("text", "period"),
    [
        (BREACH, "in the last 12 months"),
        (DR_TEST, "within the past year"),
        # a paraphrase, matched at high: held the same way
        ("Has your DR plan been tested in the last year?", "in the last year"),
    ],
)
def test_an_answer_about_a_recent_period_is_never_written(session, text, period):
    _seed(session)
    [s] = suggest_for([_question(text, ("Yes", "No"))], version_line="hecvat-3", product=None, session=session)
    assert s.entry_id is not None and s.answer in ("Yes", "No")  # offered, for a person to confirm
    assert s.tier == "review" and recent_note(period) in s.note
    assert all(a.tier == "review" for a in s.alternatives)


def test_a_question_about_a_frequency_or_ever_is_no_recent_period(session):
    _seed(session)
    for text in ("Is the disaster recovery plan tested annually?", "Do backups ever leave the data zone?"):
        assert recent_period(text) == ""
    [s] = suggest_for(
        [_question("Is the disaster recovery plan tested annually?", ("Yes", "No"))],
        version_line="hecvat-3",
        product=None,
        session=session,
    )
    assert (s.tier, s.answer, s.note) == ("exact", "Yes", "")
