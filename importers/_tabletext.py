"""Text heuristics shared by the table-shaped importers (CSV, Word tables).

Which header names mean question / answer / comment / id, what a question id looks like,
what reads like a question, and which column of a table holds the questions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from importers.base import Question

QUESTION_HEADERS = {
    "question", "questions", "question text", "question/request", "questionnaire question", "requirement",
    "control question", "security question", "description", "item", "query", "request",
    "consensus assessment questions",
    # French, Spanish, German, Portuguese, Italian, Dutch (as _table's header patterns)
    "pregunta", "preguntas", "frage", "fragen", "pergunta", "perguntas", "domanda", "domande", "vraag", "vragen",
}  # fmt: skip
ANSWER_HEADERS = {
    "answer", "answers", "response", "responses", "vendor answer", "vendor answers", "vendor response",
    "supplier response", "supplier answer", "yes/no", "y/n", "your answer", "your response", "reply",
    "csp caiq answer",
    "réponse", "réponses", "respuesta", "respuestas", "antwort", "antworten", "resposta", "respostas", "risposta",
    "risposte", "antwoord", "antwoorden",
}  # fmt: skip
COMMENT_HEADERS = {
    "comment", "comments", "additional information", "additional info", "notes", "note", "explanation",
    "remarks", "details", "detail", "justification", "evidence", "vendor comments", "additional comments",
    "supporting information", "csp implementation description (optional/recommended)",
    "commentaire", "commentaires", "remarques", "comentario", "comentarios", "comentário", "comentários",
    "observaciones", "observações", "kommentar", "kommentare", "bemerkungen", "anmerkungen", "commento", "commenti",
    "opmerkingen", "toelichting",
}  # fmt: skip
ID_HEADERS = {
    "id", "#", "no.", "number", "ref", "ref.", "reference", "question id", "question number",
    "ques num", "question #", "item #", "control id", "qid", "sl no", "s.no", "sr. no.",
}  # fmt: skip

ID_VALUE = re.compile(r"^(?:[A-Za-z][A-Za-z&]{0,7}[- ]?\d+(?:\.\d+)*[a-z]?|\d+(?:\.\d+)*\.?|[A-Z]\.\d+(?:\.\d+)*)$")
NUMBERED = re.compile(r"^\s*((?:[A-Z]{1,8}-)?\d+(?:\.\d+)*)(?:[.):]|\s-)?\s+(?=\S)(.*)$", re.S)
_QUESTION_START = re.compile(
    r"^(?:do|does|did|is|are|was|were|has|have|had|can|could|will|would|should|shall|may|must|"
    r"what|which|who|whom|whose|when|where|why|how|describe|explain|list|provide|please|indicate|"
    r"identify|specify|state|detail|confirm|outline|summari[sz]e|attach|share|if)\b",
    re.I,
)
_HECVAT_ID = re.compile(
    r"^(?:DATE|GNRL|REQU|COMP|DOCU|ITAC|QUAL|THRD|CONS|APPL|AAAI|BCPL|CHNG|DATA|DCTR|DRPL|FIDP|HFIH|PPPR|"
    r"QLAS|VULN|HIPA|PCID|USCA|PROC|INTI|HL[A-Z]{2})-\d{2}$"
)


def norm(text: str) -> str:
    """Header text for comparison: trimmed, lower-case, single spaces, no trailing colon."""
    return re.sub(r"\s+", " ", text.strip().strip(":").strip()).lower()


def question_like(text: str) -> bool:
    """Ends in a question mark or starts like a question or request (Do..., Describe...)."""
    text = text.strip()
    if not text:
        return False
    return text.endswith("?") or bool(_QUESTION_START.match(text)) or "?" in text[-40:]


def header_columns(cells: Iterable[tuple[int, str]]) -> dict[str, int]:
    """{kind: column} for the cells of a row whose text is a known header name.

    kind is 'question', 'answer', 'comment' or 'id'; the first column naming a kind wins.
    """
    found: dict[str, int] = {}
    for col, value in cells:
        key = norm(value)
        for kind, names in (
            ("answer", ANSWER_HEADERS),
            ("comment", COMMENT_HEADERS),
            ("question", QUESTION_HEADERS),
            ("id", ID_HEADERS),
        ):
            if key in names and kind not in found:
                found[kind] = col
                break
    return found


_MARK_LABELS = {"yes", "no", "n/a", "na", "not applicable", "partial", "partially", "planned"}


def mark_columns(cells: Iterable[tuple[int, str]]) -> dict[str, int]:
    """{label: column} for a header that answers by marking one of several columns
    (`Yes | No | N/A`: an x goes under the answer). Labels keep their printed spelling.
    Empty unless both a Yes and a No column are present."""
    found: dict[str, int] = {}
    for col, value in cells:
        label = value.strip().rstrip(":").strip()
        if norm(label) in _MARK_LABELS and label not in found:
            found[label] = col
    return found if {"yes", "no"} <= {norm(label) for label in found} else {}


def marked(values: Mapping[str, str]) -> str | None:
    """The label whose cell holds a mark (any text), when exactly one does."""
    chosen = [label for label, text in values.items() if text.strip()]
    return chosen[0] if len(chosen) == 1 else None


def pick_question_column(columns: Mapping[int, Sequence[str]]) -> int | None:
    """The column of questions: not ids, not short labels; of the columns where many
    values read like questions, the leftmost (answers sit right of their questions and
    may themselves read like questions); else the column of the longest texts."""
    stats: dict[int, tuple[int, float, int]] = {}
    for col, column in columns.items():
        values = [v for v in column if v]
        if not values:
            continue
        ids = sum(bool(ID_VALUE.match(v)) for v in values)
        avg_len = sum(len(v) for v in values) / len(values)
        if ids > len(values) / 2 or avg_len < 8:
            continue
        stats[col] = (sum(question_like(v) for v in values), avg_len, len(values))
    if not stats:
        return None
    most = max(q for q, _, _ in stats.values())
    if most:
        return min(col for col, (q, _, _) in stats.items() if q * 2 >= most)
    return max(stats, key=lambda col: (min(stats[col][1], 200) / 20 + stats[col][2] / 100, -col))


def pick_id_column(columns: Mapping[int, Sequence[str]], before: int) -> int | None:
    """The nearest column left of `before` whose values are mostly question ids."""
    for col in sorted((c for c in columns if c < before), reverse=True):
        values = [v for v in columns[col] if v]
        if values and sum(bool(ID_VALUE.match(v)) for v in values) >= max(1, 0.6 * len(values)):
            return col
    return None


def family_of(questions: Sequence[Question]) -> tuple[str, str | None]:
    """(family, edition) from the question ids: HECVAT ids make 'hecvat', else 'generic'."""
    ids = [q.id for q in questions if q.id]
    hecvat = [i for i in ids if _HECVAT_ID.match(i)]
    if ids and len(hecvat) >= 0.8 * len(questions):
        prefixes = {i.split("-")[0] for i in hecvat}
        if any(p.startswith("HL") for p in prefixes):
            return "hecvat", "Lite"
        if prefixes & {"USCA", "PROC", "INTI"}:
            return "hecvat", "Triage"
        if prefixes & {"APPL", "DATA", "VULN", "QUAL"}:
            return "hecvat", "Full"
        return "hecvat", None
    return "generic", None
