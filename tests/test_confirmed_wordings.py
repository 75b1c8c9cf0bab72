"""The bank learns from reviews: a wording whose uncertain match a reviewer accepted unchanged
is offered to the curators as an alternate of the entry; only a curator adds it."""

from __future__ import annotations

import pytest
from sqlmodel import select

from answers import bank, curation
from answers.models import Entry, EntryCreate, EntryStatus, EntryUpdate, EntryVersion, Item
from answers.suggest import invalidate
from tests.auth_helpers import db, signed_in
from tests.test_review_pages import decide, items, qid, upload  # noqa: F401  (fixtures)

MFA = "Is multi-factor authentication enforced for administrator accounts?"


def _pin(app, questionnaire_id, question_id, **fields):
    """Set the matcher's verdict on one item, so the test does not depend on how sure the
    matcher (lexical or with embeddings) happens to be about a paraphrase."""
    with db(app) as s:
        item = s.exec(
            select(Item).where(Item.questionnaire_id == questionnaire_id, Item.question_id == question_id)
        ).one()
        for key, value in fields.items():
            setattr(item, key, value)
        s.add(item)
        s.commit()


def _accept(client, questionnaire_id, question_id, **body):
    item = items(client, questionnaire_id)[question_id]
    r = decide(client, questionnaire_id, item, status="accepted", lock_version=item["version"], **body)
    assert r.status_code == 200, r.get_json()


def _confirmed(app) -> list[tuple[int, str, list[str], int]]:
    with db(app) as s:
        return [(c.entry.id, c.text, c.questionnaires, c.count) for c in curation.confirmed_wordings(session=s)]


def _mfa_entry(app) -> int:
    with db(app) as s:
        return s.exec(select(Entry.id).where(Entry.question == "Do you enforce MFA for all admin accounts?")).one()


def _confirm_mfa(app, client, questionnaire_id) -> int:
    """The reviewer accepts MFA-01's doubtful (review-tier) match unchanged; the MFA entry's id."""
    _pin(app, questionnaire_id, "MFA-01", tier="review")
    _accept(client, questionnaire_id, "MFA-01")
    return _mfa_entry(app)


def test_a_review_tier_match_accepted_unchanged_is_a_confirmed_wording(app, reviewer, qid, curator_client):  # noqa: F811
    entry_id = _confirm_mfa(app, reviewer, qid)
    assert _confirmed(app) == [(entry_id, MFA, ["vendor.xlsx"], 1)]
    page = curator_client.get("/bank/hygiene").get_data(as_text=True)
    assert "Wordings confirmed in review" in page and MFA in page and "in vendor.xlsx" in page
    assert "Add as alternate" in page and "Not the same question" in page
    # sales may read the page, without the buttons
    sales_page = reviewer.get("/bank/hygiene").get_data(as_text=True)
    assert MFA in sales_page and "Add as alternate" not in sales_page


def test_confident_matches_and_edited_answers_are_not_confirmations(app, reviewer, qid):  # noqa: F811
    _pin(app, qid, "MFA-01", tier="high")
    _accept(reviewer, qid, "MFA-01")  # the matcher was sure: nothing a person confirmed
    _pin(app, qid, "BCP-01", tier="review")
    _accept(reviewer, qid, "BCP-01", answer="Yes", comment="Tested every March.")  # edited: a draft instead
    assert _confirmed(app) == []
    assert reviewer.post(f"/questionnaires/{qid}/propose").status_code == 303
    with db(app) as s:
        drafts = s.exec(select(Entry).where(Entry.status == EntryStatus.draft)).all()
        assert [(d.question_id, d.answer) for d in drafts] == [("BCP-01", "Yes")]


def test_the_verdict_in_the_cells_spelling_and_an_empty_comment_still_count(app, reviewer, qid):  # noqa: F811
    _pin(app, qid, "MFA-01", tier="review")
    _accept(reviewer, qid, "MFA-01", answer="Yes", comment="")
    assert [c[1] for c in _confirmed(app)] == [MFA]


