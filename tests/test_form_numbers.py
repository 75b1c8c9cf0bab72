"""Numbers typed into forms and queries: ASCII digits only, within 64 bits, else a 400
naming the field. str.isdigit() took "²" and int() then raised: restore, merge and resolve
answered 500; int() took "٣" and "1_000" as numbers."""

from __future__ import annotations

import pytest

from answers import bank
from answers.models import EntryCreate
from web.common import INT64_MAX, BadField, parse_id, parse_int

ODD = ["²", "٣", "１", "1_000", "1.0", "0x1f", "1e3", "", "9" * 20, "9" * 5000]


@pytest.mark.parametrize(
    "value,expected", [("12", 12), (" 7 ", 7), ("-3", -3), ("+4", 4), (42, 42), (str(INT64_MAX), INT64_MAX), ("", None)]
)
def test_parse_int_takes_ascii_whole_numbers(value, expected):
    assert parse_int(value, "n") == expected


@pytest.mark.parametrize("value", ["²", "٣", "１", "1_000", "1.0", "0x1f", "9" * 20, "9" * 5000, True, 2.0, [1]])
def test_parse_int_refuses_anything_else_naming_the_field(value):
    with pytest.raises(BadField, match=r"^n: "):
        parse_int(value, "n")


@pytest.mark.parametrize("value", ["-1", "+1", -1])
def test_an_id_has_no_sign(value):
    with pytest.raises(BadField, match="expected an id"):
        parse_id(value, "keep")


@pytest.fixture
def two(session):
    make = bank.create_entry
    a = make(EntryCreate(question="Do you encrypt data at rest?", answer="Yes"), session=session, actor="seed")
    b = make(EntryCreate(question="Is data encrypted at rest?", answer="Yes"), session=session, actor="seed")
    return a.id, b.id


@pytest.mark.parametrize("odd", [v for v in ODD if v])
def test_curator_forms_refuse_odd_numbers_with_a_400(curator_client, two, odd):
    a, b = two
    posts = [
        (f"/bank/{a}/restore", {"revision": odd}),
        (f"/bank/{a}/edit", {"question": "Do you encrypt data at rest?", "answer": "Yes", "revision": odd}),
        ("/bank/merge", {"keep": str(a), "merge": odd}),
        ("/bank/merge", {"keep": odd, "merge": str(b)}),
        ("/bank/resolve", {"keep": odd, "entry": str(a)}),
        ("/bank/resolve", {"kind": "duplicate", "entry": [str(a), odd]}),
    ]
    for path, data in posts:
        response = curator_client.post(path, data=data)
        assert response.status_code == 400, (path, data, response.status_code)
        field = next(k for k, v in data.items() if v == odd or (isinstance(v, list) and odd in v))
        assert f"{field}: " in response.get_data(as_text=True)


def test_audit_page_numbers_stay_lenient(admin_client):
    for page in ["²", "-2", "9" * 40, "٣"]:
        assert admin_client.get("/admin/audit", query_string={"page": page}).status_code == 200
