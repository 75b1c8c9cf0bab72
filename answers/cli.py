"""`flask` commands: the same service calls as the web layer.

Exit code 0 on success, 2 on bad input with a one-line reason on stderr.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NoReturn

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from answers import bank, db
from answers.models import EntryStatus


def fail(message: str) -> NoReturn:
    """One line on stderr, exit code 2."""
    click.echo(f"Error: {message}", err=True)
    sys.exit(2)


def _same_file(a: str, b: str) -> bool:
    pa, pb = Path(a), Path(b)
    try:
        if pa.exists() and pb.exists():
            return pa.samefile(pb)  # hard links and symlinks too
    except OSError:
        pass
    return pa.resolve() == pb.resolve()


def check_writable(path: str, what: str) -> None:
    """Fail (exit 2, naming `path`) unless `path` can be created or overwritten. Called
    before any work so that a bad --report does not leave a half-finished run."""
    p = Path(path)
    parent = p.parent if str(p.parent) else Path(".")
    if p.is_dir():
        fail(f"{what} {path}: is a directory")
    if not parent.is_dir():
        fail(f"{what} {path}: the folder {parent} does not exist")
    target = p if p.exists() else parent
    if not os.access(target, os.W_OK):
        fail(f"{what} {path}: not writable (permission denied)")


def read_input(path: str) -> bytes:
    p = Path(path)
    if not p.is_file():
        fail(f"{path}: no such file")
    try:
        return p.read_bytes()
    except OSError as exc:
        fail(f"{path}: cannot be read ({exc.strerror})")


def family_label(family: str, version: str | None, edition: str | None = None) -> str:
    """'HECVAT Full 3.06', 'generic': no doubled or trailing space when a part is missing."""
    return " ".join(part for part in (family, edition, version) if part)


#: the extensions a completed file of each format may have
_EXTENSIONS = {"xlsx": (".xlsx",), "xlsm": (".xlsm",), "docx": (".docx",), "csv": (".csv", ".tsv", ".txt", ".tab")}

STATUS = click.Choice([EntryStatus.approved.value, EntryStatus.draft.value])


@click.command("init-db")
@click.option("--demo", is_flag=True, help="Also load the demo answer bank.")
@with_appcontext
def init_db_command(demo: bool) -> None:
    """Create the database tables, or upgrade a database made by an older release (and
    load the demo bank with --demo). Exit 2, changing nothing, when the upgrade needs a
    person's decision (the message names table, column and what to do)."""
    from flask import current_app

    from answers.schema import SchemaUpgradeRefused

    try:
        loaded = db.init_db(current_app, demo=demo)
    except SchemaUpgradeRefused as exc:
        fail(str(exc))
    # the app's start (before this command) already made them: it runs on every start
    for change in db.schema_upgraded(current_app):
        click.echo(f"Upgraded: {change}")
    click.echo(f"Database ready at {current_app.config['DATABASE_URL']}.")
    if demo:
        click.echo(f"Demo bank: {loaded} entries added.")


@click.command("inspect")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def inspect_command(file: str, as_json: bool) -> None:
    """Show what the importer finds in FILE."""
    from importers import QuestionnaireImportError, load

    data = read_input(file)
    try:
        parsed = load(data, Path(file).name)
    except QuestionnaireImportError as exc:
        fail(str(exc))
    if as_json:
        click.echo(json.dumps(parsed.to_json(), indent=2, default=str))
        return
    label = family_label(parsed.family, parsed.version, parsed.edition)
    click.echo(f"{label} ({parsed.format}): {len(parsed.questions)} questions")
    for q in parsed.questions:
        cell = q.answer_cell.coordinate if q.answer_cell else "-"
        where = f"{q.sheet}!{cell}" if q.sheet else cell  # a CSV has no sheet name
        choices = f" [{' / '.join(q.choices)}]" if q.choices else ""
        click.echo(f"  {where} {q.id or ''} {q.text[:80]}{choices}")
    for warning in parsed.warnings:
        click.echo(f"warning: {warning}", err=True)


