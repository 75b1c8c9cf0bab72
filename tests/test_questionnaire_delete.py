"""Deleting a questionnaire: the use case, the page (confirm step, CSRF form) and the API.

The uploader, a curator or an admin may delete; another sales user may not. Everything of
the questionnaire goes (items, decisions, import warnings, the stored original); bank
entries learned from it and the audit trail stay."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from sqlmodel import select

from answers import audit, bank, responding, storage
from answers.models import Entry, Item, Questionnaire, QuestionnaireWarning, Role
from tests.auth_helpers import bearer, db, make_user, signed_in, token_for
from tests.review_builders import load_bank, multipart, questionnaire_xlsx

API = "/api/v1"


@pytest.fixture
def uploader(app, people):
    load_bank(app)
    return signed_in(app, people["sales"])


def upload_page(client) -> int:
    r = client.post("/questionnaires/upload", **multipart(questionnaire_xlsx(), "vendor.xlsx", customer="Example U"))
    assert r.status_code == 303, r.get_data(as_text=True)
    return int(r.headers["Location"].rstrip("/").rsplit("/", 1)[-1])


def stored_files(app) -> list[str]:
    return storage.names(app.config["UPLOAD_FOLDER"])


def accept_first(client, qid: int) -> None:
    html = client.get(f"/questionnaires/{qid}").get_data(as_text=True)
    item_id = int(re.search(r'id="item-(\d+)"', html).group(1))  # type: ignore[union-attr]
    r = client.post(
        f"/questionnaires/{qid}/items/{item_id}", json={"status": "accepted"}, headers={"Accept": "application/json"}
    )
    assert r.status_code == 200, r.json


# --- the use case --------------------------------------------------------------------


def test_delete_removes_items_decisions_warnings_and_the_file_but_not_the_bank(app, uploader, people):
    qid = upload_page(uploader)
    accept_first(uploader, qid)
    with db(app) as s:
        s.add(QuestionnaireWarning(questionnaire_id=qid, position=0, text="no header row"))
        s.commit()
        entries_before = len(list(s.exec(select(Entry.id))))
        stored = s.get(Questionnaire, qid).stored_name  # type: ignore[union-attr]
    assert stored in stored_files(app)

    with db(app) as s:
        removed = responding.delete_questionnaire(
            qid, session=s, user=people["sales"], upload_folder=app.config["UPLOAD_FOLDER"], ip="10.0.0.9"
        )
    assert removed == 4
    with db(app) as s:
        assert s.get(Questionnaire, qid) is None
        assert list(s.exec(select(Item).where(Item.questionnaire_id == qid))) == []
        assert list(s.exec(select(QuestionnaireWarning).where(QuestionnaireWarning.questionnaire_id == qid))) == []
        assert len(list(s.exec(select(Entry.id)))) == entries_before  # the bank stays
        event = [e for e in audit.events(s) if e.action == "questionnaire.delete"][-1]
        assert event.actor == "sales@example.com" and event.ip == "10.0.0.9"
        assert event.object_id == str(qid)
        assert event.details["filename"] == "vendor.xlsx" and event.details["items"] == 4
        assert audit.verify(s) > 0
    assert stored not in stored_files(app)


def test_another_sales_user_may_not_delete_but_curators_and_admins_may(app, uploader, people):
    other = make_user(app, "other@example.com", Role.sales)
    qids = [upload_page(uploader) for _ in range(3)]
    with db(app) as s:
        with pytest.raises(responding.NotAllowed):
            responding.delete_questionnaire(qids[0], session=s, user=other, upload_folder=app.config["UPLOAD_FOLDER"])
        assert s.get(Questionnaire, qids[0]) is not None
        responding.delete_questionnaire(
            qids[1], session=s, user=people["curator"], upload_folder=app.config["UPLOAD_FOLDER"]
        )
        responding.delete_questionnaire(
            qids[2], session=s, user=people["admin"], upload_folder=app.config["UPLOAD_FOLDER"]
        )
        with pytest.raises(LookupError):
            responding.delete_questionnaire(
                qids[2], session=s, user=people["admin"], upload_folder=app.config["UPLOAD_FOLDER"]
            )
    assert len(stored_files(app)) == 1


def test_learned_bank_entries_stay_after_the_delete(app, uploader, people):
    """Answers proposed to the bank from a review are the bank's, not the questionnaire's."""
    qid = upload_page(uploader)
    html = uploader.get(f"/questionnaires/{qid}").get_data(as_text=True)
    last = int(re.findall(r'id="item-(\d+)"', html)[-1])
    r = uploader.post(
        f"/questionnaires/{qid}/items/{last}", data={"answer": "No", "comment": "none", "status": "accepted"}
    )
    assert r.status_code == 303
    assert uploader.post(f"/questionnaires/{qid}/propose").status_code == 303
    with db(app) as s:
        drafts = [e.id for e in bank.search(bank.SearchFilters(status="draft"), session=s).entries]
    assert drafts
    assert uploader.post(f"/questionnaires/{qid}/delete").status_code == 303
    with db(app) as s:
        assert all(s.get(Entry, i) is not None for i in drafts)


# --- pages ---------------------------------------------------------------------------


def test_the_review_page_offers_delete_behind_a_confirm_page_that_works_without_js(app, uploader):
    qid = upload_page(uploader)
    page = uploader.get(f"/questionnaires/{qid}").get_data(as_text=True)
    assert f'href="/questionnaires/{qid}/delete"' in page
    confirm = uploader.get(f"/questionnaires/{qid}/delete")
    assert confirm.status_code == 200
    html = confirm.get_data(as_text=True)
    assert "4 question(s)" in html and "cannot be undone" in html
    assert re.search(rf'<form method="post" action="/questionnaires/{qid}/delete">', html)
    assert 'name="csrf_token"' in html
    with db(app) as s:
        assert s.get(Questionnaire, qid) is not None  # the confirm page changes nothing

    r = uploader.post(f"/questionnaires/{qid}/delete")
    assert r.status_code == 303 and r.headers["Location"].endswith("/questionnaires/")
    listing = uploader.get("/questionnaires/").get_data(as_text=True)
    assert "Deleted vendor (4 question(s)" in listing
    assert f"/questionnaires/{qid}" not in listing


def test_a_deleted_questionnaires_pages_and_downloads_are_404(app, uploader):
    qid = upload_page(uploader)
    html = uploader.get(f"/questionnaires/{qid}").get_data(as_text=True)
    item_id = int(re.search(r'id="item-(\d+)"', html).group(1))  # type: ignore[union-attr]
    assert uploader.post(f"/questionnaires/{qid}/delete").status_code == 303
    for path in (
        f"/questionnaires/{qid}",
        f"/questionnaires/{qid}/export?format=original",
        f"/questionnaires/{qid}/export?format=report",
        f"/questionnaires/{qid}/delete",
        f"/questionnaires/{qid}/items/{item_id}/find",
    ):
        assert uploader.get(path).status_code == 404, path
    assert uploader.post(f"/questionnaires/{qid}/items/{item_id}", data={"status": "accepted"}).status_code == 404
    assert uploader.post(f"/questionnaires/{qid}/delete").status_code == 404


def test_another_sales_user_sees_no_delete_button_and_is_refused(app, uploader):
    qid = upload_page(uploader)
    other = signed_in(app, make_user(app, "other@example.com", Role.sales))
    assert f"/questionnaires/{qid}/delete" not in other.get(f"/questionnaires/{qid}").get_data(as_text=True)
    assert f"/questionnaires/{qid}/delete" not in other.get("/questionnaires/").get_data(as_text=True)
    assert f'href="/questionnaires/{qid}/delete"' in uploader.get("/questionnaires/").get_data(as_text=True)
    assert other.get(f"/questionnaires/{qid}/delete").status_code == 403
    assert other.post(f"/questionnaires/{qid}/delete").status_code == 403
    assert other.get(f"/questionnaires/{qid}").status_code == 200


def test_the_delete_form_needs_the_csrf_token(csrf_app, people):
    app = csrf_app
    user = make_user(app, "seller@example.com", Role.sales)
    client = signed_in(app, user)
    with db(app) as s:
        q = responding.ingest(
            questionnaire_xlsx(),
            "vendor.xlsx",
            session=s,
            actor=user.email,
            actor_id=user.id,
            upload_folder=csrf_app.config["UPLOAD_FOLDER"],
            max_bytes=5_000_000,
        )
    assert client.post(f"/questionnaires/{q.id}/delete").status_code == 400
    with db(app) as s:
        assert s.get(Questionnaire, q.id) is not None
    confirm = client.get(f"/questionnaires/{q.id}/delete").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', confirm).group(1)  # type: ignore[union-attr]
    assert client.post(f"/questionnaires/{q.id}/delete", data={"csrf_token": token}).status_code == 303
    with db(app) as s:
        assert s.get(Questionnaire, q.id) is None


# --- API -----------------------------------------------------------------------------


def test_api_delete_is_204_then_404(app, client, people):
    load_bank(app)
    headers = bearer(token_for(app, people["sales"]))
    r = client.post(
        f"{API}/questionnaires", data={"file": (io.BytesIO(questionnaire_xlsx()), "v.xlsx")}, headers=headers
    )
    assert r.status_code == 201
    qid = r.json["id"]
    r = client.delete(f"{API}/questionnaires/{qid}", headers=headers)
    assert r.status_code == 204 and r.get_data() == b""
    assert client.get(f"{API}/questionnaires/{qid}", headers=headers).status_code == 404
    assert client.get(f"{API}/questionnaires/{qid}/items", headers=headers).status_code == 404
    assert client.get(f"{API}/questionnaires/{qid}/export", headers=headers).status_code == 404
    r = client.delete(f"{API}/questionnaires/{qid}", headers=headers)
    assert r.status_code == 404 and "not found" in r.json["error"]
    assert client.delete(f"{API}/questionnaires/987654", headers=headers).status_code == 404
    assert stored_files(app) == []
    with db(app) as s:
        event = [e for e in audit.events(s) if e.action == "questionnaire.delete"][-1]
        assert event.details["filename"] == "v.xlsx" and event.ip == "127.0.0.1"


def test_api_delete_by_another_sales_user_is_403(app, client, people):
    owner = bearer(token_for(app, people["sales"]))
    other = bearer(token_for(app, make_user(app, "other@example.com", Role.sales)))
    r = client.post(f"{API}/questionnaires", data={"file": (io.BytesIO(questionnaire_xlsx()), "v.xlsx")}, headers=owner)
    qid = r.json["id"]
    r = client.delete(f"{API}/questionnaires/{qid}", headers=other)
    assert r.status_code == 403 and "uploaded" in r.json["error"]
    assert client.get(f"{API}/questionnaires/{qid}", headers=owner).status_code == 200
    assert (
        client.delete(f"{API}/questionnaires/{qid}", headers=bearer(token_for(app, people["curator"]))).status_code
        == 204
    )
    assert client.delete(f"{API}/questionnaires/{qid}").status_code == 401


def test_purge_still_removes_everything(app, uploader):
    """Retention shares the delete's list of dependent rows."""
    import datetime as dt

    from answers import retention

    qid = upload_page(uploader)
    with db(app) as s:
        s.add(QuestionnaireWarning(questionnaire_id=qid, position=0, text="w"))
        s.commit()
        done = retention.purge(
            s, days=0, upload_folder=app.config["UPLOAD_FOLDER"], now=dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
        )
        assert [e.id for e in done] == [qid]
        assert list(s.exec(select(QuestionnaireWarning))) == [] and list(s.exec(select(Item))) == []
    assert not list(Path(app.config["UPLOAD_FOLDER"]).iterdir())


