"""Numbers past 64 bits (or past what a date can hold) are a 4xx, never a 500 OverflowError."""

from __future__ import annotations

import pytest

from tests.auth_helpers import bearer, token_for
from tests.test_upload_bad_input import post_file
from web.security import PUBLIC, RULES

HUGE = "99999999999999999999999"


@pytest.fixture
def api_headers(app, people):
    return bearer(token_for(app, people["curator"]))


@pytest.mark.parametrize(
    "path", [f"/api/v1/questionnaires/{HUGE}", f"/api/v1/questionnaires/{HUGE}/items", f"/api/v1/entries/{HUGE}"]
)
def test_api_ids_past_64_bits_are_json_404(client, api_headers, path):
    response = client.get(path, headers=api_headers)
    assert response.status_code == 404
    assert "error" in response.get_json()


def test_patch_item_with_a_huge_entry_id_is_400(client, api_headers):
    csv = b"ID,Question,Answer\nQ1,Do you encrypt customer data at rest?,\n"
    created = post_file(client, "/api/v1/questionnaires", csv, "q.csv", api_headers)
    assert created.status_code == 201, created.get_json()
    items = client.get(f"/api/v1/questionnaires/{created.get_json()['id']}/items", headers=api_headers).get_json()
    item_id = (items["items"] if isinstance(items, dict) else items)[0]["id"]
    response = client.patch(f"/api/v1/items/{item_id}", json={"entry_id": int(HUGE)}, headers=api_headers)
    assert response.status_code == 400
    assert "entry_id" in response.get_json()["error"]


def test_api_entries_huge_page_is_not_a_500(client, api_headers):
    assert client.get(f"/api/v1/entries?page={HUGE}", headers=api_headers).status_code == 400
    response = client.get("/api/v1/entries?page=9223372036854775807", headers=api_headers)
    assert response.status_code == 200 and response.get_json()["entries"] == []


@pytest.mark.parametrize(
    "path",
    [
        "/bank/?page=99999999999999999999",
        "/bank/due?days=99999999999",
        "/bank/coverage?days=99999999999",
        f"/bank/{HUGE}",
        f"/questionnaires/{HUGE}",
    ],
)
def test_pages_with_huge_numbers_are_not_a_500(curator_client, path):
    assert curator_client.get(path).status_code in (200, 404)


def test_an_overflow_anywhere_else_is_a_400(app, client, api_headers, monkeypatch):
    monkeypatch.setitem(RULES, "_overflow", PUBLIC)
    monkeypatch.setitem(RULES, "_overflow_page", PUBLIC)

    @app.get("/api/v1/_overflow")
    def _overflow():
        raise OverflowError("Python int too large to convert to SQLite INTEGER")

    @app.get("/_overflow")
    def _overflow_page():
        raise OverflowError("date value out of range")

    response = client.get("/api/v1/_overflow", headers=api_headers)
    assert response.status_code == 400 and response.get_json() == {"error": "a number in the request is out of range"}
    page = client.get("/_overflow")
    assert page.status_code == 400 and page.mimetype == "text/html"
