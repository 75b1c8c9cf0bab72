"""The app the web benchmarks drive: a file SQLite database (or ``database_url``) and upload
folder in `tmp`."""

from __future__ import annotations

from flask import Flask

from app import create_app


def bench_app(tmp: str, *, max_upload_mb: int = 25, database_url: str | None = None) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            "DATABASE_URL": database_url or f"sqlite:///{tmp}/bench.db",
            "UPLOAD_FOLDER": f"{tmp}/uploads",
            "MAX_UPLOAD_MB": max_upload_mb,
            "WTF_CSRF_ENABLED": False,
        }
    )
