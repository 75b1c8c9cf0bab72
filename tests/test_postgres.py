"""The same schema and demo bank work on PostgreSQL (production)."""

import uuid

import pytest
from sqlalchemy import text

from app import create_app

pytestmark = pytest.mark.postgres


def test_init_db_demo_on_postgres(postgres_url, tmp_path):
    from sqlalchemy import create_engine

    name = f"answerbank_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = postgres_url.rsplit("/", 1)[0] + "/" + name
    try:
        app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": url, "UPLOAD_FOLDER": str(tmp_path)})
        result = app.test_cli_runner().invoke(args=["init-db", "--demo"])
        assert result.exit_code == 0, result.output
        assert app.test_client().get("/healthz").get_json()["database"] == "ok"
        from answers.db import get_engine

        with get_engine(app).connect() as conn:
            assert conn.execute(text("select count(*) from entry")).scalar() >= 150
        get_engine(app).dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
