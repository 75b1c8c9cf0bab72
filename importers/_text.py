"""Text rules shared by the spreadsheet importers: ids, placeholders, question shapes."""

from __future__ import annotations

import re

# Template text that fills an answer cell of a blank questionnaire: not an answer.
PLACEHOLDERS = {
    p.casefold()
    for p in (
        "Vendor Name",
        "Product Name",
        "Product Name and Version Information",
        "Brief Description of the Product",
        "mm/dd/yyyy",
        "mm.dd.yyyy",
        "dd/mm/yyyy",
        "yyyy-mm-dd",
        "555-555-5555",
        "See Instructions tab for guidance",
        "Vendor Contact Name",
        "Vendor Contact Title",
        "Vendor Contact E-mail Address",
        "Vendor Accessibility Contact Name",
        "Vendor Accessibility Contact Title",
        "Vendor Accessibility Contact E-mail Address",
        "Institution's Security Analyst/Engineer Name",
        "ticket#@yourdomain.edu",
        "Institution Department Name",
        "Institution Department Code",
        "Institution Department Contact Name",
        "Institution Department Contact Email",
        "Institution Department Primary Campus (if applicable)",
        "Brief summary of Institution's Department/Unit Use",
        "Enter text here",
        "Click here to enter text.",
        "Insert response here",
    )
}
_PLACEHOLDER_RE = re.compile(r"^(https?://www\.vendor\.domain/\S*|e\.g\.,?\s.*)$", re.IGNORECASE)


# Characters that show nothing but split a word for every comparison: zero-width space,
# non-joiner and joiner, word joiner, byte-order mark, soft hyphen (a paste from a web page
# or Word leaves them inside words: "in\u00adcident" no longer matches "incident"); and the
# bidirectional controls (embeddings, overrides, isolates, LRM/RLM), which reorder how the
# text around them is shown.
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")


def strip_invisible(text: str) -> str:
    """``text`` without zero-width characters, soft hyphens and bidi controls."""
    return _INVISIBLE.sub("", text)


def answer_text(raw: str, question: str = "") -> str | None:
    """The cell's text as an existing answer, or None for empty cells and template
    placeholders (`Vendor Name`, `mm/dd/yyyy`, a copy of the question label, ...)."""
    text = raw.strip()
    if not text:
        return None
    folded = text.casefold()
    if folded in PLACEHOLDERS or _PLACEHOLDER_RE.match(text):
        return None
    if question and folded == question.strip().casefold():
        return None
    return text


def normalise_id(raw: str) -> str:
    """`AIS- 02.2` -> `AIS-02.2`, `CO-02      ` -> `CO-02`: ids carry no whitespace."""
    return re.sub(r"\s+", "", raw)


QUESTION_WORDS = (
    "do",
    "does",
    "did",
    "is",
    "are",
    "was",
    "were",
    "has",
    "have",
    "had",
    "can",
    "could",
    "will",
    "would",
    "shall",
    "should",
    "may",
    "must",
    "how",
    "what",
    "when",
    "where",
    "which",
    "who",
    "whom",
    "whose",
    "why",
    "please",
    "describe",
    "provide",
    "explain",
    "list",
    "indicate",
    "specify",
    "state",
    "identify",
    "confirm",
    "detail",
    "outline",
    "define",
    "name",
    "select",
)
_NUMBERED = re.compile(r"^\s*(\d{1,3}(?:\.\d{1,3})*)[.)]\s+(\S.*)$", re.DOTALL)
_FIRST_WORD = re.compile(r"^[\W\d_]*([A-Za-z]+)")


def split_numbering(text: str) -> tuple[str | None, str]:
    """`12. Does the ...` -> ('12', 'Does the ...'); text without numbering -> (None, text)."""
    m = _NUMBERED.match(text)
    if m:
        return m.group(1), m.group(2).strip()
    return None, text


def looks_like_question(text: str) -> bool:
    """A question by its shape: ends with '?', or opens with a question/request word."""
    _, body = split_numbering(text.strip())
    if len(body) < 8:
        return False
    if body.rstrip().endswith("?"):
        return True
    m = _FIRST_WORD.match(body)
    return bool(m) and m.group(1).lower() in QUESTION_WORDS and len(body.split()) >= 3
