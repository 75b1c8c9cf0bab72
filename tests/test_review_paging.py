"""The review page in pages: a 1,000-question file is not one 4 MB page. Each page holds
the right questions, the filters (and search) survive page links and saves, links to one
question land on its page, bad page numbers are clamped, the counts and bulk actions
cover the whole questionnaire, and the SQL a page runs does not grow with the file."""

from __future__ import annotations

import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from openpyxl import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import event

from answers import responding
from answers.db import get_engine
from answers.models import ItemStatus, Role
from tests.auth_helpers import db, make_user, signed_in
from tests.review_builders import QUESTIONS, load_bank, questionnaire_xlsx, upload_id
from web.questionnaires import REVIEW_PER_PAGE

SHEETS = ("Security", "Privacy")


def two_sheet_xlsx(per_sheet: int) -> bytes:
    """``per_sheet`` questions on each of two sheets (ids SEC-001.. and PRI-001..), the
    review builders' four questions in turn, numbered apart except the bank's own wording
    (so exact, review and none matches occur on every page), Yes/No dropdowns."""
    wb = Workbook()
    wb.remove(wb.active)
    for sheet in SHEETS:
        ws = wb.create_sheet(sheet)
        ws.append(["ID", "Question", "Answer", "Comments"])
        for n in range(per_sheet):
            text = QUESTIONS[n % len(QUESTIONS)][1]
            if n % len(QUESTIONS):
                text = f"{text[:-1]} (control {sheet} {n + 1})?"
            ws.append([f"{sheet[:3].upper()}-{n + 1:03d}", text, None, None])
        dv = DataValidation(type="list", formula1='"Yes,No"')
        ws.add_data_validation(dv)
        dv.add(f"C2:C{per_sheet + 1}")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.fixture
def big(app, reviewer):
    """A 130-question questionnaire (three pages) and its items in position order."""
    qid = upload_id(reviewer, two_sheet_xlsx(65), "big.xlsx")
    with db(app) as s:
        return qid, responding.list_items(qid, session=s)


def shown_ids(html: str) -> list[int]:
    return [int(m) for m in re.findall(r'<article class="item[^"]*" id="item-(\d+)"', html)]


def page_links(html: str) -> list[str]:
    nav = html.split('<nav class="pager"', 1)[1].split("</nav>", 1)[0]
    return [href.replace("&amp;", "&") for href in re.findall(r'href="([^"]+)"', nav)]


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def get(client, url: str) -> str:
    r = client.get(url)
    assert r.status_code == 200, (url, r.status_code)
    return r.get_data(as_text=True)


def test_pages_hold_every_question_once_in_file_order(reviewer, big):
    qid, items = big
    assert len(items) == 130 and REVIEW_PER_PAGE == 50
    pages = [shown_ids(get(reviewer, f"/questionnaires/{qid}?page={n}")) for n in (1, 2, 3)]
    assert [len(p) for p in pages] == [50, 50, 30]
    assert [i for p in pages for i in p] == [i.id for i in items]
    assert shown_ids(get(reviewer, f"/questionnaires/{qid}")) == pages[0]
    html = get(reviewer, f"/questionnaires/{qid}?page=2")
    assert "51–100 of 130 shown" in html
    assert 'aria-label="Page 2" aria-current="page"' in html
    assert 'rel="prev"' in html and 'rel="next"' in html


def test_counts_and_notices_cover_the_whole_questionnaire_on_every_page(app, reviewer, big):
    qid, items = big
    with db(app) as s:
        p = responding.progress(responding.list_items(qid, session=s))
    # more than one page's worth (needs_review sits near the review threshold: not relied on)
    assert p.total == 130 and p.empty > 50 and p.needs_review > 0
    for n in (1, 3):
        html = get(reviewer, f"/questionnaires/{qid}?page={n}&sheet=Privacy")
        assert f"<strong>{p.needs_review}</strong><span>to decide</span>" in html
        assert f"<strong>{p.empty}</strong><span>no match</span>" in html
        pending = sum(1 for i in items if i.tier != "none" and (i.suggested_answer or i.suggested_comment))
        assert f"{pending} suggestions are not accepted yet" in html


