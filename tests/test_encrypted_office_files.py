"""Password-protected workbooks and Word files, as Office writes them (an OLE2 compound
file holding `EncryptionInfo` and `EncryptedPackage`), made for real by LibreOffice: the
upload, `flask inspect`, `flask autofill` and `flask bank import` refuse them with the one
line a sales engineer can act on ("password-protected ... remove the password"), nothing
stored. Skipped where LibreOffice is not installed; the synthetic-bytes cases in
test_upload_bad_input.py and test_importers_synthetic.py run everywhere."""

from __future__ import annotations

import pytest

import importers
from tests import upload_builders as b
from tests.auth_helpers import bearer, token_for
from tests.libreoffice import Encrypter, soffice
from tests.test_upload_bad_input import _assert_unchanged, _page_reason, _state, post_file

pytestmark = pytest.mark.slow

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
REFUSAL = "the file is password-protected; remove the password and upload again"


@pytest.fixture(scope="module")
def locked(tmp_path_factory) -> dict[str, bytes]:
    """A real password-protected xlsx and docx of the upload builders' questionnaire."""
    binary = soffice()
    if binary is None:
        pytest.skip("LibreOffice (soffice) is not installed: no real password-protected file can be made")
    encrypter = Encrypter(binary, tmp_path_factory.mktemp("libreoffice"))
    files = {".xlsx": encrypter.encrypt(b.xlsx(), ".xlsx"), ".docx": encrypter.encrypt(b.docx_questionnaire(), ".docx")}
    for data in files.values():  # what Office writes, not a zip with a password
        assert data.startswith(OLE2)
        assert "EncryptionInfo".encode("utf-16-le") in data and "EncryptedPackage".encode("utf-16-le") in data
    return files


@pytest.mark.parametrize("suffix", [".xlsx", ".docx"])
@pytest.mark.parametrize("named", ["q.xlsx", "q.xlsm", "q.docx", "q.csv"])
def test_the_importer_refuses_a_real_password_protected_file_whatever_its_name(locked, suffix, named):
    with pytest.raises(importers.EncryptedFile) as refused:
        importers.load(locked[suffix], named)
    assert str(refused.value) == f"{named}: {REFUSAL}"


@pytest.mark.parametrize("suffix", [".xlsx", ".docx"])
def test_api_upload_of_a_real_password_protected_file_is_a_400_storing_nothing(app, client, people, locked, suffix):
    headers = bearer(token_for(app, people["sales"]))
    before = _state(app)
    response = post_file(client, "/api/v1/questionnaires", locked[suffix], f"locked{suffix}", headers)
    assert (response.status_code, response.get_json()) == (400, {"error": f"locked{suffix}: {REFUSAL}"})
    _assert_unchanged(app, before)


def test_page_upload_of_a_real_password_protected_workbook_says_so(app, sales_client, locked):
    before = _state(app)
    response = post_file(sales_client, "/questionnaires/upload", locked[".xlsx"], "locked.xlsx")
    assert response.status_code == 400
    assert _page_reason(response) == f"locked.xlsx: {REFUSAL}"
    _assert_unchanged(app, before)


@pytest.mark.parametrize(
    "command",
    [
        ["inspect", "{path}"],
        ["inspect", "{path}", "--json"],
        ["autofill", "{path}", "-o", "{out}"],
        ["bank", "import", "{path}"],
    ],
)
def test_the_cli_refuses_a_real_password_protected_workbook_with_exit_2(runner, tmp_path, locked, command):
    path, out = tmp_path / "locked.xlsx", tmp_path / "out.xlsx"
    path.write_bytes(locked[".xlsx"])
    result = runner.invoke(args=[part.format(path=path, out=out) for part in command])
    assert result.exit_code == 2, result.output
    assert "password-protected" in result.output and "remove the password" in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert "Traceback" not in result.output
    assert not out.exists()
