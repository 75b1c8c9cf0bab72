"""The answer bank in the browser (`/bank`) and the JSON API (`/api/v1/entries`).

Sales may read, curators write (web.security.RULES). Views are thin: parse, call one
service in answers.bank / answers.curation, render.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import re
import secrets
import sys
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, send_file, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer
from pydantic import ValidationError

from answers import bank, curation, storage
from answers.db import get_session
from answers.models import Entry, EntryCreate, EntryStatus, EntryUpdate
from answers.suggest import invalidate
from web.common import (
    BadField,
    actor,
    bounded_query_int,
    client_ip,
    parse_date,
    parse_flag,
    parse_int,
    request_id,
    request_ids,
    text_field,
)

bp = Blueprint("bank", __name__)
PER_PAGE = 50
MAX_PAGE = 1_000_000  # past the last page shows no entries; past this would overflow the OFFSET
MAX_DAYS = 36_500  # a review window of a century; more overflows the date arithmetic
HYGIENE_SHOWN = 200  # findings of one kind listed on the hygiene page
USED_SHOWN = 20  # questionnaires listed under an entry's "Used in" (the latest; the rest counted)
_STORED = re.compile(r"^[0-9a-f]{32}$")


# --- helpers -------------------------------------------------------------------------


def _filters(args) -> bank.SearchFilters:
    return bank.SearchFilters(
        query=(args.get("q") or "")[:200],
        tag=(args.get("tag") or "")[:100],
        owner=(args.get("owner") or "")[:320],
        status=args.get("status") or "",
        product=(args.get("product") or "")[:200],
        stale=args.get("stale") == "1",
        conflicted=args.get("conflicted") == "1",
        never_used=args.get("never_used") == "1",
        sort=args.get("sort") or "updated",
    )


def _entry_or_404(entry_id: int) -> Entry:
    try:
        return bank.get_entry(entry_id, session=get_session())
    except LookupError:
        abort(404, description=f"entry {entry_id} not found")


def entry_json(entry: Entry, products: list[str] | None = None) -> dict[str, Any]:
    return {
        "id": entry.id,
        "question": entry.question,
        "alternates": list(entry.alternates),
        "answer": entry.answer,
        "comment": entry.comment,
        "tags": list(entry.tags),
        "owner": entry.owner,
        "status": str(entry.status),
        "review_by": entry.review_by.isoformat() if entry.review_by else None,
        "stale": bank.is_stale(entry),
        "conflict": entry.conflict,
        "source": entry.source,
        "family": entry.family,
        "version": entry.version,
        "question_id": entry.question_id,
        "products": products if products is not None else bank.entry_products(entry.id, session=get_session()),
        "revision": entry.revision,
        "usage_count": entry.usage_count,
        "last_used_at": entry.last_used_at.isoformat() if entry.last_used_at else None,
        "approved_at": entry.approved_at.isoformat() if entry.approved_at else None,
        "approved_by": entry.approved_by,
        "updated_at": entry.updated_at.isoformat(),
    }


def _lines(value: str | None) -> list[str]:
    return [s.strip() for s in (value or "").splitlines() if s.strip()]


def _tags(value: str | None) -> list[str]:
    return [s.strip() for s in (value or "").replace(";", ",").split(",") if s.strip()]


def _form_update(form) -> EntryUpdate:
    status = form.get("status") or None
    if status is not None and status not in {s.value for s in EntryStatus}:
        raise BadField("status: draft, approved or retired")
    return EntryUpdate(
        question=text_field(form, "question", max_length=4000) or "",
        answer=text_field(form, "answer", max_length=200) or "",
        comment=text_field(form, "comment", max_length=8000) or "",
        alternates=_lines(form.get("alternates")),
        tags=_tags(form.get("tags")),
        owner=text_field(form, "owner", max_length=320) or "",
        review_by=parse_date(form.get("review_by"), "review by"),
        status=EntryStatus(status) if status else None,
        products=bank.known_products(_tags(form.get("products")), session=get_session()),
    )


@bp.app_template_test("stale")
def _is_stale(entry: Entry) -> bool:
    """`{% if entry is stale %}` in any template: past its review-by date."""
    return bank.is_stale(entry)


def _changed():
    invalidate()  # the matcher's snapshot: cheap to rebuild, wrong if stale


# --- browser pages -------------------------------------------------------------------


@bp.get("/bank/")
def index():
    session = get_session()
    filters = _filters(request.args)
    page_no = bounded_query_int(request.args, "page", 1, low=1, high=MAX_PAGE)
    try:
        page = bank.search(filters, session=session, page=page_no or 1, per_page=PER_PAGE)
    except bank.EntryError as exc:
        flash(str(exc), "error")
        filters = bank.SearchFilters()
        page = bank.search(filters, session=session, per_page=PER_PAGE)
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "bank/index.html",
        page=page,
        filters=filters,
        args=args,
        sorts=bank.SORTS,
        owners=bank.owners(session=session),
        tags=bank.tags_in_use(session=session),
        today=dt.date.today(),
    )


@bp.get("/bank/new")
def new_form():
    return render_template("bank/edit.html", entry=None, form={}, statuses=[s.value for s in EntryStatus])


@bp.post("/bank/new")
def create():
    form = request.form
    try:
        data = EntryCreate(
            question=text_field(form, "question", max_length=4000) or "",
            answer=text_field(form, "answer", max_length=200) or "",
            comment=text_field(form, "comment", max_length=8000) or "",
            alternates=_lines(form.get("alternates")),
            tags=_tags(form.get("tags")),
            owner=text_field(form, "owner", max_length=320) or "",
            review_by=parse_date(form.get("review_by"), "review by"),
            products=bank.known_products(_tags(form.get("products")), session=get_session()),
            status=EntryStatus.draft,  # a typed-in entry is a draft until approved
        )
        entry = bank.create_entry(data, session=get_session(), actor=actor()[0], ip=client_ip())
    except (BadField, ValidationError, ValueError) as exc:
        get_session().rollback()
        message = _message(exc)
        return render_template(
            "bank/edit.html", entry=None, form=form, error=message, statuses=[s.value for s in EntryStatus]
        ), 400
    _changed()
    flash("Entry created as a draft: approve it to use it for confident answers.", "info")
    return redirect(url_for("bank.entry", entry_id=entry.id), code=303)


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return bank.validation_message(exc)
    return str(exc)


@bp.get("/bank/<int:entry_id>")
def entry(entry_id: int):
    session = get_session()
    e = _entry_or_404(entry_id)
    history = bank.versions(e.id, session=session)
    diffs = {}
    for newer, older in itertools.pairwise(history):
        diffs[newer.revision] = bank.version_diff(older.snapshot, newer.snapshot)
    return render_template(
        "bank/entry.html",
        e=e,
        products=bank.entry_products(e.id, session=session),
        stale=bank.is_stale(e),
        history=history,
        diffs=diffs,
        used=bank.used_in(e.id, session=session),
        used_shown=USED_SHOWN,
    )


@bp.get("/bank/<int:entry_id>/edit")
def edit_form(entry_id: int):
    e = _entry_or_404(entry_id)
    form = {
        "question": e.question,
        "answer": e.answer,
        "comment": e.comment,
        "alternates": "\n".join(e.alternates),
        "tags": ", ".join(e.tags),
        "owner": e.owner,
        "review_by": e.review_by.isoformat() if e.review_by else "",
        "products": ", ".join(bank.entry_products(e.id, session=get_session())),
        "status": str(e.status),
        "revision": str(e.revision),
    }
    return render_template("bank/edit.html", entry=e, form=form, statuses=[s.value for s in EntryStatus])


@bp.post("/bank/<int:entry_id>/edit")
def update(entry_id: int):
    e = _entry_or_404(entry_id)
    revision = request_id(request.form, "revision")
    try:
        bank.update_entry(
            e.id,
            _form_update(request.form),
            session=get_session(),
            actor=actor()[0],
            ip=client_ip(),
            expected_revision=revision,
        )
    except bank.StaleRevision as exc:
        get_session().rollback()
        # the typed text stays; the form now carries the current revision, so saving
        # again is a deliberate overwrite
        return render_template(
            "bank/edit.html",
            entry=e,
            form={**request.form.to_dict(), "revision": str(exc.current)},
            error=f"{exc}. Your text is kept below: compare it with the entry's history, "
            "then save again to replace that revision with it.",
            statuses=[s.value for s in EntryStatus],
        ), 409
    except (BadField, bank.EntryError, ValidationError) as exc:
        get_session().rollback()
        return render_template(
            "bank/edit.html",
            entry=e,
            form=request.form,
            error=_message(exc),
            statuses=[s.value for s in EntryStatus],
        ), 400
    _changed()
    flash("Saved as a new revision.", "info")
    return redirect(url_for("bank.entry", entry_id=entry_id), code=303)


def _simple_action(entry_id: int, action, done: str, **kwargs):
    _entry_or_404(entry_id)
    try:
        action(entry_id, session=get_session(), actor=actor()[0], ip=client_ip(), **kwargs)
    except (bank.EntryError, LookupError) as exc:
        get_session().rollback()
        flash(str(exc), "error")
    else:
        _changed()
        flash(done, "info")
    return redirect(
        request.form.get("next_page")
        if _safe(request.form.get("next_page"))
        else url_for("bank.entry", entry_id=entry_id),
        code=303,
    )


def _safe(target: str | None) -> bool:
    return bool(target) and target.startswith("/bank") and "//" not in target and "\\" not in target


@bp.post("/bank/<int:entry_id>/approve")
def approve(entry_id: int):
    try:
        review_by = parse_date(request.form.get("review_by"), "review by")
    except BadField as exc:
        flash(str(exc), "error")
        return redirect(url_for("bank.entry", entry_id=entry_id), code=303)
    return _simple_action(entry_id, bank.approve, "Approved.", review_by=review_by)


@bp.post("/bank/<int:entry_id>/retire")
def retire(entry_id: int):
    return _simple_action(entry_id, bank.retire, "Retired: it is no longer used for answers.")


@bp.post("/bank/<int:entry_id>/restore")
def restore(entry_id: int):
    revision = request_id(request.form, "revision")
    if revision is None:
        flash("choose a revision to restore", "error")
        return redirect(url_for("bank.entry", entry_id=entry_id), code=303)
    _entry_or_404(entry_id)
    try:
        e = bank.restore_version(entry_id, revision, session=get_session(), actor=actor()[0], ip=client_ip())
    except (bank.EntryError, LookupError) as exc:
        get_session().rollback()
        flash(str(exc), "error")
    else:
        _changed()
        status = "approved" if e.status == EntryStatus.approved else "a draft: approve it to use it for answers"
        flash(f"Revision {revision} restored as a new revision; the entry is {status}.", "info")
    return redirect(url_for("bank.entry", entry_id=entry_id), code=303)


@bp.get("/bank/due")
def due():
    days = bounded_query_int(request.args, "days", 30, low=0, high=MAX_DAYS)
    groups = bank.due_for_review(session=get_session(), within_days=days or 0)
    return render_template("bank/due.html", groups=groups, days=days, today=dt.date.today())


@bp.get("/bank/hygiene")
def hygiene():
    """Shows the first HYGIENE_SHOWN near-duplicates and opposite-verdict pairs, and says
    how many there are in all (the page said "Near-duplicates 200" of a bank with more)."""
    session = get_session()
    report = curation.hygiene(session=session, limit=sys.maxsize)
    totals = {"duplicates": len(report.duplicates), "conflicts": len(report.conflicts)}
    report.duplicates = report.duplicates[:HYGIENE_SHOWN]
    hidden = {id(f) for f in [f for f in report.conflicts if f.kind == "opposite"][HYGIENE_SHOWN:]}
    report.conflicts = [f for f in report.conflicts if id(f) not in hidden]
    return render_template(
        "bank/hygiene.html",
        report=report,
        totals=totals,
        confirmations=curation.confirmed_wordings(session=session),
        today=dt.date.today(),
    )


@bp.post("/bank/<int:entry_id>/alternates")
def add_alternate(entry_id: int):
    """A curator accepts a wording confirmed in review as another phrasing of the entry."""
    _entry_or_404(entry_id)
    try:
        text = text_field(request.form, "text", max_length=4000) or ""
        bank.add_alternate(entry_id, text, session=get_session(), actor=actor()[0], ip=client_ip())
    except (BadField, bank.EntryError) as exc:
        get_session().rollback()
        flash(str(exc), "error")
        return redirect(url_for("bank.hygiene"), code=303)
    _changed()
    flash(f"Added as a wording of entry #{entry_id}: it is matched exactly from now on.", "info")
    return redirect(url_for("bank.hygiene"), code=303)


@bp.post("/bank/merge")
def merge():
    keep = request_id(request.form, "keep")
    merge_ids = request_ids(request.form, "merge")
    if keep is None or not merge_ids:
        flash("choose the entry to keep and the entries to merge into it", "error")
        return redirect(url_for("bank.hygiene"), code=303)
    try:
        bank.merge_entries(keep, merge_ids, session=get_session(), actor=actor()[0], ip=client_ip())
    except (bank.EntryError, LookupError) as exc:
        get_session().rollback()
        flash(str(exc), "error")
        return redirect(url_for("bank.hygiene"), code=303)
    _changed()
    flash(f"Merged into entry #{keep}.", "info")
    return redirect(url_for("bank.entry", entry_id=keep), code=303)


@bp.post("/bank/resolve")
def resolve():
    """One-click resolution of a hygiene finding: keep one (retire the others) or dismiss."""
    ids = request_ids(request.form, "entry")
    keep = request_id(request.form, "keep")
    kind = request.form.get("kind", "")
    session = get_session()
    try:
        if not ids:
            raise ValueError("no entries given")
        if keep is not None:
            curation.keep_one(keep, ids, session=session, actor=actor()[0], ip=client_ip())
            message = f"Kept entry #{keep}; the other(s) retired."
        elif kind == "confirmed":
            curation.dismiss_wording(
                ids[0], request.form.get("text", ""), session=session, actor=actor()[0], ip=client_ip()
            )
            message = "Hidden: this wording is not offered for the entry again until the entry changes."
        else:
            curation.dismiss(kind, ids, session=session, actor=actor()[0], ip=client_ip())
            message = "Marked as fine."
    except (ValueError, LookupError) as exc:
        session.rollback()
        flash(str(exc), "error")
    else:
        _changed()
        flash(message, "info")
    return redirect(url_for("bank.hygiene"), code=303)


@bp.get("/bank/coverage")
def coverage():
    days = bounded_query_int(request.args, "days", 90, low=0, high=MAX_DAYS)
    return render_template(
        "bank/coverage.html", topics=curation.coverage(session=get_session(), days=days or 90), days=days
    )


# --- bulk import / export ------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="bank-import")


def _import_folder() -> Path:
    return storage.preview_folder(current_app.config["UPLOAD_FOLDER"])


class PreviewGone(ValueError):
    """A confirm whose preview cannot be used: expired, altered, someone else's, or used."""