bank_group = AppGroup("bank", help="Curate the answer bank.")


@bank_group.command("learn")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--source", default=None, help="Where the answers came from (default: the file name).")
@click.option("--product", default=None, help="Scope the learned entries to this product.")
@click.option("--status", type=STATUS, default="approved", show_default=True)
@click.option(
    "--partial",
    is_flag=True,
    help="Learn even when fewer than 10% of the questions are answered "
    "(refused by default: such a file is usually a blank template with preset values).",
)
def bank_learn_command(file: str, source: str | None, product: str | None, status: str, partial: bool) -> None:
    """Add the answered questions of a completed questionnaire to the bank."""
    from answers.learn import LooksBlank, TooLong, learn
    from importers import QuestionnaireImportError, load

    data = read_input(file)
    try:
        bank.check_new_product(product, session=db.get_session())
        parsed = load(data, Path(file).name)
    except (QuestionnaireImportError, bank.EntryError) as exc:
        fail(str(exc))
    try:
        result = learn(
            parsed,
            session=db.get_session(),
            source=source or Path(file).name,
            product=product,
            status=EntryStatus(status),
            actor="cli",
            partial=partial,
        )
    except (LooksBlank, TooLong) as exc:
        fail(f"{Path(file).name}: {exc}")
    click.echo(
        f"Learned {Path(file).name} ({family_label(parsed.family, parsed.version)}): {result.created} created, "
        f"{result.merged} merged, {result.conflicts} conflict(s) flagged, {result.skipped} unanswered skipped."
    )


@bank_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--product",
    default=None,
    help="Scope the imported entries to this product (created if new). For a file without a products "
    "column; a file with one keeps each row's products, and is refused if a row says otherwise.",
)
@click.option(
    "--create-products",
    is_flag=True,
    help="Create the products the file's products column names that the bank lacks (a backup restored "
    "into a new bank); without it such a file is refused, so a typo cannot invent a product.",
)
@click.option(
    "--status",
    type=STATUS,
    default="approved",
    show_default=True,
    help="Status of rows without a status cell (new entries and entries the row changes); "
    "a row's own status cell wins, and an exported file has one in every row.",
)
def bank_import_command(file: str, product: str | None, create_products: bool, status: str) -> None:
    """Import entries from csv or xlsx: question,answer and any of comment, alternates, tags,
    owner, products, status, review_by, source, family, version, question_id, conflict (an
    absent column leaves that field alone). A full export restores in one import, every
    entry with its products: `bank import FILE --create-products` into a new bank."""
    data = read_input(file)
    try:
        bank.check_new_product(product, session=db.get_session())
        known = bank.import_product_names(product, session=db.get_session(), create_products=create_products)
        entries = bank.read_bank_file(data, Path(file).name, known_products=known)
    except bank.EntryError as exc:
        fail(str(exc))
    except bank.BankFileError as exc:
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        fail(str(exc))
    try:
        result = bank.import_entries(
            entries,
            session=db.get_session(),
            actor="cli",
            product=product,
            status=EntryStatus(status),
            source=Path(file).name,
            create_products=create_products,
        )
    except bank.BankFileError as exc:  # rows the bank refuses (an empty approved entry, a taken wording)
        db.get_session().rollback()
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        fail(f"{Path(file).name}: {exc}")
    click.echo(f"Imported {Path(file).name}: {result.summary()}.")


@bank_group.command("export")
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
def bank_export_command(file: str) -> None:
    """Export the bank to csv or xlsx (chosen by FILE's extension)."""
    try:
        data = bank.export_bank(file, session=db.get_session())
    except bank.BankFileError as exc:
        fail(str(exc))
    try:
        Path(file).write_bytes(data)
    except OSError as exc:
        fail(f"{file}: cannot be written ({exc.strerror})")
    click.echo(f"Wrote {len(bank.export_rows(session=db.get_session())) - 1} entries to {file}.")


