"""SQLModel tables and their Create / Update / Public shapes.

Table models skip validation: input from users goes through the `...Create` /
`...Update` models first. JSON columns hold short lists (alternates, tags, choices).
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import re
from typing import Any

from pydantic import field_validator
from sqlalchemy import JSON, Column, LargeBinary, Text, UniqueConstraint, event
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Field, SQLModel


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class EntryStatus(enum.StrEnum):
    draft = "draft"
    approved = "approved"
    retired = "retired"


class Role(enum.StrEnum):
    sales = "sales"
    curator = "curator"
    admin = "admin"


class ItemStatus(enum.StrEnum):
    pending = "pending"
    accepted = "accepted"
    needs_review = "needs_review"
    assigned = "assigned"


# --- products ------------------------------------------------------------------------


class Product(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True, max_length=200)
    created_at: dt.datetime = Field(default_factory=utcnow)


class EntryProduct(SQLModel, table=True):
    """Scopes an entry to a product; an entry with no rows here is company-wide."""

    entry_id: int = Field(foreign_key="entry.id", primary_key=True)
    product_id: int = Field(foreign_key="product.id", primary_key=True)


# --- the answer bank -----------------------------------------------------------------


def _clean_list(values: Any) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        values = values.splitlines()
    out: list[str] = []
    for v in values:
        s = " ".join(str(v).split())  # one line each: bank files hold one alternate per line
        if s and s not in out:
            out.append(s)
    return out


_TAG_SEPARATORS = re.compile(r"[,;\n]")


def clean_tags(values: Any) -> list[str]:
    """Tags as every bank surface reads them: one label per item, "," and ";" separate
    labels (the edit form and bank files split on them), so "a, b" is two tags wherever
    it is typed and an export reads back as it was."""
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    return _clean_list([part for v in values for part in _TAG_SEPARATORS.split(str(v))])


class EntryBase(SQLModel):
    question: str = Field(sa_column_kwargs={"nullable": False}, max_length=4000)
    answer: str = Field(default="", max_length=200, description="the verdict: Yes / No / N/A or short text")
    comment: str = Field(default="", max_length=8000)
    owner: str = Field(default="", max_length=320, description="who keeps it current: an email or a team name")
    review_by: dt.date | None = None
    source: str = Field(default="", max_length=500)
    family: str | None = Field(default=None, max_length=50)
    version: str | None = Field(default=None, max_length=50, description="questionnaire version learned from")
    question_id: str | None = Field(default=None, max_length=100)


class Entry(EntryBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    question: str = Field(sa_column=Column(Text, nullable=False))
    comment: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    alternates: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: EntryStatus = Field(default=EntryStatus.draft, index=True)
    revision: int = Field(default=1, description="bumped by every edit; history in EntryVersion")
    conflict: bool = Field(default=False, index=True)
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)
    approved_at: dt.datetime | None = None
    approved_by: str | None = None
    usage_count: int = 0
    last_used_at: dt.datetime | None = None
    # SQLite only (PostgreSQL's ILIKE folds case itself; NULL there): `search_text` of the
    # question, comment, answer and alternates, written with them (_fold_for_search), so
    # bank search folds non-ASCII case with SQLite's own LIKE instead of calling Python
    # for every row (20,000 entries: 1.5 s a search through casefold functions)
    search_text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


def search_text(question: str | None, comment: str | None, answer: str | None, alternates: Any) -> str:
    """What bank search reads of an entry on SQLite: its question, comment, answer and
    alternates (a list, or its JSON text as stored), one per line, casefolded
    ("ÉVALUATION" -> "évaluation", "Straße" -> "strasse") and without hyphens and spaces:
    search matches a word in this compact form ("SOC2" finds "SOC 2"), which also finds
    every text holding the word as typed. A word holds no line break, so it matches
    within one of the four, as it did column by column."""
    if isinstance(alternates, str):
        try:
            alternates = json.loads(alternates)
        except ValueError:
            alternates = [alternates]
    if not isinstance(alternates, list):
        alternates = [] if alternates is None else [alternates]
    return compact_folded("\n".join([question or "", comment or "", answer or "", *map(str, alternates)]))


def compact_folded(text: str) -> str:
    """``text`` casefolded, without hyphens and spaces: "Multi-Factor" -> "multifactor" (what
    bank search compares on both sides)."""
    return text.casefold().replace("-", "").replace(" ", "")


@event.listens_for(Entry, "before_insert")
@event.listens_for(Entry, "before_update")
def _fold_for_search(_mapper: Any, connection: Any, target: Entry) -> None:
    """Every ORM write of an entry refreshes its ``search_text`` (SQLite only); the one
    Core UPDATE of entries (record_use) touches no text."""
    if connection.dialect.name == "sqlite":
        target.search_text = search_text(target.question, target.comment, target.answer, target.alternates)


class folded(FunctionElement):
    """``folded(expr)``: text in lower case, to compare without case. PostgreSQL's lower()
    folds Unicode (under the database's UTF-8 locale); SQLite's folds A-Z only, so there it
    is `ab_casefold`, Python's casefold registered on every connection (answers.db):
    "ÉVALUATION" -> "évaluation"."""

    type = Text()
    name = "folded"
    inherit_cache = True


@compiles(folded)
def _folded_lower(element: folded, compiler: Any, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(folded, "sqlite")
def _folded_sqlite(element: folded, compiler: Any, **kw: Any) -> str:
    return f"ab_casefold({compiler.process(element.clauses, **kw)})"


class EntryCreate(EntryBase):
    alternates: list[str] = []
    tags: list[str] = []
    status: EntryStatus = EntryStatus.draft
    products: list[str] = []

    @field_validator("question")
    @classmethod
    def _question_not_blank(cls, v: str) -> str:
        v = v.strip()
        if not v:
            raise ValueError("must not be empty")
        return v

    @field_validator("answer", "comment", "owner", "source")
    @classmethod
    def _strip(cls, v: str) -> str:
        return v.strip()

    @field_validator("alternates", mode="before")
    @classmethod
    def _lists(cls, v: Any) -> list[str]:
        return _clean_list(v)

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, v: Any) -> list[str]:
        return clean_tags(v)


class EntryUpdate(SQLModel):
    question: str | None = None
    answer: str | None = None
    comment: str | None = None
    alternates: list[str] | None = None
    tags: list[str] | None = None
    owner: str | None = None
    review_by: dt.date | None = None
    status: EntryStatus | None = None
    products: list[str] | None = None


class EntryPublic(EntryBase):
    id: int
    alternates: list[str]
    tags: list[str]
    status: EntryStatus
    revision: int
    conflict: bool
    created_at: dt.datetime
    updated_at: dt.datetime
    usage_count: int


class EntryVersion(SQLModel, table=True):
    """One saved state of an entry: every edit appends one, nothing is overwritten."""

    __table_args__ = (UniqueConstraint("entry_id", "revision"),)
    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="entry.id", index=True)
    revision: int
    snapshot: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    changed_by: str | None = None
    changed_at: dt.datetime = Field(default_factory=utcnow)
    note: str = ""


class EntryVector(SQLModel, table=True):
    """Cached sentence embedding of one text of an entry (question or an alternate)."""

    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="entry.id", index=True)
    model: str = Field(max_length=100)
    text_hash: str = Field(max_length=64, index=True)
    vector: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class QuestionVector(SQLModel, table=True):
    """Sentence embedding of one question of a stored questionnaire, kept so that matching
    it again (Match again, a bank change, another server process or a restart) reads it
    instead of running the model: 4,965 distinct questions took 14 s to encode on 2 cores.

    Keyed like EntryVector (``model``, ``text_hash`` = sha256 of ``embed_text``); a row
    belongs to the questionnaire whose matching computed it and goes with it (delete,
    retention purge), so no vector outlives the questions it was made from. Any
    questionnaire's row serves a question worded the same elsewhere. Questions worded
    exactly like a bank text have none: the bank's vector serves them."""

    __tablename__ = "question_vector"

    id: int | None = Field(default=None, primary_key=True)
    questionnaire_id: int = Field(foreign_key="questionnaire.id", index=True)
    model: str = Field(max_length=100)
    text_hash: str = Field(max_length=64, index=True)
    vector: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class PhrasingAnalysis(SQLModel, table=True):
    """Stored ``answers.matching.Analysis`` of one bank phrasing (its tokens, clauses and
    facets: 0.3 ms of regex work a text), keyed by ``analysis_key`` and made by the matching
    code of ``version`` (``ANALYSIS_VERSION``): a process building its first index reads
    them instead of analysing the whole bank again. A cache: rows of another version are
    dropped, a missing or unreadable row is recomputed."""

    __tablename__ = "phrasing_analysis"

    id: int | None = Field(default=None, primary_key=True)
    version: str = Field(max_length=16, index=True)
    key: str = Field(max_length=64, index=True)
    data: str = Field(sa_column=Column(Text, nullable=False))


# --- questionnaires in progress ------------------------------------------------------


#: SQLite reuses the highest rowid after a delete: without AUTOINCREMENT a deleted
#: questionnaire's links (and audit events' object ids) would lead to the next upload.
#: Applies to tables ``create_all`` creates; PostgreSQL sequences never reuse ids anyway.
NEVER_REUSE_IDS = {"sqlite_autoincrement": True}


class Questionnaire(SQLModel, table=True):
    __table_args__ = NEVER_REUSE_IDS
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=300)
    filename: str = Field(max_length=300, description="as uploaded; display only, never a path")
    stored_name: str = Field(max_length=100, description="random file name under the upload folder")
    sha256: str = Field(max_length=64)
    size: int
    format: str = Field(max_length=10)
    family: str = Field(max_length=50)
    version: str | None = Field(default=None, max_length=50)
    edition: str | None = Field(default=None, max_length=50)
    customer: str = Field(default="", max_length=300)
    product_id: int | None = Field(default=None, foreign_key="product.id")
    due_date: dt.date | None = None
    uploaded_by: int | None = Field(default=None, foreign_key="user.id")
    uploaded_at: dt.datetime = Field(default_factory=utcnow)