def test_a_picked_alternative_is_a_confirmed_wording(app, reviewer, qid):  # noqa: F811
    with db(app) as s:
        invalidate()
        other = bank.create_entry(
            EntryCreate(
                question="Do administrators sign in with a second factor?",
                answer="Yes",
                comment="TOTP app",
                status="approved",  # only approved entries are applied by id
            ),
            session=s,
            actor="seed",
        )
    alternative = {
        "entry_id": other.id,
        "score": 60.0,
        "tier": "review",
        "question": other.question,
        "answer": "Yes",
        "comment": "TOTP app",
    }
    _pin(app, qid, "MFA-01", tier="high", alternatives=[alternative])
    _accept(reviewer, qid, "MFA-01", entry_id=other.id)
    assert _confirmed(app) == [(other.id, MFA, ["vendor.xlsx"], 1)]


def test_a_curator_adds_the_wording_and_the_next_questionnaire_matches_it_exactly(
    app,
    reviewer,
    qid,  # noqa: F811
    curator_client,
):
    entry_id = _confirm_mfa(app, reviewer, qid)
    r = curator_client.post(f"/bank/{entry_id}/alternates", data={"text": MFA})
    assert r.status_code == 303 and r.headers["Location"].endswith("/bank/hygiene")
    page = curator_client.get("/bank/hygiene").get_data(as_text=True)
    assert "matched exactly from now on" in page and MFA not in page
    with db(app) as s:
        entry = s.get(Entry, entry_id)
        assert entry.alternates == [MFA] and entry.revision == 2 and entry.status == EntryStatus.approved
        note = s.exec(
            select(EntryVersion.note).where(EntryVersion.entry_id == entry_id, EntryVersion.revision == 2)
        ).one()
        assert note == "alternate confirmed in review"
    assert _confirmed(app) == []
    # adding it again changes nothing
    curator_client.post(f"/bank/{entry_id}/alternates", data={"text": MFA.upper()})
    with db(app) as s:
        assert s.get(Entry, entry_id).revision == 2
    second = int(upload(reviewer).headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    with db(app) as s:
        item = s.exec(select(Item).where(Item.questionnaire_id == second, Item.question_id == "MFA-01")).one()
        assert (item.tier, item.entry_id) == ("exact", entry_id)


def test_not_the_same_question_hides_the_wording_until_the_entry_changes(
    app,
    reviewer,
    qid,  # noqa: F811
    curator_client,
):
    entry_id = _confirm_mfa(app, reviewer, qid)
    r = curator_client.post("/bank/resolve", data={"entry": str(entry_id), "kind": "confirmed", "text": MFA})
    assert r.status_code == 303
    page = curator_client.get("/bank/hygiene").get_data(as_text=True)
    assert "not offered for the entry again until the entry changes" in page and MFA not in page
    assert _confirmed(app) == []
    with db(app) as s:
        bank.update_entry(entry_id, EntryUpdate(comment="Hardware keys for everyone"), session=s, actor="c")
    assert _confirmed(app) == []  # the reviewer's comment no longer matches the entry's
    with db(app) as s:
        bank.update_entry(entry_id, EntryUpdate(comment="Hardware keys"), session=s, actor="c")
    assert [c[1] for c in _confirmed(app)] == [MFA]  # a new revision: offered again


def test_only_curators_add_alternates_and_bad_input_is_refused(app, reviewer, qid, people):  # noqa: F811
    entry_id = _confirm_mfa(app, reviewer, qid)
    assert reviewer.post(f"/bank/{entry_id}/alternates", data={"text": MFA}).status_code == 403
    assert reviewer.post("/bank/resolve", data={"entry": str(entry_id), "kind": "confirmed"}).status_code == 403
    curator = signed_in(app, people["curator"])
    assert curator.post("/bank/999/alternates", data={"text": MFA}).status_code == 404
    r = curator.post(f"/bank/{entry_id}/alternates", data={"text": "  ?? "}, follow_redirects=True)
    assert r.status_code == 200 and "must not be empty" in r.get_data(as_text=True)
    r = curator.post(f"/bank/{entry_id}/alternates", data={"text": "x" * 4001}, follow_redirects=True)
    assert r.status_code == 200 and "at most 4,000 characters" in r.get_data(as_text=True)
    with db(app) as s:
        assert s.get(Entry, entry_id).revision == 1
    assert _confirmed(app) != []


def test_add_alternate_refuses_retired_entries(session):
    invalidate()
    entry = bank.create_entry(EntryCreate(question="Do you log access?", answer="Yes"), session=session, actor="t")
    bank.retire(entry.id, session=session, actor="t")
    with pytest.raises(bank.EntryError, match="retired"):
        bank.add_alternate(entry.id, "Is access logged?", session=session, actor="t")
    with pytest.raises(bank.EntryNotFound):
        bank.add_alternate(9999, "Is access logged?", session=session, actor="t")


def _upload_and_accept(app, client, questions, accept: str) -> int:
    """Upload a questionnaire of ``questions`` and accept ``accept`` with the MFA entry's
    answer as a person-decided (review-tier) match."""
    from tests.review_builders import multipart, questionnaire_xlsx

    r = client.post("/questionnaires/upload", **multipart(questionnaire_xlsx(questions), f"{accept}.xlsx"))
    questionnaire = int(r.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    _pin(app, questionnaire, accept, tier="review", entry_id=_mfa_entry(app), suggested_answer="Yes")
    _accept(client, questionnaire, accept, answer="Yes", comment="Hardware keys")
    return questionnaire


def test_not_the_same_question_hides_only_that_wording(app, reviewer, qid, curator_client):  # noqa: F811
    other = "Do privileged users need a second factor to sign in?"
    _confirm_mfa(app, reviewer, qid)
    _upload_and_accept(app, reviewer, [("MFA-02", other)], "MFA-02")
    entry_id = _mfa_entry(app)
    assert sorted(c[1] for c in _confirmed(app)) == sorted([MFA, other])
    r = curator_client.post("/bank/resolve", data={"entry": str(entry_id), "kind": "confirmed", "text": other})
    assert r.status_code == 303
    assert [c[1] for c in _confirmed(app)] == [MFA]  # the other wording of the same entry stays
    # the same wording in a later questionnaire stays hidden too (matched by normalised text)
    _upload_and_accept(app, reviewer, [("MFA-03", other.upper())], "MFA-03")
    assert [c[1] for c in _confirmed(app)] == [MFA]
    with db(app) as s:
        bank.update_entry(entry_id, EntryUpdate(owner="iam@x.test"), session=s, actor="c")
    # a new revision: offered again (shown in the latest questionnaire's spelling)
    assert sorted(c[1].casefold() for c in _confirmed(app)) == sorted([MFA.casefold(), other.casefold()])


def test_a_dismissal_without_the_wording_is_refused(app, reviewer, qid, curator_client):  # noqa: F811
    _confirm_mfa(app, reviewer, qid)
    r = curator_client.post(
        "/bank/resolve", data={"entry": str(_mfa_entry(app)), "kind": "confirmed"}, follow_redirects=True
    )
    assert r.status_code == 200 and "no wording given" in r.get_data(as_text=True)
    assert [c[1] for c in _confirmed(app)] == [MFA]


def test_an_entry_wide_dismissal_from_before_still_hides_all_its_wordings(app, reviewer, qid):  # noqa: F811
    from answers.models import HygieneDismissal

    _confirm_mfa(app, reviewer, qid)
    with db(app) as s:
        entry = s.get(Entry, _mfa_entry(app))
        s.add(HygieneDismissal(kind="confirmed", entry_a=entry.id, revision_a=entry.revision, by="old"))
        s.commit()
    assert _confirmed(app) == []
