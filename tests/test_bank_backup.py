"""A bank export is a full backup: learned conflicts (two answers of one question, both
flagged) and where a learned entry came from (family, version, question id) come back from
it, into an empty bank and into the same one (where nothing changes)."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlmodel import Session, select

from answers import audit, bank
from answers.db import get_engine
from answers.models import AuditEvent, Entry, EntryCreate, EntryStatus, EntryVersion, Product
from tests.questionnaire_builders import questionnaire_xlsx

FIRST = [
    ("SEC-01", "Do you encrypt customer data at rest?", "Yes", "AES-256 with AWS KMS."),
    ("SEC-02", "Do you require multi-factor authentication for administrative access?", "Yes", "Okta."),
    ("SEC-03", "Do you store customer data on removable media?", "No", "Prohibited by policy."),
    ("SEC-04", "Do you run a bug bounty programme?", None, "Private programme on HackerOne."),
]
# the same questionnaire from another customer: one verdict disagrees, one agrees
SECOND = [
    ("SEC-03", "Do you store customer data on removable media?", "Yes", "Encrypted USB drives only."),
    ("SEC-01", "Do you encrypt customer data at rest?", "Yes", ""),
]
REMOVABLE = FIRST[2][1]


def _learn(runner, tmp_path, rows, name, *args):
    path = tmp_path / name
    path.write_bytes(questionnaire_xlsx(rows))
    result = runner.invoke(args=["bank", "learn", str(path), *args])
    assert result.exit_code == 0, result.output
    return result


def _learned_bank(runner, session, tmp_path):
    """A learned bank with a conflict pair, a product-scoped conflict pair, a draft and a
    retired entry."""
    _learn(runner, tmp_path, FIRST, "acme.xlsx")
    result = _learn(runner, tmp_path, SECOND, "globex.xlsx")
    assert "1 conflict(s) flagged" in result.output
    _learn(runner, tmp_path, FIRST[2:3], "canvas-a.xlsx", "--product", "Canvas", "--status", "draft")
    _learn(runner, tmp_path, SECOND[:1], "canvas-b.xlsx", "--product", "Canvas", "--status", "draft")
    mfa = session.exec(select(Entry).where(Entry.question_id == "SEC-02")).one()
    bank.retire(mfa.id, session=session, actor="cur")
    pairs = session.exec(select(Entry).where(Entry.question == REMOVABLE, Entry.conflict == True)).all()  # noqa: E712
    assert len(pairs) == 4


def _state(session: Session) -> list[tuple]:
    """Every entry as a backup must keep it, in id order."""
    return [
        (
            e.question,
            e.answer,
            e.comment,
            tuple(e.alternates),
            tuple(e.tags),
            e.owner,
            tuple(bank.entry_products(e.id, session=session)),
            e.status.value,
            e.review_by,
            e.source,
            e.family,
            e.version,
            e.question_id,
            e.conflict,
        )
        for e in session.exec(select(Entry).order_by(Entry.id))
    ]


def _other_app(app, tmp_path):
    from app import create_app

    return create_app({**app.config, "DATABASE_URL": "sqlite://", "UPLOAD_FOLDER": str(tmp_path / "other")})


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_learned_bank_with_conflicts_comes_back_from_its_own_export(app, runner, session, tmp_path, suffix):
    _learned_bank(runner, session, tmp_path)
    before = _state(session)
    out = tmp_path / f"bank{suffix}"
    assert runner.invoke(args=["bank", "export", str(out)]).exit_code == 0

    other = _other_app(app, tmp_path)
    other_runner = other.test_cli_runner()
    with Session(get_engine(other), expire_on_commit=False) as empty:
        bank.get_or_create_product("Canvas", session=empty)
        empty.commit()
        result = other_runner.invoke(args=["bank", "import", str(out)])
        assert result.exit_code == 0, result.output
        assert f"{len(before)} created, 0 updated, 0 unchanged" in result.output
        assert _state(empty) == before
        # learned provenance drives exact matching by question id
        assert {e.question_id for e in empty.exec(select(Entry))} == {"SEC-01", "SEC-02", "SEC-03", "SEC-04"}
        assert {(e.family, e.version) for e in empty.exec(select(Entry))} == {("generic", None)}
        conflict_events = empty.exec(select(AuditEvent).where(AuditEvent.action == "entry.conflict")).all()
        assert len(conflict_events) == 4  # each restored side of a conflict, audited
        assert audit.verify(empty) > 0
        # and imported again into the bank it restored: nothing changes
        versions = len(empty.exec(select(EntryVersion)).all())
        again = other_runner.invoke(args=["bank", "import", str(out)])
        assert f"0 created, 0 updated, {len(before)} unchanged" in again.output, again.output
        assert len(empty.exec(select(EntryVersion)).all()) == versions
        assert _state(empty) == before

    versions = len(session.exec(select(EntryVersion)).all())
    same = runner.invoke(args=["bank", "import", str(out)])
    assert same.exit_code == 0, same.output
    assert f"0 created, 0 updated, {len(before)} unchanged" in same.output
    assert len(session.exec(select(EntryVersion)).all()) == versions
    assert _state(session) == before


def _csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows([["question", "answer", "comment", "products", "status", "conflict"], *rows])
    return buffer.getvalue().encode("utf-8")


def test_rows_of_one_question_are_refused_unless_both_are_conflicts():
    with pytest.raises(bank.BankFileError) as caught:
        bank.read_bank_file(
            _csv(
                [
                    ["Do you use MFA?", "Yes", "", "", "approved", "yes"],
                    ["Do you use MFA?", "No", "", "", "approved", ""],
                    ["Do you use SSO?", "Yes", "", "", "approved", "no"],
                    ["do you use SSO?", "No", "", "", "approved", "no"],
                    ["Do you log?", "Yes", "", "", "approved", "maybe"],
                ]
            ),
            "bank.csv",
        )
    assert caught.value.problems == [
        "row 3: the same question as row 2 (two answers of one question are kept only as a conflict:"
        " conflict yes in both rows)",
        "row 5: the same question as row 4 (two answers of one question are kept only as a conflict:"
        " conflict yes in both rows)",
        "row 6: conflict must be yes or no (or empty), not 'maybe'",
    ]
    rows = bank.read_bank_file(
        _csv([["Do you use MFA?", "Yes", "", "", "approved", "TRUE"], ["Do you use MFA?", "No", "", "", "draft", "1"]]),
        "bank.csv",
    )
    assert [r.conflict for r in rows] == [True, True]


def test_provenance_cells_are_checked_like_the_entry_fields():
    header = "question,answer,family,version,question_id\r\n"
    data = (header + f"Q1?,Yes,{'f' * 51},,\r\nQ2?,Yes,hecvat,{'v' * 51},\r\nQ3?,Yes,,,{'i' * 101}\r\n").encode()
    with pytest.raises(bank.BankFileError) as caught:
        bank.read_bank_file(data, "bank.csv")
    assert [p.split(":")[0:2] for p in caught.value.problems] == [
        ["row 2", " family"],
        ["row 3", " version"],
        ["row 4", " question_id"],
    ]
    assert all("at most" in p for p in caught.value.problems)
    with pytest.raises(bank.BankFileError) as caught:
        bank.read_bank_file((header + "Q?,Yes,,,SEC\x01-1\r\n").encode(), "bank.csv")
    assert caught.value.problems == [
        "row 2: question_id: contains the control character U+0001; remove it and save again"
    ]
    [row] = bank.read_bank_file((header + "Q?,Yes,,,\r\n").encode(), "bank.csv")
    assert (row.family, row.version, row.question_id) == (None, None, None)
    assert {"family", "version", "question_id"} <= row.model_fields_set


def test_a_file_without_the_new_columns_leaves_provenance_and_flags_alone(runner, session, tmp_path):
    _learn(runner, tmp_path, FIRST, "acme.xlsx")
    _learn(runner, tmp_path, SECOND, "globex.xlsx")
    path = tmp_path / "old.csv"
    path.write_bytes(b"question,answer,comment\r\nDo you store customer data on removable media?,Yes,Edited.\r\n")
    result = runner.invoke(args=["bank", "import", str(path)])
    assert "0 created, 1 updated" in result.output, result.output
    both = session.exec(select(Entry).where(Entry.question == REMOVABLE).order_by(Entry.id)).all()
    assert [(e.comment, e.conflict, e.question_id, e.family) for e in both] == [
        ("Prohibited by policy.", True, "SEC-03", "generic"),
        ("Edited.", True, "SEC-03", "generic"),  # the later of the two, as before
    ]


def _flagged(session) -> list[tuple[str, bool]]:
    return [(e.answer, e.conflict) for e in session.exec(select(Entry).where(Entry.status != "retired"))]


def test_a_conflict_row_without_a_conflict_in_the_bank_adds_it_flagged_and_flags_the_live_one(app, session):
    live = bank.create_entry(
        EntryCreate(question=REMOVABLE, answer="No", status=EntryStatus.approved), session=session, actor="cur"
    )
    rows = bank.read_bank_file(_csv([[REMOVABLE, "Yes", "USB, encrypted.", "", "approved", "yes"]]), "b.csv")
    plan = bank.plan_import(rows, session=session)
    assert [(r.action, r.flags) for r in plan.rows] == [("create", live)]
    assert plan.rows[0].label == f"new, flags entry #{live.id} as its conflict"
    result = bank.import_entries(rows, session=session, actor="cur", source="b.csv")
    assert (result.created, result.unchanged) == (1, 0)
    assert sorted(_flagged(session)) == [("No", True), ("Yes", True)]
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "entry.conflict")).all()
    new_id = result.entry_ids[0]
    assert sorted((e.object_id, e.details["with"]) for e in events) == sorted(
        [(str(live.id), [new_id]), (str(new_id), [live.id])]
    )
    # the same file again pairs with the flagged entries: nothing changes
    again = bank.import_entries(rows, session=session, actor="cur", source="b.csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)


def test_a_retired_conflict_row_retires_that_side_and_clears_the_other(runner, session, tmp_path):
    _learn(runner, tmp_path, FIRST, "acme.xlsx")
    _learn(runner, tmp_path, SECOND, "globex.xlsx")
    no, yes = session.exec(select(Entry).where(Entry.question == REMOVABLE).order_by(Entry.id)).all()
    rows = [[REMOVABLE, "No", no.comment, "", "approved", "yes"], [REMOVABLE, "Yes", yes.comment, "", "retired", "yes"]]
    path = tmp_path / "resolved.csv"
    path.write_bytes(_csv(rows))
    result = runner.invoke(args=["bank", "import", str(path)])
    assert "0 created, 0 updated, 1 unchanged, 1 retired" in result.output, result.output
    session.refresh(no)
    session.refresh(yes)
    assert (no.status, no.conflict) == (EntryStatus.approved, False)
    assert (yes.status, yes.conflict) == (EntryStatus.retired, False)


def test_the_import_preview_shows_conflict_rows_and_unchanged_rows(app, runner, curator_client, session, tmp_path):
    _learn(runner, tmp_path, FIRST, "acme.xlsx")
    _learn(runner, tmp_path, SECOND, "globex.xlsx")
    export = bank.export_bank("bank.csv", session=session)
    preview = curator_client.post(
        "/bank/import", data={"file": (io.BytesIO(export), "bank.csv")}, content_type="multipart/form-data"
    )
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "0 new, 0 updated, 5 unchanged" in page
    assert page.count("<td>unchanged (conflict)</td>") == 2 and page.count("<td>unchanged</td>") == 3
    # into a bank with one side live: a new flagged entry, the live one flagged too
    no = session.exec(select(Entry).where(Entry.question == REMOVABLE, Entry.answer == "No")).one()
    yes = session.exec(select(Entry).where(Entry.question == REMOVABLE, Entry.answer == "Yes")).one()
    bank.retire(yes.id, session=session, actor="cur")
    page = curator_client.post(
        "/bank/import", data={"file": (io.BytesIO(export), "bank.csv")}, content_type="multipart/form-data"
    ).get_data(as_text=True)
    assert "1 new, 1 updated, 3 unchanged" in page
    assert f"<td>flags entry #{no.id} as a conflict again</td>" in page  # not a copy of the surviving side
    assert "<td>new (conflict)</td>" in page
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    assert curator_client.post("/bank/import/confirm", data={"token": token}).status_code == 303
    session.expire_all()
    both = session.exec(select(Entry).where(Entry.question == REMOVABLE, Entry.status != "retired")).all()
    assert sorted((e.answer, e.comment, e.conflict) for e in both) == [
        ("No", "Prohibited by policy.", True),
        ("Yes", "Encrypted USB drives only.", True),
    ]


def test_a_conflict_learned_through_an_alternate_comes_back(app, runner, session, tmp_path):
    """Learning a disagreeing answer to an entry's alternate flags a new entry whose
    question is that alternate: the two share a wording, as a conflict may."""
    bank.create_entry(
        EntryCreate(question=REMOVABLE, answer="No", alternates=["Is removable media used?"], status="approved"),
        session=session,
        actor="cur",
    )
    _learn(runner, tmp_path, [("M-1", "Is removable media used?", "Yes", "USB.")], "other.xlsx")
    before = _state(session)
    assert [s[-1] for s in before] == [True, True]
    export = bank.export_bank("bank.xlsx", session=session)
    other = _other_app(app, tmp_path)
    with Session(get_engine(other), expire_on_commit=False) as empty:
        result = bank.import_entries(bank.read_bank_file(export, "bank.xlsx"), session=empty, source="bank.xlsx")
        assert result.created == 2 and _state(empty) == before
        again = bank.import_entries(bank.read_bank_file(export, "bank.xlsx"), session=empty, source="bank.xlsx")
        assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def _multi_product_bank(runner, session, tmp_path) -> None:
    """``_learned_bank`` (company-wide and Canvas conflict pairs, a draft, a retired entry)
    plus Console entries with alternates, a Console conflict pair, a retired Console entry
    and an entry for both products."""
    _learned_bank(runner, session, tmp_path)
    _learn(runner, tmp_path, FIRST[:2], "console-a.xlsx", "--product", "Console")
    _learn(runner, tmp_path, SECOND[1:], "console-b.xlsx", "--product", "Console")  # agrees: merged
    _learn(runner, tmp_path, FIRST[2:3], "console-c.xlsx", "--product", "Console")
    result = _learn(runner, tmp_path, SECOND[:1], "console-d.xlsx", "--product", "Console")
    assert "1 conflict(s) flagged" in result.output
    both = bank.create_entry(
        EntryCreate(
            question="Do you offer SAML single sign-on?",
            answer="Yes",
            alternates=["Is SAML SSO supported?", "Do you support SSO via SAML 2.0?"],
            products=["Console", "Canvas"],
        ),
        session=session,
    )
    console = session.exec(select(Entry).where(Entry.question_id == "SEC-02", Entry.status != "retired")).one()
    bank.add_alternate(console.id, "Is MFA enforced for admins?", session=session, actor="cur")
    old = bank.create_entry(
        EntryCreate(question="Do you support TLS 1.0?", answer="Yes", products=["Console"]), session=session
    )
    bank.retire(old.id, session=session, actor="cur")
    scopes = {tuple(bank.entry_products(e.id, session=session)) for e in session.exec(select(Entry))}
    assert scopes == {(), ("Canvas",), ("Console",), ("Canvas", "Console")}
    assert bank.entry_products(both.id, session=session) == ["Canvas", "Console"]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_multi_product_backup_restores_in_one_import(app, runner, session, tmp_path, suffix):
    """A backup of a bank with several products needed one import per product (`--product`
    takes one name) and was refused row by row: `--create-products` restores it in one go,
    each entry with exactly its products, company-wide ones company-wide."""
    _multi_product_bank(runner, session, tmp_path)
    before = _state(session)
    out = tmp_path / f"bank{suffix}"
    assert runner.invoke(args=["bank", "export", str(out)]).exit_code == 0

    other = _other_app(app, tmp_path)
    other_runner = other.test_cli_runner()
    with Session(get_engine(other), expire_on_commit=False) as empty:
        refused = other_runner.invoke(args=["bank", "import", str(out)])
        assert refused.exit_code == 2
        lines = refused.output.splitlines()
        # one line per unknown product, with its row count and first rows; then the reason
        assert len(lines) == 3, refused.output
        assert re.fullmatch(r"  unknown product 'Canvas' \(\d rows: [\d, ]+(, \.\.\.)?\)", lines[0])
        assert re.fullmatch(r"  unknown product 'Console' \(\d+ rows: [\d, ]+(, \.\.\.)?\)", lines[1])
        assert "nothing imported" in lines[2] and "--create-products" in lines[2]
        assert _state(empty) == [] and not empty.exec(select(Product)).all()

        result = other_runner.invoke(args=["bank", "import", str(out), "--create-products"])
        assert result.exit_code == 0, result.output
        assert f"{len(before)} created, 0 updated, 0 unchanged" in result.output
        assert "new product(s): Canvas, Console" in result.output
        assert _state(empty) == before
        assert audit.verify(empty) > 0
        # imported again into the bank it restored: nothing changes
        versions = len(empty.exec(select(EntryVersion)).all())
        again = other_runner.invoke(args=["bank", "import", str(out), "--create-products"])
        assert f"0 created, 0 updated, {len(before)} unchanged" in again.output, again.output
        assert "new product" not in again.output
        assert len(empty.exec(select(EntryVersion)).all()) == versions
        assert _state(empty) == before
        if suffix == ".csv":  # and it exports back to the same file
            assert bank.export_bank(out.name, session=empty) == out.read_bytes()

    versions = len(session.exec(select(EntryVersion)).all())
    same = runner.invoke(args=["bank", "import", str(out)])
    assert f"0 created, 0 updated, {len(before)} unchanged" in same.output, same.output
    assert len(session.exec(select(EntryVersion)).all()) == versions
    assert _state(session) == before


def test_the_import_product_never_rescopes_a_file_with_a_products_column(app, runner, session, tmp_path):
    """`--product NAME` with a file whose products column says otherwise is refused: kept
    company-wide, an empty cell would put an answer meant for NAME into every product's
    questionnaires; a backup restored with `--product NAME` (the old advice) would have
    done either that or moved company-wide answers into NAME."""
    _multi_product_bank(runner, session, tmp_path)
    out = tmp_path / "bank.csv"
    assert runner.invoke(args=["bank", "export", str(out)]).exit_code == 0
    other = _other_app(app, tmp_path)
    with Session(get_engine(other), expire_on_commit=False) as empty:
        for args in (["--product", "Canvas"], ["--product", "Canvas", "--create-products"]):
            refused = other.test_cli_runner().invoke(args=["bank", "import", str(out), *args])
            assert refused.exit_code == 2
            assert len(refused.output.strip().splitlines()) == 1, refused.output
            assert "the import's product is 'Canvas', but the file's products column" in refused.output
            assert "import it without a product" in refused.output
            assert _state(empty) == [] and not empty.exec(select(Product)).all()

    hand_made = tmp_path / "canvas.csv"  # answers for Canvas, products cells left empty
    hand_made.write_bytes(b"question,answer,products\r\nDo you rotate keys?,Yes,\r\nDo you log access?,Yes,canvas\r\n")
    refused = runner.invoke(args=["bank", "import", str(hand_made), "--product", "Canvas"])
    assert refused.exit_code == 2
    assert "otherwise (no product: company-wide, or other products): row 2;" in refused.output
    assert not session.exec(select(Entry).where(Entry.question == "Do you rotate keys?")).all()
    # every row saying the product: the product scopes them, as the file does
    hand_made.write_bytes(b"question,answer,products\r\nDo you rotate keys?,Yes,CANVAS\r\n")
    result = runner.invoke(args=["bank", "import", str(hand_made), "--product", "canvas"])
    assert result.exit_code == 0, result.output
    rotate = session.exec(select(Entry).where(Entry.question == "Do you rotate keys?")).one()
    assert bank.entry_products(rotate.id, session=session) == ["Canvas"]
    # no products column: the product scopes every row, as before
    hand_made.write_bytes(b"question,answer\r\nDo you log access?,Yes\r\n")
    assert runner.invoke(args=["bank", "import", str(hand_made), "--product", "Console"]).exit_code == 0
    log = session.exec(select(Entry).where(Entry.question == "Do you log access?")).one()
    assert bank.entry_products(log.id, session=session) == ["Console"]


def test_an_unknown_product_is_reported_once_with_its_rows(runner, session, tmp_path):
    rows = [[f"Question {n}?", "Yes", "", "Canvs" if n % 2 else "Lumen; Canvs"] for n in range(12)]
    rows.insert(3, ["Question x?", "Yes", "", "canvs"])  # one product, however spelled
    rows.append(["Question y?", "maybe", "", "", "obsolete"])
    path = tmp_path / "bank.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([["question", "answer", "comment", "products", "status"], *rows])
    result = runner.invoke(args=["bank", "import", str(path)])
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        "  unknown product 'Canvs' (13 rows: 2, 3, 4, 5, 6, ...)",
        "  unknown product 'Lumen' (6 rows: 2, 4, 7, 9, 11, ...)",
        "  row 15: status must be draft, approved or retired, not 'obsolete'",
        f"Error: bank.csv: 14 bad row(s), nothing imported ({bank.FILE_PRODUCTS_HINT}): "
        "unknown product 'Canvs' (13 rows: 2, 3, 4, 5, 6, ...); unknown product 'Lumen' (6 rows: 2, 4, 7, 9, 11, ...); "
        "row 15: status must be draft, approved or retired, not 'obsolete'",
    ]
    # the service (a caller that does not pass known_products to read_bank_file) says the same
    entries = bank.read_bank_file(path.read_bytes().replace(b"obsolete", b"draft"), "bank.csv")
    with pytest.raises(bank.BankFileError) as caught:
        bank.plan_import(entries, session=session)
    assert caught.value.problems == [
        "unknown product 'Canvs' (13 rows: 2, 3, 4, 5, 6, ...)",
        "unknown product 'Lumen' (6 rows: 2, 4, 7, 9, 11, ...)",
    ]
    assert str(caught.value).startswith("13 bad row(s), nothing imported")
    # created on request, once, as first spelled
    result = bank.import_entries(entries, session=session, create_products=True)
    assert result.new_products == ["Canvs", "Lumen"]
    assert sorted(session.exec(select(Product.name))) == ["Canvs", "Lumen"]
    assert bank.entry_products(result.entry_ids[3], session=session) == ["Canvs"]


@pytest.mark.parametrize("name,reason", [("Canvas\tPro", "control characters"), ("x" * 201, "at most 200 characters")])
def test_created_products_obey_the_product_name_rules(runner, session, tmp_path, name, reason):
    path = tmp_path / "bank.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([["question", "answer", "products"], ["Q1?", "Yes", "Canvas"], ["Q2?", "Yes", name]])
    result = runner.invoke(args=["bank", "import", str(path), "--create-products"])
    assert result.exit_code == 2
    assert reason in result.output and "(row 3)" in result.output
    assert not session.exec(select(Entry)).all() and not session.exec(select(Product)).all()


def test_the_web_import_restores_a_multi_product_backup_in_one_import(app, runner, curator_client, tmp_path):
    source = _other_app(app, tmp_path)
    with Session(get_engine(source), expire_on_commit=False) as full:
        _multi_product_bank(source.test_cli_runner(), full, tmp_path)
        before = _state(full)
        export = bank.export_bank("bank.xlsx", session=full)

    def preview(**form):
        data = {"file": (io.BytesIO(export), "bank.xlsx"), **form}
        return curator_client.post("/bank/import", data=data, content_type="multipart/form-data")

    refused = preview()
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert page.count("unknown product &#39;Canvas&#39; (") == 1
    assert page.count("unknown product &#39;Console&#39; (") == 1
    assert "Create the products this file names" in page
    refused = preview(product="Canvas", create_products="1")
    assert refused.status_code == 400
    assert "the import&#39;s product is &#39;Canvas&#39;" in refused.get_data(as_text=True)

    shown = preview(create_products="1")
    page = shown.get_data(as_text=True)
    assert shown.status_code == 200, page
    assert f"{len(before)} new, 0 updated, 0 unchanged" in page
    assert "New product(s) this import creates: <strong>Canvas, Console</strong>" in page
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    with Session(get_engine(app)) as session:
        assert not session.exec(select(Product)).all()  # the preview writes nothing
    done = curator_client.post("/bank/import/confirm", data={"token": token}, follow_redirects=True)
    assert "new product(s): Canvas, Console" in done.get_data(as_text=True)
    with Session(get_engine(app)) as session:
        assert _state(session) == before
    again = preview(create_products="1").get_data(as_text=True)
    assert f"0 new, 0 updated, {len(before)} unchanged" in again and "New product(s)" not in again


def test_the_api_import_creates_the_products_of_its_file_on_request(app, session):
    from answers.models import Role
    from tests.auth_helpers import bearer, make_user, token_for

    headers = bearer(token_for(app, make_user(app, "cur@example.com", Role.curator)))
    body = b"question,answer,products\r\nDo you rotate keys?,Yes,Canvas\r\nDo you log access?,Yes,\r\n"
    client = app.test_client()

    def post(**form):
        return client.post(
            "/api/v1/entries/import", data={"file": (io.BytesIO(body), "b.csv"), **form}, headers=headers
        )

    refused = post()
    assert refused.status_code == 422 and refused.get_json()["problems"] == ["unknown product 'Canvas' (row 2)"]
    # the product and a products column that leaves a row company-wide: refused, not guessed
    refused = post(product="Canvas")
    assert refused.status_code == 422 and "other products): row 3;" in refused.get_json()["error"]
    # a flag misspelt is refused, not read as "no" (which then refused the file's products)
    misspelt = post(create_products="yes please")
    assert misspelt.status_code == 400 and "create_products: 1 or 0" in misspelt.get_json()["error"]
    dry = post(create_products="true", dry_run="True")
    assert dry.status_code == 200 and dry.get_json()["new_products"] == ["Canvas"]
    assert not session.exec(select(Product)).all()
    done = post(create_products="1", dry_run="0")
    assert done.status_code == 201 and done.get_json()["new_products"] == ["Canvas"]
    scopes = {e.question: bank.entry_products(e.id, session=session) for e in session.exec(select(Entry))}
    assert scopes == {"Do you rotate keys?": ["Canvas"], "Do you log access?": []}


def test_an_export_from_before_the_conflict_column_says_how_to_keep_both_answers(runner, session, tmp_path):
    """An export written before the provenance and conflict columns holds both sides of a
    learned conflict; it was refused with a bare "the same question as row N"."""
    _learned_bank(runner, session, tmp_path)
    out = tmp_path / "bank.csv"
    assert runner.invoke(args=["bank", "export", str(out)]).exit_code == 0
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"), newline="")))
    old = tmp_path / "old.csv"
    with old.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([row[:10] for row in rows])  # question ... source
    versions = len(session.exec(select(EntryVersion)).all())
    result = runner.invoke(args=["bank", "import", str(old)])
    assert result.exit_code == 2
    assert re.search(
        r"row \d+: the same question as row \d+ \(.*add a conflict column saying yes in both rows\)", result.output
    )
    assert len(session.exec(select(EntryVersion)).all()) == versions
