"""The bank in the browser and over the API: roles, pages, bulk import with preview,
and the edit -> approve -> used-in-a-questionnaire flow through the test client."""

from __future__ import annotations

import datetime as dt
import io
import re

from openpyxl import Workbook
from sqlmodel import select

from answers import bank
from answers.models import Entry, EntryCreate, EntryStatus, EntryVersion
from answers.suggest import invalidate
from tests.auth_helpers import bearer, token_for
from web import bank as bank_web

HEADER = "question,answer,comment,alternates,tags,owner\r\n"


def _entry(session, question, answer="Yes", **kw) -> Entry:
    invalidate()
    return bank.create_entry(EntryCreate(question=question, answer=answer, **kw), session=session, actor="seed")


def _count(session) -> int:
    return len(session.exec(select(Entry)).all())


def test_api_sales_can_read_but_not_write(app, people, session):
    e = _entry(session, "Do you encrypt data at rest?")
    sales = app.test_client()
    headers = bearer(token_for(app, people["sales"]))
    listed = sales.get("/api/v1/entries?q=encrypt", headers=headers)
    assert listed.status_code == 200 and [x["id"] for x in listed.get_json()["entries"]] == [e.id]
    assert sales.get(f"/api/v1/entries/{e.id}", headers=headers).get_json()["versions"][0]["revision"] == 1
    denied = sales.patch(f"/api/v1/entries/{e.id}", json={"answer": "No"}, headers=headers)
    assert denied.status_code == 403 and "curator" in denied.get_json()["error"]
    assert sales.post("/api/v1/entries", json={"question": "x"}, headers=headers).status_code == 403
    session.refresh(e)
    assert e.answer == "Yes" and e.revision == 1


def test_api_curator_creates_patches_and_gets_errors_as_json(app, people, session):
    client = app.test_client()
    headers = bearer(token_for(app, people["curator"]))
    created = client.post("/api/v1/entries", json={"question": "Is MFA enforced?", "answer": "Yes"}, headers=headers)
    assert created.status_code == 201 and created.get_json()["status"] == "draft"
    entry_id = created.get_json()["id"]
    patched = client.patch(
        f"/api/v1/entries/{entry_id}", json={"comment": "For all staff.", "status": "approved"}, headers=headers
    )
    body = patched.get_json()
    assert patched.status_code == 200 and body["revision"] == 2 and body["status"] == "approved"
    assert body["approved_by"] == "curator@example.com"
    bad = client.patch(f"/api/v1/entries/{entry_id}", json={"colour": "red"}, headers=headers)
    assert bad.status_code == 400 and "colour" in bad.get_json()["error"]
    assert client.patch(f"/api/v1/entries/{entry_id}", json={"question": " "}, headers=headers).status_code == 400
    assert client.get("/api/v1/entries/999", headers=headers).get_json()["error"] == "entry 999 not found"
    assert client.get("/api/v1/entries?sort=bogus", headers=headers).status_code == 400


def test_api_import_of_a_bad_file_writes_nothing_and_lists_each_row(app, people, session):
    data = (HEADER + "Good question?,Yes,,,,\r\n,Yes,,,,\r\nGood question?,No,,,,\r\n").encode()
    response = app.test_client().post(
        "/api/v1/entries/import",
        data={"file": (io.BytesIO(data), "bank.csv")},
        headers=bearer(token_for(app, people["curator"])),
    )
    assert response.status_code == 422
    problems = response.get_json()["problems"]
    assert problems[0] == "row 3: question is empty" and problems[1].startswith("row 4: the same question as row 2")
    assert _count(session) == 0


