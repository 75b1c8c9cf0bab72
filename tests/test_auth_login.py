"""Password login, throttling per account and per IP, no user enumeration, logout and
logout everywhere."""

from __future__ import annotations

import datetime as dt
import re

from sqlmodel import select

from answers import users
from answers.models import AuditEvent, User
from tests.auth_helpers import PASSWORD, db, make_user, signed_in


def _login(client, email, password, **kw):
    return client.post("/login", data={"email": email, "password": password}, **kw)


def _page(response, email: str) -> bytes:
    """The page without the parts that differ legitimately: the address typed, the CSRF token."""
    return re.sub(rb'name="csrf_token" value="[^"]*"', b"", response.data.replace(email.encode(), b"X"))


def _user(app, email) -> User:
    with db(app) as s:
        user = users.get_by_email(s, email)
        assert user is not None
        return user


def test_login_with_the_right_password_signs_in_and_follows_next(app, client):
    make_user(app, "sales@example.com", "sales", password=PASSWORD)
    response = _login(client, "Sales@Example.com ", PASSWORD, query_string={"next": "/account"})
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    assert client.get("/account").status_code == 200
    assert _user(app, "sales@example.com").last_login_at is not None


def test_next_cannot_redirect_off_site(app, client):
    make_user(app, "sales@example.com", "sales", password=PASSWORD)
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = _login(client, "sales@example.com", PASSWORD, query_string={"next": target})
        assert response.headers["Location"] == "/", target


def test_wrong_password_and_unknown_user_get_the_same_answer(app, client):
    make_user(app, "sales@example.com", "sales", password=PASSWORD)
    wrong = _login(client, "sales@example.com", "not the password")
    unknown = _login(client, "nobody@example.com", "not the password")
    assert wrong.status_code == unknown.status_code == 200
    assert b"Sign-in failed" in wrong.data
    assert _page(wrong, "sales@example.com") == _page(unknown, "nobody@example.com")
    assert client.get("/").status_code == 302


def test_five_failures_lock_the_account_for_15_minutes_even_for_the_right_password(app, client):
    make_user(app, "sales@example.com", "sales", password=PASSWORD)
    for _ in range(5):
        _login(client, "sales@example.com", "wrong password!")
    user = _user(app, "sales@example.com")
    locked_until = users.aware(user.locked_until)
    assert locked_until is not None
    minutes = (locked_until - dt.datetime.now(dt.UTC)).total_seconds() / 60
    assert 14 < minutes <= 15
    refused = _login(client, "sales@example.com", PASSWORD)
    assert b"Sign-in failed" in refused.data and client.get("/").status_code == 302
    # the lock message is the generic one: nothing tells an attacker the account exists
    assert _page(refused, "sales@example.com") == _page(_login(client, "ghost@example.com", "x"), "ghost@example.com")
    # once the lock has passed, the right password works again
    with db(app) as s:
        u = s.get(User, user.id)
        u.locked_until = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        s.add(u)
        s.commit()
    assert _login(client, "sales@example.com", PASSWORD).status_code == 302
    assert _user(app, "sales@example.com").failed_logins == 0


def test_the_per_ip_limit_stops_guessing_across_accounts(app):
    app.config["LOGIN_IP_MAX_FAILURES"] = 3
    make_user(app, "sales@example.com", "sales", password=PASSWORD)
    attacker = app.test_client()
    for i in range(3):
        _login(attacker, f"guess{i}@example.com", "x", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    blocked = _login(attacker, "sales@example.com", PASSWORD, environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert b"Sign-in failed" in blocked.data
    # another address is not affected, and the account itself is not locked
    ok = _login(app.test_client(), "sales@example.com", PASSWORD, environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert ok.status_code == 302
    with db(app) as s:
        reasons = [
            e.details["reason"] for e in s.exec(select(AuditEvent).where(AuditEvent.action == "auth.login_failed"))
        ]
    assert reasons == ["unknown_user"] * 3 + ["ip_throttled"]


def test_failed_login_is_audited_with_the_email_but_never_the_password(app, client):
    make_user(app, "sales@example.com", "sales", password=PASSWORD)
    _login(client, "sales@example.com", "hunter2-secret-guess", environ_base={"REMOTE_ADDR": "192.0.2.1"})
    _login(client, "sales@example.com", PASSWORD, environ_base={"REMOTE_ADDR": "192.0.2.1"})
    with db(app) as s:
        events = list(s.exec(select(AuditEvent).order_by(AuditEvent.id)))
    failed = [e for e in events if e.action == "auth.login_failed"]
    login = [e for e in events if e.action == "auth.login"]
    assert len(failed) == 1 and failed[0].details["email"] == "sales@example.com" and failed[0].ip == "192.0.2.1"
    assert len(login) == 1 and login[0].actor == "sales@example.com"
    everything = " ".join(str(e.details) + e.actor for e in events)
    assert "hunter2" not in everything and PASSWORD not in everything


def test_password_is_stored_as_argon2id(app):
    user = make_user(app, "sales@example.com", "sales", password=PASSWORD)
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash


def test_short_password_is_refused(app):
    user = make_user(app, "sales@example.com", "sales")
    with db(app) as s:
        try:
            users.set_password(s, s.get(User, user.id), "short")
        except users.UserError as exc:
            assert "12 characters" in str(exc)
        else:
            raise AssertionError("a 5-character password was accepted")


def test_logout_ends_the_session_and_needs_post(app, sales_client):
    assert sales_client.get("/logout").status_code == 405
    response = sales_client.post("/logout")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert sales_client.get("/").status_code == 302
    with db(app) as s:
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "auth.logout")).first() is not None


def test_logout_everywhere_kills_every_other_session(app, people):
    laptop = signed_in(app, people["sales"])
    phone = signed_in(app, people["sales"])
    stolen_cookie = phone.get_cookie("answerbank_session").value
    colleague = signed_in(app, people["curator"])
    assert laptop.get("/").status_code == phone.get("/").status_code == 200
    assert laptop.post("/logout-everywhere").status_code == 302
    assert laptop.get("/").status_code == 302
    assert phone.get("/").status_code == 302
    replay = app.test_client()
    replay.set_cookie("answerbank_session", stolen_cookie)
    assert replay.get("/account").status_code == 302
    assert colleague.get("/").status_code == 200  # other users keep their sessions
    assert signed_in(app, people["sales"]).get("/").status_code == 200  # a new login works


def test_deactivated_user_loses_session_and_cannot_sign_in(app, admin_client, people):
    make_user(app, "leaver@example.com", "sales", password=PASSWORD)
    leaver = app.test_client()
    assert _login(leaver, "leaver@example.com", PASSWORD).status_code == 302
    uid = _user(app, "leaver@example.com").id
    assert admin_client.post(f"/admin/users/{uid}/active", data={"active": "0"}).status_code == 302
    assert leaver.get("/").status_code == 302
    assert b"Sign-in failed" in _login(app.test_client(), "leaver@example.com", PASSWORD).data


def test_changing_the_password_needs_the_current_one(app):
    user = make_user(app, "sales@example.com", "sales", password=PASSWORD)
    client = signed_in(app, user)
    new = "a brand new passphrase"
    bad = client.post("/account/password", data={"current_password": "nope", "password": new, "password_again": new})
    assert bad.status_code == 400
    ok = client.post("/account/password", data={"current_password": PASSWORD, "password": new, "password_again": new})
    assert ok.status_code == 302
    assert _login(app.test_client(), "sales@example.com", new).status_code == 302