class QuestionnaireWarning(SQLModel, table=True):
    """What the importer said about one upload ("no header row; answers assumed in column
    C", "formula cells are never written"), shown on the review page. A table of its own,
    not a column: ``create_all`` adds new tables to an existing database, never columns."""

    id: int | None = Field(default=None, primary_key=True)
    questionnaire_id: int = Field(foreign_key="questionnaire.id", index=True)
    position: int = 0
    text: str = Field(sa_column=Column(Text, nullable=False))


class Item(SQLModel, table=True):
    """One question of an uploaded questionnaire, its suggestion and the reviewer's decision."""

    __table_args__ = NEVER_REUSE_IDS
    id: int | None = Field(default=None, primary_key=True)
    questionnaire_id: int = Field(foreign_key="questionnaire.id", index=True)
    position: int
    sheet: str = Field(max_length=300)
    row: int
    question_id: str | None = Field(default=None, max_length=100)
    text: str = Field(sa_column=Column(Text, nullable=False))
    section: str | None = Field(default=None, max_length=500)
    cells: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False), description="answer/comment/mark cell refs"
    )
    choices: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    original_answer: str | None = Field(default=None, sa_column=Column(Text))
    original_comment: str | None = Field(default=None, sa_column=Column(Text))
    # suggestion
    entry_id: int | None = Field(default=None, foreign_key="entry.id")
    tier: str = Field(default="none", max_length=10)
    score: float = 0.0
    suggested_answer: str | None = Field(default=None, sa_column=Column(Text))
    suggested_comment: str | None = Field(default=None, sa_column=Column(Text))
    alternatives: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # decision
    answer: str | None = Field(default=None, sa_column=Column(Text))
    comment: str | None = Field(default=None, sa_column=Column(Text))
    status: ItemStatus = Field(default=ItemStatus.pending, index=True)
    assignee: str | None = Field(default=None, max_length=320)
    decided_by: int | None = Field(default=None, foreign_key="user.id")
    decided_at: dt.datetime | None = None
    lock_version: int = Field(default=1, description="optimistic lock: a stale save is refused")


