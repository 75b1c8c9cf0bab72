"""What happens to an accepted upload's bytes: random storage names whatever the uploaded
name says, macros carried through untouched, formula-looking answers exported as text."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from tests import upload_builders as b
from tests.auth_helpers import bearer, token_for
from tests.test_upload_bad_input import post_file

API = "/api/v1"


@pytest.fixture
def headers(app, people):
    return bearer(token_for(app, people["sales"]))


def raw_multipart(client, url: str, data: bytes, filename: str, headers) -> object:
    """A hand-built body whose filename is a quoted-string with backslashes escaped (as
    RFC 7578 says), so the server sees the name exactly as given."""
    quoted = filename.replace("\\", "\\\\").replace('"', '\\"')
    body = (
        b"--BOUNDARY\r\n"
        + f'Content-Disposition: form-data; name="file"; filename="{quoted}"\r\n'.encode()
        + b"Content-Type: application/octet-stream\r\n\r\n"
        + data
        + b"\r\n--BOUNDARY--\r\n"
    )
    return client.post(url, data=body, headers=headers, content_type="multipart/form-data; boundary=BOUNDARY")


def upload(client, headers, data: bytes, filename: str) -> dict:
    response = raw_multipart(client, f"{API}/questionnaires", data, filename, headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def accept_all_with(client, headers, qid: int, answers: list[str]) -> None:
    items = client.get(f"{API}/questionnaires/{qid}/items", headers=headers).get_json()["items"]
    for item, answer in zip(items, answers, strict=False):
        response = client.patch(
            f"{API}/items/{item['id']}",
            json={"answer": answer, "status": "accepted", "lock_version": item["lock_version"]},
            headers=headers,
        )
        assert response.status_code == 200, response.get_json()


def stored_files(app) -> list[Path]:
    return sorted(Path(app.config["UPLOAD_FOLDER"]).iterdir())


@pytest.mark.parametrize(
    ("filename", "display"),
    [
        ("../../etc/passwd.xlsx", "passwd.xlsx"),
        ("..\\..\\x.xlsx", "x.xlsx"),
        ("a/b/c.xlsx", "c.xlsx"),
        ("/abs/path/q.xlsx", "q.xlsx"),
    ],
)
def test_uploaded_name_is_never_a_path(app, client, headers, tmp_path, filename, display):
    data = b.xlsx()
    body = upload(client, headers, data, filename)
    assert body["filename"] == display
    files = stored_files(app)
    assert len(files) == 1
    assert re.fullmatch(r"[0-9a-f]{32}", files[0].name)
    assert files[0].resolve().parent == Path(app.config["UPLOAD_FOLDER"]).resolve()
    assert files[0].read_bytes() == data
    # nothing written outside the upload folder under any part of the given name
    everything = {p.relative_to(tmp_path) for p in tmp_path.rglob("*")}
    assert everything == {Path("uploads"), Path("uploads") / files[0].name}
    assert (files[0].stat().st_mode & 0o777) == 0o600


def test_page_upload_also_stores_under_a_random_name(app, sales_client):
    response = post_file(sales_client, "/questionnaires/upload", b.xlsx(), "../../../tmp/evil.xlsx")
    assert response.status_code == 303
    (stored,) = stored_files(app)
    assert re.fullmatch(r"[0-9a-f]{32}", stored.name)
    page = sales_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "evil.xlsx" in page and "../" not in page


def test_macros_survive_byte_identical_and_are_never_run(app, client, headers):
    original = b.xlsm()
    body = upload(client, headers, original, "macro.xlsm")
    assert body["format"] == "xlsm"
    accept_all_with(client, headers, body["id"], ["Yes", "No"])
    exported = client.get(f"{API}/questionnaires/{body['id']}/export", headers=headers)
    assert exported.status_code == 200
    assert exported.mimetype == "application/vnd.ms-excel.sheet.macroEnabled.12"
    with zipfile.ZipFile(io.BytesIO(exported.data)) as zf:
        assert zf.read("xl/vbaProject.bin") == b.VBA_PROJECT
        assert b"macroEnabled" in zf.read("[Content_Types].xml")
        assert b"vbaProject" in zf.read("xl/_rels/workbook.xml.rels")
    ws = openpyxl.load_workbook(io.BytesIO(exported.data))[b.SHEET]
    assert (ws["C3"].value, ws["C4"].value) == ("Yes", "No")


PAYLOADS = ['=HYPERLINK("http://evil","x")', "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3"]


def test_formula_answers_export_as_text_in_xlsx(app, client, headers):
    body = upload(client, headers, b.xlsx(), "q.xlsx")
    accept_all_with(client, headers, body["id"], PAYLOADS)
    exported = client.get(f"{API}/questionnaires/{body['id']}/export", headers=headers)
    assert exported.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(exported.data))[b.SHEET]
    for row, payload in enumerate(PAYLOADS, start=3):
        cell = ws[f"C{row}"]
        assert (cell.value, cell.data_type) == (payload, "s")
    with zipfile.ZipFile(io.BytesIO(exported.data)) as zf:
        assert b"<f>" not in zf.read("xl/worksheets/sheet1.xml")


def test_formula_answers_export_quoted_in_csv(app, client, headers):
    body = upload(client, headers, b.csv_questionnaire(), "q.csv")
    assert body["format"] == "csv"
    accept_all_with(client, headers, body["id"], PAYLOADS)
    exported = client.get(f"{API}/questionnaires/{body['id']}/export", headers=headers)
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.data.decode("utf-8-sig"))))
    assert [r[2] for r in rows[1:]] == ["'" + p for p in PAYLOADS]


def test_formula_answers_stay_text_in_the_report(app, client, headers):
    import docx

    body = upload(client, headers, b.xlsx(), "q.xlsx")
    accept_all_with(client, headers, body["id"], PAYLOADS)
    exported = client.get(f"{API}/questionnaires/{body['id']}/export?format=report", headers=headers)
    assert exported.status_code == 200
    document = docx.Document(io.BytesIO(exported.data))
    text = "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells) + "\n".join(
        p.text for p in document.paragraphs
    )
    for payload in PAYLOADS:
        assert payload in text
    with zipfile.ZipFile(io.BytesIO(exported.data)) as zf:
        assert b"fldSimple" not in zf.read("word/document.xml")  # no field codes
