"""`flask bank import` / `bank export` and `init-db`: csv and xlsx in the documented header."""

import csv
import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlmodel import select

from answers import bank
from answers.models import Entry, EntryStatus, EntryVersion, Product

HEADER = ["question", "answer", "comment", "alternates", "tags", "owner"]


def _csv(rows, header=HEADER) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows([header, *rows])
    return buffer.getvalue().encode("utf-8")


def _xlsx(rows, header=HEADER) -> bytes:
    """Every cell as typed; text starting with '=' stays text (openpyxl would make it a formula)."""
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


ROWS = [
    [
        "Do you encrypt data at rest?",
        "Yes",
        "AES-256 via AWS KMS.",
        "Is stored data encrypted?\nEncryption at rest?",
        "encryption; data",
        "security@example.com",
    ],
    [
        "Do you have a SOC 2 Type II report?",
        "Yes",
        '=HYPERLINK("x") is not a formula here',
        "",
        "compliance",
        "grc@example.com",
    ],
]


def test_init_db_demo_loads_the_demo_bank(runner, session):
    result = runner.invoke(args=["init-db", "--demo"])
    assert result.exit_code == 0, result.output
    entries = session.exec(select(Entry)).all()
    assert len(entries) >= 150
    assert all(e.status == EntryStatus.approved for e in entries)
    assert session.exec(select(EntryVersion)).first() is not None


