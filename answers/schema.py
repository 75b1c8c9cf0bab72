"""Bring a database made by an older release up to this release's models.

`SQLModel.metadata.create_all` creates missing tables, never missing columns: a bank made
by an older release and opened by a newer one failed at the first query ("no such
column"). `upgrade()` compares the live schema (SQLAlchemy's inspector) with the models
and adds what can be added without a decision from a person:

- missing tables (with their indexes, as `create_all` makes them);
- missing columns: `ALTER TABLE ... ADD COLUMN` with the column's type; a NOT NULL column
  gets a server-side default built from the model's default (`False`, `0`, `''`, JSON
  `[]`, the time of the upgrade for a `created_at`-style timestamp), which also fills the
  rows that predate it;
- missing indexes the models declare (a unique one only where the data is unique);
- on PostgreSQL, enum labels the models added (`ALTER TYPE ... ADD VALUE`).

What needs a decision is refused, naming table, column and what to do, and then nothing
is changed: a column whose type changed, a NOT NULL column without a usable default (or a
NOT NULL reference, or a unique NOT NULL column on a table with rows), a new primary key
column. Columns the models no longer have are left alone (a NOT NULL one without a
default is logged: inserts into its table would fail).

Everything is applied in one transaction (SQLite: `BEGIN IMMEDIATE`, since pysqlite would
otherwise autocommit each DDL statement; PostgreSQL: transactional DDL under an advisory
lock), with one `schema.upgrade` audit event listing the changes. Two processes starting at
once serialise on that lock and the second finds nothing left to do. A database with none
of our tables is simply created: no log, no event.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from pydantic_core import PydanticUndefined
from sqlalchemy import JSON, Column, Index, String, Table, TypeDecorator, inspect, literal, text
from sqlalchemy import types as sqltypes
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.schema import CreateIndex
from sqlmodel import Session, SQLModel
from sqlmodel.main import default_registry

from answers.models import utcnow

log = logging.getLogger(__name__)

_SCHEMA_LOCK = 0x41425343  # "ABSC": PostgreSQL advisory lock key of the upgrade

#: default factories whose value is the same for every existing row; any other factory
#: (a random token, say) would give every row the same value and is refused.
_FACTORY_VALUES = {list: list, dict: dict, utcnow: utcnow}
_NO_DEFAULT = object()


class SchemaUpgradeRefused(Exception):
    """The database needs a change Answerbank will not make on its own; nothing was changed.
    `problems` holds one line per table and column, each saying what to do."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(
            "The database cannot be upgraded to this release of Answerbank automatically; nothing was changed.\n"
            f"{lines}\n"
            "Back up the database first. Then start Answerbank again "
            "(or run `flask --app app init-db`): it adds everything else."
        )


@dataclass
class Plan:
    """What `upgrade()` would do: tables to create, DDL to run (with a description each),
    and the problems that make it refuse."""

    new_tables: list[Table] = field(default_factory=list)
    changes: list[tuple[str, str]] = field(default_factory=list)  # (description, SQL)
    problems: list[str] = field(default_factory=list)
    existing: bool = False  # the database already held some of our tables
    notes: list[str] = field(default_factory=list)
    enum_types: list[sqltypes.Enum] = field(default_factory=list)  # PostgreSQL types of added columns

    @property
    def descriptions(self) -> list[str]:
        return [f"created table {t.name}" for t in self.new_tables] + [d for d, _sql in self.changes]


# --- comparing -----------------------------------------------------------------------

_KINDS: tuple[tuple[type, str], ...] = (
    (sqltypes.Boolean, "boolean"),
    (sqltypes.Integer, "integer"),
    (sqltypes.Numeric, "number"),  # Float too
    (sqltypes.DateTime, "timestamp"),
    (sqltypes.Date, "date"),
    (sqltypes.Time, "time"),
    (sqltypes.JSON, "json"),
    (sqltypes.LargeBinary, "binary"),
    (sqltypes.String, "text"),  # Text, Enum (stored as its names) and VARCHAR(n) alike
)


def _kind(type_: Any) -> str | None:
    """The kind of value a column holds, as both dialects reflect it; None when unknown
    (an unusual declared type): lengths and time zones are not compared."""
    if isinstance(type_, TypeDecorator):
        type_ = type_.impl_instance
    for cls, kind in _KINDS:
        if isinstance(type_, cls):
            return kind
    return None


def _model_defaults() -> dict[str, dict[str, Any]]:
    """table name -> column name -> the model field's default (or `_NO_DEFAULT`)."""
    out: dict[str, dict[str, Any]] = {}
    for mapper in default_registry.mappers:
        fields = getattr(mapper.class_, "model_fields", {})
        values: dict[str, Any] = {}
        for name, info in fields.items():
            if info.default_factory is not None:
                factory = _FACTORY_VALUES.get(info.default_factory)
                values[name] = factory() if factory else _NO_DEFAULT
            elif info.default is not PydanticUndefined and info.default is not None:
                values[name] = info.default
        out[mapper.local_table.name] = values
    return out