def keep_for_confirm(data: bytes, choices: dict[str, Any]) -> str:
    """Keep an uploaded file until its preview is confirmed: the bytes go to a randomly
    named file in the upload folder's ``previews/``; the signed token names it, with ``choices``
    (file name, status, product...) and the user who may confirm it."""
    stored = secrets.token_hex(16)
    folder = _import_folder()
    storage.delete_expired_previews(folder)  # previews nobody confirmed
    (folder / stored).write_bytes(data)
    return _serializer().dumps({**choices, "stored": stored, "user": actor()[1]})


def kept_for_confirm(token: str, *, done: str) -> tuple[dict[str, Any], Path]:
    """The choices and the kept file of a preview (``keep_for_confirm``); PreviewGone says
    why it cannot be confirmed (``done``: what confirming did, "imported", "learned")."""
    try:
        ticket = _serializer().loads(token, max_age=storage.PREVIEW_MAX_AGE)
    except BadSignature:
        raise PreviewGone("this preview expired or was altered: upload the file again") from None
    if (
        not isinstance(ticket, dict)
        or not _STORED.match(str(ticket.get("stored", "")))
        or ticket.get("user") != actor()[1]
    ):
        raise PreviewGone("this preview belongs to someone else: upload the file again")
    path = _import_folder() / ticket["stored"]
    if not path.is_file():
        raise PreviewGone(f"this preview was already {done} or has expired")
    return ticket, path


