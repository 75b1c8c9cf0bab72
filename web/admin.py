"""Admin pages: users (create, issue a sign-in link, change role, deactivate) and the audit trail with filters."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from sqlmodel import Session, func, select

from answers import users
from answers.db import get_session
from answers.models import AuditEvent, Role, User
from web.common import bounded_query_int
from web.security import client_ip, current_user

bp = Blueprint("admin", __name__)

PAGE_SIZE = 50
MAX_PAGE = 1_000_000  # past this the OFFSET would overflow


def _actor() -> str:
    user = current_user()
    assert user is not None
    return user.email


def signin_url(secret: str) -> str:
    base = current_app.config.get("PUBLIC_URL") or request.host_url
    return base.rstrip("/") + url_for("auth.signin_link", token=secret)


def _users_page(status: int = 200, **extra: Any):
    session = get_session()
    all_users = session.exec(select(User).order_by(User.email)).all()
    live = users.live_session_counts(session, lifetime=current_app.permanent_session_lifetime)
    page = render_template("admin/users.html", users=all_users, roles=[r.value for r in Role], live=live, **extra)
    return page, status


@bp.get("/admin/users")
def users_page():
    return _users_page()


@bp.post("/admin/users")
def create_user():
    session = get_session()
    try:
        user = users.create_user(
            session, request.form.get("email", ""), request.form.get("role", ""), actor=_actor(), ip=client_ip()
        )
    except users.UserError as exc:
        return _users_page(400, error=str(exc), form=request.form)
    secret = users.issue_signin_link(session, user, actor=_actor(), ip=client_ip())
    hours = current_app.config["SIGNIN_LINK_HOURS"]
    return _users_page(201, new_user=user, new_link=signin_url(secret), link_hours=hours)


def _user_or_404(user_id: int) -> User:
    user = get_session().get(User, user_id)
    if user is None:
        abort(404, description="No such user.")
    return user


@bp.post("/admin/users/<int:user_id>/link")
def issue_link(user_id: int):
    """A fresh one-time sign-in link for an existing user (lost link, forgotten password),
    rendered once on the page (not flashed: the secret would sit in the cookie)."""
    user = _user_or_404(user_id)
    try:
        secret = users.issue_signin_link(get_session(), user, actor=_actor(), ip=client_ip())
    except users.UserError as exc:
        return _users_page(400, error=str(exc))
    hours = current_app.config["SIGNIN_LINK_HOURS"]
    return _users_page(200, link_user=user, new_link=signin_url(secret), link_hours=hours)


@bp.post("/admin/users/<int:user_id>/role")
def change_role(user_id: int):
    user = _user_or_404(user_id)
    try:
        users.change_role(get_session(), user, request.form.get("role", ""), actor=_actor(), ip=client_ip())
    except users.UserError as exc:
        return _users_page(400, error=str(exc))
    flash(f"{user.email} is now {Role(user.role).value}.", "info")
    return redirect(url_for("admin.users_page"))


@bp.post("/admin/users/<int:user_id>/active")
def set_active(user_id: int):
    """Form field `active` = 1 (reactivate) or 0 (deactivate): explicit, so a replay is harmless."""
    user = _user_or_404(user_id)
    value = request.form.get("active")
    if value not in ("0", "1"):
        return _users_page(400, error="active must be 0 or 1")
    if value == "0" and user.id == current_user().id:  # type: ignore[union-attr]
        return _users_page(400, error="You cannot deactivate your own account.")
    try:
        users.set_active(get_session(), user, value == "1", actor=_actor(), ip=client_ip())
    except users.UserError as exc:
        return _users_page(400, error=str(exc))
    flash(f"{user.email} is {'active' if user.active else 'deactivated'}.", "info")
    return redirect(url_for("admin.users_page"))


@bp.post("/admin/users/<int:user_id>/sessions/end")
def end_sessions(user_id: int):
    """Sign a user out of every browser (their account stays active; API tokens stay)."""
    user = _user_or_404(user_id)
    ended = users.end_sessions_of(get_session(), user, actor=_actor(), ip=client_ip())
    flash(f"Ended {ended} session{'' if ended == 1 else 's'} of {user.email}.", "info")
    return redirect(url_for("admin.users_page"))


# --- audit trail ---------------------------------------------------------------------


@dataclass
class AuditFilter:
    actor: str = ""
    action: str = ""
    since: dt.date | None = None
    until: dt.date | None = None
    page: int = 1

    @classmethod
    def from_args(cls, args) -> AuditFilter:
        def day(name: str) -> dt.date | None:
            raw = (args.get(name) or "").strip()
            if not raw:
                return None
            try:
                return dt.date.fromisoformat(raw)
            except ValueError:
                abort(400, description=f"{name} must be a date like 2025-01-31")

        page = bounded_query_int(args, "page", 1, low=1, high=MAX_PAGE)
        return cls(
            actor=(args.get("actor") or "").strip()[:320],
            action=(args.get("action") or "").strip()[:100],
            since=day("from"),
            until=day("to"),
            page=page,
        )

    def query_args(self, page: int) -> dict[str, str]:
        out = {"actor": self.actor, "action": self.action, "page": str(page)}
        if self.since:
            out["from"] = self.since.isoformat()
        if self.until:
            out["to"] = self.until.isoformat()
        return {k: v for k, v in out.items() if v}


def find_events(session: Session, f: AuditFilter, page_size: int = PAGE_SIZE) -> tuple[list[AuditEvent], int]:
    """Newest first. `actor` matches exactly (case-insensitive), `action` exactly or by
    prefix ending in '.' (e.g. `auth.`); dates are inclusive UTC days."""
    conditions = []
    if f.actor:
        conditions.append(func.lower(AuditEvent.actor) == f.actor.lower())
    if f.action:
        if f.action.endswith("."):
            conditions.append(AuditEvent.action.startswith(f.action, autoescape=True))  # type: ignore[attr-defined]
        else:
            conditions.append(AuditEvent.action == f.action)
    if f.since:
        conditions.append(AuditEvent.at >= dt.datetime.combine(f.since, dt.time(), tzinfo=dt.UTC))
    if f.until:
        conditions.append(AuditEvent.at < dt.datetime.combine(f.until + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC))
    total = session.exec(select(func.count()).select_from(AuditEvent).where(*conditions)).one()
    query = (
        select(AuditEvent)
        .where(*conditions)
        .order_by(AuditEvent.id.desc())  # type: ignore[union-attr]
        .offset((f.page - 1) * page_size)
        .limit(page_size)
    )
    return list(session.exec(query)), total


@bp.get("/admin/audit")
def audit():
    f = AuditFilter.from_args(request.args)
    events, total = find_events(get_session(), f)
    pages = max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)
    actions = get_session().exec(select(AuditEvent.action).distinct().order_by(AuditEvent.action)).all()
    return render_template(
        "admin/audit.html",
        events=events,
        total=total,
        f=f,
        pages=pages,
        actions=actions,
        prev_args=f.query_args(f.page - 1) if f.page > 1 else None,
        next_args=f.query_args(f.page + 1) if f.page < pages else None,
    )


@bp.get("/api/v1/audit")
def api_audit():
    """The same filters as the page (`actor`, `action`, `from`, `to`, `page`), as JSON."""
    f = AuditFilter.from_args(request.args)
    events, total = find_events(get_session(), f)
    return jsonify(
        total=total,
        page=f.page,
        page_size=PAGE_SIZE,
        events=[
            {
                "id": e.id,
                "at": users.aware(e.at).isoformat(),
                "actor": e.actor,
                "action": e.action,  # type: ignore[union-attr]
                "object_type": e.object_type,
                "object_id": e.object_id,
                "ip": e.ip,
                "details": e.details,
            }
            for e in events
        ],
    )
