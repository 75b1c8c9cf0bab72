"""Flask blueprints (thin views), templates and static files."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from web import api, pages

    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