@pytest.mark.parametrize("suffix,builder", [(".csv", _csv), (".xlsx", _xlsx)])
def test_bank_import_reads_every_column(runner, session, tmp_path, suffix, builder):
    path = tmp_path / f"bank{suffix}"
    path.write_bytes(builder(ROWS))
    result = runner.invoke(args=["bank", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "2 created" in result.output
    first = session.exec(select(Entry).where(Entry.question == "Do you encrypt data at rest?")).one()
    assert first.answer == "Yes"
    assert first.alternates == ["Is stored data encrypted?", "Encryption at rest?"]
    assert first.tags == ["encryption", "data"]
    assert first.owner == "security@example.com"
    assert first.status == EntryStatus.approved


def test_bank_import_again_updates_with_a_new_revision(runner, session, tmp_path):
    path = tmp_path / "bank.csv"
    path.write_bytes(_csv(ROWS))
    runner.invoke(args=["bank", "import", str(path)])
    changed = [list(ROWS[0]), list(ROWS[1])]
    changed[0][2] = "AES-256-GCM via AWS KMS, keys rotated yearly."
    path.write_bytes(_csv(changed))
    result = runner.invoke(args=["bank", "import", str(path)])
    assert result.exit_code == 0
    assert "0 created, 1 updated, 1 unchanged" in result.output
    entry = session.exec(select(Entry).where(Entry.question == ROWS[0][0])).one()
    assert entry.revision == 2
    versions = session.exec(
        select(EntryVersion).where(EntryVersion.entry_id == entry.id).order_by(EntryVersion.revision)
    ).all()
    assert [v.snapshot["comment"] for v in versions] == [ROWS[0][2], changed[0][2]]


def test_bank_import_with_product_and_draft_status(runner, session, tmp_path):
    path = tmp_path / "bank.csv"
    path.write_bytes(_csv(ROWS[:1]))
    result = runner.invoke(args=["bank", "import", str(path), "--product", "Lumen Dedicated", "--status", "draft"])
    assert result.exit_code == 0, result.output
    entry = session.exec(select(Entry)).one()
    assert entry.status == EntryStatus.draft
    assert bank.entry_products(entry.id, session=session) == ["Lumen Dedicated"]
    assert session.exec(select(Product)).one().name == "Lumen Dedicated"


def test_bad_bank_file_writes_nothing_and_reports_each_row(runner, session, tmp_path):
    rows = [ROWS[0], ["", "Yes", "no question", "", "", ""], ["Do you encrypt data at rest?", "No", "", "", "", ""]]
    path = tmp_path / "bad.csv"
    path.write_bytes(_csv(rows))
    result = runner.invoke(args=["bank", "import", str(path)])
    assert result.exit_code == 2
    assert "row 3: question is empty" in result.output
    assert "row 4: the same question as row 2" in result.output
    assert session.exec(select(Entry)).all() == []


@pytest.mark.parametrize(
    "content,name,reason",
    [
        (b"", "empty.csv", "empty"),
        (_csv([["q", "Yes"]], header=["question", "verdict"]), "h.csv", "unknown column(s): verdict"),
        (b"PK\x03\x04garbage", "broken.xlsx", "cannot be read"),
        (b"question,answer\n", "bank.txt", ".csv or .xlsx"),
        (b"\xff\xfe\x00q\x00", "bin.csv", "binary data"),
    ],
)
def test_unreadable_bank_files_exit_2_with_a_reason(runner, tmp_path, content, name, reason):
    path = tmp_path / name
    path.write_bytes(content)
    result = runner.invoke(args=["bank", "import", str(path)])
    assert result.exit_code == 2
    assert reason in result.output
    assert "Traceback" not in result.output


def test_missing_file_exits_2(runner, tmp_path):
    result = runner.invoke(args=["bank", "import", str(tmp_path / "nope.csv")])
    assert result.exit_code == 2
    assert "no such file" in result.output


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_then_import_round_trips(runner, session, tmp_path, suffix):
    source = tmp_path / "in.csv"
    source.write_bytes(_csv(ROWS))
    runner.invoke(args=["bank", "import", str(source)])
    out = tmp_path / f"out{suffix}"
    result = runner.invoke(args=["bank", "export", str(out)])
    assert result.exit_code == 0, result.output
    entries = bank.read_bank_file(out.read_bytes(), out.name)
    assert [(e.question, e.answer, e.comment, e.alternates, e.tags, e.owner) for e in entries] == [
        (
            "Do you encrypt data at rest?",
            "Yes",
            "AES-256 via AWS KMS.",
            ["Is stored data encrypted?", "Encryption at rest?"],
            ["encryption", "data"],
            "security@example.com",
        ),
        ("Do you have a SOC 2 Type II report?", "Yes", ROWS[1][2], [], ["compliance"], "grc@example.com"),
    ]


def test_export_never_writes_formulas(runner, session, tmp_path):
    source = tmp_path / "in.csv"
    source.write_bytes(_csv(ROWS))
    runner.invoke(args=["bank", "import", str(source)])
    out = tmp_path / "out.xlsx"
    runner.invoke(args=["bank", "export", str(out)])
    sheet = load_workbook(out).active
    assert sheet["C3"].data_type == "s"
    assert sheet["C3"].value.startswith("=HYPERLINK")
    csv_out = tmp_path / "out.csv"
    runner.invoke(args=["bank", "export", str(csv_out)])
    rows = list(csv.reader(io.StringIO(csv_out.read_bytes().decode("utf-8-sig"))))
    assert rows[2][2].startswith("'=HYPERLINK")


def test_export_to_unknown_extension_exits_2(runner, tmp_path):
    result = runner.invoke(args=["bank", "export", str(tmp_path / "bank.json")])
    assert result.exit_code == 2
    assert ".csv or .xlsx" in result.output


# --- round trip of product scope, status, review-by and source ---------------------------


def _entry(session, question, *, products=(), status=EntryStatus.approved, **fields):
    from answers.models import EntryCreate

    data = EntryCreate(question=question, answer="Yes", products=list(products), status=status, **fields)
    return bank.create_entry(data, session=session)


def _scoped(session):
    """{(question, products): (answer, status)} of the live entries."""
    out = {}
    for e in session.exec(select(Entry).where(Entry.status != EntryStatus.retired)):
        out[(e.question, tuple(bank.entry_products(e.id, session=session)))] = (e.answer, e.status.value)
    return out


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_import_keeps_product_scope_status_and_review_by(runner, session, tmp_path, suffix):
    import datetime as dt

    _entry(session, "Do you support SSO?", products=["Canvas"], review_by=dt.date(2027, 3, 1), source="hecvat.xlsx")
    other = _entry(session, "Do you support SSO?", products=["Lumen"], status=EntryStatus.draft)
    other.answer = "No"
    session.add(other)
    session.commit()
    _entry(session, "Do you encrypt data at rest?")
    before = _scoped(session)
    out = tmp_path / f"bank{suffix}"
    assert runner.invoke(args=["bank", "export", str(out)]).exit_code == 0
    for entry in session.exec(select(Entry)).all():  # an empty bank with the products still known
        bank.retire(entry.id, session=session, actor="test")

    result = runner.invoke(args=["bank", "import", str(out)])
    assert result.exit_code == 0, result.output
    assert "3 created" in result.output
    assert _scoped(session) == before
    canvas = session.exec(
        select(Entry).where(Entry.question == "Do you support SSO?", Entry.answer == "Yes", Entry.revision == 1)
    ).one()
    assert canvas.review_by == dt.date(2027, 3, 1)
    assert canvas.source == "hecvat.xlsx"
    # nothing Canvas-only became company-wide
    assert ("Do you support SSO?", ()) not in _scoped(session)


def test_import_refuses_a_row_with_an_unknown_product(runner, session, tmp_path):
    _entry(session, "Seed", products=["Canvas"])
    path = tmp_path / "bank.csv"
    path.write_bytes(
        _csv([["Q one", "Yes", "Canvas"], ["Q two", "Yes", "Canvs"]], header=["question", "answer", "products"])
    )
    result = runner.invoke(args=["bank", "import", str(path)])
    assert result.exit_code == 2
    assert "unknown product 'Canvs' (row 3)" in result.output
    assert "import it with `--create-products`" in result.output
    assert session.exec(select(Entry).where(Entry.question == "Q one")).first() is None


def test_import_status_column_and_fallback(runner, session, tmp_path):
    path = tmp_path / "bank.csv"
    path.write_bytes(_csv([["Q1", "Yes", "draft"], ["Q2", "Yes", ""]], header=["question", "answer", "status"]))
    result = runner.invoke(args=["bank", "import", str(path), "--status", "approved"])
    assert result.exit_code == 0, result.output
    assert session.exec(select(Entry).where(Entry.question == "Q1")).one().status == EntryStatus.draft
    assert session.exec(select(Entry).where(Entry.question == "Q2")).one().status == EntryStatus.approved
    path.write_bytes(_csv([["Q3", "Yes", "obsolete"]], header=["question", "answer", "status"]))
    result = runner.invoke(args=["bank", "import", str(path)])
    assert result.exit_code == 2
    assert "status must be draft, approved or retired" in result.output


def test_same_question_for_two_products_in_one_file_is_not_a_duplicate(session):
    rows = [["Q", "Yes", "Canvas"], ["Q", "No", "Lumen"], ["Q", "N/A", ""]]
    entries = bank.read_bank_file(_csv(rows, header=["question", "answer", "products"]), "b.csv")
    assert [e.products for e in entries] == [["Canvas"], ["Lumen"], []]
    with pytest.raises(bank.BankFileError, match="row 3: the same question as row 2"):
        bank.read_bank_file(
            _csv([["Q", "Yes", "Canvas"], ["q?", "No", "Canvas"]], ["question", "answer", "products"]), "b.csv"
        )


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_reimporting_an_unchanged_export_changes_nothing(runner, session, tmp_path, suffix):
    _entry(session, "Do you support SSO?", products=["Canvas"], source="hecvat.xlsx", tags=["sso"])
    _entry(session, "Do you support SSO?", products=["Lumen"], status=EntryStatus.draft)
    _entry(session, "Do you encrypt data at rest?", comment="AES-256", alternates=["Encryption at rest?"])
    out = tmp_path / f"bank{suffix}"
    runner.invoke(args=["bank", "export", str(out)])
    versions_before = len(session.exec(select(EntryVersion)).all())
    result = runner.invoke(args=["bank", "import", str(out)])
    assert result.exit_code == 0, result.output
    assert "0 created, 0 updated, 3 unchanged" in result.output
    assert len(session.exec(select(EntryVersion)).all()) == versions_before
    session.expire_all()
    assert {e.source for e in session.exec(select(Entry))} == {"hecvat.xlsx", ""}
    draft = session.exec(select(Entry).where(Entry.status == EntryStatus.draft)).one()
    assert bank.entry_products(draft.id, session=session) == ["Lumen"]


def test_a_column_absent_from_the_file_leaves_that_field_alone(runner, session, tmp_path):
    _entry(
        session, "Do you encrypt data at rest?", comment="AES-256", alternates=["At rest?"], tags=["enc"], owner="sec@x"
    )
    path = tmp_path / "bank.csv"
    path.write_bytes(_csv([["Do you encrypt data at rest?", "No"]], header=["question", "answer"]))
    result = runner.invoke(args=["bank", "import", str(path)])
    assert "1 updated" in result.output, result.output
    entry = session.exec(select(Entry)).one()
    session.refresh(entry)
    assert (entry.answer, entry.comment, entry.alternates, entry.tags, entry.owner) == (
        "No",
        "AES-256",
        ["At rest?"],
        ["enc"],
        "sec@x",
    )
    # a present but empty cell clears the field
    path.write_bytes(_csv([["Do you encrypt data at rest?", "No", ""]], header=["question", "answer", "comment"]))
    runner.invoke(args=["bank", "import", str(path)])
    session.refresh(entry)
    assert entry.comment == ""
    assert entry.owner == "sec@x"


# --- unsafe xlsx packages ------------------------------------------------------------------


def _with_member(xlsx: bytes, name: str, content: bytes) -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == name:
                data = content
            dst.writestr(info.filename, data)
        if name not in src.namelist():
            dst.writestr(name, content)
    return out.getvalue()


def _bomb() -> bytes:
    return _with_member(_xlsx(ROWS), "xl/media/padding.bin", b"\0" * (8 * 1024 * 1024))


def _xxe() -> bytes:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(_xlsx(ROWS))) as z:
        sheet = z.read("xl/worksheets/sheet1.xml")
    evil = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + sheet.split(b"?>", 1)[-1]
    return _with_member(_xlsx(ROWS), "xl/worksheets/sheet1.xml", evil)


def _encrypted() -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64 + "EncryptedPackage".encode("utf-16-le") + b"\0" * 64


@pytest.mark.parametrize(
    "build,reason", [(_bomb, "zip bomb"), (_xxe, "DOCTYPE or ENTITY"), (_encrypted, "password-protected")]
)
def test_bank_import_refuses_unsafe_xlsx_in_one_line(runner, session, tmp_path, build, reason):
    path = tmp_path / "bank.xlsx"
    path.write_bytes(build())
    result = runner.invoke(args=["bank", "import", str(path)])
    assert result.exit_code == 2
    assert reason in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert session.exec(select(Entry)).all() == []


def test_a_bank_file_row_with_control_characters_is_a_bad_row():
    with pytest.raises(bank.BankFileError) as caught:
        bank.read_bank_file(_csv([["Q\x01", "Yes"], ["Fine\nmultiline\ttext", "Yes"]], ["question", "answer"]), "b.csv")
    assert caught.value.problems == ["row 2: question: contains the control character U+0001; remove it and save again"]


def test_a_formula_cell_in_a_bank_xlsx_is_a_bad_row_naming_the_cell(runner, session, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["question", "answer", "comment"])
    ws.append(["Do you encrypt data at rest?", "Yes", "AES-256"])
    ws.append(["Where is your trust page?", "Yes", '=HYPERLINK("https://trust.example.com")'])
    ws.append([None, None, "=1+1"])  # no cached value anywhere in the row: still reported
    out = io.BytesIO()
    wb.save(out)
    path = tmp_path / "bank.xlsx"
    path.write_bytes(out.getvalue())
    result = runner.invoke(args=["bank", "import", str(path)])
    assert result.exit_code == 2
    assert "row 3: cell C3 holds a formula" in result.output
    assert "row 4: cell C4 holds a formula" in result.output
    assert session.exec(select(Entry)).all() == []


def test_typed_xlsx_cells_read_as_the_text_a_person_sees():
    import datetime as dt

    rows = [
        ["Number of data centres?", 3, 2.5, True, "", dt.datetime(2027, 1, 31)],
        ["Pen test?", False, "", "", "", None],
    ]
    entries = bank.read_bank_file(
        _xlsx(rows, ["question", "answer", "comment", "tags", "owner", "review_by"]), "b.xlsx"
    )
    assert (entries[0].answer, entries[0].comment, entries[0].tags, entries[0].review_by) == (
        "3",
        "2.5",
        ["Yes"],
        dt.date(2027, 1, 31),
    )
    assert entries[1].answer == "No"


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_genuine_leading_apostrophe_survives_export_and_import(runner, session, tmp_path, suffix):
    comments = ["'-1", "'=SUM is how we quote", "'tis encrypted", "-1", "=not a formula", "''double"]
    for i, comment in enumerate(comments):
        _entry(session, f"Question {i}?", comment=comment)
    out = tmp_path / f"bank{suffix}"
    assert runner.invoke(args=["bank", "export", str(out)]).exit_code == 0
    rows = bank.read_bank_file(out.read_bytes(), out.name)
    assert [r.comment for r in rows] == comments


def test_a_csv_with_an_unclosed_quote_is_refused(runner, session, tmp_path):
    source = tmp_path / "bad.csv"
    source.write_bytes(b'question,answer\r\nDo you encrypt?,Yes\r\n"unterminated,Yes\r\n')
    result = runner.invoke(args=["bank", "import", str(source)])
    assert result.exit_code != 0 and "malformed" in result.output and "quote" in result.output
    assert session.exec(select(Entry)).all() == []


def test_a_products_cell_spelled_in_another_case_names_the_stored_product(runner, session, tmp_path):
    seed = _entry(session, "Seed?", products=["Canvas"])
    source = tmp_path / "in.csv"
    source.write_bytes(b"question,answer,products\r\nDo you encrypt?,Yes,canvas\r\n")
    for _ in range(2):  # the second import finds the same entry: no duplicate
        result = runner.invoke(args=["bank", "import", str(source)])
        assert result.exit_code == 0, result.output
    entry = session.exec(select(Entry).where(Entry.question == "Do you encrypt?")).one()
    assert bank.entry_products(entry.id, session=session) == ["Canvas"]
    assert [p.name for p in session.exec(select(Product)).all()] == ["Canvas"]
    found = bank.search(bank.SearchFilters(product=" CANVAS"), session=session).entries
    assert {e.id for e in found} == {seed.id, entry.id}


# --- retired entries: an export is a full backup -------------------------------------------


def _full_bank(session):
    """A bank with every status, a retired version beside a live one of the same question,
    products, review-by dates and sources (one left empty)."""
    import datetime as dt

    old = _entry(session, "Do you support SSO?", products=["Canvas"], comment="SAML only", source="hecvat.xlsx")
    bank.retire(old.id, session=session, actor="test")
    _entry(session, "Do you support SSO?", products=["Canvas"], comment="SAML and OIDC", review_by=dt.date(2027, 3, 1))
    _entry(session, "Do you encrypt data at rest?", status=EntryStatus.draft, tags=["enc", "data"])
    gone = _entry(session, "Do you support FTP?", alternates=["Plain FTP?"], source="sig.xlsx")
    bank.retire(gone.id, session=session, actor="test")


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_holds_retired_entries_with_their_status(runner, session, tmp_path, suffix):
    _full_bank(session)
    out = tmp_path / f"bank{suffix}"
    result = runner.invoke(args=["bank", "export", str(out)])
    assert result.exit_code == 0, result.output
    assert "Wrote 4 entries" in result.output
    rows = bank.read_bank_file(out.read_bytes(), out.name)
    assert [(r.question, r.status.value) for r in rows] == [
        ("Do you support SSO?", "retired"),
        ("Do you support SSO?", "approved"),
        ("Do you encrypt data at rest?", "draft"),
        ("Do you support FTP?", "retired"),
    ]


def _rows_of(data: bytes, name: str) -> list[list[str]]:
    if name.endswith(".csv"):
        return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    return [[c or "" for c in row] for row in load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True)]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_import_into_an_empty_bank_export_gives_the_same_file(app, session, tmp_path, suffix):
    from sqlmodel import Session

    from answers.db import get_engine

    _full_bank(session)
    first = bank.export_bank(f"bank{suffix}", session=session)
    other = create_app_like(app, tmp_path)
    with Session(get_engine(other), expire_on_commit=False) as empty:
        bank.get_or_create_product("Canvas", session=empty)
        empty.commit()
        rows = bank.read_bank_file(first, f"bank{suffix}", known_products=bank.product_names(session=empty))
        result = bank.import_entries(rows, session=empty, source=f"bank{suffix}")
        assert (result.created, result.updated) == (4, 0)
        second = bank.export_bank(f"bank{suffix}", session=empty)
        retired = empty.exec(select(Entry).where(Entry.status == EntryStatus.retired)).all()
        assert [e.question for e in retired] == ["Do you support SSO?", "Do you support FTP?"]
        assert all(e.approved_at is None for e in retired)
    if suffix == ".csv":
        assert second == first
    assert _rows_of(second, f"bank{suffix}") == _rows_of(first, f"bank{suffix}")


