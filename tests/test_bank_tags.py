"""The bank page's tag list: every tag a live entry carries, read in the database."""

from __future__ import annotations

from answers import bank
from answers.models import EntryCreate, EntryStatus


def test_tags_in_use_are_the_live_entries_distinct_tags(session, monkeypatch):
    for question, tags, status in [
        ("Do you encrypt data at rest?", ["crypto", "storage"], EntryStatus.approved),
        ("Do you rotate keys?", ["crypto", "keys"], EntryStatus.draft),
        ("Do you fax contracts?", ["legacy"], EntryStatus.approved),
        ("Do you have a SOC 2 report?", [], EntryStatus.approved),
        ("Do you use café Wi-Fi?", ["réseau"], EntryStatus.approved),
    ]:
        entry = bank.create_entry(
            EntryCreate(question=question, answer="Yes", tags=tags, status=status), session=session
        )
        if tags == ["legacy"]:
            bank.retire(entry.id, session=session, actor="curator")
    expected = ["crypto", "keys", "réseau", "storage"]  # the retired entry's tag is gone
    assert bank.tags_in_use(session=session) == expected
    monkeypatch.setattr(bank, "_TAGS_IN_USE", {})  # the Python reading other databases get
    assert bank.tags_in_use(session=session) == expected
