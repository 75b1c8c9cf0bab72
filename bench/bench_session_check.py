"""Cost of the login-session check per browser request: `python bench/bench_session_check.py [N]`.

Times N (default 400) GET / requests (two counts and a small template) through the test
client as a signed-in user on a file SQLite database, and the same number of GET /healthz
(public: no session check) as the floor. Prints the median of 7 runs of the per-request
mean. Compare GET / before and after a change to the session check; /healthz shows the
machine's noise floor.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from answers.models import Role
from bench._app import bench_app
from tests.auth_helpers import make_user, signed_in

RUNS = 7


def per_request_ms(client, path: str, n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
    return (time.perf_counter() - started) * 1000 / n


def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = bench_app(tmp)
        client = signed_in(app, make_user(app, "sales@example.com", Role.sales))
        anonymous = app.test_client()
        per_request_ms(client, "/", 20)  # warm up: templates compiled, connections open
        signed = statistics.median(per_request_ms(client, "/", n) for _ in range(RUNS))
        public = statistics.median(per_request_ms(anonymous, "/healthz", n) for _ in range(RUNS))
    print(f"GET / signed in:   {signed:.3f} ms per request (median of {RUNS} x {n})")
    print(f"GET /healthz:      {public:.3f} ms per request (no session check)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 400)
