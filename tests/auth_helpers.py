"""Users, signed-in clients and API tokens for tests (loaded by conftest.py as a plugin).

Sessions are opened with `users.open_session` (a server-side row) and written into the
cookie with `session_transaction()`, which is exactly what a password login stores,
without paying for argon2 in every test."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from answers import users
from answers.db import get_engine
from answers.models import Role, User

PASSWORD = "correct horse battery staple"


def db(app: Flask) -> Session:
    return Session(get_engine(app), expire_on_commit=False)


def make_user(app: Flask, email: str, role: Role | str, *, password: str | None = None) -> User:
    with db(app) as s:
        user = users.create_user(s, email, role, actor="test")
        if password is not None:
            users.set_password(s, user, password)
        return user


def signed_in(
    app: Flask, user: User, client: FlaskClient | None = None, *, user_agent: str = "", ip: str = "127.0.0.1"
) -> FlaskClient:
    """A client whose session cookie belongs to `user`: a new session at the user's
    current epoch, as a sign-in opens it."""
    client = client or app.test_client()
    with db(app) as s:
        fresh = s.get(User, user.id)
        assert fresh is not None
        _row, secret = users.open_session(
            s, fresh, ip=ip, user_agent=user_agent, lifetime=app.permanent_session_lifetime
        )
        epoch = fresh.session_epoch
    with client.session_transaction() as sess:
        sess.clear()
        sess["uid"] = user.id
        sess["epoch"] = epoch
        sess["sid"] = secret
    return client


def token_for(app: Flask, user: User) -> str:
    with db(app) as s:
        _row, secret = users.issue_token(s, s.get(User, user.id), name="test")  # type: ignore[arg-type]
    return secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def people(app) -> dict[str, User]:
    """One user per role: sales@example.com, curator@example.com, admin@example.com."""
    return {role.value: make_user(app, f"{role.value}@example.com", role) for role in Role}


@pytest.fixture
def sales_client(app, people) -> FlaskClient:
    return signed_in(app, people["sales"])


@pytest.fixture
def curator_client(app, people) -> FlaskClient:
    return signed_in(app, people["curator"])


@pytest.fixture
def admin_client(app, people) -> FlaskClient:
    return signed_in(app, people["admin"])
