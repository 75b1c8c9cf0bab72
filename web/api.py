"""JSON API under /api/v1 (Bearer tokens), plus /healthz. Errors: {"error": "..."}."""

from __future__ import annotations

import io
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    jsonify,
    make_response,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_wtf.csrf import CSRFError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, NotFound

from answers import exporting, responding
from answers.db import get_session, schema_refused
from answers.models import Item, ItemStatus, Questionnaire
from importers import QuestionnaireImportError
from web.common import BadField, actor, client_ip, decide_from, ingest_upload, parse_int

bp = Blueprint("api", __name__)
API = "/api/v1"


@bp.get("/healthz")
def healthz():
    try:
        get_session().exec(text("SELECT 1"))  # type: ignore[call-overload]
    except SQLAlchemyError:
        return jsonify(status="error", database="unreachable"), 503
    refused = schema_refused(current_app)
    if refused is not None:  # an older database this release could not upgrade on its own
        return jsonify(status="error", database="needs upgrade", problems=refused.problems), 503
    return jsonify(status="ok", database="ok")


_NOWHERE = "Nothing is here: the address is wrong, or what it showed was deleted (by you or a colleague)."


@bp.app_errorhandler(HTTPException)
def http_error(exc: HTTPException):
    """JSON errors for the API and for page requests that ask for JSON (the review page's
    script); other browser requests get the error in the app's own layout (Flask's stock
    page had no way back and told a reviewer to check the spelling of a link to a
    questionnaire a colleague had deleted)."""
    if request.path.startswith("/api/"):
        return jsonify(error=exc.description), exc.code
    if request.accept_mimetypes.best == "application/json" or request.is_json:
        if isinstance(exc, CSRFError):  # the session ended (or the page is older than it)
            return jsonify(error="Not saved - sign in again (your session has ended)."), exc.code
        return jsonify(error=exc.description), exc.code
    description = exc.description
    if isinstance(exc, NotFound) and description == NotFound.description:
        description = _NOWHERE
    elif isinstance(exc, CSRFError):
        description = (
            f"This form was not accepted: {description} (the CSRF check keeps other sites from sending forms"
            " in your name). Reload the page and send the form again; if it is refused again, sign in again."
        )
    try:
        page = render_template("error.html", name=exc.name, description=description)
    except Exception:  # an error page must not fail in turn: Flask's plain one then
        return exc
    response = make_response(page, exc.code)
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value  # a 405's Allow
    return response


@bp.errorhandler(BadField)
def bad_field(exc: BadField):
    return jsonify(error=str(exc)), 400


def _json_body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400, description="expected a JSON object body")
    return data


def item_json(item: Item, *, blocked: dict[int | None, str] | None = None) -> dict[str, Any]:
    """One item for the API and the review page's script. ``writable``: the file has an
    answer cell of its own for it (``not_writable_reason`` says why not, else null);
    ``blocked``: ``responding.unwritable`` of its questionnaire, when the caller has it."""
    if blocked is None:
        blocked = responding.unwritable_in(item.questionnaire_id, session=get_session())
    reason = blocked.get(item.id)
    return {
        "id": item.id,
        "questionnaire_id": item.questionnaire_id,
        "position": item.position,
        "sheet": item.sheet,
        "row": item.row,
        "question_id": item.question_id,
        "question": item.text,
        "section": item.section,
        "choices": item.choices,
        "original_answer": item.original_answer,
        "suggestion": {
            "entry_id": item.entry_id,
            "answer": item.suggested_answer,
            "comment": item.suggested_comment,
            "tier": item.tier,
            "score": round(item.score, 1),
        },
        "alternatives": item.alternatives,
        "tier": item.tier,
        "score": round(item.score, 1),
        "answer": item.answer,
        "comment": item.comment,
        "status": str(item.status),
        "assignee": item.assignee,
        "lock_version": item.lock_version,
        "writable": reason is None,
        "not_writable_reason": reason,
    }


