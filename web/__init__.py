"""Flask blueprints (thin views), templates and static files."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from web import admin, api, auth, bank, inputs, learning, pages, questionnaires, security

    security.init_app(app)  # access rules, CSRF and headers: before any blueprint's own hooks
    app.before_request(inputs.refuse_unstorable_text)  # after sign-in: strangers get 401/302
    app.register_blueprint(pages.bp)
    app.register_blueprint(questionnaires.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(bank.bp)
    app.register_blueprint(learning.bp)
