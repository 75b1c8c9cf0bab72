"""QA findings on curation: product scope through learn/restore and hygiene, all-or-nothing
resolutions, stale approvals, status changes outside Approve/Retire, stale edits."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import Workbook
from sqlmodel import select

from answers import bank, responding
from answers.learn import learn
from answers.models import EntryVersion
from answers.suggest import invalidate
from importers import ParsedQuestionnaire
from importers.base import Question

TODAY = dt.date.today()
SSO = "Do you support single sign-on with SAML?"


def _parsed(answer: str = "Yes") -> ParsedQuestionnaire:
    return ParsedQuestionnaire(
        family="generic",
        version=None,
        format="xlsx",
        questions=[Question(sheet="S", row=2, id="1", text=SSO, answer_cell=None, answer=answer)],
    )


def _questionnaire(*questions: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Questions"
    ws.append(["ID", "Question", "Answer", "Comments"])
    for n, text in enumerate(questions, start=1):
        ws.append([f"Q-{n:02d}", text, None, None])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _autofill(session, *questions, product=None):
    invalidate()
    return responding.autofill(
        _questionnaire(*questions), "vendor.xlsx", session=session, max_bytes=5_000_000, product=product
    )


def _learned_canvas_entry(session):
    first = learn(_parsed(), session=session, source="a.xlsx", product="Canvas")
    learn(_parsed(), session=session, source="b.xlsx", product="Canvas")
    entry = bank.get_entry(first.entry_ids[0], session=session)
    assert entry.revision == 2
    return entry


def _version(session, entry_id: int, revision: int) -> EntryVersion:
    return session.exec(
        select(EntryVersion).where(EntryVersion.entry_id == entry_id, EntryVersion.revision == revision)
    ).one()


# --- 1. a learned revision keeps the product scope ------------------------------------


def test_learned_revision_records_the_products_and_restore_keeps_them(session):
    entry = _learned_canvas_entry(session)
    assert _version(session, entry.id, 2).snapshot["products"] == ["Canvas"]
    bank.restore_version(entry.id, 2, session=session, actor="cur@example.com")
    assert bank.entry_products(entry.id, session=session) == ["Canvas"]
    report = _autofill(session, SSO).report[0]
    assert not report["written"]


def test_restoring_an_old_learned_row_without_products_keeps_the_current_scope(session):
    entry = _learned_canvas_entry(session)
    row = _version(session, entry.id, 2)
    row.snapshot = {**row.snapshot, "products": []}  # as the bug wrote it
    session.add(row)
    session.commit()
    bank.restore_version(entry.id, 2, session=session, actor="cur@example.com")
    assert bank.entry_products(entry.id, session=session) == ["Canvas"]
    assert not _autofill(session, SSO).report[0]["written"]
    assert _autofill(session, SSO, product="Canvas").report[0]["written"]


# --- 2./3. conflict cards per product scope; keep-one is checked first, all or nothing --


def _learned_conflict(session, product):
    first = learn(_parsed("Yes"), session=session, source=f"{product}-a.xlsx", product=product)
    second = learn(_parsed("No"), session=session, source=f"{product}-b.xlsx", product=product)
    return first.entry_ids[0], second.entry_ids[0]


def test_learned_conflicts_are_grouped_by_product_and_keep_refuses_other_products(session):
    from answers import curation

    canvas = _learned_conflict(session, "Canvas")
    credentials = _learned_conflict(session, "Credentials")
    learned = [f for f in curation.hygiene(session=session).conflicts if f.kind in ("learned", "opposite")]
    assert sorted((f.products, sorted(e.id for e in f.entries)) for f in learned) == [
        (["Canvas"], sorted(canvas)),
        (["Credentials"], sorted(credentials)),
    ]
    import pytest

    with pytest.raises(bank.EntryError, match="nothing changed"):
        curation.keep_one(canvas[0], [*canvas, *credentials], session=session, actor="cur@example.com")
    session.rollback()
    for i in (*canvas, *credentials):
        assert bank.get_entry(i, session=session).status != "retired"


def test_hygiene_page_shows_the_scope_and_resolve_refuses_other_products(curator_client, session):
    canvas = _learned_conflict(session, "Canvas")
    credentials = _learned_conflict(session, "Credentials")
    page = curator_client.get("/bank/hygiene").get_data(as_text=True)
    assert "for Canvas" in page and "for Credentials" in page
    response = curator_client.post(
        "/bank/resolve", data={"entry": [*canvas, *credentials], "keep": canvas[0]}, follow_redirects=True
    )
    assert "nothing changed" in response.get_data(as_text=True)
    session.expire_all()
    assert all(bank.get_entry(i, session=session).status != "retired" for i in (*canvas, *credentials))


def test_resolve_checks_everything_before_retiring_anything(curator_client, session):
    a, b = _learned_conflict(session, "Canvas")
    page = curator_client.post("/bank/resolve", data={"entry": [a], "keep": 999999}, follow_redirects=True)
    assert "nothing changed" in page.get_data(as_text=True) or "not found" in page.get_data(as_text=True)
    curator_client.post("/bank/resolve", data={"entry": [a, b], "keep": 999999})
    session.expire_all()
    assert bank.get_entry(a, session=session).status != "retired"
    assert bank.get_entry(b, session=session).status != "retired"
    # keep must be one of the entries
    curator_client.post("/bank/resolve", data={"entry": [a, b], "keep": 3})
    session.expire_all()
    assert bank.get_entry(a, session=session).status != "retired"
    assert bank.get_entry(b, session=session).status != "retired"
    # a retired entry cannot be the one kept
    bank.retire(b, session=session, actor="cur@example.com")
    curator_client.post("/bank/resolve", data={"entry": [a, b], "keep": b})
    session.expire_all()
    assert bank.get_entry(a, session=session).status != "retired"
    # the valid case still works
    c = learn(_parsed("No"), session=session, source="c.xlsx", product="Canvas").entry_ids[0]
    assert curator_client.post("/bank/resolve", data={"entry": [a, c], "keep": a}).status_code == 303
    session.expire_all()
    assert bank.get_entry(c, session=session).status == "retired"
    assert not bank.get_entry(a, session=session).conflict


# --- 4. stale approvals ---------------------------------------------------------------


def test_restoring_an_approved_revision_past_its_review_date_brings_back_a_draft(session):
    import pytest

    entry = bank.create_entry(
        bank.EntryCreate(question=SSO, answer="Yes", status="approved", review_by=TODAY - dt.timedelta(days=10)),
        session=session,
        actor="cur@example.com",
    )
    bank.update_entry(entry.id, bank.EntryUpdate(answer="No"), session=session, actor="cur@example.com")
    bank.restore_version(entry.id, 1, session=session, actor="cur@example.com")
    assert entry.answer == "Yes" and entry.status == "draft" and entry.approved_at is None
    with pytest.raises(bank.EntryError, match="has passed"):
        bank.approve(entry.id, session=session, actor="cur@example.com", review_by=TODAY - dt.timedelta(days=1))
    session.rollback()
    assert bank.get_entry(entry.id, session=session).status == "draft"
    bank.approve(entry.id, session=session, actor="cur@example.com", review_by=TODAY)
    assert entry.status == "approved"
    # a fresh approved revision still comes back approved
    bank.update_entry(entry.id, bank.EntryUpdate(comment="SAML 2.0."), session=session, actor="cur@example.com")
    revision = entry.revision
    bank.update_entry(entry.id, bank.EntryUpdate(status="draft"), session=session, actor="cur@example.com")
    bank.restore_version(entry.id, revision, session=session, actor="cur@example.com")
    assert entry.status == "approved"


# --- 5. status changes by edit / PATCH obey Approve and Retire ------------------------


def _form(entry, **changes):
    data = {
        "question": entry.question,
        "answer": entry.answer,
        "comment": entry.comment,
        "owner": entry.owner,
        "status": str(entry.status),
        "revision": entry.revision,
    }
    data.update(changes)
    return data


def test_edit_form_retiring_an_entry_clears_the_rivals_conflict(curator_client, session):
    a, b = _learned_conflict(session, "Canvas")
    rival = bank.get_entry(b, session=session)
    response = curator_client.post(f"/bank/{a}/edit", data=_form(bank.get_entry(a, session=session), status="retired"))
    assert response.status_code == 303
    session.expire_all()
    assert bank.get_entry(a, session=session).status == "retired"
    assert not bank.get_entry(b, session=session).conflict and rival.id == b


def test_patch_cannot_revive_a_retired_entry_and_approval_gets_a_fresh_date(app, people, session):
    from tests.auth_helpers import bearer, token_for

    client = app.test_client()
    headers = bearer(token_for(app, people["curator"]))
    entry = bank.create_entry(
        bank.EntryCreate(question=SSO, answer="Yes", review_by=TODAY - dt.timedelta(days=5)),
        session=session,
        actor="cur@example.com",
    )
    approved = client.patch(f"/api/v1/entries/{entry.id}", json={"status": "approved"}, headers=headers)
    assert approved.status_code == 200 and approved.get_json()["stale"] is False
    assert client.patch(f"/api/v1/entries/{entry.id}", json={"status": "draft"}, headers=headers).status_code == 200
    refused = client.patch(
        f"/api/v1/entries/{entry.id}",
        json={"status": "approved", "review_by": (TODAY - dt.timedelta(days=1)).isoformat()},
        headers=headers,
    )
    assert refused.status_code == 400 and "has passed" in refused.get_json()["error"]
    session.expire_all()  # the API changed it in its own session
    bank.retire(entry.id, session=session, actor="cur@example.com")
    revived = client.patch(f"/api/v1/entries/{entry.id}", json={"status": "approved"}, headers=headers)
    assert revived.status_code == 400 and "Restore" in revived.get_json()["error"]
    session.expire_all()
    assert bank.get_entry(entry.id, session=session).status == "retired"


# --- 6. a stale save is refused -------------------------------------------------------


def test_a_second_curators_stale_edit_is_refused_and_keeps_the_typed_text(curator_client, session):
    entry = bank.create_entry(bank.EntryCreate(question=SSO, answer="Yes"), session=session, actor="cur@example.com")
    page = curator_client.get(f"/bank/{entry.id}/edit").get_data(as_text=True)
    assert 'name="revision" value="1"' in page
    first = curator_client.post(f"/bank/{entry.id}/edit", data=_form(entry, comment="First curator's text."))
    assert first.status_code == 303
    stale = curator_client.post(f"/bank/{entry.id}/edit", data=_form(entry, comment="Second curator's text."))
    body = stale.get_data(as_text=True)
    assert stale.status_code == 409 and "changed since you opened it" in body
    assert "Second curator&#39;s text." in body and 'name="revision" value="2"' in body
    session.expire_all()
    assert bank.get_entry(entry.id, session=session).comment == "First curator's text."


def test_patch_with_a_stale_revision_is_a_409(app, people, session):
    from tests.auth_helpers import bearer, token_for

    client = app.test_client()
    headers = bearer(token_for(app, people["curator"]))
    entry = bank.create_entry(bank.EntryCreate(question=SSO, answer="Yes"), session=session, actor="cur@example.com")
    url = f"/api/v1/entries/{entry.id}"
    assert client.patch(url, json={"comment": "A", "revision": 1}, headers=headers).status_code == 200
    stale = client.patch(url, json={"comment": "B", "revision": 1}, headers=headers)
    assert stale.status_code == 409 and "revision" in stale.get_json()["error"]
    assert client.patch(url, json={"revision": "2"}, headers=headers).status_code == 400
    assert client.patch(url, json={"comment": "C"}, headers=headers).status_code == 200  # revision is optional
    assert client.get(url, headers=headers).get_json()["comment"] == "C"