def questionnaire_json(q: Questionnaire, *, progress: responding.Progress | None = None) -> dict[str, Any]:
    """One questionnaire with its counts; ``progress``: from ``responding.progress_of``,
    when the caller has it (a list), else counted here."""
    p = progress or responding.progress_of([q], session=get_session())[q.id]  # type: ignore[index]
    return {
        "id": q.id,
        "name": q.name,
        "filename": q.filename,
        "family": q.family,
        "version": q.version,
        "edition": q.edition,
        "format": q.format,
        "customer": q.customer,
        "due_date": q.due_date.isoformat() if q.due_date else None,
        "uploaded_at": q.uploaded_at.isoformat(),
        "counts": {
            "questions": p.total,
            "answered": p.answered,
            "needs_review": p.needs_review,
            "empty": p.empty,
            "not_writable": p.not_writable,
            "by_tier": p.by_tier,
        },
    }


def _questionnaire(questionnaire_id: int) -> Questionnaire:
    try:
        return responding.get_questionnaire(questionnaire_id, session=get_session())
    except LookupError:
        abort(404, description=f"questionnaire {questionnaire_id} not found")


@bp.post(f"{API}/questionnaires")
def upload_questionnaire():
    file = request.files.get("file")
    if file is None or not file.filename:
        abort(400, description="send the questionnaire as multipart field 'file'")
    try:
        q = ingest_upload(file, request.form, due_field="due_date")
    except QuestionnaireImportError as exc:
        return jsonify(error=str(exc)), exc.http_status
    except (BadField, ValueError) as exc:
        return jsonify(error=str(exc)), 400
    return jsonify(questionnaire_json(q)), 201


#: Most questionnaires one list request returns when it gives a ``limit``.
MAX_LIST_LIMIT = 1000


@bp.get(f"{API}/questionnaires")
def list_questionnaires():
    """Questionnaires by id, with their counts. ``limit`` (1-1000) and ``offset`` page
    through them; ``total`` says how many there are. Without ``limit``: all of them."""
    limit = parse_int(request.args.get("limit"), "limit")
    offset = parse_int(request.args.get("offset"), "offset") or 0
    if limit is not None and not 1 <= limit <= MAX_LIST_LIMIT:
        raise BadField(f"limit: from 1 to {MAX_LIST_LIMIT}")
    if offset < 0:
        raise BadField("offset: 0 or more")
    page = responding.list_questionnaires(session=get_session(), offset=offset, limit=limit, newest_first=False)
    return jsonify(
        questionnaires=[questionnaire_json(q, progress=page.progress[q.id]) for q in page.questionnaires],  # type: ignore[index]
        total=page.total,
        offset=offset,
        limit=limit,
    )


@bp.get(f"{API}/questionnaires/<int:questionnaire_id>")
def get_questionnaire(questionnaire_id: int):
    return jsonify(questionnaire_json(_questionnaire(questionnaire_id)))


@bp.delete(f"{API}/questionnaires/<int:questionnaire_id>")
def delete_questionnaire(questionnaire_id: int):
    """Delete a questionnaire, its items, decisions and stored file: 204. The uploader, a
    curator or an admin may (403 for anyone else); 404 for an unknown id."""
    _questionnaire(questionnaire_id)
    session = get_session()
    try:
        responding.delete_questionnaire(
            questionnaire_id,
            session=session,
            user=g.user,
            upload_folder=current_app.config["UPLOAD_FOLDER"],
            ip=client_ip(),
        )
    except responding.NotAllowed as exc:
        session.rollback()
        return jsonify(error=str(exc)), 403
    return "", 204


#: Items per page of ``/items`` when a client pages without ``per_page``, and the most one
#: page holds (about 1.8 MB of JSON at 500; a whole 5,000-question file is about 9 MB).
ITEMS_PER_PAGE, MAX_ITEMS_PER_PAGE = 100, 500
_ITEM_FILTERS = ("tier", "status", "sheet", "assignee", "search")


def _item_filters(args) -> responding.ItemFilters:
    """The review page's filters from the query string, checked: an unknown tier or status
    is a typo a client should hear about (the review page shows it as no matches)."""
    values = {name: (args.get(name) or "").strip() for name in _ITEM_FILTERS}
    if values["tier"] and values["tier"] not in responding.TIERS:
        raise BadField(f"tier: one of {', '.join(responding.TIERS)}")
    statuses = [s.value for s in ItemStatus]
    if values["status"] and values["status"] not in statuses:
        raise BadField(f"status: one of {', '.join(statuses)}")
    if len(values["search"]) > responding.SEARCH_MAX:
        raise BadField(f"search: at most {responding.SEARCH_MAX} characters")
    return responding.ItemFilters(**values)


