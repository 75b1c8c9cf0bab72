"""Answers that point to other questions of their own questionnaire ("See VULN-02") are
not sent to another questionnaire, where that id is another question or none: a verdict
goes without its comment, an answer that is only a pointer waits for review."""

from __future__ import annotations

import functools

from answers import bank
from answers.models import EntryCreate, EntryStatus
from answers.suggest import invalidate, references_elsewhere, suggest_for
from tests.questionnaire_builders import one_question

SCANS = "Will you provide results of application and system vulnerability scans to the Institution?"
CONTACT = "Solution Provider Contact Email"


def _seed(session, *, family="hecvat", version="3.04") -> None:
    invalidate()
    bank.import_entries(
        [
            EntryCreate(question=SCANS, answer="Yes", comment="See VULN-02", family=family, version=version),
            EntryCreate(question=CONTACT, comment="See GNRL-08 for our contact information.", family=family),
            EntryCreate(question="Is data encrypted at rest?", answer="Yes", comment="AES-256 and SHA-256 keys"),
        ],
        session=session,
        status=EntryStatus.approved,
    )


_question = functools.partial(one_question, choices=("Yes", "No"))


def test_another_version_gets_the_verdict_without_the_pointing_comment(session):
    _seed(session)
    [s] = suggest_for([_question(SCANS)], version_line="hecvat-4", product=None, session=session)
    assert (s.tier, s.answer, s.comment) == ("exact", "Yes", None)
    assert "comment was left out" in s.note and "VULN-02" in s.note


def test_the_same_version_line_keeps_the_comment(session):
    _seed(session)
    [s] = suggest_for([_question(SCANS)], version_line="hecvat-3", product=None, session=session)
    assert (s.tier, s.answer, s.comment, s.note) == ("exact", "Yes", "See VULN-02", "")


def test_an_answer_that_is_only_a_pointer_waits_for_review(session):
    _seed(session)
    [s] = suggest_for([_question(CONTACT, choices=())], version_line="caiq-4", product=None, session=session)
    assert (s.tier, s.answer, s.comment) == ("review", None, None)
    assert "GNRL-08" in s.note


def test_home_made_questionnaires_never_share_a_numbering(session):
    _seed(session, family="generic", version=None)
    [s] = suggest_for([_question(SCANS)], version_line="generic", product=None, session=session)
    assert (s.answer, s.comment) == ("Yes", None)


def test_key_sizes_and_hash_names_are_no_question_ids(session):
    _seed(session)
    [s] = suggest_for([_question("Is data encrypted at rest?")], version_line="caiq-4", product=None, session=session)
    assert (s.answer, s.comment, s.note) == ("Yes", "AES-256 and SHA-256 keys", "")
    entry = bank.search(bank.SearchFilters(query="encrypted"), session=session).entries[0]
    assert references_elsewhere(entry, "caiq-4") == ()


def test_an_entry_found_in_the_bank_comes_without_its_pointing_comment(app, sales_client):
    from sqlmodel import select

    from answers.models import Entry, Item
    from tests.auth_helpers import db
    from tests.review_builders import multipart, questionnaire_xlsx

    with db(app) as s:
        _seed(s)
        entry_id = s.exec(select(Entry.id).where(Entry.question == SCANS)).one()
    r = sales_client.post(
        "/questionnaires/upload", **multipart(questionnaire_xlsx([("Q-1", "Do you share scan reports?")]), "c.xlsx")
    )
    qid = int(r.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    with db(app) as s:
        item = s.exec(select(Item).where(Item.questionnaire_id == qid)).one()
        item.alternatives, item.entry_id = [], None  # the entry is found by hand, not offered
        s.add(item)
        s.commit()
        item_id, version = item.id, item.lock_version
    r = sales_client.post(
        f"/questionnaires/{qid}/items/{item_id}",
        json={"entry_id": entry_id, "lock_version": version},
        headers={"Accept": "application/json"},
    )
    assert r.status_code == 200, r.get_json()
    with db(app) as s:
        item = s.get(Item, item_id)
        assert (item.entry_id, item.answer, item.comment) == (entry_id, "Yes", None)
