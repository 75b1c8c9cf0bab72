"""Pure matching engine: index a bank snapshot, rank candidates, score, tier.

No Flask, no SQLModel: takes and returns plain dataclasses. The full engine lands with
the matching issue (#4); the foundation needs only text normalisation.
"""

from __future__ import annotations

import re
import unicodedata

_SPACE = re.compile(r"\s+")
_PUNCT = re.compile(r"[^\w\s]")
_LEADING_NUMBER = re.compile(r"^\s*(?:\(?[0-9]+(?:\.[0-9]+)*[.)]?|\(?[a-z][.)])\s+", re.IGNORECASE)


def normalise(text: str) -> str:
    """Case-, punctuation- and whitespace-insensitive form used for exact matching.

    Leading numbering ("12. ", "(a) ") is dropped: it is layout, not the question.
    """
    text = unicodedata.normalize("NFKC", text or "").casefold()
    text = _LEADING_NUMBER.sub("", text)
    text = _PUNCT.sub(" ", text)
    return _SPACE.sub(" ", text).strip()