def test_browser_import_preview_writes_nothing_then_confirm_imports(app, curator_client, session):
    wb = Workbook()
    wb.active.append(["question", "answer", "comment", "alternates", "tags", "owner"])
    wb.active.append(["Do you back up daily?", "Yes", "Encrypted backups.", "Daily backups?", "ops", "ops@example.com"])
    out = io.BytesIO()
    wb.save(out)
    preview = curator_client.post(
        "/bank/import",
        data={"file": (io.BytesIO(out.getvalue()), "bank.xlsx"), "status": "draft", "product": "Cloud"},
        content_type="multipart/form-data",
    )
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Do you back up daily?" in page and "Import 1 row(s)" in page
    assert _count(session) == 0
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    tampered = curator_client.post("/bank/import/confirm", data={"token": token[:-2] + "xx"})
    assert tampered.status_code == 400 and _count(session) == 0
    done = curator_client.post("/bank/import/confirm", data={"token": token})
    assert done.status_code == 303
    entry = session.exec(select(Entry)).one()
    assert entry.status == EntryStatus.draft and bank.entry_products(entry.id, session=session) == ["Cloud"]
    assert curator_client.post("/bank/import/confirm", data={"token": token}).status_code == 400  # used once


def test_browser_import_of_a_bad_file_shows_every_bad_row(curator_client, session):
    data = (HEADER + ",Yes,,,,\r\nQ?,Yes,,,,,extra\r\n").encode()
    response = curator_client.post(
        "/bank/import", data={"file": (io.BytesIO(data), "bad.csv")}, content_type="multipart/form-data"
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "row 2: question is empty" in page and "row 3: more fields than the header has" in page
    assert _count(session) == 0


def test_export_downloads_the_bank(sales_client, session):
    _entry(session, "=cmd|' /C calc'!A0")
    response = sales_client.get("/bank/export?format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "'=cmd" in response.get_data(as_text=True)


def test_pages_show_stale_and_conflict_badges_and_escape_text(sales_client, session):
    stale = _entry(session, "<script>alert(1)</script> Is MFA on?", review_by=dt.date.today() - dt.timedelta(days=1))
    conflicted = _entry(session, "Do you support SSO?")
    conflicted.conflict = True
    session.add(conflicted)
    session.commit()
    page = sales_client.get("/bank/?q=mfa").get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert 'class="badge stale"' in page
    assert 'class="badge conflict"' in sales_client.get("/bank/?conflicted=1").get_data(as_text=True)
    assert "stale" in sales_client.get(f"/bank/{stale.id}").get_data(as_text=True)
    for path in ("/bank/due", "/bank/hygiene", "/bank/coverage"):
        assert sales_client.get(path).status_code == 200, path
    assert sales_client.post(f"/bank/{stale.id}/approve").status_code == 403


def test_entry_page_shows_a_diff_and_restores_an_old_version(curator_client, session):
    e = _entry(session, "Do you scan for vulnerabilities?", comment="Weekly <b>scans</b>.")
    response = curator_client.post(
        f"/bank/{e.id}/edit",
        data={"question": e.question, "answer": "Yes", "comment": "Daily scans.", "alternates": "Vuln scans?\n"},
    )
    assert response.status_code == 303
    page = curator_client.get(f"/bank/{e.id}").get_data(as_text=True)
    assert "-Weekly &lt;b&gt;scans&lt;/b&gt;." in page and "+Daily scans." in page
    assert curator_client.post(f"/bank/{e.id}/restore", data={"revision": "1"}).status_code == 303
    session.refresh(e)
    assert e.revision == 3 and e.comment == "Weekly <b>scans</b>." and e.alternates == []
    assert len(session.exec(select(EntryVersion).where(EntryVersion.entry_id == e.id)).all()) == 3


def test_edit_approve_then_used_in_a_questionnaire(app, curator_client, sales_client, session):
    created = curator_client.post(
        "/bank/new",
        data={"question": "Do you have a vendor risk programme?", "answer": "No", "owner": "sec@example.com"},
    )
    assert created.status_code == 303
    entry = session.exec(select(Entry)).one()
    assert entry.status == EntryStatus.draft
    curator_client.post(
        f"/bank/{entry.id}/edit",
        data={"question": entry.question, "answer": "Yes", "comment": "Reviewed yearly.", "status": "draft"},
    )
    assert curator_client.post(f"/bank/{entry.id}/approve").status_code == 303
    session.refresh(entry)
    assert (entry.status, entry.answer, entry.revision) == (EntryStatus.approved, "Yes", 3)

    wb = Workbook()
    wb.active.append(["ID", "Question", "Answer", "Comments"])
    wb.active.append(["V-1", "Do you have a vendor risk programme?", None, None])
    out = io.BytesIO()
    wb.save(out)
    uploaded = sales_client.post(
        "/questionnaires/upload",
        data={"file": (io.BytesIO(out.getvalue()), "acme.xlsx")},
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 303
    q_id = int(uploaded.headers["Location"].rstrip("/").split("/")[-1])
    assert sales_client.post(f"/questionnaires/{q_id}/accept", data={"min_tier": "exact"}).status_code == 303
    page = sales_client.get(f"/bank/{entry.id}").get_data(as_text=True)
    assert f"/questionnaires/{q_id}" in page and "acme" in page
    session.refresh(entry)
    assert entry.usage_count == 1


def test_hygiene_one_click_merge_and_keep(curator_client, session):
    a = _entry(session, "Do you encrypt customer data at rest?", status=EntryStatus.approved)
    b = _entry(session, "Do you encrypt the customer data at rest?")
    page = curator_client.get("/bank/hygiene").get_data(as_text=True)
    assert f"Merge into #{a.id}" in page
    assert curator_client.post("/bank/merge", data={"keep": a.id, "merge": b.id}).status_code == 303
    session.refresh(b)
    assert b.status == EntryStatus.retired
    c = _entry(session, "Is there a documented incident response plan?", answer="Yes")
    d = _entry(session, "Is there a documented incident-response plan in place?", answer="No")
    assert f"Keep #{c.id}" in curator_client.get("/bank/hygiene").get_data(as_text=True)
    curator_client.post("/bank/resolve", data={"entry": [c.id, d.id], "keep": c.id})
    session.refresh(d)
    assert d.status == EntryStatus.retired
    assert "No conflicts found" in curator_client.get("/bank/hygiene").get_data(as_text=True)


def test_review_page_flags_a_stale_entry(sales_client, session):
    e = _entry(
        session,
        "Do you rotate keys yearly?",
        status=EntryStatus.approved,
        review_by=dt.date.today() - dt.timedelta(days=2),
    )
    wb = Workbook()
    wb.active.append(["ID", "Question", "Answer", "Comments"])
    wb.active.append(["K-1", e.question, None, None])
    out = io.BytesIO()
    wb.save(out)
    uploaded = sales_client.post(
        "/questionnaires/upload",
        data={"file": (io.BytesIO(out.getvalue()), "k.xlsx")},
        content_type="multipart/form-data",
    )
    page = sales_client.get(uploaded.headers["Location"]).get_data(as_text=True)
    assert 'class="tier tier-review"' in page and 'class="badge stale"' in page


def test_control_characters_are_refused_on_input_and_never_break_the_xlsx_export(app, people, curator_client, session):
    form = {"question": "Do you scan\x01 for malware?", "answer": "Yes"}
    page = curator_client.post("/bank/new", data=form)
    assert page.status_code == 400 and "U+0001" in page.get_data(as_text=True)
    assert _count(session) == 0
    api = app.test_client()
    headers = bearer(token_for(app, people["curator"]))
    created = api.post("/api/v1/entries", json={"question": "Q", "answer": "Yes", "comment": "a\x1bb"}, headers=headers)
    assert (
        created.status_code == 400 and "comment: contains the control character U+001B" in created.get_json()["error"]
    )
    # a line break pasted from Word (vertical tab) or a page break is the newline it means
    created = api.post("/api/v1/entries", json={"question": "Q", "answer": "Yes", "comment": "a\x0bb"}, headers=headers)
    assert created.status_code == 201 and created.get_json()["comment"] == "a\nb"
    patched = api.patch(f"/api/v1/entries/{created.get_json()['id']}", json={"comment": "c\x0cd"}, headers=headers)
    assert patched.status_code == 200 and patched.get_json()["comment"] == "c\nd"
    e = _entry(session, "Do you encrypt data at rest?", comment="Line one\nLine two\tand a tab.")
    edited = curator_client.post(f"/bank/{e.id}/edit", data={"question": e.question, "answer": "Yes\x1f"})
    assert edited.status_code == 400 and "U+001F" in edited.get_data(as_text=True)
    # an entry stored before this check (or by another path) still exports
    e.comment = "Legacy\x01 text\x0b with controls"
    session.add(e)
    session.commit()
    response = curator_client.get("/bank/export?format=xlsx")
    assert response.status_code == 200
    rows = bank.read_bank_file(response.data, "bank.xlsx")
    assert [r.comment for r in rows if r.question == e.question] == ["Legacy text with controls"]


def test_api_refuses_junk_list_values_retired_creates_and_unknown_products(app, people, session):
    client = app.test_client()
    headers = bearer(token_for(app, people["curator"]))
    _entry(session, "Seed?", products=["Canvas"])  # Canvas exists now
    cases = [
        ({"alternates": [1, None, {"a": 1}]}, "alternates"),
        ({"alternates": ["ok", " "]}, "alternates"),
        ({"tags": "a,b"}, "tags"),
        ({"products": "Canvas"}, "products"),
        ({"status": "retired"}, "status"),
        ({"products": ["NoSuch"]}, "NoSuch"),
    ]
    for extra, named in cases:
        r = client.post(
            "/api/v1/entries", json={"question": "Is MFA enforced?", "answer": "Yes", **extra}, headers=headers
        )
        assert r.status_code == 400 and named in r.get_json()["error"], (extra, r.get_json())
    assert _count(session) == 1
    created = client.post(
        "/api/v1/entries", json={"question": "Is MFA enforced?", "products": [" canvas"]}, headers=headers
    )
    assert created.status_code == 201 and created.get_json()["products"] == ["Canvas"]
    entry_id = created.get_json()["id"]
    for extra, named in cases[:4] + cases[5:]:
        r = client.patch(f"/api/v1/entries/{entry_id}", json=extra, headers=headers)
        assert r.status_code == 400 and named in r.get_json()["error"], (extra, r.get_json())
    assert bank.get_entry(entry_id, session=session).revision == 1


def test_bank_changes_in_the_browser_record_the_ip_like_logins(curator_client, session):
    from answers.models import AuditEvent

    e = _entry(session, "Do you scan for vulnerabilities?")
    other = _entry(session, "Do you scan for vulnerabilities weekly?")
    ip = {"environ_base": {"REMOTE_ADDR": "198.51.100.7"}}
    steps = [
        (f"/bank/{e.id}/edit", {"question": e.question, "answer": "Yes", "comment": "Daily."}),
        (f"/bank/{e.id}/approve", {}),
        (f"/bank/{e.id}/retire", {}),
        (f"/bank/{e.id}/restore", {"revision": "2"}),
        ("/bank/merge", {"keep": e.id, "merge": other.id}),
        ("/bank/new", {"question": "Do you log access?", "answer": "Yes"}),
    ]
    for url, data in steps:
        assert curator_client.post(url, data=data, **ip).status_code == 303, url
    events = session.exec(select(AuditEvent).where(AuditEvent.action.startswith("entry."))).all()
    bank_events = [ev for ev in events if ev.actor == "curator@example.com"]
    assert {ev.action for ev in bank_events} >= {"entry.update", "entry.approve", "entry.retire", "entry.create"}
    assert all(ev.ip == "198.51.100.7" for ev in bank_events), [(ev.action, ev.ip) for ev in bank_events]


def test_browser_import_preview_shows_each_rows_status_retired_too(curator_client, session):
    data = b"question,answer,status\r\nDo you use FTP?,No,retired\r\nDo you back up daily?,Yes,\r\n"
    preview = curator_client.post(
        "/bank/import",
        data={"file": (io.BytesIO(data), "bank.csv"), "status": "draft"},
        content_type="multipart/form-data",
    )
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200, page
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td>.*?<td>(\w+)</td></tr>", page)
    assert rows == [("new", "Do you use FTP?", "retired"), ("new", "Do you back up daily?", "draft")]


def test_import_preview_and_result_count_a_retirement_separately(app, curator_client, session, people):
    """QA: a row retiring a live approved entry was previewed as '1 row(s) to be imported as
    approved' and reported as '0 new, 1 updated'."""
    live = _entry(session, "Do you have a current SOC 2 Type II report?", status=EntryStatus.approved)
    data = b"question,answer,status\r\nDo you have a current SOC 2 Type II report?,Yes,retired\r\n"
    preview = curator_client.post(
        "/bank/import", data={"file": (io.BytesIO(data), "rt.csv")}, content_type="multipart/form-data"
    )
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200, page
    assert "0 new, 0 updated, 0 unchanged" in page and "1 entry will be retired" in page
    assert f"RETIRE entry #{live.id}" in page
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    done = curator_client.post("/bank/import/confirm", data={"token": token}, follow_redirects=True)
    assert "Imported: 0 created, 0 updated, 0 unchanged, 1 retired." in done.get_data(as_text=True)
    session.refresh(live)
    assert live.status == EntryStatus.retired
    # the API's dry run and result say the same
    again = _entry(session, "Do you rotate keys?", status=EntryStatus.approved)
    headers = bearer(token_for(app, people["curator"]))
    body = b"question,answer,status\r\nDo you rotate keys?,Yes,retired\r\n"
    dry = app.test_client().post(
        "/api/v1/entries/import", data={"file": (io.BytesIO(body), "b.csv"), "dry_run": "1"}, headers=headers
    )
    assert dry.get_json() == {
        "dry_run": True,
        "rows": 1,
        "created": 0,
        "updated": 0,
        "unchanged": 0,
        "retired": 1,
        "new_products": [],
    }
    real = app.test_client().post("/api/v1/entries/import", data={"file": (io.BytesIO(body), "b.csv")}, headers=headers)
    assert real.get_json() == {"created": 0, "updated": 0, "unchanged": 0, "retired": 1, "new_products": []}
    session.refresh(again)
    assert again.status == EntryStatus.retired


def test_import_preview_says_when_an_approved_entry_changes_live(curator_client, session):
    _entry(session, "Do you encrypt backups?", status=EntryStatus.approved)
    data = b"question,answer,status\r\nDo you encrypt backups?,No,approved\r\n"
    page = curator_client.post(
        "/bank/import",
        data={"file": (io.BytesIO(data), "b.csv"), "status": "draft"},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "0 new, 1 updated, 0 unchanged" in page
    assert "1 approved entry changes and stays approved" in page and "set the status cell to draft" in page


def test_restoring_a_retired_entry_brings_it_back_as_a_draft_and_says_so(curator_client, session):
    e = _entry(session, "Do you rotate encryption keys?", status=EntryStatus.approved)
    bank.retire(e.id, session=session, actor="cur@example.com")
    response = curator_client.post(f"/bank/{e.id}/restore", data={"revision": "1"}, follow_redirects=True)
    assert "Revision 1 restored as a new revision; the entry is a draft: approve it" in response.get_data(as_text=True)
    session.refresh(e)
    assert (e.status, e.approved_by, e.revision) == (EntryStatus.draft, None, 3)


def test_a_team_name_owner_can_be_saved_in_the_edit_form(app, curator_client, session):
    """The API, file import and CLI take any owner text (a team is a legitimate owner): the
    edit form must not demand an email, or no change to such an entry could be saved."""
    e = _entry(session, "Do you run tabletop exercises?", owner="Security team")
    page = curator_client.get(f"/bank/{e.id}/edit").get_data(as_text=True)
    owner_input = re.search(r'<input name="owner"[^>]*>', page).group(0)
    assert 'type="email"' not in owner_input and 'value="Security team"' in owner_input
    saved = curator_client.post(
        f"/bank/{e.id}/edit",
        data={
            "question": e.question,
            "answer": "Yes",
            "comment": "Twice a year.",
            "owner": "Security team",
            "revision": str(e.revision),
            "status": "approved",
        },
    )
    assert saved.status_code == 303
    session.refresh(e)
    assert (e.comment, e.owner) == ("Twice a year.", "Security team")


def test_hygiene_page_says_first_n_of_the_total_when_it_stops(curator_client, session, monkeypatch):
    monkeypatch.setattr("web.bank.HYGIENE_SHOWN", 2)
    pairs = [
        ("Do you encrypt customer data at rest?", "Do you encrypt the customer data at rest?"),
        ("Is there a documented incident response plan?", "Is there a documented incident response plan in place?"),
        ("Do you perform annual penetration tests?", "Do you perform annual penetration testing?"),
    ]
    for a, b in pairs:
        _entry(session, a, status=EntryStatus.approved)
        _entry(session, b, status=EntryStatus.approved)
    page = curator_client.get("/bank/hygiene").get_data(as_text=True)
    assert 'Near-duplicates <small class="muted">first 2 of 3</small>' in page
    assert 'Conflicts <small class="muted">0</small>' in page


def test_question_sort_ignores_case(sales_client, session):
    for q in ("beta: do you log?", "Alpha: do you scan?", "Gamma: do you patch?"):
        _entry(session, q)
    page = sales_client.get("/bank/?sort=question").get_data(as_text=True)
    found = re.findall(r">(Alpha|beta|Gamma):", page)
    assert found == ["Alpha", "beta", "Gamma"]


def test_a_page_past_the_last_links_back_to_page_one(sales_client, session):
    _entry(session, "Do you scan for malware?")
    page = sales_client.get("/bank/?page=9&q=malware").get_data(as_text=True)
    assert "Page 9 is past the last page (1)." in page and "No entries match." not in page
    link = re.search(r'<a href="([^"]+)">Back to page 1</a>', page).group(1)
    assert "page=1" in link and "q=malware" in link


def test_a_refused_import_keeps_the_chosen_status_and_product(curator_client, session):
    # QA web pass 3: the form came back with approved and no product, so fixing the file and
    # uploading it again imported it approved and company-wide unless both were chosen again
    data = (HEADER + ",Yes,,,,\r\n").encode()
    response = curator_client.post(
        "/bank/import",
        data={"file": (io.BytesIO(data), "bad.csv"), "status": "draft", "product": "Console"},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "row 2: question is empty" in page
    assert "<option selected>draft</option>" in page
    assert 'name="product" value="Console"' in page
    no_file = curator_client.post("/bank/import", data={"status": "draft", "product": "Console"})
    assert no_file.status_code == 400 and 'name="product" value="Console"' in no_file.get_data(as_text=True)


def test_a_blank_question_is_refused_in_plain_words(curator_client, session):
    # QA web pass 3: "question: Value error, question must not be empty" (pydantic's wording)
    response = curator_client.post("/bank/new", data={"question": "   ", "answer": "Yes", "comment": "kept"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "question: must not be empty" in page and "Value error" not in page
    assert ">kept</textarea>" in page  # the rest of the form stays as typed
    assert _count(session) == 0


def test_an_entry_used_in_many_questionnaires_lists_the_latest_and_counts_the_rest(sales_client, session):
    # QA web pass 3: "Used in" listed every questionnaire: the SOC 2 entry of a year's uploads
    # (300 questionnaires) made its page a list of 300 links
    from answers.models import Item, ItemStatus, Questionnaire

    e = _entry(session, "Do you have a current SOC 2 Type II report?")
    for n in range(30):
        q = Questionnaire(
            name=f"Customer {n:02d}", filename="q.xlsx", stored_name="x", sha256="0", size=1, format="xlsx", family="x"
        )
        q.uploaded_at = q.uploaded_at + dt.timedelta(minutes=n)
        session.add(q)
        session.flush()
        session.add(
            Item(
                questionnaire_id=q.id,
                position=0,
                sheet="S",
                row=2,
                text=e.question,
                entry_id=e.id,
                status=ItemStatus.accepted,
            )
        )
    session.commit()
    page = sales_client.get(f"/bank/{e.id}").get_data(as_text=True)
    used = page.split("<h2>Used in</h2>", 1)[1].split("<h2>", 1)[0]
    assert used.count("<li>") == bank_web.USED_SHOWN
    assert "Customer 29" in used and "Customer 00" not in used  # the latest first
    assert f"and {30 - bank_web.USED_SHOWN} older questionnaire(s)" in used
