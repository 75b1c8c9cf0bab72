"""Learn question/answer pairs from a completed questionnaire into the bank.

Same question (normalised text, or an alternate of an entry, in the same product scope)
and the same verdict (where neither has one, the same comment: a free-text answer): the
sources merge. A different answer: both are kept and both flagged `conflict` for a
curator; nothing is picked silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlmodel import Session, select

from answers import audit, verdicts
from answers.bank import _add_entry, check_new_product, entry_products, find_product, learned_text, snapshot
from answers.matching import normalise
from answers.models import Entry, EntryCreate, EntryProduct, EntryStatus, EntryVersion, Product, utcnow
from answers.suggest import prepare_bank_texts
from importers import ParsedQuestionnaire, Question

MAX_VERDICT = 200
#: A questionnaire of at least MIN_QUESTIONS_FOR_SHARE questions with answers to fewer than
#: MIN_ANSWERED_SHARE of them looks like a blank template: what its cells hold is the
#: template's defaults and notes (HECVAT 3.06's preset SSO "No", CAIQ 1.1's "This control
#: will likely move to the Legal domain"), not a vendor's answers. `learn` refuses it
#: unless asked (`partial=True`, `--partial`). Measured on the corpus: blanks answer
#: 0-6% (CAIQ 1.1: 12 of 197), the partly completed Vector EHS HECVAT 71% (181 of 255).
MIN_ANSWERED_SHARE = 0.10
MIN_QUESTIONS_FOR_SHARE = 20
_DISPLAY = {"yes": "Yes", "no": "No", "n/a": "N/A"}
_SPACE = re.compile(r"\s+")


def learned_verdict(answer: str) -> str:
    """'1) Yes' / 'Y' -> 'Yes', 'NA' / 'Not Applicable' -> 'N/A'; other text unchanged (trimmed)."""
    canon = verdicts.canonical_verdict(answer)
    return _DISPLAY[canon] if canon else answer.strip()


def entry_answer(answer: str, comment: str) -> tuple[str, str]:
    """(verdict, comment) as an entry keeps an answer and its comment: the verdict of
    ``answer`` (learned_verdict); a free-text answer too long for a verdict (MAX_VERDICT)
    is the comment, ahead of ``comment``."""
    verdict = learned_verdict(answer)
    if len(verdict) > MAX_VERDICT:
        return "", f"{verdict}\n\n{comment}".strip()
    return verdict, comment


def same_verdict(a: str, b: str) -> bool:
    """The same answer: the same verdict, or the same text once case and whitespace are
    set aside (a line break followed by a space in one source is no disagreement)."""
    return _SPACE.sub(" ", learned_verdict(a)).casefold() == _SPACE.sub(" ", learned_verdict(b)).casefold()


@dataclass(frozen=True)
class BlankProblem:
    """Why a questionnaire looks like a blank template. ``anyway``: learning it anyway
    (``partial``) would learn something; how to ask for that depends on the interface."""

    reason: str
    anyway: bool

    def says(self, how: str = "with --partial") -> str:
        """The reason, with ``how`` this interface learns the file anyway where it can."""
        return f"{self.reason} (learn it anyway {how})" if self.anyway else self.reason


class LooksBlank(ValueError):
    """The questionnaire answers too few of its questions to be learned without asking.
    ``problem`` says why; the message is the command line's wording of it."""

    def __init__(self, problem: BlankProblem) -> None:
        super().__init__(problem.says())
        self.problem = problem


class TooLong(ValueError):
    """An answered question holds more text than a bank entry does: nothing is learned."""


#: What an entry holds (answers.models.EntryBase), as learn would fill it.
_LIMITS = (("question", 4000), ("comment", 8000), ("question id", 100))
_SOURCE_LIMIT = 500


def _answered(q) -> bool:
    return bool(q.text.strip() and ((q.answer or "").strip() or (q.comment or "").strip()))


def blank_template_problem(parsed: ParsedQuestionnaire) -> BlankProblem | None:
    """Why `parsed` looks like a blank template (see MIN_ANSWERED_SHARE; or no question
    has an answer at all), or None."""
    total = len(parsed.questions)
    answered = sum(_answered(q) for q in parsed.questions)
    if total and not answered:  # "0 created, 0 merged", exit 0: as if a blank file had been learned
        return BlankProblem(
            f"none of its {total} question(s) has an answer: nothing learned (a blank questionnaire? "
            "learn the completed copy)",
            anyway=False,
        )
    if total < MIN_QUESTIONS_FOR_SHARE or answered >= MIN_ANSWERED_SHARE * total:
        return None
    return BlankProblem(
        f"only {answered} of {total} questions are answered: this looks like a blank template, whose "
        "prefilled cells are defaults and notes rather than answers; nothing learned",
        anyway=True,
    )


@dataclass
class LearnResult:
    created: int = 0
    merged: int = 0
    conflicts: int = 0
    skipped: int = 0
    entry_ids: list[int] = field(default_factory=list)


