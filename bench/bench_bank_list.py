"""Bank list page speed: `python bench/bench_bank_list.py [N_ENTRIES]`.

Fills a temporary SQLite database with N entries (default 10,000; tags, owners, a few
stale, conflicted and used ones), then times GET /bank/ through the test client as a
signed-in user: a plain list, a search, a search plus filters and a sort, and the list
sorted by question (A-Z, case folded) alone and with a search. Prints the
median of 7 runs per request; the target is < 300 ms for each. Also times the hygiene
report (duplicate and conflict search over the whole bank) once.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlmodel import Session

from answers import curation
from answers.db import get_engine
from answers.models import Entry, EntryStatus, Role
from bench._app import bench_app
from tests.auth_helpers import make_user, signed_in

WORDS = (
    "encrypt data rest transit backup access control mfa vpn logging monitoring incident response vendor risk "
    "policy audit retention deletion privacy key rotation password sso patch vulnerability scan penetration test"
).split()
TARGET_MS = 300.0


def fill(app, n: int) -> None:
    rng = random.Random(7)
    today = dt.date.today()
    with Session(get_engine(app)) as session:
        rows = []
        for i in range(n):
            words = rng.sample(WORDS, 8)
            rows.append(
                Entry(
                    question=f"Do you {' '.join(words)} ({i})?",
                    answer=rng.choice(["Yes", "No", "N/A"]),
                    comment=" ".join(rng.sample(WORDS, 12)),
                    alternates=[f"Is {' '.join(rng.sample(WORDS, 5))} in place?"],
                    tags=rng.sample(["crypto", "iam", "ops", "privacy", "legal"], 2),
                    owner=rng.choice(["sec@example.com", "ops@example.com", "legal@example.com", ""]),
                    status=rng.choice([EntryStatus.approved] * 8 + [EntryStatus.draft, EntryStatus.retired]),
                    review_by=today + dt.timedelta(days=rng.randint(-60, 400)),
                    conflict=rng.random() < 0.02,
                    usage_count=rng.choice([0, 0, 1, 3, 12]),
                )
            )
        session.add_all(rows)
        session.commit()


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        app = bench_app(tmp, max_upload_mb=5)
        start = time.perf_counter()
        fill(app, n)
        print(f"{n:,} entries written in {time.perf_counter() - start:.1f} s")
        client = signed_in(app, make_user(app, "sales@example.com", Role.sales))
        worst = 0.0
        for label, url in (
            ("list", "/bank/"),
            ("search", "/bank/?q=encrypt+backup"),
            ("search+filters", "/bank/?q=encrypt&tag=crypto&owner=sec%40example.com&stale=1&sort=usage"),
            ("conflicted, page 2", "/bank/?conflicted=1&page=2&sort=last_reviewed"),
            ("A-Z by question", "/bank/?sort=question"),
            ("A-Z, page 20", "/bank/?sort=question&page=20"),
            ("search, A-Z", "/bank/?q=encrypt&sort=question"),
        ):
            times = []
            for _ in range(7):
                t0 = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200, (url, response.status_code)
            median = statistics.median(times)
            worst = max(worst, median)
            print(f"{median:7.1f} ms  {label:20} {url}")
        with Session(get_engine(app)) as session:
            t0 = time.perf_counter()
            report = curation.hygiene(session=session)
            print(
                f"hygiene report: {time.perf_counter() - t0:.2f} s "
                f"({len(report.duplicates)} duplicate pairs, {len(report.conflicts)} conflicts)"
            )
        print(f"worst median {worst:.1f} ms (target < {TARGET_MS:.0f} ms): {'OK' if worst < TARGET_MS else 'TOO SLOW'}")


if __name__ == "__main__":
    main()
