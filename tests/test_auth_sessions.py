"""Server-side login sessions: sign-out ends this browser's session only, a user sees and
ends their other sessions, sign out everywhere ends all, old and revoked cookies are
refused, last seen is written at most once a minute, dead sessions are pruned."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import event
from sqlmodel import select

from answers import audit, users
from answers.db import get_engine
from answers.models import AuditEvent, LoginSession, User, utcnow
from tests.auth_helpers import PASSWORD, bearer, db, make_user, signed_in, token_for
from web.auth import describe_browser

COOKIE = "answerbank_session"
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def _login(app, email: str, *, agent: str = FIREFOX, ip: str = "192.0.2.10"):
    client = app.test_client()
    response = client.post(
        "/login",
        data={"email": email, "password": PASSWORD},
        headers={"User-Agent": agent},
        environ_base={"REMOTE_ADDR": ip},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/"
    return client


def _rows(app, email: str = "seller@example.com") -> list[LoginSession]:
    with db(app) as s:
        user = users.get_by_email(s, email)
        return list(s.exec(select(LoginSession).where(LoginSession.user_id == user.id).order_by(LoginSession.id)))


def _actions(app) -> list[AuditEvent]:
    with db(app) as s:
        return list(s.exec(select(AuditEvent).order_by(AuditEvent.id)))


@pytest.fixture
def sales(app) -> User:
    return make_user(app, "seller@example.com", "sales", password=PASSWORD)


def test_signing_out_ends_this_browsers_session_only(app, sales):
    meeting_room, laptop = _login(app, sales.email), _login(app, sales.email, agent=SAFARI_IPHONE)
    copied = meeting_room.get_cookie(COOKIE).value
    assert meeting_room.post("/logout").status_code == 302
    assert meeting_room.get("/").status_code == 302
    assert laptop.get("/").status_code == 200  # the other session goes on
    replay = app.test_client()
    replay.set_cookie(COOKIE, copied)
    assert replay.get("/account").status_code == 302  # a copy of the signed-out cookie too
    first, second = _rows(app)
    assert first.revoked_at is not None and second.revoked_at is None
    logout = [e for e in _actions(app) if e.action == "auth.logout"]
    assert len(logout) == 1 and logout[0].details == {"session": first.id}


def test_the_account_page_lists_live_sessions_and_marks_this_one(app, sales):
    laptop = _login(app, sales.email, ip="192.0.2.10")
    _login(app, sales.email, agent=SAFARI_IPHONE, ip="198.51.100.7")
    ended = _login(app, sales.email, agent="curl/8.5.0")
    ended.post("/logout")
    make_user(app, "other@example.com", "sales", password=PASSWORD)
    _login(app, "other@example.com", agent="Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 Safari/537.36")
    page = laptop.get("/account").data.decode()
    assert "Firefox on Windows" in page and "Safari on iPhone" in page
    assert "192.0.2.10" in page and "198.51.100.7" in page
    assert "curl" not in page.split("<h2>Sessions</h2>")[1]  # signed out: not listed
    assert "Chrome on Linux" not in page  # another user's session
    assert page.count("(this session)") == 1
    sessions = page.split("<h2>Sessions</h2>")[1].split("</table>")[0]
    first = sessions.split("<tbody>")[1].split("</tr>")[0]
    assert "(this session)" in first and "Firefox on Windows" in first  # listed first
    mine = _rows(app)
    assert f"/account/sessions/{mine[0].id}/end" in page and f"/account/sessions/{mine[1].id}/end" in page


def test_signing_in_again_in_the_same_browser_ends_its_previous_session(app, sales, people):
    client = _login(app, sales.email)
    other = _login(app, sales.email)
    again = client.post("/login", data={"email": sales.email, "password": PASSWORD})
    assert again.status_code == 302
    assert client.get("/account").data.decode().count("/end") == 2  # this one and `other`
    with db(app) as s:
        users.set_password(s, users.get_by_email(s, "admin@example.com"), PASSWORD)
    as_admin = client.post("/login", data={"email": "admin@example.com", "password": PASSWORD})
    assert as_admin.status_code == 302
    assert client.get("/admin/users").status_code == 200
    assert [r.revoked_at is None for r in _rows(app)] == [True]  # only `other` is left
    assert other.get("/").status_code == 200


def test_a_user_ends_another_of_their_sessions(app, sales):
    laptop, shared_pc = _login(app, sales.email), _login(app, sales.email)
    pc_row = _rows(app)[1]
    response = laptop.post(f"/account/sessions/{pc_row.id}/end")
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    assert shared_pc.get("/").status_code == 302
    assert laptop.get("/").status_code == 200
    ended = [e for e in _actions(app) if e.action == "auth.session_ended"]
    assert len(ended) == 1
    assert ended[0].object_type == "session" and ended[0].object_id == str(pc_row.id)
    assert ended[0].actor == sales.email and ended[0].details["signed_in_from"] == "192.0.2.10"
    # ending it again changes nothing and audits nothing
    assert laptop.post(f"/account/sessions/{pc_row.id}/end").status_code == 302
    assert len([e for e in _actions(app) if e.action == "auth.session_ended"]) == 1


def test_ending_this_sessions_own_row_signs_it_out(app, sales):
    client, other = _login(app, sales.email), _login(app, sales.email)
    own = _rows(app)[0]
    response = client.post(f"/account/sessions/{own.id}/end")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert client.get("/").status_code == 302
    assert other.get("/").status_code == 200


def test_a_user_cannot_end_another_users_session(app, sales, people):
    victim = signed_in(app, people["curator"])
    victim_row = _rows(app, "curator@example.com")[0]
    attacker = _login(app, sales.email)
    response = attacker.post(f"/account/sessions/{victim_row.id}/end")
    assert response.status_code == 404
    assert attacker.post("/account/sessions/999999/end").status_code == 404
    assert victim.get("/").status_code == 200
    assert _rows(app, "curator@example.com")[0].revoked_at is None
    assert not [e for e in _actions(app) if e.action == "auth.session_ended"]


def test_ending_a_session_needs_the_csrf_token(csrf_app):
    app = csrf_app
    user = make_user(app, "seller@example.com", "sales")
    client, other = signed_in(app, user), signed_in(app, user)
    target = _rows(app)[1].id
    assert client.post(f"/account/sessions/{target}/end").status_code == 400
    assert other.get("/").status_code == 200
    page = client.get("/account").data.decode()
    token = re.search(
        rf'/account/sessions/{target}/end">\s*<input type="hidden" name="csrf_token" value="([^"]+)"', page
    )
    assert token is not None
    assert client.post(f"/account/sessions/{target}/end", data={"csrf_token": token.group(1)}).status_code == 302
    assert other.get("/").status_code == 302


def test_ending_a_session_needs_post(app, sales):
    client = _login(app, sales.email)
    assert client.get(f"/account/sessions/{_rows(app)[0].id}/end").status_code == 405


def test_sign_out_everywhere_ends_every_session_and_revokes_the_rows(app, sales, people):
    laptop, phone = _login(app, sales.email), _login(app, sales.email)
    colleague = signed_in(app, people["curator"])
    assert laptop.post("/logout-everywhere").status_code == 302
    assert laptop.get("/").status_code == 302 and phone.get("/").status_code == 302
    assert colleague.get("/").status_code == 200
    assert all(r.revoked_at is not None for r in _rows(app))
    event_ = next(e for e in _actions(app) if e.action == "auth.logout_everywhere")
    assert event_.details == {"sessions_ended": 2}
    again = _login(app, sales.email)
    assert again.get("/").status_code == 200 and again.get("/account").data.decode().count("/end") == 1


def test_a_cookie_from_before_server_side_sessions_is_refused(app, sales):
    """Cookies issued before this change hold only the user id and epoch."""
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["uid"] = sales.id
        sess["epoch"] = 1  # the user's current epoch (one password set)
    response = client.get("/account")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert client.get_cookie(COOKIE) is None  # cleared, not kept for the next request
    assert client.get("/login").status_code == 200  # the login page shows, no loop


@pytest.mark.parametrize("sid", [12345, None, "", "x" * 500, ["a"], "not-a-session-secret-at-all"])
def test_a_cookie_with_a_bad_session_secret_is_refused(app, sales, sid):
    client = app.test_client()
    with client.session_transaction() as sess:
        sess.update(uid=sales.id, epoch=1, sid=sid)
    assert client.get("/account").status_code == 302


def test_a_session_secret_only_works_for_its_own_user(app, sales, people):
    client = _login(app, sales.email)
    with client.session_transaction() as sess:
        sess["uid"] = people["admin"].id
        sess["epoch"] = 0
    assert client.get("/admin/users").status_code == 302


def test_a_revoked_session_is_refused_even_after_its_row_is_pruned(app, sales):
    client = _login(app, sales.email)
    copied = client.get_cookie(COOKIE).value
    client.post("/logout")
    replay = app.test_client()
    replay.set_cookie(COOKIE, copied)
    assert replay.get("/").status_code == 302
    _login(app, sales.email)  # a sign-in prunes the revoked row
    assert len(_rows(app)) == 1
    replay.set_cookie(COOKIE, copied)
    assert replay.get("/").status_code == 302


def test_an_idle_session_expires_on_the_server(app, sales):
    """The cookie's own signature is fresh (it is re-signed per request); the row says
    nobody used the session for longer than SESSION_HOURS."""
    client = _login(app, sales.email)
    with db(app) as s:
        row = s.exec(select(LoginSession)).one()
        row.last_seen_at = utcnow() - dt.timedelta(hours=12, minutes=1)
        s.add(row)
        s.commit()
    assert client.get("/").status_code == 302


def test_last_seen_is_written_at_most_once_a_minute(app, sales):
    client = _login(app, sales.email)
    updates: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().upper().startswith("UPDATE LOGINSESSION"):
            updates.append(statement)

    event.listen(get_engine(app), "before_cursor_execute", count)
    try:
        for _ in range(5):
            assert client.get("/").status_code == 200
        assert updates == []  # signed in seconds ago: no write per request
        with db(app) as s:
            row = s.exec(select(LoginSession)).one()
            row.last_seen_at = utcnow() - dt.timedelta(seconds=61)
            s.add(row)
            s.commit()
        updates.clear()
        for _ in range(3):
            assert client.get("/").status_code == 200
        assert len(updates) == 1
    finally:
        event.remove(get_engine(app), "before_cursor_execute", count)
    seen = users.aware(_rows(app)[0].last_seen_at)
    assert utcnow() - seen < dt.timedelta(seconds=30)


def test_check_session_refreshes_last_seen_only_after_a_minute(app, sales, session):
    user = session.get(User, sales.id)
    lifetime = dt.timedelta(hours=12)
    t0 = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
    row, secret = users.open_session(session, user, ip=None, user_agent=None, lifetime=lifetime, now=t0)

    def check(at: dt.datetime):
        return users.check_session(
            session, secret, user_id=user.id, epoch=user.session_epoch, lifetime=lifetime, now=at
        )

    assert check(t0 + dt.timedelta(seconds=59)) is not None
    assert users.aware(row.last_seen_at) == t0
    assert check(t0 + dt.timedelta(seconds=60)) is not None
    assert users.aware(row.last_seen_at) == t0 + dt.timedelta(seconds=60)
    # idle: measured from the last refresh
    assert check(t0 + dt.timedelta(seconds=60) + lifetime) is not None
    assert check(t0 + dt.timedelta(seconds=60) + lifetime * 2 + dt.timedelta(seconds=1)) is None


def test_a_sign_in_prunes_revoked_and_idle_sessions_of_every_user(app, sales, people):
    live = _login(app, sales.email)
    signed_in(app, people["curator"])
    ended = _login(app, sales.email)
    ended.post("/logout")
    with db(app) as s:
        idle = s.exec(select(LoginSession).join(User).where(User.email == "curator@example.com")).one()
        idle.last_seen_at = utcnow() - dt.timedelta(hours=13)
        s.add(idle)
        s.commit()
    with db(app) as s:
        assert len(s.exec(select(LoginSession)).all()) == 3
    _login(app, sales.email)
    with db(app) as s:
        left = s.exec(select(LoginSession)).all()
    assert len(left) == 2 and all(r.revoked_at is None and r.user_id == sales.id for r in left)
    assert live.get("/").status_code == 200


def test_a_password_change_revokes_the_other_sessions_and_keeps_this_browser_signed_in(app, sales):
    here, elsewhere = _login(app, sales.email), _login(app, sales.email)
    before = _rows(app)
    new = "a brand new passphrase"
    form = {"current_password": PASSWORD, "password": new, "password_again": new}
    assert here.post("/account/password", data=form).status_code == 302
    assert elsewhere.get("/").status_code == 302
    page = here.get("/account").data.decode()
    assert page.count("(this session)") == 1 and page.count("/end") == 1  # a new session, the only one
    old_ids = {r.id for r in before}
    # the two revoked rows were pruned when this browser's new one opened, whose id is new
    # (not the freed 1: ids are named in the audit trail)
    (row,) = _rows(app)
    assert row.revoked_at is None and row.id not in old_ids
    event_ = [e for e in _actions(app) if e.action == "user.password_set"][-1]
    assert event_.details == {"sessions_ended": 2}


def test_deactivation_revokes_every_session(app, sales, admin_client):
    a, b = _login(app, sales.email), _login(app, sales.email)
    assert admin_client.post(f"/admin/users/{sales.id}/active", data={"active": "0"}).status_code == 302
    assert a.get("/").status_code == 302 and b.get("/").status_code == 302
    assert all(r.revoked_at is not None for r in _rows(app))
    event_ = next(e for e in _actions(app) if e.action == "user.deactivated")
    assert event_.details["sessions_ended"] == 2
    # reactivated: the old sessions stay ended
    assert admin_client.post(f"/admin/users/{sales.id}/active", data={"active": "1"}).status_code == 302
    assert a.get("/").status_code == 302


def test_session_events_keep_the_audit_chain_verifiable(app, sales, runner):
    one, two, three = _login(app, sales.email), _login(app, sales.email), _login(app, sales.email)
    rows = _rows(app)
    one.post(f"/account/sessions/{rows[1].id}/end")
    one.post("/logout")
    three.post("/logout-everywhere")
    actions = [e.action for e in _actions(app)]
    assert actions[-6:] == [
        "auth.login",
        "auth.login",
        "auth.login",
        "auth.session_ended",
        "auth.logout",
        "auth.logout_everywhere",
    ]
    assert two.get("/").status_code == 302
    with db(app) as s:
        assert audit.verify(s) == len(actions)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output


def test_the_session_secret_is_stored_only_as_its_sha256(app, sales):
    client = _login(app, sales.email)
    with client.session_transaction() as sess:
        secret = sess["sid"]
    row = _rows(app)[0]
    assert secret not in row.secret_hash and len(row.secret_hash) == 64
    assert re.fullmatch(r"[0-9a-f]{64}", row.secret_hash)
    assert row.secret_hash == users._digest(secret)


def test_a_long_user_agent_is_truncated(app, sales):
    _login(app, sales.email, agent="Mozilla/5.0 " + "x" * 2000)
    assert len(_rows(app)[0].user_agent) == users.USER_AGENT_CHARS


@pytest.mark.parametrize(
    ("agent", "label"),
    [
        (FIREFOX, "Firefox on Windows"),
        (SAFARI_IPHONE, "Safari on iPhone"),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36",
            "Chrome on macOS",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            "Edge on Windows",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox on Linux"),
        ("curl/8.5.0", "curl"),
        ("python-requests/2.32.3", "python-requests"),
        ("Mozilla/5.0 (compatible; SomethingNew)", "Unknown browser"),
        ("", "Unknown browser"),
        (None, "Unknown browser"),
    ],
)
def test_describe_browser_names_common_browsers(agent, label):
    assert describe_browser(agent) == label


# -- an admin ends another user's sessions -------------------------------------------


def test_an_admin_ends_every_session_of_a_user_who_stays_active(app, sales, people):
    laptop, phone = _login(app, sales.email), _login(app, sales.email)
    secret = token_for(app, sales)
    admin = signed_in(app, people["admin"])
    page = admin.get("/admin/users").data.decode()
    row = page[page.index("seller@example.com") :].split("</tr>")[0]
    assert "2 browsers" in row and f"/admin/users/{sales.id}/sessions/end" in row

    ended = admin.post(f"/admin/users/{sales.id}/sessions/end", follow_redirects=True)
    assert ended.status_code == 200 and "Ended 2 sessions of seller@example.com." in ended.data.decode()
    assert laptop.get("/").status_code == 302 and phone.get("/").status_code == 302
    assert all(r.revoked_at is not None for r in _rows(app))
    assert admin.get("/").status_code == 200  # the admin's own session goes on
    assert app.test_client().get("/api/v1/me", headers=bearer(secret)).status_code == 200
    event_ = next(e for e in _actions(app) if e.action == "user.sessions_ended")
    assert (event_.actor, event_.object_id) == ("admin@example.com", str(sales.id))
    assert event_.details == {"email": "seller@example.com", "sessions_ended": 2}
    assert _login(app, sales.email).get("/").status_code == 200  # the account still signs in
    row = admin.get("/admin/users").data.decode().split("seller@example.com", 1)[1].split("</tr>")[0]
    assert "1 browser" in row


def test_only_admins_end_other_users_sessions(app, sales, people):
    laptop = _login(app, sales.email)
    curator = signed_in(app, people["curator"])
    assert curator.post(f"/admin/users/{sales.id}/sessions/end").status_code == 403
    assert laptop.get("/").status_code == 200
    admin = signed_in(app, people["admin"])
    assert admin.post("/admin/users/999999/sessions/end").status_code == 404
    assert admin.get(f"/admin/users/{sales.id}/sessions/end").status_code == 405
