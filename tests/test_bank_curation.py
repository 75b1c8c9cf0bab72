"""Bank use cases: edit = new revision, approve, retire, restore as a new version, merge,
search, freshness, usage; and the rules autofill obeys (stale and draft entries are never
written above `review`)."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from openpyxl import Workbook, load_workbook
from sqlmodel import select

from answers import bank, responding
from answers.models import AuditEvent, Entry, EntryCreate, EntryStatus, EntryUpdate, EntryVersion, Item, ItemStatus
from answers.suggest import invalidate

TODAY = dt.date.today()


def _entry(session, question, answer="Yes", comment="", **kw) -> Entry:
    invalidate()
    return bank.create_entry(
        EntryCreate(question=question, answer=answer, comment=comment, **kw), session=session, actor="cur@example.com"
    )


def _questionnaire(*questions: str) -> bytes:
    """A HECVAT-like sheet with a free-text answer column (no dropdowns) and comments."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Questions"
    ws.append(["ID", "Question", "Answer", "Comments"])
    for n, text in enumerate(questions, start=1):
        ws.append([f"Q-{n:02d}", text, None, None])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _autofill(session, *questions):
    invalidate()
    return responding.autofill(_questionnaire(*questions), "vendor.xlsx", session=session, max_bytes=5_000_000)


def test_update_creates_a_revision_and_keeps_history(session):
    e = _entry(session, "Do you encrypt data at rest?", status=EntryStatus.approved)
    bank.update_entry(e.id, EntryUpdate(comment="AES-256 on every volume."), session=session, actor="a@example.com")
    assert e.revision == 2 and e.status == EntryStatus.approved  # a curator's edit keeps the status
    revs = session.exec(select(EntryVersion).where(EntryVersion.entry_id == e.id)).all()
    assert sorted(v.revision for v in revs) == [1, 2]
    assert [v.snapshot["comment"] for v in sorted(revs, key=lambda v: v.revision)] == ["", "AES-256 on every volume."]
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "entry.update")).one()
    assert event.details["before"]["comment"] == "" and event.details["after"]["comment"] == "AES-256 on every volume."
    # nothing changed: no new revision
    bank.update_entry(e.id, EntryUpdate(comment="AES-256 on every volume."), session=session, actor="a@example.com")
    assert e.revision == 2


def test_update_to_draft_clears_approval_and_rejects_empty_question(session):
    e = _entry(session, "Do you run a bug bounty?", status=EntryStatus.approved)
    assert e.approved_by == "cur@example.com"
    bank.update_entry(e.id, EntryUpdate(status=EntryStatus.draft), session=session, actor="b@example.com")
    assert e.status == EntryStatus.draft and e.approved_at is None
    with pytest.raises(bank.EntryError):
        bank.update_entry(e.id, EntryUpdate(question="  "), session=session, actor="b@example.com")


def test_approve_stamps_who_and_renews_a_stale_review_date(session):
    e = _entry(session, "Is MFA enforced?", review_by=TODAY - dt.timedelta(days=3))
    assert bank.is_stale(e)
    bank.approve(e.id, session=session, actor="boss@example.com")
    assert e.status == EntryStatus.approved and e.approved_by == "boss@example.com"
    assert not bank.is_stale(e) and e.review_by > TODAY
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "entry.approve")).first() is not None


def test_retire_then_restore_creates_a_new_version(session):
    e = _entry(session, "Do you log admin access?", comment="first text", status=EntryStatus.approved)
    bank.update_entry(e.id, EntryUpdate(comment="second text"), session=session, actor="x@example.com")
    bank.retire(e.id, session=session, actor="x@example.com")
    assert e.status == EntryStatus.retired and e.revision == 3
    bank.restore_version(e.id, 1, session=session, actor="x@example.com")
    # back in use, but not approved by whoever restored it: a curator approves it anew
    assert e.revision == 4 and e.comment == "first text" and e.status == EntryStatus.draft
    assert (e.approved_at, e.approved_by) == (None, None)
    history = bank.versions(e.id, session=session)
    assert [v.revision for v in history] == [4, 3, 2, 1]
    assert history[0].note == "restored revision 1"
    assert history[1].snapshot["comment"] == "second text"  # history is never rewritten
    with pytest.raises(bank.EntryNotFound):
        bank.restore_version(e.id, 99, session=session, actor="x@example.com")


