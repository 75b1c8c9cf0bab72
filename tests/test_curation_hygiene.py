"""Hygiene (near-duplicates, conflicts, one-click resolutions) and coverage gaps."""

from __future__ import annotations

import datetime as dt

import pytest

from answers import bank, curation
from answers.models import Entry, EntryCreate, EntryStatus, Item, Questionnaire


def _entry(session, question, answer="Yes", comment="", **kw):
    return bank.create_entry(
        EntryCreate(question=question, answer=answer, comment=comment, **kw), session=session, actor="cur@example.com"
    )


@pytest.mark.parametrize(
    ("answer", "comment", "flagged"),
    [
        ("No", "We encrypt all data at rest with AES-256.", True),
        ("No", "We do not encrypt backups.", False),
        ("No", "Encryption is planned for 2027.", False),
        ("Yes", "We do not store customer data.", True),
        ("Yes", "No, we rely on the customer's IdP.", True),
        ("Yes", "No exceptions: every laptop is encrypted.", False),
        ("Yes", "We encrypt all data.", False),
        ("N/A", "We encrypt all data.", False),
        ("No", "", False),
        ("No", "Our team reviews logs weekly, but not automatically.", False),
        ("No", "The Acceptable Use Policy prohibits card numbers in prompts.", False),  # a name, not a claim
        ("No", "The platform uses TLS 1.3 everywhere.", True),
    ],
)
def test_verdict_contradicting_its_comment(answer, comment, flagged):
    assert (curation.contradicts_itself(answer, comment) is not None) is flagged


def test_similar_pairs_is_blocked_and_thresholded():
    texts = ["do you encrypt data at rest", "do you encrypt the data at rest", "is there a dpo"] * 1
    pairs = curation.similar_pairs(texts, cutoff=85)
    assert [(i, j) for i, j, _ in pairs] == [(0, 1)]


def test_hygiene_finds_duplicates_and_opposite_verdicts_and_resolves_them(session):
    a = _entry(session, "Do you encrypt customer data at rest?", status=EntryStatus.approved)
    b = _entry(session, "Do you encrypt the customer data at rest?", status=EntryStatus.approved)
    c = _entry(session, "Is there a documented incident response plan?", answer="Yes")
    d = _entry(session, "Is there a documented incident-response plan in place?", answer="No")
    e = _entry(session, "Do you use a CDN?", answer="No", comment="We use Cloudflare for every public endpoint.")
    _entry(session, "Where is data hosted?", answer="EU", products=["Cloud"])
    _entry(session, "Where is the data hosted?", answer="EU")  # other scope: not a duplicate
    report = curation.hygiene(session=session)
    assert [sorted(x.id for x in f.entries) for f in report.duplicates] == [[a.id, b.id]]
    kinds = {f.kind: sorted(x.id for x in f.entries) for f in report.conflicts}
    assert kinds == {"opposite": [c.id, d.id], "self": [e.id]}

    bank.merge_entries(a.id, [b.id], session=session, actor="cur@example.com")
    curation.dismiss("self", [e.id], session=session, actor="cur@example.com")
    bank.retire(d.id, session=session, actor="cur@example.com")
    report = curation.hygiene(session=session)
    assert report.duplicates == [] and report.conflicts == []
    # a dismissal lasts only while the entry is unchanged
    bank.update_entry(e.id, bank.EntryUpdate(owner="net@example.com"), session=session, actor="x")
    assert [f.kind for f in curation.hygiene(session=session).conflicts] == ["self"]


def test_learned_conflicts_are_listed_and_cleared_by_keeping_one(session):
    # the same question twice: only learning adds that (create refuses it), flagged
    a, b = (
        bank._add_entry(EntryCreate(question="Do you support SSO?", answer=v), session=session, actor="learn")
        for v in ("Yes", "No")
    )
    for x in (a, b):
        x.conflict = True
        session.add(x)
    session.commit()
    report = curation.hygiene(session=session)
    learned = [f for f in report.conflicts if f.kind in ("learned", "opposite")]
    assert len(learned) == 1 and sorted(x.id for x in learned[0].entries) == [a.id, b.id]
    bank.retire(b.id, session=session, actor="cur@example.com")
    assert not a.conflict  # its only rival is gone
    assert curation.hygiene(session=session).conflicts == []


