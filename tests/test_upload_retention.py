"""Retention: `flask purge` removes questionnaires older than UPLOAD_RETENTION_DAYS (stored
original, Questionnaire and Item rows) and keeps a verifiable audit trail."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlmodel import func, select

from answers import audit
from answers.models import AuditEvent, Item, Questionnaire, utcnow
from tests import upload_builders as b
from tests.auth_helpers import bearer, db, token_for
from tests.test_upload_files import accept_all_with, upload

API = "/api/v1"


@pytest.fixture
def headers(app, people):
    return bearer(token_for(app, people["sales"]))


def age(app, qid: int, days: float) -> None:
    with db(app) as s:
        q = s.get(Questionnaire, qid)
        q.uploaded_at = utcnow() - dt.timedelta(days=days)
        s.add(q)
        s.commit()


def stored(app) -> set[str]:
    folder = Path(app.config["UPLOAD_FOLDER"])
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def rows(app) -> tuple[set[int], int]:
    with db(app) as s:
        return set(s.exec(select(Questionnaire.id))), s.exec(select(func.count()).select_from(Item)).one()


@pytest.fixture
def two(app, client, headers):
    """An old questionnaire with accepted answers and a recent one."""
    old = upload(client, headers, b.xlsx(), "old.xlsx")
    accept_all_with(client, headers, old["id"], ["Yes", "No", "Yes", "Annual review by the CISO"])
    new = upload(client, headers, b.csv_questionnaire(), "new.csv")
    age(app, old["id"], 400)
    age(app, new["id"], 10)
    return old, new


def test_dry_run_lists_and_changes_nothing(app, runner, two):
    old, _new = two
    before = (rows(app), stored(app))
    with db(app) as s:
        events = s.exec(select(func.count()).select_from(AuditEvent)).one()
    result = runner.invoke(args=["purge", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert f"would purge questionnaire {old['id']} " in result.output
    assert "Dry run: 1 questionnaire(s) older than 365 days and 0 unconfirmed preview file(s); nothing deleted." in (
        result.output
    )
    assert (rows(app), stored(app)) == before
    with db(app) as s:
        assert s.exec(select(func.count()).select_from(AuditEvent)).one() == events


def test_purge_deletes_old_questionnaire_file_and_items_keeps_the_rest(app, runner, client, headers, two):
    old, new = two
    with db(app) as s:
        old_file = s.get(Questionnaire, old["id"]).stored_name
        new_file = s.get(Questionnaire, new["id"]).stored_name
        new_items = s.exec(select(func.count()).select_from(Item).where(Item.questionnaire_id == new["id"])).one()
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert "Purged 1 questionnaire(s) older than 365 days." in result.output
    assert rows(app) == ({new["id"]}, new_items)
    assert stored(app) == {new_file} and old_file not in stored(app)
    assert client.get(f"{API}/questionnaires/{old['id']}", headers=headers).status_code == 404
    assert client.get(f"{API}/questionnaires/{new['id']}/export", headers=headers).status_code == 200

    with db(app) as s:
        (event,) = [e for e in audit.events(s) if e.action == "questionnaire.purge"]
        assert (event.object_type, event.object_id, event.actor) == ("questionnaire", str(old["id"]), "cli")
        assert event.details["items"] == len(b.QUESTIONS) and event.details["file_deleted"] is True
        blob = json.dumps(event.details)
        for _qid, text in b.QUESTIONS:
            assert text not in blob
        assert "Annual review" not in blob and "old.xlsx" not in blob
        # the earlier events about the purged questionnaire are still there, chain intact
        assert any(e.action == "questionnaire.upload" and e.object_id == str(old["id"]) for e in audit.events(s))
    verify = runner.invoke(args=["audit", "verify"])
    assert verify.exit_code == 0 and "Audit trail intact" in verify.output

    again = runner.invoke(args=["purge"])
    assert "Purged 0 questionnaire(s)" in again.output


def test_retention_setting_and_override(app, runner, two):
    old, new = two
    app.config["UPLOAD_RETENTION_DAYS"] = 5
    result = runner.invoke(args=["purge", "--dry-run"])
    assert f"questionnaire {old['id']} " in result.output and f"questionnaire {new['id']} " in result.output
    result = runner.invoke(args=["purge", "--days", "500"])
    assert "Purged 0 questionnaire(s) older than 500 days." in result.output
    assert rows(app)[0] == {old["id"], new["id"]}
    bad = runner.invoke(args=["purge", "--days", "-1"])
    assert bad.exit_code == 2


def test_purge_when_the_file_is_already_gone(app, runner, two):
    old, _new = two
    with db(app) as s:
        name = s.get(Questionnaire, old["id"]).stored_name
    (Path(app.config["UPLOAD_FOLDER"]) / name).unlink()
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert old["id"] not in rows(app)[0]
    with db(app) as s:
        (event,) = [e for e in audit.events(s) if e.action == "questionnaire.purge"]
        assert event.details["file_deleted"] is False


def test_orphan_files_are_reported_not_silently_kept(app, runner, two):
    Path(app.config["UPLOAD_FOLDER"], "ab" * 16).write_bytes(b"left by a crash")
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0
    assert "1 stored file(s) belong to no questionnaire: " + "ab" * 16 in result.output


def test_purge_deletes_previews_nobody_confirmed_within_the_hour(app, runner):
    """A bank import's or learn's preview keeps the uploaded file (a customer's completed
    questionnaire) until it is confirmed; one nobody confirmed went only when someone next
    previewed a file. `flask purge` deletes those whose token has expired, and no other."""
    import os
    import time

    from answers import storage

    folder = storage.preview_folder(app.config["UPLOAD_FOLDER"])
    stale, fresh = folder / ("a" * 32), folder / ("b" * 32)
    for path in (stale, fresh):
        path.write_bytes(b"a completed questionnaire")
    hour_and_a_bit = time.time() - storage.PREVIEW_MAX_AGE - 60
    os.utime(stale, (hour_and_a_bit, hour_and_a_bit))
    dry = runner.invoke(args=["purge", "--dry-run"])
    assert "and 1 unconfirmed preview file(s); nothing deleted" in dry.output
    assert stale.exists()
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert "Deleted 1 unconfirmed import or learn preview file(s)" in result.output
    assert not stale.exists() and fresh.exists()
    assert storage.names(app.config["UPLOAD_FOLDER"]) == []  # previews are no stored questionnaires
    assert "belong to no questionnaire" not in result.output
