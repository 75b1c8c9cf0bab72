"""Bridge between the bank in the database and the pure matching engine.

`suggest_for(questions, ...)` snapshots the bank (cached until it changes), ranks every
question in one batch, maps each verdict onto the cell's allowed values, and says how
sure it is. A verdict the cell cannot take never stays above `review`.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import delete, func, insert, or_
from sqlmodel import Session, col, select

from answers.matching import (
    ANALYSIS_VERSION,
    Analysis,
    BankEntry,
    BankIndex,
    Embedder,
    Query,
    Suggestion,
    analyse,
    analysis_key,
    beyond_the_question,
    dump_analysis,
    either_or_beyond,
    embed_text,
    ids_keep_meaning,
    inclusions_beyond,
    label_against_question,
    load_analysis,
    normalise,
    prepared_hash,
    text_hash,
)
from answers.models import Entry, EntryProduct, EntryStatus, EntryVector, PhrasingAnalysis, Product, QuestionVector
from answers.verdicts import (
    asks_for_date,
    canonical_verdict,
    is_date,
    is_verdict,
    map_verdict,
    question_references,
    recent_period,
)
from importers import ParsedQuestionnaire, Question

log = logging.getLogger(__name__)

_lock = threading.Lock()
_cache: dict[str, Any] = {}
_EMBEDDER_UNSET = object()
_embedder: Any = _EMBEDDER_UNSET


@dataclass(frozen=True)
class Alternative:
    entry_id: int
    score: float
    tier: str
    question: str
    answer: str | None
    comment: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "entry_id": self.entry_id,
            "score": self.score,
            "tier": self.tier,
            "question": self.question,
            "answer": self.answer,
            "comment": self.comment,
        }


@dataclass
class Suggested:
    """The suggestion for one question: what to write and how sure we are."""

    entry_id: int | None
    score: float
    tier: str
    answer: str | None
    comment: str | None
    alternatives: list[Alternative] = field(default_factory=list)
    note: str = ""


def embedder() -> Embedder | None:
    """The sentence embedder, loaded once per process (None: lexical matching only)."""
    global _embedder
    if _embedder is _EMBEDDER_UNSET:
        from answers.embeddings import load_default_embedder

        _embedder = load_default_embedder()
    return _embedder


def _bank_version(session: Session) -> tuple:
    """Cheap fingerprint of the bank: changes whenever an entry or its scope changes."""
    entries = session.exec(select(func.count(Entry.id), func.max(Entry.updated_at), func.sum(Entry.revision))).one()
    links = session.exec(select(func.count()).select_from(EntryProduct)).one()
    # a curator clearing a conflict changes neither revision nor updated_at
    conflicts = session.exec(select(func.count(Entry.id)).where(Entry.conflict == True)).one()  # noqa: E712
    return (*entries, links, conflicts, dt.date.today())  # the date: staleness moves with it


def snapshot(session: Session) -> tuple[list[BankEntry], dict[int, Entry]]:
    scopes: dict[int, list[str]] = {}
    for entry_id, name in session.exec(
        select(EntryProduct.entry_id, Product.name).join(Product, EntryProduct.product_id == Product.id)
    ):
        scopes.setdefault(entry_id, []).append(name)
    today = dt.date.today()
    # an entry with neither answer nor comment (a draft waiting for an expert; an approved
    # one saved before that was refused) would match a question and write nothing there,
    # hiding a better entry: it is never offered
    live = (Entry.status != EntryStatus.retired, or_(Entry.answer != "", Entry.comment != ""))
    rows = list(session.exec(select(Entry).where(*live).order_by(Entry.id)))
    bank = [
        BankEntry(
            entry_id=e.id,
            question=e.question,
            answer=e.answer,
            comment=e.comment,
            alternates=tuple(e.alternates),
            status=str(e.status),
            stale=bool(e.review_by and e.review_by < today),
            products=tuple(sorted(scopes.get(e.id, []))),
            family=e.family or "",
            version_line=_version_line(e),
            question_id=e.question_id or "",
        )
        for e in rows
    ]
    return bank, {e.id: e for e in rows}


def _version_line(e: Entry) -> str:
    if not e.family:
        return ""
    return ParsedQuestionnaire(family=e.family, version=e.version, format="", questions=[]).version_line


def bank_index(
    session: Session, *, questions: Sequence[str] = (), known: Mapping[str, np.ndarray] | None = None
) -> tuple[BankIndex, dict[int, Entry]]:
    """The index of the current bank, rebuilt only when the bank changed.

    ``questions``: the texts about to be matched. A rebuild encodes the ones worded unlike
    every stored bank text and without a vector in ``known`` (by text hash) meanwhile (the
    model runs outside the GIL, the build in it), into the embedder's query cache, where
    the match then finds them.
    """
    model = embedder()
    key = f"{session.get_bind().url}|{_bank_version(session)}|{model.name if model else 'lexical'}"
    with _lock:
        cached = _cache.get("index")
        if cached is not None and cached[0] == key:
            return cached[1], cached[2]
    vectors = _cached_vectors(session, model) if model else {}
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="prefetch") as pool:
        prefetch = _prefetch_queries(pool, model, questions, {**vectors, **(known or {})})
        bank, rows = snapshot(session)
        index = BankIndex.build(bank, embedder=model, vectors=vectors, analyses=_stored_analyses(session))
        if prefetch is not None:
            prefetch.result()
    if model and index.computed_vectors:
        _store_vectors(session, model, bank, index.computed_vectors)
    if index.computed_analyses:
        _store_analyses(session, index.computed_analyses)
    with _lock:
        _cache["index"] = (key, index, rows)
    return index, rows


def _prefetch_queries(
    pool: ThreadPoolExecutor, model: Embedder | None, questions: Sequence[str], stored: Mapping[str, np.ndarray]
) -> Future | None:
    """Encode, on ``pool``, the ``questions`` the match will need encoded (as
    ``BankIndex.match`` prepares them: ``embed_text``, bank wordings excluded), when the
    model keeps a query cache; None when there is nothing to do."""
    encode_queries = getattr(model, "encode_queries", None)
    if encode_queries is None:
        return None
    texts = sorted({t for t in map(embed_text, questions) if t and prepared_hash(t) not in stored})
    return pool.submit(encode_queries, texts) if texts else None


def _cached_vectors(session: Session, model: Embedder) -> dict[str, np.ndarray]:
    # two columns, not EntryVector objects: a 10,000-phrasing bank loads in 0.05 s, not 0.4 s
    rows = session.exec(select(EntryVector.text_hash, EntryVector.vector).where(EntryVector.model == model.name))
    return {text_hash: np.frombuffer(vector, dtype=np.float32) for text_hash, vector in rows}


def _store_vectors(
    session: Session, model: Embedder, bank: Sequence[BankEntry], computed: dict[str, np.ndarray]
) -> None:
    """Keep the vectors an index build had to compute (a bank written before vectors were
    computed at write time, or with the model installed since): the next build reads them."""
    owner: dict[str, int] = {}
    for entry in bank:
        for text in (entry.question, *entry.alternates):
            owner.setdefault(text_hash(text), entry.entry_id)
    for h, vector in computed.items():
        if h in owner:
            session.add(
                EntryVector(
                    entry_id=owner[h], model=model.name, text_hash=h, vector=np.asarray(vector, np.float32).tobytes()
                )
            )
    session.flush()


def _question_vectors(session: Session, model: Embedder, hashes: Iterable[str]) -> dict[str, np.ndarray]:
    """Stored question vectors (``QuestionVector``, any questionnaire's) of the texts
    hashed ``hashes`` (``text_hash``)."""
    rows = _rows_keyed(
        session,
        (QuestionVector.text_hash, QuestionVector.vector),
        col(QuestionVector.text_hash),
        sorted(set(hashes)),
        QuestionVector.model == model.name,
    )
    return {h: np.frombuffer(vector, dtype=np.float32) for h, vector in rows}


def _store_question_vectors(
    session: Session, model: Embedder, questionnaire_id: int, computed: Mapping[str, np.ndarray]
) -> None:
    """Keep the vectors a match of questionnaire ``questionnaire_id`` computed (one
    multi-row insert): they go when the questionnaire goes. Flushes, never commits."""
    rows = [
        {
            "questionnaire_id": questionnaire_id,
            "model": model.name,
            "text_hash": h,
            "vector": np.asarray(vector, np.float32).tobytes(),
        }
        for h, vector in sorted(computed.items())
    ]
    if rows:
        session.execute(insert(QuestionVector), rows)
        session.flush()


def _stored_analyses(session: Session) -> dict[str, Analysis]:
    """The stored analyses of bank phrasings made by this version of the matching code."""
    found: dict[str, Analysis] = {}
    rows = session.exec(
        select(PhrasingAnalysis.key, PhrasingAnalysis.data).where(PhrasingAnalysis.version == ANALYSIS_VERSION)
    )
    for key, data in rows:
        try:
            found[key] = load_analysis(data)
        except ValueError:
            continue  # unreadable: the build analyses the text again
    return found


def _store_analyses(session: Session, computed: Mapping[str, Analysis]) -> None:
    """Store ``computed`` analyses (one multi-row insert) and drop those of other versions
    of the matching code. Flushes, never commits."""
    rows = []
    for key, analysis in computed.items():
        try:
            rows.append({"version": ANALYSIS_VERSION, "key": key, "data": dump_analysis(analysis)})
        except ValueError:
            continue  # a word dump_analysis cannot delimit: analysed on every build instead
    session.execute(delete(PhrasingAnalysis).where(PhrasingAnalysis.version != ANALYSIS_VERSION))
    if rows:
        session.execute(insert(PhrasingAnalysis), rows)
    session.flush()


def _analysis_keys(entries: Iterable[Entry]) -> dict[str, tuple[str, str, str]]:
    """{analysis_key: (text, question, comment)} of the phrasings of ``entries``."""
    return {
        analysis_key(text, e.question, e.comment): (text, e.question, e.comment)
        for e in entries
        for text in (e.question, *e.alternates)
    }


def ensure_analyses(session: Session, entries: Iterable[Entry]) -> int:
    """Analyse and store the phrasings of ``entries`` not stored yet (``PhrasingAnalysis``),
    so that the next process's first index build reads them. Flushes, never commits.
    Returns how many were analysed."""
    wanted = _analysis_keys(e for e in entries if e.id is not None and e.status != EntryStatus.retired)
    keys = sorted(wanted)
    known = _stored_keys(session, PhrasingAnalysis.key, keys, PhrasingAnalysis.version == ANALYSIS_VERSION)
    missing = {k: analyse(*wanted[k]) for k in keys if k not in known}
    if missing:
        _store_analyses(session, missing)
    return len(missing)


def prepare_bank_texts(session: Session, entries: Iterable[Entry]) -> None:
    """What matching reads of bank text, computed when the text is written: its vectors
    (``ensure_vectors``) and its analyses (``ensure_analyses``). Flushes, never commits."""
    entries = list(entries)
    ensure_vectors(session, entries)
    ensure_analyses(session, entries)


_IN_CHUNK = 500  # bound parameters per IN (...): SQLite allows 999 in old builds


def _rows_keyed(session: Session, columns: Sequence[Any], key: Any, keys: Sequence[str], *where: Any) -> Iterator[Any]:
    """``columns`` of the rows matching ``where`` whose ``key`` is one of ``keys``, asked
    ``_IN_CHUNK`` keys at a time (one column: its values)."""
    for start in range(0, len(keys), _IN_CHUNK):
        chunk = list(keys[start : start + _IN_CHUNK])
        yield from session.exec(select(*columns).where(*where, key.in_(chunk)))


def _stored_keys(session: Session, column: Any, keys: Sequence[str], *where: Any) -> set[str]:
    """Which of ``keys`` the ``column`` holds in the rows matching ``where``."""
    return set(_rows_keyed(session, (column,), column, keys, *where))


def ensure_vectors(session: Session, entries: Iterable[Entry] | None = None) -> int:
    """Compute and store the missing EntryVector rows for the texts (question and
    alternates) of ``entries`` (default: every entry not retired), in ONE encode call.

    Called by the use cases that write bank text (create, edit, import, learn, merge,
    restore, proposals) before their commit, so that matching never embeds bank text
    (vectors are keyed by text hash: a vector of an edited-away text is simply unused).
    A text asked in a stored questionnaire (an entry proposed from it, a completed copy
    learned) takes that question's vector (``QuestionVector``) instead of being encoded.
    Flushes, never commits. Returns how many vectors were computed (encoded): 0 when none
    were missing or without an embedder (model absent or ANSWERBANK_EMBEDDINGS=off:
    lexical matching needs none). An encoder failure is logged and leaves the vectors to
    the next index build; the bank write itself goes on.
    """
    model = embedder()
    if model is None:
        return 0
    if entries is None:
        entries = session.exec(select(Entry).where(Entry.status != EntryStatus.retired))
    owner: dict[str, int] = {}
    texts: dict[str, str] = {}
    for entry in entries:
        if entry.id is None or entry.status == EntryStatus.retired:
            continue
        for text in (entry.question, *entry.alternates):
            h = text_hash(text)
            if h not in owner:
                owner[h], texts[h] = entry.id, embed_text(text)
    hashes = sorted(owner)
    known = _stored_keys(session, EntryVector.text_hash, hashes, EntryVector.model == model.name)
    found = _question_vectors(session, model, (h for h in hashes if h not in known))
    missing = [h for h in hashes if h not in known and h not in found]
    if missing:
        try:
            found.update(zip(missing, model.encode([texts[h] for h in missing]), strict=True))
        except Exception as exc:  # onnxruntime raises its own types; the write must not fail for a cache
            log.warning("bank vectors not computed (%s: %s); the next match computes them", type(exc).__name__, exc)
            missing = []
    session.add_all(
        EntryVector(entry_id=owner[h], model=model.name, text_hash=h, vector=np.asarray(v, np.float32).tobytes())
        for h, v in sorted(found.items())
    )
    session.flush()
    return len(missing)


def reindex_vectors(session: Session, *, drop_other_models: bool = False) -> tuple[int, int]:
    """Drop orphaned EntryVector rows (a text no live entry has any more, or a second row
    for the same model and text), then compute the missing ones of the live entries.
    Rows of other models are kept (a deployment that moves between CPUs switches between
    the float and the int8 model) unless ``drop_other_models``: then only the running
    model's rows stay (after an upgrade renamed the model; none stay without a model),
    of bank texts and of questions (``QuestionVector``) alike.
    Returns (computed, dropped). Flushes, never commits."""
    model = embedder()
    current = model.name if model is not None else None
    live = list(session.exec(select(Entry).where(Entry.status != EntryStatus.retired)))
    used = {text_hash(t) for e in live for t in (e.question, *e.alternates)}
    seen: set[tuple[str, str]] = set()
    dropped = 0
    for row in session.exec(select(EntryVector).order_by(EntryVector.id)):
        key = (row.model, row.text_hash)
        if row.text_hash not in used or key in seen or (drop_other_models and row.model != current):
            session.delete(row)
            dropped += 1
        seen.add(key)
    if drop_other_models:
        others = delete(QuestionVector)
        if current is not None:
            others = others.where(col(QuestionVector.model) != current)
        dropped += session.execute(others).rowcount  # type: ignore[attr-defined]
    session.flush()
    return ensure_vectors(session, live), dropped


def reindex_analyses(session: Session) -> tuple[int, int]:
    """Drop stored analyses no live phrasing reads (an edited-away text or comment, a
    duplicate, another version of the matching code), then store the missing ones.
    Returns (computed, dropped). Flushes, never commits."""
    live = list(session.exec(select(Entry).where(Entry.status != EntryStatus.retired)))
    used = _analysis_keys(live)
    seen: set[str] = set()
    stale: list[int] = []
    rows = session.exec(select(PhrasingAnalysis.id, PhrasingAnalysis.key, PhrasingAnalysis.version))
    for row_id, key, version in rows:
        if version != ANALYSIS_VERSION or key not in used or key in seen:
            stale.append(row_id)
        seen.add(key)
    for start in range(0, len(stale), _IN_CHUNK):
        chunk = stale[start : start + _IN_CHUNK]
        session.execute(delete(PhrasingAnalysis).where(PhrasingAnalysis.id.in_(chunk)))  # type: ignore[union-attr]
    session.flush()
    return ensure_analyses(session, live), len(stale)


def invalidate() -> None:
    with _lock:
        _cache.clear()


def references_elsewhere(entry: Entry, version_line: str) -> tuple[str, ...]:
    """Question ids ``entry``'s answer or comment points to ("See VULN-02 for details")
    when the questionnaire being answered is not of the entry's own version line: there
    that id is another question, or none. Ids of home-made (generic) questionnaires mean
    nothing outside their own file, so references there always count."""
    own = _version_line(entry)
    if own and own == version_line and ids_keep_meaning(own):
        return ()
    return question_references(entry.answer, entry.comment)


def _reference_is_the_answer(entry: Entry) -> bool:
    """The reference stands where the answer is: in the answer, or in the comment of a
    text-only entry (which a free-text cell takes as its answer)."""
    return not entry.answer or bool(question_references(entry.answer))


def with_comment(answer: str, comment: str) -> str:
    """One free-text cell holding both: "Yes. AES-256" (no second full stop after "Yes.")."""
    return f"{answer}. {comment}" if not answer.endswith((".", "!", "?")) else f"{answer} {comment}"


def fit(entry: Entry, q: Question, *, drop_comment: bool = False) -> tuple[str | None, str | None, bool]:
    """(answer, comment, fits) for writing `entry` into `q`'s cells; ``drop_comment``: the
    comment is not to be sent (it points to another questionnaire's questions)."""
    if drop_comment and _reference_is_the_answer(entry):
        return None, None, False
    comment = None if drop_comment else entry.comment or None
    choices = tuple(q.mark_cells) if q.mark_cells else q.choices
    if not entry.answer:  # a text-only entry: its comment is the answer of a free-text cell
        if choices or q.answer_cell is None:
            return None, comment, False
        return comment, None, True
    if not choices and q.answer_cell is not None and canonical_verdict(entry.answer) and asks_for_text(q.text):
        # "Describe your incident response process.": a "Yes" answers nothing there; the
        # entry's comment may (as a text-only entry's does), else a person writes it
        return (comment, None, True) if comment else (None, None, False)
    answer = map_verdict(entry.answer, choices)
    if answer is None:
        return None, comment, False
    if not choices and q.comment_cell is None and comment:
        # one free-text cell and no comment column: the customer still gets the explanation
        return with_comment(answer, comment), None, True
    if q.comment_cell is None:
        comment = None
    return answer, comment, True


#: First words of a question that asks for text, not a yes or no ("Describe ...", "How
#: often ...?", "What is your RTO?").
_TEXT_REQUESTS = frozenset(
    "describe explain list outline detail summarize summarise how what which who where when why".split()
)


def asks_for_text(text: str) -> bool:
    """The question asks for a description or a value, not a yes or no."""
    words = normalise(text).split()
    return bool(words) and words[0] in _TEXT_REQUESTS


def fit_for(entry: Entry, q: Question, version_line: str) -> tuple[str | None, str | None, bool]:
    """``fit`` for a questionnaire of ``version_line``: without a comment that points to
    questions of another questionnaire."""
    return fit(entry, q, drop_comment=bool(references_elsewhere(entry, version_line)))


#: Weak candidates scoring below this are noise (no shared topic); the right entries across
#: families scored 8 and up on the labelled evaluations.
WEAK_CANDIDATE_FLOOR = 5


class _Fitting:
    """``fit_for`` for the questions of one questionnaire (one version line): an entry's
    pointers to other questions (``references_elsewhere``: a handful of regex scans of its
    answer and comment) are looked for once per entry, not once per question the entry is
    offered for (a 5,000-question upload offers the same few hundred entries ~20,000 times)."""

    def __init__(self, version_line: str) -> None:
        self.version_line = version_line
        self._references: dict[int | None, tuple[str, ...]] = {}

    def references(self, entry: Entry) -> tuple[str, ...]:
        found = self._references.get(entry.id)
        if found is None:
            found = self._references[entry.id] = references_elsewhere(entry, self.version_line)
        return found

    def fit(self, entry: Entry, q: Question) -> tuple[str | None, str | None, bool]:
        return fit(entry, q, drop_comment=bool(self.references(entry)))


def _weak_candidates(s: Suggestion, rows: dict[int, Entry], q: Question, fitting: _Fitting) -> list[Alternative]:
    """For a question nothing matches well enough to write: the entries the matcher still
    ranked first, each as an alternative of tier ``none`` (never written, never bulk
    accepted), so a reviewer can take one in a click. Across questionnaire families the
    right entry scores low but is often among them: on the labelled cross-family
    evaluations it is ranked first for 9 of 17 answerable questions and in the first six
    for 14 (bench/bench_corpus_eval.py). Once taken and accepted, the wording is offered
    to curators as an alternate (bank hygiene page), and the next such question is exact."""
    ranked = [(s.entry_id, s.score)] + [(a.entry_id, a.score) for a in s.alternatives]
    weak = []
    for entry_id, score in ranked:
        entry = rows.get(entry_id) if entry_id is not None else None
        if entry is None or score < WEAK_CANDIDATE_FLOOR:
            continue
        answer, comment, _ = fitting.fit(entry, q)
        weak.append(Alternative(entry_id, float(score), "none", entry.question, answer, comment))
    return weak


class _Rivals:
    """The entries an entry disagrees with: live entries in the same product scope sharing
    a wording (question or alternate), with another answer; flagged by learning or not
    (two such entries are refused when typed in, but may predate that rule). Built on
    first use and kept with the cached bank index (``_rivals_for``)."""

    def __init__(self, index: BankIndex, rows: dict[int, Entry]) -> None:
        self._index, self._rows = index, rows
        self._by_wording: dict[tuple[tuple[str, ...], str], list[int]] | None = None
        self._scopes: dict[int, tuple[str, ...]] = {}

    def of(self, entry: Entry) -> list[int]:
        from answers.learn import same_verdict  # learn imports this module

        by_wording = self._by_wording
        if by_wording is None:  # built whole, then published: the instance is shared by requests
            self._scopes = scopes = {b.entry_id: b.products for b in self._index.entries}
            by_wording = {}
            for e in self._rows.values():
                for text in {normalise(t) for t in (e.question, *e.alternates)}:
                    by_wording.setdefault((scopes.get(e.id, ()), text), []).append(e.id)
            self._by_wording = by_wording
        scope = self._scopes.get(entry.id, ())
        found: list[int] = []
        for text in dict.fromkeys(normalise(t) for t in (entry.question, *entry.alternates)):
            for other_id in by_wording.get((scope, text), []):
                other = self._rows[other_id]
                if other_id != entry.id and other_id not in found and not same_verdict(entry.answer, other.answer):
                    found.append(other_id)
        return sorted(found)


def _rivals_for(index: BankIndex, rows: dict[int, Entry]) -> _Rivals:
    """The ``_Rivals`` of this bank snapshot, built once per snapshot (normalising every
    wording of a 10,000-entry bank costs ~80 ms)."""
    with _lock:
        cached = _cache.get("rivals")
        if cached is not None and cached._rows is rows:
            return cached
        rivals = _cache["rivals"] = _Rivals(index, rows)
        return rivals


def _is_date_answer(entry: Entry, q: Question) -> bool:
    """The entry's answer is a date (it parses as one, or the question asks for one and the
    answer is no verdict): true on the day it was given, stale on any other."""
    answer = entry.answer or entry.comment
    if is_date(answer):
        return True
    return bool(answer.strip()) and not is_verdict(answer) and (asks_for_date(q.text) or asks_for_date(entry.question))


DATE_NOTE = "the bank's answer is a date: dates are filled by a person"


def recent_note(period: str) -> str:
    """Why an answer to a question about a recent period is held for review."""
    return f"the question asks about {period.lower()}: confirm that the bank's answer still holds for that period"


LABEL_NOTE = (
    "the questionnaire's text reads like a label or heading, not a question: "
    "check that the bank's answer fits it before accepting"
)


#: A high whose runner-up with the opposite verdict scores within this many points is left
#: for review: the two wordings are near paraphrases and the bank answers them differently
#: ("Is customer data encrypted when stored?" -> No at 94 from "Is all customer data
#: encrypted when stored at rest?", Yes at 90 from "Is customer data encrypted at rest?").
#: Wider than the matcher's HIGH_MARGIN, which any differing comment triggers.
VERDICT_MARGIN = 10


def _verdict_rivals(entry: Entry, s: Suggestion, rows: dict[int, Entry]) -> list[int]:
    """Alternatives of ``s`` scoring within VERDICT_MARGIN of it whose verdict (Yes / No /
    N/A) differs from ``entry``'s: the bank answers near paraphrases both ways."""
    verdict = canonical_verdict(entry.answer or "")
    if verdict is None:
        return []
    found = []
    for alt in s.alternatives:
        other = rows.get(alt.entry_id)
        if other is None or alt.tier == "none" or s.score - alt.score > VERDICT_MARGIN:
            continue
        other_verdict = canonical_verdict(other.answer or "")
        if other_verdict is not None and other_verdict != verdict:
            found.append(alt.entry_id)
    return sorted(found)


def _verdict_held(entry: Entry, matched_text: str, q: Question) -> str:
    """Why the entry's verdict, true of the wording it matched by, need not hold for the
    question (a note), or "" when it does:
    - a No to a wording asking more (``beyond_the_question``): "Are backups immutable?" No
      says nothing of "Do you back up data?" (its Yes would answer it);
    - a Yes to an either-or of more handlings (``either_or_beyond``): "Do you store,
      process or transmit cardholder data?" Yes says nothing of "Do you store cardholder
      data?" (its No would answer it);
    - any answer, where the question says it includes what the entry never names
      (``inclusions_beyond``): "an alternate interface (including overlay ...)"."""
    included = inclusions_beyond(matched_text, entry.comment, q.text)
    if included:
        return (
            f"the question includes {', '.join(included)}, which the bank's answer does not name: "
            "confirm that it covers them"
        )
    verdict = canonical_verdict(entry.answer)
    if verdict == "no":
        beyond = beyond_the_question(matched_text, entry.question, entry.comment, q.text)
        if beyond:
            return f"the bank's No answers a narrower question ({'; '.join(beyond)}): it may not hold for this one"
    elif verdict == "yes":
        either = either_or_beyond(matched_text, q.text)
        if either:
            return (
                f"the bank's Yes answers an either-or that also names {', '.join(either)}: which one holds is not known"
            )
    return ""


def _conflict_note(rival_ids: Sequence[int]) -> str:
    named = f" (entries {', '.join(f'#{i}' for i in rival_ids)})" if rival_ids else ""
    return f"the bank holds disagreeing answers to this question{named}: a curator picks one"


def _margin_note(rival_id: int) -> str:
    return f"entry #{rival_id} matches about as well with another answer or comment: compare the two"


def suggest_for(
    questions: Sequence[Question],
    *,
    version_line: str,
    product: str | None,
    session: Session,
    questionnaire_id: int | None = None,
) -> list[Suggested]:
    """One suggestion per question, in order. Never raises for an empty bank.

    A question asked again (a section repeated per product or site, a template pasted
    twice) is matched and fitted once: questions equal in all that suggesting reads of
    them (``_suggestion_key``) share one Suggested object.

    Question vectors stored by earlier matches (``QuestionVector``) are read, not computed
    again; with ``questionnaire_id`` (a stored questionnaire) the vectors this match
    computes are stored for it. Flushes, never commits."""
    slots: dict[tuple[Any, ...], int] = {}
    distinct: list[Question] = []
    order = []
    for q in questions:
        key = _suggestion_key(q, version_line)
        if key not in slots:
            slots[key] = len(distinct)
            distinct.append(q)
        order.append(slots[key])
    found = _suggest_distinct(
        distinct, version_line=version_line, product=product, session=session, questionnaire_id=questionnaire_id
    )
    return [found[i] for i in order]


def _suggestion_key(q: Question, version_line: str) -> tuple[Any, ...]:
    """What ``_suggest_distinct`` reads of ``q``: its text, its id where ids keep their
    meaning (elsewhere the matcher never reads it: ``ids_keep_meaning``), the values its
    cell allows and which cells it has."""
    return (
        q.text,
        q.id if ids_keep_meaning(version_line) else None,
        q.choices,
        tuple(q.mark_cells),
        q.answer_cell is None,
        q.comment_cell is None,
    )


def _suggest_distinct(
    questions: Sequence[Question],
    *,
    version_line: str,
    product: str | None,
    session: Session,
    questionnaire_id: int | None,
) -> list[Suggested]:
    """``suggest_for`` of questions no two of which have the same ``_suggestion_key``."""
    if not questions:
        return []
    texts = [q.text for q in questions]
    model = embedder()
    known = _question_vectors(session, model, map(text_hash, texts)) if model else {}
    stored = set(known)
    index, rows = bank_index(session, questions=texts, known=known)
    queries = [
        Query(
            text=q.text,
            question_id=q.id or "",
            version_line=version_line,
            choices=tuple(q.mark_cells) if q.mark_cells else q.choices,
            product=product,
        )
        for q in questions
    ]
    out: list[Suggested] = []
    rivals = _rivals_for(index, rows)
    fitting = _Fitting(version_line)
    matched = index.match(queries, product=product, query_vectors=known)
    if model and questionnaire_id is not None:
        _store_question_vectors(session, model, questionnaire_id, {h: v for h, v in known.items() if h not in stored})
    for q, s in zip(questions, matched, strict=True):
        if s.entry_id is None or s.tier == "none" or s.entry_id not in rows:
            weak = _weak_candidates(s, rows, q, fitting)
            note = "no match good enough to write; weak candidates listed" if weak else ""
            out.append(
                Suggested(
                    entry_id=None,
                    score=float(s.score),
                    tier="none",
                    answer=None,
                    comment=None,
                    alternatives=weak,
                    note=note,
                )
            )
            continue
        entry = rows[s.entry_id]
        refs = fitting.references(entry)
        answer, comment, fits = fit(entry, q, drop_comment=bool(refs))
        tier, note = s.tier, ""
        if refs and _reference_is_the_answer(entry):
            tier = "review" if tier in ("exact", "high") else tier
            note = f"the bank's answer points to {', '.join(refs)} of another questionnaire: not valid here"
        elif not fits and tier in ("exact", "high"):
            tier, note = "review", f"the bank's answer {entry.answer!r} is not one of this cell's values"
        elif refs:
            note = f"the bank's comment was left out: it points to {', '.join(refs)} of another questionnaire"
        if q.answer_cell is None and not q.mark_cells:
            tier, note = "review", "the questionnaire has no answer cell for this question"
        if _is_date_answer(entry, q):
            tier = "review" if tier in ("exact", "high") else tier
            note = "; ".join(filter(None, (DATE_NOTE, note)))
        period = recent_period(q.text)
        if period:  # true of the months before the answer was given, not of those since
            tier = "review" if tier in ("exact", "high") else tier
            note = "; ".join(filter(None, (recent_note(period), note)))
        if s.tier != "exact" and label_against_question(q.text, s.matched_text or entry.question):
            # a heading sharing words with a question: whether it asks that is a guess
            tier = "review" if tier == "high" else tier
            note = "; ".join(filter(None, (LABEL_NOTE, note)))
        held = _verdict_held(entry, s.matched_text or entry.question, q) if tier == "high" else ""
        if held:
            tier = "review"
            note = "; ".join(filter(None, (held, note)))
        rival_ids = rivals.of(entry) if entry.conflict or tier in ("exact", "high") else []
        if tier == "high" or s.margin_rival is not None:  # a near paraphrase answered the other way
            rival_ids = sorted({*rival_ids, *_verdict_rivals(entry, s, rows)})
        if entry.conflict or rival_ids:  # the bank disagrees with itself: never picked silently
            tier = "review" if tier in ("exact", "high") else tier
            note = "; ".join(filter(None, (_conflict_note(rival_ids), note)))
        elif s.margin_rival is not None and s.margin_rival in rows:
            # the same verdict worded otherwise: which comment fits is the reviewer's call
            note = "; ".join(filter(None, (_margin_note(s.margin_rival), note)))
        alternatives = []
        for alt in s.alternatives:
            alt_entry = rows.get(alt.entry_id)
            if alt_entry is None or (alt.tier == "none" and alt.entry_id not in rival_ids):
                continue  # unrelated entries are no alternative; a rival always is
            a_answer, a_comment, a_fits = fitting.fit(alt_entry, q)
            usable = (
                a_fits
                and not period
                and alt.tier not in ("exact", "none")
                and not alt_entry.conflict
                and not _is_date_answer(alt_entry, q)
                and not (alt.tier == "high" and label_against_question(q.text, alt_entry.question))
                and not (alt.tier == "high" and _verdict_held(alt_entry, alt_entry.question, q))
            )
            alternatives.append(
                Alternative(
                    entry_id=alt.entry_id,
                    score=float(alt.score),
                    tier=alt.tier if usable else "review",
                    question=alt_entry.question,
                    answer=a_answer,
                    comment=a_comment,
                )
            )
        listed = {a.entry_id for a in alternatives}
        for rival_id in rival_ids:  # the reviewer chooses between the disagreeing answers
            if rival_id not in listed:
                rival = rows[rival_id]
                r_answer, r_comment, _ = fitting.fit(rival, q)
                alternatives.append(
                    Alternative(rival_id, float(s.score), "review", rival.question, r_answer, r_comment)
                )
        out.append(Suggested(s.entry_id, float(s.score), tier, answer, comment, alternatives, note))
    return out
