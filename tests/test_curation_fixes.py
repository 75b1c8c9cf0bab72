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
