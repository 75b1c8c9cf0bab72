"""Google VSAQ questionnaires (JSON question definitions) as a ParsedQuestionnaire.

For the cross-family evaluations only: VSAQ is a web form, not a file a customer sends
back, so the product has no importer for it. The files are not strict JSON (a ``//``
licence header, string literals joined with ``+`` across lines); items nest in blocks.
Answerable items (``line``, ``box``, ``radiogroup``, ``checkgroup``) become questions
with id ``<file stem>:<item id>`` (``<file stem>:#<position>`` for the few without) and
the text stripped of HTML, each with a stand-in answer cell (column 1 of a row per item)
so a suggestion can be written; no choices: a radiogroup's labels are sentences ("Yes,
we have a published security contact ..."), and the bench measures matching.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path

from importers.base import CellRef, ParsedQuestionnaire, Question

ANSWERABLE = ("line", "box", "radiogroup", "checkgroup")
_TAG = re.compile(r"<[^>]+>")
_JOINED = re.compile(r'"\s*\+\s*\n\s*"')
_SPACE = re.compile(r"\s+")


def _items(node: object) -> Iterator[dict]:
    if isinstance(node, dict):
        if node.get("type") in ANSWERABLE:
            yield node
        for value in node.values():
            yield from _items(value)
    elif isinstance(node, list):
        for value in node:
            yield from _items(value)


def load_vsaq(path: Path) -> ParsedQuestionnaire:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.lstrip().startswith("//")]
    data = json.loads(_JOINED.sub("", "\n".join(lines)))
    stem = path.stem.removeprefix("google-vsaq_")
    questions = []
    for n, item in enumerate(_items(data), start=1):
        text = _SPACE.sub(" ", html.unescape(_TAG.sub(" ", item.get("text") or ""))).strip()
        if not text:
            continue  # a checkgroup of options without a question of its own
        questions.append(
            Question(
                sheet=stem,
                row=n,
                id=f"{stem}:{item.get('id') or f'#{n}'}",  # a few items have no id
                text=text,
                answer_cell=CellRef(stem, n, 1),
            )
        )
    return ParsedQuestionnaire(family="vsaq", version=None, format="json", questions=questions)
