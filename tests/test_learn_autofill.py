"""flask bank learn and flask autofill, end to end through the importers, matching and exporters."""

import json

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from answers import audit
from answers.bank import create_entry
from answers.models import Entry, EntryCreate, EntryStatus
from tests.questionnaire_builders import questionnaire_xlsx

COMPLETED = [
    ("SEC-01", "Do you encrypt customer data at rest?", "Yes", "AES-256 with AWS KMS."),
    ("SEC-02", "Do you require multi-factor authentication for administrative access?", "Yes", "Okta with WebAuthn."),
    ("SEC-03", "Do you store customer data on removable media?", "No", "Prohibited by policy."),
    ("SEC-04", "Describe your approach to quantum tunnelling.", None, None),
]


def _learn(runner, tmp_path, rows, name="completed.xlsx", *args):
    path = tmp_path / name
    path.write_bytes(questionnaire_xlsx(rows))
    return runner.invoke(args=["bank", "learn", str(path), *args])


def test_learn_adds_answered_questions_with_their_origin(runner, session, tmp_path):
    result = _learn(runner, tmp_path, COMPLETED)
    assert result.exit_code == 0, result.output
    assert "3 created" in result.output and "1 unanswered skipped" in result.output
    entries = session.exec(select(Entry).order_by(Entry.id)).all()
    assert [(e.question_id, e.answer, e.comment) for e in entries] == [
        ("SEC-01", "Yes", "AES-256 with AWS KMS."),
        ("SEC-02", "Yes", "Okta with WebAuthn."),
        ("SEC-03", "No", "Prohibited by policy."),
    ]
    assert all(
        e.source == "completed.xlsx" and e.family == "generic" and e.status == EntryStatus.approved for e in entries
    )
    assert audit.verify(session) > 0


def test_learning_the_same_answers_again_merges_instead_of_duplicating(runner, session, tmp_path):
    _learn(runner, tmp_path, COMPLETED)
    result = _learn(runner, tmp_path, COMPLETED, "second.xlsx")
    assert "0 created, 3 merged" in result.output
    entry = session.exec(select(Entry).where(Entry.question_id == "SEC-01")).one()
    assert entry.source == "completed.xlsx; second.xlsx"
    assert len(session.exec(select(Entry)).all()) == 3


def test_a_disagreeing_verdict_keeps_both_and_flags_the_conflict(runner, session, tmp_path):
    _learn(runner, tmp_path, COMPLETED)
    changed = [("SEC-03", "Do you store customer data on removable media?", "Yes", "Encrypted USB drives only.")]
    result = _learn(runner, tmp_path, changed, "other.xlsx")
    assert "1 conflict(s) flagged" in result.output
    both = session.exec(select(Entry).where(Entry.question == changed[0][1])).all()
    assert sorted(e.answer for e in both) == ["No", "Yes"]
    assert all(e.conflict for e in both)


def test_learn_as_draft_for_a_product(runner, session, tmp_path):
    result = _learn(runner, tmp_path, COMPLETED[:1], "c.xlsx", "--product", "Lumen Dedicated", "--status", "draft")
    assert result.exit_code == 0, result.output
    from answers.bank import entry_products

    entry = session.exec(select(Entry)).one()
    assert entry.status == EntryStatus.draft
    assert entry_products(entry.id, session=session) == ["Lumen Dedicated"]


def _bank(session, *specs):
    for question, answer, comment, extra in specs:
        create_entry(
            EntryCreate(question=question, answer=answer, comment=comment, status=EntryStatus.approved, **extra),
            session=session,
        )


BLANK = [
    ("Q1", "Do you encrypt customer data at rest?", None, None),
    ("Q2", "What is the airspeed velocity of an unladen swallow?", None, None),
    ("Q3", "Do you notify customers of a data breach within 72 hours?", None, None),
    ("Q4", "Do you encrypt customer data at rest?", "No", "customer's own answer"),
]


def _autofill(runner, tmp_path, rows, *args, choices="Yes,No,N/A"):
    src = tmp_path / "blank.xlsx"
    src.write_bytes(questionnaire_xlsx(rows, choices=choices))
    out, report = tmp_path / "out.xlsx", tmp_path / "report.json"
    result = runner.invoke(args=["autofill", str(src), "-o", str(out), "--report", str(report), *args])
    return result, out, report