def test_filters_survive_page_links_and_narrow_every_page(reviewer, big):
    qid, items = big
    privacy = [i.id for i in items if i.sheet == "Privacy"]
    html = get(reviewer, f"/questionnaires/{qid}?sheet=Privacy")
    assert shown_ids(html) == privacy[:50]
    assert "1–50 of 65 matching (130 questions in all)" in html
    links = page_links(html)
    assert links and all(query(link)["sheet"] == ["Privacy"] for link in links)
    following = next(link for link in links if query(link).get("page") == ["2"])
    assert shown_ids(get(reviewer, following)) == privacy[50:]

    tier = items[0].tier
    both = [i.id for i in items if i.sheet == "Privacy" and i.tier == tier]
    html = get(reviewer, f"/questionnaires/{qid}?sheet=Privacy&tier={tier}")
    assert shown_ids(html) == both[:50]
    assert "selected>Privacy</option>" in html and f"selected>{tier}</option>" in html


def test_search_finds_words_and_question_ids_across_pages(reviewer, big):
    qid, items = big
    html = get(reviewer, f"/questionnaires/{qid}?search=pri-06")  # case-insensitive, ids too
    assert shown_ids(html) == [i.id for i in items if (i.question_id or "").startswith("PRI-06")]
    assert 'value="pri-06"' in html
    html = get(reviewer, f"/questionnaires/{qid}?search=PARKING+spaces")
    wanted = [i.id for i in items if "parking spaces" in i.text.lower()]
    assert len(wanted) > 0 and shown_ids(html) == wanted
    html = get(reviewer, f"/questionnaires/{qid}?search=CONTROL&page=2")  # two pages of matches
    wanted = [i.id for i in items if "control" in i.text.lower()]
    assert 50 < len(wanted) <= 100 and shown_ids(html) == wanted[50:]
    assert all(query(link)["search"] == ["CONTROL"] for link in page_links(html))
    html = get(reviewer, f"/questionnaires/{qid}?search=100%25")  # "%" is a character, not a wildcard
    assert shown_ids(html) == [] and "No question matches these filters." in html


@pytest.mark.parametrize(
    ("page", "expected"),
    [("abc", 1), ("0", 1), ("-2", 1), ("2.5", 1), ("", 1), ("3", 3), ("4", 3), ("99999999999999999999999", 3)],
)
def test_a_bad_or_out_of_range_page_is_clamped(reviewer, big, page, expected):
    qid, items = big
    html = get(reviewer, f"/questionnaires/{qid}?page={page}")
    first = (expected - 1) * REVIEW_PER_PAGE
    assert shown_ids(html) == [i.id for i in items[first : first + REVIEW_PER_PAGE]]


def test_a_filter_matching_nothing_says_so(reviewer, big):
    qid, _items = big
    html = get(reviewer, f"/questionnaires/{qid}?sheet=Nowhere&page=7")
    assert shown_ids(html) == [] and "No question matches these filters." in html
    assert "0 of 130 shown" in html and 'class="pager"' not in html


def test_a_link_to_one_question_lands_on_its_page(reviewer, big):
    qid, items = big
    target = items[120]  # page 3
    r = reviewer.get(f"/questionnaires/{qid}?item={target.id}")
    assert r.status_code == 302
    assert r.headers["Location"].endswith(f"/questionnaires/{qid}?page=3#item-{target.id}")
    assert target.id in shown_ids(get(reviewer, r.headers["Location"]))
    # under filters that show it: their page of it, filters kept
    privacy = [i for i in items if i.sheet == "Privacy"]
    r = reviewer.get(f"/questionnaires/{qid}?sheet=Privacy&item={privacy[55].id}")
    assert query(r.headers["Location"]) == {"sheet": ["Privacy"], "page": ["2"]}
    # filters that hide it give way: the question asked for is shown
    r = reviewer.get(f"/questionnaires/{qid}?sheet=Security&item={privacy[0].id}")
    assert r.headers["Location"].endswith(f"/questionnaires/{qid}?page=2#item-{privacy[0].id}")


