"""Small helpers shared by the views: who is acting, from where, parsing form fields."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from werkzeug.routing import IntegerConverter

from web.security import client_ip, current_user

__all__ = [
    "INT64_MAX",
    "BadField",
    "BoundedIntConverter",
    "actor",
    "bounded_query_int",
    "client_ip",
    "decide_from",
    "ingest_upload",
    "overflow_error",
    "parse_date",
    "parse_int",
    "text_field",
]

# Ids are 64-bit in every database we run on: a larger number is no id (SQLite raises
# OverflowError binding it, a 500), so it is refused at the edge.
INT64_MAX = 2**63 - 1


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` bounded to 64-bit: /questionnaires/99999999999999999999999 is a 404."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = None, signed=False):
        super().__init__(map, fixed_digits, min, INT64_MAX if max is None else max, signed)


def overflow_error(exc: OverflowError):
    """Last resort for a number too large for a date or the database: 400, not a 500.
    JSON under /api, an HTML page elsewhere."""
    from flask import jsonify, request
    from werkzeug.exceptions import BadRequest

    message = "a number in the request is out of range"
    if request.path.startswith("/api/"):
        return jsonify(error=message), 400
    return BadRequest(message)


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
        number = int(str(value).strip())
    except ValueError as exc:  # also past Python's 4,300-digit limit
        raise BadField(f"{field}: expected a whole number") from exc
    if not -INT64_MAX - 1 <= number <= INT64_MAX:
        raise BadField(f"{field}: the number is out of range")
    return number


def bounded_query_int(args: Mapping[str, str], name: str, default: int, *, low: int, high: int) -> int:
    """A page or day count from the query string, clamped to low..high (`?page=9999...`
    shows the last page rather than overflowing); missing or not digits: `default`."""
    raw = (args.get(name) or "").strip()
    if not raw.isdigit() or not raw.isascii():
        return default
    if len(raw) > len(str(high)):
        return high
    return min(max(int(raw), low), high)


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
