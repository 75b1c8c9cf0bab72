"""The questionnaire list (page and API): counts from SQL aggregates, the same figures the
items give one by one, and paging (QA round 2: 305 questionnaires took 10 s to list)."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session

from answers import responding
from answers.db import get_engine
from answers.models import Role
from tests.auth_helpers import bearer, make_user, signed_in, token_for
from tests.review_builders import load_bank, questionnaire_xlsx
from tests.test_item_writability import ingest, item_ids, merged_xlsx

API = "/api/v1"


@pytest.fixture
def several(app):
    """Four questionnaires: one with a question sharing a merged answer cell (not
    writable), in various states of review."""
    load_bank(app)
    ids = [ingest(app, merged_xlsx()), ingest(app, questionnaire_xlsx()), ingest(app, merged_xlsx())]
    ids.append(ingest(app, questionnaire_xlsx()))
    first, second = item_ids(app, ids[0]), item_ids(app, ids[1])
    with Session(get_engine(app), expire_on_commit=False) as s:
        decide = responding.decide
        decide(first[0], responding.Decision(answer="Yes", status="accepted"), session=s, actor="t")
        decide(first[1], responding.Decision(status="needs_review"), session=s, actor="t")
        decide(first[3], responding.Decision(assignee="x@example.com", status="assigned"), session=s, actor="t")
        decide(second[3], responding.Decision(answer="No", status="accepted"), session=s, actor="t")
        responding.accept_all(ids[2], session=s, actor="t", min_tier="review")
    return ids


def test_list_counts_equal_the_counts_of_the_items_one_by_one(app, several):
    with Session(get_engine(app)) as s:
        questionnaires = [responding.get_questionnaire(i, session=s) for i in several]
        responding._UNWRITABLE.clear()  # counted cold, as after a restart
        counted = responding.progress_of(questionnaires, session=s)
        for questionnaire_id in several:
            one_by_one = responding.progress(responding.list_items(questionnaire_id, session=s))
            assert counted[questionnaire_id] == one_by_one, questionnaire_id
    assert any(p.not_writable for p in counted.values()) and any(p.answered for p in counted.values())


def test_the_api_list_pages_with_limit_and_offset_and_says_the_total(app, client, several):
    headers = bearer(token_for(app, make_user(app, "sales@example.com", Role.sales)))
    everything = client.get(f"{API}/questionnaires", headers=headers).json
    assert [q["id"] for q in everything["questionnaires"]] == several and everything["total"] == 4
    with Session(get_engine(app)) as s:
        for q in everything["questionnaires"]:
            p = responding.progress(responding.list_items(q["id"], session=s))
            assert q["counts"] == {
                "questions": p.total,
                "answered": p.answered,
                "needs_review": p.needs_review,
                "empty": p.empty,
                "not_writable": p.not_writable,
                "by_tier": p.by_tier,
            }
    page = client.get(f"{API}/questionnaires?limit=2&offset=1", headers=headers).json
    assert [q["id"] for q in page["questionnaires"]] == several[1:3]
    assert (page["total"], page["limit"], page["offset"]) == (4, 2, 1)
    assert page["questionnaires"] == everything["questionnaires"][1:3]
    for bad in ("limit=0", "limit=1001", "limit=x", "offset=-1"):
        r = client.get(f"{API}/questionnaires?{bad}", headers=headers)
        assert r.status_code == 400 and r.json["error"].startswith(bad.split("=")[0]), bad


def test_the_list_page_pages_newest_first(app, several, monkeypatch):
    from web import questionnaires as page_module

    monkeypatch.setattr(page_module, "PER_PAGE", 3)
    client = signed_in(app, make_user(app, "sales@example.com", Role.sales))
    first = client.get("/questionnaires/").get_data(as_text=True)
    second = client.get("/questionnaires/?page=2").get_data(as_text=True)
    links = re.compile(r'href="/questionnaires/(\d+)"')
    assert [int(i) for i in links.findall(first)] == several[::-1][:3]
    assert [int(i) for i in links.findall(second)] == several[:1]
    assert "page 1 of 2" in first and "page 2 of 2" in second and "4 questionnaires" in first
    assert "page 2 of 2" in client.get("/questionnaires/?page=99").get_data(as_text=True)
    with Session(get_engine(app)) as s:
        p = responding.progress(responding.list_items(several[0], session=s))
    assert f"{p.answered} answered · {p.needs_review} to decide · {p.empty} empty" in second
