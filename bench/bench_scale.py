"""Large questionnaires outside the review page: bytes, server time and SQL statements of
the other per-questionnaire requests at ~1,000 and ~5,000 questions.

Builds synthetic workbooks from the HECVAT 4.1.2 blank (331 questions, ``copies`` times
over: 3 -> 993, 15 -> 4,965, just under the importers' 5,000-question cap), uploads each
against the demo bank and times, through Flask's test client: the API item list (all, one
page, a filtered page), the API questionnaire, the questionnaire list page, the delete
page, the find-in-bank page, a JSON save from the review page, the exports (original and
report), then bulk accept and "Match again" (once each: they change the questionnaire).
Prints the median of ``--runs`` requests in ms, the response size and the SQL statements.

The upload and "Match again" lines also give the CPU time of the process (steadier than
the wall clock on a shared machine) and where the time went: parsing the file, matching
(``suggest_for``; of it, the model encoding questions: texts and seconds, run beside the
lexical work) and storing the items. Copies of one file repeat its questions, which are
matched once each; ``--distinct`` uploads the same copies with every question made
distinct ("For system N: ..."), as a questionnaire of that size asking new questions is:
there every question is encoded and ranked.

    python bench/bench_scale.py [--runs 3] [--copies 3,15] [--distinct] [--database-url URL] [FILE]

``--database-url`` points at an EMPTY database (tables and the demo bank are created there).
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from openpyxl import load_workbook  # noqa: E402

from answers import responding, suggest  # noqa: E402
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


class Phases:
    """Wall time spent in a few service functions during one request (wrapped in place)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.encoded = 0

    def wrap(self, owner: object, name: str, label: str) -> None:
        original = getattr(owner, name, None)
        if original is None:  # an older version of the code, without this step
            return

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - start

        setattr(owner, name, timed)

    def wrap_encoder(self) -> None:
        model = suggest.embedder()
        if model is None:
            return
        original = model.encode

        def encode(texts):
            self.encoded += len(texts)
            start = time.perf_counter()
            try:
                return original(texts)
            finally:
                self.seconds["encode"] = self.seconds.get("encode", 0.0) + time.perf_counter() - start

        model.encode = encode  # type: ignore[method-assign]

    def reset(self) -> None:
        self.seconds, self.encoded = {}, 0

    def line(self, cpu_s: float) -> str:
        parts = [f"CPU {cpu_s:.1f} s"]
        for label in ("parse", "match", "store"):
            if label in self.seconds:
                part = f"{label} {self.seconds[label]:.1f} s"
                if label == "match":
                    part += f" (encoding {self.encoded} texts: {self.seconds.get('encode', 0.0):.1f} s)"
                parts.append(part)
        return ", ".join(parts)


def distinct_copy(data: bytes) -> bytes:
    """``data`` (a ``synthetic`` workbook) with each question made distinct: "For system
    N: " before the question of sheet N."""
    wb = load_workbook(io.BytesIO(data))
    for n, ws in enumerate(wb.worksheets, start=1):
        for (cell,) in ws.iter_rows(min_row=2, min_col=2, max_col=2):
            if cell.value:
                cell.value = f"For system {n}: {cell.value}"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def timed_post(client, path: str, phases: Phases, **kwargs) -> tuple[float, float, object]:
    """(wall ms, CPU s, response) of one POST, ``phases`` reset before it."""
    phases.reset()
    cpu, start = time.process_time(), time.perf_counter()
    r = client.post(path, **kwargs)
    return (time.perf_counter() - start) * 1000, time.process_time() - cpu, r


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--copies", default="3,15", help="comma-separated copies of the file's questions")
    parser.add_argument("--database-url", default=None, help="an empty database (default: file SQLite)")
    parser.add_argument("--distinct", action="store_true", help="also upload the copies with distinct questions")
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
        phases = Phases()
        phases.wrap(responding, "load", "parse")
        phases.wrap(responding, "suggest_for", "match")
        phases.wrap(responding, "_insert_items", "store")
        phases.wrap_encoder()
        for copies in (int(c) for c in args.copies.split(",")):
            data = synthetic(source, args.file.name, copies)
            upload_ms, cpu_s, r = timed_post(
                client, "/questionnaires/upload", phases, **multipart(data, f"synthetic-{copies}.xlsx")
            )
            assert r.status_code == 303, (r.status_code, r.get_data(as_text=True)[:300])
            qid = int(r.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
            with db(app) as s:
                ids = [i.id for i in responding.list_items(qid, session=s)]
            print(f"{len(ids)} questions ({len(data) / 1024:.0f} KiB file, upload {upload_ms / 1000:.1f} s)")
            print(f"  upload: {phases.line(cpu_s)}")
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
                phases.reset()
                cpu = time.process_time()
                ms, size, queries = measure(getattr(client, method), path, kwargs, counter, runs)
                print(f"  {label:<24} {ms:7.0f} ms  {size / 1024:7.0f} KiB  {queries:5d} SQL")
                if label == "match again":
                    print(f"    {phases.line(time.process_time() - cpu)}")
            if args.distinct:
                data = distinct_copy(data)
                upload_ms, cpu_s, r = timed_post(
                    client, "/questionnaires/upload", phases, **multipart(data, f"distinct-{copies}.xlsx")
                )
                assert r.status_code == 303, (r.status_code, r.get_data(as_text=True)[:300])
                print(f"  distinct questions: upload {upload_ms / 1000:.1f} s: {phases.line(cpu_s)}")
                page = r.headers["Location"].rstrip("/")
                again_ms, cpu_s, r = timed_post(client, f"{page}/resuggest", phases)
                assert r.status_code in (200, 303), r.status_code
                print(f"  distinct questions: match again {again_ms / 1000:.1f} s: {phases.line(cpu_s)}")
                clear = getattr(suggest.embedder(), "cache_clear", None)
                if clear is not None:  # a restart empties the process's caches (question vectors, index)
                    clear()
                    suggest.invalidate()
                    again_ms, cpu_s, r = timed_post(client, f"{page}/resuggest", phases)
                    assert r.status_code in (200, 303), r.status_code
                    print(f"  distinct, after a restart: match again {again_ms / 1000:.1f} s: {phases.line(cpu_s)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
