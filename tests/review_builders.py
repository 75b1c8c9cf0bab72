"""Synthetic questionnaire and bank for the review workflow tests (API, pages, browser).

The workbook: ids in A, questions in B, a Yes/No dropdown in C, comments in D. The bank
answers the first question word for word (tier `exact`), paraphrases the second and third
(`high` or `review`, depending on the matcher), and says nothing about the last (`none`)."""

from __future__ import annotations

import io

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.datavalidation import DataValidation

from answers import bank
from answers.models import EntryCreate
from tests.auth_helpers import db

SHEET = "Vendor Questions"
QUESTIONS = [
    ("ENC-01", "Do you encrypt customer data at rest?"),
    ("MFA-01", "Is multi-factor authentication enforced for administrator accounts?"),
    ("BCP-01", "Do you maintain a tested business continuity plan?"),
    ("PHY-01", "How many parking spaces does your headquarters have for visitors?"),
]
BANK = [
    EntryCreate(question="Do you encrypt customer data at rest?", answer="Yes", comment="AES-256", owner="sec@x.test"),
    EntryCreate(question="Do you enforce MFA for all admin accounts?", answer="Yes", comment="Hardware keys"),
    EntryCreate(question="Is there a documented business continuity plan tested yearly?", answer="No", comment="Soon"),
]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def questionnaire_xlsx(questions=QUESTIONS) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append(["ID", "Question", "Answer", "Comments"])
    for qid, text in questions:
        ws.append([qid, text, None, None])
    dv = DataValidation(type="list", formula1='"Yes,No"')
    ws.add_data_validation(dv)
    dv.add(f"C2:C{len(questions) + 1}")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def load_bank(app: Flask) -> list[int]:
    with db(app) as s:
        return bank.import_entries(BANK, session=s).entry_ids


@pytest.fixture
def reviewer(app, sales_client):
    """A signed-in sales client over the synthetic bank (a fixture: conftest loads this module)."""
    load_bank(app)
    return sales_client


def upload_id(client: FlaskClient, data: bytes, filename: str, **fields: str) -> int:
    """Upload ``data`` through the page; the new questionnaire's id (the upload must succeed)."""
    r = client.post("/questionnaires/upload", **multipart(data, filename, **fields))
    assert r.status_code == 303, r.get_data(as_text=True)[:300]
    return int(r.headers["Location"].rstrip("/").rsplit("/", 1)[-1])


def cells(data: bytes, sheet: str = SHEET) -> dict[str, object]:
    """Every non-empty cell of a sheet, by coordinate."""
    ws = load_workbook(io.BytesIO(data))[sheet]
    return {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.value is not None}


def multipart(data: bytes, filename: str, **fields: str) -> dict:
    """Keyword arguments for `client.post(...)` carrying a multipart upload as raw bytes.

    Flask's test client spools files over 500 KB to a temporary file it never closes
    (a ResourceWarning, an error under `-W error`); a prebuilt body avoids that."""
    boundary = "answerbank-test-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + data
        + b"\r\n"
    )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}
