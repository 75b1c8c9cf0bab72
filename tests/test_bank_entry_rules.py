"""Two rules every way into the bank obeys (entry form, API, bank import, learn, approve):
one wording names one live entry of a product scope, and an approved entry has an answer
or a comment (an empty one would match a question and write nothing there)."""

from __future__ import annotations

import io

import pytest
from sqlmodel import Session, select

from answers import bank
from answers.models import Entry, EntryCreate, EntryStatus, EntryUpdate
from answers.suggest import invalidate, suggest_for
from tests.auth_helpers import bearer, token_for
from tests.questionnaire_builders import one_question, questionnaire_xlsx

CHANGES = "Do you have a formal change management process?"
SOC2 = "Do you have a current SOC 2 Type II report?"
FORMALISED = "Is change management formalised?"


def _entry(session: Session, question: str, answer: str = "Yes", **kw) -> Entry:
    invalidate()
    kw.setdefault("status", EntryStatus.approved)
    return bank.create_entry(EntryCreate(question=question, answer=answer, **kw), session=session, actor="cur")


def _write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _count(session) -> int:
    return len(session.exec(select(Entry)).all())


# --- one wording, one entry ---------------------------------------------------------


def test_bank_import_refuses_an_alternate_naming_another_entry(runner, session, tmp_path):
    changes = _entry(session, CHANGES, alternates=[FORMALISED])
    for wording in (CHANGES.lower(), FORMALISED):  # its question or its alternate
        path = _write(tmp_path, "bank.csv", f'question,answer,alternates\r\nGood?,Yes,\r\n{SOC2},Yes,"{wording}"\r\n')
        result = runner.invoke(args=["bank", "import", str(path)])
        assert result.exit_code == 2, result.output
        assert f"row 3: the wording '{wording}' already names entry #{changes.id}" in result.output
        assert "nothing imported" in result.output
        assert _count(session) == 1  # not even the good row
    # the entry's own row may keep its wordings; another product scope may word it alike
    path = _write(
        tmp_path,
        "ok.csv",
        f'question,answer,alternates,products\r\n{CHANGES},No,"{FORMALISED}",\r\n{SOC2},Yes,"{CHANGES}",Canvas\r\n',
    )
    bank.get_or_create_product("Canvas", session=session)
    session.commit()
    result = runner.invoke(args=["bank", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 created, 1 updated" in result.output


def test_bank_import_refuses_rows_that_give_one_wording_to_two_new_entries(app, people, session):
    data = f'question,answer,alternates\r\n{SOC2},Yes,"{CHANGES}"\r\n{CHANGES},Yes,\r\n{FORMALISED},No,\r\n'.encode()
    rows = bank.read_bank_file(data, "bank.csv")
    with pytest.raises(bank.BankFileError) as caught:
        bank.plan_import(rows, session=session)
    assert caught.value.problems == [
        f"row 2: the wording '{CHANGES}' is also a wording of row 3: one wording names one entry, or which "
        "answer it gets depends on the matcher's pick",
        f"row 3: the wording '{CHANGES}' is also a wording of row 2: one wording names one entry, or which "
        "answer it gets depends on the matcher's pick",
    ]
    # the API's import says so too, with the rows, and writes nothing
    response = app.test_client().post(
        "/api/v1/entries/import",
        data={"file": (io.BytesIO(data), "bank.csv")},
        headers=bearer(token_for(app, people["curator"])),
    )
    assert response.status_code == 422 and response.get_json()["problems"] == caught.value.problems
    assert _count(session) == 0


def test_a_moved_wording_is_no_clash(session):
    """A file that moves an alternate from one entry to another leaves one owner."""
    changes = _entry(session, CHANGES, alternates=[FORMALISED])
    _entry(session, SOC2)
    data = f'question,answer,alternates\r\n{CHANGES},Yes,\r\n{SOC2},Yes,"{FORMALISED}"\r\n'.encode()
    result = bank.import_entries(bank.read_bank_file(data, "b.csv"), session=session, actor="cur")
    assert (result.updated, result.created) == (2, 0)
    assert session.get(Entry, changes.id).alternates == []


def test_learn_never_gives_a_wording_of_one_entry_to_another(runner, session, tmp_path):
    """Learning merges a question asked in another wording into the entry that has that
    wording, and keeps a disagreeing answer as a flagged conflict; it never attaches a
    wording to an entry, so no wording can silently name two unflagged entries."""
    changes = _entry(session, CHANGES, alternates=[FORMALISED], comment="ITIL.")
    soc2 = _entry(session, SOC2)
    path = tmp_path / "done.xlsx"
    path.write_bytes(questionnaire_xlsx([("C-1", FORMALISED, "Yes", "CAB weekly."), ("C-2", SOC2, "Yes", "")]))
    result = runner.invoke(args=["bank", "learn", str(path)])
    assert "0 created, 2 merged" in result.output, result.output
    session.expire_all()
    assert session.get(Entry, changes.id).alternates == [FORMALISED]
    assert session.get(Entry, soc2.id).alternates == []
    assert _count(session) == 2


# --- an approved entry answers something ---------------------------------------------


def test_an_approved_entry_needs_an_answer_or_a_comment_in_the_service(session):
    with pytest.raises(bank.EntryError, match="an approved entry needs an answer or a comment"):
        _entry(session, CHANGES, answer="")
    session.rollback()
    draft = _entry(session, CHANGES, answer="", status=EntryStatus.draft)  # waiting for an expert
    with pytest.raises(bank.EntryError, match=f"entry {draft.id}: an approved entry needs an answer or a comment"):
        bank.approve(draft.id, session=session, actor="cur")
    session.rollback()
    with pytest.raises(bank.EntryError, match="needs an answer or a comment"):
        bank.update_entry(draft.id, EntryUpdate(status=EntryStatus.approved), session=session, actor="cur")
    session.rollback()
    bank.update_entry(draft.id, EntryUpdate(comment="Weekly CAB."), session=session, actor="cur")
    assert bank.approve(draft.id, session=session, actor="cur").status == EntryStatus.approved
    with pytest.raises(bank.EntryError, match="needs an answer or a comment"):
        bank.update_entry(draft.id, EntryUpdate(answer="", comment=""), session=session, actor="cur")
    session.rollback()
    assert session.get(Entry, draft.id).comment == "Weekly CAB."


def test_form_api_and_approve_refuse_an_empty_approved_entry(app, people, curator_client, session):
    headers = bearer(token_for(app, people["curator"]))
    client = app.test_client()
    response = client.post("/api/v1/entries", json={"question": CHANGES, "status": "approved"}, headers=headers)
    assert response.status_code == 400 and "needs an answer or a comment" in response.get_json()["error"]
    draft = client.post("/api/v1/entries", json={"question": CHANGES}, headers=headers)
    assert draft.status_code == 201
    entry_id = draft.get_json()["id"]
    response = client.patch(f"/api/v1/entries/{entry_id}", json={"status": "approved"}, headers=headers)
    assert response.status_code == 400 and "needs an answer or a comment" in response.get_json()["error"]
    page = curator_client.post(f"/bank/{entry_id}/approve", follow_redirects=True).get_data(as_text=True)
    assert "an approved entry needs an answer or a comment" in page
    form = {"question": CHANGES, "answer": "", "comment": "", "status": "approved", "revision": "1"}
    response = curator_client.post(f"/bank/{entry_id}/edit", data=form)
    assert response.status_code == 400 and "needs an answer or a comment" in response.get_data(as_text=True)
    assert session.get(Entry, entry_id).status == EntryStatus.draft


def test_bank_import_refuses_an_approved_row_with_neither_answer_nor_comment(runner, session, tmp_path):
    rows = ["A?,Yes,,approved", "B?,,,approved", "C?,,,draft", "D?,,,", "E?,,Text.,"]
    text = "question,answer,comment,status\r\n" + "".join(f"{r}\r\n" for r in rows)
    result = runner.invoke(args=["bank", "import", str(_write(tmp_path, "bank.csv", text))])
    assert result.exit_code == 2
    assert "row 3: an approved entry needs an answer or a comment" in result.output
    assert "row 5: an approved entry needs an answer or a comment" in result.output  # --status approved
    assert "row 4" not in result.output and "row 6" not in result.output
    assert _count(session) == 0
    result = runner.invoke(args=["bank", "import", str(_write(tmp_path, "b.csv", text)), "--status", "draft"])
    assert result.exit_code == 2 and "row 3:" in result.output and "row 5" not in result.output
    # a file without a comment column keeps the entry's comment: no problem there
    _entry(session, "F?", answer="", comment="Kept.", status=EntryStatus.draft)
    text = "question,answer,status\r\nF?,,approved\r\n"
    result = runner.invoke(args=["bank", "import", str(_write(tmp_path, "c.csv", text))])
    assert result.exit_code == 0, result.output
    assert session.exec(select(Entry).where(Entry.question == "F?")).one().status == EntryStatus.approved


def test_matching_never_offers_an_entry_with_neither_answer_nor_comment(app, session):
    question = "Do you have a documented incident response plan?"
    empty = bank._add_entry(  # as a bank from before the rule may hold one
        EntryCreate(question=question, status=EntryStatus.approved), session=session, actor="old"
    )
    session.commit()
    _entry(session, "Is there a documented incident response plan?", comment="Tested yearly.")
    invalidate()
    [s] = suggest_for([one_question(question)], version_line="generic", product=None, session=session)
    assert s.entry_id != empty.id and empty.id not in [a.entry_id for a in s.alternatives]
    assert s.comment == "Tested yearly."


def test_restoring_an_empty_approved_revision_gives_a_draft(session):
    legacy = bank._add_entry(EntryCreate(question=CHANGES, status=EntryStatus.approved), session=session, actor="old")
    session.commit()
    bank.update_entry(legacy.id, EntryUpdate(comment="Weekly CAB."), session=session, actor="cur")
    restored = bank.restore_version(legacy.id, 1, session=session, actor="cur")
    assert (restored.comment, restored.status) == ("", EntryStatus.draft)
