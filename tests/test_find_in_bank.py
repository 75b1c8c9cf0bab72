"""A reviewer finds the right answer in the bank when none of a question's matches is it:
any live entry the questionnaire may use (company-wide or of its product), fitted to the
cell, kept among the item's matches and offered to curators as a confirmed wording."""

from __future__ import annotations

import io
import re

import pytest
from markupsafe import escape
from openpyxl import load_workbook
from sqlmodel import select, update

from answers import bank, curation
from answers.models import Entry, EntryCreate, EntryStatus, Item
from answers.suggest import invalidate
from tests.auth_helpers import bearer, db, token_for
from tests.review_builders import BANK, SHEET, multipart, questionnaire_xlsx

QUESTION = "Does the product have automatic logout functionality?"
TIMEOUT = "Do user sessions time out after a period of inactivity?"


@pytest.fixture
def seeded(app):
    """The review bank plus a company-wide timeout entry, one scoped to product "Mobile"
    and a retired one; their ids by question."""
    with db(app) as s:
        invalidate()
        bank.import_entries(
            [*BANK, EntryCreate(question=TIMEOUT, answer="Yes", comment="After 30 minutes idle")], session=s
        )
        bank.import_entries(
            [EntryCreate(question="Do mobile app sessions time out?", answer="No", comment="Kept signed in")],
            session=s,
            product="Mobile",
        )
        old = bank.create_entry(EntryCreate(question="Do sessions time out after 8 hours?", answer="Yes"), session=s)
        bank.retire(old.id, session=s, actor="curator")
        return {e.question: e.id for e in s.exec(select(Entry)).all()}


def _upload(client, **fields) -> int:
    data = questionnaire_xlsx([("LOG-01", QUESTION)])
    r = client.post("/questionnaires/upload", **multipart(data, "customer.xlsx", **fields))
    assert r.status_code == 303, r.get_data(as_text=True)
    return int(r.headers["Location"].rstrip("/").rsplit("/", 1)[-1])


def _item(app, qid: int) -> Item:
    with db(app) as s:
        return s.exec(select(Item).where(Item.questionnaire_id == qid)).one()


def _listed(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'name="entry_id" value="(\d+)"', html)]


def test_the_review_page_links_each_question_to_a_bank_search(app, sales_client, seeded):
    qid = _upload(sales_client)
    item = _item(app, qid)
    page = sales_client.get(f"/questionnaires/{qid}").get_data(as_text=True)
    assert f"/questionnaires/{qid}/items/{item.id}/find" in page
    blank = sales_client.get(f"/questionnaires/{qid}/items/{item.id}/find")
    assert blank.status_code == 200 and QUESTION in blank.get_data(as_text=True)
    assert _listed(blank.get_data(as_text=True)) == []  # nothing searched yet


def test_search_lists_only_live_entries_this_questionnaire_may_use(app, sales_client, seeded):
    qid = _upload(sales_client)  # no product: company-wide entries only
    item = _item(app, qid)
    html = sales_client.get(f"/questionnaires/{qid}/items/{item.id}/find?q=time+out").get_data(as_text=True)
    assert _listed(html) == [seeded[TIMEOUT]]  # not the Mobile one, not the retired one
    assert "No entry of the bank" in sales_client.get(
        f"/questionnaires/{qid}/items/{item.id}/find?q=kerberos"
    ).get_data(as_text=True)


def test_a_product_questionnaire_also_sees_its_products_entries(app, sales_client, seeded):
    qid = _upload(sales_client, product="Mobile")
    item = _item(app, qid)
    html = sales_client.get(f"/questionnaires/{qid}/items/{item.id}/find?q=time+out").get_data(as_text=True)
    assert sorted(_listed(html)) == sorted([seeded[TIMEOUT], seeded["Do mobile app sessions time out?"]])


