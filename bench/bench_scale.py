"""Large questionnaires outside the review page: bytes, server time and SQL statements of
the other per-questionnaire requests at ~1,000 and ~5,000 questions.

Builds synthetic workbooks from the HECVAT 4.1.2 blank (331 questions, ``copies`` times
over: 3 -> 993, 15 -> 4,965, just under the importers' 5,000-question cap), uploads each
against the demo bank and times, through Flask's test client: the API item list (all, one
page, a filtered page), the API questionnaire, the questionnaire list page, the delete
page, the find-in-bank page, a JSON save from the review page, the exports (original and
report), then bulk accept and "Match again" (once each: they change the questionnaire).
Prints the median of ``--runs`` requests in ms, the response size and the SQL statements.

    python bench/bench_scale.py [--runs 3] [--copies 3,15] [--database-url URL] [FILE]

``--database-url`` points at an EMPTY database (tables and the demo bank are created there).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from answers import responding  # noqa: E402
from answers.db import get_engine, init_db  # noqa: E402
from answers.models import Role  # noqa: E402
from bench._app import bench_app  # noqa: E402
from bench.bench_review_page import DEFAULT, QueryCounter, synthetic  # noqa: E402
from tests.auth_helpers import bearer, db, make_user, signed_in, token_for  # noqa: E402
from tests.review_builders import multipart  # noqa: E402


def measure(call, path: str, kwargs: dict, counter: QueryCounter, runs: int) -> tuple[float, int, int]:
    """Median ms, bytes and SQL statements of ``call(path, **kwargs)`` (a test-client request)."""
    times, size, queries = [], 0, 0
    for _ in range(runs):
        counter.count = 0
        start = time.perf_counter()
        r = call(path, **kwargs)
        times.append((time.perf_counter() - start) * 1000)
        assert r.status_code in (200, 303), (r.status_code, r.get_data(as_text=True)[:300])
        size, queries = len(r.data), counter.count
    return statistics.median(times), size, queries


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--copies", default="3,15", help="comma-separated copies of the file's questions")
    parser.add_argument("--database-url", default=None, help="an empty database (default: file SQLite)")
    args = parser.parse_args()
    if not args.file.is_file():
        print(f"skipped: {args.file} not found", file=sys.stderr)
        return 2
    source = args.file.read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        app = bench_app(tmp, database_url=args.database_url)
        init_db(app, demo=True)
        counter = QueryCounter(get_engine(app))
        user = make_user(app, "bench@example.com", Role.curator)
        client = signed_in(app, user)
        auth = bearer(token_for(app, user))
        for copies in (int(c) for c in args.copies.split(",")):
            data = synthetic(source, args.file.name, copies)
            start = time.perf_counter()
            r = client.post("/questionnaires/upload", **multipart(data, f"synthetic-{copies}.xlsx"))
            upload_ms = (time.perf_counter() - start) * 1000
            assert r.status_code == 303, (r.status_code, r.get_data(as_text=True)[:300])
            qid = int(r.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
            with db(app) as s:
                ids = [i.id for i in responding.list_items(qid, session=s)]
            print(f"{len(ids)} questions ({len(data) / 1024:.0f} KiB file, upload {upload_ms / 1000:.1f} s)")
            api = f"/api/v1/questionnaires/{qid}"
            page = f"/questionnaires/{qid}"
            item = ids[len(ids) // 2]
            json_save = {"json": {"status": "needs_review"}, "headers": {"Accept": "application/json"}}
            reads = [
                ("API items (all)", "get", f"{api}/items", {"headers": auth}),
                ("API items page", "get", f"{api}/items?page=10&per_page=50", {"headers": auth}),
                ("API items filtered", "get", f"{api}/items?tier=review&per_page=50", {"headers": auth}),
                ("API questionnaire", "get", api, {"headers": auth}),
                ("list page", "get", "/questionnaires/", {}),
                ("delete page", "get", f"{page}/delete", {}),
                ("find page", "get", f"{page}/items/{item}/find?q=encryption", {}),
                ("JSON save", "post", f"{page}/items/{item}", json_save),
                ("export original", "get", f"{page}/export", {}),
                ("export report", "get", f"{page}/export?format=report", {}),
            ]
            once = [  # these change the questionnaire: one run each
                ("bulk accept", "post", f"{page}/accept", {"data": {"min_tier": "high"}}),
                ("match again", "post", f"{page}/resuggest", {}),
                ("API accept (none left)", "post", f"{api}/accept", {"headers": auth, "json": {}}),
                ("export original (acc.)", "get", f"{page}/export", {}),
            ]
            for label, method, path, kwargs in reads + once:
                runs = args.runs if (label, method, path, kwargs) in reads else 1
                ms, size, queries = measure(getattr(client, method), path, kwargs, counter, runs)
                print(f"  {label:<24} {ms:7.0f} ms  {size / 1024:7.0f} KiB  {queries:5d} SQL")
    return 0


if __name__ == "__main__":
    sys.exit(main())
