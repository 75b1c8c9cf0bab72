"""API tokens: shown once, stored hashed, revocable, last-used time; the token use audit."""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlmodel import select

from answers import audit, users
from answers.models import ApiToken, AuditEvent, User
from tests.auth_helpers import bearer, db, signed_in, token_for


def test_token_is_shown_once_and_stored_only_as_a_sha256_hash(app, sales_client):
    created = sales_client.post("/account/tokens", data={"name": "ci"})
    assert created.status_code == 201
    secret = created.data.decode().split('<code class="secret">')[1].split("</code>")[0]
    assert secret.startswith("ab_") and len(secret) >= 3 + 43  # 32 random bytes, urlsafe
    with db(app) as s:
        row = s.exec(select(ApiToken)).one()
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in row.token_hash and row.prefix == secret[:12]
    later = sales_client.get("/account").data.decode()
    assert secret not in later and row.prefix in later


def test_api_accepts_the_token_and_records_last_use_once_a_minute(app, people):
    secret = token_for(app, people["curator"])
    client = app.test_client()
    for _ in range(3):
        response = client.get("/api/v1/me", headers=bearer(secret))
        assert response.status_code == 200 and response.get_json() == {
            "email": "curator@example.com",
            "role": "curator",
        }
    with db(app) as s:
        row = s.exec(select(ApiToken)).one()
        used = list(s.exec(select(AuditEvent).where(AuditEvent.action == "token.used")))
        assert row.last_used_at is not None
        assert len(used) == 1 and used[0].object_id == str(row.id)
        # a minute later the next use is recorded again
        row.last_used_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=61)
        s.add(row)
        s.commit()
    client.get("/api/v1/me", headers=bearer(secret))
    with db(app) as s:
        assert len(list(s.exec(select(AuditEvent).where(AuditEvent.action == "token.used")))) == 2
        assert audit.verify(s) > 0


def test_revoked_or_wrong_tokens_get_401_json(app, people, sales_client):
    secret = token_for(app, people["sales"])
    api = app.test_client()
    assert api.get("/api/v1/me", headers=bearer(secret)).status_code == 200
    with db(app) as s:
        token_id = s.exec(select(ApiToken)).one().id
    assert sales_client.post(f"/account/tokens/{token_id}/revoke").status_code == 302
    revoked = api.get("/api/v1/me", headers=bearer(secret))
    assert revoked.status_code == 401 and "error" in revoked.get_json()
    assert revoked.headers["WWW-Authenticate"].startswith("Bearer")
    assert api.get("/api/v1/me", headers=bearer(secret[:-2] + "xx")).status_code == 401
    assert api.get("/api/v1/me", headers={"Authorization": f"Basic {secret}"}).status_code == 401
    assert api.get("/api/v1/me").get_json() == {"error": "authentication required: send Authorization: Bearer <token>"}


def test_a_user_cannot_revoke_someone_elses_token(app, people, sales_client):
    token_for(app, people["admin"])
    with db(app) as s:
        token_id = s.exec(select(ApiToken)).one().id
    assert sales_client.post(f"/account/tokens/{token_id}/revoke").status_code == 404
    with db(app) as s:
        assert s.get(ApiToken, token_id).revoked_at is None


def test_token_role_is_the_owners_role(app, people):
    api = app.test_client()
    sales = api.get("/api/v1/audit", headers=bearer(token_for(app, people["sales"])))
    assert sales.status_code == 403 and sales.get_json() == {"error": "this needs the admin role"}
    admin = api.get("/api/v1/audit", headers=bearer(token_for(app, people["admin"])))
    assert admin.status_code == 200 and admin.get_json()["total"] > 0


def test_a_token_does_not_open_browser_pages(app, people):
    response = app.test_client().get("/account", headers=bearer(token_for(app, people["admin"])))
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_tokens_of_a_deactivated_user_stop_working(app, people):
    secret = token_for(app, people["sales"])
    with db(app) as s:
        users.set_active(s, s.get(type(people["sales"]), people["sales"].id), False, actor="admin@example.com")
    assert app.test_client().get("/api/v1/me", headers=bearer(secret)).status_code == 401


def test_cli_users_token_prints_a_token_once(app, runner, people):
    result = runner.invoke(args=["users", "token", "curator@example.com"])
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    assert secret.startswith("ab_")
    assert app.test_client().get("/api/v1/me", headers=bearer(secret)).get_json()["email"] == "curator@example.com"
    missing = runner.invoke(args=["users", "token", "nobody@example.com"])
    assert missing.exit_code == 2 and "no user" in missing.output


def test_the_account_page_lists_api_tokens_not_sign_in_links(app, people):
    # QA web pass 3: the admin who signed in with the first-run link found it in their API
    # tokens table ("sign-in link abl_... revoked"): `prefix LIKE 'ab_%'` also matches
    # 'abl_...', "_" being SQL's any-one-character wildcard
    user = people["sales"]
    with db(app) as s:
        link = users.issue_signin_link(s, s.get(User, user.id))
        users.use_signin_link(s, link, link_hours=24)
        users.issue_token(s, s.get(User, user.id), name="ci")
        listed = users.list_tokens(s, s.get(User, user.id))
    assert [t.name for t in listed] == ["ci"]
    page = signed_in(app, user).get("/account").get_data(as_text=True)
    assert "sign-in link" not in page and "abl_" not in page