@bank_group.command("reindex")
@click.option(
    "--drop-other-models",
    is_flag=True,
    help="Also drop the vectors of every model but the running one (after an upgrade renamed the model).",
)
def bank_reindex_command(drop_other_models: bool) -> None:
    """Compute the missing sentence vectors and phrasing analyses of the bank; drop orphaned ones."""
    from answers import suggest

    session = db.get_session()
    if suggest.embedder() is None:
        click.echo("Embeddings unavailable (model not installed or ANSWERBANK_EMBEDDINGS=off): lexical matching.")
    computed, dropped = suggest.reindex_vectors(session, drop_other_models=drop_other_models)
    analysed, stale = suggest.reindex_analyses(session)
    session.commit()
    what = "dropped (orphans and other models)" if drop_other_models else "orphaned dropped"
    click.echo(f"Bank vectors: {computed} computed, {dropped} {what}.")
    click.echo(f"Phrasing analyses: {analysed} computed, {stale} orphaned or stale dropped.")


@click.command("autofill")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The completed file.")
@click.option("--report", default=None, type=click.Path(dir_okay=False), help="Write a JSON report here.")
@click.option("--min-tier", type=click.Choice(["exact", "high", "review"]), default="high", show_default=True)
@click.option("--product", default=None, help="Answer for this product.")
@with_appcontext
def autofill_command(file: str, output: str, report: str | None, min_tier: str, product: str | None) -> None:
    """Fill a questionnaire headless with answers from the bank."""
    from flask import current_app

    from answers import responding
    from exporters.xlsx import WriteBackError
    from importers import QuestionnaireImportError

    data = read_input(file)
    in_ext, out_ext = Path(file).suffix.lower(), Path(output).suffix.lower()
    if _same_file(file, output):
        fail(f"{output}: the output is the input file; write the completed file elsewhere so the original is kept")
    check_writable(output, "output")
    if report:
        if _same_file(report, file) or _same_file(report, output):
            fail(f"{report}: the report would overwrite the questionnaire; choose another path")
        check_writable(report, "report")
    try:
        result = responding.autofill(
            data,
            Path(file).name,
            session=db.get_session(),
            min_tier=min_tier,
            product=product,
            max_bytes=int(current_app.config["MAX_UPLOAD_MB"]) * 1024 * 1024,
        )
    except (QuestionnaireImportError, responding.DecisionError, WriteBackError, ValueError) as exc:
        fail(str(exc))
    _keep_computed(db.get_session())
    # the content decides the completed file's extension (a workbook written as out.csv or
    # out.docx opens nowhere); the original's own extension is kept when it names the content
    expected = _EXTENSIONS[result.format]
    if in_ext in expected and out_ext != in_ext:
        fail(f"{output}: the completed file keeps the original's format ({in_ext})")
    if in_ext not in expected and out_ext not in expected:
        misnamed = (
            f"is an {result.format} file named {in_ext}"
            if in_ext
            else f"has no extension and is an {result.format} file"
        )
        fail(f"{output}: {file} {misnamed}: name the completed file {Path(output).stem}.{result.format}")
    try:
        Path(output).write_bytes(result.data)
    except OSError as exc:
        fail(f"{output}: cannot write the output ({exc.strerror})")
    if report:
        try:
            Path(report).write_text(json.dumps(result.report, indent=2, ensure_ascii=False), encoding="utf-8")
        except OSError as exc:
            fail(f"{report}: cannot write the report ({exc.strerror}); the completed file was written to {output}")
    tiers = {t: sum(1 for r in result.report if r["tier"] == t) for t in responding.TIERS}
    click.echo(
        f"{family_label(result.family, result.version)}: {len(result.report)} questions, "
        f"{result.written} answers written, "
        f"{result.not_writable} not writable (no answer cell of their own) "
        f"(exact {tiers['exact']}, high {tiers['high']}, review {tiers['review']}, none {tiers['none']}) -> {output}"
    )


