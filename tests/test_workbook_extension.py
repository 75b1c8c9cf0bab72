"""xlsx or xlsm is decided by the workbook's content, never by the upload's name: Excel
refuses a file whose extension disagrees with its workbook content type, so a plain
workbook uploaded as .xlsm comes back as .xlsx and a macro-enabled one uploaded as .xlsx
comes back as .xlsm (download name and MIME type, page, API and `flask autofill`)."""

from __future__ import annotations

import io
import zipfile

import pytest

import importers
from answers.models import Questionnaire
from tests import upload_builders as b
from tests.auth_helpers import bearer, db, token_for
from tests.test_upload_files import accept_all_with, upload

API = "/api/v1"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSM_MIME = "application/vnd.ms-excel.sheet.macroEnabled.12"

# (content, uploaded as, format by content, download name, MIME type)
CASES = [
    (b.xlsx, "q.xlsm", "xlsx", "q_completed.xlsx", XLSX_MIME),
    (b.xlsm, "q.xlsx", "xlsm", "q_completed.xlsm", XLSM_MIME),
    (b.xlsx, "q.xlsx", "xlsx", "q_completed.xlsx", XLSX_MIME),
    (b.xlsm, "q.xlsm", "xlsm", "q_completed.xlsm", XLSM_MIME),
]


@pytest.fixture
def headers(app, people):
    return bearer(token_for(app, people["sales"]))


def _attachment_name(response) -> str:
    return response.headers["Content-Disposition"].split("filename=")[-1].strip('"')


def _vba_relationship_only() -> bytes:
    """A macro-enabled workbook whose [Content_Types].xml has no Override for the workbook
    part (its content type comes from nothing we can read): vbaProject.bin decides."""
    parts = b.members(b.xlsm())
    ct = parts["[Content_Types].xml"].decode()
    start = ct.index('<Override PartName="/xl/workbook.xml"')
    end = ct.index("/>", start) + 2
    parts["[Content_Types].xml"] = (ct[:start] + ct[end:]).encode()
    return b.rezip(parts)


@pytest.mark.parametrize("make,name,fmt,_download,_mime", CASES)
def test_the_importer_names_the_format_by_content(make, name, fmt, _download, _mime):
    assert importers.load(make(), name).format == fmt


def test_without_a_workbook_content_type_a_vba_project_makes_it_xlsm():
    assert importers.load(_vba_relationship_only(), "q.xlsx").format == "xlsm"


@pytest.mark.parametrize("make,name,fmt,download,mime", CASES)
def test_api_download_carries_the_extension_and_type_of_the_content(
    app, client, headers, make, name, fmt, download, mime
):
    body = upload(client, headers, make(), name)
    assert body["format"] == fmt
    accept_all_with(client, headers, body["id"], ["Yes"])
    exported = client.get(f"{API}/questionnaires/{body['id']}/export", headers=headers)
    assert exported.status_code == 200
    assert (_attachment_name(exported), exported.mimetype) == (download, mime)
    with zipfile.ZipFile(io.BytesIO(exported.data)) as package:
        assert (b"macroEnabled" in package.read("[Content_Types].xml")) == (fmt == "xlsm")
    # asking for the workbook by either spreadsheet name gives that same file
    for kind in ("xlsx", "xlsm"):
        again = client.get(f"{API}/questionnaires/{body['id']}/export?format={kind}", headers=headers)
        assert again.status_code == 200, again.get_json()
        assert (_attachment_name(again), again.mimetype) == (download, mime)
    assert client.get(f"{API}/questionnaires/{body['id']}/export?format=docx", headers=headers).status_code == 400


@pytest.mark.parametrize("make,name,fmt,download,mime", CASES[:2])
def test_page_download_carries_the_extension_and_type_of_the_content(
    app, client, headers, sales_client, make, name, fmt, download, mime
):
    body = upload(client, headers, make(), name)
    exported = sales_client.get(f"/questionnaires/{body['id']}/export")
    assert exported.status_code == 200
    assert (_attachment_name(exported), exported.mimetype) == (download, mime)


def test_a_questionnaire_stored_with_its_name_s_format_downloads_by_content(app, client, headers):
    """Uploads before this fix stored 'xlsm' for a plain workbook named .xlsm."""
    body = upload(client, headers, b.xlsx(), "old.xlsm")
    with db(app) as s:
        q = s.get(Questionnaire, body["id"])
        q.format = "xlsm"
        s.add(q)
        s.commit()
    exported = client.get(f"{API}/questionnaires/{body['id']}/export", headers=headers)
    assert exported.status_code == 200
    assert (_attachment_name(exported), exported.mimetype) == ("old_completed.xlsx", XLSX_MIME)


@pytest.mark.parametrize(
    "make,name,right,wrong",
    [(b.xlsx, "blank.xlsm", "out.xlsx", "out.xlsm"), (b.xlsm, "blank.xlsx", "out.xlsm", "out.xlsx")],
)
def test_autofill_names_the_completed_workbook_by_content(runner, tmp_path, make, name, right, wrong):
    src = tmp_path / name
    src.write_bytes(make())
    refused = runner.invoke(args=["autofill", str(src), "-o", str(tmp_path / wrong)])
    assert refused.exit_code == 2
    assert f"name the completed file {right}" in refused.output
    assert not (tmp_path / wrong).exists()
    done = runner.invoke(args=["autofill", str(src), "-o", str(tmp_path / right)])
    assert done.exit_code == 0, done.output
    with zipfile.ZipFile(tmp_path / right) as package:
        assert (b"macroEnabled" in package.read("[Content_Types].xml")) == right.endswith(".xlsm")
