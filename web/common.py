"""Small helpers shared by the views: who is acting, from where, parsing form fields."""

from __future__ import annotations

import datetime as dt

from web.security import client_ip, current_user

__all__ = ["BadField", "actor", "client_ip", "parse_date", "parse_int", "text_field"]


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