@pytest.mark.parametrize("product", [None, "Mobile"])
def test_entries_this_questionnaire_may_use_are_found_behind_many_of_another_products(
    app, sales_client, seeded, product
):
    # the page read one page (50) of the whole bank's matches and kept the usable ones: 60
    # more used "Desktop" entries hid the company-wide one ("No entry ... has these words")
    with db(app) as s:
        bank.import_entries(
            [EntryCreate(question=f"Do desktop sessions {n} time out?", answer="Yes") for n in range(60)],
            session=s,
            product="Desktop",
        )
        s.exec(update(Entry).where(Entry.question.startswith("Do desktop")).values(usage_count=5))
        s.commit()
    qid = _upload(sales_client, **({"product": product} if product else {}))
    item = _item(app, qid)
    html = sales_client.get(f"/questionnaires/{qid}/items/{item.id}/find?q=time+out").get_data(as_text=True)
    usable = [seeded[TIMEOUT]] + ([seeded["Do mobile app sessions time out?"]] if product else [])
    assert sorted(_listed(html)) == sorted(usable), html


def _without_matches(app, qid: int) -> Item:
    """The item as if the matcher had offered nothing (which it does depends on the mode)."""
    with db(app) as s:
        item = s.exec(select(Item).where(Item.questionnaire_id == qid)).one()
        item.alternatives, item.entry_id, item.tier = [], None, "none"
        s.add(item)
        s.commit()
        return item


def test_using_a_found_entry_fills_the_item_and_confirms_the_wording(app, sales_client, seeded):
    qid = _upload(sales_client)
    item = _without_matches(app, qid)
    r = sales_client.post(
        f"/questionnaires/{qid}/items/{item.id}", data={"entry_id": seeded[TIMEOUT], "lock_version": item.lock_version}
    )
    assert r.status_code == 303 and r.headers["Location"].endswith(f"#item-{item.id}")
    item = _item(app, qid)
    assert (item.entry_id, item.answer, item.comment, item.status.value) == (
        seeded[TIMEOUT],
        "Yes",
        "After 30 minutes idle",
        "pending",
    )
    found = [a for a in item.alternatives if a.get("found")]
    assert [(a["entry_id"], a["tier"], a["answer"]) for a in found] == [(seeded[TIMEOUT], "none", "Yes")]
    r = sales_client.post(
        f"/questionnaires/{qid}/items/{item.id}",
        json={"status": "accepted", "lock_version": item.lock_version},
        headers={"Accept": "application/json"},
    )
    assert r.status_code == 200, r.get_json()
    ws = load_workbook(io.BytesIO(sales_client.get(f"/questionnaires/{qid}/export").data))[SHEET]
    assert (ws["C2"].value, ws["D2"].value) == ("Yes", "After 30 minutes idle")
    with db(app) as s:
        assert [(c.entry.id, c.text) for c in curation.confirmed_wordings(session=s)] == [(seeded[TIMEOUT], QUESTION)]


@pytest.mark.parametrize(
    ("pick", "message"),
    [
        ("Do sessions time out after 8 hours?", "is not a live bank entry"),
        ("Do mobile app sessions time out?", "answers for Mobile only"),
        (None, "is not a live bank entry"),
    ],
)
def test_entries_a_questionnaire_may_not_use_are_refused(app, sales_client, seeded, pick, message):
    qid = _upload(sales_client)
    item = _without_matches(app, qid)
    entry_id = seeded[pick] if pick else 99_999
    r = sales_client.post(
        f"/questionnaires/{qid}/items/{item.id}",
        json={"entry_id": entry_id, "lock_version": item.lock_version},
        headers={"Accept": "application/json"},
    )
    assert r.status_code == 400 and message in r.get_json()["error"]
    after = _item(app, qid)
    assert (after.entry_id, after.answer, after.lock_version) == (item.entry_id, None, item.lock_version)