def test_the_question_after_a_pages_last_one_survives_decisions_taken_out_of_the_filter(app, reviewer, big):
    """The page's script goes ``?after=<last id>`` past a page's last question (j, or a on
    the last one): with a "pending" filter, the 50 questions accepted on page 1 had left
    it, and "page 2" was the third fifty, skipping fifty questions without a word."""
    qid, items = big
    page_one = items[:REVIEW_PER_PAGE]
    with db(app) as s:
        for item in page_one:
            responding.decide(item.id, responding.Decision(answer="Yes", status="accepted"), session=s, actor="t")
    following = items[REVIEW_PER_PAGE]
    r = reviewer.get(f"/questionnaires/{qid}?status=pending&after={page_one[-1].id}")
    assert r.status_code == 302
    assert r.headers["Location"].endswith(f"/questionnaires/{qid}?status=pending#item-{following.id}")
    assert shown_ids(get(reviewer, r.headers["Location"]))[0] == following.id
    # unfiltered: the next page, at its first question
    r = reviewer.get(f"/questionnaires/{qid}?after={page_one[-1].id}")
    assert r.headers["Location"].endswith(f"/questionnaires/{qid}?page=2#item-{following.id}")
    # nothing after it under the filters: their last page
    r = reviewer.get(f"/questionnaires/{qid}?sheet=Security&after={items[-1].id}")
    assert query(r.headers["Location"]) == {"sheet": ["Security"], "page": ["2"]}
    assert reviewer.get(f"/questionnaires/{qid}?after=999999").status_code == 404
    r = reviewer.get(f"/questionnaires/{qid}?after=abc")
    assert r.status_code == 400 and "after must be the number" in r.get_data(as_text=True)


def test_the_question_before_a_pages_first_one_is_the_previous_pages_last(app, reviewer, big):
    """k past a page's first question went to the top of the previous page, 49 questions
    above the one before it; ``?before=<first id>`` opens the question just above."""
    qid, items = big
    first_of_two = items[REVIEW_PER_PAGE]
    r = reviewer.get(f"/questionnaires/{qid}?before={first_of_two.id}")
    assert r.status_code == 302
    assert r.headers["Location"].endswith(f"/questionnaires/{qid}#item-{items[REVIEW_PER_PAGE - 1].id}")
    # under a filter: the last question it shows above, on its page
    with db(app) as s:
        responding.decide(
            items[REVIEW_PER_PAGE - 1].id, responding.Decision(answer="Yes", status="accepted"), session=s, actor="t"
        )
    r = reviewer.get(f"/questionnaires/{qid}?status=pending&before={first_of_two.id}")
    assert r.headers["Location"].endswith(f"/questionnaires/{qid}?status=pending#item-{items[REVIEW_PER_PAGE - 2].id}")
    # nothing before it: the first page
    r = reviewer.get(f"/questionnaires/{qid}?before={items[0].id}")
    assert r.headers["Location"].endswith(f"/questionnaires/{qid}")
    r = reviewer.get(f"/questionnaires/{qid}?before=x1")
    assert r.status_code == 400 and "before must be the number" in r.get_data(as_text=True)


def test_a_link_to_a_question_of_no_or_another_questionnaire_is_refused(reviewer, big):
    qid, items = big
    other = upload_id(reviewer, two_sheet_xlsx(2), "big.xlsx")
    assert reviewer.get(f"/questionnaires/{other}?item={items[0].id}").status_code == 404
    assert reviewer.get(f"/questionnaires/{qid}?item=999999").status_code == 404
    for bad in ("abc", "-1", "1e3", "9" * 40):
        r = reviewer.get(f"/questionnaires/{qid}?item={bad}")
        assert r.status_code in (400, 404), bad
    r = reviewer.get(f"/questionnaires/{qid}?item=abc")
    assert r.status_code == 400 and "item must be the number" in r.get_data(as_text=True)


def _form_view(html: str, item_id: int) -> str:
    form = html.split(f'id="item-{item_id}"', 1)[1].split("</form>", 1)[0]
    return re.search(r'name="view" value="([^"]*)"', form).group(1).replace("&amp;", "&")


def test_a_save_without_javascript_returns_to_the_same_page_filters_and_question(reviewer, big):
    qid, items = big
    privacy = [i for i in items if i.sheet == "Privacy"]
    item = privacy[60]  # page 2 of the Privacy sheet
    html = get(reviewer, f"/questionnaires/{qid}?sheet=Privacy&page=2")
    view = _form_view(html, item.id)
    assert parse_qs(view) == {"sheet": ["Privacy"], "page": ["2"]}
    r = reviewer.post(
        f"/questionnaires/{qid}/items/{item.id}",
        data={"status": "needs_review", "lock_version": str(item.lock_version), "answer": "No", "view": view},
    )
    assert r.status_code == 303
    assert query(r.headers["Location"]) == {"sheet": ["Privacy"], "page": ["2"]}
    assert r.headers["Location"].endswith(f"#item-{item.id}")


