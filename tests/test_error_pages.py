"""Error pages in the app's own layout (QA web pass 3): a 404, 403, 405 or a refused
form showed Flask's bare stock page (no header, no way back, "If you entered the URL
manually please check your spelling" for a questionnaire a colleague deleted)."""

from __future__ import annotations

import re

from tests.auth_helpers import make_user, signed_in


def _in_the_layout(html: str, *, signed_in: bool = True) -> None:
    assert '<header class="top">' in html and 'href="/static/app.css"' in html
    assert ('href="/questionnaires/"' in html) is signed_in  # the navigation, for a way on
    assert "check your spelling" not in html


def test_a_missing_questionnaire_is_a_404_page_of_the_app(sales_client):
    response = sales_client.get("/questionnaires/987654")
    html = response.get_data(as_text=True)
    assert response.status_code == 404 and response.mimetype == "text/html"
    _in_the_layout(html)
    assert re.search(r"<h1>[^<]*not found", html, re.I)
    assert "deleted" in html  # what may have happened to it


def test_a_page_above_the_users_role_says_which_role_it_needs(sales_client):
    response = sales_client.get("/bank/new")
    html = response.get_data(as_text=True)
    assert response.status_code == 403
    _in_the_layout(html)
    assert "This page needs the curator role." in html


def test_a_wrong_method_keeps_its_allow_header(sales_client):
    response = sales_client.get("/questionnaires/1/accept")
    assert response.status_code == 405 and "POST" in response.headers["Allow"]
    _in_the_layout(response.get_data(as_text=True))


def test_a_page_error_before_sign_in_shows_no_navigation(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    _in_the_layout(response.get_data(as_text=True), signed_in=False)


def test_a_form_refused_by_csrf_says_what_to_do(csrf_app):
    app = csrf_app
    client = signed_in(app, make_user(app, "sales@example.com", "sales"))
    response = client.post("/account/tokens", data={"name": "ci"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    _in_the_layout(html)
    assert "CSRF" in html and "reload the page" in html.lower()


def test_api_and_script_errors_stay_json(sales_client):
    assert sales_client.get("/questionnaires/987654", headers={"Accept": "application/json"}).is_json
    assert sales_client.get("/api/v1/questionnaires/987654").status_code == 401  # bearer only, JSON
    assert sales_client.get("/api/v1/questionnaires/987654").is_json


def test_every_page_names_an_icon_that_exists(sales_client):
    # QA web pass 3: no icon, so every page load logged a 404 for /favicon.ico in the console
    html = sales_client.get("/").get_data(as_text=True)
    icon = re.search(r'<link rel="icon" href="([^"]+)"', html)
    assert icon, "no <link rel=icon>: the browser asks for /favicon.ico, which is a 404"
    response = sales_client.get(icon.group(1))
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    response.close()