def section_tag(section: str) -> str:
    """A questionnaire section as one tag: lower case, at most 40 characters, commas and
    semicolons (tag separators everywhere else) written as " /": "Authentication,
    Authorization, and Accounting" is one tag, not three."""
    text = re.sub(r"\s*[,;]\s*", " / ", " ".join(section.split())).lower()
    return text[:40].rstrip(" /")


def _scope_index(session: Session, scope: tuple[str, ...]) -> dict[str, Entry]:
    """{normalised question or alternate: entry} for the entries in exactly this product scope."""
    scopes: dict[int, list[str]] = {}
    for entry_id, name in session.exec(
        select(EntryProduct.entry_id, Product.name).join(Product, EntryProduct.product_id == Product.id)
    ):
        scopes.setdefault(entry_id, []).append(name)
    index: dict[str, Entry] = {}
    for entry in session.exec(select(Entry).where(Entry.status != EntryStatus.retired).order_by(Entry.id)):
        if tuple(sorted(scopes.get(entry.id, []))) != scope:
            continue
        for text in (entry.question, *entry.alternates):
            index.setdefault(normalise(text), entry)
    return index


@dataclass(frozen=True)
class Learnable:
    """One answered question of a completed questionnaire, as the bank would keep it."""

    question: str
    verdict: str
    comment: str
    source: Question


def learnables(parsed: ParsedQuestionnaire) -> tuple[list[Learnable], int]:
    """The answered questions of ``parsed`` as entries would hold them, and how many
    questions have no answer."""
    found: list[Learnable] = []
    skipped = 0
    for q in parsed.questions:
        # the entry form's and the bank import's text rule (no zero-width characters, Word's
        # pasted breaks as newlines): a learned comment with a stray U+FEFF came back from
        # its own unchanged export as an edit, a new revision of an approved entry
        answer = learned_text(q.answer or "").strip()
        comment = learned_text(q.comment or "").strip()
        # a comment without a verdict is still an answer: it is learned as text, with an
        # empty verdict, the way a long free-text answer is
        if not _answered(q) or not (answer or comment):
            skipped += 1
            continue
        verdict, comment = entry_answer(answer, comment)  # a long free-text answer is the comment
        found.append(Learnable(learned_text(q.text).strip(), verdict, comment, q))
    return found, skipped


def check_lengths(found: list[Learnable], source: str = "") -> None:
    """Raise TooLong naming the questions (at most five, by sheet and row) whose text an
    entry cannot hold, or a ``source`` too long for one. Entries were validated only as
    they were written: such a question ended the whole learn with pydantic's own words
    (a traceback from the CLI), after the preview had promised to learn it."""
    if len(source) > _SOURCE_LIMIT:
        raise TooLong(f"source: at most {_SOURCE_LIMIT} characters")
    problems = []
    for item in found:
        values = {"question": item.question, "comment": item.comment, "question id": item.source.id or ""}
        for name, limit in _LIMITS:
            if len(values[name]) > limit:
                where = f"{item.source.sheet} row {item.source.row}" if item.source.sheet else f"row {item.source.row}"
                ident = f" ({item.source.id[:20]})" if item.source.id else ""
                problems.append(f"{where}{ident}: the {name} is {len(values[name]):,} characters, at most {limit:,}")
    if problems:
        more = f" and {len(problems) - 5} more" if len(problems) > 5 else ""
        raise TooLong(
            f"{len(problems)} answered question(s) hold more text than a bank entry does, nothing learned: "
            + "; ".join(problems[:5])
            + more
        )


#: What learning one answered question does: a new entry; another source of an entry with
#: the same answer; or a new entry flagged with the disagreeing one.
CREATE, MERGE, CONFLICT = "new", "merged", "conflict"


def _folded(text: str) -> str:
    return _SPACE.sub(" ", text).strip().casefold()


def _action(known: tuple[str, str] | None, verdict: str, comment: str) -> str:
    """What learning ``verdict`` and ``comment`` does beside the answer and comment
    ``known`` to the same question (None: the bank has no such question). Without a
    verdict on either side the comment is the answer (a free-text question, or an answer
    too long for a verdict): two different ones disagree, as two verdicts do."""
    if known is None:
        return CREATE
    known_answer, known_comment = known
    if not same_verdict(known_answer, verdict):
        return CONFLICT
    if known_answer.strip() or verdict.strip() or not known_comment.strip():
        return MERGE
    return MERGE if _folded(known_comment) == _folded(comment) else CONFLICT


def _scope_of(product: str | None, session: Session) -> tuple[str, ...]:
    found = find_product(product, session=session)
    return (found.name,) if found else (product.strip(),) if product and product.strip() else ()


@dataclass
class LearnPlan:
    """What `learn` would do with a questionnaire, question by question; nothing written."""

    rows: list[tuple[str, Learnable]] = field(default_factory=list)
    skipped: int = 0
    blank: BlankProblem | None = None  # why it looks like a blank template (`blank_template_problem`)

    def count(self, action: str) -> int:
        return sum(1 for a, _ in self.rows if a == action)


