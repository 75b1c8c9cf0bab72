"""The app the web benchmarks drive: a file SQLite database (or ``database_url``) and upload
folder in `tmp`."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from app import create_app

#: The HECVAT 4.1.2 blank of the shared corpus (331 questions): the upload and review benches' default.
HECVAT4_BLANK = (
    Path(__file__).resolve().parent.parent.parent
    / "shared"
    / "questionnaires"
    / "hecvat"
    / "D3c3pt1c0nCyber_HECVAT v4.1.2 blank (app-uploads 2a3f479).xlsx"
)


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