def test_a_save_that_leaves_the_filter_goes_on_to_the_next_question_it_shows(app, reviewer, big):
    qid, items = big
    pending = [i for i in items if i.status == ItemStatus.pending]
    item, after = pending[70], pending[71]
    html = get(reviewer, f"/questionnaires/{qid}?status=pending&page=2")
    r = reviewer.post(
        f"/questionnaires/{qid}/items/{item.id}",
        data={"status": "accepted", "lock_version": "1", "answer": "Yes", "view": _form_view(html, item.id)},
    )
    assert r.status_code == 303
    assert query(r.headers["Location"]) == {"status": ["pending"], "page": ["2"]}
    assert r.headers["Location"].endswith(f"#item-{after.id}")
    with db(app) as s:
        assert responding.get_item(item.id, session=s).status == ItemStatus.accepted


def test_a_save_with_a_forged_view_only_keeps_known_filters(reviewer, big):
    qid, items = big
    item = items[3]
    r = reviewer.post(
        f"/questionnaires/{qid}/items/{item.id}",
        data={"status": "needs_review", "lock_version": "1", "view": "next=https://evil.test/&page=zz&tier=none"},
    )
    location = r.headers["Location"]
    assert r.status_code == 303 and location.startswith(f"/questionnaires/{qid}")
    assert "evil" not in location


def test_bulk_accept_from_a_filtered_later_page_accepts_on_every_page(app, reviewer, big):
    qid, items = big
    confident = [
        i.id
        for i in items
        if i.tier in ("exact", "high") and (i.suggested_answer is not None or i.suggested_comment is not None)
    ]
    positions = {i.id: n for n, i in enumerate(items)}
    assert any(positions[i] < 50 for i in confident) and any(positions[i] >= 100 for i in confident)
    html = get(reviewer, f"/questionnaires/{qid}?sheet=Security&page=2")
    assert "All 130 questions, on every page, whatever the filters show." in html
    toolbar = html.split('/accept"', 1)[1].split("</form>", 1)[0]
    view = re.search(r'name="view" value="([^"]*)"', toolbar).group(1).replace("&amp;", "&")
    r = reviewer.post(f"/questionnaires/{qid}/accept", data={"min_tier": "high", "view": view})
    assert r.status_code == 303 and query(r.headers["Location"]) == {"sheet": ["Security"], "page": ["2"]}
    with db(app) as s:
        accepted = [i.id for i in responding.list_items(qid, session=s) if i.status == ItemStatus.accepted]
    assert accepted == confident  # Privacy as well as Security, page 1 as well as page 3
    assert f"Accepted {len(confident)} suggestion(s)." in get(reviewer, r.headers["Location"])


def test_the_sql_a_page_runs_does_not_grow_with_the_questionnaire(app, reviewer):
    small = upload_id(reviewer, two_sheet_xlsx(30), "big.xlsx")
    large = upload_id(reviewer, two_sheet_xlsx(200), "big.xlsx")
    counted: list[str] = []

    def one(_conn, _cursor, statement, *_args):
        counted.append(statement)

    engine = get_engine(app)
    event.listen(engine, "before_cursor_execute", one)
    try:
        runs = {}
        for qid in (small, large):
            for label, args in (("first", ""), ("filtered", "?page=2&tier=none")):
                counted.clear()
                get(reviewer, f"/questionnaires/{qid}{args}")
                runs[qid, label] = len(counted)
    finally:
        event.remove(engine, "before_cursor_execute", one)
    assert runs[small, "first"] == runs[large, "first"], runs
    assert runs[small, "filtered"] == runs[large, "filtered"], runs
    assert max(runs.values()) <= 15, runs
    whole_rows = [sql for sql in counted if "item.alternatives" in sql and "LIMIT" not in sql.upper()]
    assert not whole_rows, "the page reads one page of items, never all of them"


