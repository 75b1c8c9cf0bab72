"""Browser pages of the review workflow: upload, list, review, decide, export."""

from __future__ import annotations

import io
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlencode

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from sqlmodel import select
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import RequestEntityTooLarge

from answers import exporting, responding
from answers.db import get_session
from answers.models import Entry, ItemStatus, Product
from importers import QuestionnaireImportError
from web.common import BadField, actor, bounded_query_int, client_ip, decide_from, ingest_upload

bp = Blueprint("questionnaires", __name__, url_prefix="/questionnaires")


def _upload_limit_mb() -> int:
    return int(current_app.config["MAX_UPLOAD_MB"])


def _products() -> list[str]:
    return list(get_session().exec(select(Product.name).order_by(Product.name)))


#: Questionnaires per page of the list (newest upload first).
PER_PAGE = 50


@bp.get("/")
def index():
    session = get_session()
    total = responding.list_questionnaires(session=session, limit=0).total
    pages = max(1, -(-total // PER_PAGE))
    page = bounded_query_int(request.args, "page", 1, low=1, high=pages)
    listed = responding.list_questionnaires(session=session, offset=(page - 1) * PER_PAGE, limit=PER_PAGE)
    rows = [
        (q, listed.progress[q.id], listed.uploaders.get(q.uploaded_by), responding.may_delete(q, g.user))  # type: ignore[index,arg-type]
        for q in listed.questionnaires
    ]
    return render_template("questionnaires/index.html", rows=rows, page=page, pages=pages, total=total)


@bp.app_errorhandler(RequestEntityTooLarge)
def too_large(_exc: RequestEntityTooLarge):
    """Flask refuses a body over MAX_CONTENT_LENGTH before any view reads it: answer with
    the limit in words (JSON under /api/, the upload page otherwise), never a bare error page."""
    if request.mimetype == "multipart/form-data":  # every upload, page or API, is a form with a file
        message = f"The file is larger than the {_upload_limit_mb()} MB upload limit."
    else:
        message = f"The request body is larger than the {_upload_limit_mb()} MB limit."
    if request.path.startswith("/api/"):
        return jsonify(error=message), 413
    products = _products() if g.get("user") is not None else []  # CSRF may read the body before sign-in is checked
    return (
        render_template(
            "questionnaires/upload.html", limit_mb=_upload_limit_mb(), products=products, form={}, error=message
        ),
        413,
    )


@bp.get("/upload")
def upload_form():
    return render_template("questionnaires/upload.html", limit_mb=_upload_limit_mb(), products=_products(), form={})


@bp.post("/upload")
def upload():
    file = request.files.get("file")
    form = request.form
    status = 400
    try:
        if file is None or not file.filename:
            raise BadField("choose a questionnaire file to upload")
        q = ingest_upload(file, form, due_field="due date")
    except QuestionnaireImportError as exc:
        message, status = str(exc), exc.http_status
    except (BadField, ValueError) as exc:
        message = str(exc)
    else:
        return redirect(url_for("questionnaires.review", questionnaire_id=q.id), code=303)
    return (
        render_template(
            "questionnaires/upload.html", limit_mb=_upload_limit_mb(), products=_products(), form=form, error=message
        ),
        status,
    )


#: The review page's filters: query-string name -> ``ItemFilters`` field.
FILTERS = {"tier": "tier", "status": "status", "sheet": "sheet", "assignee": "assignee", "search": "search"}

#: Questions per review page: a 1,000-question file is 20 pages of about 200 KB, not one
#: 4 MB page; the counts and the bulk actions still cover the whole questionnaire.
REVIEW_PER_PAGE = 50


def _filters_from(args: Mapping[str, str]) -> responding.ItemFilters:
    values = {field: (args.get(name) or "").strip() for name, field in FILTERS.items()}
    values["search"] = values["search"][: responding.SEARCH_MAX]
    return responding.ItemFilters(**values)


def _filter_args(filters: responding.ItemFilters) -> dict[str, str]:
    """The query-string arguments that give ``filters`` back (empty ones left out)."""
    return {name: getattr(filters, field) for name, field in FILTERS.items() if getattr(filters, field)}


def _view_from(form: Mapping[str, str]) -> tuple[responding.ItemFilters, int]:
    """The filters and page a form was posted from: its hidden ``view`` field holds the
    review page's query string (only the known names are read back)."""
    view = MultiDict(parse_qsl(form.get("view") or "", keep_blank_values=True))
    return _filters_from(view), bounded_query_int(view, "page", 1, low=1, high=1_000_000)


def _review_url(questionnaire_id: int, filters: responding.ItemFilters, page: int, item_id: int | None = None) -> str:
    return url_for(
        "questionnaires.review",
        questionnaire_id=questionnaire_id,
        **_filter_args(filters),
        page=page if page > 1 else None,
        _anchor=f"item-{item_id}" if item_id is not None else None,
    )


def _back_to_review(questionnaire_id: int, item_id: int | None = None):
    """Redirect a posted form back to the page and filters it came from; after a decision,
    to the question decided (or, when the filters no longer show it, the next one they do)."""
    filters, page = _view_from(request.form)
    anchor = None
    if item_id is not None:
        try:
            found = responding.page_of_item(
                questionnaire_id,
                item_id,
                filters,
                per_page=REVIEW_PER_PAGE,
                session=get_session(),
                place="at or after",
            )
        except LookupError:
            found = None
        if found is not None:
            page, anchor = found
    return redirect(_review_url(questionnaire_id, filters, page, anchor), code=303)


def _page_numbers(page: int, pages: int) -> list[int | None]:
    """Page links around ``page``: the first, the last and two either side; None marks a gap."""
    shown = sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})
    out: list[int | None] = []
    for n in shown:
        if out and n - (out[-1] or 0) > 1:
            out.append(None)
        out.append(n)
    return out


