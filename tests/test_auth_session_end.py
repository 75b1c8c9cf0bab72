"""Sessions end: after SESSION_HOURS idle (12 by default, Flask's own default is 31 days),
at sign-out (a copied cookie stops working too) and at a password change (every other
session of the user; API tokens are separate credentials and stay)."""

from __future__ import annotations

import datetime as dt
import time

import itsdangerous.timed

from app import create_app
from tests.auth_helpers import PASSWORD, bearer, make_user, signed_in, token_for

COOKIE = "answerbank_session"


def test_sessions_last_12_hours_by_default_and_session_hours_changes_it(app, tmp_path):
    assert app.permanent_session_lifetime == dt.timedelta(hours=12)
    other = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": "sqlite://", "SESSION_HOURS": 2})
    assert other.permanent_session_lifetime == dt.timedelta(hours=2)


def test_a_login_cookie_expires_after_12_hours_in_the_browser_and_on_the_server(app, monkeypatch):
    make_user(app, "sales@example.com", "sales", password=PASSWORD)
    client = app.test_client()
    response = client.post("/login", data={"email": "sales@example.com", "password": PASSWORD})
    expires = client.get_cookie(COOKIE).expires
    assert dt.timedelta(hours=11) < expires - dt.datetime.now(dt.UTC) <= dt.timedelta(hours=12)
    assert response.status_code == 302 and client.get("/account").status_code == 200
    # the same cookie presented 13 hours later (a copy does not honour Expires)
    later = time.time() + 13 * 3600
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: later)
    assert client.get("/account").status_code == 302


def test_a_copied_cookie_stops_working_after_sign_out(app, people):
    browser = signed_in(app, people["curator"])
    copied = browser.get_cookie(COOKIE).value
    assert browser.get("/account").status_code == 200
    assert browser.post("/logout").status_code == 302
    replay = app.test_client()
    replay.set_cookie(COOKIE, copied)
    assert replay.get("/account").status_code == 302
    assert signed_in(app, people["curator"]).get("/account").status_code == 200  # signing in again works


def test_a_password_change_ends_the_other_sessions_but_not_this_one_nor_api_tokens(app):
    user = make_user(app, "sales@example.com", "sales", password=PASSWORD)
    here, elsewhere = signed_in(app, user), signed_in(app, user)
    secret = token_for(app, user)
    new = "a brand new passphrase"
    form = {"current_password": PASSWORD, "password": new, "password_again": new}
    changed = here.post("/account/password", data=form)
    assert changed.status_code == 302
    assert here.get("/account").status_code == 200
    assert elsewhere.get("/account").status_code == 302
    assert app.test_client().get("/api/v1/me", headers=bearer(secret)).status_code == 200
