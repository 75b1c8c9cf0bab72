"""Who may call what: the access rule table, enforced before every request; CSRF; security
headers on every response; session cookies that are `Secure` on HTTPS.

Every endpoint needs an entry in `RULES` (endpoint name -> `Rule`). A route without one is
refused (500 with a message naming it in debug/testing, 403 in production), and
tests/test_security_matrix.py fails, so a new route cannot be forgotten.

Two ways in, chosen by the path:
- `/api/...`: `Authorization: Bearer <token>` only (session cookies are ignored, so no CSRF
  is needed); errors are JSON `{"error": ...}` with 401 (no or bad token) / 403 (role).
- everything else: the login session, a signed cookie holding the user id, epoch and the
  secret of a server-side `LoginSession` row (checked on every request by
  `users.check_session`; a cookie without one, from before those rows existed, is
  refused); not signed in -> 302 to /login?next=...; role too low -> 403; unsafe methods
  need the CSRF token (Flask-WTF `CSRFProtect`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, jsonify, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from answers import users
from answers.db import get_session
from answers.models import LoginSession, Role, User

csrf = CSRFProtect()

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DEFAULT_SESSION_HOURS = 12


@dataclass(frozen=True)
class Rule:
    """`role`: minimum role to call the endpoint (None = public, no login).
    `write`: minimum role for POST/PUT/PATCH/DELETE when stricter than `role`."""

    role: Role | None
    write: Role | None = None

    def minimum(self, method: str) -> Role | None:
        if method in UNSAFE_METHODS and self.write is not None:
            return self.write
        return self.role

    @property
    def public(self) -> bool:
        return self.role is None


PUBLIC = Rule(None)
SALES = Rule(Role.sales)
CURATOR = Rule(Role.curator)
ADMIN = Rule(Role.admin)
BANK = Rule(Role.sales, write=Role.curator)  # the answer bank: sales read, curators write

# The one place that says who may call what. Add every new endpoint here.
RULES: dict[str, Rule] = {
    "static": PUBLIC,
    "api.healthz": PUBLIC,
    "auth.login": PUBLIC,
    "auth.signin_link": PUBLIC,
    "auth.logout": SALES,
    "auth.logout_everywhere": SALES,
    "auth.account": SALES,
    "auth.set_password": SALES,
    "auth.create_token": SALES,
    "auth.revoke_token": SALES,
    "auth.end_session": SALES,  # the user's own sessions only: users.end_session
    "auth.api_me": SALES,
    "pages.home": SALES,
    "pages.assigned": SALES,
    "questionnaires.index": SALES,
    "questionnaires.upload_form": SALES,
    "questionnaires.upload": SALES,
    "questionnaires.review": SALES,
    "questionnaires.decide": SALES,
    "questionnaires.find": SALES,
    "questionnaires.accept_all": SALES,
    "questionnaires.resuggest": SALES,
    "questionnaires.export": SALES,
    "questionnaires.propose": SALES,
    "questionnaires.delete_form": SALES,  # and the uploader, a curator or an admin: responding.may_delete
    "questionnaires.delete": SALES,
    "api.upload_questionnaire": SALES,
    "api.list_questionnaires": SALES,
    "api.get_questionnaire": SALES,
    "api.list_items": SALES,
    "api.patch_item": SALES,
    "api.assigned": SALES,
    "api.accept": SALES,
    "api.resuggest": SALES,
    "api.export": SALES,
    "api.delete_questionnaire": SALES,  # and the uploader, a curator or an admin: responding.may_delete
    "bank.index": BANK,
    "bank.new_form": CURATOR,
    "bank.create": BANK,
    "bank.entry": BANK,
    "bank.edit_form": CURATOR,
    "bank.update": BANK,
    "bank.approve": BANK,
    "bank.retire": BANK,
    "bank.restore": BANK,
    "bank.due": BANK,
    "bank.hygiene": BANK,
    "bank.merge": BANK,
    "bank.resolve": BANK,
    "bank.add_alternate": BANK,
    "bank.coverage": BANK,
    "bank.transfer": CURATOR,
    "bank.import_preview": BANK,
    "bank.import_confirm": BANK,
    "bank.export": BANK,
    "learning.learn_form": CURATOR,
    "learning.learn_preview": BANK,
    "learning.learn_confirm": BANK,
    "learning.api_learn": BANK,
    "bank.api_list": BANK,
    "bank.api_create": BANK,
    "bank.api_get": BANK,
    "bank.api_patch": BANK,
    "bank.api_import": BANK,
    "admin.users_page": ADMIN,
    "admin.create_user": ADMIN,
    "admin.change_role": ADMIN,
    "admin.set_active": ADMIN,
    "admin.issue_link": ADMIN,
    "admin.end_sessions": ADMIN,
    "admin.audit": ADMIN,
    "admin.api_audit": ADMIN,
}


def is_api_path(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def current_user() -> User | None:
    return g.get("user")


def client_ip() -> str | None:
    return request.remote_addr


def login_policy() -> users.LoginPolicy:
    c = current_app.config
    return users.LoginPolicy(
        max_failures=int(c["LOGIN_MAX_FAILURES"]),
        lock_minutes=int(c["LOGIN_LOCK_MINUTES"]),
        ip_max_failures=int(c["LOGIN_IP_MAX_FAILURES"]),
        ip_window_minutes=int(c["LOGIN_IP_WINDOW_MINUTES"]),
    )


def current_login_session() -> LoginSession | None:
    """The server-side record of this browser's session (None for API calls)."""
    return g.get("login_session")