def _question_number(name: str) -> int:
    """The question id in query argument ``name`` (``item``, ``after``, ``before``); 400
    for anything but a number."""
    raw = request.args[name].strip()
    if not raw.isdigit() or len(raw) > 18:
        abort(400, description=f"{name} must be the number of one of this questionnaire's questions.")
    return int(raw)


#: A question id past the review page's links (deleted, or another questionnaire's).
NOT_HERE = "That question is not part of this questionnaire (it may have been deleted)."


def _beside_item(questionnaire_id: int, side: str, filters: responding.ItemFilters):
    """Redirect ``?after=<item id>`` to the first question the filters show after that one
    (the page's script goes there past the last question of a page: with a "pending"
    filter, the questions decided on this page have left it and "page + 1" would skip as
    many); when none is left, to the last page. ``?before=<item id>``: the last question
    they show before it (k past a page's first question lands on the question above, not
    at the top of the previous page); when none, the first page."""
    item_id = _question_number(side)
    session = get_session()
    try:
        found = responding.page_of_item(
            questionnaire_id, item_id, filters, per_page=REVIEW_PER_PAGE, session=session, place=side
        )
    except LookupError:
        abort(404, description=NOT_HERE)
    if found is None:
        end = 1 if side == "before" else 1_000_000
        shown = responding.item_page(questionnaire_id, filters, page=end, per_page=REVIEW_PER_PAGE, session=session)
        return redirect(_review_url(questionnaire_id, filters, shown.page))
    return redirect(_review_url(questionnaire_id, filters, *found))


@bp.get("/<int:questionnaire_id>")
def review(questionnaire_id: int):
    """One page of a questionnaire's questions under the chosen filters, with the counts
    of the whole questionnaire. ``?item=<id>`` (a link to one question) redirects to the
    page that shows it, dropping the filters if they hide it; ``page`` past the end shows
    the last page, a ``page`` that is not a number the first."""
    session = get_session()
    try:
        q = responding.get_questionnaire(questionnaire_id, session=session)
    except LookupError:
        abort(404)
    filters = _filters_from(request.args)
    for side in ("after", "before"):
        if side in request.args:
            return _beside_item(q.id, side, filters)
    if "item" in request.args:
        item_id = _question_number("item")
        try:
            found = responding.page_of_item(q.id, item_id, filters, per_page=REVIEW_PER_PAGE, session=session)
            if found is None:  # the filters hide it: the question asked for wins
                filters = responding.ItemFilters()
                found = responding.page_of_item(q.id, item_id, filters, per_page=REVIEW_PER_PAGE, session=session)
        except LookupError:
            abort(404, description=NOT_HERE)
        assert found is not None
        return redirect(_review_url(q.id, filters, *found))
    page = bounded_query_int(request.args, "page", 1, low=1, high=1_000_000)
    shown = responding.item_page(q.id, filters, page=page, per_page=REVIEW_PER_PAGE, session=session)
    blocked = responding.unwritable_in(q.id, session=session)  # kept per upload
    sheets, assignees = responding.review_facets(q.id, session=session)
    entry_ids = {i.entry_id for i in shown.items if i.entry_id}
    entries = {e.id: e for e in session.exec(select(Entry).where(Entry.id.in_(entry_ids)))} if entry_ids else {}  # type: ignore[union-attr]
    args = _filter_args(filters)
    view = urlencode({**args, "page": shown.page} if shown.page > 1 else args)
    return render_template(
        "questionnaires/review.html",
        q=q,
        items=shown.items,
        shown=shown,
        page_numbers=_page_numbers(shown.page, shown.pages),
        filter_args=args,
        view=view,
        items_url=url_for("questionnaires.review", questionnaire_id=q.id) + "/items/",
        progress=responding.progress_of([q], session=session)[q.id],
        entries=entries,
        sheets=sheets,
        assignees=assignees,
        chosen=filters,
        tiers=responding.TIERS,
        statuses=[s.value for s in ItemStatus],
        unwritable=blocked,
        import_warnings=responding.import_warnings(q.id, session=session),
        unaccepted=responding.unaccepted_in(q.id, session=session),
        may_delete=responding.may_delete(q, g.user),
    )