def _item_paging(args) -> tuple[int, int] | None:
    """(page, per_page) when the client pages (either is given), else None: all items."""
    for name in ("limit", "offset", "cursor"):
        if name in args:  # else silently ignored: the client would get every item, unpaged
            raise BadField(f"{name}: not taken here; page with page (from 1) and per_page (1-{MAX_ITEMS_PER_PAGE})")
    if "page" not in args and "per_page" not in args:
        return None
    page = parse_int(args.get("page"), "page")
    per_page = parse_int(args.get("per_page"), "per_page")
    if page is not None and page < 1:
        raise BadField("page: from 1")
    if per_page is not None and not 1 <= per_page <= MAX_ITEMS_PER_PAGE:
        raise BadField(f"per_page: from 1 to {MAX_ITEMS_PER_PAGE}")
    return page or 1, per_page or ITEMS_PER_PAGE


def _items_url(questionnaire_id: int, filters: responding.ItemFilters, page: int, per_page: int) -> str:
    args = {name: getattr(filters, name) for name in _ITEM_FILTERS if getattr(filters, name)}
    # a path, not an absolute URL: behind a proxy without TRUSTED_PROXY_COUNT the host and
    # scheme Flask sees are not the client's
    return url_for("api.list_items", questionnaire_id=questionnaire_id, **args, page=page, per_page=per_page)


@bp.get(f"{API}/questionnaires/<int:questionnaire_id>/items")
def list_items(questionnaire_id: int):
    """A questionnaire's items by position, narrowed by the review page's filters (``tier``,
    ``status``, ``sheet``, ``assignee``, ``search``). With ``page`` and/or ``per_page``
    (1-500, default 100): that page, with ``total`` (items matching), ``pages`` and
    ``links`` (also a ``Link`` header); a page past the last has no items. Without them:
    every matching item and ``total``, as before paging (at most the importers' 5,000)."""
    q = _questionnaire(questionnaire_id)
    filters = _item_filters(request.args)
    paging = _item_paging(request.args)
    session = get_session()
    blocked = responding.unwritable_in(q.id, session=session)
    if paging is None:
        items = responding.list_items(q.id, session=session, filters=filters)
        return jsonify(items=[item_json(i, blocked=blocked) for i in items], total=len(items))
    page, per_page = paging
    shown = responding.item_page(q.id, filters, page=page, per_page=per_page, session=session, clamp=False)
    links = {
        "self": _items_url(q.id, filters, page, per_page),
        "first": _items_url(q.id, filters, 1, per_page),
        "last": _items_url(q.id, filters, shown.pages, per_page),
        "prev": _items_url(q.id, filters, min(page - 1, shown.pages), per_page) if page > 1 else None,
        "next": _items_url(q.id, filters, page + 1, per_page) if page < shown.pages else None,
    }
    response = jsonify(
        items=[item_json(i, blocked=blocked) for i in shown.items],
        total=shown.matching,
        page=page,
        per_page=per_page,
        pages=shown.pages,
        links=links,
    )
    response.headers["Link"] = ", ".join(f'<{url}>; rel="{rel}"' for rel, url in links.items() if url and rel != "self")
    return response


@bp.get(f"{API}/assigned")
def assigned():
    """The questions sent to the token's user as the expert (status assigned), across
    questionnaires, the soonest due first (as the "Assigned to me" page): each item as
    ``item_json`` with its questionnaire's id, name, customer and due date."""
    found = responding.assigned_to(g.user.email, session=get_session())
    blocked: dict[int, dict[int | None, str]] = {}
    items = []
    for item, q in found.items:
        if q.id not in blocked:
            blocked[q.id] = responding.unwritable_in(q.id, session=get_session())
        items.append(
            {
                **item_json(item, blocked=blocked[q.id]),
                "questionnaire": {
                    "id": q.id,
                    "name": q.name,
                    "customer": q.customer,
                    "due_date": q.due_date.isoformat() if q.due_date else None,
                },
            }
        )
    return jsonify(total=found.total, items=items)