def create_app_like(app, tmp_path):
    from app import create_app

    return create_app({**app.config, "DATABASE_URL": "sqlite://", "UPLOAD_FOLDER": str(tmp_path / "other")})


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_reimporting_a_full_export_changes_nothing(runner, session, tmp_path, suffix):
    _full_bank(session)
    out = tmp_path / f"bank{suffix}"
    runner.invoke(args=["bank", "export", str(out)])
    versions_before = len(session.exec(select(EntryVersion)).all())
    result = runner.invoke(args=["bank", "import", str(out)])
    assert result.exit_code == 0, result.output
    assert "0 created, 0 updated, 4 unchanged" in result.output
    assert len(session.exec(select(EntryVersion)).all()) == versions_before


def test_a_retired_row_retires_the_live_entry_through_the_retire_rule(runner, session, tmp_path):
    from answers.models import AuditEvent

    live = _entry(session, "Do you support FTP?", products=["Canvas"])
    keep = _entry(session, "Do you support FTP?", products=["Lumen"])
    path = tmp_path / "bank.csv"
    path.write_bytes(
        _csv([["Do you support FTP?", "No", "Canvas", "retired"]], header=["question", "answer", "products", "status"])
    )
    result = runner.invoke(args=["bank", "import", str(path)])
    assert result.exit_code == 0, result.output
    # a retirement is counted as one, not hidden among the updates
    assert "0 created, 0 updated, 0 unchanged, 1 retired" in result.output
    session.expire_all()
    entry = session.get(Entry, live.id)
    assert (entry.status, entry.answer, entry.approved_at) == (EntryStatus.retired, "No", None)
    assert session.get(Entry, keep.id).status == EntryStatus.approved  # another product's entry is not touched
    actions = [e.action for e in session.exec(select(AuditEvent).where(AuditEvent.object_id == str(live.id)))]
    assert actions[-2:] == ["entry.update", "entry.retire"]
    assert bank.versions(live.id, session=session)[0].note == "retired by bank import"


