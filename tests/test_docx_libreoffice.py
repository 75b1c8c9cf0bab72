"""Word files Answerbank writes (a completed questionnaire, the response report) open in
LibreOffice Writer and show what was written: python-docx reading them back proves only
that python-docx can. Skips where LibreOffice Writer is not installed."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import docx
import pytest

from exporters.docx import ReportRow, response_report, write_back
from importers import load
from tests import docx_builders as build
from tests.libreoffice import convert, soffice_or_skip

TEXT = "txt:Text (encoded):UTF8"
DOCS = {"header": build.header_table_doc, "marks": build.mark_columns_doc, "nested": build.nested_form_doc}


@pytest.fixture(scope="module")
def writer(tmp_path_factory) -> str:
    exe = soffice_or_skip()
    tmp = tmp_path_factory.mktemp("writer-probe")
    probe = tmp / "probe.docx"
    probe.write_bytes(build.to_bytes(docx.Document()))  # python-docx's own file, untouched by us
    try:
        out = convert(exe, [probe], TEXT, tmp)
    except subprocess.CalledProcessError:
        out = tmp / "none"
    if not (out / "probe.txt").is_file():
        pytest.skip("LibreOffice Writer is not installed (Debian: apt-get install libreoffice-writer)")
    return exe


def lines_of(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8-sig").splitlines()


def test_completed_word_questionnaires_open_in_writer_with_every_answer(writer, tmp_path):
    files, expected, chosen = [], {}, {}
    for name, build_doc in DOCS.items():
        original = build_doc()
        questions = load(original, f"{name}.docx").questions
        values = {}
        for n, q in enumerate(questions):
            answer = q.choices[-1] if q.choices else f"{name} answer {n}: géré, with a comma"
            comment = f"{name} comment {n} – ünïcode" if q.comment_cell is not None else None
            values.update(q.cell_values(answer, comment))
            chosen[(name, q.text)] = answer
        written = write_back(original, values)
        # our own reading of the file agrees with what was written
        for q in load(written, f"{name}.docx").questions:
            assert q.answer == chosen[(name, q.text)], (name, q.text)
        path = tmp_path / f"{name}.docx"
        path.write_bytes(written)
        files.append(path)
        expected[name] = [q.text for q in questions] + [v for v in values.values() if v and v != "x"]
    out = convert(writer, files, TEXT, tmp_path)
    for name, texts in expected.items():
        converted = out / f"{name}.txt"
        assert converted.is_file(), f"LibreOffice could not open the completed {name}.docx"
        lines = lines_of(converted)
        # a choice in a checkbox cell shows as its ticked box ("☐ Yes ☒ No")
        missing = [t for t in texts if t not in lines and not any(f"☒ {t}" in line for line in lines)]
        assert not missing, f"{name}.docx in LibreOffice lacks {missing}"
    marks = lines_of(out / "marks.txt")
    assert marks.count("x") == 2  # one tick per question, the other marks cleared


def test_the_response_report_opens_in_writer(writer, tmp_path):
    rows = [
        ReportRow("Access Control", "AC-01", "Do you enforce MFA?", "Yes", "For all staff", "answered", "exact"),
        ReportRow("Logging", "LG-01", "Do you keep audit logs for a year?", None, None, "unanswered", "none"),
        ReportRow(None, None, "Anything else – ünïcode?", "No", "Nothing, thanks", "accepted", "high"),
    ]
    path = tmp_path / "report.docx"
    path.write_bytes(
        response_report("Vendor review", rows, subtitle="Acme", generated_at=dt.datetime(2026, 11, 30, tzinfo=dt.UTC))
    )
    out = convert(writer, [path], TEXT, tmp_path)
    assert (out / "report.txt").is_file(), "LibreOffice could not open the response report"
    text = "\n".join(lines_of(out / "report.txt"))
    for row in rows:
        assert row.question in text
        for value in (row.answer, row.comment):
            if value:
                assert value in text
    assert "Vendor review" in text
