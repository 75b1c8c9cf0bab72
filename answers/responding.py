"""The questionnaire workflow: ingest an upload, suggest answers, record decisions, export.

Service functions take `session` keyword-only and commit once per use case; each leaves
an audit event. Nothing here logs questionnaire contents or answers.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import PurePath
from typing import Any

from sqlalchemy import Row, bindparam, false, func, insert, literal, or_, tuple_
from sqlalchemy.orm import defer
from sqlmodel import Session, col, delete, select, update

from answers import audit, storage
from answers.bank import (
    control_character_problem,
    entry_products,
    find_product,
    like_pattern,
    pasted_breaks,
    products_of,
    record_use,
)
from answers.models import (
    Entry,
    EntryStatus,
    Item,
    ItemStatus,
    Product,
    Questionnaire,
    QuestionnaireWarning,
    QuestionVector,
    Role,
    User,
    folded,
    utcnow,
)
from answers.suggest import Suggested, fit_for, prepare_bank_texts, suggest_for, with_comment
from importers import CellRef, CellValue, ParsedQuestionnaire, Question, QuestionnaireImportError, load

log = logging.getLogger(__name__)

TIERS = ("exact", "high", "review", "none")
TIER_RANK = {"exact": 3, "high": 2, "review": 1, "none": 0}


class StaleItem(Exception):
    """The item changed since the client read it: reload instead of overwriting."""


class DecisionError(ValueError):
    """A decision that breaks a rule (a verdict the cell does not allow, an unknown status)."""


def tier_at_least(tier: str, minimum: str) -> bool:
    return TIER_RANK.get(tier, 0) >= TIER_RANK[minimum]


# --- items <-> importer questions ----------------------------------------------------


def _cells_json(q: Question) -> dict[str, Any]:
    return {
        "answer": q.answer_cell.to_json() if q.answer_cell else None,
        "comment": q.comment_cell.to_json() if q.comment_cell else None,
        "marks": {k: v.to_json() for k, v in q.mark_cells.items()},
    }


def question_of(item: Item | Row[Any]) -> Question:
    """The importer's Question back from a stored item, or a row of its columns (cells,
    choices, mark layout)."""
    cells = item.cells or {}
    return Question(
        sheet=item.sheet,
        row=item.row,
        id=item.question_id,
        text=item.text,
        answer_cell=CellRef.from_json(cells["answer"]) if cells.get("answer") else None,
        comment_cell=CellRef.from_json(cells["comment"]) if cells.get("comment") else None,
        choices=tuple(item.choices),
        section=item.section,
        answer=item.original_answer,
        comment=item.original_comment,
        mark_cells={k: CellRef.from_json(v) for k, v in (cells.get("marks") or {}).items()},
    )


#: Characters kept of an upload's file name (the 300-character column, and a name a person
#: reads); a longer name is shortened before its extension, which says what the file is.
MAX_FILENAME = 200


def _display_name(filename: str) -> str:
    name = PurePath(filename.replace("\\", "/")).name or "questionnaire"
    if len(name) > MAX_FILENAME:
        suffix = PurePath(name).suffix[:10]
        name = name[: MAX_FILENAME - len(suffix)] + suffix
    return name


def ingest(
    data: bytes,
    filename: str,
    *,
    session: Session,
    actor: str,
    actor_id: int | None = None,
    upload_folder: str,
    max_bytes: int,
    customer: str = "",
    product: str | None = None,
    due_date: dt.date | None = None,
    ip: str | None = None,
) -> Questionnaire:
    """Parse, store and suggest answers for an upload. Raises QuestionnaireImportError
    (nothing stored) or ValueError for an unknown product."""
    display = _display_name(filename)
    try:
        parsed = load(data, display, max_bytes=max_bytes)
    except QuestionnaireImportError as exc:
        # Not audited: a refused upload leaves the database untouched. The log line says
        # what kind of refusal and how big, never the file name or anything inside it.
        log.warning("upload refused: %s (%d bytes)", type(exc).__name__, len(data))
        raise
    product_row = _product(product, session=session)
    stored_name, sha256 = storage.store(data, upload_folder)
    q = Questionnaire(
        name=PurePath(display).stem[:300],
        filename=display,
        stored_name=stored_name,
        sha256=sha256,
        size=len(data),
        format=parsed.format,
        family=parsed.family,
        version=parsed.version,
        edition=parsed.edition,
        customer=customer.strip()[:300],
        product_id=product_row.id if product_row else None,
        due_date=due_date,
        uploaded_by=actor_id,
    )
    try:
        session.add(q)
        session.flush()
        suggestions = suggest_for(
            parsed.questions,
            version_line=parsed.version_line,
            product=product_row.name if product_row else None,
            session=session,
            questionnaire_id=q.id,
        )
        _insert_items(q, parsed.questions, suggestions, session=session)
        for position, warning in enumerate(parsed.warnings):
            session.add(QuestionnaireWarning(questionnaire_id=q.id, position=position, text=warning))
        audit.record(
            session,
            "questionnaire.upload",
            actor=actor,
            ip=ip,
            object_type="questionnaire",
            object_id=q.id,
            details={"family": q.family, "version": q.version, "questions": len(parsed.questions), "sha256": sha256},
        )
        session.commit()
    except BaseException:
        session.rollback()
        storage.delete(stored_name, upload_folder)
        raise
    return q


def _product(name: str | None, *, session: Session) -> Product | None:
    if not name or not name.strip():
        return None
    product = find_product(name, session=session)
    if product is None:
        raise ValueError(f"unknown product {name.strip()!r}")
    return product


def _insert_items(
    q: Questionnaire, questions: Sequence[Question], suggestions: Sequence[Suggested], *, session: Session
) -> None:
    """The questions as items with their suggestions, in one multi-row INSERT: no Item
    objects (SQLModel builds each in ~0.5 ms, 2.5 s for a 5,000-question file) and no
    UPDATE of every row once suggested. Flushes, never commits."""
    defaults = _item_defaults()
    rows = [
        {
            **defaults,
            "questionnaire_id": q.id,
            "position": position,
            "sheet": question.sheet,
            "row": question.row,
            "question_id": question.id,
            "text": question.text,
            "section": question.section,
            "cells": _cells_json(question),
            "choices": list(question.choices),
            "original_answer": question.answer,
            "original_comment": question.comment,
            **_suggestion_columns(s),
        }
        for position, (question, s) in enumerate(zip(questions, suggestions, strict=True))
    ]
    if rows:
        # render_nulls: a None is written as NULL, not left out for the column default, so
        # that every row has the same columns and the rows go in one batch (left out, they
        # split into a statement per distinct set of None columns: 1,300 for 5,000 rows)
        session.execute(insert(Item).execution_options(render_nulls=True), rows)
    session.flush()


def _item_defaults() -> dict[str, Any]:
    """Every column of a new Item (its model's defaults), but the id."""
    return {
        name: info.get_default(call_default_factory=True)
        for name, info in Item.model_fields.items()
        if name != "id" and not info.is_required()
    }


def _suggestion_columns(s: Suggested) -> dict[str, Any]:
    """The Item columns that hold suggestion ``s``."""
    return {
        "entry_id": s.entry_id,
        "tier": s.tier,
        "score": s.score,
        "suggested_answer": s.answer,
        "suggested_comment": s.comment,
        "alternatives": [a.to_json() for a in s.alternatives],
    }


def product_of(q: Questionnaire, *, session: Session) -> str | None:
    """The product ``q`` is answered for (None: company-wide)."""
    return session.get(Product, q.product_id).name if q.product_id else None


def _version_line(q: Questionnaire) -> str:
    return ParsedQuestionnaire(family=q.family, version=q.version, format=q.format, questions=[]).version_line


#: What "Match again" reads of a pending item: its question (``question_of``), its current
#: suggestion (``_suggestion_columns``) and lock version; no Item objects.
_RESUGGEST_COLUMNS = (
    Item.id,
    Item.sheet,
    Item.row,
    Item.question_id,
    Item.text,
    Item.section,
    Item.cells,
    Item.choices,
    Item.original_answer,
    Item.original_comment,
    Item.entry_id,
    Item.tier,
    Item.score,
    Item.suggested_answer,
    Item.suggested_comment,
    Item.alternatives,
    Item.lock_version,
)
#: What a page or a bulk accept writes when it accepts the suggestion.
_ACCEPTING_WRITES = ("entry_id", "suggested_answer", "suggested_comment")


def resuggest(questionnaire_id: int, *, session: Session, actor: str) -> int:
    """Re-run matching for the items nobody has decided yet (after the bank changed); a
    pending item holding a reviewer's own answer or comment (typed, or another match used)
    keeps its match: re-matching it dropped the entry the reviewer chose (and its "found"
    match, the wording curators are offered) under the answer it left in place.

    Reads the pending items' columns (no Item objects) and writes only the items whose
    suggestion changed, in one executemany; an item decided or edited since it was read
    (its lock version moved) keeps what that wrote. Returns how many items were pending."""
    q = get_questionnaire(questionnaire_id, session=session)
    pending = session.exec(
        select(*_RESUGGEST_COLUMNS)
        .where(
            Item.questionnaire_id == q.id,
            col(Item.status) == ItemStatus.pending,
            col(Item.answer).is_(None),
            col(Item.comment).is_(None),
        )
        .order_by(col(Item.position))
    ).all()
    suggestions = suggest_for(
        [question_of(row) for row in pending],
        version_line=_version_line(q),
        product=product_of(q, session=session),
        session=session,
        questionnaire_id=q.id,
    )
    changed = []
    for row, s in zip(pending, suggestions, strict=True):
        new = _suggestion_columns(s)
        if all(getattr(row, name) == value for name, value in new.items()):
            continue
        # a page, or a bulk accept, that read the old suggestion must not accept it as the
        # new one (bulk accept writes only rows at the version it read)
        moved = any(getattr(row, name) != new[name] for name in _ACCEPTING_WRITES)
        new["lock_version"] = row.lock_version + moved
        changed.append({"item_id": row.id, "read_version": row.lock_version, **{f"new_{k}": v for k, v in new.items()}})
    if changed:
        session.execute(
            update(Item)
            .where(col(Item.id) == bindparam("item_id"), col(Item.lock_version) == bindparam("read_version"))
            .values(
                {name: bindparam(f"new_{name}") for name in (*_suggestion_columns(suggestions[0]), "lock_version")}
            ),
            changed,
            execution_options={"dml_strategy": "core_only"},
        )
    audit.record(session, "questionnaire.resuggest", actor=actor, object_type="questionnaire", object_id=q.id)
    session.commit()
    return len(pending)


# --- reading -------------------------------------------------------------------------


def get_questionnaire(questionnaire_id: int, *, session: Session) -> Questionnaire:
    q = session.get(Questionnaire, questionnaire_id)
    if q is None:
        raise LookupError(f"questionnaire {questionnaire_id} not found")
    return q


def list_items(questionnaire_id: int, *, session: Session, filters: ItemFilters | None = None) -> list[Item]:
    """Every question of a questionnaire by position (those ``filters`` keep, when given)."""
    where = filters.conditions(questionnaire_id) if filters else [Item.questionnaire_id == questionnaire_id]
    return list(session.exec(select(Item).where(*where).order_by(col(Item.position))))


def export_items(questionnaire_id: int, *, session: Session, accepted_only: bool = False) -> list[Item]:
    """The items an export reads, by position, without their alternatives (the largest
    column, which no export shows: most of the load time of a 5,000-question file);
    ``accepted_only``: just the accepted decisions, all a completed file writes."""
    where = [Item.questionnaire_id == questionnaire_id]
    if accepted_only:
        where.append(col(Item.status) == ItemStatus.accepted)
    query = select(Item).where(*where).options(defer(Item.alternatives)).order_by(col(Item.position))  # type: ignore[arg-type]
    return list(session.exec(query))


def item_count(questionnaire_id: int, *, session: Session) -> int:
    """How many questions a questionnaire has: a COUNT, no rows loaded."""
    return session.exec(select(func.count()).select_from(Item).where(Item.questionnaire_id == questionnaire_id)).one()


#: Longest text the review page's search looks for (a pasted paragraph is cut, not refused).
SEARCH_MAX = 200


@dataclass(frozen=True)
class ItemFilters:
    """What the review page narrows a questionnaire's questions to; an empty field keeps
    all. ``search`` is a case-insensitive part of the question text or question id;
    ``assignee`` an email address, in any case; the others are exact values (an unknown
    one matches nothing)."""

    tier: str = ""
    status: str = ""
    sheet: str = ""
    assignee: str = ""
    search: str = ""

    def conditions(self, questionnaire_id: int) -> list[Any]:
        where: list[Any] = [Item.questionnaire_id == questionnaire_id]
        if self.tier:
            where.append(Item.tier == self.tier)
        if self.status:
            known = self.status in {s.value for s in ItemStatus}  # PostgreSQL refuses a value its enum lacks
            where.append(col(Item.status) == self.status if known else false())
        if self.sheet:
            where.append(Item.sheet == self.sheet)
        if self.assignee:
            # stored lower-cased (``_assignee``): "Expert@Example.com", as a client assigned
            # it, found nothing (lower() on both sides also finds one stored before that rule)
            where.append(func.lower(col(Item.assignee)) == self.assignee.lower())
        if self.search:
            # folded on both sides: SQLite's lower() (so icontains) folds A-Z only, and
            # "ÉVALUATION" did not find "évaluation"; PostgreSQL's lower(), as before
            pattern = folded(literal(like_pattern(self.search)))
            where.append(
                or_(
                    folded(col(Item.text)).like(pattern, escape="\\"),
                    folded(col(Item.question_id)).like(pattern, escape="\\"),
                )
            )
        return where


@dataclass
class ItemPage:
    """One page of a questionnaire's questions under ``ItemFilters``: the items (by
    position), how many match in all, the page number (clamped to 1..pages) and the count
    of pages (at least 1)."""

    items: list[Item]
    matching: int
    page: int
    pages: int
    per_page: int

    @property
    def first(self) -> int:
        """1-based number of the first item shown (0 when none match)."""
        return (self.page - 1) * self.per_page + 1 if self.items else 0


def item_page(
    questionnaire_id: int, filters: ItemFilters, *, page: int, per_page: int, session: Session, clamp: bool = True
) -> ItemPage:
    """The questions of page ``page`` (1-based; past the last page: the last page, or with
    ``clamp=False`` no items, as an API client paging until the end expects) under
    ``filters``: a COUNT and one page of rows, never the whole questionnaire."""
    where = filters.conditions(questionnaire_id)
    matching = session.exec(select(func.count()).select_from(Item).where(*where)).one()
    pages = max(1, -(-matching // per_page))
    page = min(max(page, 1), pages) if clamp else max(page, 1)
    if page > pages:  # no query: an offset past any questionnaire (or past 64 bits) reads nothing
        return ItemPage([], matching, page, pages, per_page)
    rows = session.exec(
        select(Item).where(*where).order_by(col(Item.position)).offset((page - 1) * per_page).limit(per_page)
    )
    return ItemPage(list(rows), matching, page, pages, per_page)


#: Where ``page_of_item`` looks, from item ``item_id``: that question only; it or the next
#: one the filters show; the next one they show after it; the last one they show before it.
PLACES = ("at", "at or after", "after", "before")


def page_of_item(
    questionnaire_id: int,
    item_id: int,
    filters: ItemFilters,
    *,
    per_page: int,
    session: Session,
    place: str = "at",
) -> tuple[int, int] | None:
    """Where ``item_page`` shows item ``item_id`` (``place`` "at"): (page, item id); None
    when ``filters`` hide it. "at or after": when they hide it, the place of the next
    question they show after it (a reviewer filtering on "pending" who accepts a question
    carries on with the next one). "after": the place of the first question they show
    after it, whether they show it or not (the review page's next question past the last
    one of a page: "page + 1" skips as many questions as decisions took out of a "pending"
    filter). "before": the last one they show before it (k past a page's first question).
    None when there is none. LookupError when the item is not one of this
    questionnaire's, ValueError for a place not in ``PLACES``."""
    if place not in PLACES:
        raise ValueError(f"place must be one of {', '.join(PLACES)}")
    item = session.get(Item, item_id)
    if item is None or item.questionnaire_id != questionnaire_id:
        raise LookupError(f"item {item_id} is not part of questionnaire {questionnaire_id}")
    where = filters.conditions(questionnaire_id)
    if place == "before":
        beside, order = col(Item.position) < item.position, col(Item.position).desc()
    else:
        beside = col(Item.position) > item.position if place == "after" else col(Item.position) >= item.position
        order = col(Item.position).asc()
    found = session.exec(select(Item.id, Item.position).where(*where, beside).order_by(order).limit(1)).first()
    if found is None or (found[0] != item_id and place == "at"):
        return None
    target_id, position = found
    above = session.exec(select(func.count()).select_from(Item).where(*where, col(Item.position) < position)).one()
    return above // per_page + 1, target_id


def review_facets(questionnaire_id: int, *, session: Session) -> tuple[list[str], list[str]]:
    """The sheets (in the file's order) and assignees (sorted) of a questionnaire, for the
    review page's filters, read without loading its items."""
    sheets = session.exec(
        select(Item.sheet)
        .where(Item.questionnaire_id == questionnaire_id)
        .group_by(Item.sheet)
        .order_by(func.min(Item.position))
    )
    assignees = session.exec(
        select(Item.assignee)
        .where(Item.questionnaire_id == questionnaire_id, col(Item.assignee).is_not(None), Item.assignee != "")
        .distinct()
        .order_by(col(Item.assignee))
    )
    return list(sheets), [a for a in assignees if a]


@dataclass
class QuestionnairePage:
    """One page of the questionnaire list: the questionnaires, how many there are in all,
    each one's ``progress`` and uploader by id."""

    questionnaires: list[Questionnaire]
    total: int
    progress: dict[int, Progress]
    uploaders: dict[int, User]


def list_questionnaires(
    *, session: Session, offset: int = 0, limit: int | None = None, newest_first: bool = True
) -> QuestionnairePage:
    """Questionnaires ``offset`` to ``offset + limit`` (all from ``offset`` when ``limit``
    is None), newest upload first or by id; their counts come from ``progress_of`` (SQL
    aggregates), their uploaders from one query."""
    order = (
        (col(Questionnaire.uploaded_at).desc(), col(Questionnaire.id).desc())
        if newest_first
        else (col(Questionnaire.id),)
    )
    query = select(Questionnaire).order_by(*order).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    listed = list(session.exec(query))
    total = session.exec(select(func.count()).select_from(Questionnaire)).one()
    uploader_ids = {q.uploaded_by for q in listed if q.uploaded_by is not None}
    uploaders = (
        {u.id: u for u in session.exec(select(User).where(col(User.id).in_(uploader_ids))) if u.id is not None}
        if uploader_ids
        else {}
    )
    return QuestionnairePage(listed, total, progress_of(listed, session=session), uploaders)


#: Questions listed on one "Assigned to me" page (the soonest due first; the rest counted).
ASSIGNED_SHOWN = 200


@dataclass
class Assignments:
    """Open questions sent to one expert: (item, its questionnaire) pairs, and how many in all."""

    items: list[tuple[Item, Questionnaire]]
    total: int


def assigned_to(email: str, *, session: Session, limit: int = ASSIGNED_SHOWN) -> Assignments:
    """The questions sent to the expert ``email`` and not yet answered (status assigned),
    across questionnaires: the soonest due first (no due date last), then by upload and
    position. Assignees are stored as normalised emails (``_assignee``), as users' are."""
    query = (
        select(Item, Questionnaire)
        .join(Questionnaire, col(Item.questionnaire_id) == col(Questionnaire.id))
        .where(*_assigned(email))
        .order_by(
            col(Questionnaire.due_date).is_(None),
            col(Questionnaire.due_date),
            col(Questionnaire.id),
            col(Item.position),
        )
        .limit(limit)
    )
    listed = [(item, q) for item, q in session.exec(query)]
    return Assignments(listed, assigned_count(email, session=session))


def assigned_count(email: str, *, session: Session) -> int:
    """How many questions ``assigned_to`` has for ``email``: a COUNT, no rows read."""
    return session.exec(select(func.count()).select_from(Item).where(*_assigned(email))).one()


def _assigned(email: str) -> tuple[Any, ...]:
    return (Item.status == ItemStatus.assigned, Item.assignee == email)


def import_warnings(questionnaire_id: int, *, session: Session) -> list[str]:
    """What the importer warned about this questionnaire at upload, in its order."""
    return list(
        session.exec(
            select(QuestionnaireWarning.text)
            .where(QuestionnaireWarning.questionnaire_id == questionnaire_id)
            .order_by(QuestionnaireWarning.position)
        )
    )


def get_item(item_id: int, *, session: Session) -> Item:
    item = session.get(Item, item_id)
    if item is None:
        raise LookupError(f"item {item_id} not found")
    return item


@dataclass
class Progress:
    total: int = 0
    answered: int = 0
    needs_review: int = 0
    empty: int = 0
    not_writable: int = 0  # no answer cell of their own (see ``unwritable``), never counted answered
    by_tier: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TIERS, 0))


def final_answer(item: Item) -> tuple[str | None, str | None]:
    """What export writes for this item: the decision if accepted, else nothing."""
    if item.status == ItemStatus.accepted:
        return item.answer, item.comment
    return None, None


def unwritable(items: Iterable[Item]) -> dict[int | None, str]:
    """The items of one questionnaire whose answer cell is not their own, by item id, with
    why: a question in a vertical merge below its anchor (C29:C30 merged, the question of
    row 30) gets the anchor, which the question above already owns; the file has nowhere
    to hold a second answer. The first question of a cell (by position) owns it."""
    return _unwritable((i.id, i.position, i.row, i.question_id, i.cells) for i in items)


_Claim = tuple[int | None, int, int, str | None, dict[str, Any] | None]  # id, position, row, question id, cells


def _unwritable(claims: Iterable[_Claim]) -> dict[int | None, str]:
    owners: dict[CellRef, tuple[str | None, int]] = {}
    found: dict[int | None, str] = {}
    for item_id, _position, row, question_id, cells in sorted(claims, key=lambda c: c[1]):
        cells = cells or {}
        refs = [CellRef.from_json(cells["answer"])] if cells.get("answer") else []
        refs += [CellRef.from_json(v) for v in (cells.get("marks") or {}).values()]
        taken = next((ref for ref in refs if ref in owners), None)
        if taken is None:
            owners.update(dict.fromkeys(refs, (question_id, row)))
            continue
        owner_id, owner_row = owners[taken]
        found[item_id] = (
            f"its answer cell lies in the merged cell {taken.coordinate}, which holds the answer of "
            f"{owner_id or f'row {owner_row}'}; the file has no cell of its own for this answer"
        )
    return found


#: ``unwritable_in`` answers by the upload's stored name (random per upload, so a reused
#: questionnaire id never hits an old answer), most recent last; small dicts, mostly empty.
#: Room for a few years of uploads: the questionnaire list counts every listed one.
_UNWRITABLE: OrderedDict[str, dict[int | None, str]] = OrderedDict()
_UNWRITABLE_MAX = 4096
_UNWRITABLE_LOCK = threading.Lock()


def unwritable_in(questionnaire_id: int, *, session: Session) -> dict[int | None, str]:
    """``unwritable`` for a stored questionnaire. An item's cells are fixed at upload, so
    the answer is worked out once per upload (from the items' cell columns alone, no item
    objects) and kept: an accept on a 1,000-question file does not re-read every item.
    LookupError for an unknown questionnaire."""
    q = get_questionnaire(questionnaire_id, session=session)
    return _unwritable_by_upload({questionnaire_id: q.stored_name}, session=session)[questionnaire_id]


def _unwritable_by_upload(stored_names: dict[int, str], *, session: Session) -> dict[int, dict[int | None, str]]:
    """``unwritable_in`` of each questionnaire id in ``stored_names`` (id -> stored name):
    the ones not known yet are read in one query."""
    found: dict[int, dict[int | None, str]] = {}
    with _UNWRITABLE_LOCK:
        for questionnaire_id, key in stored_names.items():
            known = _UNWRITABLE.get(key)
            if known is not None:
                _UNWRITABLE.move_to_end(key)
                found[questionnaire_id] = dict(known)
    missing = [questionnaire_id for questionnaire_id in stored_names if questionnaire_id not in found]
    if not missing:
        return found
    claims: dict[int, list[_Claim]] = {questionnaire_id: [] for questionnaire_id in missing}
    rows = session.exec(
        select(Item.questionnaire_id, Item.id, Item.position, Item.row, Item.question_id, Item.cells).where(
            col(Item.questionnaire_id).in_(missing)
        )
    )
    for questionnaire_id, *claim in rows:
        claims[questionnaire_id].append(tuple(claim))  # type: ignore[arg-type]
    with _UNWRITABLE_LOCK:
        for questionnaire_id, its_claims in claims.items():
            blocked = _unwritable(its_claims)
            _UNWRITABLE[stored_names[questionnaire_id]] = blocked
            found[questionnaire_id] = dict(blocked)
        while len(_UNWRITABLE) > _UNWRITABLE_MAX:
            _UNWRITABLE.popitem(last=False)
    return found


def answered_count(questionnaire_id: int, *, session: Session) -> int:
    """``progress(...).answered`` without loading the items: accepted and writable."""
    blocked = unwritable_in(questionnaire_id, session=session)
    accepted = session.exec(
        select(Item.id).where(Item.questionnaire_id == questionnaire_id, Item.status == ItemStatus.accepted)
    )
    return sum(1 for item_id in accepted if item_id not in blocked)


def progress(items: Iterable[Item], *, blocked: dict[int | None, str] | None = None) -> Progress:
    """Counts of one questionnaire's items; ``blocked``: ``unwritable(items)`` when the
    caller has it already (the review page also lists it)."""
    p = Progress()
    items = list(items)
    blocked = unwritable(items) if blocked is None else blocked
    for item in items:
        p.total += 1
        p.by_tier[item.tier] = p.by_tier.get(item.tier, 0) + 1
        if item.id in blocked:
            p.not_writable += 1
        else:
            category = _category(item.status, item.tier)
            setattr(p, category, getattr(p, category) + 1)
    return p


def _category(status: str, tier: str) -> str:
    """The ``Progress`` count a writable item of ``status`` and ``tier`` adds to."""
    if status == ItemStatus.accepted:
        return "answered"
    if status in (ItemStatus.needs_review, ItemStatus.assigned) or tier in ("exact", "high", "review"):
        return "needs_review"
    return "empty"


def progress_of(questionnaires: Sequence[Questionnaire], *, session: Session) -> dict[int, Progress]:
    """``progress`` of each of ``questionnaires`` by id, counted in SQL (a GROUP BY over
    status and tier) instead of loading their items; the items with no answer cell of
    their own (``unwritable_in``, kept per upload) are then moved to ``not_writable``."""
    ids = [q.id for q in questionnaires if q.id is not None]
    found = {questionnaire_id: Progress() for questionnaire_id in ids}
    if not ids:
        return found
    counted = session.exec(
        select(Item.questionnaire_id, Item.status, Item.tier, func.count())
        .where(col(Item.questionnaire_id).in_(ids))
        .group_by(Item.questionnaire_id, Item.status, Item.tier)
    )
    for questionnaire_id, status, tier, n in counted:
        p = found[questionnaire_id]
        p.total += n
        p.by_tier[tier] = p.by_tier.get(tier, 0) + n
        category = _category(status, tier)
        setattr(p, category, getattr(p, category) + n)
    names = {q.id: q.stored_name for q in questionnaires if q.id is not None}
    blocked = [item_id for b in _unwritable_by_upload(names, session=session).values() for item_id in b]
    for start in range(0, len(blocked), 500):
        rows = session.exec(
            select(Item.questionnaire_id, Item.status, Item.tier).where(col(Item.id).in_(blocked[start : start + 500]))
        )
        for questionnaire_id, status, tier in rows:
            p, category = found[questionnaire_id], _category(status, tier)
            setattr(p, category, getattr(p, category) - 1)
            p.not_writable += 1
    return found


@dataclass
class Unaccepted:
    """Suggestions export does not write yet: ``total`` not accepted, ``confident`` of
    them exact or high matches."""

    total: int = 0
    confident: int = 0


def unaccepted_in(questionnaire_id: int, *, session: Session) -> Unaccepted:
    """The suggested answers of a questionnaire not accepted yet (only accepted decisions
    are written), except those with no answer cell of their own; picked in SQL (ids and
    tiers only, never the items)."""
    blocked = unwritable_in(questionnaire_id, session=session)
    rows = session.exec(
        select(Item.id, Item.tier).where(
            Item.questionnaire_id == questionnaire_id,
            col(Item.status) != ItemStatus.accepted,
            Item.tier != "none",
            or_(col(Item.suggested_answer).is_not(None), col(Item.suggested_comment).is_not(None)),
        )
    )
    found = Unaccepted()
    for item_id, tier in rows:
        if item_id in blocked:
            continue
        found.total += 1
        found.confident += tier in ("exact", "high")
    return found


# --- deleting ------------------------------------------------------------------------


class NotAllowed(PermissionError):
    """The user may not do this to the questionnaire; the message says who may."""


def may_delete(q: Questionnaire, user: User) -> bool:
    """Who may delete a questionnaire: the sales engineer who uploaded it, or a curator or
    admin (the roles that may retire bank entries). Every sales user can see every
    questionnaire, so seeing one is not enough to destroy a colleague's review."""
    from answers.users import has_role

    return (q.uploaded_by is not None and q.uploaded_by == user.id) or has_role(user, Role.curator)


def delete_rows(q: Questionnaire, *, session: Session) -> int:
    """Delete ``q`` and every row that depends on it (items with their decisions, import
    warnings, question vectors), flush only. Returns the number of items. Bank entries learned or proposed
    from it stay, and so does the audit trail. The caller deletes the stored file after
    committing (``storage.delete``): a crash in between leaves an orphan file
    (``retention.orphans``), never a questionnaire whose original is missing."""
    items = item_count(q.id, session=session)  # type: ignore[arg-type]
    session.exec(delete(Item).where(col(Item.questionnaire_id) == q.id))  # type: ignore[call-overload]
    session.exec(delete(QuestionnaireWarning).where(col(QuestionnaireWarning.questionnaire_id) == q.id))  # type: ignore[call-overload]
    session.exec(delete(QuestionVector).where(col(QuestionVector.questionnaire_id) == q.id))  # type: ignore[call-overload]
    session.delete(q)
    session.flush()
    return items


def delete_questionnaire(
    questionnaire_id: int, *, session: Session, user: User, upload_folder: str, ip: str | None = None
) -> int:
    """Delete a questionnaire for good: its questions, suggestions, decisions, warnings and
    its stored original. Returns how many items went. LookupError for an unknown id,
    NotAllowed when ``may_delete`` says no (nothing changes)."""
    q = get_questionnaire(questionnaire_id, session=session)
    if not may_delete(q, user):
        raise NotAllowed("only the person who uploaded this questionnaire, a curator or an admin may delete it")
    filename, stored_name = q.filename, q.stored_name
    items = delete_rows(q, session=session)
    audit.record(
        session,
        "questionnaire.delete",
        actor=user.email,
        ip=ip,
        object_type="questionnaire",
        object_id=questionnaire_id,
        details={"filename": filename, "items": items, "family": q.family, "format": q.format, "sha256": q.sha256},
    )
    session.commit()
    storage.delete(stored_name, upload_folder)
    return items


# --- decisions -----------------------------------------------------------------------


@dataclass
class Decision:
    answer: str | None = None
    comment: str | None = None
    status: str | None = None
    assignee: str | None = None
    entry_id: int | None = None  # "choose another match": an alternative's, or any live entry's, answer


def may_answer(scope: Sequence[str], product: str | None) -> bool:
    """An entry scoped to the products ``scope`` (empty: company-wide) may answer a
    questionnaire for ``product``: an answer never bleeds into another product's file."""
    return not scope or product in scope


def _applicable_entry(item: Item, entry_id: int, *, session: Session) -> Entry:
    """The bank entry a reviewer applies to ``item`` by id: it must be approved (a draft
    is unreviewed text, a retired one withdrawn) and in the questionnaire's product scope.
    Checked at decision time: an alternative listed at upload may have been retired since.
    DecisionError otherwise, saying why."""
    entry = session.get(Entry, entry_id)
    if entry is None:
        raise DecisionError(f"entry {entry_id} is not a live bank entry")
    if entry.status == EntryStatus.retired:
        raise DecisionError(f"entry {entry_id} is not a live bank entry (it is retired)")
    if entry.status != EntryStatus.approved:
        raise DecisionError(
            f"entry {entry_id} is a draft: a curator approves it before its answer is sent; type the answer instead"
        )
    q = get_questionnaire(item.questionnaire_id, session=session)
    scope = entry_products(entry.id, session=session)
    if not may_answer(scope, product_of(q, session=session)):
        raise DecisionError(f"entry {entry_id} answers for {', '.join(scope)} only, not this questionnaire")
    return entry


def withdrawn_reason(
    item: Item, entry: Entry | None, version_line: str, scope: Sequence[str], product: str | None
) -> str | None:
    """Why ``item``'s suggestion no longer stands, or None: its bank entry was retired (or
    deleted) since the questionnaire was matched, scoped since to products (``scope``, the
    entry's now) that leave out the questionnaire's ``product``, or edited so that it now
    fills the cells differently (a curator turned its Yes into a No). Accepting it would
    send what the bank no longer says."""
    if item.entry_id is None:
        return None
    if entry is None or entry.status != EntryStatus.approved:
        return (
            f"the suggested answer comes from bank entry {item.entry_id}, retired since this questionnaire was "
            "matched: choose another answer or type one"
        )
    if not may_answer(scope, product):  # a curator moved it to another product: it must not bleed into this one
        return (
            f"bank entry {item.entry_id} answers for {', '.join(scope)} only since this questionnaire was matched, "
            "not for its product: choose another answer or type one"
        )
    answer, comment, _ = fit_for(entry, question_of(item), version_line)
    if (answer, comment) != (item.suggested_answer, item.suggested_comment):
        return (
            f"bank entry {item.entry_id} changed since this questionnaire was matched (it now answers "
            f"{answer or comment!r}): match again to see the current answer, or type one"
        )
    return None


def _refuse_withdrawn_suggestion(item: Item, *, session: Session) -> None:
    """DecisionError when ``item``'s suggestion no longer stands (``withdrawn_reason``)."""
    if item.entry_id is None:
        return
    q = get_questionnaire(item.questionnaire_id, session=session)
    scope = entry_products(item.entry_id, session=session)
    reason = withdrawn_reason(
        item, session.get(Entry, item.entry_id), _version_line(q), scope, product_of(q, session=session)
    )
    if reason is not None:
        raise DecisionError(reason)


def _unfitting_entry(item: Item, entry_id: int, *, session: Session, with_comment: bool = False) -> str:
    """Why bank entry ``entry_id`` gives ``item`` nothing to write, in words;
    ``with_comment``: it has a comment, not taken either."""
    entry = session.get(Entry, entry_id)
    says = f" (it answers {entry.answer!r})" if entry is not None and entry.answer else ""
    allowed = f": this cell takes {', '.join(item.choices)}" if item.choices else ""
    reason = (
        f"bank entry {entry_id} has no answer this question's cell can take{says}{allowed}; type the answer instead"
    )
    if with_comment:
        reason += " (its comment was written for that answer: nothing was taken)"
    return reason


def _verdict_refused(alt: dict[str, Any], entry_id: int, *, session: Session) -> bool:
    """The match ``alt`` of entry ``entry_id`` lost its verdict to the cell (a "Tier III"
    for a Yes/No dropdown): fitted, it has no answer though the entry has one."""
    if alt.get("answer") is not None:
        return False
    entry = session.get(Entry, entry_id)
    return entry is not None and bool(entry.answer)


def _found_match(item: Item, entry_id: int, *, session: Session) -> dict[str, Any]:
    """An approved bank entry a reviewer picked for ``item`` by hand, as an alternative
    (score 0, tier none, ``found``), its answer fitted to the cell. DecisionError as
    ``_applicable_entry``."""
    from answers.suggest import Alternative

    entry = _applicable_entry(item, entry_id, session=session)
    q = get_questionnaire(item.questionnaire_id, session=session)
    answer, comment, _ = fit_for(entry, question_of(item), _version_line(q))
    return {**Alternative(entry.id, 0.0, "none", entry.question, answer, comment).to_json(), "found": True}


def _assignee(value: str) -> str | None:
    """The expert a question is sent to: an email address (users have no other name),
    lower-cased; None for a blank. DecisionError for anything else."""
    from answers.users import UserError, normalise_email

    if not value.strip():
        return None
    try:
        return normalise_email(value)
    except UserError as exc:
        raise DecisionError(
            f"the assignee must be the expert's email address (name@company.com), not {value.strip()[:80]!r}"
        ) from exc


def decide(
    item_id: int,
    decision: Decision,
    *,
    session: Session,
    actor: str,
    actor_id: int | None = None,
    expected_version: int | None = None,
    ip: str | None = None,
) -> Item:
    """Apply a reviewer's decision. Raises StaleItem when `expected_version` is behind,
    DecisionError when the verdict is not one the cell allows."""
    item = get_item(item_id, session=session)
    if expected_version is not None and expected_version != item.lock_version:
        raise StaleItem(
            f"item {item_id} was changed by someone else since you loaded it "
            f"(version {item.lock_version}, you had {expected_version}): reload"
        )
    typed = {"answer": decision.answer, "comment": decision.comment}
    typed = {k: pasted_breaks(v) for k, v in typed.items() if v is not None}
    if problem := control_character_problem(typed):  # the bank's rule: the download must open
        raise DecisionError(problem)
    decision = replace(decision, **typed)
    before = {"status": str(item.status), "assignee": item.assignee, "edited": False}
    was_accepted = item.status == ItemStatus.accepted
    if decision.entry_id is not None:
        alt = next((a for a in item.alternatives if a.get("entry_id") == decision.entry_id), None)
        if alt is None and decision.entry_id != item.entry_id:
            # found in the bank by the reviewer: kept among the matches, so the choice shows
            # and counts as a person's (wordings confirmed in review)
            alt = _found_match(item, decision.entry_id, session=session)
            item.alternatives = [*item.alternatives, alt]
        elif alt is not None or decision.entry_id == item.entry_id:
            _applicable_entry(item, decision.entry_id, session=session)
        if alt is not None:
            nothing_typed = decision.answer is None and decision.comment is None
            if nothing_typed and alt.get("answer") is None and alt.get("comment") is None:
                # nothing of it fits the cell: accepting went on to check the questionnaire's
                # own suggestion against this entry ("entry N changed since ... matched")
                raise DecisionError(_unfitting_entry(item, decision.entry_id, session=session))
            if decision.answer is None and _verdict_refused(alt, decision.entry_id, session=session):
                # its comment explains a verdict the cell cannot take: taken alone, it went
                # out under whatever verdict came next, without a word. A verdict the reviewer
                # gives with the entry (the API) is theirs, and the comment goes with it.
                raise DecisionError(
                    _unfitting_entry(
                        item, decision.entry_id, session=session, with_comment=alt.get("comment") is not None
                    )
                )
            item.answer, item.comment = alt.get("answer"), alt.get("comment")
            item.entry_id = decision.entry_id
    if decision.answer is not None:
        answer = decision.answer.strip()
        if answer and item.choices and answer not in item.choices:
            raise DecisionError(f"{answer!r} is not one of this cell's values: {', '.join(item.choices)}")
        item.answer = answer or None
    if decision.comment is not None:
        item.comment = decision.comment.strip() or None
    if decision.status is not None:
        try:
            status = ItemStatus(decision.status)
        except ValueError as exc:
            raise DecisionError(f"status must be one of {', '.join(s.value for s in ItemStatus)}") from exc
        if status == ItemStatus.accepted and item.answer is None and item.comment is None:
            if item.suggested_answer is None and item.suggested_comment is None:
                raise DecisionError("nothing to accept: give an answer or a comment")
            if decision.answer is None and decision.comment is None:
                _refuse_withdrawn_suggestion(item, session=session)
                item.answer, item.comment = item.suggested_answer, item.suggested_comment
        elif status == ItemStatus.accepted and not was_accepted and decision.entry_id is None and _is_suggestion(item):
            # the review page posts the suggestion it shows in the boxes: accepting it as
            # shown is accepting the suggestion, whose entry may be withdrawn since
            _refuse_withdrawn_suggestion(item, session=session)
        if status == ItemStatus.accepted and item.answer is not None:
            reason = unwritable_in(item.questionnaire_id, session=session).get(item.id)
            if reason is not None:
                raise DecisionError(f"not writable, cannot accept an answer for this question: {reason}")
        if status == ItemStatus.accepted:
            _refuse_overlong(item, session=session)
        item.status = status
    if decision.assignee is not None:
        item.assignee = _assignee(decision.assignee)
    if item.status == ItemStatus.assigned and item.assignee is None:
        # checked on the result: a blank assignee clears the one the item had, and the
        # question then waited in nobody's "Assigned to me"
        raise DecisionError("an assigned question needs an assignee")
    item.decided_by, item.decided_at = actor_id, utcnow()
    _claim_version(item, session=session)
    session.add(item)
    if item.status == ItemStatus.accepted and not was_accepted:
        record_use([item.entry_id], session=session)
    audit.record(
        session,
        "item.decide",
        actor=actor,
        ip=ip,
        object_type="item",
        object_id=item.id,
        details={
            "questionnaire": item.questionnaire_id,
            "before": before,
            "status": str(item.status),
            "assignee": item.assignee,
            "edited": decision.answer is not None or decision.comment is not None,
        },
    )
    session.commit()
    return item


def _is_suggestion(item: Item) -> bool:
    """``item`` holds exactly its suggestion's answer and comment (as the review page shows
    them in its boxes: line breaks as a form sends them, surrounding spaces aside)."""

    def text(value: str | None) -> str:
        return (value or "").replace("\r\n", "\n").strip()

    return item.entry_id is not None and (text(item.answer), text(item.comment)) == (
        text(item.suggested_answer),
        text(item.suggested_comment),
    )


def _refuse_overlong(item: Item, *, session: Session) -> None:
    """DecisionError when accepting ``item`` would put more text into one workbook cell
    than Excel holds: a question without a comment cell gets answer and comment in its
    answer cell, each within the 32,000 characters a field takes but over 32,767 together.
    Accepted, such an answer made every download of the questionnaire fail until found."""
    from exporters.xlsx import MAX_CELL_CHARS

    if get_questionnaire(item.questionnaire_id, session=session).format not in ("xlsx", "xlsm"):
        return  # Word and CSV cells have no such limit
    try:
        cells = decision_cells(item, item.answer, item.comment)
    except ValueError:
        return  # a verdict the marks do not offer: refused by the choices check
    for ref, value in cells.items():
        if isinstance(value, str) and len(value.replace("\r\n", "\n")) > MAX_CELL_CHARS:
            raise DecisionError(
                f"this file has no comment cell for this question, so answer and comment go together into "
                f"{ref.coordinate}: {len(value):,} characters, over the {MAX_CELL_CHARS:,} an Excel cell holds;"
                " shorten them"
            )


def _claim_version(item: Item, *, session: Session) -> None:
    """Bump ``item``'s ``lock_version`` in the database only if it is still the one read
    (a conditional UPDATE, which on PostgreSQL waits for a concurrent writer's commit and
    then re-checks): the ORM write that follows cannot overwrite a decision, or a bulk
    accept, saved since the read. StaleItem (nothing written) otherwise. No autoflush:
    the item's own changes are written after the claim, in the same transaction."""
    seen = item.lock_version
    with session.no_autoflush:
        claimed = session.connection().execute(
            update(Item).where(col(Item.id) == item.id, col(Item.lock_version) == seen).values(lock_version=seen + 1)
        )
    if claimed.rowcount != 1:
        session.rollback()
        raise StaleItem(f"item {item.id} was changed by someone else while you saved it: reload")
    item.lock_version = seen + 1


@dataclass
class BulkAccepted:
    """What a bulk accept did: ``accepted`` suggestions, and ``skipped_answered`` pending
    suggestions left alone because the customer's file already answers the question, and
    ``skipped_unwritable`` ones whose question has no answer cell of its own (``unwritable``),
    ``skipped_withdrawn`` ones whose bank entry was retired or changed since the
    questionnaire was matched (``withdrawn_reason``), ``skipped_edited`` pending ones holding
    a reviewer's own answer or comment (typed, or another match chosen) not accepted yet,
    ``skipped_changed`` ones someone else decided (or matched again) while the bulk accept
    ran: their decision stands."""

    accepted: int = 0
    skipped_answered: int = 0
    skipped_unwritable: int = 0
    skipped_withdrawn: int = 0
    skipped_changed: int = 0
    skipped_edited: int = 0


def accept_all(
    questionnaire_id: int,
    *,
    session: Session,
    actor: str,
    actor_id: int | None = None,
    min_tier: str = "high",
) -> BulkAccepted:
    """Accept every pending suggestion at or above `min_tier`, except where the file
    already holds an answer (a bank answer next to the customer's own, maybe contradicting
    it, is never accepted unread; CLI autofill skips those too). Where the file holds only
    a comment, the decision keeps that comment. Each item is written only if it is still
    as read (same ``lock_version``, pending, same suggestion, no answer or comment of a
    reviewer's, which is theirs to accept): a reviewer's save, or a
    second bulk accept, between the read and the write wins and is counted in
    ``skipped_changed``; entry usage is recorded only for the items this call accepted.
    LookupError for an unknown questionnaire."""
    if min_tier not in TIER_RANK or min_tier == "none":
        raise DecisionError("min_tier must be exact, high or review")
    result = BulkAccepted()
    q = get_questionnaire(questionnaire_id, session=session)
    version_line, product = _version_line(q), product_of(q, session=session)
    blocked = unwritable_in(questionnaire_id, session=session)
    items = _bulk_candidates(questionnaire_id, min_tier, session=session)
    sources = {i.entry_id for i in items if i.entry_id is not None}
    entries = {e.id: e for e in session.exec(select(Entry).where(col(Entry.id).in_(sources)))} if sources else {}
    scopes = products_of(list(sources), session=session)
    chosen: list[Item] = []
    for item in items:
        if item.answer is not None or item.comment is not None:
            # a reviewer's answer waiting to be accepted (typed through the API, or another
            # match used): accepting the suggestion replaced it with the bank's without a word
            result.skipped_edited += 1
            continue
        if item.original_answer:
            result.skipped_answered += 1
            continue
        if item.id in blocked:
            result.skipped_unwritable += 1
            continue
        scope = scopes.get(item.entry_id, []) if item.entry_id is not None else []
        if withdrawn_reason(item, entries.get(item.entry_id), version_line, scope, product) is not None:
            result.skipped_withdrawn += 1
            continue
        chosen.append(item)
    written = _accept_unchanged(chosen, actor_id=actor_id, session=session)
    result.accepted = len(written)
    result.skipped_changed = len(chosen) - len(written)
    used = [entry_id for entry_id in written.values() if entry_id is not None]
    record_use(sorted(used), session=session)  # entry rows locked in one order by every writer
    audit.record(
        session,
        "questionnaire.accept_all",
        actor=actor,
        object_type="questionnaire",
        object_id=questionnaire_id,
        details={
            "min_tier": min_tier,
            "accepted": result.accepted,
            "skipped_answered": result.skipped_answered,
            "skipped_unwritable": result.skipped_unwritable,
            "skipped_withdrawn": result.skipped_withdrawn,
            "skipped_changed": result.skipped_changed,
            "skipped_edited": result.skipped_edited,
        },
    )
    session.commit()
    return result


def _bulk_candidates(questionnaire_id: int, min_tier: str, *, session: Session) -> list[Item]:
    """The items a bulk accept at ``min_tier`` considers: pending, of that tier or better,
    with a suggestion; by id, the order every bulk accept locks rows in. Picked in SQL, and
    without the alternatives (the largest column): a file with nothing left to accept
    loads nothing."""
    tiers = [t for t in TIERS if t != "none" and tier_at_least(t, min_tier)]
    return list(
        session.exec(
            select(Item)
            .where(
                Item.questionnaire_id == questionnaire_id,
                Item.status == ItemStatus.pending,
                col(Item.tier).in_(tiers),
                or_(col(Item.suggested_answer).is_not(None), col(Item.suggested_comment).is_not(None)),
            )
            .options(defer(Item.alternatives))  # type: ignore[arg-type]
            .order_by(col(Item.id))
        )
    )


#: Items per conditional UPDATE of a bulk accept (two bound values each: well under
#: SQLite's and PostgreSQL's limits on bound parameters).
_ACCEPT_CHUNK = 500


def _accept_unchanged(items: Sequence[Item], *, actor_id: int | None, session: Session) -> dict[int, int | None]:
    """Accept the suggestions of ``items`` where the row still is as read: same id and
    ``lock_version`` (every decision bumps it, and so does a re-match that changes the
    suggestion), still pending. A few conditional UPDATEs, not one per item; the answer
    and comment are taken from the row itself, as ``decide`` would. On PostgreSQL a
    concurrent writer's row lock makes this wait, then re-check against its commit.
    Returns {item id: entry id} of the rows written."""
    written: dict[int, int | None] = {}
    now = utcnow()
    for start in range(0, len(items), _ACCEPT_CHUNK):
        chunk = items[start : start + _ACCEPT_CHUNK]
        rows = session.execute(
            update(Item)
            .where(
                tuple_(col(Item.id), col(Item.lock_version)).in_([(i.id, i.lock_version) for i in chunk]),
                col(Item.status) == ItemStatus.pending,
            )
            .values(
                answer=col(Item.suggested_answer),
                comment=func.coalesce(func.nullif(col(Item.original_comment), ""), col(Item.suggested_comment)),
                status=ItemStatus.accepted,
                decided_by=actor_id,
                decided_at=now,
                lock_version=col(Item.lock_version) + 1,
            )
            .returning(col(Item.id), col(Item.entry_id))
            .execution_options(synchronize_session=False)
        )
        written.update({item_id: entry_id for item_id, entry_id in rows})
    for item in items:
        session.expire(item)  # read back as it is now: written here, or by someone else
    return written


# --- export --------------------------------------------------------------------------


def decision_cells(item: Item, answer: str | None, comment: str | None) -> dict[CellRef, CellValue]:
    """The cells one accepted decision writes. A decision is written whole, its answer and
    its comment as decided, never by halves: a cell the file already holds with the decided
    value is left alone, a cell the file filled but the decision leaves empty is cleared.
    (Bulk accept never decides a question the file answers, and keeps a file's comment.)
    Raises ValueError when a mark layout gets an answer that is none of its choices."""
    question = question_of(item)
    if comment and question.comment_cell is None and not question.choices and not question.mark_cells:
        if question.answer_cell is not None:
            # one free-text cell and no comment column: the comment goes with the answer
            # (as bank suggestions do, ``suggest.fit``) rather than nowhere
            answer, comment = (with_comment(answer, comment) if answer else comment), None
    new_answer = None if answer == (item.original_answer or None) else (answer if answer is not None else "")
    new_comment = None if comment == (item.original_comment or None) else (comment if comment is not None else "")
    if new_answer == "" and question.mark_cells:
        return {**dict.fromkeys(question.mark_cells.values(), ""), **question.cell_values(None, new_comment)}
    return question.cell_values(new_answer, new_comment)


def cell_values(items: Iterable[Item], answers: Iterable[tuple[str | None, str | None]]) -> dict[CellRef, CellValue]:
    """The cells to write for these items' decided answers (see ``decision_cells``); an
    item without a decision leaves its cells, customer-filled or not, as they are."""
    values: dict[CellRef, CellValue] = {}
    for item, (answer, comment) in zip(items, answers, strict=True):
        if answer is None and comment is None:
            continue
        claim(values, decision_cells(item, answer, comment))
    return values


def claim(values: dict[CellRef, CellValue], cells: dict[CellRef, CellValue]) -> bool:
    """Add one answer's ``cells`` to ``values`` whole, or not at all when one of them is
    already taken with another value (questions sharing a merged cell: the first answer
    wins, and no cell of a dropped answer is left behind). True when added."""
    if not cells or any(values.get(ref, value) != value for ref, value in cells.items()):
        return False
    values.update(cells)
    return True


# --- headless autofill ---------------------------------------------------------------


@dataclass
class AutofillResult:
    data: bytes
    report: list[dict[str, Any]]
    written: int
    family: str
    version: str | None
    not_writable: int = 0  # questions with no answer cell of their own (``unwritable``): never written
    format: str = ""  # the questionnaire's format by its content ('xlsx', 'xlsm', 'csv', 'docx'): `data`'s too


def autofill(
    data: bytes, filename: str, *, session: Session, min_tier: str = "high", product: str | None = None, max_bytes: int
) -> AutofillResult:
    """Fill a questionnaire from the bank without storing it: answers of `min_tier` or
    better are written, cells the customer already filled are left alone; the report
    lists every question with its best suggestion. A question with no answer cell of its
    own (``unwritable``) is never written, and its ``note`` says why."""
    from answers.exporting import writer

    if min_tier not in TIER_RANK or min_tier == "none":
        raise DecisionError("min_tier must be exact, high or review")
    parsed = load(data, _display_name(filename), max_bytes=max_bytes)
    if product is not None:
        found = _product(product, session=session)
        product = found.name if found else None  # " Canvas" / "canvas" answer for Canvas
    suggestions = suggest_for(parsed.questions, version_line=parsed.version_line, product=product, session=session)
    blocked = _unwritable((n, n, q.row, q.id, _cells_json(q)) for n, q in enumerate(parsed.questions))
    values: dict[CellRef, CellValue] = {}
    report = []
    for n, (q, s) in enumerate(zip(parsed.questions, suggestions, strict=True)):
        note = s.note
        if n in blocked:
            note = "; ".join(x for x in (note, f"not writable: {blocked[n]}") if x)
        write = (
            n not in blocked
            and tier_at_least(s.tier, min_tier)
            and not q.answer
            and (s.answer is not None or s.comment is not None)
        )
        if write:
            cells = q.cell_values(s.answer, None if q.comment else s.comment)
            write = claim(values, cells)
        report.append(
            {
                "sheet": q.sheet,
                "cell": q.answer_cell.coordinate if q.answer_cell else None,
                "id": q.id,
                "question": q.text,
                "answer": s.answer,
                "comment": s.comment,
                "tier": s.tier,
                "score": round(s.score, 1),
                "entry_id": s.entry_id,
                "written": write,
                "note": note,  # why a match was held back or shortened, or the question cannot be written
            }
        )
    out = writer(parsed.format)(data, values)
    written = sum(1 for r in report if r["written"])
    return AutofillResult(
        out, report, written, parsed.family, parsed.version, not_writable=len(blocked), format=parsed.format
    )


# --- learn back ----------------------------------------------------------------------


@dataclass
class Proposed:
    """What ``propose_to_bank`` did: drafts ``created``, and answers ``too_long`` for an
    entry (question over 4,000 characters, answer and comment over 8,000), not proposed."""

    created: int = 0
    too_long: int = 0


def propose_to_bank(questionnaire_id: int, *, session: Session, actor: str) -> Proposed:
    """Send the answers reviewers wrote themselves (edited, or with no bank match) to the
    curators as draft entries. Drafts are never written unasked until approved. An
    identical entry already in the bank is not repeated; an answer longer than an entry
    holds is counted, not proposed (cut, a curator could approve half of it unawares)."""
    from answers.bank import _add_entry, question_index
    from answers.learn import entry_answer
    from answers.matching import normalise
    from answers.models import EntryCreate, EntryStatus

    q = get_questionnaire(questionnaire_id, session=session)
    product = product_of(q, session=session)
    scope = (product,) if product else ()
    index = question_index(session=session)
    done = Proposed()
    proposed: list[Entry] = []
    for item in list_items(q.id, session=session):
        if item.status != ItemStatus.accepted or not (item.answer or item.comment):
            continue
        if item.entry_id is not None and (item.answer, item.comment) == (item.suggested_answer, item.suggested_comment):
            continue  # the bank's answer unchanged: no new answer (its wording: curation.confirmed_wordings)
        # a typed answer over 200 characters (a free-text question) was cut to its first 200
        answer, comment = entry_answer(item.answer or "", (item.comment or "").strip())
        if len(comment) > 8000 or len(item.text.strip()) > 4000:
            done.too_long += 1
            continue
        existing = index.get((normalise(item.text), scope))
        if existing is not None and (existing.answer, existing.comment) == (answer, comment):
            continue
        entry = _add_entry(
            EntryCreate(
                question=item.text,
                answer=answer,
                comment=comment,
                status=EntryStatus.draft,
                source=f"review of {q.filename}"[:500],
                family=q.family,
                version=q.version,
                question_id=item.question_id,
                products=list(scope),
            ),
            session=session,
            actor=actor,
        )
        index[(normalise(item.text), scope)] = entry
        proposed.append(entry)
        done.created += 1
    audit.record(
        session,
        "questionnaire.propose",
        actor=actor,
        object_type="questionnaire",
        object_id=q.id,
        details={"drafts": done.created, "too_long": done.too_long},
    )
    prepare_bank_texts(session, proposed)  # one encode call
    session.commit()
    return done