def test_version_diff_names_changed_fields():
    diff = dict(bank.version_diff({"comment": "a\nb", "tags": ["x"]}, {"comment": "a\nc", "tags": ["x"]}))
    assert list(diff) == ["comment"]
    assert "-b" in diff["comment"] and "+c" in diff["comment"]


def test_merge_keeps_alternates_tags_sources_and_history(session):
    keep = _entry(
        session, "Do you encrypt data at rest?", tags=["crypto"], source="A.xlsx", status=EntryStatus.approved
    )
    other = _entry(
        session,
        "Is customer data encrypted at rest?",
        alternates=["Is stored data encrypted?"],
        tags=["storage"],
        source="B.xlsx",
    )
    bank.update_entry(other.id, EntryUpdate(comment="AES"), session=session, actor="x@example.com")
    bank.merge_entries(keep.id, [other.id], session=session, actor="x@example.com")
    assert keep.alternates == ["Is customer data encrypted at rest?", "Is stored data encrypted?"]
    assert keep.tags == ["crypto", "storage"] and keep.source == "A.xlsx; B.xlsx"
    assert other.status == EntryStatus.retired
    other_history = bank.versions(other.id, session=session)
    assert [v.revision for v in other_history] == [3, 2, 1]  # its own history stays
    assert other_history[0].note == f"merged into #{keep.id}"
    assert bank.versions(keep.id, session=session)[0].note == f"merged #{other.id}"


def test_merge_refuses_entries_of_other_products(session):
    a = _entry(session, "Where is data hosted?", answer="EU", products=["Cloud"])
    b = _entry(session, "Where is the data hosted?", answer="US")
    with pytest.raises(bank.EntryError, match="other products"):
        bank.merge_entries(a.id, [b.id], session=session, actor="x@example.com")
    assert b.status == EntryStatus.draft


def test_search_filters_sorts_and_pages(session):
    a = _entry(
        session, "Do you encrypt backups?", tags=["crypto"], owner="sec@example.com", status=EntryStatus.approved
    )
    b = _entry(session, "Is 100% of traffic encrypted in transit?", owner="net@example.com")
    c = _entry(session, "Do you have a DPO?", review_by=TODAY - dt.timedelta(days=1), status=EntryStatus.approved)
    retired = _entry(session, "Old encrypted question")
    bank.retire(retired.id, session=session, actor="x")
    bank.record_use([a.id, a.id, c.id], session=session)
    session.commit()

    def ids(**kw):
        return [e.id for e in bank.search(bank.SearchFilters(**kw), session=session).entries]

    assert set(ids(query="ENCRYPT")) == {a.id, b.id}
    assert ids(query="100%") == [b.id]  # LIKE wildcards are literal
    assert ids(tag="crypto") == [a.id]
    assert ids(owner="net@example.com") == [b.id]
    assert ids(stale=True) == [c.id]
    assert set(ids(never_used=True)) == {b.id}
    assert ids(sort="usage")[:2] == [a.id, c.id]
    assert ids(status="retired") == [retired.id]
    page = bank.search(bank.SearchFilters(), session=session, page=2, per_page=2)
    assert page.total == 3 and len(page.entries) == 1 and page.pages == 2
    with pytest.raises(bank.EntryError):
        bank.search(bank.SearchFilters(sort="nope"), session=session)


def test_due_for_review_groups_by_owner(session):
    _entry(session, "Q one?", owner="a@example.com", review_by=TODAY - dt.timedelta(days=10))
    _entry(session, "Q two?", owner="a@example.com", review_by=TODAY + dt.timedelta(days=5))
    _entry(session, "Q three?", owner="b@example.com", review_by=TODAY + dt.timedelta(days=200))
    _entry(session, "Q four?", review_by=None)
    groups = bank.due_for_review(session=session, within_days=30)
    assert list(groups) == ["a@example.com"]
    assert [e.question for e in groups["a@example.com"]] == ["Q one?", "Q two?"]


