"""Shared fixtures: an isolated app per test (in-memory SQLite), its client and CLI runner,
and the real questionnaire corpus from ../shared (skipped where absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app import create_app

# Signed-in clients per role (sales_client, curator_client, admin_client) and helpers;
# the review tests' reviewer (a sales client over the synthetic bank).
pytest_plugins = ["tests.auth_helpers", "tests.review_builders"]

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "questionnaires"


@pytest.fixture
def app(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": "sqlite://",
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
            "MAX_UPLOAD_MB": 5,
            "WTF_CSRF_ENABLED": False,
        }
    )
    yield app


@pytest.fixture
def csrf_app(tmp_path):
    """``app`` with CSRF protection on, as in production."""
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": "sqlite://",
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
            "WTF_CSRF_ENABLED": True,
        }
    )


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def session(app):
    from sqlmodel import Session

    from answers.db import get_engine

    with Session(get_engine(app), expire_on_commit=False) as s:
        yield s


@pytest.fixture
def corpus() -> Path:
    """The real questionnaires; skips the test where ../shared is not beside the checkout."""
    if not CORPUS.is_dir():
        pytest.skip(f"real questionnaires not available: {CORPUS} is absent")
    return CORPUS


@pytest.fixture
def postgres_url() -> str:
    url = os.environ.get("ANSWERBANK_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("PostgreSQL not available: set ANSWERBANK_TEST_POSTGRES_URL (.ci/run starts the local cluster)")
    return url


@pytest.fixture(scope="module", params=["lexical", "dense"])
def embedder(request):
    """The matcher's two modes for the matching rule tests (tests/matching_cases.py): the
    lexical fallback, and the MiniLM model when its package is installed."""
    if request.param == "lexical":
        return None
    from answers import embeddings

    emb = embeddings.load_embedder()
    if emb is None:
        pytest.skip("embedding packages not installed: lexical mode only")
    return emb


@pytest.fixture(params=["lexical", "dense"])
def suggest_mode(request, monkeypatch):
    """``answers.suggest`` in each matcher mode: the lexical fallback, and the installed
    model (skipped without it); the cached bank index dropped before and after."""
    from answers import suggest

    if request.param == "lexical":
        monkeypatch.setattr(suggest, "_embedder", None)
    elif suggest.embedder() is None:
        pytest.skip("embedding packages not installed: lexical mode only")
    suggest.invalidate()
    yield request.param
    suggest.invalidate()
