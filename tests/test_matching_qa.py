"""Matching mistakes found by exploratory QA, each with the plain case that must still match.

Synthetic text only. Every case runs on the lexical fallback and, when the MiniLM package is
installed, on the dense path the product uses (``answers.embeddings``).
"""

from __future__ import annotations

import pytest

from answers.matching import BankEntry, question_clauses
from tests.matching_cases import WRITTEN, match  # the embedder fixture: conftest

# -- opposite words invert the answer ---------------------------------------------------

HASHED = BankEntry(1, "Are passwords hashed and salted?", answer="Yes", alternates=("How are user passwords stored?",))


@pytest.mark.parametrize(
    "entry,text",
    [
        (HASHED, "Do you store passwords in plaintext?"),
        (HASHED, "Are passwords stored in cleartext?"),
        (BankEntry(1, "Is remote access disabled by default?", answer="Yes"), "Is remote access enabled by default?"),
        (BankEntry(1, "Are user accounts unique to each individual?", answer="Yes"), "Are shared user accounts used?"),
        (BankEntry(1, "Is USB storage blocked on laptops?", answer="Yes"), "Is USB storage allowed on laptops?"),
        (BankEntry(1, "Is patching automated?", answer="Yes"), "Is patching manual?"),
        # worded alike but for the inversion: the shared words alone score review
        (BankEntry(1, "Are passwords stored encrypted?", answer="Yes"), "Are passwords stored in plaintext?"),
        (
            BankEntry(1, "Is the use of shared accounts allowed?", answer="No"),
            "Is the use of shared accounts prohibited?",
        ),
        (BankEntry(1, "Is customer data encrypted at rest?", answer="Yes"), "Is customer data not encrypted at rest?"),
    ],
)
def test_an_opposite_word_is_treated_as_a_negation(embedder, entry, text):
    s = match(embedder, [entry], text)
    # like a negated question: never the top suggestion with that verdict, still a candidate
    assert s.tier == "none"
    assert 1 in {s.entry_id} | {a.entry_id for a in s.alternatives}


@pytest.mark.parametrize(
    "entry,text",
    [
        (HASHED, "Are user passwords salted and hashed?"),
        (BankEntry(1, "Is remote access disabled by default?", answer="Yes"), "Is remote access disabled by default?!"),
        (BankEntry(1, "Are shared accounts prohibited?", answer="Yes"), "Are shared accounts not allowed?"),
        (BankEntry(1, "Is patching automated?", answer="Yes"), "Is OS patching automated?"),
    ],
)
def test_the_same_pole_or_a_double_inversion_still_matches(embedder, entry, text):
    s = match(embedder, [entry], text)
    assert (s.entry_id, s.tier in WRITTEN) == (1, True)


# -- different named plans, reports and standards -----------------------------------------

_SECTION = (
    "Is an owner assigned who is responsible for the maintenance of the {}?",
    "Is the {} tested at least annually?",
    "Are all components of the {} reviewed at least annually?",
    "Is there a defined escalation path in your {} for impacted clients?",
    "Does your {} cover the loss of a key supplier?",
)
# a bank with a section per plan: "BCP" and "DRP" are common words in it, so swapping one
# for the other weighs little as a mere word (the false friend QA found)
PLANS = [BankEntry(10 + i, t.format("BCP"), answer="Yes") for i, t in enumerate(_SECTION[:3])] + [
    BankEntry(20 + i, t.format("DRP"), answer="No") for i, t in enumerate(_SECTION)
]
DRP_COMMUNICATION = BankEntry(1, "Is there a documented communication plan in your DRP for impacted clients?", "No")


@pytest.mark.parametrize(
    "text",
    [
        "Is there a documented communication plan in your BCP for impacted clients?",
        "Is there a documented communication plan in your business continuity plan for impacted clients?",
        "Is there a documented communication plan in your incident response plan (IRP) for impacted clients?",
    ],
)
def test_a_different_named_plan_is_not_high(embedder, text):
    s = match(embedder, [*PLANS, DRP_COMMUNICATION], text)
    assert not (s.entry_id == 1 and s.tier in WRITTEN)


