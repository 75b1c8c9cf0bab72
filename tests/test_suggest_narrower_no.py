"""A bank entry asking more than the question (a stronger form of the control, a figure,
handing the document over, how often, for whom, where) answers it when its answer is Yes,
but its No says nothing: "Are backups immutable?" No is no answer to "Do you back up
data?". Such a No is offered for review with a note, never written."""

from __future__ import annotations

import pytest

from answers import bank
from answers.matching import beyond_the_question, either_or_beyond, inclusions_beyond
from answers.models import EntryCreate, EntryStatus
from answers.suggest import suggest_for
from tests.questionnaire_builders import one_question


def _suggest(session, bank_question: str, answer: str, asked: str):
    bank.import_entries(
        [EntryCreate(question=bank_question, answer=answer, comment="From the bank.")],
        session=session,
        status=EntryStatus.approved,
    )
    [s] = suggest_for([one_question(asked)], version_line="generic", product=None, session=session)
    return s


NARROWER = [
    # (the bank's question, the broader question asked, what the bank's asks beyond it)
    (
        "Is the production database backed up nightly to immutable storage?",
        "Is the production database backed up nightly?",
        "immutable",
    ),
    ("Is tenant data encrypted end-to-end in transit?", "Is tenant data encrypted in transit?", "endtoend"),
    ("Can you share your SOC 2 Type II report?", "Do you have a SOC 2 Type II report?", "handing the document over"),
    ("Is TLS 1.3 enforced for all connections?", "Is TLS enforced for all connections?", "a figure"),
    ("Is the incident response plan tested quarterly?", "Is the incident response plan tested?", "how often"),
    ("Is customer data stored only in the EU region?", "Is customer data stored in a single region?", "where"),
    # requiring a control is more than supporting it: a No to the requirement says nothing
    ("Do you require employees to use a password manager?", "Do employees use a password manager?", "required"),
]


@pytest.mark.parametrize(("stronger", "asked", "beyond"), NARROWER)
def test_what_the_bank_asks_beyond_the_question_is_named(stronger, asked, beyond):
    assert beyond in beyond_the_question(stronger, stronger, "", asked)
    assert beyond_the_question(asked, asked, "", stronger) == ()  # the other way round: nothing beyond
    assert beyond_the_question(stronger, stronger, "", stronger) == ()


@pytest.mark.parametrize(("stronger", "asked", "beyond"), [*NARROWER[:4], NARROWER[-1]])
def test_a_no_to_a_narrower_question_is_offered_not_written(session, suggest_mode, stronger, asked, beyond):
    s = _suggest(session, stronger, "No", asked)
    assert s.entry_id is not None and s.answer == "No"  # the reviewer sees it...
    assert s.tier == "review"  # ...it is not written
    assert "the bank's No answers a narrower question" in s.note and beyond in s.note


@pytest.mark.parametrize(("stronger", "asked", "beyond"), NARROWER[:4])
def test_a_yes_to_a_narrower_question_is_still_written(session, suggest_mode, stronger, asked, beyond):
    s = _suggest(session, stronger, "Yes", asked)
    assert (s.tier, s.answer) == ("high", "Yes"), (s.score, s.note)


def test_a_no_to_the_same_question_reworded_is_still_written(session, suggest_mode):
    s = _suggest(
        session, "Do you allow shared administrator accounts?", "No", "Are shared administrator accounts allowed?"
    )
    assert (s.tier, s.answer) == ("high", "No"), (s.score, s.note)


EITHER = "Do you store, process or transmit cardholder data?"


@pytest.mark.parametrize(("answer", "tier"), [("Yes", "review"), ("No", "high")])
def test_an_either_or_answers_one_of_its_parts_only_with_no(session, suggest_mode, answer, tier):
    """A Yes to "store, process or transmit" may be a Yes to transmitting alone; a No is a
    No to each."""
    s = _suggest(session, EITHER, answer, "Do you store cardholder data?")
    assert (s.tier, s.answer) == (tier, answer), (s.score, s.note)
    if tier == "review":
        assert "either-or that also names process, transmit" in s.note


def test_an_and_list_answers_each_of_its_parts():
    assert either_or_beyond("Do you store and process cardholder data?", "Do you store cardholder data?") == ()
    assert either_or_beyond(EITHER, "Do you store cardholder data?") == ("process", "transmit")
    assert either_or_beyond(EITHER, EITHER) == ()


ACCESSIBILITY = (
    "Does your product rely on activating a special accessibility mode or accessing an alternate interface "
    "for accessibility purposes?"
)
WITH_OVERLAYS = (
    "Does your product rely on activating a special accessibility mode or using an alternate interface "
    "(including overlay or AI-based alternates) for accessibility purposes?"
)


@pytest.mark.parametrize(
    ("phrasing", "comment", "asked", "beyond"),
    [
        (ACCESSIBILITY, "", WITH_OVERLAYS, ("overlay", "ai-based")),  # HECVAT 3 ITAC-09 -> 4 ITAC-18
        (
            "Does the application log record access?",
            "",
            "Does the application log record access including specific user, date/time and originating IP?",
            ("specific", "date", "time", "originating", "ip"),
        ),
        # named by the entry (its wording or its comment), in another form: nothing beyond
        (ACCESSIBILITY, "No overlays or AI-based alternates either.", WITH_OVERLAYS, ()),
        (
            "Do you have a media handling process, including end-of-life and sanitization procedures?",
            "",
            "Is there a media handling process, including end of life and data sanitization?",
            (),
        ),
        ("Do you encrypt data at rest?", "", "Do you encrypt data at rest?", ()),
    ],
)
def test_what_the_question_includes_beyond_the_entry_is_named(phrasing, comment, asked, beyond):
    assert inclusions_beyond(phrasing, comment, asked) == beyond


@pytest.mark.parametrize("answer", ["Yes", "No"])
def test_an_answer_given_without_what_the_question_includes_is_offered_not_written(session, suggest_mode, answer):
    s = _suggest(session, ACCESSIBILITY, answer, WITH_OVERLAYS)
    assert s.entry_id is not None and s.answer == answer
    assert s.tier == "review", (s.score, s.note)
    if s.score >= 70:  # high but for the rule (lexical mode scores it below already)
        assert "the question includes overlay, ai-based" in s.note
    else:
        assert suggest_mode == "lexical"


def test_an_entry_naming_what_the_question_includes_is_still_written(session, suggest_mode):
    bank.import_entries(
        [EntryCreate(question=WITH_OVERLAYS, answer="No", comment="No overlay is used.")],
        session=session,
        status=EntryStatus.approved,
    )
    asked = WITH_OVERLAYS.replace("Does your product rely", "Does the product rely")
    [s] = suggest_for([one_question(asked)], version_line="generic", product=None, session=session)
    assert (s.tier, s.answer) == ("high", "No"), (s.score, s.note)
