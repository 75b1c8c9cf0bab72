"""Small helpers shared by the views: who is acting, from where, parsing form fields."""

from __future__ import annotations

import datetime as dt

from web.security import client_ip, current_user

__all__ = ["BadField", "actor", "client_ip", "decide_from", "ingest_upload", "parse_date", "parse_int", "text_field"]


def actor() -> tuple[str, int | None]:
    """(email, user id) of the signed-in user or token owner; ('anonymous', None) otherwise."""
    user = current_user()
    if user is None:
        return "anonymous", None
    return user.email, user.id


class BadField(ValueError):
    """A form or JSON field with a value we cannot use; the message names the field."""


def parse_date(value: str | None, field: str) -> dt.date | None:
    if value is None or not str(value).strip():
        return None
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise BadField(f"{field}: expected a date like 2026-12-31") from exc


def parse_int(value: object, field: str) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise BadField(f"{field}: expected a whole number")
    try:
        return int(str(value).strip())
    except ValueError as exc:
        raise BadField(f"{field}: expected a whole number") from exc


def text_field(data: dict, field: str, *, max_length: int = 10_000) -> str | None:
    value = data.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadField(f"{field}: expected text")
    if len(value) > max_length:
        raise BadField(f"{field}: at most {max_length:,} characters")
    return value


def ingest_upload(file, form, *, due_field: str):
    """Store and match an uploaded questionnaire for the signed-in user (page and API).

    Raises QuestionnaireImportError, BadField or ValueError (unknown product)."""
    from flask import current_app

    from answers import responding
    from answers.db import get_session

    due = parse_date(form.get("due_date"), due_field)
    name, id_ = actor()
    return responding.ingest(
        file.read(),
        file.filename,
        session=get_session(),
        actor=name,
        actor_id=id_,
        upload_folder=current_app.config["UPLOAD_FOLDER"],
        max_bytes=int(current_app.config["MAX_UPLOAD_MB"]) * 1024 * 1024,
        customer=form.get("customer", ""),
        product=form.get("product") or None,
        due_date=due,
        ip=client_ip(),
    )


def decide_from(item_id: int, data: dict, *, blank_status_is_none: bool = False):
    """Apply a reviewer's decision given as form or JSON fields (page and API).

    Raises BadField, LookupError, responding.StaleItem or responding.DecisionError."""
    from answers import responding
    from answers.db import get_session

    status = text_field(data, "status", max_length=20)
    name, id_ = actor()
    decision = responding.Decision(
        answer=text_field(data, "answer", max_length=32_000),
        comment=text_field(data, "comment", max_length=32_000),
        status=(status or None) if blank_status_is_none else status,
        assignee=text_field(data, "assignee", max_length=320),
        entry_id=parse_int(data.get("entry_id"), "entry_id"),
    )
    return responding.decide(
        item_id,
        decision,
        session=get_session(),
        actor=name,
        actor_id=id_,
        expected_version=parse_int(data.get("lock_version"), "lock_version"),
        ip=client_ip(),
    )
