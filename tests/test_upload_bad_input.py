"""Bad input over the HTTP upload path, through the browser form and the API.

Every case must end in a clean 4xx with a one-line reason, the database unchanged (no
Questionnaire or Item row, no questionnaire audit event: refused uploads are not audited,
only logged as `upload refused: <ErrorClass> (<n> bytes)`), and nothing left in the
upload folder."""

from __future__ import annotations

import functools
import html
import io
import re
from pathlib import Path

import pytest
from sqlmodel import func, select
from werkzeug.test import encode_multipart

from answers.models import AuditEvent, Item, Questionnaire
from tests import upload_builders as b
from tests.auth_helpers import bearer, db, token_for
from tests.docx_builders import tiny_png

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
MB = 1024 * 1024


@functools.cache
def _payload(name: str) -> bytes:
    sheet = "xl/worksheets/sheet1.xml"
    makers = {
        "truncated_zip": lambda: b.xlsx()[: len(b.xlsx()) // 2],
        "zip_bomb": b.zip_bomb,
        "xxe_xlsx": lambda: b.poisoned(b.xlsx(), sheet, b.XXE),
        "laughs_xlsx": lambda: b.poisoned(b.xlsx(), sheet, b.LAUGHS),
        "xxe_docx": lambda: b.poisoned(b.docx_questionnaire(), "word/document.xml", b.XXE),
        "laughs_docx": lambda: b.poisoned(b.docx_questionnaire(), "word/document.xml", b.LAUGHS),
        "empty": lambda: b"",
        "csv_named_xlsx": b.csv_questionnaire,
        "pdf_named_xlsx": lambda: b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n",
        "png_named_xlsx": tiny_png,
        "exe_named_xlsx": lambda: b"MZ\x90\x00\x03" + b"\x00" * 59 + b"This program cannot be run in DOS mode.\r\n",
        "legacy_xls": lambda: OLE2 + "Workbook".encode("utf-16-le"),
        "encrypted_ooxml": lambda: OLE2 + "EncryptedPackage".encode("utf-16-le"),
        "no_questions": b.no_questions_xlsx,
        # over MAX_UPLOAD_MB (5 in tests) but under Flask's MAX_CONTENT_LENGTH headroom:
        # refused by importers.load, not by Flask
        "just_over_limit": lambda: b"\x00" * (5 * MB + 1024),
    }
    return makers[name]()


# name: (upload filename, status, words the reason must contain)
CASES = {
    "truncated_zip": ("q.xlsx", 400, "damaged or truncated"),
    "zip_bomb": ("q.xlsx", 400, "zip bomb"),
    "xxe_xlsx": ("q.xlsx", 400, "DOCTYPE or ENTITY"),
    "laughs_xlsx": ("q.xlsx", 400, "DOCTYPE or ENTITY"),
    "xxe_docx": ("q.docx", 400, "DOCTYPE or ENTITY"),
    "laughs_docx": ("q.docx", 400, "DOCTYPE or ENTITY"),
    "empty": ("q.xlsx", 400, "empty"),
    "csv_named_xlsx": ("q.xlsx", 422, "not a questionnaire format"),
    "pdf_named_xlsx": ("q.xlsx", 422, "not a questionnaire format"),
    "png_named_xlsx": ("q.xlsx", 422, "not a questionnaire format"),
    "exe_named_xlsx": ("q.xlsx", 422, "not a questionnaire format"),
    "legacy_xls": ("q.xlsx", 415, "legacy .xls"),
    "encrypted_ooxml": ("q.xlsx", 400, "password-protected"),
    "no_questions": ("q.xlsx", 422, "no recognisable questions"),
    "just_over_limit": ("q.xlsx", 413, "over the"),
}


def _state(app) -> dict:
    with db(app) as s:
        counts = {
            "questionnaires": s.exec(select(func.count()).select_from(Questionnaire)).one(),
            "items": s.exec(select(func.count()).select_from(Item)).one(),
        }
        actions = [e.action for e in s.exec(select(AuditEvent).order_by(AuditEvent.id))]
    files = (
        sorted(p.name for p in Path(app.config["UPLOAD_FOLDER"]).glob("*"))
        if Path(app.config["UPLOAD_FOLDER"]).exists()
        else []
    )
    return {"counts": counts, "actions": actions, "files": files}


def _assert_unchanged(app, before: dict) -> None:
    after = _state(app)
    assert after["counts"] == before["counts"]
    assert after["files"] == before["files"] == []
    new = after["actions"][len(before["actions"]) :]
    assert after["actions"][: len(before["actions"])] == before["actions"]
    assert set(new) <= {"token.used"}, new  # the bearer token's use is audited; the upload is not


def post_file(client, url: str, data: bytes, filename: str, headers=None):
    """Multipart POST encoded in memory: werkzeug's test client spools bodies over 500 KB to
    a temporary file it never closes (an unraisable-exception warning under -W error)."""
    from werkzeug.datastructures import FileStorage

    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(data), filename=filename)})
    return client.post(url, data=body, headers=headers, content_type=f"multipart/form-data; boundary={boundary}")