users_group = AppGroup("users", help="Manage user accounts.")


def _keep_computed(session: Any) -> None:
    """Commit what the match computed and the bank lacked (vectors, phrasing analyses: the
    autofill itself stores nothing else), so that the next run reads them. A database that
    refuses the write (read-only, locked) costs only that: a warning, the run goes on."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        session.commit()
    except SQLAlchemyError as exc:
        session.rollback()
        click.echo(
            f"warning: the bank's vectors and analyses computed for this run were not kept ({exc.__class__.__name__})",
            err=True,
        )


def signin_link_url(config: Mapping[str, Any], secret: str, path: str = "/login/link/") -> tuple[str, bool]:
    """The sign-in URL for `secret` and whether its address is a guess. PUBLIC_URL when
    set; else http://HOST:PORT from the environment (what `python app.py` binds, default
    127.0.0.1:5000), which is wrong for `flask run --port ...` or behind a proxy."""
    if config.get("PUBLIC_URL"):
        return f"{str(config['PUBLIC_URL']).rstrip('/')}{path}{secret}", False
    base = "http://{}:{}".format(os.environ.get("HOST", "127.0.0.1"), os.environ.get("PORT", "5000"))
    return f"{base}{path}{secret}", True


def _echo_signin_link(secret: str) -> None:
    from flask import current_app

    hours = current_app.config.get("SIGNIN_LINK_HOURS", 24)
    url, guessed = signin_link_url(current_app.config, secret)
    click.echo(f"One-time sign-in link (valid {hours} hours, then set a password): {url}")
    if guessed:
        base = url.split("/login/", 1)[0]
        click.echo(
            f"{base} is a guess: the HOST and PORT variables (default 127.0.0.1:5000, where `python app.py` serves). "
            "Set PUBLIC_URL to the address users open (e.g. PUBLIC_URL=https://answerbank.example.com), "
            "or change the start of the link.",
            err=True,
        )


@users_group.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(["sales", "curator", "admin"]), required=True)
def users_create_command(email: str, role: str) -> None:
    """Create a user and print a one-time sign-in link (they set a password after it)."""
    from answers import users

    session = db.get_session()
    try:
        user = users.create_user(session, email, role, actor="cli")
    except users.UserError as exc:
        fail(str(exc))
    secret = users.issue_signin_link(session, user, actor="cli")
    click.echo(f"Created {user.email} ({role}).")
    _echo_signin_link(secret)


@users_group.command("link")
@click.argument("email")
def users_link_command(email: str) -> None:
    """Print a fresh one-time sign-in link for an existing user (a lost or expired link, a
    forgotten password: after signing in with it they can set a new password). Earlier
    unused links of the user stop working."""
    from answers import users

    session = db.get_session()
    user = users.get_by_email(session, email)
    if user is None:
        fail(f"no user with the email {email.strip().lower()} (create one with `flask users create`)")
    try:
        secret = users.issue_signin_link(session, user, actor="cli")
    except users.UserError as exc:
        fail(str(exc))
    _echo_signin_link(secret)


@users_group.command("token")
@click.argument("email")
def users_token_command(email: str) -> None:
    """Print a new API token for EMAIL (shown once, stored hashed)."""
    from answers import users

    session = db.get_session()
    user = users.get_by_email(session, email)
    if user is None:
        fail(f"no user with the email {email.strip().lower()}")
    if not user.active:
        fail(f"{user.email} is deactivated")
    _row, secret = users.issue_token(session, user, name="cli", actor="cli")
    click.echo(secret)
    click.echo("Shown once: it is stored only as a hash. Send it as 'Authorization: Bearer <token>'.", err=True)


audit_group = AppGroup("audit", help="The audit trail.")


@audit_group.command("verify")
def audit_verify_command() -> None:
    """Check the audit trail's hash chain."""
    from answers import audit

    try:
        count = audit.verify(db.get_session())
    except audit.AuditChainBroken as exc:
        fail(str(exc))
    click.echo(f"Audit trail intact: {count} events.")