def test_autofill_writes_confident_answers_and_reports_every_question(runner, session, tmp_path):
    _bank(session, ("Do you encrypt customer data at rest?", "Yes", "AES-256 via AWS KMS.", {}))
    result, out, report = _autofill(runner, tmp_path, BLANK)
    assert result.exit_code == 0, result.output
    sheet = load_workbook(out)["Vendor Security"]
    assert (sheet["C2"].value, sheet["D2"].value) == ("Yes", "AES-256 via AWS KMS.")
    assert sheet["C3"].value is None and sheet["C4"].value is None  # no match: left empty
    assert (sheet["C5"].value, sheet["D5"].value) == ("No", "customer's own answer")  # never overwritten
    rows = json.loads(report.read_text())
    assert [r["id"] for r in rows] == ["Q1", "Q2", "Q3", "Q4"]
    assert set(rows[0]) == {
        "sheet",
        "cell",
        "id",
        "question",
        "answer",
        "comment",
        "tier",
        "score",
        "entry_id",
        "written",
        "note",
    }
    assert rows[0]["tier"] == "exact" and rows[0]["written"] is True and rows[0]["cell"] == "C2"
    assert rows[0]["note"] == ""
    assert rows[1]["written"] is False and rows[1]["tier"] in ("none", "review")
    assert rows[3]["written"] is False


def test_autofill_never_writes_a_verdict_the_cell_does_not_allow(runner, session, tmp_path):
    _bank(session, ("Do you notify customers of a data breach within 72 hours?", "Within 72 hours", "Per our DPA.", {}))
    result, out, report = _autofill(runner, tmp_path, BLANK[2:3])
    assert result.exit_code == 0, result.output
    row = json.loads(report.read_text())[0]
    assert row["tier"] == "review" and row["written"] is False
    assert row["note"] == "the bank's answer 'Within 72 hours' is not one of this cell's values"
    assert load_workbook(out)["Vendor Security"]["C2"].value is None


def test_autofill_maps_verdicts_onto_the_cells_own_spelling(runner, session, tmp_path):
    _bank(session, ("Do you encrypt customer data at rest?", "Yes", "AES-256.", {}))
    result, out, _ = _autofill(runner, tmp_path, BLANK[:1], choices="1) Yes,2) No,3) N/A")
    assert result.exit_code == 0, result.output
    assert load_workbook(out)["Vendor Security"]["C2"].value == "1) Yes"


def test_unknown_is_never_turned_into_na(runner, session, tmp_path):
    _bank(session, ("Do you encrypt customer data at rest?", "", "We are evaluating this.", {}))
    result, out, report = _autofill(runner, tmp_path, BLANK[:1])
    assert result.exit_code == 0, result.output
    assert json.loads(report.read_text())[0]["written"] is False
    assert load_workbook(out)["Vendor Security"]["C2"].value is None


def test_autofill_product_answers_never_bleed_into_other_products(runner, session, tmp_path):
    _bank(
        session,
        ("Do you encrypt customer data at rest?", "No", "Not on the shared tier.", {"products": ["Lumen API"]}),
        (
            "Do you offer a dedicated single-tenant deployment?",
            "Yes",
            "Lumen Dedicated.",
            {"products": ["Lumen Dedicated"]},
        ),
    )
    rows = [BLANK[0], ("Q9", "Do you offer a dedicated single-tenant deployment?", None, None)]
    result, out, _report = _autofill(runner, tmp_path, rows, "--product", "Lumen Dedicated")
    assert result.exit_code == 0, result.output
    sheet = load_workbook(out)["Vendor Security"]
    assert sheet["C2"].value is None  # the Lumen API answer is not used for Lumen Dedicated
    assert sheet["C3"].value == "Yes"
    result, out, _ = _autofill(runner, tmp_path, rows)  # no product: company-wide answers only
    sheet = load_workbook(out)["Vendor Security"]
    assert sheet["C2"].value is None and sheet["C3"].value is None


@pytest.mark.parametrize("spelling", [" Lumen Dedicated", "lumen dedicated", "LUMEN DEDICATED "])
def test_autofill_product_ignores_surrounding_spaces_and_case(runner, session, tmp_path, spelling):
    _bank(
        session,
        ("Do you offer a dedicated single-tenant deployment?", "Yes", "Dedicated.", {"products": ["Lumen Dedicated"]}),
    )
    rows = [("Q9", "Do you offer a dedicated single-tenant deployment?", None, None)]
    result, out, _report = _autofill(runner, tmp_path, rows, "--product", spelling)
    assert result.exit_code == 0, result.output
    assert load_workbook(out)["Vendor Security"]["C2"].value == "Yes"


