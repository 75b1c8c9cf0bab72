"""Data minimisation: upload, decisions and exports leave no questionnaire contents in the
logs (captured at DEBUG) or in audit event details (ids, counts, families only)."""

from __future__ import annotations

import json
import logging

from answers import audit
from tests import upload_builders as b
from tests.auth_helpers import bearer, db, token_for
from tests.test_upload_files import API, accept_all_with, upload

ANSWERS = ["Yes", "No", "Yes", "Quarterly-Canary-Answer-7f3a"]
COMMENT = "Confidential-Comment-Canary-91bd"


def test_no_contents_in_logs_or_audit_details(app, client, people, caplog):
    caplog.set_level(logging.DEBUG)
    headers = bearer(token_for(app, people["sales"]))
    body = upload(client, headers, b.xlsx(), "Canary Customer.xlsx")
    accept_all_with(client, headers, body["id"], ANSWERS)
    item = client.get(f"{API}/questionnaires/{body['id']}/items", headers=headers).get_json()["items"][0]
    response = client.patch(
        f"{API}/items/{item['id']}", json={"comment": COMMENT, "lock_version": item["lock_version"]}, headers=headers
    )
    assert response.status_code == 200
    for kind in ("xlsx", "report"):
        assert client.get(f"{API}/questionnaires/{body['id']}/export?format={kind}", headers=headers).status_code == 200

    secrets = [text for _qid, text in b.QUESTIONS] + [ANSWERS[-1], COMMENT]
    logged = "\n".join(r.getMessage() + repr(r.args) for r in caplog.records)
    with db(app) as s:
        events = list(audit.events(s))
    details = "\n".join(json.dumps(e.details) for e in events)
    assert {e.action for e in events} >= {"questionnaire.upload", "questionnaire.export", "questionnaire.report"}
    for secret in secrets:
        assert secret not in logged
        assert secret not in details