def test_coverage_groups_recent_unmatched_questions_by_section(session):
    old = Questionnaire(
        name="old",
        filename="o.xlsx",
        stored_name="x",
        sha256="0",
        size=1,
        format="xlsx",
        family="generic",
        uploaded_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=400),
    )
    new = Questionnaire(
        name="new", filename="n.xlsx", stored_name="y", sha256="1", size=1, format="xlsx", family="generic"
    )
    session.add(old)
    session.add(new)
    session.flush()

    taken = Entry(question="Is there a DPO?", answer="Yes")
    session.add(taken)
    session.flush()

    def item(q, pos, text, section, tier="none", entry_id=None):
        session.add(
            Item(
                questionnaire_id=q.id,
                position=pos,
                sheet="S",
                row=pos,
                text=text,
                section=section,
                tier=tier,
                entry_id=entry_id,
            )
        )

    item(new, 1, "Do you have a SOC 2 report?", "Compliance")
    item(new, 2, "Do you have a SOC 2 report?", "Compliance")
    item(new, 3, "Is there an ISO 27001 certificate?", "Compliance")
    item(new, 4, "Do you encrypt?", "Crypto", tier="exact")
    item(new, 5, "Who is your DPO?", None)
    item(
        new, 6, "Have you appointed a data protection officer?", "Privacy", entry_id=taken.id
    )  # a weak candidate taken
    item(old, 1, "An old unanswered question?", "Legacy")
    session.commit()
    topics = curation.coverage(session=session, days=90)
    assert [(t.name, t.count) for t in topics] == [("Compliance", 3), ("S", 1)]
    assert [(g.text, g.count) for g in topics[0].gaps] == [
        ("Do you have a SOC 2 report?", 2),
        ("Is there an ISO 27001 certificate?", 1),
    ]
    assert topics[0].gaps[0].questionnaires == {new.id}


def test_similar_pairs_equal_a_brute_force_token_sort_ratio():
    import random

    from rapidfuzz import fuzz

    rng = random.Random(3)
    words = "data encrypt rest at transit key access mfa vpn admin log backup".split()
    texts = [" ".join(rng.sample(words, rng.randint(2, 6))) for _ in range(300)]
    texts += [t + " s" for t in texts[:40]]  # near-duplicates of other lengths
    want = {
        (i, j)
        for i in range(len(texts))
        for j in range(i + 1, len(texts))
        if fuzz.token_sort_ratio(texts[i], texts[j]) >= 90
    }
    assert {(i, j) for i, j, _ in curation.similar_pairs(texts, cutoff=90)} == want
    assert want  # the sample does contain pairs


def test_answers_that_point_to_other_questions_are_listed_for_rewriting(app, session, curator_client):
    bank.import_entries(
        [
            EntryCreate(question="Do you share scan results?", answer="Yes", comment="Please see VULN-02."),
            EntryCreate(question="Contact email?", comment="See GNRL-08 and GNRL-09.", family="hecvat", version="3.04"),
            EntryCreate(question="Is data encrypted at rest?", answer="Yes", comment="AES-256 with SHA-256 keys"),
        ],
        session=session,
    )
    report = curation.hygiene(session=session)
    assert [(e.question, refs) for e, refs in report.pointers] == [
        ("Do you share scan results?", ("VULN-02",)),
        ("Contact email?", ("GNRL-08", "GNRL-09")),
    ]
    page = curator_client.get("/bank/hygiene").get_data(as_text=True)
    assert "Answers that point to other questions" in page
    assert "points to GNRL-08, GNRL-09 of HECVAT 3.04" in page and "AES-256" not in page