def test_learn_product_spelled_differently_joins_the_stored_product(runner, session, tmp_path):
    from answers.bank import entry_products

    _bank(session, ("Seed question?", "Yes", "", {"products": ["Lumen Dedicated"]}))
    result = _learn(runner, tmp_path, COMPLETED[:1], "completed.xlsx", "--product", " lumen dedicated")
    assert result.exit_code == 0, result.output
    entry = session.exec(select(Entry).where(Entry.question_id == "SEC-01")).one()
    assert entry_products(entry.id, session=session) == ["Lumen Dedicated"]


def test_stale_and_draft_entries_are_not_written(runner, session, tmp_path):
    import datetime as dt

    create_entry(
        EntryCreate(
            question="Do you encrypt customer data at rest?",
            answer="Yes",
            comment="x",
            status=EntryStatus.approved,
            review_by=dt.date(2020, 1, 1),
        ),
        session=session,
    )
    create_entry(
        EntryCreate(question=BLANK[2][1], answer="Yes", comment="y", status=EntryStatus.draft), session=session
    )
    result, _out, report = _autofill(runner, tmp_path, [BLANK[0], BLANK[2]])
    assert result.exit_code == 0, result.output
    rows = json.loads(report.read_text())
    assert [(r["tier"], r["written"]) for r in rows] == [("review", False), ("review", False)]


@pytest.mark.parametrize(
    "args,reason",
    [
        (["--product", "Nope"], "unknown product"),
        (["--min-tier", "none"], "Invalid value"),
    ],
)
def test_autofill_bad_options_exit_2(runner, tmp_path, args, reason):
    result, _, _ = _autofill(runner, tmp_path, BLANK[:1], *args)
    assert result.exit_code == 2
    assert reason in result.output


def test_autofill_keeps_the_original_format(runner, tmp_path):
    src = tmp_path / "blank.xlsx"
    src.write_bytes(questionnaire_xlsx(BLANK[:1]))
    result = runner.invoke(args=["autofill", str(src), "-o", str(tmp_path / "out.csv")])
    assert result.exit_code == 2
    assert "keeps the original's format" in result.output


def test_autofill_of_a_workbook_named_docx_writes_a_file_named_xlsx(runner, tmp_path):
    """A workbook saved as .docx (the web reads it, by its content) was filled and written
    as out.docx, exit 0: a workbook Word cannot open; and out.xlsx was refused."""
    src = tmp_path / "blank.docx"
    src.write_bytes(questionnaire_xlsx(BLANK[:1]))
    refused = runner.invoke(args=["autofill", str(src), "-o", str(tmp_path / "out.docx")])
    assert refused.exit_code == 2
    assert "is an xlsx file named .docx: name the completed file out.xlsx" in refused.output
    assert not (tmp_path / "out.docx").exists()
    done = runner.invoke(args=["autofill", str(src), "-o", str(tmp_path / "out.xlsx")])
    assert done.exit_code == 0, done.output
    assert (tmp_path / "out.xlsx").read_bytes()[:2] == b"PK"


