"""Bank hygiene and coverage: what the security team should fix or write next.

- `hygiene()`: near-duplicate entries (merge them), conflicts (similar questions with
  opposite verdicts, a verdict its own comment contradicts, entries flagged by learning).
  Pairs come from `rapidfuzz.process.cdist` over normalised questions in row blocks with a
  score cutoff, so a 10,000-entry bank never builds a Python pair loop or a full matrix.
- `dismiss()`: a curator's "this is fine", remembered until either entry changes.
- `confirmed_wordings()`: wordings a reviewer accepted a bank answer for although the
  matcher was unsure: candidates for the entry's alternates, added only by a curator.
- `coverage()`: questions of recent questionnaires that found no good match, by topic.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import fuzz, process
from sqlmodel import Session, select

from answers import audit
from answers.bank import EntryError, _retire, clear_conflict_flag, entry_products, get_entry, products_of, wordings
from answers.matching import (
    canonical_tokens,
    facets,
    facets_differ,
    inverts,
    names_differ,
    normalise,
    question_clauses,
)
from answers.models import (
    Entry,
    EntryProduct,
    EntryStatus,
    HygieneDismissal,
    Item,
    ItemStatus,
    Questionnaire,
    WordingDismissal,
    utcnow,
)
from answers.verdicts import canonical_verdict, question_references

DUPLICATE_CUTOFF = 90  # token_sort_ratio on normalised questions; 90+ reads as "the same question"
#: The same ratio on the matcher's canonical words (synonyms folded, stopwords dropped: "when
#: stored" = "at rest", "Is all customer data ..." = "Is customer data ..."): near paraphrases
#: that answer Yes and No are a conflict, as the matcher would write either for the other.
#: Stricter than DUPLICATE_CUTOFF: at 90 QA's 5,000-entry templated bank gave 11 pairs, all
#: one word swapped ("with MFA" / "with alerting"); at 95 none.
PARAPHRASE_CUTOFF = 95
_BLOCK = 512

_NEGATION = re.compile(r"\b(no|not|never|none|neither|nor|cannot|without)\b|n't\b", re.IGNORECASE)
# the verb in lower case only: "The Acceptable Use Policy prohibits ..." names a policy
_AFFIRMATIVE = re.compile(
    r"^(yes\b|(we|our \w+|the \w+|all \w+)\s+(?:\w+ly\s+)?"
    r"(?-i:encrypts?|uses?|requires?|enforces?|maintains?|performs?|"
    r"conducts?|has|have|provides?|supports?|logs?|monitors?|stores?|reviews?|tests?|trains?|implements?|"
    r"protects?|backs? up|is|are)\b)",
    re.IGNORECASE,
)
_NEGATIVE_START = re.compile(
    r"^(no\s*[,.;:!]|no$|not\b|never\b|there (is|are) no\b"
    r"|we (do|did|does|can) ?not\b|we (don't|never|cannot|can't)\b)",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"(?<=[.!?;])\s|\n")


@dataclass
class Finding:
    kind: str  # 'duplicate' | 'opposite' | 'self' | 'learned'
    entries: list[Entry]
    score: float = 100.0
    reason: str = ""
    #: the product scope all its entries share ([] = company-wide): one card never mixes
    #: products, so resolving it never touches another product's answer
    products: list[str] = field(default_factory=list)


@dataclass
class HygieneReport:
    duplicates: list[Finding] = field(default_factory=list)
    conflicts: list[Finding] = field(default_factory=list)
    #: entries whose answer or comment points to other questions of their questionnaire
    #: ("See VULN-02"): sent to any other questionnaire, the pointer is left out or the
    #: answer waits for review, so a self-contained answer serves everywhere
    pointers: list[tuple[Entry, tuple[str, ...]]] = field(default_factory=list)


def first_sentence(text: str) -> str:
    text = (text or "").strip()
    return _SENTENCE.split(text, maxsplit=1)[0].strip() if text else ""


def contradicts_itself(answer: str, comment: str) -> str | None:
    """Why the verdict contradicts the comment's first sentence, or None. Conservative: only
    "No" opening with an affirmative claim and no negation, or "Yes" opening with a denial."""
    verdict = canonical_verdict(answer or "")
    sentence = first_sentence(comment)
    if not sentence or verdict not in ("yes", "no"):
        return None
    if verdict == "no" and _AFFIRMATIVE.match(sentence) and not _NEGATION.search(sentence):
        return f"verdict No, but the comment says: {sentence[:160]}"
    if verdict == "yes" and _NEGATIVE_START.match(sentence):
        return f"verdict Yes, but the comment says: {sentence[:160]}"
    return None


def _scopes(session: Session) -> dict[int, tuple[int, ...]]:
    out: dict[int, list[int]] = {}
    for entry_id, product_id in session.exec(select(EntryProduct.entry_id, EntryProduct.product_id)):
        out.setdefault(entry_id, []).append(product_id)
    return {k: tuple(sorted(v)) for k, v in out.items()}


def _dismissed(session: Session, entries: dict[int, Entry]) -> set[tuple[str, int, int | None]]:
    out = set()
    for d in session.exec(select(HygieneDismissal)):
        a, b = entries.get(d.entry_a), entries.get(d.entry_b) if d.entry_b else None
        if a is None or a.revision != d.revision_a:
            continue
        if d.entry_b is not None and (b is None or b.revision != d.revision_b):
            continue
        out.add((d.kind, d.entry_a, d.entry_b))
    return out


def similar_pairs(texts: list[str], cutoff: float = DUPLICATE_CUTOFF) -> list[tuple[int, int, float]]:
    """(i, j, score) with i < j for every pair of `texts` scoring >= cutoff (token-sort ratio).

    Blocked cdist. The tokens are sorted once here and compared with plain `fuzz.ratio`,
    which equals `token_sort_ratio` and lets rapidfuzz use its bit-parallel kernels
    (10,000 uniform ~70-character questions: 4.5 s against 68 s with token_sort_ratio)."""
    pairs: list[tuple[int, int, float]] = []
    sorted_texts = [" ".join(sorted(t.split())) for t in texts]
    # Shortest first: a partner of row i lies to its right and, for ratio >= cutoff, is at
    # most (200 / cutoff - 1) times as long, so each block only meets a narrow column window.
    order = sorted(range(len(texts)), key=lambda k: len(sorted_texts[k]))
    ordered = [sorted_texts[k] for k in order]
    lengths = [len(t) for t in ordered]
    stretch = 200.0 / max(cutoff, 1.0) - 1.0
    for start in range(0, len(ordered), _BLOCK):
        stop = min(start + _BLOCK, len(ordered))
        end = bisect.bisect_right(lengths, lengths[stop - 1] * stretch + 1)
        scores = process.cdist(
            ordered[start:stop], ordered[start:end], scorer=fuzz.ratio, score_cutoff=cutoff, dtype=np.uint8, workers=-1
        )
        rows, cols = np.nonzero(scores)
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
            if r < c:  # columns start at `start`: the same offset as the rows
                i, j = order[start + r], order[start + c]
                pairs.append((min(i, j), max(i, j), float(scores[r, c])))
    return pairs


def _two_questions(a: str, b: str) -> bool:
    """Worded alike, yet asking two things: another facet ("... in the US region" against
    "... in every region", "tested monthly" against "annually") or another named plan or
    regime ("an escalation plan in your DRP" against "... in your BCP")."""
    fa, fb = facets(a), facets(b)
    if facets_differ(fa, fb) or facets_differ(fb, fa):
        return True
    return names_differ(frozenset(canonical_tokens(a)), frozenset(canonical_tokens(b)))


def _paraphrase_conflicts(
    live: list[Entry], scopes: dict[int, tuple[int, ...]], skip: set[tuple[int, int]]
) -> list[tuple[int, int, float]]:
    """(i, j, score) for pairs of ``live`` worded differently but alike in the matcher's
    canonical words (``PARAPHRASE_CUTOFF``), in one product scope, answering Yes and No,
    and not telling each other apart by a negation, an opposite word, a facet (how often,
    for whom, where, which control: ``answers.matching.facets``) or a named plan or regime. Pairs in ``skip`` (found
    by the plain wording already) are left out."""
    verdicts = [canonical_verdict(e.answer or "") for e in live]
    candidates = [k for k, v in enumerate(verdicts) if v in ("yes", "no")]
    canon = [" ".join(sorted(set(canonical_tokens(live[k].question)))) for k in candidates]
    found = []
    for x, y, score in similar_pairs(canon, cutoff=PARAPHRASE_CUTOFF):
        i, j = candidates[x], candidates[y]
        a, b = live[i], live[j]
        if (i, j) in skip or verdicts[i] == verdicts[j] or scopes.get(a.id, ()) != scopes.get(b.id, ()):
            continue
        if inverts(question_clauses(a.question), question_clauses(b.question)):
            continue  # "Is X allowed?" No against "Is X prohibited?" Yes agree
        if _two_questions(a.question, b.question):
            continue
        found.append((i, j, score))
    return sorted(found, key=lambda p: -p[2])


def hygiene(*, session: Session, limit: int = 200) -> HygieneReport:
    """Duplicates and conflicts among the live entries (same product scope only)."""
    live = list(session.exec(select(Entry).where(Entry.status != EntryStatus.retired).order_by(Entry.id)))
    by_id = {e.id: e for e in live}
    scopes = _scopes(session)
    dismissed = _dismissed(session, by_id)
    report = HygieneReport()
    texts = [normalise(e.question) for e in live]
    worded_alike = set()
    for i, j, score in sorted(similar_pairs(texts), key=lambda p: -p[2]):
        worded_alike.add((i, j))
        a, b = live[i], live[j]
        if scopes.get(a.id, ()) != scopes.get(b.id, ()):
            continue
        va, vb = canonical_verdict(a.answer or ""), canonical_verdict(b.answer or "")
        if {va, vb} == {"yes", "no"}:
            if _two_questions(a.question, b.question):
                continue  # no contradiction: each answers its own question
            if ("opposite", a.id, b.id) not in dismissed and len(report.conflicts) < limit:
                report.conflicts.append(
                    Finding("opposite", [a, b], score, f"similar questions, {a.answer} vs {b.answer}")
                )
        elif ("duplicate", a.id, b.id) not in dismissed and len(report.duplicates) < limit:
            report.duplicates.append(Finding("duplicate", [a, b], score))
    for i, j, score in _paraphrase_conflicts(live, scopes, worded_alike):
        a, b = live[i], live[j]
        if ("opposite", a.id, b.id) not in dismissed and len(report.conflicts) < limit:
            report.conflicts.append(Finding("opposite", [a, b], score, f"near paraphrases, {a.answer} vs {b.answer}"))
    seen_pairs = {tuple(sorted(e.id for e in f.entries)) for f in report.conflicts}
    flagged = [e for e in live if e.conflict]
    groups: dict[tuple[str, tuple[int, ...]], list[Entry]] = {}
    for e in flagged:  # per product scope: one product's conflict is not another's
        groups.setdefault((normalise(e.question), scopes.get(e.id, ())), []).append(e)
    for group in groups.values():
        key = tuple(sorted(e.id for e in group))
        if len(group) == 2 and key in seen_pairs:
            continue
        report.conflicts.append(Finding("learned", group, 100.0, "learned from sources that disagree"))
    for e in live:
        reason = contradicts_itself(e.answer, e.comment)
        if reason and ("self", e.id, None) not in dismissed and len(report.conflicts) < limit * 2:
            report.conflicts.append(Finding("self", [e], 100.0, reason))
        refs = question_references(e.answer, e.comment)
        if refs and len(report.pointers) < limit:
            report.pointers.append((e, refs))
    names = products_of([e.id for f in report.conflicts for e in f.entries], session=session)
    for f in report.conflicts:
        f.products = names.get(f.entries[0].id, [])
    return report


def keep_one(keep_id: int, entry_ids: list[int], *, session: Session, actor: str, ip: str | None = None) -> list[int]:
    """Resolve a conflict: keep `keep_id`, retire the other `entry_ids`, clear the kept
    entry's conflict flag. Everything is checked first (the kept entry exists, is live and
    is one of `entry_ids`; every other entry exists and has the kept one's product scope),
    then all of it happens in one commit, or nothing does. Returns the retired ids.
    Raises EntryNotFound, EntryError."""
    ids = list(dict.fromkeys(entry_ids))
    if keep_id not in ids:
        raise EntryError(f"entry {keep_id} is not one of the entries of this finding: nothing changed")
    keep = get_entry(keep_id, session=session)
    if keep.status == EntryStatus.retired:
        raise EntryError(f"entry {keep_id} is retired: cannot keep it; nothing changed")
    scope = entry_products(keep.id, session=session)
    others = [get_entry(i, session=session) for i in ids if i != keep_id]
    if not others:
        raise EntryError("choose at least one other entry to retire")
    for other in others:
        theirs = entry_products(other.id, session=session)
        if theirs != scope:
            raise EntryError(
                f"entry {other.id} is for {', '.join(theirs) or 'all products'}, entry {keep_id} for "
                f"{', '.join(scope) or 'all products'}: keeping one would leave the other product without "
                "an answer; nothing changed"
            )
    retired = []
    for other in others:
        if other.status != EntryStatus.retired:
            _retire(other, session=session, actor=actor, ip=ip, note=f"conflict resolved: kept #{keep_id}")
            retired.append(other.id)
    clear_conflict_flag(keep, session=session, actor=actor, ip=ip)
    session.commit()
    return retired


DISMISSABLE = ("duplicate", "opposite", "self", "learned")


def dismiss(kind: str, entry_ids: list[int], *, session: Session, actor: str, ip: str | None = None) -> None:
    """Mark a finding as fine ("not a conflict" / "not a duplicate"); clears learning's
    `conflict` flags on these entries. One commit. (A confirmed wording is dismissed one
    wording at a time: ``dismiss_wording``.)"""
    if kind not in DISMISSABLE:
        raise ValueError(f"unknown finding kind {kind!r}")
    entries = sorted((get_entry(i, session=session) for i in dict.fromkeys(entry_ids)), key=lambda e: e.id)
    if not entries:
        raise ValueError("no entries given")
    if kind != "learned":
        a, b = entries[0], entries[1] if len(entries) > 1 else None
        session.add(
            HygieneDismissal(
                kind=kind,
                entry_a=a.id,
                entry_b=b.id if b else None,
                revision_a=a.revision,
                revision_b=b.revision if b else None,
                by=actor,
                at=utcnow(),
            )
        )
    for e in entries:
        if e.conflict:
            e.conflict = False
            session.add(e)
    audit.record(
        session,
        "hygiene.dismiss",
        actor=actor,
        ip=ip,
        object_type="entry",
        object_id=entries[0].id,
        details={"kind": kind, "entries": [e.id for e in entries]},
    )
    session.commit()


# --- wordings confirmed in review ----------------------------------------------------


def _wording_hash(text: str) -> str:
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()


def dismiss_wording(entry_id: int, text: str, *, session: Session, actor: str, ip: str | None = None) -> None:
    """A curator's "not the same question": the wording ``text`` confirmed in review is
    not offered for the entry again while the entry keeps its revision; the entry's other
    confirmed wordings stay. Raises ValueError for an empty wording, EntryNotFound. One commit."""
    entry = get_entry(entry_id, session=session)
    if not normalise(text or ""):
        raise ValueError("no wording given")
    session.add(
        WordingDismissal(
            entry_id=entry.id,
            revision=entry.revision,
            wording_hash=_wording_hash(text),
            by=actor,
            at=utcnow(),
        )
    )
    audit.record(
        session,
        "hygiene.dismiss",
        actor=actor,
        ip=ip,
        object_type="entry",
        object_id=entry.id,
        details={"kind": "confirmed", "entries": [entry.id], "wording": text.strip()[:300]},
    )
    session.commit()


@dataclass
class Confirmation:
    """A question a reviewer answered with `entry`'s answer, unchanged, although the matcher
    was unsure: evidence that `text` is another wording of the entry's question."""

    entry: Entry
    text: str
    questionnaires: list[str] = field(default_factory=list)  # file names, display only
    count: int = 0


