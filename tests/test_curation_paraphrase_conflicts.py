"""Hygiene lists near paraphrases that answer Yes and No as conflicts, although their wording
is too far apart for the near-duplicate ratio (QA round 2: "Is all customer data encrypted
when stored at rest?" No next to "Is customer data encrypted at rest?" Yes: Conflicts 0)."""

from __future__ import annotations

from answers import bank, curation


def _entry(session, question, answer="Yes"):
    return bank.create_entry(
        bank.EntryCreate(question=question, answer=answer), session=session, actor="cur@example.com"
    )


def _conflicts(session) -> list[list[int]]:
    return [sorted(e.id for e in f.entries) for f in curation.hygiene(session=session).conflicts]


def test_near_paraphrases_with_opposite_verdicts_are_a_conflict(session):
    a = _entry(session, "Is customer data encrypted at rest?", "Yes")
    b = _entry(session, "Is all customer data encrypted when stored at rest?", "No")
    _entry(session, "Is there a documented incident response plan?", "Yes")
    report = curation.hygiene(session=session)
    assert [(f.kind, sorted(e.id for e in f.entries)) for f in report.conflicts] == [("opposite", [a.id, b.id])]
    assert "near paraphrases" in report.conflicts[0].reason
    curation.dismiss("opposite", [a.id, b.id], session=session, actor="cur@example.com")
    assert _conflicts(session) == []  # "not a conflict" is remembered


def test_near_paraphrases_that_agree_are_no_conflict(session):
    _entry(session, "Is customer data encrypted at rest?", "Yes")
    _entry(session, "Is all customer data encrypted when stored at rest?", "Yes")
    assert _conflicts(session) == []


def test_siblings_and_opposite_wordings_are_no_conflict(session):
    # another region, another frequency: different questions
    _entry(session, "Do you back up HR records in the US region?", "Yes")
    _entry(session, "Do you back up HR records in every region?", "No")
    _entry(session, "Is the incident response plan tested at least annually?", "Yes")
    _entry(session, "Is the incident response plan tested monthly?", "No")
    # opposite words: No to one is Yes to the other
    _entry(session, "Is the use of shared accounts allowed?", "No")
    _entry(session, "Is the use of shared accounts prohibited?", "Yes")
    assert _conflicts(session) == []


def test_questions_naming_different_plans_are_no_conflict(session):
    # worded alike enough for the plain near-duplicate ratio (95 on a learned bank), yet
    # one asks about the disaster recovery plan and the other about the continuity plan
    _entry(session, "Is there a defined problem/issue escalation plan in your DRP for impacted clients?", "Yes")
    _entry(session, "Is there a defined problem/issue escalation plan in your BCP for impacted clients?", "No")
    assert _conflicts(session) == []