#: Bank entries listed on the find page (the most used first).
FIND_LIMIT = 25


@bp.get("/<int:questionnaire_id>/items/<int:item_id>/find")
def find(questionnaire_id: int, item_id: int):
    """Search the bank for one question's answer when none of its matches is right: the
    entries this questionnaire may use (company-wide or of its product), "Use this" on
    each (it posts to ``decide``, which checks the scope again)."""
    from answers import bank

    session = get_session()
    try:
        q = responding.get_questionnaire(questionnaire_id, session=session)
        item = responding.get_item(item_id, session=session)
        if item.questionnaire_id != q.id:
            raise LookupError
    except LookupError:
        abort(404)
    query = request.args.get("q", "").strip()[:200]
    product = responding.product_of(q, session=session)
    results, total = [], 0
    if query:
        # the entries it may use, picked in SQL: filtered after a page of the whole bank's,
        # they were lost behind 50 other products' entries ("no entry ... has these words")
        filters = bank.SearchFilters(
            query=query,
            status="approved",  # decide takes no other
            sort="usage",
            product="" if product else "-",  # "-": company-wide entries only
            usable_for=product or "",
        )
        found = bank.search(filters, session=session, per_page=FIND_LIMIT)
        results, total = found.entries, found.total
    return render_template("questionnaires/find.html", q=q, item=item, query=query, results=results, total=total)


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json" or request.is_json


def _not_saved_gone(questionnaire_id: int):
    """404 for a save whose question is gone, saying why in words the page shows (a
    colleague deleted the questionnaire while this reviewer had it open): JSON for the
    page's script, an error page for plain forms. Never Flask's "check your spelling"."""
    gone = "item"
    try:
        responding.get_questionnaire(questionnaire_id, session=get_session())
    except LookupError:
        gone = "questionnaire"  # the page's script then disables its other saves
        message = (
            "Not saved - this questionnaire was deleted (with its answers) while you had it open."
            " Upload it again to answer it."
        )
    else:
        message = "Not saved - this question is not part of this questionnaire: reload the page."
    if _wants_json():
        return jsonify(error=message, gone=gone), 404
    abort(404, description=message)


@bp.post("/<int:questionnaire_id>/items/<int:item_id>")
def decide(questionnaire_id: int, item_id: int):
    """A decision from the review page: JSON for the page's script, a redirect for plain forms."""
    data = request.get_json(silent=True) if request.is_json else request.form.to_dict()
    if not isinstance(data, dict):
        data = {}
    session = get_session()
    try:
        item = responding.get_item(item_id, session=session)
        if item.questionnaire_id != questionnaire_id:
            raise LookupError
    except LookupError:
        return _not_saved_gone(questionnaire_id)
    try:
        item = decide_from(item_id, data, blank_status_is_none=True)
    except LookupError:  # deleted between the check above and the save
        session.rollback()
        return _not_saved_gone(questionnaire_id)
    except responding.StaleItem:
        session.rollback()
        # the API says which versions; a reviewer needs what to do, before a reload replaces their text
        message = (
            "Not saved - this question was changed by someone else since you opened the page:"
            " copy your text, then reload to see their answer."
        )
        if _wants_json():
            return jsonify(error=message), 409
        flash(message, "error")
        return _back_to_review(questionnaire_id, item_id)
    except (BadField, responding.DecisionError) as exc:
        session.rollback()
        if _wants_json():
            return jsonify(error=str(exc)), 400
        flash(str(exc), "error")
        return _back_to_review(questionnaire_id, item_id)
    if _wants_json():
        from web.api import item_json

        # the page's counter of answered questions follows each save
        answered = responding.answered_count(questionnaire_id, session=session)
        return jsonify({**item_json(item), "answered": answered})
    return _back_to_review(questionnaire_id, item_id)


#: Tiers the page bulk-accepts at: `review` matches include inverted meanings ("storing
#: passwords in plaintext?" answered Yes from "passwords hashed"), so each is read first.
PAGE_BULK_TIERS = ("exact", "high")


