"""Upload-to-review-page for the HECVAT 4 blank against the demo bank (issue 5: < 5 s on 2 cores).

Times POST /questionnaires/upload (parse, store, match, save items) plus GET of the review
page, through Flask's test client with a signed-in sales user. The embedding model loads
once per process (answers.suggest.embedder()), so the first run is "cold" (model load and
bank vectors) and later runs are "warm".

    python bench/bench_upload_review.py [--runs 3] [FILE]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from answers.db import init_db  # noqa: E402
from answers.models import Role  # noqa: E402
from bench._app import HECVAT4_BLANK, bench_app  # noqa: E402
from tests.auth_helpers import make_user, signed_in  # noqa: E402
from tests.review_builders import multipart  # noqa: E402

DEFAULT = HECVAT4_BLANK
TARGET_S = 5.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not args.file.is_file():
        print(f"skipped: {args.file} not found", file=sys.stderr)
        return 2
    data = args.file.read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        app = bench_app(tmp)
        init_db(app, demo=True)
        client = signed_in(app, make_user(app, "bench@example.com", Role.sales))
        times = []
        for run in range(args.runs):
            start = time.perf_counter()
            r = client.post("/questionnaires/upload", **multipart(data, args.file.name))
            assert r.status_code == 303, (r.status_code, r.get_data(as_text=True)[:300])
            uploaded = time.perf_counter()
            page = client.get(r.headers["Location"])
            assert page.status_code == 200
            done = time.perf_counter()
            items = page.get_data(as_text=True).count('<article class="item')
            times.append(done - start)
            label = "cold" if run == 0 else "warm"
            print(
                f"run {run + 1} ({label}): upload {uploaded - start:.2f} s + review page {done - uploaded:.2f} s "
                f"= {done - start:.2f} s, {items} items on the first page, {len(page.data) / 1024:.0f} KiB"
            )
    from answers.suggest import embedder

    mode = "embeddings" if embedder() is not None else "lexical"
    warm = min(times[1:]) if len(times) > 1 else times[0]
    print(f"{args.file.name}: cold {times[0]:.2f} s, warm {warm:.2f} s ({mode}); target < {TARGET_S:.0f} s")
    return 0 if times[0] < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