@pytest.mark.parametrize(
    "text",
    [
        "Is there a documented communication plan in your disaster recovery plan for impacted clients?",
        "Is there a communication plan in your DRP for impacted clients?",
    ],
)
def test_a_named_plan_matches_its_own_acronym(embedder, text):
    s = match(embedder, [*PLANS, DRP_COMMUNICATION], text)
    assert (s.entry_id, s.tier in WRITTEN) == (1, True)


def test_business_continuity_plan_still_matches_bcp(embedder):
    bcp = BankEntry(2, "Is there a documented communication plan in your BCP for impacted clients?", "Yes")
    text = "Does your business continuity plan include a documented communication plan for impacted clients?"
    s = match(embedder, [*PLANS, DRP_COMMUNICATION, bcp], text)
    assert (s.entry_id, s.tier in WRITTEN) == (2, True)


def test_acronyms_and_expansions_of_named_things_fold_together():
    from answers.matching import canonical_tokens

    assert canonical_tokens("BCP") == canonical_tokens("business continuity plan") == ["bcp"]
    assert canonical_tokens("DRP") == canonical_tokens("disaster recovery plan") == ["disasterrecovery"]
    assert canonical_tokens("IRP") == canonical_tokens("incident response plan")
    assert canonical_tokens("SOC 3") == canonical_tokens("SOC III") == ["soc3"]


@pytest.mark.parametrize(
    "entry_text,text",
    [
        ("Do you have a SOC 2 Type II report?", "Do you have a SOC 3 report?"),
        ("Do you have a SOC 1 Type II report?", "Do you have a SOC 2 Type II report?"),
        ("Are you ISO 27001 certified?", "Are you ISO 27017 certified?"),
        ("Are you ISO 27001 certified?", "Are you ISO 27701 certified?"),
        (
            "Are you HIPAA compliant and able to sign a business associate agreement?",
            "Are you FERPA compliant and able to sign a business associate agreement?",
        ),
    ],
)
def test_different_reports_and_standards_are_not_high(embedder, entry_text, text):
    s = match(embedder, [BankEntry(1, entry_text, answer="Yes")], text)
    assert not (s.entry_id == 1 and s.tier in WRITTEN)


# -- either-or questions ----------------------------------------------------------------

SPI = BankEntry(1, "Do you use an SPI firewall?", answer="No")


@pytest.mark.parametrize(
    "entry,text",
    [
        (SPI, "Do you use a WAF and/or SPI firewall?"),
        (SPI, "Do you use a WAF or SPI firewall?"),
        (
            BankEntry(1, "Is customer data encrypted in transit?", "Yes"),
            "Is customer data encrypted at rest or in transit?",
        ),
        # the other way round: the bank's either-or answers neither alternative alone
        (BankEntry(1, "Do you use a WAF or an SPI firewall?", "Yes"), "Do you use an SPI firewall?"),
    ],
)
def test_an_answer_to_one_alternative_is_not_high_for_an_either_or(embedder, entry, text):
    s = match(embedder, [entry], text)
    assert not (s.entry_id == 1 and s.tier in WRITTEN)


@pytest.mark.parametrize(
    "entry,text",
    [
        (SPI, "Do you use an SPI firewall?"),
        (SPI, "Do you use an SPI firewall at the network perimeter?"),
        (BankEntry(1, "Do you use a WAF and/or SPI firewall?", "Yes"), "Do you use a WAF or SPI firewall?"),
        # both either-or, worded apart: compared by their words as before
        (
            BankEntry(
                1, "Does the application lock the session or log out a user after a period of inactivity?", "Yes"
            ),
            "Does the application lock or log out a user after a period of inactivity?",
        ),
        # no alternatives to choose between: generic words, a comparison, a synonym
        (BankEntry(1, "Do you have a patching policy?", "Yes"), "Do you have a patching policy or procedure?"),
        (
            BankEntry(1, "Is customer data encrypted in transit using TLS 1.2?", "Yes"),
            "Do you encrypt customer data in transit using TLS 1.2 or later?",
        ),
        (
            BankEntry(1, "Do employees sign confidentiality agreements?", "Yes"),
            "Do employees sign an NDA or confidentiality agreement?",
        ),
    ],
)
def test_the_same_alternatives_still_match(embedder, entry, text):
    s = match(embedder, [entry], text)
    assert (s.entry_id, s.tier in WRITTEN) == (1, True)


