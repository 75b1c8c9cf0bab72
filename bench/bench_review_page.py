"""The review page of a large questionnaire: bytes, server time and SQL queries per GET.

Uploads the HECVAT 4.1.2 blank (331 questions) and a synthetic ~1,000-question workbook
(the HECVAT 4 questions three times over, on three sheets, with their dropdowns) against
the demo bank, then times GET of the review page through Flask's test client: the first
page, a later page, a filtered page (tier=review) and a deep link (?item=<id> of a
question near the end). Prints the median of ``--runs`` requests in ms, the page size and
the number of SQL statements the request ran.

    python bench/bench_review_page.py [--runs 5] [--copies 3] [--database-url URL] [FILE]

``--database-url`` points at an EMPTY database (tables and the demo bank are created there).
"""

from __future__ import annotations

import argparse
import io
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from openpyxl import Workbook  # noqa: E402
from openpyxl.worksheet.datavalidation import DataValidation  # noqa: E402
from sqlalchemy import event  # noqa: E402

import importers  # noqa: E402
from answers import responding  # noqa: E402
from answers.db import get_engine, init_db  # noqa: E402
from answers.models import Role  # noqa: E402
from bench._app import HECVAT4_BLANK, bench_app  # noqa: E402
from tests.auth_helpers import db, make_user, signed_in  # noqa: E402
from tests.review_builders import multipart  # noqa: E402

DEFAULT = HECVAT4_BLANK


def synthetic(source: bytes, name: str, copies: int) -> bytes:
    """The questions of ``source`` ``copies`` times, one sheet per copy: ids in A, question
    in B, answer in C (the question's dropdown when it has one), comment in D."""
    parsed = importers.load(source, name)
    wb = Workbook()
    wb.remove(wb.active)
    for copy in range(1, copies + 1):
        ws = wb.create_sheet(f"Part {copy}")
        ws.append(["ID", "Question", "Answer", "Comments"])
        lists: dict[tuple[str, ...], list[str]] = {}
        for n, q in enumerate(parsed.questions, start=2):
            ws.append([f"{q.id or 'Q'}-{copy}", q.text, None, None])
            if q.choices:
                lists.setdefault(tuple(q.choices), []).append(f"C{n}")
        for choices, cells in lists.items():
            dv = DataValidation(type="list", formula1='"' + ",".join(c.replace(",", " ") for c in choices) + '"')
            ws.add_data_validation(dv)
            for cell in cells:
                dv.add(cell)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


class QueryCounter:
    def __init__(self, engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._one)

    def _one(self, *_args) -> None:
        self.count += 1


def measure(client, counter: QueryCounter, path: str, runs: int) -> tuple[float, int, int, int]:
    """Median ms, bytes, SQL statements and items shown of GET ``path``."""
    times, size, queries, shown = [], 0, 0, 0
    for _ in range(runs):
        counter.count = 0
        start = time.perf_counter()
        r = client.get(path, follow_redirects=True)  # a deep link redirects to its page
        times.append((time.perf_counter() - start) * 1000)
        assert r.status_code == 200, (path, r.status_code)
        size, queries = len(r.data), counter.count
        shown = len(re.findall(rb'<article class="item', r.data))
    return statistics.median(times), size, queries, shown


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--copies", type=int, default=3)
    parser.add_argument("--database-url", default=None, help="an empty database (default: file SQLite)")
    args = parser.parse_args()
    if not args.file.is_file():
        print(f"skipped: {args.file} not found", file=sys.stderr)
        return 2
    source = args.file.read_bytes()
    files = [(args.file.name, source), ("synthetic.xlsx", synthetic(source, args.file.name, args.copies))]
    with tempfile.TemporaryDirectory() as tmp:
        app = bench_app(tmp, database_url=args.database_url)
        init_db(app, demo=True)
        counter = QueryCounter(get_engine(app))
        client = signed_in(app, make_user(app, "bench@example.com", Role.sales))
        for name, data in files:
            r = client.post("/questionnaires/upload", **multipart(data, name))
            assert r.status_code == 303, (r.status_code, r.get_data(as_text=True)[:300])
            qid = int(r.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
            with db(app) as s:
                ids = [i.id for i in responding.list_items(qid, session=s)]
            base = f"/questionnaires/{qid}"
            print(f"{name}: {len(ids)} questions")
            for label, path in (
                ("first page", base),
                ("page 3", f"{base}?page=3"),
                ("tier=review", f"{base}?tier=review"),
                ("deep link", f"{base}?item={ids[-5]}"),
                ("search", f"{base}?search=encrypt&status=pending"),
            ):
                ms, size, queries, shown = measure(client, counter, path, args.runs)
                print(f"  {label:<12} {ms:7.0f} ms  {size / 1024:7.0f} KiB  {queries:4d} SQL  {shown:5d} items shown")
    return 0


if __name__ == "__main__":
    sys.exit(main())