def test_autofill_of_a_corrupt_file_exits_2(runner, tmp_path):
    src = tmp_path / "broken.xlsx"
    src.write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    result = runner.invoke(args=["autofill", str(src), "-o", str(tmp_path / "out.xlsx")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_autofill_writes_csv_questionnaires(runner, session, tmp_path):
    _bank(session, ("Do you encrypt customer data at rest?", "Yes", "AES-256.", {}))
    src = tmp_path / "q.csv"
    src.write_text("ID,Question,Answer,Comments\r\nQ1,Do you encrypt customer data at rest?,,\r\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    result = runner.invoke(args=["autofill", str(src), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").splitlines()[1] == "Q1,Do you encrypt customer data at rest?,Yes,AES-256."


def test_answers_that_differ_only_in_whitespace_are_no_conflict(runner, session, tmp_path):
    contact = "Vendor Contact Email"
    first = [("GNRL-08", contact, "Reach out to your manager.\n For new clients, mail info@example.com", None)]
    second = [("GNRL-08", contact, "Reach out to your manager.\nFor new clients,  mail info@example.com", None)]
    _learn(runner, tmp_path, first, "a.xlsx")
    result = _learn(runner, tmp_path, second, "b.xlsx")
    assert "0 created, 1 merged, 0 conflict(s) flagged" in result.output, result.output
    [entry] = session.exec(select(Entry)).all()
    assert not entry.conflict and entry.source == "a.xlsx; b.xlsx"


def test_an_answer_dropped_for_a_shared_merged_cell_leaves_nothing_behind(runner, session, tmp_path):
    """Two questions whose comment cells are one merged cell: the first answer is written,
    the second neither half-written nor reported as written."""
    import io

    _bank(
        session,
        ("Do you encrypt customer data at rest?", "Yes", "AES-256 via AWS KMS.", {}),
        ("Do you notify customers of a data breach within 72 hours?", "No", "Within 5 days.", {}),
    )
    wb = load_workbook(io.BytesIO(questionnaire_xlsx([BLANK[0], BLANK[2]])))
    wb.active.merge_cells("D2:D3")
    src, out, report = tmp_path / "merged.xlsx", tmp_path / "out.xlsx", tmp_path / "report.json"
    wb.save(src)
    result = runner.invoke(args=["autofill", str(src), "-o", str(out), "--report", str(report)])
    assert result.exit_code == 0, result.output
    rows = json.loads(report.read_text())
    assert [r["written"] for r in rows] == [True, False]
    sheet = load_workbook(out)["Vendor Security"]
    assert (sheet["C2"].value, sheet["D2"].value) == ("Yes", "AES-256 via AWS KMS.")
    assert sheet["C3"].value is None  # the dropped answer's own cell stays empty


def test_learning_audits_a_filled_comment_and_the_conflict_on_both_entries(runner, session, tmp_path):
    from answers.models import AuditEvent

    _learn(runner, tmp_path, [("SEC-01", COMPLETED[0][1], "Yes", None)])
    entry = session.exec(select(Entry)).one()
    _learn(runner, tmp_path, [("SEC-01", COMPLETED[0][1], "Yes", "AES-256.")], "second.xlsx")
    session.refresh(entry)
    assert entry.comment == "AES-256." and entry.revision == 2
    learned = session.exec(select(AuditEvent).where(AuditEvent.action == "entry.learn")).one()
    assert learned.object_id == str(entry.id) and learned.details["after"]["comment"] == "AES-256."
    _learn(runner, tmp_path, [("SEC-01", COMPLETED[0][1], "No", None)], "third.xlsx")
    rival = session.exec(select(Entry).where(Entry.answer == "No")).one()
    conflicts = session.exec(select(AuditEvent).where(AuditEvent.action == "entry.conflict")).all()
    assert sorted((c.object_id, c.details["with"]) for c in conflicts) == sorted(
        [(str(rival.id), entry.id), (str(entry.id), rival.id)]
    )
    assert audit.verify(session) > 0


def test_learn_keeps_a_comment_whose_verdict_cell_is_empty(runner, session, tmp_path):
    rows = [("HL-02", "Describe your incident response process.", None, "A 24/7 on-call team triages alerts.")]
    result = _learn(runner, tmp_path, rows)
    assert result.exit_code == 0, result.output
    assert "1 created" in result.output and "0 unanswered skipped" in result.output
    entry = session.exec(select(Entry)).one()
    assert (entry.answer, entry.comment) == ("", "A 24/7 on-call team triages alerts.")
    again = _learn(runner, tmp_path, rows, "second.xlsx")
    assert "1 merged" in again.output and len(session.exec(select(Entry)).all()) == 1


def test_two_different_free_text_answers_are_a_conflict_not_a_merge(runner, session, tmp_path):
    # without a verdict the comment is the answer: the second file's contradicting answer
    # was dropped, and the file recorded as a source of the first one's
    question = "Describe your incident response process."
    _learn(runner, tmp_path, [("HL-02", question, None, "A 24/7 on-call team triages alerts.")], "acme.xlsx")
    same = _learn(runner, tmp_path, [("HL-02", question, None, "A 24/7 on-call team  triages alerts. ")], "b.xlsx")
    assert "1 merged" in same.output, same.output  # the same text, spaced differently
    other = [("HL-02", question, None, "Our MSP handles incidents; customers hear at the quarterly review.")]
    path = tmp_path / "globex.xlsx"
    path.write_bytes(questionnaire_xlsx(other))
    from answers.learn import plan_learn
    from importers import load

    assert [action for action, _ in plan_learn(load(path.read_bytes(), "globex.xlsx"), session=session).rows] == [
        "conflict"
    ]
    result = runner.invoke(args=["bank", "learn", str(path)])
    assert "0 merged, 1 conflict(s) flagged" in result.output, result.output
    session.expire_all()
    entries = session.exec(select(Entry).order_by(Entry.id)).all()
    assert [(e.comment[:8], e.source, e.conflict) for e in entries] == [
        ("A 24/7 o", "acme.xlsx; b.xlsx", True),
        ("Our MSP ", "globex.xlsx", True),
    ]


def test_autofill_refuses_to_overwrite_its_input(runner, tmp_path):
    src = tmp_path / "blank.xlsx"
    original = questionnaire_xlsx(BLANK[:1])
    src.write_bytes(original)
    same = tmp_path / "sub" / ".." / "blank.xlsx"
    (tmp_path / "sub").mkdir()
    result = runner.invoke(args=["autofill", str(src), "-o", str(same)])
    assert result.exit_code == 2
    assert "the output is the input file" in result.output
    assert src.read_bytes() == original


def test_autofill_checks_the_report_path_before_writing_the_output(runner, tmp_path):
    src = tmp_path / "blank.xlsx"
    src.write_bytes(questionnaire_xlsx(BLANK[:1]))
    out, report = tmp_path / "out.xlsx", tmp_path / "missing" / "r.json"
    result = runner.invoke(args=["autofill", str(src), "-o", str(out), "--report", str(report)])
    assert result.exit_code == 2
    assert str(report) in result.output and "does not exist" in result.output
    assert not out.exists()


def test_autofill_of_a_file_without_an_extension_names_the_output_by_its_content(runner, tmp_path):
    # a file saved from an upload folder has no extension to keep: the completed workbook
    # used to be written as out.csv, which opens nowhere
    src = tmp_path / "07b0f8f105cf8f91"
    src.write_bytes(questionnaire_xlsx(BLANK[:1]))
    refused = runner.invoke(args=["autofill", str(src), "-o", str(tmp_path / "out.csv")])
    assert refused.exit_code == 2
    assert "has no extension and is an xlsx file: name the completed file out.xlsx" in refused.output
    assert not (tmp_path / "out.csv").exists()
    done = runner.invoke(args=["autofill", str(src), "-o", str(tmp_path / "out.xlsx")])
    assert done.exit_code == 0, done.output
    assert (tmp_path / "out.xlsx").read_bytes()[:2] == b"PK"


def test_autofill_refuses_a_workbook_named_csv(runner, tmp_path):
    src = tmp_path / "blank.csv"
    src.write_bytes(questionnaire_xlsx(BLANK[:1]))
    result = runner.invoke(args=["autofill", str(src), "-o", str(tmp_path / "out.csv")])
    assert result.exit_code == 2
    assert "Excel workbook named .csv: rename it to .xlsx" in result.output
    assert not (tmp_path / "out.csv").exists()


def test_autofill_reports_a_question_without_an_answer_cell_of_its_own(runner, session, tmp_path):
    """Two questions in the merged answer cell C2:C3: the second has nowhere to go. The
    report used to call it written when both verdicts agreed, with no word of why not."""
    import io

    _bank(
        session,
        ("Do you encrypt customer data at rest?", "Yes", "AES-256 via AWS KMS.", {}),
        ("Do you notify customers of a data breach within 72 hours?", "Yes", "Within 72 hours.", {}),
    )
    wb = load_workbook(io.BytesIO(questionnaire_xlsx([BLANK[0], BLANK[2]])))
    wb.active.merge_cells("C2:C3")
    src, out, report = tmp_path / "merged.xlsx", tmp_path / "out.xlsx", tmp_path / "report.json"
    wb.save(src)
    result = runner.invoke(args=["autofill", str(src), "-o", str(out), "--report", str(report)])
    assert result.exit_code == 0, result.output
    rows = json.loads(report.read_text())
    assert [r["written"] for r in rows] == [True, False]
    assert rows[0]["note"] == ""
    assert rows[1]["note"].startswith("not writable: its answer cell lies in the merged cell C2")
    assert "Q1" in rows[1]["note"]
    assert "1 answers written, 1 not writable" in result.output
    sheet = load_workbook(out)["Vendor Security"]
    assert (sheet["C2"].value, sheet["D2"].value) == ("Yes", "AES-256 via AWS KMS.")
    assert sheet["D3"].value is None  # nothing of the unwritable answer is left behind


def _mostly_blank(answered: int, total: int = 40) -> list[tuple[str, str, str | None, str | None]]:
    return [
        (f"BLK-{i:02d}", f"Do you operate control number {i} of the programme?", "No" if i < answered else None, None)
        for i in range(total)
    ]


def test_a_mostly_blank_template_is_not_learned_without_asking(runner, session, tmp_path):
    result = _learn(runner, tmp_path, _mostly_blank(3))  # 3 of 40 answered: template defaults
    assert result.exit_code == 2
    assert "only 3 of 40 questions are answered" in result.output
    assert "--partial" in result.output
    assert session.exec(select(Entry)).all() == []
    assert all(e.action != "bank.learn" for e in audit.events(session))


def test_a_mostly_blank_template_is_learned_with_partial(runner, session, tmp_path):
    result = _learn(runner, tmp_path, _mostly_blank(3), "blank.xlsx", "--partial")
    assert result.exit_code == 0, result.output
    assert "3 created" in result.output
    assert len(session.exec(select(Entry)).all()) == 3


def test_a_questionnaire_answered_at_one_in_ten_is_learned(runner, session, tmp_path):
    result = _learn(runner, tmp_path, _mostly_blank(4))  # exactly 10%: a partly completed file
    assert result.exit_code == 0, result.output
    assert "4 created" in result.output


def test_the_blank_hecvat_306_template_teaches_nothing(runner, session, corpus):
    # its one prefilled answer is the template's default SSO "No"
    path = corpus / "hecvat" / "D3c3pt1c0nCyber_HECVAT-Full-v3.06 (blank, 2024-05 revision).xlsx"
    result = runner.invoke(args=["bank", "learn", str(path)])
    assert result.exit_code == 2
    assert "only 1 of 255 questions are answered" in result.output
    assert session.exec(select(Entry)).all() == []


def test_the_caiq_11_notes_are_not_learned_as_answers(runner, session, corpus):
    path = corpus / "caiq" / "metanorma_csa-caiq-v1.1-09-01-2011.xlsx"
    result = runner.invoke(args=["bank", "learn", str(path)])
    assert result.exit_code == 2
    assert "only 12 of 197 questions are answered" in result.output
    assert session.exec(select(Entry)).all() == []


def test_learned_text_is_saved_as_an_import_would_read_it_back(runner, session, tmp_path):
    # a vendor's comment with a zero-width no-break space inside (Canvas LMS HECVAT 3.03,
    # COMP-05): its unchanged export imported back counted as an edit of the approved entry
    rows = [("SEC-01", "Do you encrypt customer data at rest?", "Yes", "AES-256 \ufeffwith AWS\u200b KMS.")]
    assert _learn(runner, tmp_path, rows).exit_code == 0
    assert session.exec(select(Entry)).one().comment == "AES-256 with AWS KMS."
    export = tmp_path / "bank.csv"
    assert runner.invoke(args=["bank", "export", str(export)]).exit_code == 0
    again = runner.invoke(args=["bank", "import", str(export)])
    assert again.exit_code == 0, again.output
    assert "0 created, 0 updated, 1 unchanged" in again.output


def test_a_questionnaire_without_a_single_answer_is_refused(runner, session, tmp_path):
    # the blank HECVAT 4.1.2 was "learned" with exit 0: 0 created, 331 unanswered skipped
    result = _learn(runner, tmp_path, _mostly_blank(0, total=5))
    assert result.exit_code == 2
    assert "none of its 5 question(s) has an answer: nothing learned" in result.output
    assert session.exec(select(Entry)).all() == []
    assert all(e.action != "bank.learn" for e in audit.events(session))


def test_a_csv_questionnaires_control_characters_are_not_learned(runner, session, tmp_path):
    # a stray U+0001 was learned, and the bank's own export was then refused by its import
    path = tmp_path / "done.csv"
    path.write_bytes(
        b'ID,Question,Answer,Comment\r\nQ-01,Do you encrypt data at rest?,Yes,"AES\x01-256 via\x0bKMS"\r\n'
    )
    result = runner.invoke(args=["bank", "learn", str(path)])
    assert result.exit_code == 0, result.output
    assert session.exec(select(Entry)).one().comment == "AES-256 via\nKMS"
    export = tmp_path / "bank.csv"
    assert runner.invoke(args=["bank", "export", str(export)]).exit_code == 0
    again = runner.invoke(args=["bank", "import", str(export)])
    assert again.exit_code == 0, again.output
    assert "0 created, 0 updated, 1 unchanged" in again.output
