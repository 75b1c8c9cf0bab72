"""Small helpers shared by the views: who is acting, from where, parsing form fields."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

from flask import abort
from werkzeug.datastructures import MultiDict
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
    "parse_id",
    "parse_int",
    "request_id",
    "request_ids",
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


# ASCII digits only: str.isdigit() also takes "²" (which int() refuses: a 500), and int()
# takes "٣", "１" and "1_000", none of which a form or a client means as a number.
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")
_MAX_DIGITS = len(str(INT64_MAX))


def parse_int(value: object, field: str) -> int | None:
    """A whole number from a form, query or JSON field: a JSON integer or ASCII digits with
    an optional sign, within 64 bits; blank or None -> None. Raises BadField naming `field`."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise BadField(f"{field}: expected a whole number")
    if isinstance(value, str):
        text = value.strip()
        if not _WHOLE_NUMBER.fullmatch(text):
            raise BadField(f"{field}: expected a whole number")
        if len(text.lstrip("+-").lstrip("0")) > _MAX_DIGITS:  # before int(): 4,300 digits raise
            raise BadField(f"{field}: the number is out of range")
        value = int(text)
    if not -INT64_MAX - 1 <= value <= INT64_MAX:
        raise BadField(f"{field}: the number is out of range")
    return value


_TRUE, _FALSE = ("1", "true", "on", "yes"), ("", "0", "false", "off", "no")


def parse_flag(value: object, field: str) -> bool:
    """A yes/no form field (a checkbox sends "1"; API clients send 1, true, on, yes or 0,
    false, off, no, in any case); absent or blank -> False. Raises BadField naming `field`
    for anything else: a flag misspelt must not be read as "no" in silence."""
    text = "" if value is None else str(value).strip().casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise BadField(f"{field}: 1 or 0 (true or false)")


def parse_id(value: object, field: str) -> int | None:
    """An id or revision number (parse_int without a sign, not negative). Raises BadField."""
    if isinstance(value, str) and value.strip()[:1] in ("+", "-"):
        raise BadField(f"{field}: expected an id (digits 0-9)")
    number = parse_int(value, field)
    if number is not None and number < 0:
        raise BadField(f"{field}: expected an id (digits 0-9)")
    return number


def request_id(values: Mapping[str, str], field: str) -> int | None:
    """parse_id of a form or query field for a page view: a bad value is a 400 naming it."""
    try:
        return parse_id(values.get(field), field)
    except BadField as exc:
        abort(400, description=str(exc))


def request_ids(values: MultiDict[str, str], field: str) -> list[int]:
    """Every non-blank value of a repeated form field (`values.getlist`) as ids; 400 otherwise."""
    out = []
    for value in values.getlist(field):
        try:
            number = parse_id(value, field)
        except BadField as exc:
            abort(400, description=str(exc))
        if number is not None:
            out.append(number)
    return out


def bounded_query_int(args: Mapping[str, str], name: str, default: int, *, low: int, high: int) -> int:
    """A page or day count from the query string, clamped to low..high (`?page=9999...`
    shows the last page rather than overflowing); missing or not digits: `default`."""
    raw = (args.get(name) or "").strip()
    if not raw or raw[0] in "+-" or not _WHOLE_NUMBER.fullmatch(raw):
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


#: Questionnaire.customer's length: a longer name is refused, not cut.
CUSTOMER_MAX = 300


def ingest_upload(file, form, *, due_field: str):
    """Store and match an uploaded questionnaire for the signed-in user (page and API).

    Raises QuestionnaireImportError, BadField or ValueError (unknown product)."""
    from flask import current_app

    from answers import responding
    from answers.db import get_session

    due = parse_date(form.get("due_date"), due_field)
    customer = text_field(form, "customer", max_length=CUSTOMER_MAX) or ""  # stored whole, or refused
    name, id_ = actor()
    return responding.ingest(
        file.read(),
        file.filename,
        session=get_session(),
        actor=name,
        actor_id=id_,
        upload_folder=current_app.config["UPLOAD_FOLDER"],
        max_bytes=int(current_app.config["MAX_UPLOAD_MB"]) * 1024 * 1024,
        customer=customer,
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
