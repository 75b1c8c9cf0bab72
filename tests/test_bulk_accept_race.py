"""Bulk accept against concurrent writers: a reviewer's save, or a second bulk accept,
landing between the bulk accept's read and its write wins (QA round 2: the bulk write
overwrote a reviewer's saved answer, and two bulk accepts both counted every item).

The race is made deterministic: the other writer runs, in its own session and
transaction, from inside the bulk accept after it has read the items. SQLite (a file
database: two real connections) always; PostgreSQL when ANSWERBANK_TEST_POSTGRES_URL is set.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from answers import bank, responding, users
from answers.db import make_engine
from answers.models import Entry, Item, ItemStatus, Role
from answers.suggest import invalidate
from tests.review_builders import BANK, questionnaire_xlsx


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request, tmp_path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path}/race.db")
        SQLModel.metadata.create_all(engine)
        yield engine
        engine.dispose()
        return
    url = request.getfixturevalue("postgres_url")
    name = f"answerbank_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(url.rsplit("/", 1)[0] + "/" + name)
    try:
        SQLModel.metadata.create_all(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def world(engine, tmp_path):
    """(questionnaire id, bulk user id, reviewer id): the synthetic bank and questionnaire,
    three suggestions acceptable at tier review (one exact)."""
    with Session(engine, expire_on_commit=False) as s:
        bank.import_entries(BANK, session=s)
        invalidate()
        bulk_user = users.create_user(s, "bulk@example.com", Role.sales)
        reviewer = users.create_user(s, "reviewer@example.com", Role.sales)
        q = responding.ingest(
            questionnaire_xlsx(),
            "vendor.xlsx",
            session=s,
            actor="bulk@example.com",
            upload_folder=str(tmp_path / "uploads"),
            max_bytes=5_000_000,
        )
        acceptable = [i for i in responding.list_items(q.id, session=s) if i.tier != "none"]
        assert len(acceptable) == 3, [(i.question_id, i.tier) for i in responding.list_items(q.id, session=s)]
        return q.id, bulk_user.id, reviewer.id


def _during_read(monkeypatch, action) -> None:
    """Run ``action()`` once, after accept_all read the items and before it writes any."""
    original = responding.withdrawn_reason
    done = []

    def hooked(*args, **kwargs):
        if not done:
            done.append(True)
            action()
        return original(*args, **kwargs)

    monkeypatch.setattr(responding, "withdrawn_reason", hooked)


def _items(engine: Engine, qid: int) -> dict[str | None, Item]:
    with Session(engine) as s:
        return {i.question_id: i for i in responding.list_items(qid, session=s)}


def _usage(engine: Engine) -> dict[int | None, int]:
    with Session(engine) as s:
        return {e.id: e.usage_count for e in s.exec(select(Entry))}


def test_bulk_accept_leaves_a_reviewers_save_made_after_its_read(engine, world, monkeypatch):
    qid, bulk_user, reviewer = world
    target = _items(engine, qid)["MFA-01"]

    def reviewer_saves() -> None:
        with Session(engine) as other:
            responding.decide(
                target.id,
                responding.Decision(answer="No", comment="Our own answer", status="accepted"),
                session=other,
                actor="reviewer@example.com",
                actor_id=reviewer,
                expected_version=target.lock_version,
            )

    _during_read(monkeypatch, reviewer_saves)
    with Session(engine, expire_on_commit=False) as s:
        done = responding.accept_all(qid, session=s, actor="bulk@example.com", actor_id=bulk_user, min_tier="review")
    assert (done.accepted, done.skipped_changed) == (2, 1), done
    after = _items(engine, qid)
    mfa = after["MFA-01"]
    assert (mfa.answer, mfa.comment, mfa.decided_by) == ("No", "Our own answer", reviewer)
    assert mfa.lock_version == target.lock_version + 1
    for question_id in ("ENC-01", "BCP-01"):
        item = after[question_id]
        assert item.status == ItemStatus.accepted and item.answer == item.suggested_answer
        assert item.decided_by == bulk_user and item.decided_at is not None
    # usage: the reviewer's accept counted once, the bulk accept did not count it again
    assert sum(_usage(engine).values()) == 3


def test_two_bulk_accepts_at_once_accept_each_item_once(engine, world, monkeypatch):
    qid, bulk_user, reviewer = world
    inner: list[responding.BulkAccepted] = []

    def other_bulk_accept() -> None:
        with Session(engine) as other:
            inner.append(
                responding.accept_all(
                    qid, session=other, actor="reviewer@example.com", actor_id=reviewer, min_tier="review"
                )
            )

    _during_read(monkeypatch, other_bulk_accept)
    with Session(engine, expire_on_commit=False) as s:
        done = responding.accept_all(qid, session=s, actor="bulk@example.com", actor_id=bulk_user, min_tier="review")
    assert inner[0].accepted == 3
    assert (done.accepted, done.skipped_changed) == (0, 3), done
    assert {i.decided_by for i in _items(engine, qid).values() if i.status == ItemStatus.accepted} == {reviewer}
    assert sorted(n for n in _usage(engine).values() if n) == [1, 1, 1]


def test_a_reviewers_save_read_before_a_bulk_accept_is_refused_not_written_over_it(engine, world, monkeypatch):
    # the other order: the reviewer's save read the item, then a bulk accept committed; the
    # save's version check had passed, and its write replaced the accepted answer anyway
    qid, bulk_user, reviewer = world
    target = _items(engine, qid)["ENC-01"]
    original = responding.control_character_problem

    def bulk_accept_first(values):
        with Session(engine) as other:
            responding.accept_all(qid, session=other, actor="bulk@example.com", actor_id=bulk_user, min_tier="exact")
        return original(values)

    monkeypatch.setattr(responding, "control_character_problem", bulk_accept_first)
    with Session(engine, expire_on_commit=False) as s, pytest.raises(responding.StaleItem):
        responding.decide(
            target.id,
            responding.Decision(answer="No", status="accepted"),
            session=s,
            actor="reviewer@example.com",
            actor_id=reviewer,
            expected_version=target.lock_version,
        )
    enc = _items(engine, qid)["ENC-01"]
    assert (enc.answer, enc.decided_by, enc.lock_version) == ("Yes", bulk_user, target.lock_version + 1)
    assert sum(_usage(engine).values()) == 1


def test_bulk_accept_skips_a_suggestion_matched_again_after_its_read(engine, world, monkeypatch):
    # a curator turned the entry's answer around and someone pressed "Match again" while
    # the bulk accept ran: it checked the old suggestion, and must not write the new one
    from answers.models import EntryUpdate

    qid, bulk_user, _reviewer = world
    enc = _items(engine, qid)["ENC-01"]

    def rematch_after_a_curator_edit() -> None:
        with Session(engine) as other:
            bank.update_entry(enc.entry_id, EntryUpdate(answer="No"), session=other, actor="cur@example.com")
            invalidate()
            responding.resuggest(qid, session=other, actor="cur@example.com")

    _during_read(monkeypatch, rematch_after_a_curator_edit)
    with Session(engine, expire_on_commit=False) as s:
        done = responding.accept_all(qid, session=s, actor="bulk@example.com", actor_id=bulk_user, min_tier="exact")
    assert (done.accepted, done.skipped_changed) == (0, 1), done
    after = _items(engine, qid)["ENC-01"]
    assert (after.status, after.answer, after.suggested_answer) == (ItemStatus.pending, None, "No")


def test_bulk_accept_with_nothing_left_to_accept_changes_nothing(engine, world):
    qid, bulk_user, _reviewer = world
    with Session(engine, expire_on_commit=False) as s:
        first = responding.accept_all(qid, session=s, actor="bulk@example.com", actor_id=bulk_user, min_tier="review")
    before = {k: (i.answer, i.lock_version) for k, i in _items(engine, qid).items()}
    with Session(engine, expire_on_commit=False) as s:
        again = responding.accept_all(qid, session=s, actor="bulk@example.com", actor_id=bulk_user, min_tier="review")
    assert first.accepted == 3 and again == responding.BulkAccepted()
    assert {k: (i.answer, i.lock_version) for k, i in _items(engine, qid).items()} == before
