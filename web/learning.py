"""Learn a completed questionnaire into the bank from the browser (`/bank/learn`) and the
API (`POST /api/v1/bank/learn`): what `flask bank learn` does, for curators.

The page previews first (family, answered questions, what is new, merged or flagged as a
conflict) and writes nothing until confirmed; the file waits, as a bank import's does, in
a randomly named file in the upload folder's previews, named by a signed token.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for

from answers import bank
from answers.cli import family_label
from answers.db import get_session
from answers.learn import CONFLICT, CREATE, MERGE, LooksBlank, learn, plan_learn
from answers.models import EntryStatus
from answers.suggest import invalidate
from importers import QuestionnaireImportError, load
from web.bank import PreviewGone, keep_for_confirm, kept_for_confirm
from web.common import BadField, actor, parse_flag

bp = Blueprint("learning", __name__)
STATUSES = ("approved", "draft")


def _form(http_status: int = 200, **context):
    products = sorted(bank.product_names(session=get_session()))
    page = render_template("bank/learn.html", statuses=STATUSES, products=products, **context)
    return page, http_status


def _choices(form) -> dict:
    return {
        "status": form.get("status") or "approved",
        "product": (form.get("product") or "").strip(),
        "partial": parse_flag(form.get("partial"), "partial"),
    }


def _parsed(data: bytes, filename: str):
    """The questionnaire in `data`; QuestionnaireImportError says why it cannot be read."""
    return load(data, Path(filename).name, max_bytes=int(current_app.config["MAX_UPLOAD_MB"]) * 1024 * 1024)


def _read(file, chosen: dict):
    """(bytes, parsed questionnaire) of an upload, or raise ValueError /
    QuestionnaireImportError with a message for the user."""
    if file is None or not file.filename:
        raise ValueError("choose a completed questionnaire (.xlsx, .docx or .csv)")
    if chosen["status"] not in STATUSES:
        raise ValueError("status must be approved or draft")
    data = file.read()
    return data, _parsed(data, file.filename)


@bp.get("/bank/learn")
def learn_form():
    return _form(**_choices({}))


@bp.post("/bank/learn")
def learn_preview():
    try:
        chosen = _choices(request.form)
    except BadField as exc:
        return _form(400, error=str(exc))
    file = request.files.get("file")
    try:
        data, parsed = _read(file, chosen)
        plan = plan_learn(parsed, session=get_session(), product=chosen["product"] or None)
        if plan.blank and (not chosen["partial"] or not plan.rows):
            raise LooksBlank(plan.blank)
    except QuestionnaireImportError as exc:
        return _form(exc.http_status, error=str(exc), **chosen)
    except LooksBlank as exc:
        return _form(400, error=f"{file.filename}: {exc.problem.says('by ticking the box below')}", **chosen)
    except (ValueError, bank.EntryError) as exc:
        return _form(400, error=str(exc), **chosen)
    token = keep_for_confirm(data, {"filename": file.filename[:200], **chosen})
    return _form(
        plan=plan,
        token=token,
        filename=file.filename,
        label=family_label(parsed.family, parsed.version, parsed.edition),
        questions=len(parsed.questions),
        actions={"new": CREATE, "merged": MERGE, "conflict": CONFLICT},
        **chosen,
    )


@bp.post("/bank/learn/confirm")
def learn_confirm():
    try:
        ticket, path = kept_for_confirm(request.form.get("token", ""), done="learned")
    except PreviewGone as exc:
        return _form(400, error=str(exc))
    try:
        result = learn(
            _parsed(path.read_bytes(), ticket["filename"]),
            session=get_session(),
            source=Path(ticket["filename"]).name,
            product=ticket.get("product") or None,
            status=EntryStatus(ticket["status"]),
            actor=actor()[0],
            partial=bool(ticket.get("partial")),
        )
    except (QuestionnaireImportError, ValueError, bank.EntryError) as exc:
        get_session().rollback()
        return _form(400, error=str(exc))
    finally:
        path.unlink(missing_ok=True)
    invalidate()  # the matcher's snapshot
    flash(f"Learned {ticket['filename']}: {summary(result)}.", "info")
    return redirect(url_for("bank.index", status="draft" if ticket["status"] == "draft" else None), code=303)


def summary(result) -> str:
    return (
        f"{result.created} new, {result.merged} merged, {result.conflicts} conflict(s) flagged, "
        f"{result.skipped} unanswered skipped"
    )


@bp.post("/api/v1/bank/learn")
def api_learn():
    """Learn an uploaded completed questionnaire (multipart: file; optional product,
    status, partial=1): 201 with the counts and the entry ids; 400 for a file that is not
    a questionnaire, looks blank (without partial=1) or names a bad product."""
    file = request.files.get("file")
    try:
        chosen = _choices(request.form)  # BadField is a ValueError: 400 below
        _data, parsed = _read(file, chosen)
        result = learn(
            parsed,
            session=get_session(),
            source=Path(file.filename).name[:200],  # as the page keeps it
            product=chosen["product"] or None,
            status=EntryStatus(chosen["status"]),
            actor=actor()[0],
            partial=chosen["partial"],
        )
    except QuestionnaireImportError as exc:
        return jsonify(error=str(exc)), exc.http_status
    except LooksBlank as exc:
        return jsonify(error=f"{file.filename}: {exc.problem.says('with partial=1')}"), 400
    except (ValueError, bank.EntryError) as exc:
        get_session().rollback()
        return jsonify(error=str(exc)), 400
    invalidate()  # the matcher's snapshot
    return jsonify(
        family=parsed.family,
        version=parsed.version,
        created=result.created,
        merged=result.merged,
        conflicts=result.conflicts,
        skipped=result.skipped,
        entry_ids=sorted(set(result.entry_ids)),
    ), 201
