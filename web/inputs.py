"""One guard for text no view can store: NUL and unpaired surrogates, refused with a 400
naming the field before any view runs.

PostgreSQL refuses NUL in text columns and no database driver can encode a lone surrogate
(JSON's "\\ud800" decodes to one): either reached the database as a 500. Checking every
text field at the edge is simpler and surer than a check per field: query arguments, form
fields, uploaded file names, JSON bodies and URL path parts. Tabs, newlines and every
other character pass.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from flask import abort, request

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_MAX_DEPTH = 64  # deeper JSON is not ours: it is refused below rather than walked


def _json_texts(value: object, where: str, depth: int = 0) -> Iterator[tuple[str, str]]:
    """(field path, text) for every key and string in a JSON value: answer, items[2].comment."""
    if depth > _MAX_DEPTH:
        abort(400, description="the JSON body is nested too deeply")
    if isinstance(value, str):
        yield where or "body", value
    elif isinstance(value, dict):
        for key, inner in value.items():
            path = f"{where}.{key}" if where else str(key)
            yield path, str(key)
            yield from _json_texts(inner, path, depth + 1)
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _json_texts(inner, f"{where or 'body'}[{index}]", depth + 1)


def _request_texts() -> Iterator[tuple[str, str]]:
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str):
            yield name, value
    for name, value in request.args.items(multi=True):
        yield name, name
        yield name, value
    for name, value in request.form.items(multi=True):
        yield name, name
        yield name, value
    for name, file in request.files.items(multi=True):
        yield name, name
        yield f"{name} (file name)", file.filename or ""
    if request.is_json:
        yield from _json_texts(request.get_json(silent=True), "")


def _describe(ch: str) -> str:
    if ch == "\x00":
        return "a NUL character (U+0000)"
    return f"an unpaired surrogate (U+{ord(ch):04X}), which is not text"


def refuse_unstorable_text() -> None:
    """before_request: 400 "<field>: contains ..." for NUL or a lone surrogate anywhere."""
    for field, text in _request_texts():
        found = _UNSTORABLE.search(text)
        if found:
            abort(400, description=f"{field}: contains {_describe(found.group())}; remove it and try again")