def _same_answer(item: Item, entry: Entry) -> bool:
    """The reviewer took the entry's answer unchanged: the same verdict (in the cell's
    spelling or the bank's), and the same comment or none."""
    given, banked = canonical_verdict(item.answer or ""), canonical_verdict(entry.answer or "")
    if given is not None or banked is not None:
        if given != banked:
            return False
    elif normalise(item.answer or "") != normalise(entry.answer or ""):
        return False
    comment = normalise(item.comment or "")
    return not comment or comment == normalise(entry.comment or "")


def _person_decided(item: Item) -> bool:
    """The match was not taken on the matcher's word: tier review/none, or the reviewer
    chose one of the alternatives."""
    if item.tier not in ("exact", "high"):
        return True
    return item.entry_id in {a.get("entry_id") for a in item.alternatives}


def confirmed_wordings(*, session: Session, limit: int = 200) -> list[Confirmation]:
    """Accepted items whose answer came unchanged from a live entry the matcher was not sure
    about, grouped by (entry, normalised wording), most confirmed first. Wordings already
    the entry's question or an alternate are left out, and so is a wording a curator
    called "not the same question" while the entry keeps that revision (any edit of the
    entry offers it again). Before wordings were dismissed one by one, a dismissal hid all
    of an entry's wordings: such rows (HygieneDismissal "confirmed") still do."""
    rows = session.exec(
        select(Item, Entry, Questionnaire.filename)
        .join(Entry, Entry.id == Item.entry_id)
        .join(Questionnaire, Questionnaire.id == Item.questionnaire_id)
        .where(Item.status == ItemStatus.accepted, Entry.status != EntryStatus.retired)
        .order_by(Questionnaire.uploaded_at.desc(), Item.position)  # type: ignore[attr-defined]
    )
    whole_entry = {
        (d.entry_a, d.revision_a)
        for d in session.exec(select(HygieneDismissal).where(HygieneDismissal.kind == "confirmed"))
    }
    dismissed = {(d.entry_id, d.revision, d.wording_hash) for d in session.exec(select(WordingDismissal))}
    found: dict[tuple[int, str], Confirmation] = {}
    known: dict[int, set[str]] = {}  # entry id -> its wordings, once per entry
    for item, entry, filename in rows:
        if (entry.id, entry.revision) in whole_entry or not _person_decided(item) or not _same_answer(item, entry):
            continue
        if entry.id not in known:
            known[entry.id] = wordings(entry)
        key = normalise(item.text)
        if not key or key in known[entry.id]:
            continue
        if (entry.id, entry.revision, _wording_hash(item.text)) in dismissed:
            continue
        confirmation = found.setdefault((entry.id, key), Confirmation(entry, item.text.strip()))
        confirmation.count += 1
        if filename not in confirmation.questionnaires:
            confirmation.questionnaires.append(filename)
    return sorted(found.values(), key=lambda c: (-c.count, c.entry.id))[:limit]