# --- people and access ---------------------------------------------------------------


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(index=True, unique=True, max_length=320)
    role: Role = Role.sales
    password_hash: str | None = None
    active: bool = True
    session_epoch: int = Field(default=0, description="bump to log the user out everywhere")
    failed_logins: int = 0
    locked_until: dt.datetime | None = None
    created_at: dt.datetime = Field(default_factory=utcnow)
    last_login_at: dt.datetime | None = None


class UserCreate(SQLModel):
    email: str = Field(max_length=320)
    role: Role = Role.sales

    @field_validator("email")
    @classmethod
    def _email(cls, v: str) -> str:
        v = v.strip().lower()
        local, _, domain = v.partition("@")
        if not local or "." not in domain or " " in v:
            raise ValueError(f"not an email address: {v!r}")
        return v


class ApiToken(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    prefix: str = Field(max_length=16, index=True, description="first characters, to find the hash to check")
    token_hash: str = Field(max_length=200)
    name: str = Field(default="", max_length=100)
    created_at: dt.datetime = Field(default_factory=utcnow)
    last_used_at: dt.datetime | None = None
    revoked_at: dt.datetime | None = None


class LoginSession(SQLModel, table=True):
    """One browser sign-in. The signed session cookie carries a random secret; only its
    SHA-256 is stored here. Ended by `revoked_at` (sign-out, "End" on the account page,
    sign out everywhere, a password change, deactivation) or by idling longer than
    SESSION_HOURS (`last_seen_at`, refreshed at most once a minute). Dead rows are
    deleted at the next sign-in (`users.prune_sessions`)."""

    # ids are named in the audit trail and in "End" buttons: SQLite must not hand a pruned
    # row's id to a new session (without AUTOINCREMENT it reuses the highest freed id)
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    secret_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: dt.datetime = Field(default_factory=utcnow)
    last_seen_at: dt.datetime = Field(default_factory=utcnow, index=True)
    ip: str | None = Field(default=None, max_length=64, description="where it signed in from")
    user_agent: str = Field(default="", max_length=300)
    revoked_at: dt.datetime | None = Field(default=None, index=True)


# --- audit ---------------------------------------------------------------------------


class AuditEvent(SQLModel, table=True):
    """Append-only; each event's hash covers its content and the previous event's hash."""

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(default_factory=utcnow, index=True)
    actor: str = Field(default="system", max_length=320, index=True)
    action: str = Field(max_length=100, index=True)
    object_type: str | None = Field(default=None, max_length=50)
    object_id: str | None = Field(default=None, max_length=100)
    ip: str | None = Field(default=None, max_length=64)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    prev_hash: str = Field(default="", max_length=64)
    hash: str = Field(default="", max_length=64)


class WordingDismissal(SQLModel, table=True):
    """A curator said a wording confirmed in review is "not the same question" as the
    entry: that wording alone is not offered for the entry again while the entry keeps
    this revision. Keyed by the sha256 of the normalised wording (questions run to 4,000
    characters)."""

    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="entry.id", index=True)
    revision: int
    wording_hash: str = Field(max_length=64)
    by: str = Field(default="", max_length=320)
    at: dt.datetime = Field(default_factory=utcnow)


class HygieneDismissal(SQLModel, table=True):
    """A curator said a hygiene finding is fine ("not a conflict", "not a duplicate"):
    it stays hidden while both entries keep the revisions they had then."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20, index=True)
    entry_a: int = Field(foreign_key="entry.id", index=True)
    entry_b: int | None = Field(default=None, foreign_key="entry.id")
    revision_a: int
    revision_b: int | None = None
    by: str = Field(default="", max_length=320)
    at: dt.datetime = Field(default_factory=utcnow)
