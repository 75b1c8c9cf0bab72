"""JSON API under /api/v1, plus /healthz."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from answers.db import get_session

bp = Blueprint("api", __name__)


@bp.get("/healthz")
def healthz():
    try:
        get_session().exec(text("SELECT 1"))  # type: ignore[call-overload]
    except SQLAlchemyError:
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


@bp.app_errorhandler(HTTPException)
def http_error(exc: HTTPException):
    """JSON errors for the API; the browser pages keep Flask's HTML error pages."""
    from flask import request

    if request.path.startswith("/api/"):
        return jsonify(error=exc.description), exc.code
    return exc