def test_an_approved_row_never_revives_a_retired_entry(runner, session, tmp_path):
    gone = _entry(session, "Do you support FTP?")
    bank.retire(gone.id, session=session, actor="test")
    path = tmp_path / "bank.csv"
    path.write_bytes(_csv([["Do you support FTP?", "No", "approved"]], header=["question", "answer", "status"]))
    result = runner.invoke(args=["bank", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 created" in result.output
    session.expire_all()
    assert session.get(Entry, gone.id).status == EntryStatus.retired
    assert session.get(Entry, gone.id).answer == "Yes"
    new = session.exec(select(Entry).where(Entry.status == EntryStatus.approved)).one()
    assert (new.question, new.answer) == ("Do you support FTP?", "No")


def test_a_retired_row_beside_a_live_row_of_the_same_question_adds_history_only(session):
    live = _entry(session, "Do you support FTP?")
    rows = bank.read_bank_file(
        _csv(
            [["Do you support FTP?", "No", "retired"], ["Do you support FTP?", "Yes", "approved"]],
            header=["question", "answer", "status"],
        ),
        "b.csv",
    )
    result = bank.import_entries(rows, session=session)
    assert (result.created, result.updated, result.unchanged) == (1, 0, 1)
    session.expire_all()
    assert session.get(Entry, live.id).status == EntryStatus.approved


def test_an_xlsx_bank_over_the_row_limit_says_to_use_csv(monkeypatch):
    # the questionnaire reader's row limit also bounds an xlsx bank; the message must say
    # what a curator with a large bank can do, not talk about questionnaires only
    monkeypatch.setattr("importers._xlsx.MAX_SHEET_ROWS", 3)
    wb = Workbook()
    ws = wb.active
    ws.append(["question", "answer"])
    for n in range(5):
        ws.append([f"Do you run control {n}?", "Yes"])
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(bank.BankFileError, match="save the bank as CSV"):
        bank.read_bank_file(buf.getvalue(), "bank.xlsx")


def test_import_status_applies_to_rows_without_a_status_cell_that_change_something(runner, session, tmp_path):
    """`--status draft` on a file without a status column: the edited entry goes back to
    draft for review, the unchanged ones keep their status (they were all demoted)."""
    edited = _entry(session, "Do you support FTP?")
    same = _entry(session, "Do you support SFTP?")
    path = tmp_path / "bank.csv"
    path.write_bytes(
        _csv([["Do you support FTP?", "No"], ["Do you support SFTP?", same.answer]], header=["question", "answer"])
    )
    result = runner.invoke(args=["bank", "import", str(path), "--status", "draft"])
    assert result.exit_code == 0, result.output
    assert "0 created, 1 updated, 1 unchanged" in result.output
    session.expire_all()
    assert (session.get(Entry, edited.id).status, session.get(Entry, edited.id).answer) == (EntryStatus.draft, "No")
    assert session.get(Entry, same.id).status == EntryStatus.approved
    # a row's own status cell wins over --status (an export has one in every row)
    path.write_bytes(_csv([["Do you support FTP?", "Yes", "approved"]], header=["question", "answer", "status"]))
    runner.invoke(args=["bank", "import", str(path), "--status", "draft"])
    session.expire_all()
    assert session.get(Entry, edited.id).status == EntryStatus.approved


def test_a_learned_section_tag_survives_export_and_import(runner, session, tmp_path):
    # bank learn made "authentication, authorization, and accou" one tag; the edit form and
    # bank files split tags on "," and ";", so an export read back as three tags
    from answers.learn import section_tag

    tag = section_tag("Authentication,  Authorization; and Accounting (AAA) for every user")
    assert tag == "authentication / authorization / and acc" and len(tag) == 40
    bank.create_entry(
        bank.EntryCreate(question="Do you log administrator actions?", answer="Yes", tags=["hecvat", tag]),
        session=session,
        actor="cur@example.com",
    )
    out = tmp_path / "bank.csv"
    assert runner.invoke(args=["bank", "export", str(out)]).exit_code == 0
    assert [e.tags for e in bank.read_bank_file(out.read_bytes(), out.name)] == [["hecvat", tag]]


def test_tags_are_split_on_commas_and_semicolons_wherever_they_come_from():
    # the same rule as the edit form and bank files: "a, b" is two tags, through the API too
    entry = bank.EntryCreate(question="Q?", answer="Yes", tags=["access, identity", "mfa;sso", "mfa"])
    assert entry.tags == ["access", "identity", "mfa", "sso"]


def test_an_alternate_is_one_line_so_it_round_trips(runner, session, tmp_path):
    # bank files hold one alternate per line: one sent with a line break through the API
    # came back from an export as two alternates
    e = bank.create_entry(
        bank.EntryCreate(question="Do you encrypt data?", answer="Yes", alternates=["Is stored data\n  encrypted?"]),
        session=session,
        actor="cur@example.com",
    )
    assert e.alternates == ["Is stored data encrypted?"]
    out = tmp_path / "bank.csv"
    assert runner.invoke(args=["bank", "export", str(out)]).exit_code == 0
    assert [x.alternates for x in bank.read_bank_file(out.read_bytes(), out.name)] == [["Is stored data encrypted?"]]


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [("utf-8-sig", ";"), ("cp1252", ";"), ("utf-16", "\t"), ("utf-8", "\t")],
    ids=["excel-csv-utf8-europe", "excel-csv-europe", "excel-unicode-text", "tabs"],
)
def test_excel_csv_with_semicolons_or_tabs_reads_as_with_commas(encoding, delimiter):
    # Excel saves "CSV" with ";" where the decimal separator is a comma, and "Unicode Text"
    # as UTF-16 with tabs: the first was "malformed at line N", the second "binary data"
    rows = [
        ["question", "answer", "comment", "tags"],
        ["Do you encrypt data at rest?", "Yes", "AES-256; keys in KMS, rotated yearly.", "crypto, storage"],
        ["Café data retained?", "No", 'Deleted after 30 days ("hard" delete).', ""],
    ]
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    parsed = bank.read_bank_file(out.getvalue().encode(encoding), "bank.csv")
    assert [(r.question, r.answer, r.comment, r.tags) for r in parsed] == [
        ("Do you encrypt data at rest?", "Yes", "AES-256; keys in KMS, rotated yearly.", ["crypto", "storage"]),
        ("Café data retained?", "No", 'Deleted after 30 days ("hard" delete).', []),
    ]


def test_a_csv_export_opened_in_the_wrong_character_set_is_named_as_such():
    # LibreOffice converting our UTF-8 export without being told the character set keeps the
    # byte-order mark as text: "unknown column(s): ï»¿question" said nothing of the cause
    wb = Workbook()
    wb.active.append(["\u00ef\u00bb\u00bfquestion", "answer"])
    wb.active.append(["Do you encrypt data at rest?", "Yes"])
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(bank.BankFileError, match=r"opened as another character set.*UTF-8"):
        bank.read_bank_file(out.getvalue(), "bank.xlsx")
    # a byte-order mark that survived as such is no part of the header
    wb.active["A1"] = "\ufeffquestion"
    out = io.BytesIO()
    wb.save(out)
    assert bank.read_bank_file(out.getvalue(), "bank.xlsx")[0].question == "Do you encrypt data at rest?"