@bp.patch(f"{API}/items/<int:item_id>")
def patch_item(item_id: int):
    data = _json_body()
    unknown = set(data) - {"answer", "comment", "status", "assignee", "entry_id", "lock_version"}
    if unknown:
        abort(400, description=f"unknown field(s): {', '.join(sorted(unknown))}")
    session = get_session()
    try:
        responding.get_item(item_id, session=session)
        item = decide_from(item_id, data)
    except LookupError:
        abort(404, description=f"item {item_id} not found")
    except responding.StaleItem as exc:
        session.rollback()
        return jsonify(error=str(exc)), 409
    except (BadField, responding.DecisionError) as exc:
        session.rollback()
        return jsonify(error=str(exc)), 400
    return jsonify(item_json(item))


@bp.post(f"{API}/questionnaires/<int:questionnaire_id>/accept")
def accept(questionnaire_id: int):
    """Bulk accept the pending suggestions at or above ``min_tier`` (exact, high - the
    default - or review), except questions the file already answers or has no answer cell
    for, or whose bank entry was retired or changed since matching (counted in
    ``skipped_already_answered`` / ``skipped_not_writable`` / ``skipped_withdrawn``), or that
    someone else decided while it ran (``skipped_changed``: their decision stands), or that
    holds a reviewer's own answer not accepted yet (``skipped_edited``). ``review``
    is for clients that show a person every item first: review-tier matches include
    inverted meanings, which is why the review page does not offer it."""
    q = _questionnaire(questionnaire_id)
    data = request.get_json(silent=True) or {}
    if not isinstance(data, dict):
        abort(400, description="expected a JSON object body")
    min_tier = data.get("min_tier", request.form.get("min_tier", "high"))
    try:
        name, id_ = actor()
        done = responding.accept_all(q.id, session=get_session(), actor=name, actor_id=id_, min_tier=str(min_tier))
    except responding.DecisionError as exc:
        return jsonify(error=str(exc)), 400
    return jsonify(
        accepted=done.accepted,
        skipped_already_answered=done.skipped_answered,
        skipped_not_writable=done.skipped_unwritable,
        skipped_withdrawn=done.skipped_withdrawn,
        skipped_changed=done.skipped_changed,
        skipped_edited=done.skipped_edited,
        questionnaire=questionnaire_json(q),
    )


@bp.post(f"{API}/questionnaires/<int:questionnaire_id>/resuggest")
def resuggest(questionnaire_id: int):
    """Match the undecided (pending) questions again against the bank as it is now: after
    curators changed it, suggestions made at upload may be stale (an accept of one whose
    entry was retired or changed since is refused)."""
    q = _questionnaire(questionnaire_id)
    count = responding.resuggest(q.id, session=get_session(), actor=actor()[0])
    return jsonify(rematched=count, questionnaire=questionnaire_json(q))


WORKBOOK_FORMATS = ("xlsx", "xlsm")


@bp.get(f"{API}/questionnaires/<int:questionnaire_id>/export")
def export(questionnaire_id: int):
    q = _questionnaire(questionnaire_id)
    kind = request.args.get("format", q.format)
    session = get_session()
    try:
        if kind == "report":
            exported = exporting.report_file(q.id, session=session, actor=actor()[0], ip=client_ip())
        elif kind == q.format or (kind in WORKBOOK_FORMATS and q.format in WORKBOOK_FORMATS):
            # either name asks for the workbook; its content decides the extension it carries
            exported = exporting.completed_file(
                q.id,
                session=session,
                upload_folder=current_app.config["UPLOAD_FOLDER"],
                actor=actor()[0],
                highlight=request.args.get("highlight") == "1",
                ip=client_ip(),
            )
        else:
            abort(400, description=f"format must be {q.format} (the original's) or report")
    except exporting.ExportError as exc:
        return jsonify(error=str(exc)), 409
    return send_file(
        io.BytesIO(exported.data), mimetype=exported.mimetype, as_attachment=True, download_name=exported.filename
    )
