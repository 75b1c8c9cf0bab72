"""Retention of uploaded questionnaires (`UPLOAD_RETENTION_DAYS`, `flask purge`).

A questionnaire uploaded more than the retention period ago is purged whole: its stored
original is deleted from the upload folder and its Questionnaire and Item rows (question
text, suggestions, answers, comments) are deleted. Exports are never stored (they are
built on the fly from the original and the items), so there is nothing else to remove.
The audit trail is append-only and stays: each purge adds one `questionnaire.purge`
event with ids, counts and metadata only, so `flask audit verify` keeps passing.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlmodel import Session, col, select

from answers import audit, storage
from answers.models import Item, Questionnaire, utcnow
from answers.responding import delete_rows

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Expired:
    id: int
    uploaded_at: dt.datetime
    items: int
    file_present: bool


def cutoff(days: int, *, now: dt.datetime | None = None) -> dt.datetime:
    if days < 0:
        raise ValueError("UPLOAD_RETENTION_DAYS must be 0 or more")
    return (now or utcnow()) - dt.timedelta(days=days)


def expired(session: Session, *, days: int, upload_folder: str, now: dt.datetime | None = None) -> list[Expired]:
    """Questionnaires uploaded before the retention cutoff, oldest first."""
    limit = cutoff(days, now=now)
    rows = session.exec(
        select(Questionnaire).where(Questionnaire.uploaded_at < limit).order_by(col(Questionnaire.uploaded_at))
    )
    out = []
    for q in rows:
        count = len(list(session.exec(select(Item.id).where(Item.questionnaire_id == q.id))))
        out.append(Expired(q.id, q.uploaded_at, count, storage.exists(q.stored_name, upload_folder)))  # type: ignore[arg-type]
    return out


def purge(
    session: Session, *, days: int, upload_folder: str, actor: str = "system", now: dt.datetime | None = None
) -> list[Expired]:
    """Delete every expired questionnaire (file, items, row). One commit per questionnaire,
    so an interrupted purge leaves each questionnaire either whole or gone."""
    done = []
    for e in expired(session, days=days, upload_folder=upload_folder, now=now):
        q = session.get(Questionnaire, e.id)
        if q is None:  # purged meanwhile
            continue
        details = {
            "items": e.items,
            "family": q.family,
            "format": q.format,
            "size": q.size,
            "sha256": q.sha256,
            "uploaded_at": q.uploaded_at.isoformat(),
            "retention_days": days,
            "file_deleted": e.file_present,
        }
        stored_name = q.stored_name
        delete_rows(q, session=session)
        audit.record(
            session, "questionnaire.purge", actor=actor, object_type="questionnaire", object_id=e.id, details=details
        )
        session.commit()
        # The file goes after the rows are gone: a crash in between leaves an orphan file
        # (found by `orphans()`), never a questionnaire whose original is missing.
        storage.delete(stored_name, upload_folder)
        log.info("purged questionnaire %s (%d items)", e.id, e.items)
        done.append(e)
    return done


def orphans(session: Session, *, upload_folder: str) -> list[str]:
    """Stored files no questionnaire refers to (left by a crash mid-purge)."""
    known = set(session.exec(select(Questionnaire.stored_name)))
    return [name for name in storage.names(upload_folder) if name not in known]
