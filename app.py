"""Answerbank: `create_app()` builds the Flask app; `python app.py` serves it."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask


def _secret_key(instance: Path) -> str:
    """SECRET_KEY from the environment, else one generated once per instance folder."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app. Config: defaults, then `instance/config.py`, then the environment
    (`DATABASE_URL`, `SECRET_KEY`, `MAX_UPLOAD_MB`, `UPLOAD_RETENTION_DAYS`, `PUBLIC_URL`,
    `TRUSTED_PROXY_COUNT`, `SESSION_COOKIE_SECURE`, `SESSION_HOURS`);
    `test_config` replaces the last two steps."""
    app = Flask(__name__, instance_relative_config=True, template_folder="web/templates", static_folder="web/static")
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(
        DATABASE_URL=f"sqlite:///{instance / 'answerbank.db'}",
        UPLOAD_FOLDER=str(instance / "uploads"),
        MAX_UPLOAD_MB=25,
        UPLOAD_RETENTION_DAYS=365,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        for key in ("DATABASE_URL", "UPLOAD_FOLDER"):
            if os.environ.get(key):
                app.config[key] = os.environ[key]
        for key in ("MAX_UPLOAD_MB", "UPLOAD_RETENTION_DAYS", "TRUSTED_PROXY_COUNT", "SESSION_HOURS"):
            if os.environ.get(key):
                app.config[key] = int(os.environ[key])
        if os.environ.get("PUBLIC_URL"):
            app.config["PUBLIC_URL"] = os.environ["PUBLIC_URL"]
        if os.environ.get("SESSION_COOKIE_SECURE"):
            app.config["SESSION_COOKIE_SECURE"] = os.environ["SESSION_COOKIE_SECURE"].lower() in ("1", "true", "yes")
        if not app.config.get("SECRET_KEY"):
            app.config["SECRET_KEY"] = _secret_key(instance)
    else:
        app.config.from_mapping(test_config)
    # Flask enforces the request size; multipart overhead gets a little headroom.
    app.config["MAX_CONTENT_LENGTH"] = int(app.config["MAX_UPLOAD_MB"]) * 1024 * 1024 + 64 * 1024

    from answers import cli, db
    from web import register
    from web.common import BoundedIntConverter, overflow_error

    # before any route is added: every <int:...> id is bounded to 64 bits
    app.url_map.converters["int"] = BoundedIntConverter
    app.register_error_handler(OverflowError, overflow_error)
    db.init_app(app)
    cli.init_app(app)
    register(app)
    return app


if __name__ == "__main__":
    import sys

    from sqlalchemy.exc import OperationalError

    from answers.db import init_db, refused_message, schema_upgraded
    from answers.schema import SchemaUpgradeRefused

    application = create_app()
    try:
        loaded = init_db(application, demo_if_empty=True)
    except SchemaUpgradeRefused as exc:
        sys.exit(f"Not started. {exc}")
    except OperationalError as exc:
        sys.exit(f"Not started: {refused_message(exc, application.config['DATABASE_URL'])}.")
    for change in schema_upgraded(application):
        print(f"Upgraded the database: {change}")
    if loaded:
        print(f"Loaded the demo answer bank: {loaded} entries.")
    # bank vectors of the model this machine runs (after an upgrade or a move to a CPU
    # with or without int8 support the model name changes): computed now, not in the
    # first questionnaire's request
    import time

    from sqlmodel import Session

    from answers.db import get_engine
    from answers.suggest import ensure_vectors

    with application.app_context(), Session(get_engine(application)) as session:
        started = time.perf_counter()
        computed = ensure_vectors(session)
        session.commit()
    if computed:
        print(f"Computed {computed} bank vectors for matching in {time.perf_counter() - started:.1f} s.")
    from web.auth import first_run

    first_run(application, os.environ.get("ANSWERBANK_ADMIN_EMAIL", "admin@localhost"))
    application.run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "5000")))
