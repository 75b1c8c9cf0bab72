"""Learn back: answers a reviewer wrote go to the curators as drafts, never straight into use."""

from __future__ import annotations

from sqlmodel import select

from answers.models import Entry, EntryStatus
from tests.auth_helpers import db
from tests.test_review_pages import decide, items, qid, upload  # noqa: F401  (fixtures)


def test_edited_and_unmatched_answers_become_drafts(app, reviewer, qid):  # noqa: F811
    found = items(reviewer, qid)
    # the exact match accepted unchanged: nothing to learn
    enc = found["ENC-01"]
    assert decide(reviewer, qid, enc, status="accepted", lock_version=enc["version"]).status_code == 200
    # no match in the bank: the reviewer writes the answer
    parking = found["PHY-01"]
    r = decide(
        reviewer,
        qid,
        parking,
        answer="No",
        comment="We are fully remote.",
        status="accepted",
        lock_version=parking["version"],
    )
    assert r.status_code == 200, r.get_json()
    # a pending item is not proposed
    response = reviewer.post(f"/questionnaires/{qid}/propose", follow_redirects=True)
    assert "Proposed 1 answer(s)" in response.get_data(as_text=True)
    with db(app) as s:
        drafts = s.exec(select(Entry).where(Entry.status == EntryStatus.draft)).all()
        assert [(d.question, d.answer, d.comment, d.question_id) for d in drafts] == [
            (
                "How many parking spaces does your headquarters have for visitors?",
                "No",
                "We are fully remote.",
                "PHY-01",
            )
        ]
        assert drafts[0].source == "review of vendor.xlsx"
    # proposing again does not repeat the draft
    again = reviewer.post(f"/questionnaires/{qid}/propose", follow_redirects=True)
    assert "Proposed 0 answer(s)" in again.get_data(as_text=True)


def test_a_proposed_draft_is_only_suggested_for_review(app, reviewer, qid):  # noqa: F811
    found = items(reviewer, qid)
    parking = found["PHY-01"]
    decide(reviewer, qid, parking, answer="No", comment="Remote.", status="accepted", lock_version=parking["version"])
    reviewer.post(f"/questionnaires/{qid}/propose")
    r = upload(reviewer)
    second = int(r.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    page = reviewer.get(f"/questionnaires/{second}").get_data(as_text=True)
    block = page[page.index('<span class="qid">PHY-01</span>') :][:400]
    assert "tier-review" in block and "tier-exact" not in block


def test_a_long_typed_answer_is_proposed_whole_and_an_overlong_one_is_counted(app, reviewer):
    # a free-text answer over 200 characters was proposed cut to its first 200; a comment
    # over the 8,000 an entry holds ended Propose in a 500 (no draft proposed at all)
    from tests.questionnaire_builders import questionnaire_xlsx
    from tests.review_builders import upload_id

    rows = [("T-1", "Describe your backup strategy.", None, None), ("T-2", "Describe your logging.", None, None)]
    free = upload_id(reviewer, questionnaire_xlsx(rows, choices=None), "free-text.xlsx")
    found = items(reviewer, free)
    long_answer = "Nightly snapshots to a second region, kept for 35 days. " * 5
    backup = decide(reviewer, free, found["T-1"], answer=long_answer, comment="Tested quarterly.", status="accepted")
    logging = decide(reviewer, free, found["T-2"], answer="See below", comment="c" * 8001, status="accepted")
    assert backup.status_code == logging.status_code == 200
    page = reviewer.post(f"/questionnaires/{free}/propose", follow_redirects=True).get_data(as_text=True)
    assert "Proposed 1 answer(s)" in page and "Not proposed: 1 answer(s) longer than a bank entry holds" in page
    with db(app) as s:
        draft = s.exec(select(Entry).where(Entry.status == EntryStatus.draft)).one()
    assert (draft.answer, draft.comment) == ("", long_answer.strip() + "\n\nTested quarterly.")