def test_stale_entries_are_never_written_by_autofill(session):
    fresh = _entry(session, "Do you encrypt data at rest?", status=EntryStatus.approved)
    stale = _entry(
        session,
        "Do you perform annual penetration tests?",
        status=EntryStatus.approved,
        review_by=TODAY - dt.timedelta(days=1),
    )
    result = _autofill(session, fresh.question, stale.question)
    by_q = {r["question"]: r for r in result.report}
    assert by_q[fresh.question]["written"] and by_q[fresh.question]["tier"] == "exact"
    assert by_q[stale.question]["tier"] == "review" and not by_q[stale.question]["written"]
    assert by_q[stale.question]["entry_id"] == stale.id
    sheet = load_workbook(io.BytesIO(result.data)).active
    assert sheet["C2"].value == "Yes" and sheet["C3"].value is None
    # re-approval makes it usable again
    bank.approve(stale.id, session=session, actor="cur@example.com")
    again = _autofill(session, stale.question)
    assert again.report[0]["tier"] == "exact" and again.report[0]["written"]


def test_drafts_need_approval_before_they_are_exact(session):
    draft = _entry(session, "Do you have a written incident response plan?", comment="Tested yearly.")
    first = _autofill(session, draft.question)
    assert first.report[0]["entry_id"] == draft.id
    assert first.report[0]["tier"] == "review" and not first.report[0]["written"]
    bank.approve(draft.id, session=session, actor="cur@example.com")
    second = _autofill(session, draft.question)
    assert second.report[0]["tier"] == "exact" and second.report[0]["written"]


def test_accepting_an_item_records_use_once(session, app, tmp_path):
    e = _entry(session, "Do you encrypt data at rest?", status=EntryStatus.approved)
    invalidate()
    q = responding.ingest(
        _questionnaire(e.question, "Something the bank does not know about at all?"),
        "c.xlsx",
        session=session,
        actor="s@example.com",
        upload_folder=str(tmp_path),
        max_bytes=5_000_000,
    )
    items = responding.list_items(q.id, session=session)
    assert items[0].entry_id == e.id
    responding.decide(items[0].id, responding.Decision(status="accepted"), session=session, actor="s")
    responding.decide(items[0].id, responding.Decision(status="accepted"), session=session, actor="s")
    session.refresh(e)
    assert e.usage_count == 1 and e.last_used_at is not None
    used = bank.used_in(e.id, session=session)
    assert [(u.questionnaire_id, u.items) for u in used] == [(q.id, 1)]
    # bulk accept counts too
    q2 = responding.ingest(
        _questionnaire(e.question),
        "d.xlsx",
        session=session,
        actor="s",
        upload_folder=str(tmp_path),
        max_bytes=5_000_000,
    )
    assert responding.accept_all(q2.id, session=session, actor="s", min_tier="high").accepted == 1
    session.refresh(e)
    assert e.usage_count == 2
    assert session.exec(select(Item).where(Item.status == ItemStatus.accepted)).all()
    assert json.dumps(bank.snapshot(e))  # snapshots stay JSON


def test_search_folds_non_ascii_case_and_finds_non_ascii_alternates(session):
    a = _entry(session, "Werden Daten verschlüsseln übertragen?")
    b = _entry(session, "Do you encrypt data?", alternates=["Daten werden verschlüsselt"])
    c = _entry(session, "Is 100% of STRASSE traffic logged?")

    def ids(query):
        return {e.id for e in bank.search(bank.SearchFilters(query=query), session=session).entries}

    assert ids("VERSCHLÜSSELN") == {a.id}
    assert ids("ÜBERTRAGEN") == {a.id}
    assert ids("verschlüsselt") == {b.id}
    assert ids("VERSCHLÜSSELT") == {b.id}
    assert ids("straße") == {c.id}  # casefold: ß is ss
    assert ids("100%") == {c.id} and ids("10_%") == set()  # wildcards stay literal


def test_record_use_counts_each_entry_as_often_as_it_was_used(session):
    # one UPDATE per distinct count (a bulk accept records hundreds of entries at once)
    a, b, c, unused = (_entry(session, f"Question {n}?") for n in range(4))
    bank.record_use([a.id, b.id, a.id, None, c.id, a.id], session=session)
    session.commit()
    for e in (a, b, c, unused):
        session.refresh(e)
    assert [e.usage_count for e in (a, b, c, unused)] == [3, 1, 1, 0]
    assert a.last_used_at is not None and unused.last_used_at is None
