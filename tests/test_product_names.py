"""A product name must survive a bank file: ";" separates products there, so it (and control
characters, surrounding spaces) is refused wherever a product is created: CLI --product of
`bank import` / `bank learn`, the browser import form, the API import, the service."""

import io

import pytest
from sqlmodel import select

from answers import bank
from answers.learn import learn
from answers.models import Entry, EntryCreate, Product
from importers.base import ParsedQuestionnaire, Question
from tests.auth_helpers import bearer, token_for

BAD_NAMES = [
    ("Canvas; Lumen", "must not contain ';'"),
    ("Canvas\tPro", "control characters"),
    (" Canvas Pro", "start or end with a space"),
    ("Canvas Pro ", "start or end with a space"),
    ("x" * 201, "at most 200 characters"),
]
BANK_CSV = b"question,answer\r\nDo you encrypt data at rest?,Yes\r\n"


@pytest.mark.parametrize("name,reason", BAD_NAMES)
def test_get_or_create_product_refuses_a_name_a_bank_file_cannot_hold(session, name, reason):
    with pytest.raises(bank.EntryError, match=reason):
        bank.get_or_create_product(name, session=session)
    assert session.exec(select(Product)).all() == []


@pytest.mark.parametrize("name,reason", BAD_NAMES[:4])
def test_cli_bank_import_refuses_a_bad_new_product_in_one_line(runner, session, tmp_path, name, reason):
    path = tmp_path / "bank.csv"
    path.write_bytes(BANK_CSV)
    result = runner.invoke(args=["bank", "import", str(path), "--product", name])
    assert result.exit_code == 2
    assert reason in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert session.exec(select(Entry)).all() == [] and session.exec(select(Product)).all() == []


def test_cli_product_option_still_finds_a_stored_product_spelled_loosely(runner, session, tmp_path):
    bank.get_or_create_product("Canvas", session=session)
    session.commit()
    path = tmp_path / "bank.csv"
    path.write_bytes(BANK_CSV)
    result = runner.invoke(args=["bank", "import", str(path), "--product", " canvas "])
    assert result.exit_code == 0, result.output
    entry = session.exec(select(Entry)).one()
    assert bank.entry_products(entry.id, session=session) == ["Canvas"]


def test_learn_refuses_a_bad_new_product_and_writes_nothing(session):
    parsed = ParsedQuestionnaire(family="generic", version=None, format="xlsx", questions=[])
    parsed.questions.append(Question(sheet="S", row=2, id="1", text="Do you encrypt?", answer_cell=None, answer="Yes"))
    with pytest.raises(bank.EntryError, match="must not contain ';'"):
        learn(parsed, session=session, source="x.xlsx", product="A;B")
    assert session.exec(select(Entry)).all() == []


def test_cli_bank_learn_refuses_a_bad_new_product(runner, session, tmp_path):
    path = tmp_path / "q.csv"
    path.write_bytes(b"Question,Answer\r\nDo you encrypt data at rest?,Yes\r\n")
    result = runner.invoke(args=["bank", "learn", str(path), "--product", "A;B"])
    assert result.exit_code == 2
    assert "must not contain ';'" in result.output
    assert session.exec(select(Product)).all() == []


def test_browser_import_form_refuses_a_bad_new_product_before_the_preview(curator_client, session):
    response = curator_client.post(
        "/bank/import",
        data={"file": (io.BytesIO(BANK_CSV), "bank.csv"), "product": "Canvas; Lumen"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "must not contain &#39;;&#39;" in response.get_data(as_text=True)
    assert session.exec(select(Product)).all() == []


def test_api_import_refuses_a_bad_new_product(app, people, session):
    response = app.test_client().post(
        "/api/v1/entries/import",
        data={"file": (io.BytesIO(BANK_CSV), "bank.csv"), "product": "Canvas\x07"},
        content_type="multipart/form-data",
        headers=bearer(token_for(app, people["curator"])),
    )
    assert response.status_code == 400
    assert "control characters" in response.get_json()["error"]
    assert session.exec(select(Entry)).all() == [] and session.exec(select(Product)).all() == []


def test_a_bank_file_row_naming_an_unknown_product_is_still_an_error(session):
    with pytest.raises(bank.BankFileError, match="unknown product"):
        bank.read_bank_file(b"question,answer,products\r\nQ?,Yes,Nope\r\n", "b.csv", known_products=[])


def test_an_entry_created_with_a_bad_product_name_is_refused(session):
    with pytest.raises(bank.EntryError, match="must not contain ';'"):
        bank.create_entry(EntryCreate(question="Q?", answer="Yes", products=["A;B"]), session=session)
    # "-" is what the bank page's product filter sends for company-wide entries only: a
    # product of that name could never be filtered on
    with pytest.raises(bank.EntryError, match="product filter uses it for company-wide"):
        bank.create_entry(EntryCreate(question="Q?", answer="Yes", products=["-"]), session=session)
    session.rollback()  # as every caller does on EntryError
    assert session.exec(select(Product)).all() == []


@pytest.mark.parametrize("create", [True, False])
def test_a_question_twice_for_one_product_spelled_in_two_cases_is_refused(runner, session, tmp_path, create):
    # product names ignore case, so "Console" and "console" are one scope: the file was
    # imported as "1 created, 1 updated", the second row silently replacing the first's answer
    if not create:
        bank.get_or_create_product("Console", session=session)
        session.commit()
    path = tmp_path / "bank.csv"
    path.write_bytes(
        b"question,answer,products\r\nDo you encrypt data at rest?,Yes,Console\r\n"
        b"Do you encrypt data at rest?,No,console\r\n"
    )
    result = runner.invoke(args=["bank", "import", str(path), *(["--create-products"] if create else [])])
    assert result.exit_code == 2, result.output
    assert "row 3: the same question as row 2" in result.output
    assert session.exec(select(Entry)).all() == []
