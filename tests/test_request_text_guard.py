"""NUL and lone surrogates are refused at the edge with a 400 naming the field, on SQLite
and on PostgreSQL (where NUL in a text column, like a lone surrogate anywhere, was a 500):
query arguments, form fields, uploaded file names and JSON bodies. Tabs and newlines pass."""

from __future__ import annotations

import io
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import func, select

from answers.db import get_engine
from answers.models import Item, Questionnaire, Role
from app import create_app
from tests.auth_helpers import bearer, db, make_user, signed_in, token_for
from tests.review_builders import load_bank, questionnaire_xlsx

API = "/api/v1"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def app(request, tmp_path):
    """The app on SQLite, then on a fresh PostgreSQL database (skipped with the reason
    when ANSWERBANK_TEST_POSTGRES_URL is not set)."""
    config = {"TESTING": True, "SECRET_KEY": "x", "UPLOAD_FOLDER": str(tmp_path / "up"), "WTF_CSRF_ENABLED": False}
    if request.param == "sqlite":
        yield create_app({**config, "DATABASE_URL": "sqlite://"})
        return
    server = request.getfixturevalue("postgres_url")
    name = f"answerbank_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        application = create_app({**config, "DATABASE_URL": server.rsplit("/", 1)[0] + "/" + name})
        yield application
        get_engine(application).dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def api(app):
    load_bank(app)
    user = make_user(app, "sales@example.com", Role.sales)
    return app.test_client(), bearer(token_for(app, user))


def _upload(api, filename="vendor.xlsx", **form):
    client, headers = api
    return client.post(
        f"{API}/questionnaires",
        data={**form, "file": (io.BytesIO(questionnaire_xlsx()), filename)},
        headers=headers,
    )


@pytest.fixture
def items(api):
    client, headers = api
    created = _upload(api)
    assert created.status_code == 201, created.json
    return client.get(f"{API}/questionnaires/{created.json['id']}/items", headers=headers).json["items"]


def _stored(app) -> int:
    with db(app) as s:
        return s.exec(select(func.count()).select_from(Questionnaire)).one()


@pytest.mark.parametrize(
    "form,filename,field",
    [({"customer": "ACME\x00Corp"}, "vendor.xlsx", "customer"), ({}, "ven\x00dor.xlsx", "file (file name)")],
)
def test_an_upload_with_nul_in_a_field_or_file_name_is_a_400(app, api, form, filename, field):
    response = _upload(api, filename, **form)
    assert response.status_code == 400
    assert response.json["error"].startswith(f"{field}: contains a NUL character")
    assert _stored(app) == 0


@pytest.mark.parametrize(
    "body,field,what",
    [
        (b'{"answer": "nul\\u0000here"}', "answer", "NUL"),
        (b'{"answer": "surrogate \\ud800 x"}', "answer", "unpaired surrogate (U+D800)"),
        (b'{"comment": "\\udfff"}', "comment", "unpaired surrogate (U+DFFF)"),
        (b'{"assignee": "a\\u0000@b.test", "status": "assigned"}', "assignee", "NUL"),
    ],
)
def test_a_patch_with_nul_or_a_lone_surrogate_is_a_400_naming_the_field(app, api, items, body, field, what):
    client, headers = api
    response = client.patch(
        f"{API}/items/{items[0]['id']}", data=body, headers={**headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json["error"].startswith(f"{field}: contains") and what in response.json["error"]
    with db(app) as s:
        assert s.get(Item, items[0]["id"]).answer in (None, "", items[0].get("answer"))


def test_tabs_and_newlines_still_pass(app, api, items):
    client, headers = api
    comment = "See:\tthe policy\n- audit\r\n- \u00e9t\u00e9 \U0001f512"
    body = {"answer": "Yes", "comment": comment}
    response = client.patch(f"{API}/items/{items[0]['id']}", json=body, headers=headers)
    assert response.status_code == 200, response.json
    with db(app) as s:
        assert s.get(Item, items[0]["id"]).comment == comment


def test_a_search_with_nul_in_the_query_is_a_400(app, api):
    client, headers = api
    response = client.get(f"{API}/entries?q=a%00b", headers=headers)
    assert response.status_code == 400
    assert response.json == {"error": "q: contains a NUL character (U+0000); remove it and try again"}


def test_a_nested_json_field_is_named_by_its_path(app):
    curator = make_user(app, "curator@example.com", Role.curator)
    body = b'{"question": "Q?", "answer": "Yes", "alternates": ["fine", "b\\u0000d"]}'
    response = app.test_client().post(
        f"{API}/entries", data=body, headers={**bearer(token_for(app, curator)), "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json["error"].startswith("alternates[1]: contains a NUL character")


def test_a_browser_form_with_nul_is_a_400_page(app):
    curator = signed_in(app, make_user(app, "curator@example.com", Role.curator))
    response = curator.get("/bank/?q=a%00b")
    assert response.status_code == 400
    assert "q: contains a NUL character" in response.get_data(as_text=True)