def _import_form(**context):
    return render_template("bank/transfer.html", statuses=["approved", "draft"], **context)


@bp.get("/bank/transfer")
def transfer():
    return _import_form()


@bp.post("/bank/import")
def import_preview():
    """Parse the upload and show every row (or every bad row); nothing is written. The bytes
    wait in a randomly named file in the upload folder's previews, named by a signed token."""
    file = request.files.get("file")
    status = request.form.get("status") or "approved"
    product = (request.form.get("product") or "").strip()
    try:
        create_products = parse_flag(request.form.get("create_products"), "create_products")
    except BadField as exc:
        return _import_form(error=str(exc)), 400
    # a refused file comes back with the choices kept
    chosen = {"status": status, "product": product, "create_products": create_products}
    if file is None or not file.filename:
        return _import_form(error="choose a .csv or .xlsx bank file", **chosen), 400
    if status not in ("approved", "draft"):
        return _import_form(error="status must be approved or draft"), 400
    try:
        bank.check_new_product(product, session=get_session())  # a new product is created on confirm
    except bank.EntryError as exc:
        return _import_form(error=str(exc), **chosen), 400
    data = file.read()
    try:
        rows = bank.read_bank_file(data, file.filename, known_products=_known_products(product, create_products))
        plan = bank.plan_import(
            rows,
            session=get_session(),
            product=product or None,
            status=EntryStatus(status),
            create_products=create_products,
        )  # what confirming will do, row by row: a retirement must not hide among the updates
    except bank.BankFileError as exc:
        return _import_form(error=exc.args[0], problems=exc.problems, filename=file.filename, **chosen), 400
    token = keep_for_confirm(data, {"filename": file.filename[:200], **chosen})
    return _import_form(plan=plan, rows=rows, token=token, filename=file.filename, **chosen)