@bp.post("/<int:questionnaire_id>/accept")
def accept_all(questionnaire_id: int):
    session = get_session()
    min_tier = request.form.get("min_tier", "high")
    try:
        responding.get_questionnaire(questionnaire_id, session=session)
        if min_tier not in PAGE_BULK_TIERS:
            raise responding.DecisionError("min_tier must be exact or high here: review matches need each one read")
        name, id_ = actor()
        done = responding.accept_all(questionnaire_id, session=session, actor=name, actor_id=id_, min_tier=min_tier)
    except LookupError:
        abort(404)
    except responding.DecisionError as exc:
        flash(str(exc), "error")
    else:
        message = f"Accepted {done.accepted} suggestion(s)."
        if done.skipped_answered:
            message += f" Skipped {done.skipped_answered} question(s) the file already answers: review them one by one."
        if done.skipped_unwritable:
            message += f" Skipped {done.skipped_unwritable} question(s) with no answer cell of their own in the file."
        if done.skipped_withdrawn:
            message += (
                f" Skipped {done.skipped_withdrawn} suggestion(s) whose bank entry was retired or changed since"
                " the questionnaire was matched: match again, or choose another answer."
            )
        if done.skipped_edited:
            message += (
                f" Skipped {done.skipped_edited} question(s) holding an answer a reviewer chose or typed:"
                " accept those one by one."
            )
        if done.skipped_changed:
            message += (
                f" Skipped {done.skipped_changed} question(s) someone else decided while this ran: their answers stand."
            )
        flash(message, "info")
    return _back_to_review(questionnaire_id)


@bp.post("/<int:questionnaire_id>/resuggest")
def resuggest(questionnaire_id: int):
    """Match the undecided questions again against the bank as it is now."""
    try:
        count = responding.resuggest(questionnaire_id, session=get_session(), actor=actor()[0])
    except LookupError:
        abort(404)
    flash(f"Matched {count} undecided question(s) again against the current bank.", "info")
    return _back_to_review(questionnaire_id)


@bp.post("/<int:questionnaire_id>/propose")
def propose(questionnaire_id: int):
    """Learn back: the reviewers' own answers go to the curators as drafts."""
    session = get_session()
    try:
        done = responding.propose_to_bank(questionnaire_id, session=session, actor=actor()[0])
    except LookupError:
        abort(404)
    message = f"Proposed {done.created} answer(s) to the bank as drafts for the curators to approve."
    if done.too_long:
        message += (
            f" Not proposed: {done.too_long} answer(s) longer than a bank entry holds (8,000 characters of"
            " answer and comment, 4,000 of question): a curator adds a shortened one by hand."
        )
    flash(message, "info")
    return _back_to_review(questionnaire_id)


@bp.get("/<int:questionnaire_id>/delete")
def delete_form(questionnaire_id: int):
    """The confirm step of a delete (a page, so it works without JavaScript)."""
    session = get_session()
    try:
        q = responding.get_questionnaire(questionnaire_id, session=session)
    except LookupError:
        abort(404)
    if not responding.may_delete(q, g.user):
        abort(403, description="Only the person who uploaded this questionnaire, a curator or an admin may delete it.")
    items = responding.item_count(q.id, session=session)  # a COUNT: 5,000 rows read to say "5000" took 1 s
    return render_template("questionnaires/delete.html", q=q, items=items)


@bp.post("/<int:questionnaire_id>/delete")
def delete(questionnaire_id: int):
    session = get_session()
    try:
        q = responding.get_questionnaire(questionnaire_id, session=session)
        name = q.name
        items = responding.delete_questionnaire(
            questionnaire_id,
            session=session,
            user=g.user,
            upload_folder=current_app.config["UPLOAD_FOLDER"],
            ip=client_ip(),
        )
    except LookupError:
        abort(404)
    except responding.NotAllowed as exc:
        session.rollback()
        abort(403, description=str(exc))
    flash(f"Deleted {name} ({items} question(s), their answers and the stored file).", "info")
    return redirect(url_for("questionnaires.index"), code=303)


@bp.get("/<int:questionnaire_id>/export")
def export(questionnaire_id: int):
    session = get_session()
    kind = request.args.get("format", "original")
    try:
        if kind == "report":
            exported = exporting.report_file(questionnaire_id, session=session, actor=actor()[0], ip=client_ip())
        elif kind == "original":
            exported = exporting.completed_file(
                questionnaire_id,
                session=session,
                upload_folder=current_app.config["UPLOAD_FOLDER"],
                actor=actor()[0],
                highlight=request.args.get("highlight") == "1",
                ip=client_ip(),
            )
        else:
            abort(400, description="format must be original or report")
    except LookupError:
        abort(404)
    except exporting.ExportError as exc:
        flash(f"Export failed: {exc}", "error")
        return _back_to_review(questionnaire_id)
    return send_file(
        io.BytesIO(exported.data), mimetype=exported.mimetype, as_attachment=True, download_name=exported.filename
    )