def _page_reason(response) -> str:
    body = response.get_data(as_text=True)
    found = re.search(r'<p class="error-box" role="alert">(.*?)</p>', body, re.S)
    assert found, body[:500]
    return html.unescape(found.group(1))


@pytest.fixture
def api_headers(app, people):
    return bearer(token_for(app, people["sales"]))


@pytest.mark.parametrize("name", sorted(CASES))
def test_page_upload_refuses_bad_input_cleanly(app, sales_client, name):
    filename, status, words = CASES[name]
    before = _state(app)
    response = post_file(sales_client, "/questionnaires/upload", _payload(name), filename)
    assert response.status_code == status
    assert response.mimetype == "text/html"
    reason = _page_reason(response)
    assert words in reason and "\n" not in reason.strip()
    assert "Traceback" not in response.get_data(as_text=True)
    _assert_unchanged(app, before)


@pytest.mark.parametrize("name", sorted(CASES))
def test_api_upload_refuses_bad_input_cleanly(app, client, api_headers, name):
    filename, status, words = CASES[name]
    before = _state(app)
    response = post_file(client, "/api/v1/questionnaires", _payload(name), filename, api_headers)
    assert response.status_code == status
    body = response.get_json()
    assert set(body) == {"error"}
    assert words in body["error"] and "\n" not in body["error"]
    _assert_unchanged(app, before)


FIFTY_MB = 50 * MB


def test_page_over_the_request_limit_gets_a_readable_413(app, sales_client):
    before = _state(app)
    response = post_file(sales_client, "/questionnaires/upload", b"\x00" * FIFTY_MB, "big.xlsx")
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert _page_reason(response) == "The file is larger than the 5 MB upload limit."
    _assert_unchanged(app, before)


def test_api_over_the_request_limit_gets_json_413(app, client, api_headers):
    before = _state(app)
    response = post_file(client, "/api/v1/questionnaires", b"\x00" * FIFTY_MB, "big.xlsx", api_headers)
    assert response.status_code == 413
    assert response.get_json() == {"error": "The file is larger than the 5 MB upload limit."}
    _assert_unchanged(app, before)


def test_413_before_sign_in_does_not_show_products(app, client):
    """With CSRF on, the body is read before the role check: the 413 page must not leak."""
    app.config["WTF_CSRF_ENABLED"] = True
    response = post_file(client, "/questionnaires/upload", b"\x00" * (6 * MB), "big.xlsx")
    assert response.status_code == 413
    assert "upload limit" in _page_reason(response)


def test_refused_upload_is_logged_without_name_or_contents(app, sales_client, caplog):
    caplog.set_level("DEBUG")
    post_file(sales_client, "/questionnaires/upload", _payload("xxe_xlsx"), "Secret Customer.xlsx")
    refused = [r.getMessage() for r in caplog.records if r.getMessage().startswith("upload refused")]
    assert refused == [f"upload refused: UnsafeFile ({len(_payload('xxe_xlsx'))} bytes)"]
    assert not any("Secret Customer" in r.getMessage() for r in caplog.records)


def test_xlsx_named_csv_is_refused_with_the_rename_to_make(app, client, api_headers):
    """Read as the workbook it is, the completed file came back as "….csv" holding an
    xlsx (CLI). Refused at the importer, so page, API and CLI all say the same."""
    before = _state(app)
    response = post_file(client, "/api/v1/questionnaires", b.xlsx(), "answers.csv", api_headers)
    assert response.status_code == 415, response.get_json()
    error = response.get_json()["error"]
    assert "the file is an Excel workbook named .csv: rename it to .xlsx" in error
    _assert_unchanged(app, before)


def test_docx_named_xlsx_is_read_as_docx(app, client, api_headers):
    response = post_file(client, "/api/v1/questionnaires", b.docx_questionnaire(), "form.xlsx", api_headers)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["format"] == "docx"


def test_api_json_body_over_the_limit_is_not_called_a_file(app, client, api_headers):
    body = b'{"comment": "' + b"x" * (6 * MB) + b'"}'
    headers = {**api_headers, "Content-Type": "application/json"}
    response = client.patch("/api/v1/items/1", data=body, headers=headers)
    assert response.status_code == 413
    assert response.get_json() == {"error": "The request body is larger than the 5 MB limit."}


@pytest.mark.parametrize("url", ["/questionnaires/upload", "/api/v1/questionnaires"])
def test_a_customer_name_over_300_characters_is_refused_not_cut(app, client, sales_client, api_headers, url):
    from werkzeug.datastructures import FileStorage

    before = _state(app)
    fields = {"file": FileStorage(io.BytesIO(b.csv_questionnaire()), filename="q.csv"), "customer": "C" * 301}
    boundary, body = encode_multipart(fields)
    page = url.startswith("/questionnaires")
    response = (sales_client if page else client).post(
        url,
        data=body,
        headers=None if page else api_headers,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 400
    reason = _page_reason(response) if page else response.get_json()["error"]
    assert reason == "customer: at most 300 characters"
    if page:  # the typed name is kept for correcting
        assert 'value="' + "C" * 301 + '"' in response.get_data(as_text=True)
    _assert_unchanged(app, before)
