"""The audit trail is a hash chain: any edited or deleted event is named by verify()."""

import pytest
from sqlalchemy import text

from answers import audit


def _three_events(session):
    for i in range(3):
        audit.record(session, "test.event", actor=f"user{i}", object_type="thing", object_id=i, details={"n": i})
    session.commit()


def test_verify_accepts_an_untouched_chain(session):
    _three_events(session)
    assert audit.verify(session) == 3


def test_verify_names_an_edited_event(session):
    _three_events(session)
    session.exec(text("UPDATE auditevent SET actor = 'mallory' WHERE id = 2"))
    session.commit()
    session.expire_all()
    with pytest.raises(audit.AuditChainBroken, match="event 2 was altered"):
        audit.verify(session)


def test_verify_names_a_deleted_event(session):
    _three_events(session)
    session.exec(text("DELETE FROM auditevent WHERE id = 2"))
    session.commit()
    session.expire_all()
    with pytest.raises(audit.AuditChainBroken, match=r"2\.\.2 are missing"):
        audit.verify(session)


def test_cli_audit_verify_exit_codes(app, runner, session):
    _three_events(session)
    ok = runner.invoke(args=["audit", "verify"])
    assert ok.exit_code == 0 and "3 events" in ok.output
    session.exec(text("UPDATE auditevent SET details = '{}' WHERE id = 3"))
    session.commit()
    bad = runner.invoke(args=["audit", "verify"])
    assert bad.exit_code == 2
    assert "event 3 was altered" in bad.output


def test_cli_audit_export_writes_json_lines(runner, session, tmp_path):
    import json

    _three_events(session)
    out = tmp_path / "audit.jsonl"
    result = runner.invoke(args=["audit", "export", str(out)])
    assert result.exit_code == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [e["actor"] for e in lines] == ["user0", "user1", "user2"]
    assert lines[1]["prev_hash"] == lines[0]["hash"]
