"""Browser pages."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlmodel import func, select

from answers import responding
from answers.db import get_session
from answers.models import Entry, EntryStatus, Questionnaire
from web.security import current_user

bp = Blueprint("pages", __name__)


@bp.get("/")
def home():
    session = get_session()
    entries = session.exec(select(func.count()).select_from(Entry).where(Entry.status == EntryStatus.approved)).one()
    questionnaires = session.exec(select(func.count()).select_from(Questionnaire)).one()
    assigned = responding.assigned_count(current_user().email, session=session)
    return render_template("home.html", entries=entries, questionnaires=questionnaires, assigned=assigned)


@bp.get("/assigned")
def assigned():
    """The questions sent to the signed-in user as the expert, across questionnaires."""
    found = responding.assigned_to(current_user().email, session=get_session())
    return render_template("assigned.html", assignments=found)
