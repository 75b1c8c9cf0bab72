"""Map a bank verdict onto the values a questionnaire cell allows. Pure.

``map_verdict("Yes", ["1) Yes", "2) No", "3) N/A"]) == "1) Yes"``. Never writes a value
the cell does not allow, and never turns an unknown verdict into N/A.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence

_SPACE = re.compile(r"\s+")
# "1) ", "a. ", "(2) ", "3 - " numbering in front of dropdown values
_NUMBERING = re.compile(r"^\s*\(?(?:\d+|[a-z])\s*[).:\-]\s*", re.IGNORECASE)

_CANONICAL: dict[str, frozenset[str]] = {
    "yes": frozenset({"yes", "y", "true", "compliant", "implemented"}),
    "no": frozenset({"no", "n", "false", "not compliant", "not implemented"}),
    "n/a": frozenset(
        {
            "n/a",
            "na",
            "n a",
            "not applicable",
            "does not apply",
            "not relevant",
            "n.a.",
            "n.a",
        }
    ),
}
_LOOKUP = {spelling: canon for canon, spellings in _CANONICAL.items() for spelling in spellings}
# Deliberately absent: "1"/"0"/"x" (rating scales and tick boxes are not verdicts).


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").casefold().strip()
    return _SPACE.sub(" ", text).strip(" .")


def _strip_numbering(text: str) -> str:
    stripped = _NUMBERING.sub("", text, count=1)
    return stripped or text


def canonical_verdict(text: str) -> str | None:
    """'yes' | 'no' | 'n/a' for a recognised verdict spelling, else None."""
    cleaned = _clean(text)
    for candidate in (cleaned, _strip_numbering(cleaned)):
        canon = _LOOKUP.get(candidate)
        if canon is not None:
            return canon
    return None


def is_verdict(text: str) -> bool:
    """True for Yes / No / N/A in any usual spelling ('Y', 'TRUE', '1) Yes', 'Not Applicable')."""
    return canonical_verdict(text) is not None


def map_verdict(verdict: str, choices: Sequence[str]) -> str | None:
    """The cell value to write for ``verdict``, or None when no allowed value fits.

    - No choices (a free-text cell): any non-empty verdict or text answer, unchanged.
    - Choices: the choice spelled like the verdict (case, punctuation and numbering
      aside), else the choice with the same meaning (Yes -> '1) Yes' / 'Y' / 'TRUE';
      N/A -> 'NA' / 'Not Applicable'). A text answer ('72 hours') fits a dropdown only
      if a choice equals it. Empty or unknown verdicts never become N/A.
    """
    verdict = (verdict or "").strip()
    if not verdict:
        return None
    options = [c for c in choices if c is not None and str(c).strip()]
    if not options:
        return verdict
    wanted = _clean(verdict)
    for choice in options:
        cleaned = _clean(str(choice))
        if cleaned == wanted or _strip_numbering(cleaned) == wanted:
            return str(choice)
    canon = canonical_verdict(verdict)
    if canon is None:
        return None
    matches = [str(c) for c in options if canonical_verdict(str(c)) == canon]
    if len(matches) == 1:
        return matches[0]
    return None  # none, or ambiguous ('Yes' and 'Y' both offered is handled above by spelling)


#: A question id as answers cite them: "See VULN-02", "Please see IPY-01.1" (two digits, so
#: "AES-256" or "SHA-256" are not ids).
_QUESTION_REFERENCE = re.compile(r"\b[A-Z]{2,5}-\d{2}(?:\.\d{1,2})?\b")

# Plain-language pointers into the questionnaire itself. Each needs a pointing word and a
# noun of the questionnaire (question, row, an answer above), so "see our SOC 2 report",
# "see https://..." or "section 4.2 of our policy" are not pointers.
_CUE = (
    r"(?:see|refer(?:s|red|ring)?\s+to|as\s+(?:per|in)|per|same\s+as|identical\s+to|"
    r"(?:answered|addressed|covered|described|detailed|explained|provided)\s+(?:in|at|under|by)|"
    r"(?:response|answer|reply)\s+(?:to|in|for|at))"
)
#: "refer to our response to question 12", "see row 45", "same as Question #3"
_NUMBERED_POINTER = re.compile(
    rf"\b{_CUE}\b[^.;:!?\n]{{0,40}}?\b(question|row)s?\s*(?:#|no\.?\s*|number\s+)?(\d+(?:\.\d+)*[a-z]?)\b",
    re.IGNORECASE,
)
#: "refer to section 4.2 of this questionnaire", "see section 3 above"
_SECTION_POINTER = re.compile(
    r"\bsection\s+(\d+(?:\.\d+)*)\s+(?:(?:of|in)\s+this\s+(?:questionnaire|document|form|assessment|survey)"
    r"|above|below)\b",
    re.IGNORECASE,
)
_ANSWER_NOUN = r"(?:answer|response|reply|question|comment|row|entry)s?"
#: "See answer above.", "Same as previous answer.", "as per the response below"
_RELATIVE_POINTER = re.compile(
    rf"\b(?:(?:previous|prior|preceding|earlier|above|following)\s+{_ANSWER_NOUN}"
    rf"|{_ANSWER_NOUN}\s+(?:above|below)"
    rf"|same\s+as\s+(?:the\s+)?(?:above|previous|prior|before)(?!\s+{_ANSWER_NOUN}))\b",
    re.IGNORECASE,
)
#: The whole text is a bare pointer: "See above.", "As above", "Ditto"
_BARE_POINTER = re.compile(
    r"^\s*(?:please\s+)?(?:see|refer\s+to|as|same\s+as)\s+(?:the\s+)?(?:above|below)\W*$|^\s*ditto\W*$", re.I
)


def question_references(*texts: str | None) -> tuple[str, ...]:
    """What ``texts`` point to in their own questionnaire, sorted: question ids ("See
    VULN-02 and VULN-04" -> VULN-02, VULN-04) and plain-language pointers ("refer to our
    response to question 12" -> "question 12", "see row 45" -> "row 45", "section 4.2 of
    this questionnaire" -> "section 4.2", "See answer above." -> "answer above"): numbering
    and positions of one questionnaire, meaningless in another."""
    found: set[str] = set()
    for text in texts:
        text = text or ""
        found.update(_QUESTION_REFERENCE.findall(text))
        found.update(f"{noun.lower()} {number}" for noun, number in _NUMBERED_POINTER.findall(text))
        found.update(f"section {number}" for number in _SECTION_POINTER.findall(text))
        found.update(_SPACE.sub(" ", m.group(0).lower()) for m in _RELATIVE_POINTER.finditer(text))
        if _BARE_POINTER.match(text):
            found.add(_SPACE.sub(" ", text.strip().rstrip(".!").lower()))
    return tuple(sorted(found))


_DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y/%m/%d",
    "%m/%d/%Y",
    "%d/%m/%Y",
    "%m/%d/%y",
    "%d.%m.%Y",
    "%B %d, %Y",
    "%b %d, %Y",
    "%B %d %Y",
    "%d %B %Y",
    "%d %b %Y",
    "%B %Y",
    "%b %Y",
)
_ORDINAL = re.compile(r"(?<=\d)(?:st|nd|rd|th)\b", re.IGNORECASE)
_WORD = re.compile(r"[a-z]+")


def is_date(text: str | None) -> bool:
    """True when ``text`` is a calendar date and nothing else ('2024-05-02',
    '2024-05-02 00:00:00', '05/02/2024', 'December 1st, 2022', 'May 2024')."""
    cleaned = _ORDINAL.sub("", _SPACE.sub(" ", (text or "").strip()).rstrip("."))
    if not cleaned or len(cleaned) > 40 or not any(ch.isdigit() for ch in cleaned):
        return False  # every format has a year: no digit, no date (and no 15 failed strptimes)
    for fmt in _DATE_FORMATS:
        try:
            dt.datetime.strptime(cleaned, fmt)
        except ValueError:
            continue
        return True
    return False


def asks_for_date(question: str | None) -> bool:
    """True for a short question that asks for a date ('Date', 'Date completed',
    'Completion date'), not for one that merely says the word ('Is software kept up to date?')."""
    words = _WORD.findall(unicodedata.normalize("NFKC", question or "").casefold())
    return "date" in words and len(words) <= 4 and "up" not in words


#: "in the past 12 months", "within the last year", "during the previous three years": the
#: answer is true of the period before the day it was given and of no other.
_RECENT_PERIOD = re.compile(
    r"\b(?:in|within|during|over|for)\s+the\s+(?:last|past|previous|preceding|prior)\s+"
    r"(?:[\w-]+\s+){0,2}?(?:days?|weeks?|months?|years?|quarters?)\b",
    re.IGNORECASE,
)


def recent_period(question: str | None) -> str:
    """The words by which ``question`` asks about a recent period ('in the past 12 months',
    'within the last year'), or "": "Have you had a breach in the last 12 months?" No was
    true on the day it was given, and says nothing of the months since."""
    found = _RECENT_PERIOD.search(_SPACE.sub(" ", unicodedata.normalize("NFKC", question or "")))
    return found.group(0) if found else ""
