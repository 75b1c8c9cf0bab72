"""Two bank entries worded as near paraphrases that answer opposite verdicts: the better
scoring one is not written at high; the suggestion waits for review and names the other
(QA round 2: "Is customer data encrypted when stored?" written No at 94 from "Is all
customer data encrypted when stored at rest?" while "Is customer data encrypted at rest?"
said Yes at 90)."""

from __future__ import annotations

from answers import bank
from answers.models import EntryCreate
from answers.suggest import invalidate, suggest_for
from tests.questionnaire_builders import one_question

ASKED = "Is customer data encrypted when stored?"
ALL_STORED = "Is all customer data encrypted when stored at rest?"
AT_REST = "Is customer data encrypted at rest?"
FILLER = [
    EntryCreate(question="Do you enforce MFA for all admin accounts?", answer="Yes", comment="Hardware keys"),
    EntryCreate(question="Is there a documented business continuity plan?", answer="Yes", comment="Reviewed yearly"),
]


def _suggest(session, entries: list[EntryCreate]):
    invalidate()
    ids = bank.import_entries([*entries, *FILLER], session=session).entry_ids
    [s] = suggest_for([one_question(ASKED)], version_line="generic", product=None, session=session)
    return s, ids


def test_near_paraphrases_with_opposite_verdicts_wait_for_review_and_name_the_rival(session):
    s, ids = _suggest(
        session,
        [
            EntryCreate(question=ALL_STORED, answer="No", comment="Legacy archives are not."),
            EntryCreate(question=AT_REST, answer="Yes", comment="AES-256 everywhere."),
        ],
    )
    assert s.tier == "review", (s.entry_id, s.score, s.tier, s.note)
    rival = ids[1] if s.entry_id == ids[0] else ids[0]
    assert f"#{rival}" in s.note
    assert rival in {a.entry_id for a in s.alternatives}


def test_near_paraphrases_that_agree_are_still_written(session):
    s, _ = _suggest(
        session,
        [
            EntryCreate(question=ALL_STORED, answer="Yes", comment="AES-256 everywhere."),
            EntryCreate(question=AT_REST, answer="Yes", comment="AES-256 everywhere."),
        ],
    )
    assert (s.tier, s.answer) == ("high", "Yes"), (s.entry_id, s.score, s.tier, s.note)


def test_a_tie_with_another_comment_waits_for_review_and_names_the_other_entry(session, monkeypatch):
    """The same verdict with another comment, as well matched (lexical mode: both wordings
    fold to the same words, a tie on any machine): the matcher holds it for review, and
    the note says which entry to compare it with."""
    from answers import suggest

    monkeypatch.setattr(suggest, "_embedder", None)
    s, ids = _suggest(
        session,
        [
            EntryCreate(question=AT_REST, answer="Yes", comment="AES-256 everywhere."),
            EntryCreate(question="Is customer data encrypted while stored?", answer="Yes", comment="Except archives."),
        ],
    )
    assert s.tier == "review", (s.entry_id, s.score, s.tier, s.note)
    other = ids[1] if s.entry_id == ids[0] else ids[0]
    assert f"entry #{other} matches about as well" in s.note
    assert "disagreeing" not in s.note  # the verdicts agree: no conflict is claimed
    assert other in {a.entry_id for a in s.alternatives}
