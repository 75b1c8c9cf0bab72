"""Accepting one answer on a 1,000-question questionnaire (the review page's "Accept").

Times ``responding.decide`` (accept) alone and the review page's JSON save (decide plus
the answered count the page shows), each over ``--accepts`` items of a synthetic
1,000-question workbook in a file SQLite database. Prints the median and worst in ms.

    python bench/bench_accept.py [--questions 1000] [--accepts 40]
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
from answers.db import init_db  # noqa: E402
from answers.models import Role  # noqa: E402
from bench._app import bench_app  # noqa: E402
from tests.auth_helpers import db, make_user, signed_in  # noqa: E402
from tests.review_builders import QUESTIONS, multipart, questionnaire_xlsx  # noqa: E402


def _questions(n: int) -> list[tuple[str, str]]:
    return [(f"Q-{i:04d}", f"{QUESTIONS[i % len(QUESTIONS)][1]} (control {i})") for i in range(n)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=1000)
    parser.add_argument("--accepts", type=int, default=40)
    args = parser.parse_args()
    data = questionnaire_xlsx(_questions(args.questions))
    with tempfile.TemporaryDirectory() as tmp:
        app = bench_app(tmp)
        init_db(app, demo=True)
        user = make_user(app, "bench@example.com", Role.sales)
        client = signed_in(app, user)
        r = client.post("/questionnaires/upload", **multipart(data, "big.xlsx"))
        assert r.status_code == 303, r.get_data(as_text=True)[:300]
        qid = int(r.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
        with db(app) as s:
            ids = [i.id for i in responding.list_items(qid, session=s)]
        service, page = [], []
        for item_id in ids[: args.accepts]:
            with db(app) as s:
                start = time.perf_counter()
                responding.decide(
                    item_id, responding.Decision(answer="Yes", status="accepted"), session=s, actor=user.email
                )
                service.append(time.perf_counter() - start)
        for item_id in ids[args.accepts : 2 * args.accepts]:
            start = time.perf_counter()
            r = client.post(
                f"/questionnaires/{qid}/items/{item_id}",
                json={"answer": "No", "status": "accepted"},
                headers={"Accept": "application/json"},
            )
            page.append(time.perf_counter() - start)
            assert r.status_code == 200, r.json
    for label, times in (("responding.decide (accept)", service), ("page save (JSON POST)", page)):
        ms = [t * 1000 for t in times]
        print(f"{label}: median {statistics.median(ms):.1f} ms, worst {max(ms):.1f} ms over {len(ms)} accepts")
    print(f"{args.questions} questions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
