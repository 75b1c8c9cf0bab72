"""An expert finds the questions sent to them ("Assigned to me"), across questionnaires."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from answers import responding
from answers.models import Item, Questionnaire, Role
from tests.auth_helpers import bearer, db, make_user, signed_in, token_for
from tests.review_builders import questionnaire_xlsx, upload_id

EXPERT = "expert@example.com"


def _assign(app, questionnaire_id: int, question_id: str, assignee: str = EXPERT) -> int:
    with db(app) as s:
        item = s.exec(
            select(Item).where(Item.questionnaire_id == questionnaire_id, Item.question_id == question_id)
        ).one()
        responding.decide(item.id, responding.Decision(status="assigned", assignee=assignee), session=s, actor="t")
        return item.id


def _due(app, questionnaire_id: int, due: dt.date | None, name: str) -> None:
    with db(app) as s:
        q = s.get(Questionnaire, questionnaire_id)
        q.due_date, q.name = due, name
        s.add(q)
        s.commit()


def test_the_page_lists_the_questions_sent_to_me_soonest_due_first(app, reviewer):
    later = upload_id(reviewer, questionnaire_xlsx(), "later.xlsx")
    sooner = upload_id(reviewer, questionnaire_xlsx(), "sooner.xlsx")
    undated = upload_id(reviewer, questionnaire_xlsx(), "undated.xlsx")
    _due(app, later, dt.date(2027, 3, 1), "Later Corp")
    _due(app, sooner, dt.date(2027, 1, 15), "Sooner Inc")
    _due(app, undated, None, "Undated LLC")
    mine = [_assign(app, undated, "PHY-01"), _assign(app, later, "BCP-01"), _assign(app, sooner, "MFA-01")]
    _assign(app, sooner, "BCP-01", assignee="someone.else@example.com")

    expert = signed_in(app, make_user(app, EXPERT, Role.sales))
    page = expert.get("/assigned").get_data(as_text=True)
    assert "3 questions were sent to you" in page
    assert page.index("Sooner Inc") < page.index("Later Corp") < page.index("Undated LLC")
    assert f"/questionnaires/{sooner}?item={mine[2]}" in page and "2027-01-15" in page
    assert "How many parking spaces" in page  # the undated questionnaire's question, listed last
    # the home page counts them and links here
    home = expert.get("/").get_data(as_text=True)
    assert "3</strong><span>questions sent to you to answer" in home and 'href="/assigned"' in home


def test_an_answered_question_leaves_the_list_and_others_see_only_their_own(app, reviewer):
    qid = upload_id(reviewer, questionnaire_xlsx(), "q.xlsx")
    item_id = _assign(app, qid, "BCP-01")
    expert = signed_in(app, make_user(app, EXPERT, Role.sales))
    assert "1 question was sent to you" in expert.get("/assigned").get_data(as_text=True)
    # the reviewer sees nothing of the expert's list
    assert "No question is waiting for you" in reviewer.get("/assigned").get_data(as_text=True)
    with db(app) as s:
        responding.decide(item_id, responding.Decision(answer="No", status="accepted"), session=s, actor="t")
    page = expert.get("/assigned").get_data(as_text=True)
    assert "No question is waiting for you" in page and "business continuity" not in page


def test_the_list_stops_at_its_limit_and_counts_the_rest(app, reviewer):
    qid = upload_id(reviewer, questionnaire_xlsx(), "q.xlsx")
    for question_id in ("ENC-01", "MFA-01", "BCP-01"):
        _assign(app, qid, question_id)
    with db(app) as s:
        found = responding.assigned_to(EXPERT, session=s, limit=2)
    assert found.total == 3 and [item.question_id for item, _ in found.items] == ["ENC-01", "MFA-01"]


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/assigned")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_api_lists_them_too(app, reviewer):
    qid = upload_id(reviewer, questionnaire_xlsx(), "q.xlsx")
    _due(app, qid, dt.date(2027, 2, 1), "Acme")
    item_id = _assign(app, qid, "BCP-01")
    expert = make_user(app, EXPERT, Role.sales)
    body = app.test_client().get("/api/v1/assigned", headers=bearer(token_for(app, expert))).get_json()
    assert body["total"] == 1
    [item] = body["items"]
    assert (item["id"], item["status"], item["assignee"]) == (item_id, "assigned", EXPERT)
    assert item["questionnaire"] == {"id": qid, "name": "Acme", "customer": "", "due_date": "2027-02-01"}
    assert item["writable"] is True and "lock_version" in item
    other = make_user(app, "other@example.com", Role.sales)
    assert app.test_client().get("/api/v1/assigned", headers=bearer(token_for(app, other))).get_json() == {
        "total": 0,
        "items": [],
    }
    assert app.test_client().get("/api/v1/assigned").status_code == 401


def test_a_question_is_never_sent_to_nobody(app, reviewer):
    # "Send to expert" with the assignee box emptied (or blank) kept the status and
    # dropped the expert: the question waited in nobody's list
    qid = upload_id(reviewer, questionnaire_xlsx(), "q.xlsx")
    item_id = _assign(app, qid, "BCP-01")
    url = f"/questionnaires/{qid}/items/{item_id}"
    for body in ({"status": "assigned", "assignee": ""}, {"status": "assigned", "assignee": "  "}, {"assignee": ""}):
        r = reviewer.post(url, json=body, headers={"Accept": "application/json"})
        assert r.status_code == 400 and "needs an assignee" in r.get_json()["error"], body
    with db(app) as s:
        item = s.get(Item, item_id)
        assert (item.status, item.assignee) == ("assigned", EXPERT)
    fresh = _item_id(app, qid, "PHY-01")
    r = reviewer.post(
        f"/questionnaires/{qid}/items/{fresh}",
        json={"status": "assigned", "assignee": " "},
        headers={"Accept": "application/json"},
    )
    assert r.status_code == 400 and "needs an assignee" in r.get_json()["error"]
    # taking the question back from the expert is still one click
    r = reviewer.post(url, json={"status": "needs_review", "assignee": ""}, headers={"Accept": "application/json"})
    assert r.status_code == 200 and (r.get_json()["status"], r.get_json()["assignee"]) == ("needs_review", None)


def _item_id(app, questionnaire_id: int, question_id: str) -> int:
    with db(app) as s:
        return s.exec(
            select(Item.id).where(Item.questionnaire_id == questionnaire_id, Item.question_id == question_id)
        ).one()
