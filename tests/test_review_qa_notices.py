"""QA round 2 on the review page: importer warnings shown, comments with nowhere to go,
unaccepted suggestions before download, one error per failed upload, assignees."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import Workbook

from tests.review_builders import load_bank, multipart, questionnaire_xlsx

NO_HEADER_QUESTIONS = [
    "Do you encrypt customer data at rest?",
    "Is multi-factor authentication enforced for administrator accounts?",
    "Do you maintain a tested business continuity plan?",
]


def no_header_xlsx() -> bytes:
    """No header row: questions in B, answers assumed in C, no comment column at all."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Q"
    for n, text in enumerate(NO_HEADER_QUESTIONS, 1):
        ws.append([f"Q-{n}", text])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.fixture
def reviewer(app, sales_client):
    load_bank(app)
    return sales_client


def upload(client, data: bytes, name: str) -> int:
    r = client.post("/questionnaires/upload", **multipart(data, name))
    assert r.status_code == 303, r.get_data(as_text=True)
    return int(r.headers["Location"].rstrip("/").rsplit("/", 1)[-1])


def item_ids(client, qid: int) -> list[int]:
    html = client.get(f"/questionnaires/{qid}").get_data(as_text=True)
    return [int(m) for m in re.findall(r'<article class="item[^"]*" id="item-(\d+)"', html)]


def test_review_page_shows_the_importer_warnings(reviewer):
    qid = upload(reviewer, no_header_xlsx(), "noheader.xlsx")
    page = reviewer.get(f"/questionnaires/{qid}").get_data(as_text=True)
    assert "import-warnings" in page
    assert "no header row; questions read from column B, answers assumed in column C" in page


def test_review_page_without_warnings_shows_no_notice(reviewer):
    qid = upload(reviewer, questionnaire_xlsx(), "vendor.xlsx")
    assert "import-warnings" not in reviewer.get(f"/questionnaires/{qid}").get_data(as_text=True)
