"""The demo bank is real content: enough entries, every field filled, alternates present."""

from collections import Counter

from answers import bank
from answers.matching import normalise


def test_demo_bank_has_150_complete_entries():
    entries = bank.read_bank_file(bank.DEMO_BANK.read_bytes(), bank.DEMO_BANK.name)
    assert len(entries) >= 150
    for e in entries:
        assert e.question and e.answer and e.comment and e.tags and e.owner, e.question
        assert 1 <= len(e.alternates) <= 3, e.question
        assert "@" in e.owner


def test_demo_bank_verdicts_are_mostly_yes_no_na_and_some_are_no():
    entries = bank.read_bank_file(bank.DEMO_BANK.read_bytes(), bank.DEMO_BANK.name)
    verdicts = Counter(e.answer for e in entries)
    assert verdicts["Yes"] + verdicts["No"] + verdicts["N/A"] >= 0.85 * len(entries)
    assert verdicts["No"] >= 5 and verdicts["N/A"] >= 1


def test_demo_bank_alternates_do_not_collide_with_other_questions():
    entries = bank.read_bank_file(bank.DEMO_BANK.read_bytes(), bank.DEMO_BANK.name)
    owner: dict[str, str] = {}
    for e in entries:
        for text in [e.question, *e.alternates]:
            key = normalise(text)
            assert owner.setdefault(key, e.question) == e.question, f"{text!r} belongs to two entries"


def test_demo_bank_is_clean_on_the_hygiene_page():
    # a first-time user's hygiene page must not open on false alarms about the demo content
    from answers import curation

    entries = bank.read_bank_file(bank.DEMO_BANK.read_bytes(), bank.DEMO_BANK.name)
    contradictions = [(e.question, why) for e in entries if (why := curation.contradicts_itself(e.answer, e.comment))]
    assert contradictions == []