def _known_products(product: str | None, create_products: bool) -> set[str] | None:
    return bank.import_product_names(product, session=get_session(), create_products=create_products)


@bp.post("/bank/import/confirm")
def import_confirm():
    try:
        ticket, path = kept_for_confirm(request.form.get("token", ""), done="imported")
    except PreviewGone as exc:
        return _import_form(error=str(exc)), 400
    try:
        create_products = ticket.get("create_products") is True
        rows = bank.read_bank_file(
            path.read_bytes(),
            ticket["filename"],
            known_products=_known_products(ticket.get("product"), create_products),
        )
        result = bank.import_entries(
            rows,
            session=get_session(),
            actor=actor()[0],
            ip=client_ip(),
            product=ticket.get("product") or None,
            status=EntryStatus(ticket["status"]),
            source=ticket["filename"],
            create_products=create_products,
        )
    except (bank.BankFileError, ValueError) as exc:
        get_session().rollback()
        return _import_form(error=str(exc)), 400
    finally:
        path.unlink(missing_ok=True)
    _changed()
    flash(f"Imported: {result.summary()}.", "info")
    return redirect(url_for("bank.index"), code=303)


@bp.get("/bank/export")
def export():
    kind = request.args.get("format", "xlsx")
    if kind not in ("csv", "xlsx"):
        abort(400, description="format must be csv or xlsx")
    name = f"answer-bank-{dt.date.today().isoformat()}.{kind}"
    data = bank.export_bank(name, session=get_session())
    mimetype = "text/csv" if kind == "csv" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name)


