"""Getting back in: `flask users link EMAIL` and the admin's "Issue a sign-in link" give a
fresh one-time link (older ones die, audited); a session opened by a link may set a new
password without the old one; printed links use PUBLIC_URL or say the address is a guess."""

from __future__ import annotations

import datetime as dt
import re

from sqlmodel import select

from answers import users
from answers.models import ApiToken, AuditEvent, User
from tests.auth_helpers import PASSWORD, db, make_user, signed_in

NEW_PASSWORD = "a brand new passphrase 42"


def _link_path(text: str) -> str:
    found = re.search(r"https?://[^/\s]+(/login/link/abl_[\w-]+)", text)
    assert found, text
    return found.group(1)


def _expire_links(app) -> None:
    with db(app) as s:
        for row in s.exec(select(ApiToken)):
            row.created_at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=app.config["SIGNIN_LINK_HOURS"] + 1)
            s.add(row)
        s.commit()


def test_cli_users_link_reissues_after_expiry_and_kills_older_links(app, runner):
    created = runner.invoke(args=["users", "create", "carol@example.com", "--role", "sales"])
    first = _link_path(created.output)
    _expire_links(app)
    assert app.test_client().post(first).status_code == 404
    again = runner.invoke(args=["users", "link", "Carol@Example.com"])
    assert again.exit_code == 0, again.output
    second = _link_path(again.output)
    third = _link_path(runner.invoke(args=["users", "link", "carol@example.com"]).output)
    assert app.test_client().post(second).status_code == 404  # replaced by the third
    client = app.test_client()
    used = client.post(third)
    assert used.status_code == 302 and used.headers["Location"] == "/account"
    assert client.post(third).status_code == 404  # single use
    with db(app) as s:
        issued = s.exec(select(AuditEvent).where(AuditEvent.action == "auth.signin_link_issued")).all()
        assert [e.actor for e in issued] == ["cli", "cli", "cli"]


def test_cli_users_link_refuses_unknown_and_deactivated_users(app, runner, people):
    unknown = runner.invoke(args=["users", "link", "nobody@example.com"])
    assert unknown.exit_code == 2 and "no user with the email nobody@example.com" in unknown.output
    with db(app) as s:
        users.set_active(s, s.get(User, people["sales"].id), False, actor="test")
    off = runner.invoke(args=["users", "link", "sales@example.com"])
    assert off.exit_code == 2 and "deactivated" in off.output


def test_a_link_session_resets_a_forgotten_password(app, runner):
    make_user(app, "dave@example.com", "curator", password=PASSWORD)
    client = app.test_client()
    client.post(_link_path(runner.invoke(args=["users", "link", "dave@example.com"]).output))
    page = client.get("/account").data.decode()
    assert 'name="current_password"' not in page
    saved = client.post("/account/password", data={"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert saved.status_code == 302
    fresh = app.test_client()
    assert fresh.post("/login", data={"email": "dave@example.com", "password": NEW_PASSWORD}).status_code == 302
    # the reset is over: changing it again asks for the current password
    assert 'name="current_password"' in client.get("/account").data.decode()
    again = client.post("/account/password", data={"password": PASSWORD, "password_again": PASSWORD})
    assert again.status_code == 400


def test_a_password_session_still_needs_the_current_password(app, people):
    with db(app) as s:
        users.set_password(s, s.get(User, people["sales"].id), PASSWORD)
    client = signed_in(app, people["sales"])
    assert 'name="current_password"' in client.get("/account").data.decode()
    refused = client.post("/account/password", data={"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert refused.status_code == 400


def test_admin_issues_a_sign_in_link_shown_once_and_audited(app, admin_client, people):
    target = people["sales"]
    page = admin_client.get("/admin/users").data.decode()
    assert f"/admin/users/{target.id}/link" in page
    issued = admin_client.post(f"/admin/users/{target.id}/link")
    assert issued.status_code == 200
    body = issued.data.decode()
    assert "sales@example.com" in body and "/login/link/abl_" in body
    link = re.search(r"(/login/link/abl_[\w-]+)", body).group(1)
    assert "/login/link/abl_" not in admin_client.get("/admin/users").data.decode()  # shown once
    assert app.test_client().post(link).status_code == 302
    with db(app) as s:
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "auth.signin_link_issued")).one()
        assert event.actor == "admin@example.com" and event.object_id == str(target.id)
        users.set_active(s, s.get(User, target.id), False, actor="test")
    assert admin_client.post(f"/admin/users/{target.id}/link").status_code == 400
    assert admin_client.post("/admin/users/999999/link").status_code == 404
    assert signed_in(app, people["curator"]).post(f"/admin/users/{target.id}/link").status_code == 403


def test_printed_links_use_public_url_or_say_the_address_is_a_default(app, runner, monkeypatch):
    monkeypatch.delenv("PORT", raising=False)
    monkeypatch.delenv("HOST", raising=False)
    guessed = runner.invoke(args=["users", "create", "erin@example.com", "--role", "sales"])
    assert "http://127.0.0.1:5000/login/link/abl_" in guessed.output
    assert "PUBLIC_URL" in guessed.output  # says how to get the right address
    app.config["PUBLIC_URL"] = "https://answers.example.com/"
    public = runner.invoke(args=["users", "link", "erin@example.com"])
    assert "https://answers.example.com/login/link/abl_" in public.output
    assert "PUBLIC_URL" not in public.output
