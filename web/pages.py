"""Browser pages."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlmodel import func, select

from answers.db import get_session
from answers.models import Entry, EntryStatus, Questionnaire

bp = Blueprint("pages", __name__)


@bp.get("/")
def home():
    session = get_session()
    entries = session.exec(select(func.count()).select_from(Entry).where(Entry.status == EntryStatus.approved)).one()
    questionnaires = session.exec(select(func.count()).select_from(Questionnaire)).one()
    return render_template("home.html", entries=entries, questionnaires=questionnaires)