@audit_group.command("export")
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
def audit_export_command(file: str) -> None:
    """Write the audit trail as JSON lines (for a SIEM)."""
    from answers import audit

    count = 0
    try:
        with open(file, "w", encoding="utf-8") as out:
            for event in audit.events(db.get_session()):
                out.write(audit.to_json_line(event) + "\n")
                count += 1
    except OSError as exc:
        fail(f"{file}: cannot be written ({exc.strerror})")
    click.echo(f"Wrote {count} audit events to {file}.")


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="List what would be purged; change nothing.")
@click.option("--days", type=click.IntRange(min=0), help="Override UPLOAD_RETENTION_DAYS for this run.")
@with_appcontext
def purge_command(dry_run: bool, days: int | None) -> None:
    """Delete questionnaires (stored original, questions, answers) older than the retention,
    and the files of bank import and learn previews nobody confirmed within the hour.

    The audit trail is kept; each purge is recorded as a `questionnaire.purge` event.
    Exports are built on demand and never stored, so there are none to delete."""
    from flask import current_app

    from answers import retention, storage

    keep = days if days is not None else int(current_app.config["UPLOAD_RETENTION_DAYS"])
    folder = current_app.config["UPLOAD_FOLDER"]
    preview_folders = (
        Path(folder) / storage.PREVIEW_FOLDER,
        Path(current_app.instance_path) / storage.LEGACY_PREVIEW_FOLDER,
    )
    session = db.get_session()
    if dry_run:
        found = retention.expired(session, days=keep, upload_folder=folder)
        for e in found:
            click.echo(f"would purge questionnaire {e.id} (uploaded {e.uploaded_at:%Y-%m-%d}, {e.items} items)")
        previews = len(storage.expired_previews(*preview_folders))
        click.echo(
            f"Dry run: {len(found)} questionnaire(s) older than {keep} days and {previews} unconfirmed "
            "preview file(s); nothing deleted."
        )
        return
    done = retention.purge(session, days=keep, upload_folder=folder, actor="cli")
    for e in done:
        click.echo(f"purged questionnaire {e.id} (uploaded {e.uploaded_at:%Y-%m-%d}, {e.items} items)")
    click.echo(f"Purged {len(done)} questionnaire(s) older than {keep} days.")
    previews = storage.delete_expired_previews(*preview_folders)
    if previews:
        click.echo(f"Deleted {previews} unconfirmed import or learn preview file(s) (older than an hour).")
    stray = retention.orphans(session, upload_folder=folder)
    if stray:
        click.echo(f"warning: {len(stray)} stored file(s) belong to no questionnaire: {', '.join(stray)}", err=True)


def _fail_on_database_errors(command: click.Command) -> None:
    """Make a database that refuses (read-only, locked past the busy timeout, unreachable)
    end `command` (and a group's subcommands) with one line and exit 2 instead of a
    traceback. The command's transaction is rolled back when its session closes."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _fail_on_database_errors(sub)
        return
    callback = command.callback
    if callback is None:
        return

    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> Any:
        from flask import current_app
        from sqlalchemy.exc import OperationalError

        try:
            return callback(*args, **kwargs)
        except OperationalError as exc:
            fail(db.refused_message(exc, current_app.config["DATABASE_URL"]))

    command.callback = run


COMMANDS = (
    init_db_command,
    inspect_command,
    autofill_command,
    bank_group,
    users_group,
    audit_group,
    purge_command,
)
for _command in COMMANDS:  # once, at import: create_app runs init_app for every app
    _fail_on_database_errors(_command)


def init_app(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)