# --- coverage ------------------------------------------------------------------------


@dataclass
class Gap:
    text: str
    count: int
    questionnaires: set[int] = field(default_factory=set)


@dataclass
class Topic:
    name: str
    gaps: list[Gap]

    @property
    def count(self) -> int:
        return sum(g.count for g in self.gaps)


def coverage(*, session: Session, days: int = 90, limit_per_topic: int = 50) -> list[Topic]:
    """Questions of questionnaires uploaded in the last `days` that found no good match
    (tier `none`) and for which no reviewer took an entry either, deduplicated by
    normalised text and grouped by their section (or sheet), biggest topic first."""
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    # the four columns used, not whole items: their JSON columns (cells, choices,
    # alternatives) cost most of the time with a year of uploads
    rows = session.exec(
        select(Item.questionnaire_id, Item.section, Item.sheet, Item.text)
        .join(Questionnaire, Questionnaire.id == Item.questionnaire_id)  # type: ignore[arg-type]
        # a reviewer who took an entry for it (a weak candidate) found the bank covers it:
        # that wording goes to "confirmed in review" instead
        .where(Item.tier == "none", Item.entry_id.is_(None), Questionnaire.uploaded_at >= since)  # type: ignore[union-attr]
        .order_by(Item.questionnaire_id, Item.position)
    )
    topics: dict[str, dict[str, Gap]] = {}
    keys: dict[str, str] = {}  # the same questions come back upload after upload
    for questionnaire_id, section, sheet, text in rows:
        topic = (section or sheet or "other").strip()[:120] or "other"
        key = keys.get(text)
        if key is None:
            key = keys[text] = normalise(text)
        if not key:
            continue
        gap = topics.setdefault(topic, {}).setdefault(key, Gap(text, 0))
        gap.count += 1
        gap.questionnaires.add(questionnaire_id)
    out = [
        Topic(name, sorted(gaps.values(), key=lambda g: -g.count)[:limit_per_topic]) for name, gaps in topics.items()
    ]
    return sorted(out, key=lambda t: (-t.count, t.name))
