"""The questionnaire list with a year of uploads (QA round 2: 305 questionnaires, 79k items:
/questionnaires/ 10.3 s, GET /api/v1/questionnaires 8.8 s, /bank/coverage 3.9 s).

Uploads one synthetic questionnaire against the demo bank, copies it in SQL to ``--count``
questionnaires (each its own stored name, as real uploads have), then times the list page
(first page: cold, i.e. the first request after a restart, and warm), the API list (all,
and ``limit=50``) and the coverage page. File SQLite by default; ``--database-url`` points
at an EMPTY database (tables and the demo bank are created there).

    python bench/bench_questionnaire_list.py [--count 305] [--questions 255] [--database-url URL]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, literal, text  # noqa: E402
from sqlmodel import select  # noqa: E402

from answers import responding  # noqa: E402
from answers.db import init_db  # noqa: E402
from answers.models import Item, Questionnaire, Role  # noqa: E402
from bench._app import bench_app  # noqa: E402
from bench.bench_accept import _questions  # noqa: E402
from tests.auth_helpers import bearer, db, make_user, signed_in, token_for  # noqa: E402
from tests.review_builders import multipart, questionnaire_xlsx  # noqa: E402

ITEM_COLUMNS = [c.name for c in Item.__table__.columns if c.name not in ("id", "questionnaire_id")]  # type: ignore[attr-defined]


def _copies(app, template_id: int, count: int) -> None:
    """``count`` copies of questionnaire ``template_id`` and its items, one INSERT ... SELECT each."""
    with db(app) as s:
        template = s.get(Questionnaire, template_id)
        assert template is not None
        table = Item.__table__  # type: ignore[attr-defined]
        for _ in range(count):
            fields = template.model_dump(exclude={"id"})
            q = Questionnaire(**{**fields, "stored_name": uuid.uuid4().hex})
            s.add(q)
            s.flush()
            source = select(literal(q.id), *[table.c[name] for name in ITEM_COLUMNS]).where(
                table.c.questionnaire_id == template_id
            )
            s.execute(insert(table).from_select(["questionnaire_id", *ITEM_COLUMNS], source))
        s.commit()
        if s.get_bind().dialect.name == "postgresql":
            # the statistics autovacuum would have by now: without them the planner takes
            # a table of 78k fresh rows for empty (a nested loop, seconds on coverage)
            s.execute(text("ANALYZE"))
            s.commit()


def _timed(client, path: str, **kwargs) -> float:
    start = time.perf_counter()
    r = client.get(path, **kwargs)
    took = time.perf_counter() - start
    assert r.status_code == 200, (path, r.status_code)
    return took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=305)
    parser.add_argument("--questions", type=int, default=255)
    parser.add_argument("--database-url", default=None, help="an empty database (default: file SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = bench_app(tmp, database_url=args.database_url)
        init_db(app, demo=True)
        user = make_user(app, "bench-list@example.com", Role.curator)
        client = signed_in(app, user)
        r = client.post("/questionnaires/upload", **multipart(questionnaire_xlsx(_questions(args.questions)), "q.xlsx"))
        assert r.status_code == 303, r.get_data(as_text=True)[:300]
        _copies(app, int(r.headers["Location"].rstrip("/").rsplit("/", 1)[-1]), args.count - 1)
        headers = bearer(token_for(app, user))
        responding._UNWRITABLE.clear()  # as after a restart
        figures = {
            "/questionnaires/ (cold)": _timed(client, "/questionnaires/"),
            "/questionnaires/ (warm)": _timed(client, "/questionnaires/"),
            "GET /api/v1/questionnaires (all)": _timed(client, "/api/v1/questionnaires", headers=headers),
            "GET /api/v1/questionnaires?limit=50": _timed(client, "/api/v1/questionnaires?limit=50", headers=headers),
            "/bank/coverage": _timed(client, "/bank/coverage"),
        }
    print(f"{args.count} questionnaires x {args.questions} questions")
    for label, took in figures.items():
        print(f"{label}: {took * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