def test_an_item_of_another_questionnaire_is_not_found(app, sales_client, seeded):
    first, second = _upload(sales_client), _upload(sales_client)
    item = _item(app, first)
    assert sales_client.get(f"/questionnaires/{second}/items/{item.id}/find?q=x").status_code == 404
    assert sales_client.get(f"/questionnaires/{first}/items/99999/find").status_code == 404


@pytest.mark.parametrize(
    ("query", "question"),
    [
        ("SOC2", "Do you hold a SOC 2 Type II report?"),
        ("soc 2", "Do you hold a SOC 2 Type II report?"),
        ("multifactor", "Is multi-factor authentication required for remote access?"),
        ("multi-factor", "Is multi-factor authentication required for remote access?"),
        ("Multi factor", "Is multi-factor authentication required for remote access?"),
        ("ISO-27001", "Are you certified to ISO 27001?"),
    ],
)
def test_search_ignores_hyphens_spaces_and_case_inside_words(app, sales_client, seeded, query, question):
    with db(app) as s:
        invalidate()
        bank.import_entries(
            [
                EntryCreate(question="Do you hold a SOC 2 Type II report?", answer="Yes"),
                EntryCreate(question="Is multi-factor authentication required for remote access?", answer="Yes"),
                EntryCreate(question="Are you certified to ISO 27001?", answer="Yes"),
            ],
            session=s,
        )
        wanted = s.exec(select(Entry).where(Entry.question == question)).one().id
    qid = _upload(sales_client)
    item = _item(app, qid)
    html = sales_client.get(f"/questionnaires/{qid}/items/{item.id}/find", query_string={"q": query})
    assert _listed(html.get_data(as_text=True)) == [wanted]


def test_a_draft_is_neither_listed_nor_applied_by_id(app, sales_client, seeded):
    with db(app) as s:
        draft = bank.create_entry(EntryCreate(question="Do idle sessions time out?", answer="No"), session=s)
    qid = _upload(sales_client)
    item = _without_matches(app, qid)
    html = sales_client.get(f"/questionnaires/{qid}/items/{item.id}/find?q=time+out").get_data(as_text=True)
    assert draft.id not in _listed(html)
    r = sales_client.post(
        f"/questionnaires/{qid}/items/{item.id}",
        json={"entry_id": draft.id, "lock_version": item.lock_version},
        headers={"Accept": "application/json"},
    )
    assert r.status_code == 400 and f"entry {draft.id} is a draft" in r.get_json()["error"]
    assert _item(app, qid).answer is None


def test_a_listed_match_retired_or_unapproved_since_the_upload_is_refused(app, sales_client, seeded):
    qid = _upload(sales_client)
    with db(app) as s:
        item = s.exec(select(Item).where(Item.questionnaire_id == qid)).one()
        item.alternatives = [
            {"entry_id": seeded[TIMEOUT], "score": 60.0, "tier": "review", "question": TIMEOUT, "answer": "Yes"}
        ]
        s.add(item)
        s.commit()
        bank.retire(seeded[TIMEOUT], session=s, actor="curator")
    r = sales_client.post(
        f"/questionnaires/{qid}/items/{item.id}",
        json={"entry_id": seeded[TIMEOUT], "status": "accepted", "lock_version": item.lock_version},
        headers={"Accept": "application/json"},
    )
    assert r.status_code == 400 and "retired" in r.get_json()["error"]
    after = _item(app, qid)
    assert (after.status.value, after.answer, after.lock_version) == ("pending", None, item.lock_version)