# -- another party's controls are not the respondent's ----------------------------------

OWN_SOC2 = BankEntry(1, "Do you have a SOC 2 Type II report?", answer="Yes")


@pytest.mark.parametrize(
    "entry,text",
    [
        (OWN_SOC2, "Does your hosting provider have a SOC 2 Type II report?"),
        (OWN_SOC2, "Does the hosting provider have a SOC 2 Type II report?"),
        (OWN_SOC2, "Do your subprocessors have a SOC 2 Type II report?"),
        (OWN_SOC2, "Do your sub-processors and subcontractors have a SOC 2 Type II report?"),
        (OWN_SOC2, "Does your cloud service provider have a SOC 2 Type II report?"),
        (OWN_SOC2, "Do your fourth parties have a SOC 2 Type II report?"),
        # the other way round
        (BankEntry(1, "Does your data center provider have a SOC 2 Type II report?", "Yes"), OWN_SOC2.question),
        # a data center's certification is not the respondent's, either way round
        (BankEntry(1, "Is your data center SOC 2 certified?", "Yes"), "Are you SOC 2 certified?"),
        (BankEntry(1, "Are you SOC 2 certified?", "Yes"), "Is your data center SOC 2 certified?"),
        # two different kinds of other party
        (
            BankEntry(1, "Does your hosting provider have a SOC 2 Type II report?", "Yes"),
            "Do your subprocessors have a SOC 2 Type II report?",
        ),
    ],
)
def test_another_partys_report_is_not_the_respondents(embedder, entry, text):
    s = match(embedder, [entry], text)
    assert not (s.entry_id == 1 and s.tier in WRITTEN)


@pytest.mark.parametrize(
    "entry,text",
    [
        # a customer's questionnaire names the respondent "the Vendor", "the Supplier", ...
        (OWN_SOC2, "Does the vendor have a SOC 2 Type II report?"),
        (OWN_SOC2, "Does the Supplier have a SOC 2 Type II report?"),
        (OWN_SOC2, "Does the Third Party have a SOC 2 Type II report?"),
        (OWN_SOC2, "Does the Contractor have a SOC 2 Type II report?"),
        (OWN_SOC2, "Does the Service Provider have a SOC 2 Type II report?"),
        # ... or as a defined term without the article
        (OWN_SOC2, "Does Third Party have a SOC 2 Type II report?"),
        (OWN_SOC2, "Does Vendor have a SOC 2 Type II report?"),
        # the same kind of party on both sides
        (
            BankEntry(1, "Does your hosting provider have a SOC 2 Type II report?", "Yes"),
            "Does your cloud hosting provider have a SOC 2 Type II report?",
        ),
        (
            BankEntry(1, "Are sub-processors bound by data protection agreements?", "Yes"),
            "Are your subprocessors bound by data protection agreements?",
        ),
        (
            BankEntry(1, "Is your data center SOC 2 certified?", "Yes"),
            "Does your data center hold a SOC 2 certification?",
        ),
    ],
)
def test_the_respondent_named_as_the_vendor_and_the_same_party_still_match(embedder, entry, text):
    s = match(embedder, [entry], text)
    assert (s.entry_id, s.tier in WRITTEN) == (1, True)


@pytest.mark.parametrize(
    ("text", "parties"),
    [
        # the data center is a party where it is the one certified or audited ...
        ("Is your data center SOC 2 certified?", {"hosting"}),
        ("Are the data centres audited annually?", {"hosting"}),
        # ... not where it is the place a control of the respondent's stands (HECVAT's DCTR)
        ("Do your data centers have physical access controls?", set()),
        ("Is access to the data center logged?", set()),
        ("Is physical access to the data center audited?", set()),
        ("Are the servers in your data center PCI compliant?", set()),
    ],
)
def test_a_data_center_is_a_party_where_it_is_certified(text, parties):
    assert question_clauses(text).parties == parties