def plan_learn(parsed: ParsedQuestionnaire, *, session: Session, product: str | None = None) -> LearnPlan:
    """What `learn(parsed, product=product)` would create, merge and flag (a preview).
    Raises EntryError when `product` is new and not a valid product name, TooLong as learn."""
    check_new_product(product, session=session)
    index = _scope_index(session, _scope_of(product, session))
    known = {key: (entry.answer, entry.comment) for key, entry in index.items()}
    found, skipped = learnables(parsed)
    check_lengths(found)
    plan = LearnPlan(skipped=skipped, blank=blank_template_problem(parsed))
    for item in found:
        key = normalise(item.question)
        action = _action(known.get(key), item.verdict, item.comment)
        if action == CREATE:  # a question asked again in the file meets this first answer, as in learn
            known[key] = (item.verdict, item.comment)
        elif action == MERGE and not known[key][1]:  # learn fills an empty comment
            known[key] = (known[key][0], item.comment)
        plan.rows.append((action, item))
    return plan


def learn(
    parsed: ParsedQuestionnaire,
    *,
    session: Session,
    source: str,
    product: str | None = None,
    status: EntryStatus = EntryStatus.approved,
    actor: str = "system",
    partial: bool = False,
) -> LearnResult:
    """Add every answered question of `parsed` to the bank. One commit. Raises EntryError
    (nothing written) when `product` is new and not a valid product name, LooksBlank
    (nothing written) when few of its questions are answered, unless `partial`, TooLong
    (nothing written) when a question's text or `source` is more than an entry holds."""
    check_new_product(product, session=session)
    if not partial and (problem := blank_template_problem(parsed)):
        raise LooksBlank(problem)
    scope = _scope_of(product, session)
    index = _scope_index(session, scope)
    found, skipped = learnables(parsed)
    check_lengths(found, source)
    result = LearnResult(skipped=skipped)
    for item in found:
        question, verdict, comment, q = item.question, item.verdict, item.comment, item.source
        key = normalise(question)
        existing = index.get(key)
        known = (existing.answer, existing.comment) if existing else None
        if _action(known, verdict, comment) == MERGE:
            _merge_source(
                existing, source=source, comment=comment, q_id=q.id, parsed=parsed, session=session, actor=actor
            )
            result.merged += 1
            result.entry_ids.append(existing.id)
            continue
        data = EntryCreate(
            question=question,
            answer=verdict,
            comment=comment,
            status=status,
            source=source,
            family=parsed.family,
            version=parsed.version,
            question_id=q.id,
            tags=[parsed.family] + ([section_tag(q.section)] if q.section and q.section.strip() else []),
            products=list(scope),
        )
        entry = _add_entry(data, session=session, actor=actor)
        if existing is not None:
            entry.conflict = True
            existing.conflict = True
            session.add(existing)
            session.add(entry)
            for flagged, rival in ((entry, existing), (existing, entry)):  # both now carry the flag
                audit.record(
                    session,
                    "entry.conflict",
                    actor=actor,
                    object_type="entry",
                    object_id=flagged.id,
                    details={"with": rival.id, "source": source},
                )
            result.conflicts += 1
        else:
            index[key] = entry
            result.created += 1
        result.entry_ids.append(entry.id)
    audit.record(
        session,
        "bank.learn",
        actor=actor,
        details={
            "source": source,
            "family": parsed.family,
            "version": parsed.version,
            "product": product,
            "created": result.created,
            "merged": result.merged,
            "conflicts": result.conflicts,
        },
    )
    prepare_bank_texts(session, [session.get(Entry, i) for i in dict.fromkeys(result.entry_ids)])  # one encode call
    session.commit()
    return result


def _merge_source(
    entry: Entry,
    *,
    source: str,
    comment: str,
    q_id: str | None,
    parsed: ParsedQuestionnaire,
    session: Session,
    actor: str,
) -> None:
    """Record another source for the same answer: a new revision only when something changes.
    The snapshot records the entry's real product scope (a restore brings that back)."""
    products = entry_products(entry.id, session=session)
    before = snapshot(entry, products)
    sources = [s.strip() for s in entry.source.split(";") if s.strip()]
    if source and source not in sources:
        sources.append(source)
    entry.source = "; ".join(sources)[:500]
    if not entry.comment and comment:
        entry.comment = comment
    if entry.question_id is None and q_id:
        entry.question_id, entry.family, entry.version = q_id, parsed.family, parsed.version
    after = snapshot(entry, products)
    if after == before:
        return
    entry.revision += 1
    entry.updated_at = utcnow()
    session.add(entry)
    session.add(
        EntryVersion(entry_id=entry.id, revision=entry.revision, snapshot=after, changed_by=actor, note="learned")
    )
    audit.record(  # a revision like any edit (it can fill the comment): the trail shows it
        session,
        "entry.learn",
        actor=actor,
        object_type="entry",
        object_id=entry.id,
        details={"before": before, "after": after, "note": "learned", "source": source},
    )