def test_a_suggestion_whose_entry_was_retired_since_is_not_accepted(app, sales_client, seeded):
    qid = _upload(sales_client)
    with db(app) as s:
        item = s.exec(select(Item).where(Item.questionnaire_id == qid)).one()
        item.entry_id, item.tier, item.suggested_answer, item.alternatives = seeded[TIMEOUT], "high", "Yes", []
        s.add(item)
        s.commit()
        bank.retire(seeded[TIMEOUT], session=s, actor="curator")
    for body in ({"status": "accepted"}, {"entry_id": seeded[TIMEOUT], "status": "accepted"}):
        r = sales_client.post(
            f"/questionnaires/{qid}/items/{item.id}",
            json={**body, "lock_version": item.lock_version},
            headers={"Accept": "application/json"},
        )
        assert r.status_code == 400 and "retired" in r.get_json()["error"], body
    assert (_item(app, qid).status.value, _item(app, qid).answer) == ("pending", None)
    # the reviewer's own answer is still taken
    r = sales_client.post(
        f"/questionnaires/{qid}/items/{item.id}",
        json={"answer": "No", "status": "accepted", "lock_version": item.lock_version},
        headers={"Accept": "application/json"},
    )
    assert r.status_code == 200 and r.get_json()["answer"] == "No"


@pytest.mark.parametrize("status", [None, "accepted"])
def test_a_found_entry_whose_verdict_the_cell_does_not_take_is_refused_in_words(app, sales_client, seeded, status):
    """Entry "Tier III" (no comment) picked for a Yes/No cell: "Use this" set an empty answer and showed
    the entry as the source, and accepting it was refused as "bank entry N changed since
    this questionnaire was matched (it now answers None)", which it had not."""
    tier = _tier_entry(app, comment="")
    qid = _upload(sales_client)
    item = _without_matches(app, qid)
    body = {"entry_id": tier, "lock_version": item.lock_version}
    if status:
        body["status"] = status
    r = sales_client.post(f"/questionnaires/{qid}/items/{item.id}", json=body, headers={"Accept": "application/json"})
    assert r.status_code == 400
    assert r.get_json()["error"] == (
        f"bank entry {tier} has no answer this question's cell can take (it answers 'Tier III'):"
        " this cell takes Yes, No; type the answer instead"
    )
    after = _item(app, qid)
    assert (after.entry_id, after.answer, after.status, after.lock_version) == (
        item.entry_id,
        None,
        item.status,
        item.lock_version,
    )


def test_match_again_keeps_the_entry_a_reviewer_used(app, sales_client, seeded):
    """ "Use this" on a found entry leaves the question pending with its answer; "Match
    again" then put the matcher's entry (or none) back under that answer and dropped the
    found match, so the source shown was wrong and curators lost the confirmed wording."""
    qid = _upload(sales_client)
    item = _without_matches(app, qid)
    r = sales_client.post(
        f"/questionnaires/{qid}/items/{item.id}", data={"entry_id": seeded[TIMEOUT], "lock_version": item.lock_version}
    )
    assert r.status_code == 303
    assert sales_client.post(f"/questionnaires/{qid}/resuggest").status_code == 303
    after = _item(app, qid)
    assert (after.entry_id, after.answer, after.status.value) == (seeded[TIMEOUT], "Yes", "pending")
    assert [a["entry_id"] for a in after.alternatives if a.get("found")] == [seeded[TIMEOUT]]
    r = sales_client.post(
        f"/questionnaires/{qid}/items/{item.id}",
        json={"status": "accepted", "lock_version": after.lock_version},
        headers={"Accept": "application/json"},
    )
    assert r.status_code == 200, r.get_json()
    with db(app) as s:
        assert [(c.entry.id, c.text) for c in curation.confirmed_wordings(session=s)] == [(seeded[TIMEOUT], QUESTION)]


def _approved(app, question: str, answer: str, comment: str = "") -> int:
    with db(app) as s:
        return bank.create_entry(
            EntryCreate(question=question, answer=answer, comment=comment, status=EntryStatus.approved), session=s
        ).id


def _tier_entry(app, *, comment: str = "Uptime Institute certified, two sites") -> int:
    return _approved(app, "Which tier is your data centre?", "Tier III", comment)