def test_a_deleted_questionnaires_id_and_links_are_never_reused(app, uploader):
    """SQLite hands the highest id out again after a delete: the deleted questionnaire's
    link must not open the next upload."""
    qid = upload_page(uploader)
    html = uploader.get(f"/questionnaires/{qid}").get_data(as_text=True)
    item_ids = {int(x) for x in re.findall(r'id="item-(\d+)"', html)}
    assert uploader.post(f"/questionnaires/{qid}/delete").status_code == 303
    again = upload_page(uploader)
    assert again != qid
    assert uploader.get(f"/questionnaires/{qid}").status_code == 404
    html = uploader.get(f"/questionnaires/{again}").get_data(as_text=True)
    assert item_ids.isdisjoint(int(x) for x in re.findall(r'id="item-(\d+)"', html))


def test_a_save_on_a_questionnaire_deleted_meanwhile_says_so(app, uploader, people):
    # QA round 2: the reviewer's page showed Flask's "If you entered the URL manually..."
    qid = upload_page(uploader)
    html = uploader.get(f"/questionnaires/{qid}").get_data(as_text=True)
    item_id = int(re.search(r'id="item-(\d+)"', html).group(1))  # type: ignore[union-attr]
    other = signed_in(app, people["curator"])
    assert other.post(f"/questionnaires/{qid}/delete").status_code == 303
    r = uploader.post(
        f"/questionnaires/{qid}/items/{item_id}", json={"status": "accepted"}, headers={"Accept": "application/json"}
    )
    assert r.status_code == 404 and "this questionnaire was deleted" in r.json["error"], r.json
    assert r.json["gone"] == "questionnaire"
    r = uploader.post(f"/questionnaires/{qid}/items/{item_id}", data={"status": "accepted"})
    assert r.status_code == 404 and "this questionnaire was deleted" in r.get_data(as_text=True)
    assert "entered the URL manually" not in r.get_data(as_text=True)


def test_the_confirm_page_counts_the_questions_without_reading_them(app, uploader):
    """A 5,000-question file's confirm page read every row (about 1 s) to print one number."""
    from sqlalchemy import event

    from answers.db import get_engine

    qid = upload_page(uploader)
    statements: list[str] = []

    def one(_conn, _cursor, statement, *_args):
        statements.append(statement)

    engine = get_engine(app)
    event.listen(engine, "before_cursor_execute", one)
    try:
        html = uploader.get(f"/questionnaires/{qid}/delete").get_data(as_text=True)
    finally:
        event.remove(engine, "before_cursor_execute", one)
    assert "4 question(s)" in html
    assert not [sql for sql in statements if "item.text" in sql], statements