def start_session(user: User) -> None:
    """A fresh session (no fixation): a new server-side record whose secret the cookie
    carries, bound to the user's current epoch. The session this browser had (signing in
    again, or as someone else) ends: its cookie is about to be overwritten."""
    _row, secret = users.open_session(
        get_session(),
        user,
        ip=client_ip(),
        user_agent=request.headers.get("User-Agent"),
        lifetime=current_app.permanent_session_lifetime,
        replaces=current_login_session(),
    )
    session.clear()
    session.permanent = True
    session["uid"] = user.id
    session["epoch"] = user.session_epoch
    session["sid"] = secret


def safe_next(target: str | None) -> str:
    """Only same-site relative paths: `next=` must not become an open redirect."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            if "\\" not in target:
                return target
    return url_for("pages.home")


def _session_user() -> User | None:
    if "uid" not in session:
        return None
    found = users.check_session(
        get_session(),
        session.get("sid"),
        user_id=session.get("uid"),
        epoch=session.get("epoch"),
        lifetime=current_app.permanent_session_lifetime,
    )
    if found is None:
        # signed out (here or everywhere), ended from another session, idle too long,
        # deactivated, or a cookie from before server-side sessions (no "sid")
        session.clear()
        return None
    user, g.login_session = found
    return user


def _bearer_user() -> User | None:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    return users.check_token(get_session(), secret.strip(), ip=client_ip())


def _api_error(status: int, message: str):
    response = jsonify(error=message)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="answerbank"'
    return response


def enforce_access():
    """before_request: authenticate, then apply the endpoint's rule."""
    g.user = None
    g.login_session = None
    endpoint = request.endpoint
    if endpoint is None:  # no route matched: Flask answers 404 / 405
        if not is_api_path(request.path):
            g.user = _session_user()  # the error page shows the signed-in user's navigation
        return None
    api = is_api_path(request.path)
    rule = RULES.get(endpoint)
    if rule is None:
        message = f"no access rule for endpoint {endpoint!r}: add it to web.security.RULES"
        current_app.logger.error(message)
        if current_app.debug or current_app.testing:
            abort(500, description=message)
        if api:
            return _api_error(403, "forbidden")
        abort(403)
    g.user = _bearer_user() if api else _session_user()
    if not api and request.method in UNSAFE_METHODS and current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()
    needed = rule.minimum(request.method)
    if needed is None:
        return None
    if g.user is None:
        if api:
            return _api_error(401, "authentication required: send Authorization: Bearer <token>")
        return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))
    if not users.has_role(g.user, needed):
        if api:
            return _api_error(403, f"this needs the {needed.value} role")
        abort(403, description=f"This page needs the {needed.value} role.")
    return None


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


def security_headers(response):
    """after_request: on every response, errors and static files included."""
    h = response.headers
    h.setdefault("Content-Security-Policy", CSP)
    h["X-Frame-Options"] = "DENY"
    h["X-Content-Type-Options"] = "nosniff"
    h["Referrer-Policy"] = "same-origin"
    h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure:
        h["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if g.get("user") is not None and request.endpoint != "static":
        h["Cache-Control"] = "no-store"  # signed-in pages and API answers stay out of shared caches
    return response


class SessionInterface(SecureCookieSessionInterface):
    """The session cookie is `Secure` when configured or when this request came over HTTPS
    (behind a proxy, set TRUSTED_PROXY_COUNT so X-Forwarded-Proto is believed)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or bool(request and request.is_secure)


def init_app(app: Flask) -> None:
    c = app.config
    c.setdefault("LOGIN_MAX_FAILURES", 5)
    c.setdefault("LOGIN_LOCK_MINUTES", 15)
    c.setdefault("LOGIN_IP_MAX_FAILURES", 20)
    c.setdefault("LOGIN_IP_WINDOW_MINUTES", 15)
    c.setdefault("SIGNIN_LINK_HOURS", 24)
    # set, not setdefault: Flask's own default (31 days) is always present. Flask refreshes
    # the cookie on each request, so this is the idle time after which one signs in again;
    # the signature's age is checked on the server too, so a copied cookie expires as well.
    c["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(hours=float(c.get("SESSION_HOURS") or DEFAULT_SESSION_HOURS))
    c.setdefault("SESSION_COOKIE_HTTPONLY", True)
    c.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    if c.get("SESSION_COOKIE_NAME", "session") == "session":  # Flask's default name says nothing
        c["SESSION_COOKIE_NAME"] = "answerbank_session"
    # CSRFProtect's own hook is off: enforce_access() calls csrf.protect() for every
    # non-API unsafe request, after authentication, so the API (bearer only) is exempt by path.
    c["WTF_CSRF_CHECK_DEFAULT"] = False
    # A token lives as long as the session holding its secret (SESSION_HOURS without a
    # request; sign-out clears it), not Flask-WTF's one hour: a review page kept open over
    # an hour had every save refused while its reviewer was still signed in.
    c.setdefault("WTF_CSRF_TIME_LIMIT", None)
    proxies = int(c.get("TRUSTED_PROXY_COUNT") or 0)
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]
    app.session_interface = SessionInterface()
    app.before_request(enforce_access)
    csrf.init_app(app)
    app.after_request(security_headers)
    app.context_processor(lambda: {"current_user": current_user()})