def _as_other_match(app, item: Item, entry_id: int) -> Item:
    """The entry offered among the item's matches (its verdict does not fit: no answer)."""
    with db(app) as s:
        row = s.get(Item, item.id)
        entry = s.get(Entry, entry_id)
        row.alternatives = [
            {
                "entry_id": entry_id,
                "score": 40.0,
                "tier": "review",
                "question": entry.question,
                "answer": None,
                "comment": entry.comment,
            }
        ]
        s.add(row)
        s.commit()
        return row


@pytest.mark.parametrize("via", ["form", "page-json", "api"])
@pytest.mark.parametrize("offered", ["found", "other match"])
def test_use_this_with_a_comment_but_a_verdict_the_cell_does_not_take_changes_nothing(
    app, sales_client, people, seeded, via, offered
):
    """Entry "Tier III" with a comment, used for a Yes/No cell: the verdict was dropped and
    the comment, written for "Tier III", was taken alone without a word, as the answer's
    explanation under whatever verdict the reviewer then chose."""
    tier = _tier_entry(app)
    qid = _upload(sales_client)
    item = _without_matches(app, qid)
    if offered == "other match":
        item = _as_other_match(app, item, tier)
    body = {"entry_id": tier, "lock_version": item.lock_version}
    expected = (
        f"bank entry {tier} has no answer this question's cell can take (it answers 'Tier III'):"
        " this cell takes Yes, No; type the answer instead (its comment was written for that answer:"
        " nothing was taken)"
    )
    if via == "form":
        r = sales_client.post(f"/questionnaires/{qid}/items/{item.id}", data=body)
        assert r.status_code == 303
        page = sales_client.get(r.headers["Location"]).get_data(as_text=True)
        assert str(escape(expected)) in page
    elif via == "page-json":
        r = sales_client.post(
            f"/questionnaires/{qid}/items/{item.id}", json=body, headers={"Accept": "application/json"}
        )
        assert (r.status_code, r.get_json()["error"]) == (400, expected)
    else:
        r = app.test_client().patch(
            f"/api/v1/items/{item.id}", json=body, headers=bearer(token_for(app, people["sales"]))
        )
        assert (r.status_code, r.get_json()["error"]) == (400, expected)
    after = _item(app, qid)
    assert (after.entry_id, after.answer, after.comment, after.status, after.lock_version) == (
        item.entry_id,
        None,
        None,
        item.status,
        item.lock_version,
    )
    assert [a["entry_id"] for a in after.alternatives] == [a["entry_id"] for a in item.alternatives]


def test_use_this_with_the_reviewer_s_own_verdict_takes_the_entry_s_comment(app, people, sales_client, seeded):
    """The API names the verdict with the entry: the reviewer decided it, the comment is the entry's."""
    tier = _tier_entry(app)
    qid = _upload(sales_client)
    item = _without_matches(app, qid)
    r = app.test_client().patch(
        f"/api/v1/items/{item.id}",
        json={"entry_id": tier, "answer": "Yes", "lock_version": item.lock_version},
        headers=bearer(token_for(app, people["sales"])),
    )
    assert r.status_code == 200, r.get_json()
    after = _item(app, qid)
    assert (after.entry_id, after.answer, after.comment) == (tier, "Yes", "Uptime Institute certified, two sites")


def test_use_this_of_an_entry_without_a_verdict_takes_its_comment(app, sales_client, seeded):
    """A text-only entry refuses no verdict: its text is its answer, for the comment cell."""
    text_only = _approved(app, "Describe your data centres.", "", "Two Tier III sites")
    qid = _upload(sales_client)
    item = _without_matches(app, qid)
    r = sales_client.post(
        f"/questionnaires/{qid}/items/{item.id}",
        json={"entry_id": text_only, "lock_version": item.lock_version},
        headers={"Accept": "application/json"},
    )
    assert r.status_code == 200, r.get_json()
    after = _item(app, qid)
    assert (after.entry_id, after.answer, after.comment) == (text_only, None, "Two Tier III sites")
