"""QA round 2 on the review page: importer warnings shown, comments with nowhere to go,
unaccepted suggestions before download, one error per failed upload, assignees."""

from __future__ import annotations

import io
import re

from openpyxl import Workbook, load_workbook

from tests.review_builders import multipart, questionnaire_xlsx, upload_id

NO_HEADER_QUESTIONS = [
    "Do you encrypt customer data at rest?",
    "Is multi-factor authentication enforced for administrator accounts?",
    "Do you maintain a tested business continuity plan?",
]


def no_header_xlsx() -> bytes:
    """No header row: questions in B, answers assumed in C, no comment column at all."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Q"
    for n, text in enumerate(NO_HEADER_QUESTIONS, 1):
        ws.append([f"Q-{n}", text])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def item_ids(client, qid: int) -> list[int]:
    html = client.get(f"/questionnaires/{qid}").get_data(as_text=True)
    return [int(m) for m in re.findall(r'<article class="item[^"]*" id="item-(\d+)"', html)]


def test_review_page_shows_the_importer_warnings(reviewer):
    qid = upload_id(reviewer, no_header_xlsx(), "noheader.xlsx")
    page = reviewer.get(f"/questionnaires/{qid}").get_data(as_text=True)
    assert "import-warnings" in page
    assert "no header row; questions read from column B, answers assumed in column C" in page


def test_review_page_without_warnings_shows_no_notice(reviewer):
    qid = upload_id(reviewer, questionnaire_xlsx(), "vendor.xlsx")
    assert "import-warnings" not in reviewer.get(f"/questionnaires/{qid}").get_data(as_text=True)


def _accept(client, qid: int, item_id: int, **body):
    return client.post(
        f"/questionnaires/{qid}/items/{item_id}",
        json={"status": "accepted", **body},
        headers={"Accept": "application/json"},
    )


def test_comment_goes_into_a_free_text_answer_cell_without_a_comment_column(reviewer):
    qid = upload_id(reviewer, no_header_xlsx(), "noheader.xlsx")
    first, second, _ = item_ids(reviewer, qid)
    assert _accept(reviewer, qid, first, answer="Yes", comment="AES-256 with keys in a KMS").status_code == 200
    assert _accept(reviewer, qid, second, answer="", comment="Hardware keys for every admin").status_code == 200
    exported = reviewer.get(f"/questionnaires/{qid}/export?format=original")
    ws = load_workbook(io.BytesIO(exported.data)).active
    assert ws["C1"].value == "Yes. AES-256 with keys in a KMS"
    assert ws["C2"].value == "Hardware keys for every admin"
    page = reviewer.get(f"/questionnaires/{qid}").get_data(as_text=True)
    assert "a comment is written into the answer cell after the answer" in page


def test_answer_and_comment_too_long_for_one_cell_together_are_refused_at_the_save(reviewer):
    """Without a comment column both go into the answer cell: 20,000 characters each were
    saved, and then every download of the questionnaire failed ("over Excel's 32,767-
    character cell limit") until the question was found and shortened."""
    qid = upload_id(reviewer, no_header_xlsx(), "noheader.xlsx")
    first, second, _ = item_ids(reviewer, qid)
    r = _accept(reviewer, qid, first, answer="a" * 20_000, comment="b" * 20_000)
    assert r.status_code == 400
    assert r.get_json()["error"] == (
        "this file has no comment cell for this question, so answer and comment go together into C1:"
        " 40,002 characters, over the 32,767 an Excel cell holds; shorten them"
    )
    assert _accept(reviewer, qid, second, answer="a" * 20_000, comment="b" * 12_765).status_code == 200
    exported = reviewer.get(f"/questionnaires/{qid}/export?format=original")
    assert exported.status_code == 200
    ws = load_workbook(io.BytesIO(exported.data)).active
    assert ws["C1"].value is None and len(ws["C2"].value) == 32_767


def test_an_accepted_comment_without_an_answer_shows_an_empty_answer_box(reviewer):
    # QA web pass 3: the box showed "None" (Jinja's text for a missing answer), and saving
    # the item again from the page (a typo fixed in the comment) wrote "None. Hardware keys..."
    qid = upload_id(reviewer, no_header_xlsx(), "noheader.xlsx")
    _first, second, _ = item_ids(reviewer, qid)
    assert _accept(reviewer, qid, second, answer="", comment="Hardware keys for every admin").status_code == 200
    page = reviewer.get(f"/questionnaires/{qid}").get_data(as_text=True)
    form = page.split(f'id="item-{second}"', 1)[1].split("</form>", 1)[0]
    shown = re.search(r'name="answer"[^>]*>([^<]*)</textarea>', form)
    assert shown and shown.group(1) == ""
    assert "None" not in form


def dropdown_only_xlsx() -> bytes:
    """An answer column with a Yes/No dropdown and no comment column."""
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = "Q"
    ws.append(["ID", "Question", "Answer"])
    for n, text in enumerate(NO_HEADER_QUESTIONS, 1):
        ws.append([f"Q-{n}", text, None])
    dv = DataValidation(type="list", formula1='"Yes,No"')
    ws.add_data_validation(dv)
    dv.add("C2:C4")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_dropdown_without_comment_column_says_the_comment_is_not_written(reviewer):
    qid = upload_id(reviewer, dropdown_only_xlsx(), "dropdown.xlsx")
    first = item_ids(reviewer, qid)[0]
    page = reviewer.get(f"/questionnaires/{qid}").get_data(as_text=True)
    assert "a comment is saved here but not written to the file" in page
    r = _accept(reviewer, qid, first, answer="Yes", comment="AES-256")
    assert r.status_code == 200 and r.get_json()["status"] == "accepted"
    ws = load_workbook(io.BytesIO(reviewer.get(f"/questionnaires/{qid}/export?format=original").data)).active
    assert ws["C2"].value == "Yes"


def test_a_question_whose_answer_cell_holds_a_formula_says_an_answer_is_not_written(reviewer):
    """The answer cell computed by a formula is never written: accepting "Yes" there wrote
    only the comment, and the page gave no sign that the answer went nowhere."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Q"
    ws.append(["ID", "Question", "Answer", "Comments", "Source"])
    ws.append(["Q-1", "Do you encrypt customer data at rest?", '=IF(E2="","",E2)', None, None])
    ws.append(["Q-2", "Is multi-factor authentication enforced for administrator accounts?", None, None, None])
    buf = io.BytesIO()
    wb.save(buf)
    qid = upload_id(reviewer, buf.getvalue(), "formula.xlsx")
    first, second = item_ids(reviewer, qid)
    page = reviewer.get(f"/questionnaires/{qid}").get_data(as_text=True)
    notes = re.findall(r'<p class="no-answer-cell warning">(.*?)</p>', page, re.S)
    assert notes == [
        "This file has no answer cell for this question (a formula fills it, or it has none): an answer is"
        " saved here but not written to the file; the comment is written to its comment cell."
    ]
    assert page.index(f'id="item-{first}"') < page.index("no-answer-cell") < page.index(f'id="item-{second}"')
    r = _accept(reviewer, qid, first, answer="Yes", comment="AES-256")
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(reviewer.get(f"/questionnaires/{qid}/export?format=original").data)).active
    assert (ws["C2"].value, ws["D2"].value) == ('=IF(E2="","",E2)', "AES-256")


def test_download_area_says_how_many_suggestions_are_not_accepted(reviewer):
    qid = upload_id(reviewer, questionnaire_xlsx(), "vendor.xlsx")
    page = reviewer.get(f"/questionnaires/{qid}").get_data(as_text=True)
    m = re.search(r"(\d+) suggestions? (?:are|is) not accepted yet \((\d+) confident match", page)
    assert m, "no notice next to Download"
    total, confident = int(m.group(1)), int(m.group(2))
    assert total >= confident >= 1
    assert "only accepted answers are written to the file" in page
    reviewer.post(f"/questionnaires/{qid}/accept", data={"min_tier": "high"})
    page = reviewer.get(f"/questionnaires/{qid}").get_data(as_text=True)
    assert "confident match" not in page


def test_an_upload_error_is_shown_once(reviewer):
    r = reviewer.post("/questionnaires/upload", **multipart(b"not a spreadsheet at all", "notes.xlsx"))
    assert r.status_code >= 400
    page = r.get_data(as_text=True)
    box = re.search(r'<p class="error-box" role="alert">(.*?)</p>', page, re.S)
    assert box, page
    assert page.count(box.group(1)) == 1
    # nor flashed for the next page
    assert box.group(1) not in reviewer.get("/questionnaires/").get_data(as_text=True)


def test_send_to_expert_on_the_page_needs_an_email_address(reviewer):
    qid = upload_id(reviewer, questionnaire_xlsx(), "vendor.xlsx")
    first = item_ids(reviewer, qid)[0]
    url = f"/questionnaires/{qid}/items/{first}"
    r = reviewer.post(
        url, json={"status": "assigned", "assignee": "not an email"}, headers={"Accept": "application/json"}
    )
    assert r.status_code == 400 and "email address" in r.get_json()["error"]
    r = reviewer.post(url, data={"status": "assigned", "assignee": "the network team"})
    assert r.status_code == 303
    assert "email address" in reviewer.get(r.headers["Location"]).get_data(as_text=True)
    ok = reviewer.post(url, json={"status": "assigned", "assignee": " Expert@Example.com "})
    assert ok.status_code == 200 and ok.get_json()["assignee"] == "expert@example.com"
