"""The app factory, configuration order, the first page and the health check."""

from app import create_app


def test_test_config_gives_isolated_in_memory_databases(tmp_path):
    a = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": "sqlite://", "UPLOAD_FOLDER": str(tmp_path)})
    b = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": "sqlite://", "UPLOAD_FOLDER": str(tmp_path)})
    from answers.db import init_db
    from tests.auth_helpers import make_user, signed_in

    assert init_db(a, demo=True) >= 150
    client = signed_in(b, make_user(b, "sales@example.com", "sales"))
    assert client.get("/").status_code == 200
    assert b"<strong>0</strong>" in client.get("/").data


def test_environment_overrides_instance_config(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    monkeypatch.setenv("SECRET_KEY", "from-env")
    monkeypatch.setenv("MAX_UPLOAD_MB", "7")
    app = create_app()
    assert app.config["DATABASE_URL"].endswith("env.db")
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["MAX_CONTENT_LENGTH"] >= 7 * 1024 * 1024


def test_home_page_is_friendly_html(sales_client):
    response = sales_client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert b"Answerbank" in response.data and b"Upload" in response.data
    assert b"sales@example.com" in response.data and b"Sign out" in response.data


def test_home_page_sends_anonymous_visitors_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_api_errors_are_json(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert "error" in response.get_json()
