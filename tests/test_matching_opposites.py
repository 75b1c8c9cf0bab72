"""Opposite words and the other kind of a thing (a self-review of the dense path, whose
cosine barely moves for one changed word): "Is debug mode turned on?" was written Yes at
96 from "Is debug mode turned off?", "internal penetration tests" at 73 from "external",
"asymmetric encryption" at 94 from "symmetric", "Is MFA mandatory?" at 84 from "Is MFA
optional?". An opposite inverts the answer (never a suggestion); the other kind is another
question (a facet: review at best). Both modes of the matcher (conftest ``embedder``)."""

from __future__ import annotations

import pytest

from answers.matching import BankEntry, entry_facets, facets, facets_differ, inverts, question_clauses
from tests.matching_cases import WRITTEN, match  # the embedder fixture: conftest

OPPOSITES = [
    ("Is debug mode turned off in production?", "Is debug mode turned on in production?"),
    ("Is debug mode turned off in production?", "Is debug mode enabled in production?"),
    ("Is logging switched on for all production systems?", "Is logging switched off for all production systems?"),
    ("Is MFA optional for end users?", "Is MFA mandatory for end users?"),
    (
        "Does the SOC 2 report include your subservice organizations?",
        "Does the SOC 2 report exclude your subservice organizations?",
    ),
    ("Are passwords stored in a reversible format?", "Are passwords stored in an irreversible format?"),
    ("Do you permit the use of personal devices (BYOD)?", "Do you restrict the use of personal devices (BYOD)?"),
    ("Are upload file types restricted?", "Are all upload file types allowed?"),
    ("Are inactive accounts deactivated after 90 days?", "Are inactive accounts activated after 90 days?"),
]
OTHER_KIND = [
    ("Do you host customer data in a public cloud?", "Do you host customer data in a private cloud?"),
    ("Do you conduct internal penetration tests annually?", "Do you conduct external penetration tests annually?"),
    ("Do you use inbound firewall rules?", "Do you use outbound firewall rules?"),
    ("Is data encrypted on the client side?", "Is data encrypted on the server side?"),
    ("Is data stored outside the United States?", "Is data stored inside the United States?"),
    ("Do you use synchronous replication?", "Do you use asynchronous replication?"),
    ("Do you have a minimum password length?", "Do you have a maximum password length?"),
    ("Do you use symmetric encryption for backups?", "Do you use asymmetric encryption for backups?"),
    ("Do you perform static code analysis?", "Do you perform dynamic code analysis?"),
    ("Are background checks performed before hire?", "Are background checks performed after hire?"),
    ("Do you log physical access to the data center?", "Do you log logical access to the data center?"),
    ("Is the application single-tenant?", "Is the application multi-tenant?"),
    ("Do you log successful login attempts?", "Do you log failed login attempts?"),
    ("Are backups stored in a separate region?", "Are backups stored in the same region?"),
    ("Do you perform code reviews for all changes?", "Do you perform code reviews for some changes?"),
    ("Are backups stored off-site?", "Are backups stored on-site?"),
    (
        "Will the consultant need remote access to your systems?",
        "Will the consultant need on-site access to your systems?",
    ),
]


@pytest.mark.parametrize(("bank", "asked"), OPPOSITES)
def test_an_opposite_word_is_never_suggested(embedder, bank, asked):
    s = match(embedder, [BankEntry(1, bank, answer="Yes")], asked)
    assert s.entry_id != 1 or s.tier == "none", (s.score, s.tier)


@pytest.mark.parametrize(("bank", "asked"), OTHER_KIND)
def test_the_other_kind_is_not_written(embedder, bank, asked):
    s = match(embedder, [BankEntry(1, bank, answer="Yes")], asked)
    assert s.entry_id != 1 or s.tier not in WRITTEN, (s.score, s.tier)


@pytest.mark.parametrize(
    ("bank", "asked"),
    [
        (
            "Is a security incident response plan that includes relevant internal departments and impacted"
            " customers established, documented, approved, communicated, applied, evaluated, and maintained?",
            "Is a security vulnerability response plan that includes relevant internal departments and impacted"
            " customers established, documented, approved, communicated, applied, evaluated, and maintained?",
        ),
        (
            "Are information security incident metrics established and monitored?",
            "Are information security vulnerability metrics established and monitored?",
        ),
        (
            "Are application security vulnerabilities remediated following defined processes?",
            "Are application security incidents remediated following defined processes?",
        ),
        # the application and the infrastructure under it: two scopes of one control
        (
            "Do you perform penetration tests of your application at least annually?",
            "Do you perform penetration tests of your infrastructure at least annually?",
        ),
        (
            "Are your systems and applications regularly scanned externally for vulnerabilities?",
            "Are your systems and infrastructure regularly scanned externally for vulnerabilities?",
        ),
    ],
)
def test_one_word_apart_another_object_or_scope_is_not_offered(embedder, bank, asked):
    """Incidents / vulnerabilities (two processes), application / infrastructure (two
    scopes): one word apart, the rest of the sentence the same, not even offered for review."""
    s = match(embedder, [BankEntry(1, bank, answer="Yes")], asked)
    assert s.entry_id != 1 or s.tier == "none", (s.score, s.tier)


@pytest.mark.parametrize(
    ("bank", "asked"),
    [
        # the same pole, or both kinds on both sides: the rules stay out of the way
        ("Is debug mode disabled in production?", "Is debug mode disabled in production environments?"),
        (
            "Do you conduct internal and external penetration tests?",
            "Are internal and external penetration tests conducted?",
        ),
        ("Do you host customer data in a public cloud?", "Is customer data hosted in a public cloud?"),
        ("Are application and infrastructure changes tested?", "Are infrastructure and application changes tested?"),
        (
            "Are incidents and vulnerabilities reported to customers?",
            "Do you report incidents and vulnerabilities to customers?",
        ),
        # "restricted to" names who may: the same control as "allowed only for"
        (
            "Is access to production restricted to authorized personnel?",
            "Is production access restricted to authorized personnel?",
        ),
    ],
)
def test_the_same_pole_is_still_written(embedder, bank, asked):
    s = match(embedder, [BankEntry(1, bank, answer="Yes")], asked)
    assert (s.entry_id, s.tier) == (1, "high"), (s.score, s.tier)


@pytest.mark.parametrize(
    ("a", "b", "inverted"),
    [
        ("Is debug mode turned off?", "Is debug mode disabled?", False),  # two words, one pole
        ("Is debug mode turned off?", "Is debug mode turned on?", True),
        ("Is debug mode turned off?", "Is debug mode not turned on?", False),  # a negation cancels it
        ("Is access restricted to administrators?", "Is access allowed for administrators?", False),
        ("Is access restricted?", "Is access allowed?", True),
    ],
)
def test_which_pairs_invert(a, b, inverted):
    assert inverts(question_clauses(a), question_clauses(b)) is inverted


def test_physical_access_is_the_other_kind_of_remote_access():
    """ "physical access" is on-site access too (a word takes one group in ``_KINDS``), so
    against "remote access" the kinds differ; against "logical access" they still do."""
    physical = facets("Will the consultant need physical access to the Institution's network?")
    remote = entry_facets(*["Will the consultant need remote access to the Institution's network?"] * 2, "")
    logical = entry_facets(*["Will the consultant need logical access to the Institution's network?"] * 2, "")
    assert "kind" in facets_differ(physical, remote)
    assert "kind" in facets_differ(physical, logical)