def test_paged_forms_work_with_csrf_on(csrf_app):
    load_bank(csrf_app)
    client = signed_in(csrf_app, make_user(csrf_app, "csrf@example.com", Role.sales))
    upload_page = client.get("/questionnaires/upload").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', upload_page).group(1)
    qid = upload_id(client, two_sheet_xlsx(40), "big.xlsx", csrf_token=token)
    html = get(client, f"/questionnaires/{qid}?page=2")
    item_id = shown_ids(html)[0]
    form = html.split(f'id="item-{item_id}"', 1)[1].split("</form>", 1)[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    data = {"status": "needs_review", "lock_version": "1", "view": _form_view(html, item_id)}
    assert client.post(f"/questionnaires/{qid}/items/{item_id}", data=data).status_code == 400  # no token
    r = client.post(f"/questionnaires/{qid}/items/{item_id}", data={**data, "csrf_token": token})
    assert r.status_code == 303 and query(r.headers["Location"]) == {"page": ["2"]}


def test_an_unknown_filter_value_matches_nothing(reviewer, big):
    qid, _items = big
    for args in ("status=bogus", "tier=bogus", "assignee=nobody@example.com"):
        html = get(reviewer, f"/questionnaires/{qid}?{args}")
        assert shown_ids(html) == [] and "No question matches these filters." in html, args


@pytest.mark.postgres
def test_filters_search_and_links_on_postgres(postgres_url, tmp_path):
    """PostgreSQL refuses a status its enum lacks (a 500 before the filter checked it), and
    runs the sheet order, search and page arithmetic in its own SQL."""
    import uuid

    from sqlalchemy import create_engine, text

    from app import create_app

    name = f"answerbank_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "DATABASE_URL": postgres_url.rsplit("/", 1)[0] + "/" + name,
            "UPLOAD_FOLDER": str(tmp_path),
            "WTF_CSRF_ENABLED": False,
        }
    )
    try:
        load_bank(app)
        client = signed_in(app, make_user(app, "pg@example.com", Role.sales))
        qid = upload_id(client, two_sheet_xlsx(65), "big.xlsx")
        with db(app) as s:
            items = responding.list_items(qid, session=s)
        html = get(client, f"/questionnaires/{qid}?status=bogus")
        assert shown_ids(html) == [] and "No question matches these filters." in html
        html = get(client, f"/questionnaires/{qid}?search=control&page=2")
        assert shown_ids(html) == [i.id for i in items if "control" in i.text.lower()][50:]
        assert html.index(">Security</option>") < html.index(">Privacy</option>")  # the file's sheet order
        r = client.get(f"/questionnaires/{qid}?sheet=Privacy&item={items[-1].id}")
        assert query(r.headers["Location"]) == {"sheet": ["Privacy"], "page": ["2"]}
        _check_accented_search(app, client)  # through lower(), as before
    finally:
        get_engine(app).dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_search_ignores_the_case_of_accented_letters(app, reviewer):
    """SQLite's lower() folds A-Z only: "ÉVALUATION" did not find "évaluation"."""
    _check_accented_search(app, reviewer)


def _check_accented_search(app, reviewer) -> None:
    rows = [
        ("SÉC-01", "Faites-vous une évaluation annuelle des risques ?"),
        ("SÉC-02", "ÜBERPRÜFUNG der Zugriffsrechte: wie oft?"),
        ("SEC-03", "Do you encrypt customer data at rest?"),
    ]
    qid = upload_id(reviewer, questionnaire_xlsx(rows), "fr.xlsx")
    with db(app) as s:
        items = {i.question_id: i.id for i in responding.list_items(qid, session=s)}
    for search, wanted in (
        ("ÉVALUATION", ["SÉC-01"]),
        ("Évaluation annuelle", ["SÉC-01"]),
        ("überprüfung", ["SÉC-02"]),
        ("sÉc-0", ["SÉC-01", "SÉC-02"]),  # question ids too
        ("evaluation", []),  # an accent is not case
    ):
        html = get(reviewer, f"/questionnaires/{qid}?search={search}")
        assert shown_ids(html) == [items[w] for w in wanted], search
    with db(app) as s:
        found = responding.list_items(qid, session=s, filters=responding.ItemFilters(search="ÜBERPRÜFUNG"))
        assert [i.question_id for i in found] == ["SÉC-02"]
