"""`GET /api/v1/questionnaires/<id>/items` in pages: ``page``/``per_page`` with totals and
links, the review page's filters, every bad parameter a 400 with a JSON error, and the
unpaged list kept for clients written before paging."""

from __future__ import annotations

import io

import pytest

from answers import responding
from answers.models import Role
from tests.auth_helpers import bearer, db, make_user, token_for
from tests.review_builders import load_bank
from tests.test_review_paging import two_sheet_xlsx
from web.api import MAX_ITEMS_PER_PAGE

API = "/api/v1/questionnaires"


@pytest.fixture
def api(app, client):
    load_bank(app)
    return client, bearer(token_for(app, make_user(app, "sales@example.com", Role.sales)))


@pytest.fixture
def big(app, api):
    """A 130-question questionnaire: its id and item ids in position order."""
    client, headers = api
    data = {"file": (io.BytesIO(two_sheet_xlsx(65)), "big.xlsx")}
    r = client.post(API, data=data, headers=headers)
    assert r.status_code == 201, r.json
    with db(app) as s:
        return r.json["id"], [i.id for i in responding.list_items(r.json["id"], session=s)]


def get(api, url: str):
    client, headers = api
    return client.get(url, headers=headers)


def test_without_paging_every_item_comes_in_order_with_the_total(api, big):
    qid, ids = big
    r = get(api, f"{API}/{qid}/items")
    assert r.status_code == 200
    assert [i["id"] for i in r.json["items"]] == ids
    assert r.json["total"] == 130
    assert "Link" not in r.headers


def test_following_next_links_yields_every_item_once_in_order(api, big):
    qid, ids = big
    url, seen, pages = f"{API}/{qid}/items?per_page=50", [], 0
    while url:
        r = get(api, url)
        assert r.status_code == 200, r.json
        body = r.json
        assert (body["total"], body["pages"], body["per_page"]) == (130, 3, 50)
        assert len(body["items"]) <= 50
        seen += [i["id"] for i in body["items"]]
        pages += 1
        url = body["links"]["next"]
    assert seen == ids
    assert pages == 3


def test_a_page_has_its_links_in_the_body_and_the_link_header(api, big):
    qid, ids = big
    r = get(api, f"{API}/{qid}/items?page=2&per_page=50")
    assert [i["id"] for i in r.json["items"]] == ids[50:100]
    links = r.json["links"]
    assert links["prev"].endswith("page=1&per_page=50")
    assert links["next"].endswith("page=3&per_page=50")
    assert links["first"].endswith("page=1&per_page=50") and links["last"].endswith("page=3&per_page=50")
    header = r.headers["Link"]
    for rel in ("first", "last", "prev", "next"):
        assert f'<{links[rel]}>; rel="{rel}"' in header


def test_page_alone_pages_by_the_default_and_per_page_alone_starts_at_one(api, big):
    qid, ids = big
    r = get(api, f"{API}/{qid}/items?page=1")
    assert (r.json["per_page"], len(r.json["items"])) == (100, 100)
    r = get(api, f"{API}/{qid}/items?per_page=7")
    assert (r.json["page"], [i["id"] for i in r.json["items"]]) == (1, ids[:7])
    assert r.json["links"]["prev"] is None


@pytest.mark.parametrize("page", ["4", "999999999999"])
def test_a_page_past_the_last_is_empty_and_points_back(api, big, page):
    qid, _ = big
    r = get(api, f"{API}/{qid}/items?page={page}&per_page=50")
    assert r.status_code == 200
    assert (r.json["items"], r.json["total"], r.json["pages"]) == ([], 130, 3)
    assert r.json["links"]["next"] is None
    assert r.json["links"]["prev"].endswith("page=3&per_page=50")


def test_filters_narrow_paged_and_unpaged_lists_like_the_review_page(app, api, big):
    qid, _ = big
    filters = responding.ItemFilters(sheet="Privacy", tier="none", search="control")
    with db(app) as s:
        expected = [i.id for i in responding.list_items(qid, session=s, filters=filters)]
    assert 0 < len(expected) < 65
    base = f"{API}/{qid}/items?sheet=Privacy&tier=none&search=CONTROL"
    assert [i["id"] for i in get(api, base).json["items"]] == expected
    r = get(api, f"{base}&per_page=5&page=2")
    assert r.json["total"] == len(expected)
    assert [i["id"] for i in r.json["items"]] == expected[5:10]
    assert "sheet=Privacy" in r.json["links"]["next"] and "tier=none" in r.json["links"]["next"]
    assert get(api, f"{API}/{qid}/items?sheet=Nowhere").json == {"items": [], "total": 0}
    assert get(api, f"{API}/{qid}/items?search=SEC-00&per_page=3").json["total"] == 9


def test_the_assignee_filter_takes_the_address_in_any_case(app, api, big):
    # assignees are stored lower-cased: filtering by the address as it was typed found nothing
    qid, ids = big
    client, headers = api
    r = client.patch(
        f"/api/v1/items/{ids[3]}", json={"status": "assigned", "assignee": "Expert@Example.com"}, headers=headers
    )
    assert r.status_code == 200 and r.json["assignee"] == "expert@example.com"
    for spelled in ("expert@example.com", "Expert@Example.com", "EXPERT@EXAMPLE.COM"):
        assert [i["id"] for i in get(api, f"{API}/{qid}/items?assignee={spelled}").json["items"]] == [ids[3]]


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=two", "page"),
        ("page=1e3", "page"),
        (f"page={10**30}", "page"),
        ("per_page=0", "per_page"),
        (f"per_page={MAX_ITEMS_PER_PAGE + 1}", "per_page"),
        ("per_page=lots", "per_page"),
        ("tier=great", "tier"),
        ("status=done", "status"),
        ("search=" + "x" * (responding.SEARCH_MAX + 1), "search"),
        ("limit=10", "limit"),
        ("offset=50", "offset"),
        ("cursor=abc", "cursor"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(api, big, query, names):
    qid, _ = big
    r = get(api, f"{API}/{qid}/items?{query}")
    assert r.status_code == 400
    assert r.is_json and r.json["error"].startswith(f"{names}:"), r.json


def test_an_unknown_questionnaire_is_a_404_paged_or_not(api):
    assert get(api, f"{API}/999/items?page=1").status_code == 404
    assert get(api, f"{API}/999/items").status_code == 404
