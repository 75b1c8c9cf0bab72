"""Bulk accept on a 1,000-question questionnaire: with suggestions to accept, and again
with nothing left to accept (QA round 2: 2.9 s in the browser on PostgreSQL).

Uploads a synthetic workbook against the demo bank, then times ``responding.accept_all``
and the review page's bulk-accept POST (accept plus redirect, not the page it redirects
to). File SQLite by default; ``--database-url`` points at an EMPTY database (tables and
the demo bank are created there), e.g. a scratch PostgreSQL database.

    python bench/bench_bulk_accept.py [--questions 1000] [--runs 3] [--database-url URL]
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

from sqlmodel import update  # noqa: E402

from answers import responding  # noqa: E402
from answers.db import init_db  # noqa: E402
from answers.models import Item, ItemStatus, Role  # noqa: E402
from bench._app import bench_app  # noqa: E402
from bench.bench_accept import _questions  # noqa: E402
from tests.auth_helpers import db, make_user, signed_in  # noqa: E402
from tests.review_builders import multipart, questionnaire_xlsx  # noqa: E402


def _reset(app, qid: int) -> None:
    """Every item pending again, so the next run has the same work to do."""
    with db(app) as s:
        s.exec(  # type: ignore[call-overload]
            update(Item)
            .where(Item.questionnaire_id == qid)  # type: ignore[arg-type]
            .values(status=ItemStatus.pending, answer=None, comment=None, decided_by=None, decided_at=None)
        )
        s.commit()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", default=None, help="an empty database (default: file SQLite)")
    args = parser.parse_args()
    data = questionnaire_xlsx(_questions(args.questions))
    timings: dict[str, list[float]] = {"accept_all (accepts)": [], "accept_all (nothing left)": [], "page POST": []}
    accepted = 0
    with tempfile.TemporaryDirectory() as tmp:
        app = bench_app(tmp, database_url=args.database_url)
        init_db(app, demo=True)
        user = make_user(app, "bench-bulk@example.com", Role.sales)
        client = signed_in(app, user)
        r = client.post("/questionnaires/upload", **multipart(data, "big.xlsx"))
        assert r.status_code == 303, r.get_data(as_text=True)[:300]
        qid = int(r.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
        for _ in range(args.runs):
            _reset(app, qid)
            with db(app) as s:
                start = time.perf_counter()
                accepted = responding.accept_all(qid, session=s, actor=user.email, actor_id=user.id).accepted
                timings["accept_all (accepts)"].append(time.perf_counter() - start)
            with db(app) as s:
                start = time.perf_counter()
                assert responding.accept_all(qid, session=s, actor=user.email, actor_id=user.id).accepted == 0
                timings["accept_all (nothing left)"].append(time.perf_counter() - start)
            _reset(app, qid)
            start = time.perf_counter()
            r = client.post(f"/questionnaires/{qid}/accept", data={"min_tier": "high"})
            timings["page POST"].append(time.perf_counter() - start)
            assert r.status_code == 303
    print(f"{args.questions} questions, {accepted} accepted at tier high, {args.runs} runs")
    for label, times in timings.items():
        ms = [t * 1000 for t in times]
        print(f"{label}: median {statistics.median(ms):.0f} ms, worst {max(ms):.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