# --- JSON API ------------------------------------------------------------------------

API = "/api/v1/entries"
_PATCHABLE = {"question", "answer", "comment", "alternates", "tags", "owner", "review_by", "status", "products"}


def _api_error(message: str, status: int = 400):
    return jsonify(error=message), status


def _checked_body(data: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """``data`` with its product names as stored; BadField / EntryError naming the field
    when a list holds anything but non-empty strings (1, null and {} would otherwise be
    stored as the wordings "1", "None" and "{...}"), when a comma-joined string stands in
    for a list, when a new entry is not draft or approved, or a product is unknown."""
    for key in ("alternates", "tags", "products"):
        value = data.get(key)
        if value is None:
            continue
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise BadField(f"{key}: a list of non-empty strings")
    if creating and data.get("status", EntryStatus.draft.value) not in (EntryStatus.draft, EntryStatus.approved):
        raise BadField("status: a new entry is draft or approved")
    if data.get("products") is not None:
        data = {**data, "products": bank.known_products(data["products"], session=get_session())}
    return data


def _json_object() -> dict[str, Any] | None:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else None


@bp.get(API)
def api_list():
    try:
        filters = _filters(request.args)
        page = min(parse_int(request.args.get("page"), "page") or 1, MAX_PAGE)
        per_page = parse_int(request.args.get("per_page"), "per_page") or PER_PAGE
        result = bank.search(filters, session=get_session(), page=page, per_page=per_page)
    except (BadField, bank.EntryError) as exc:
        return _api_error(str(exc))
    return jsonify(
        entries=[entry_json(e, result.products.get(e.id, [])) for e in result.entries],
        total=result.total,
        page=result.page,
        per_page=result.per_page,
    )


@bp.post(API)
def api_create():
    data = _json_object()
    if data is None:
        return _api_error("expected a JSON object body")
    try:
        data = _checked_body(data, creating=True)
        entry = bank.create_entry(
            EntryCreate.model_validate(data), session=get_session(), actor=actor()[0], ip=client_ip()
        )
    except bank.DuplicateEntry as exc:
        get_session().rollback()
        return jsonify(error=str(exc), existing_id=exc.existing_id), 409
    except (ValidationError, bank.EntryError, BadField) as exc:
        get_session().rollback()
        return _api_error(_message(exc))
    _changed()
    return jsonify(entry_json(entry)), 201


@bp.get(f"{API}/<int:entry_id>")
def api_get(entry_id: int):
    session = get_session()
    e = _entry_or_404(entry_id)
    body = entry_json(e)
    body["versions"] = [
        {"revision": v.revision, "changed_by": v.changed_by, "changed_at": v.changed_at.isoformat(), "note": v.note}
        for v in bank.versions(e.id, session=session)
    ]
    body["used_in"] = [
        {"questionnaire_id": u.questionnaire_id, "name": u.name, "items": u.items}
        for u in bank.used_in(e.id, session=session)
    ]
    return jsonify(body)


@bp.patch(f"{API}/<int:entry_id>")
def api_patch(entry_id: int):
    data = _json_object()
    if data is None:
        return _api_error("expected a JSON object body")
    e = _entry_or_404(entry_id)
    revision = data.pop("revision", None)  # optional: the revision the client read
    if revision is not None and (isinstance(revision, bool) or not isinstance(revision, int)):
        return _api_error("revision must be an integer")
    unknown = set(data) - _PATCHABLE
    if unknown:
        return _api_error(f"unknown field(s): {', '.join(sorted(unknown))}")
    try:
        update = EntryUpdate.model_validate(_checked_body(data, creating=False))
        bank.update_entry(
            e.id, update, session=get_session(), actor=actor()[0], ip=client_ip(), expected_revision=revision
        )
    except bank.StaleRevision as exc:
        get_session().rollback()
        return _api_error(str(exc), 409)
    except bank.DuplicateEntry as exc:
        get_session().rollback()
        return jsonify(error=str(exc), existing_id=exc.existing_id), 409
    except (ValidationError, bank.EntryError, BadField) as exc:
        get_session().rollback()
        return _api_error(_message(exc))
    _changed()
    return jsonify(entry_json(e))


@bp.post(f"{API}/import")
def api_import():
    """Multipart `file`, optional `status` (approved|draft), `product`, `create_products=1`
    (create the products the file's products column names, see bank.plan_import),
    `dry_run=1`: a bad file writes nothing and lists every bad row."""
    file = request.files.get("file")
    if file is None or not file.filename:
        return _api_error("send the bank file as multipart field 'file'")
    status = request.form.get("status") or "approved"
    if status not in ("approved", "draft"):
        return _api_error("status must be approved or draft")
    try:
        bank.check_new_product(request.form.get("product"), session=get_session())
    except bank.EntryError as exc:
        return _api_error(str(exc))
    try:
        create_products = parse_flag(request.form.get("create_products"), "create_products")
        dry_run = parse_flag(request.form.get("dry_run"), "dry_run")
    except BadField as exc:
        return _api_error(str(exc))
    try:
        rows = bank.read_bank_file(
            file.read(),
            file.filename,
            known_products=_known_products(request.form.get("product"), create_products),
        )
    except bank.BankFileError as exc:
        return jsonify(error=exc.args[0], problems=exc.problems), 422
    if dry_run:
        try:
            plan = bank.plan_import(
                rows,
                session=get_session(),
                product=request.form.get("product") or None,
                status=EntryStatus(status),
                create_products=create_products,
            )
        except bank.BankFileError as exc:
            return jsonify(error=exc.args[0], problems=exc.problems), 422
        return jsonify(
            dry_run=True,
            rows=len(rows),
            created=plan.count("create"),
            updated=plan.count("update"),
            unchanged=plan.count("unchanged"),
            retired=plan.count("retire"),
            new_products=plan.new_products,
        )
    try:
        result = bank.import_entries(
            rows,
            session=get_session(),
            actor=actor()[0],
            ip=client_ip(),
            product=request.form.get("product") or None,
            status=EntryStatus(status),
            source=file.filename[:200],
            create_products=create_products,
        )
    except bank.BankFileError as exc:
        get_session().rollback()
        return jsonify(error=exc.args[0], problems=exc.problems), 422
    _changed()
    return jsonify(
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
        retired=result.retired,
        new_products=result.new_products,
    ), 201
