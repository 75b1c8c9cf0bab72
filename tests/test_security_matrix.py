"""Authorisation on every route: walk `app.url_map` and call every route with every method
it accepts as anonymous, as each role with a session cookie, and as each role with an API
token; compare the outcome with the route's rule in web.security.RULES."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from flask import Flask
from werkzeug.routing import IntegerConverter, Rule

from answers.models import Role
from app import create_app
from tests.auth_helpers import bearer, make_user, signed_in, token_for
from web.security import RULES, is_api_path

IDENTITIES = ["anonymous"] + [f"token:{r.value}" for r in Role] + [f"session:{r.value}" for r in Role]
RANK = {Role.sales: 1, Role.curator: 2, Role.admin: 3}


def make_app(tmp_path) -> Callable[[], Flask]:
    def build() -> Flask:
        return create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "test-secret",
                "DATABASE_URL": "sqlite://",
                "UPLOAD_FOLDER": str(tmp_path / "uploads"),
                "MAX_UPLOAD_MB": 5,
                "WTF_CSRF_ENABLED": False,
            }
        )

    return build


def path_for(rule: Rule) -> str:
    values: dict[str, object] = {}
    for name, converter in rule._converters.items():
        if rule.endpoint == "static":
            values[name] = "app.css"
        elif isinstance(converter, IntegerConverter):
            values[name] = 1
        else:
            values[name] = "x"
    built = rule.build(values)
    assert built is not None, rule.rule
    return built[1]


def outcome(response) -> str:
    if response.status_code == 302:
        location = urlsplit(response.headers["Location"])
        if location.path == "/login" and "next=" in location.query:
            return "login"
    if response.status_code in (401, 403):
        return str(response.status_code)
    if response.status_code >= 500:
        return "error"
    return "allowed"


def expected(endpoint: str, method: str, identity: str, api: bool) -> str:
    rule = RULES.get(endpoint)
    if rule is None:
        return "error"  # refused with a 500 that names the endpoint (testing mode)
    needed = rule.minimum(method)
    if needed is None:
        return "allowed"
    kind, _, role = identity.partition(":")
    # The API takes only bearer tokens; browser pages take only the session.
    authenticated = (kind == "token") if api else (kind == "session")
    if not authenticated:
        return "401" if api else "login"
    return "allowed" if RANK[Role(role)] >= RANK[needed] else "403"


def walk(build: Callable[[], Flask], only: str | None = None) -> list[str]:
    """Every problem found, one line each; empty when every route obeys its rule.
    `only`: request just the routes whose path starts with it (the rule check stays whole)."""
    problems = []
    template = build()
    for endpoint in sorted({r.endpoint for r in template.url_map.iter_rules()} - set(RULES)):
        problems.append(f"no access rule for endpoint {endpoint!r}")
    for rule in sorted(template.url_map.iter_rules(), key=lambda r: r.rule):
        path = path_for(rule)
        if only is not None and not path.startswith(only):
            continue
        api = is_api_path(path)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            app = build()  # a fresh database: POSTs of earlier rounds change nothing here
            people = {r.value: make_user(app, f"{r.value}@example.com", r) for r in Role}
            tokens = {name: token_for(app, user) for name, user in people.items()}
            for identity in IDENTITIES:
                kind, _, role = identity.partition(":")
                client = signed_in(app, people[role]) if kind == "session" else app.test_client()
                headers = bearer(tokens[role]) if kind == "token" else {}
                body = {"json": {}} if api else {"data": {}}
                response = client.open(path, method=method, headers=headers, **(body if method != "GET" else {}))
                response.close()  # static files are streamed from an open file
                got, want = outcome(response), expected(rule.endpoint, method, identity, api)
                if got != want:
                    status = response.status_code
                    problems.append(
                        f"{method} {path} ({rule.endpoint}) as {identity}: {status} -> {got}, expected {want}"
                    )
    return problems


def test_every_route_obeys_its_rule_for_every_identity(tmp_path):
    problems = walk(make_app(tmp_path))
    assert problems == []


def test_the_walk_covers_browser_pages_api_routes_and_public_routes(app):
    paths = {r.rule for r in app.url_map.iter_rules()}
    assert {"/", "/login", "/healthz", "/admin/users", "/api/v1/me", "/api/v1/audit"} <= paths
    assert any(RULES[r.endpoint].write is None and "POST" in (r.methods or ()) for r in app.url_map.iter_rules())


def test_every_rule_names_an_existing_endpoint(app):
    assert set(RULES) - {r.endpoint for r in app.url_map.iter_rules()} == set()


def test_a_route_without_a_rule_fails_the_walk_and_is_refused(tmp_path):
    base = make_app(tmp_path)

    def build() -> Flask:
        app = base()
        app.add_url_rule("/forgotten", "forgotten", lambda: "secret stuff")
        return app

    problems = walk(build, only="/forgotten")
    assert "no access rule for endpoint 'forgotten'" in problems
    # testing/debug: a 500 naming the endpoint; nobody, not even an admin, gets the content
    app = build()
    admin = make_user(app, "admin@example.com", Role.admin)
    response = signed_in(app, admin).get("/forgotten")
    assert response.status_code == 500
    assert b"no access rule for endpoint" in response.data and b"forgotten" in response.data
    assert b"secret stuff" not in response.data


def test_a_route_without_a_rule_is_403_in_production(tmp_path):
    app = make_app(tmp_path)()
    app.config["TESTING"] = False
    app.add_url_rule("/forgotten", "forgotten", lambda: "secret stuff")
    app.add_url_rule("/api/v1/forgotten", "api_forgotten", lambda: {"secret": 1})
    admin = make_user(app, "admin@example.com", Role.admin)
    client = signed_in(app, admin)
    response = client.get("/forgotten")
    assert response.status_code == 403 and b"secret stuff" not in response.data
    api = app.test_client().get("/api/v1/forgotten", headers=bearer(token_for(app, admin)))
    assert api.status_code == 403 and api.get_json() == {"error": "forbidden"}


def test_the_walk_reports_a_route_that_does_not_behave_as_its_rule_says(tmp_path, monkeypatch):
    from flask import abort

    from web.security import PUBLIC

    base = make_app(tmp_path)

    def build() -> Flask:
        app = base()
        app.add_url_rule("/says-public", "says_public", lambda: abort(403))
        return app

    monkeypatch.setitem(RULES, "says_public", PUBLIC)
    problems = walk(build, only="/says-public")
    assert "GET /says-public (says_public) as anonymous: 403 -> 403, expected allowed" in problems
    assert len([p for p in problems if "/says-public" in p]) == len(IDENTITIES)
