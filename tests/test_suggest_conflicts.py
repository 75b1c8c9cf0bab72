"""An entry learned from sources that disagree is never written: its suggestion waits for
review, names the rival entries and lists them as alternatives, until a curator resolves
the conflict."""

from __future__ import annotations

import json

from openpyxl import load_workbook
from sqlmodel import select

from answers import bank
from answers.models import Entry
from answers.suggest import invalidate, suggest_for
from tests.questionnaire_builders import one_question, questionnaire_xlsx

REMOVABLE = "Do you store customer data on removable media?"
OTHER = "Do you encrypt customer data at rest?"


def _learn(runner, tmp_path, rows, name):
    path = tmp_path / name
    path.write_bytes(questionnaire_xlsx(rows))
    result = runner.invoke(args=["bank", "learn", str(path), "--product", "Canvas"])
    assert result.exit_code == 0, result.output
    return result


def _conflicting_bank(runner, session, tmp_path, *, then=None) -> tuple[Entry, Entry]:
    """Learn a.xlsx, call ``then()``, learn b.xlsx that disagrees on REMOVABLE."""
    invalidate()
    _learn(runner, tmp_path, [("SEC-01", REMOVABLE, "No", "Prohibited."), ("SEC-02", OTHER, "Yes", "AES.")], "a.xlsx")
    if then is not None:
        then()
    result = _learn(runner, tmp_path, [("SEC-01", REMOVABLE, "Yes", "Encrypted USB drives only.")], "b.xlsx")
    assert "1 conflict(s) flagged" in result.output
    session.expire_all()  # learning ran in the CLI's own session
    first, second = session.exec(select(Entry).where(Entry.question == REMOVABLE).order_by(Entry.id)).all()
    return first, second


def _suggest(session, text: str):
    [s] = suggest_for([one_question(text)], version_line="generic", product="Canvas", session=session)
    return s


def test_a_conflicting_exact_match_waits_for_review_and_names_its_rival(runner, session, tmp_path):
    first, second = _conflicting_bank(runner, session, tmp_path)
    s = _suggest(session, REMOVABLE)
    assert s.tier == "review" and s.entry_id == first.id
    assert "disagreeing answers" in s.note and f"#{second.id}" in s.note
    assert [(a.entry_id, a.tier, a.answer) for a in s.alternatives if a.entry_id == second.id] == [
        (second.id, "review", "Yes")
    ]
    assert _suggest(session, OTHER).tier == "exact"  # entries in no conflict are still written


def test_a_conflicting_high_match_waits_for_review(runner, session, tmp_path):
    reworded = "Do you store any customer data on removable media?"
    before = []
    _, rival = _conflicting_bank(runner, session, tmp_path, then=lambda: before.append(_suggest(session, reworded)))
    assert before[0].tier == "high"  # what it is without the conflict
    s = _suggest(session, reworded)
    assert s.tier == "review" and f"#{rival.id}" in s.note


def test_autofill_writes_no_conflicting_answer(runner, session, tmp_path):
    _conflicting_bank(runner, session, tmp_path)
    src, out, report = tmp_path / "blank.xlsx", tmp_path / "out.xlsx", tmp_path / "report.json"
    src.write_bytes(questionnaire_xlsx([("SEC-01", REMOVABLE, None, None), ("SEC-02", OTHER, None, None)]))
    args = ["autofill", str(src), "-o", str(out), "--product", "Canvas", "--report", str(report)]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    rows = {r["id"]: r for r in json.loads(report.read_text())}
    assert (rows["SEC-01"]["tier"], rows["SEC-01"]["written"]) == ("review", False)
    assert (rows["SEC-02"]["tier"], rows["SEC-02"]["written"]) == ("exact", True)
    ws = load_workbook(out).active
    assert (ws["C2"].value, ws["C3"].value) == (None, "Yes")


def test_a_conflict_resolved_by_a_curator_writes_again(runner, session, tmp_path):
    first, second = _conflicting_bank(runner, session, tmp_path)
    bank.retire(first.id, session=session, actor="curator@example.com", note="conflict resolved")
    bank.clear_conflict([second.id], session=session, actor="curator@example.com")
    s = _suggest(session, REMOVABLE)
    assert (s.tier, s.entry_id, s.answer, s.note) == ("exact", second.id, "Yes", "")


def test_a_conflict_dismissed_in_another_session_is_seen_by_the_cached_index(app, runner, session, tmp_path):
    from sqlmodel import Session

    from answers.db import get_engine

    first, second = _conflicting_bank(runner, session, tmp_path)
    # the answers agree now; the flags stay until a curator clears them
    bank.update_entry(second.id, bank.EntryUpdate(answer="No"), session=session, actor="curator@example.com")
    assert _suggest(session, REMOVABLE).tier == "review"  # the index and its rows are cached now
    with Session(get_engine(app)) as other:  # a curator's request: flags cleared, no new revision
        bank.clear_conflict([first.id, second.id], session=other, actor="curator@example.com")
    with Session(get_engine(app)) as fresh:
        s = _suggest(fresh, REMOVABLE)
    assert (s.tier, s.note) == ("exact", "")
