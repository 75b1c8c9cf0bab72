"""Sign in and out, sign-in links, the account page (password, API tokens, sessions)."""

from __future__ import annotations

import time

from flask import Blueprint, Flask, current_app, flash, jsonify, redirect, render_template, request, session, url_for

from answers import users
from answers.cli import signin_link_url
from answers.db import get_session
from web.security import client_ip, current_login_session, current_user, login_policy, safe_next, start_session

bp = Blueprint("auth", __name__)

LINK_RESET_MINUTES = 60
LOGIN_FAILED = "Sign-in failed. Check the email address and password; after repeated failures, wait 15 minutes."


# (marker in the User-Agent, name): first match wins, so Edge and Opera (which also say
# "Chrome/" and "Safari/") come before Chrome, and Chrome before Safari.
_BROWSERS = (
    ("Edg", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("CrOS", "ChromeOS"),
    ("Macintosh", "macOS"),
    ("Linux", "Linux"),
)


@bp.app_template_filter("browser")
def describe_browser(user_agent: str | None) -> str:
    """A label such as "Firefox on Windows" from a User-Agent header, for people to
    recognise their sessions by (a hint, not a fact: the header is whatever the client
    sent). A non-browser client is named by its first product token ("curl")."""
    ua = (user_agent or "").strip()
    if not ua:
        return "Unknown browser"
    browser = next((name for marker, name in _BROWSERS if marker in ua), None)
    system = next((name for marker, name in _SYSTEMS if marker in ua), None)
    if browser is None:
        if ua.startswith("Mozilla/"):
            browser = "Unknown browser"
        else:
            return ua.split("/", 1)[0].split(" ", 1)[0][:40] or "Unknown browser"
    return f"{browser} on {system}" if system else browser


@bp.route("/login", methods=["GET", "POST"])
def login():
    target = request.values.get("next", "")
    if request.method == "GET":
        if current_user() is not None:
            return redirect(safe_next(target))
        return render_template("auth/login.html", next=target, email="")
    email = request.form.get("email", "")
    result = users.authenticate(
        get_session(), email, request.form.get("password", ""), ip=client_ip(), policy=login_policy()
    )
    if result.user is None:
        return render_template("auth/login.html", next=target, email=email, error=LOGIN_FAILED)
    start_session(result.user)
    return redirect(safe_next(target))


@bp.route("/login/first-run/<token>", methods=["GET", "POST"])
@bp.route("/login/link/<token>", methods=["GET", "POST"])  # innermost: url_for() builds this one
def signin_link(token: str):
    """GET only shows a button (link previews and scanners must not use the link up);
    POST signs in and spends it."""
    hours = int(current_app.config["SIGNIN_LINK_HOURS"])
    if request.method == "GET":
        user = users.peek_signin_link(get_session(), token, link_hours=hours)
        if user is None:
            return render_template("auth/link_invalid.html"), 404
        return render_template("auth/signin_link.html", email=user.email)
    user = users.use_signin_link(get_session(), token, link_hours=hours, ip=client_ip())
    if user is None:
        return render_template("auth/link_invalid.html"), 404
    start_session(user)
    # a link is how a user who forgot the password gets back in: this session may set a
    # new one without the current password for a while (cleared when a password is set)
    session["link_signin_at"] = time.time()
    if not user.password_hash:
        flash("You are signed in. Set a password now: the link you used works only once.", "info")
    else:
        flash("You are signed in with a one-time link. Forgot your password? Set a new one below.", "info")
    return redirect(url_for("auth.account"))


def _signed_in_by_link() -> bool:
    """The session was opened by a sign-in link in the last LINK_RESET_MINUTES."""
    at = session.get("link_signin_at")
    return isinstance(at, int | float) and 0 <= time.time() - at <= LINK_RESET_MINUTES * 60


@bp.post("/logout")
def logout():
    """Ends this browser's session only; the user's other sessions go on."""
    user = current_user()
    if user is not None:
        users.record_logout(get_session(), user, current_login_session(), ip=client_ip())
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.post("/logout-everywhere")
def logout_everywhere():
    users.logout_everywhere(get_session(), current_user(), ip=client_ip())  # type: ignore[arg-type]
    session.clear()
    flash("You are signed out on every device and browser.", "info")
    return redirect(url_for("auth.login"))


def _account_page(status: int = 200, **extra):
    user = current_user()
    tokens = users.list_tokens(get_session(), user)  # type: ignore[arg-type]
    here = current_login_session()
    logins = users.list_sessions(get_session(), user, lifetime=current_app.permanent_session_lifetime)  # type: ignore[arg-type]
    logins.sort(key=lambda row: here is None or row.id != here.id)  # this session first, then most recent
    return (
        render_template(
            "auth/account.html",
            user=user,
            tokens=tokens,
            logins=logins,
            this_session_id=here.id if here is not None else None,
            need_current=_need_current_password(user),
            **extra,
        ),
        status,
    )


def _need_current_password(user) -> bool:
    return bool(user.password_hash) and not _signed_in_by_link()


@bp.get("/account")
def account():
    return _account_page()


@bp.post("/account/password")
def set_password():
    user = current_user()
    assert user is not None
    if _need_current_password(user):
        if not users.verify_password(get_session(), user, request.form.get("current_password", ""), ip=client_ip()):
            return _account_page(400, error="The current password is not right.")
    new, again = request.form.get("password", ""), request.form.get("password_again", "")
    if new != again:
        return _account_page(400, error="The two new passwords differ.")
    try:
        users.set_password(get_session(), user, new, ip=client_ip())
    except users.UserError as exc:
        return _account_page(400, error=str(exc))
    start_session(user)  # the change ended every session at the old epoch; this one goes on
    flash("Password saved.", "info")
    return redirect(url_for("auth.account"))


@bp.post("/account/tokens")
def create_token():
    """Renders the page with the secret (not a redirect: a flashed secret would sit in the cookie)."""
    row, secret = users.issue_token(
        get_session(),
        current_user(),
        name=request.form.get("name", ""),
        ip=client_ip(),  # type: ignore[arg-type]
    )
    return _account_page(201, new_token=secret, new_token_row=row)


@bp.post("/account/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int):
    try:
        users.revoke_token(get_session(), current_user(), token_id, ip=client_ip())  # type: ignore[arg-type]
    except users.UserError as exc:
        return _account_page(404, error=str(exc))
    flash("Token revoked.", "info")
    return redirect(url_for("auth.account"))


@bp.post("/account/sessions/<int:session_id>/end")
def end_session(session_id: int):
    """End one of the user's sessions (another user's: 404, as if it did not exist).
    Ending this browser's own session signs it out."""
    here = current_login_session()
    try:
        users.end_session(get_session(), current_user(), session_id, ip=client_ip())  # type: ignore[arg-type]
    except users.UserError as exc:
        return _account_page(404, error=str(exc))
    if here is not None and here.id == session_id:
        session.clear()
        flash("You are signed out.", "info")
        return redirect(url_for("auth.login"))
    flash("Session ended: that browser must sign in again.", "info")
    return redirect(url_for("auth.account"))


@bp.get("/api/v1/me")
def api_me():
    """Who the bearer token belongs to (lets a client check its token)."""
    user = current_user()
    assert user is not None
    return jsonify(email=user.email, role=user.role.value if hasattr(user.role, "value") else user.role)


def first_run(app: Flask, email: str) -> str | None:
    """`python app.py` on a database without users: create the first admin and print a
    one-time sign-in link to the console. Returns the link (None when not a first run)."""
    from sqlmodel import Session

    from answers.db import get_engine

    with Session(get_engine(app), expire_on_commit=False) as session:
        created = users.ensure_first_admin(session, email)
    if created is None:
        return None
    user, secret = created
    link, _guessed = signin_link_url(app.config, secret, "/login/first-run/")
    hours = app.config["SIGNIN_LINK_HOURS"]
    print(f"\nFirst run: the admin account is {user.email}.")
    print(f"Sign in within {hours} hours with this one-time link, then set a password:\n\n    {link}\n")
    return link