def _default(column: Column, model_defaults: dict[str, Any]) -> Any:
    value = model_defaults.get(column.name, _NO_DEFAULT)
    if value is _NO_DEFAULT and column.default is not None and column.default.is_scalar:
        value = column.default.arg  # a table without a model
    return value


def _sql_literal(value: Any, type_: Any, dialect: Dialect) -> str:
    return str(literal(value, type_=type_).compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def _literal(value: Any, column: Column, dialect: Dialect) -> str:
    """`value` as SQL for a DEFAULT clause (JSON as its text: no dialect renders JSON)."""
    if isinstance(column.type, JSON):
        return _sql_literal(json.dumps(value), String(), dialect)
    return _sql_literal(value, column.type, dialect)


def _add_column(table: Table, column: Column, value: Any, dialect: Dialect) -> str:
    q = dialect.identifier_preparer
    sql = f"ALTER TABLE {q.format_table(table)} ADD COLUMN {q.quote(column.name)} {column.type.compile(dialect)}"
    if not column.nullable:
        sql += f" NOT NULL DEFAULT {_literal(value, column, dialect)}"
    for fk in column.foreign_keys:  # only nullable ones get here
        sql += f" REFERENCES {q.format_table(fk.column.table)} ({q.quote(fk.column.name)})"
    return sql


def _has_rows(conn: Connection, table: Table) -> bool:
    q = conn.dialect.identifier_preparer
    return conn.execute(text(f"SELECT 1 FROM {q.format_table(table)} LIMIT 1")).first() is not None  # noqa: S608


def _duplicate(conn: Connection, index: Index) -> tuple | None:
    """One set of values that occurs twice in the columns of a unique index, or None."""
    q = conn.dialect.identifier_preparer
    cols = ", ".join(q.quote(c.name) for c in index.columns)
    sql = (
        f"SELECT {cols} FROM {q.format_table(index.table)} "  # noqa: S608 - names from our models
        f"WHERE {' AND '.join(f'{q.quote(c.name)} IS NOT NULL' for c in index.columns)} "
        f"GROUP BY {cols} HAVING COUNT(*) > 1 LIMIT 1"
    )
    row = conn.execute(text(sql)).first()
    return None if row is None else tuple(row)


def plan(conn: Connection, metadata: Any = None) -> Plan:
    """Compare the database behind `conn` with `metadata` (our models). Reads only."""
    metadata = metadata if metadata is not None else SQLModel.metadata
    dialect = conn.dialect
    insp = inspect(conn)
    live = set(insp.get_table_names())
    result = Plan()
    tables = [t for t in metadata.sorted_tables if t.name in live]
    result.new_tables = [t for t in metadata.sorted_tables if t.name not in live]
    result.existing = bool(tables)
    if not tables:
        return result
    names = [t.name for t in tables]
    live_columns = insp.get_multi_columns(filter_names=names)
    live_indexes = insp.get_multi_indexes(filter_names=names)
    defaults = _model_defaults()
    for table in tables:
        columns = {c["name"]: c for c in live_columns[(None, table.name)]}
        added: set[str] = set()
        for column in table.columns:
            where = f"{table.name}.{column.name}"
            if column.name in columns:
                have, want = _kind(columns[column.name]["type"]), _kind(column.type)
                if have and want and have != want:
                    result.problems.append(
                        f"{where} holds {columns[column.name]['type']} in the database but this release "
                        f"stores {column.type.compile(dialect)} there. Answerbank does not convert column types: "
                        "convert the column by hand, or restore the backup and keep the release that made it."
                    )
                continue
            type_sql = column.type.compile(dialect)
            value = _default(column, defaults.get(table.name, {}))
            if column.primary_key:
                result.problems.append(
                    f"{where} is a new primary key column: it cannot be added in place. Export the data "
                    f"(`flask --app app bank export`), create a new database, and import it there."
                )
            elif not column.nullable and column.foreign_keys:
                result.problems.append(
                    f"{where} ({type_sql} NOT NULL) is a new required reference: existing rows would point "
                    f"nowhere. Add the column by hand and set it for the existing rows, then start again."
                )
            elif not column.nullable and value is _NO_DEFAULT:
                result.problems.append(
                    f"{where} ({type_sql} NOT NULL) is missing and the model gives no default for the rows "
                    f"that exist: add it by hand with a value for them (ALTER TABLE {table.name} ADD COLUMN "
                    f"{column.name} {type_sql} NOT NULL DEFAULT <value>), then start again."
                )
            elif (
                not column.nullable
                and (column.unique or any(ix.unique and column.name in ix.columns for ix in table.indexes))
                and _has_rows(conn, table)
            ):
                result.problems.append(
                    f"{where} ({type_sql} NOT NULL) must be unique, so one default cannot fill the rows that "
                    f"exist: add it by hand with a distinct value per row, then start again."
                )
            else:
                shown = "" if column.nullable else f" (default {_literal(value, column, dialect)})"
                if shown and _kind(column.type) == "timestamp":
                    shown = f" (default {_literal(value, column, dialect)}: the time of the upgrade)"
                result.changes.append((f"added column {where}{shown}", _add_column(table, column, value, dialect)))
                if dialect.name == "postgresql" and isinstance(column.type, sqltypes.Enum) and column.type.native_enum:
                    result.enum_types.append(column.type)
                added.add(column.name)
        for name, col in columns.items():
            if name not in table.columns and not col["nullable"] and col.get("default") is None:
                result.notes.append(
                    f"{table.name}.{name} is not used by this release but is NOT NULL without a default: "
                    f"new rows of {table.name} will fail until it is dropped or allows NULL"
                )
        have_indexes = {ix["name"] for ix in live_indexes[(None, table.name)]}
        for index in sorted(table.indexes, key=lambda ix: ix.name or ""):
            if index.name in have_indexes:
                continue
            cols = ", ".join(c.name for c in index.columns)
            if index.unique and not added.intersection(c.name for c in index.columns):
                duplicate = _duplicate(conn, index)
                if duplicate is not None:
                    result.problems.append(
                        f"{table.name}({cols}) must be unique (index {index.name}) but the database holds "
                        f"{duplicate!r} more than once: merge or remove the duplicates, then start again."
                    )
                    continue
            kind = "unique index" if index.unique else "index"
            result.changes.append((f"added {kind} {index.name} on {table.name}({cols})", _create_index(index, dialect)))
    if dialect.name == "postgresql":
        _plan_enum_labels(insp, metadata, result, dialect)
    return result


def _create_index(index: Index, dialect: Dialect) -> str:
    return str(CreateIndex(index).compile(dialect=dialect))


def _plan_enum_labels(insp: Any, metadata: Any, result: Plan, dialect: Dialect) -> None:
    """PostgreSQL stores an enum column as a named type: a label the models added is missing
    there (SQLite stores the names as text and needs nothing)."""
    live = {e["name"]: e["labels"] for e in insp.get_enums()}
    q = dialect.identifier_preparer
    seen: set[str] = set()
    for table in metadata.sorted_tables:
        for column in table.columns:
            type_ = column.type
            if not isinstance(type_, sqltypes.Enum) or not type_.native_enum or type_.name in seen:
                continue
            seen.add(type_.name)
            if type_.name not in live:
                continue  # created with its table, or the column is new: created below
            for label in type_.enums:
                if label not in live[type_.name]:
                    sql = f"ALTER TYPE {q.quote(type_.name)} ADD VALUE {_sql_literal(label, String(), dialect)}"
                    result.changes.append((f"added {label!r} to enum {type_.name}", sql))


# --- applying ------------------------------------------------------------------------


def _begin_locked(conn: Connection) -> None:
    """Start the upgrade's transaction, holding the database's write lock (SQLite) or the
    upgrade's advisory lock (PostgreSQL) until it ends."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    elif conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK})


def upgrade(engine: Engine, *, actor: str = "system", metadata: Any = None) -> list[str]:
    """Create missing tables and bring existing ones up to the models, in one transaction.

    Returns what was changed (empty when the database was already current or was just
    created). Raises `SchemaUpgradeRefused` (nothing changed) when a change needs a person.
    """
    from answers import audit  # late: audit imports the models this module compares

    metadata = metadata if metadata is not None else SQLModel.metadata
    with engine.connect() as conn:
        first = plan(conn, metadata)  # without a lock: the common case is "nothing to do"
        conn.rollback()
        if first.problems:
            raise SchemaUpgradeRefused(first.problems)
        for note in first.notes:
            log.warning("schema: %s", note)
        if not first.new_tables and not first.changes:
            return []
        _begin_locked(conn)
        try:
            todo = plan(conn, metadata)  # again under the lock: another process may have done it
            if todo.problems:
                raise SchemaUpgradeRefused(todo.problems)
            # under the lock the plan is current: SQLite needs no per-table check (PostgreSQL
            # keeps it: an enum type may outlive a table, or be shared with one that exists)
            metadata.create_all(conn, tables=todo.new_tables, checkfirst=conn.dialect.name != "sqlite")
            for enum_type in todo.enum_types:
                enum_type.create(conn, checkfirst=True)
            for _description, sql in todo.changes:
                conn.exec_driver_sql(sql)
            done = todo.descriptions if todo.existing else []
            if done:
                with Session(bind=conn) as session:
                    audit.record(session, "schema.upgrade", actor=actor, details={"changes": done})
                    session.flush()
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
    for description in done:
        log.warning("schema upgrade: %s", description)
    return done
