"""One live entry per question and product scope: a second entry with the same (normalised)
question is refused when typed in, and two that exist anyway (an older bank, learning, a
dismissed conflict) are never written when their answers disagree."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from answers import bank, curation
from answers.models import Entry, EntryCreate, EntryStatus, EntryUpdate
from answers.suggest import invalidate, suggest_for
from tests.auth_helpers import bearer, token_for
from tests.questionnaire_builders import one_question

BACKUPS = "Do you store customer backups in a second region?"


def _entry(session: Session, question: str, answer: str = "Yes", **kw) -> Entry:
    invalidate()
    return bank.create_entry(
        EntryCreate(question=question, answer=answer, status=EntryStatus.approved, **kw), session=session, actor="cur"
    )


def _legacy_entry(session: Session, question: str, answer: str) -> Entry:
    """An entry added past the create rule, as learning (or a bank from before it) does."""
    entry = bank._add_entry(
        EntryCreate(question=question, answer=answer, status=EntryStatus.approved), session=session, actor="old"
    )
    session.commit()
    invalidate()
    return entry


def _suggest(session: Session, text: str, product: str | None = None):
    [s] = suggest_for([one_question(text)], version_line="generic", product=product, session=session)
    return s


def test_create_refuses_the_same_question_for_the_same_products(app, session):
    first = _entry(session, BACKUPS)
    with pytest.raises(bank.DuplicateEntry, match=rf"entry #{first.id} already answers this question") as caught:
        _entry(session, "do you store customer backups in a second region", answer="No")
    assert caught.value.existing_id == first.id
    session.rollback()
    assert len(session.exec(select(Entry)).all()) == 1
    # another scope, another question, or a retired entry is no duplicate
    _entry(session, BACKUPS, answer="No", products=["Canvas"])
    _entry(session, "Do you store customer backups in a third region?")
    bank.retire(first.id, session=session, actor="cur")
    _entry(session, BACKUPS, answer="No")


def test_create_refuses_a_question_that_is_another_entrys_alternate(app, session):
    first = _entry(session, "Are backups replicated?", alternates=[BACKUPS])
    with pytest.raises(bank.DuplicateEntry, match=f"#{first.id}"):
        _entry(session, BACKUPS, answer="No")


def test_an_edit_into_a_duplicate_question_or_scope_is_refused(app, session):
    first = _entry(session, BACKUPS, products=["Canvas"])
    second = _entry(session, "Do you store customer backups off site?", products=["Canvas"])
    third = _entry(session, BACKUPS, answer="No", products=["Studio"])
    with pytest.raises(bank.DuplicateEntry, match=f"#{first.id}"):
        bank.update_entry(second.id, EntryUpdate(question=BACKUPS + " "), session=session, actor="cur")
    session.rollback()
    with pytest.raises(bank.DuplicateEntry, match=f"#{first.id}"):
        bank.update_entry(third.id, EntryUpdate(products=["canvas"]), session=session, actor="cur")
    session.rollback()
    # edits that keep the question and scope are not checked again
    bank.update_entry(first.id, EntryUpdate(answer="No", question=BACKUPS.upper()), session=session, actor="cur")


def test_api_and_form_answer_a_duplicate_with_the_existing_entry(app, people, curator_client, session):
    first = _entry(session, BACKUPS)
    client = app.test_client()
    headers = bearer(token_for(app, people["curator"]))
    created = client.post("/api/v1/entries", json={"question": BACKUPS, "answer": "No"}, headers=headers)
    assert created.status_code == 409
    assert created.get_json()["existing_id"] == first.id and f"#{first.id}" in created.get_json()["error"]
    other = client.post("/api/v1/entries", json={"question": "Is there a DR site?", "answer": "No"}, headers=headers)
    patched = client.patch(f"/api/v1/entries/{other.get_json()['id']}", json={"question": BACKUPS}, headers=headers)
    assert patched.status_code == 409 and patched.get_json()["existing_id"] == first.id
    page = curator_client.post("/bank/new", data={"question": BACKUPS, "answer": "No", "comment": "Typed text"})
    text = page.get_data(as_text=True)
    assert page.status_code == 400 and f"entry #{first.id} already answers this question" in text
    assert "Typed text" in text  # the form keeps what was typed
    assert len(session.exec(select(Entry)).all()) == 2


def test_two_live_entries_that_disagree_are_never_written_even_unflagged(app, session):
    yes = _legacy_entry(session, BACKUPS, "Yes")
    no = _legacy_entry(session, BACKUPS.upper(), "No")
    assert not yes.conflict and not no.conflict
    s = _suggest(session, BACKUPS)
    assert s.tier == "review" and f"#{no.id}" in s.note and "disagreeing answers" in s.note
    assert no.id in [a.entry_id for a in s.alternatives]
    reworded = _suggest(session, "Do you store all customer backups in a second region?")
    assert reworded.tier in ("review", "none")
    # agreeing duplicates are harmless: still written
    bank.update_entry(no.id, EntryUpdate(answer="Yes"), session=session, actor="cur")
    invalidate()
    assert _suggest(session, BACKUPS).tier == "exact"


def test_a_dismissed_learned_conflict_with_opposite_answers_still_waits_for_review(app, session):
    yes = _legacy_entry(session, BACKUPS, "Yes")
    no = _legacy_entry(session, BACKUPS, "No")
    for e in (yes, no):
        e.conflict = True
        session.add(e)
    session.commit()
    curation.dismiss("learned", [yes.id, no.id], session=session, actor="cur")
    invalidate()
    assert _suggest(session, BACKUPS).tier == "review"


def test_a_restore_that_would_duplicate_a_live_entry_is_refused(app, session):
    old = _entry(session, BACKUPS)
    bank.retire(old.id, session=session, actor="cur")
    new = _entry(session, BACKUPS, answer="No")
    with pytest.raises(bank.DuplicateEntry, match=f"#{new.id}"):
        bank.restore_version(old.id, 1, session=session, actor="cur")
    session.rollback()
    assert session.get(Entry, old.id).status == EntryStatus.retired


CHANGES = "Do you have a formal change management process?"
SOC2 = "Do you have a current SOC 2 Type II report?"


def test_an_alternate_that_names_another_entry_is_refused(app, curator_client, session):
    """QA web pass 3: "Add as a wording" (or the edit form's alternates) took another live
    entry's question as an alternate of the SOC 2 entry; a questionnaire asking about change
    management was then answered from the SOC 2 entry at exact 100, which bulk accept writes."""
    changes = _entry(session, CHANGES, alternates=["Is change management formalised?"])
    soc2 = _entry(session, SOC2)
    for wording in (CHANGES.lower(), "Is change management formalised?"):  # its question or its alternate
        with pytest.raises(bank.DuplicateEntry, match=f"#{changes.id}") as caught:
            bank.add_alternate(soc2.id, wording, session=session, actor="cur")
        assert caught.value.existing_id == changes.id
        session.rollback()
        with pytest.raises(bank.DuplicateEntry, match=f"#{changes.id}"):
            bank.update_entry(soc2.id, EntryUpdate(alternates=[wording]), session=session, actor="cur")
        session.rollback()
    with pytest.raises(bank.DuplicateEntry, match=f"#{changes.id}"):
        _entry(session, "Is there a change advisory board?", alternates=[CHANGES])
    session.rollback()
    page = curator_client.post(f"/bank/{soc2.id}/alternates", data={"text": CHANGES}, follow_redirects=True)
    assert f"#{changes.id}" in page.get_data(as_text=True)
    assert session.get(Entry, soc2.id).alternates == []
    assert _suggest(session, CHANGES).entry_id == changes.id
    # another product scope may word it alike; its own wordings an entry keeps
    _entry(session, "Is there a change advisory board?", alternates=[CHANGES], products=["Canvas"])
    bank.update_entry(changes.id, EntryUpdate(answer="No"), session=session, actor="cur")


def test_an_alternate_added_to_a_legacy_duplicate_checks_only_the_new_wording(app, session):
    # the question check stays where it was: an older duplicate can still be edited
    first = _legacy_entry(session, BACKUPS, "Yes")
    second = _legacy_entry(session, BACKUPS, "Yes")
    bank.add_alternate(second.id, "Are backups kept in another region?", session=session, actor="cur")
    assert session.get(Entry, second.id).alternates == ["Are backups kept in another region?"]
    assert first.id != second.id
