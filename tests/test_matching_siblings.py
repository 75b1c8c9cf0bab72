"""Near-sibling questions (QA round 2): worded alike, asking another thing. Each case with
the plain paraphrase that must still be written.

Synthetic text only. Every case runs on the lexical fallback and, when the MiniLM package is
installed, on the dense path the product uses (``answers.embeddings``).
"""

from __future__ import annotations

import itertools

import pytest

from answers.matching import (
    SWAP_FLOOR,
    SWAP_PENALTY,
    BankEntry,
    BankIndex,
    _alternatives,
    _conjuncts,
    _tokens_of,
    entry_facets,
    facets,
    facets_differ,
)
from tests.matching_cases import WRITTEN, match  # the embedder fixture: conftest


def assert_written(embedder, bank: str, asked: str, written: bool) -> None:
    """``asked`` is (or is not) written from the one-question entry ``bank`` (answer Yes)."""
    found = match(embedder, [BankEntry(1, bank, answer="Yes")], asked)
    assert (found.entry_id == 1 and found.tier in WRITTEN) is written, (found.score, found.tier)


# -- how often ----------------------------------------------------------------------------

IR_TESTED = BankEntry(
    1,
    "Is the incident response plan tested at least annually?",
    answer="Yes",
    comment="Tested every year in a tabletop exercise.",
    alternates=("How often do you test your incident response plan?",),
)
BCP_TESTED = BankEntry(
    2, "Is the business continuity plan tested?", answer="Yes", comment="It is tested annually with a failover drill."
)


@pytest.mark.parametrize(
    "entry,text",
    [
        (IR_TESTED, "Is the incident response plan tested at least monthly?"),
        (IR_TESTED, "Is your incident response plan tested every quarter?"),
        # the entry's wording says nothing about how often; its comment says annually
        (BCP_TESTED, "Is the business continuity plan tested at least quarterly?"),
    ],
)
def test_another_frequency_is_not_written(embedder, entry, text):
    found = match(embedder, [entry], text)
    assert found.tier not in WRITTEN, (found.entry_id, found.score, found.tier)


@pytest.mark.parametrize(
    "entry,text",
    [
        (IR_TESTED, "Is the incident response plan tested at least once a year?"),
        (IR_TESTED, "How often is the incident response plan tested?"),
    ],
)
def test_the_same_frequency_is_still_written(embedder, entry, text):
    found = match(embedder, [entry], text)
    assert (found.entry_id, found.tier) == (entry.entry_id, "high"), found


def test_an_alternate_asking_how_often_reads_the_frequency_of_its_entrys_question():
    """ "How often do you test ...?" as an alternate of "... tested at least annually?" means
    annually: a question asking "annually" is no other frequency, "monthly" is."""
    alternate = entry_facets(IR_TESTED.alternates[0], IR_TESTED.question, "")
    assert alternate.frequencies == {"freqyear"}
    assert "frequency" not in facets_differ(facets("Do you test your incident response plan annually?"), alternate)
    assert "frequency" in facets_differ(facets("Do you test your incident response plan monthly?"), alternate)


# -- for whom -----------------------------------------------------------------------------

PASSWORDS = BankEntry(
    1,
    "Do you have a documented password policy for employees?",
    answer="Yes",
    comment="At least 14 characters for employee accounts.",
    alternates=("Is there a password management policy?",),
)
SCREENING = BankEntry(
    2,
    "Do you perform background checks on employees and contractors?",
    answer="Yes",
    alternates=("Background checks?",),
)
STAFF_SSO = BankEntry(3, "Do employees use single sign-on to access corporate applications?", answer="Yes")
#: names no population: the vendor's own traffic, not the customer's network
TRANSIT = BankEntry(4, "Is data encrypted in transit over public networks?", answer="Yes", comment="TLS 1.2 or later.")
NDAS = BankEntry(5, "Do employees sign non-disclosure agreements?", answer="Yes")
TRAINING = BankEntry(6, "Do employees receive annual security awareness training?", answer="Yes")


@pytest.mark.parametrize(
    "entry,text",
    [
        (PASSWORDS, "Do you have a documented password policy for customers?"),
        (SCREENING, "Do you perform background checks on customers?"),
        (STAFF_SSO, "Do customers use single sign-on to access your application?"),
        (TRANSIT, "Is data encrypted in transit within the customer's own network?"),
        # contractors are not employees: NDAs and training often differ
        (NDAS, "Do contractors sign non-disclosure agreements?"),
        (TRAINING, "Do contractors receive annual security awareness training?"),
    ],
)
def test_another_population_is_not_written(embedder, entry, text):
    found = match(embedder, [entry], text)
    assert found.tier not in WRITTEN, (found.entry_id, found.score, found.tier)


@pytest.mark.parametrize(
    "entry,text",
    [
        (PASSWORDS, "Do you have a documented password policy for your staff?"),
        (SCREENING, "Do you perform background checks on employees?"),
        (STAFF_SSO, "Do your employees use single sign-on to access corporate applications?"),
        (TRANSIT, "Do you encrypt data in transit over public networks?"),
        (SCREENING, "Do you perform background checks on contractors?"),
        (TRAINING, "Does your staff receive annual security awareness training?"),
    ],
)
def test_the_same_population_is_still_written(embedder, entry, text):
    found = match(embedder, [entry], text)
    assert (found.entry_id, found.tier) == (entry.entry_id, "high"), found


def test_a_condition_naming_customers_is_the_condition_rule_not_a_population():
    assert facets("For customers not using SSO, do you support directory integration?").populations == frozenset()
    assert facets("Is customer data encrypted?").populations == frozenset()  # data, not people


# -- where, and which control -----------------------------------------------------------------

US_BACKUPS = BankEntry(1, "Do you back up HR records in the US region?", answer="N/A")
REVIEWED = BankEntry(2, "Do you review access to support tickets with dual control?", answer="No")
#: names "encrypt" twice: as the control and in its object
KEYS = BankEntry(3, "Do you encrypt encryption keys in the key vault?", answer="Yes")


@pytest.mark.parametrize(
    "entry,text",
    [
        (US_BACKUPS, "Do you back up HR records in every region?"),
        (US_BACKUPS, "Do you back up HR records in the EU region?"),
        (REVIEWED, "Do you restrict access to support tickets with dual control?"),
        (REVIEWED, "Do you revoke access to support tickets with dual control?"),
        (KEYS, "Do you review access to encryption keys in the key vault?"),
    ],
)
def test_another_scope_or_control_is_not_written(embedder, entry, text):
    found = match(embedder, [entry], text)
    assert found.tier not in WRITTEN, (found.entry_id, found.score, found.tier)


@pytest.mark.parametrize(
    "entry,text",
    [
        (US_BACKUPS, "Does your organisation back up HR records in the US region?"),
        (REVIEWED, "Does your company review access to support tickets with dual control?"),
        (KEYS, "Does your company encrypt encryption keys in the key vault?"),
    ],
)
def test_the_same_scope_and_control_are_still_written(embedder, entry, text):
    found = match(embedder, [entry], text)
    assert (found.entry_id, found.tier) == (entry.entry_id, "high"), found


# -- a large bank of templated questions: every word is common --------------------------------

OBJECTS = ["payroll files", "chat transcripts", "build artifacts", "firewall rules", "signing keys", "crash dumps"]
VERBS = ["archive", "checksum", "watermark", "quarantine", "index", "compress"]
QUALIFIERS = ["with MFA", "with alerting", "with dual control", "using automation", "by the SOC team"]
RARE = "amber basalt cobalt dahlia ember fjord garnet heron indigo jasper".split()


def test_a_swapped_word_costs_the_same_however_common_it_is_in_the_bank():
    """In a bank of templated questions every word is common (low IDF): a clean swap of one
    distinguishing word ("with MFA" / "with alerting") still costs at least SWAP_FLOOR of a
    swap, while the same question reworded costs nothing."""
    combos = itertools.product(VERBS, OBJECTS, QUALIFIERS)
    templated = [BankEntry(i, f"Do you {v} {o} {q}?", answer="Yes") for i, (v, o, q) in enumerate(combos)]
    # and a few one-off questions, as every real bank has: their rare words set the scale
    one_offs = [BankEntry(1000 + i, f"Is the {w} register kept?", answer="Yes") for i, w in enumerate(RARE)]
    index = BankIndex.build(templated + one_offs)
    asked = frozenset(_tokens_of("Do you archive payroll files with MFA?"))
    sibling = frozenset(_tokens_of("Do you archive payroll files with alerting?"))
    reworded = frozenset(_tokens_of("Does your company archive payroll files with MFA?"))
    assert index._penalty(asked, sibling) >= SWAP_PENALTY * SWAP_FLOOR
    assert index._penalty(asked, reworded) == 0.0


@pytest.mark.parametrize(
    ("bank", "asked", "written"),
    [
        # a figure only the question states: the entry's Yes does not say it reaches it
        ("Do you have cyber insurance?", "Do you carry cyber insurance coverage of at least $5 million?", False),
        ("Is data in transit encrypted with TLS?", "Is data in transit encrypted with TLS 1.3?", False),
        # a period is one figure, its unit included
        ("Are critical patches applied within a week?", "Are critical patches applied within a month?", False),
        ("Are critical patches applied within a week?", "Are critical patches applied within one week?", True),
        # the entry states the figure, the question asks less: its Yes answers it
        ("Is data in transit encrypted with TLS 1.2 or higher?", "Is data in transit encrypted with TLS?", True),
        # "within the past year" is "within the past 12 months", not an added figure
        (
            "Has a VPAT been updated for the product within the past year?",
            "Has a VPAT been updated for the product within the past 12 months?",
            True,
        ),
    ],
)
def test_a_figure_only_the_question_states_is_not_written(embedder, bank, asked, written):
    assert_written(embedder, bank, asked, written)


@pytest.mark.parametrize(
    ("bank", "asked", "written"),
    [
        # handing a document over is more than having it (an NDA, a fee, a bridge letter)
        ("Do you have a SOC 2 Type II report?", "Can you share your SOC 2 Type II report?", False),
        (
            "Do you have a documented incident response plan?",
            "Will you provide a copy of your incident response plan?",
            False,
        ),
        ("Do you have a penetration test report?", "Is your penetration test report available upon request?", False),
        # both ask for it, or the entry promises it and the question asks less
        ("Will you share your SOC 2 Type II report?", "Can you share your SOC 2 Type II report?", True),
        ("Can you share your SOC 2 Type II report?", "Do you have a SOC 2 Type II report?", True),
    ],
)
def test_a_request_for_the_document_is_not_written_from_having_it(embedder, bank, asked, written):
    assert_written(embedder, bank, asked, written)


@pytest.mark.parametrize(
    ("bank", "asked", "written"),
    [
        # a Yes to the broader control says nothing of the stronger form (texts unlike FILLER's)
        (
            "Is the production database backed up nightly?",
            "Is the production database backed up nightly to immutable storage?",
            False,
        ),
        (
            "Is the production database backed up nightly?",
            "Is the production database backed up nightly to an air-gapped store?",
            False,
        ),
        ("Is tenant data encrypted in transit?", "Is tenant data encrypted end-to-end in transit?", False),
        ("Is stored tenant data encrypted?", "Is stored tenant data encrypted with customer-managed keys?", False),
        (
            "Is stored tenant data encrypted?",
            "Is stored tenant data encrypted with FIPS 140-2 validated modules?",
            False,
        ),
        ("Is MFA required for remote access?", "Is phishing-resistant MFA required for remote access?", False),
        ("Do you maintain a disaster recovery site?", "Do you maintain a hot disaster recovery site?", False),
        ("Are security logs monitored by a SIEM?", "Are security logs monitored in real time by a SIEM?", False),
        ("Are audit logs retained for one year?", "Are tamper-proof audit logs retained for one year?", False),
        (
            "Do you perform vulnerability scans of production?",
            "Do you perform credentialed vulnerability scans of production?",
            False,
        ),
        (
            "Do you have a documented information security policy?",
            "Do you have a board-approved information security policy?",
            False,
        ),
        (
            "Are your financial controls audited annually?",
            "Are your financial controls independently audited annually?",
            False,
        ),
        (
            "Do you perform penetration tests of the application?",
            "Do you have third-party penetration tests of the application?",
            False,
        ),
        ("Do employees receive security training?", "Do employees receive role-based security training?", False),
        # one kind of intrusion detection is not another, nor the unnamed one
        (
            "Do you use an intrusion detection system (IDS)?",
            "Do you use a host-based intrusion detection system (HIDS)?",
            False,
        ),
        ("Do you have a network-based IDS?", "Do you have a host-based IDS?", False),
        # the same stronger form, however worded, or the entry states it and the question asks less
        ("Are backups immutable?", "Do you keep immutable backups?", True),
        (
            "Is the information security policy approved by the board of directors?",
            "Do you have a board-approved information security policy?",
            True,
        ),
        (
            "Is the application penetration tested by an independent third party?",
            "Is the application penetration tested by a third party?",
            True,
        ),
        ("Do you have annual independent audits?", "Do you have annual audits?", True),
        ("Do you run host-based intrusion detection on servers?", "Do you run intrusion detection on servers?", True),
        ("Do you have annual independent audits?", "Are you audited annually by an independent auditor?", True),
        ("Do you support customer-managed encryption keys?", "Are customer-managed encryption keys supported?", True),
        # keys the vendor manages: who holds the keys is a question of its own
        ("Are backups encrypted at rest?", "Are backups encrypted at rest using keys you manage?", False),
        ("Are backups encrypted at rest?", "Are backups encrypted at rest with keys managed by you?", False),
        (
            "Are backups encrypted at rest with keys you manage?",
            "Are backups encrypted at rest using keys managed by you?",
            True,
        ),
        ("Are backups encrypted at rest using keys you manage?", "Are backups encrypted at rest?", True),
        # a plan with a clear owner: who owns it is a question of its own (HECVAT 4 DOCU-01 / 3 QUAL-03)
        (
            "Do you have a well documented Business Continuity Plan (BCP) that is tested annually?",
            "Do you have a well-documented business continuity plan (BCP), with a clear owner, "
            "that is tested annually?",
            False,
        ),
        (
            "Is an owner assigned who is responsible for the maintenance and review of the DRP?",
            "Is an owner assigned who is responsible for maintaining and reviewing the disaster recovery plan?",
            True,
        ),
        (
            "Is the production database backed up nightly to immutable storage?",
            "Is the production database backed up nightly?",
            True,
        ),
        # an example in parentheses asks for nothing
        ("Are security logs monitored by a SIEM?", "Are security logs monitored by a SIEM (e.g., in real time)?", True),
    ],
)
def test_a_stronger_form_only_the_question_names_is_not_written(embedder, bank, asked, written):
    assert_written(embedder, bank, asked, written)


@pytest.mark.parametrize(
    ("text", "qualifiers"),
    [
        ("Is the policy approved by the board of directors?", {"board"}),
        ("Is the policy reviewed by management?", set()),
        ("Have your systems had a third party security assessment completed?", {"independent"}),
        ("Is the application tested by an independent party?", {"independent"}),
        ("Will you allow the institution to perform its own vulnerability testing?", {"independent"}),
        # the vendor's own tests, and third parties that are not auditors
        ("Do you perform your own penetration tests?", set()),
        ("Will institution data be shared with third parties?", set()),
        ("Does the application support RBAC?", {"rolebased"}),
        ("Is an owner assigned who is responsible for the review of the plan?", {"owner"}),
        ("Is the plan, with a clear owner, tested annually?", {"owner"}),
        ("Is the ownership of data assets documented?", set()),  # ownership of data: not a plan's owner
        ("Is data encrypted at rest using keys you manage?", {"ownkeys"}),
        ("Are firewall rules reviewed?", {"firewallrules"}),
        ("Are network firewalls configured to deny inbound traffic?", {"firewallrules"}),
        ("Are firewalls reviewed?", set()),
        ("Do you run a bug bounty program open to the public?", {"publicbounty"}),
        ("Is a privacy policy publicly available?", set()),  # public, but no bug bounty
        ("Can API access be restricted by IP address?", {"apiaccess"}),
        ("Is the API authenticated with tokens?", set()),  # the API itself is what is asked about
        ("Is data encrypted with keys managed by the customer?", set()),  # customers: a population
        ("Do you support customer-managed keys?", {"customerkeys"}),
        ("Do you deploy HIDS on every server?", {"hostbased"}),
        ("Is a network-based intrusion detection system in place?", set()),  # the usual kind: _KINDS
        ("Is customer data deleted at the end of the agreement?", {"contractend"}),
        ("Do you delete customer data within 30 days of contract termination?", {"contractend"}),
        ("Do you revoke access on termination of employment?", set()),  # an employee's end, not a contract's
    ],
)
def test_stronger_forms_read_from_the_wording(text, qualifiers):
    assert facets(text).qualifiers == qualifiers


@pytest.mark.parametrize(
    ("bank", "asked", "written"),
    [
        # what is done with the data: another verb is another question
        ("Do you store cardholder data?", "Do you process cardholder data?", False),
        ("Do you process student data?", "Do you sell student data?", False),
        ("Do you share customer data with advertisers?", "Do you sell customer data to advertisers?", False),
        ("Is production data masked in test environments?", "Is production data used in test environments?", False),
        # the same handling, however worded
        ("Do you store cardholder data?", "Is cardholder data stored by you?", True),
        ("Do you sell customer data to advertisers?", "Does your company sell customer data to advertisers?", True),
    ],
)
def test_another_handling_of_the_data_is_not_written(embedder, bank, asked, written):
    assert_written(embedder, bank, asked, written)


@pytest.mark.parametrize(
    ("bank", "asked", "written"),
    [
        # two things asked together, the entry naming one: its Yes covers that one only
        ("Are backups encrypted?", "Are backups and logs encrypted?", False),
        ("Are servers patched monthly?", "Are servers and laptops patched monthly?", False),
        ("Do employees receive security training?", "Do employees and contractors receive security training?", False),
        # the entry names both (or all of it): it answers for each
        ("Are backups and logs encrypted?", "Are backups encrypted?", True),
        (
            "Do employees and contractors receive security training?",
            "Do employees receive security training?",
            True,
        ),
        (
            "Are encryption keys managed in a key management service with rotation?",
            "Are encryption keys stored in a KMS and rotated?",
            True,
        ),
    ],
)
def test_a_second_thing_joined_by_and_is_not_written_from_one(embedder, bank, asked, written):
    assert_written(embedder, bank, asked, written)


@pytest.mark.parametrize(
    ("text", "handling"),
    [
        ("Do you store, process or transmit cardholder data?", {"store", "process", "transmit"}),
        ("Is customer information sold to advertisers?", {"sell"}),
        # a verb joined to another reaches as far as it does
        ("Does Third Party share or transfer any Mativ data with any fourth party?", {"share", "transmit"}),
        ("Do you collect, store, share or sell any student data?", {"collect", "store", "share", "sell"}),
        # nouns, not handling: "a process for", "the use of"; "using" names the means
        ("Do you have a documented process for data retention?", set()),
        ("Do you restrict the use of customer data?", set()),
        ("Is data in transit encrypted using TLS 1.2?", set()),
        ("Do you use MFA?", set()),
    ],
)
def test_handling_reads_verbs_next_to_the_data(text, handling):
    assert facets(text).handling == handling


@pytest.mark.parametrize(
    ("text", "populations"),
    [
        ("Is MFA available to customers?", {"customer"}),
        # a thing of the customer's, not the customers: "customer-based SSO", "customer-facing"
        ("Do you support existing customer-based Single Sign On (SSO) solutions?", set()),
        ("Are customer-facing systems patched monthly?", set()),
        ("Do you support customer-managed keys?", set()),
    ],
)
def test_a_customer_compound_names_no_population(text, populations):
    assert facets(text).populations == populations


@pytest.mark.parametrize(
    ("text", "conjuncts"),
    [
        ("Are backups and logs encrypted?", (frozenset({"backup"}), frozenset({"log"}))),
        ("Are servers and laptops patched monthly?", (frozenset({"serv"}), frozenset({"laptop"}))),
        # two states of one thing, generic words, an example, "and/or" (an alternative)
        ("Is physical access restricted and controlled?", ()),
        ("Do you have policies and procedures for patching?", ()),
        ("Is data encrypted (e.g. backups and logs)?", ()),
        ("Are backups and/or logs encrypted?", ()),
        # past a generic pair or two states, the first "and" joining two things
        (
            "Are policies and procedures established for encrypting backups and logs?",
            (frozenset({"backup"}), frozenset({"log"})),
        ),
        ("Is access restricted and controlled for servers and laptops?", (frozenset({"serv"}), frozenset({"laptop"}))),
        ("Are policies and procedures documented, evaluated, and maintained?", ()),
    ],
)
def test_conjuncts_read_the_words_either_side_of_and(text, conjuncts):
    assert _conjuncts(text) == conjuncts


def test_alternatives_read_past_a_generic_pair():
    assert _alternatives("Do you have a policy or procedure for using a WAF or SPI firewall?") == (
        frozenset({"waf"}),
        frozenset({"spi"}),
    )
    assert _alternatives("Do you have a policy or procedure for firewalls?") == ()


def test_only_the_first_joins_of_a_long_text_are_read():
    generic = "policies and procedures " * 20  # every join generic: read up to _MAX_JOINS of them
    assert _conjuncts(f"Are {generic} kept for backups and logs?") == ()


@pytest.mark.parametrize(
    ("bank", "asked", "written"),
    [
        # a public network is the other kind of network than an internal one
        (
            "Do you encrypt data in transit over public networks?",
            "Do you encrypt data in transit over internal networks?",
            False,
        ),
        ("Is all traffic over the internet encrypted?", "Is all traffic on internal networks encrypted?", False),
        (
            "Do you encrypt data in transit over public networks?",
            "Is data in transit over public networks encrypted?",
            True,
        ),
        # testing a plan is more than having it
        ("Do you have a disaster recovery plan?", "Do you test your disaster recovery plan?", False),
        ("Do you have a business continuity plan?", "Is your business continuity plan tested?", False),
        ("Do you test your disaster recovery plan?", "Is the disaster recovery plan tested?", True),
        # having a policy is not employees acknowledging it, nor reviewing it
        ("Do you have an acceptable use policy?", "Do employees acknowledge the acceptable use policy?", False),
        ("Do you have an information security policy?", "Is the information security policy reviewed?", False),
        ("Do you have an information security policy?", "Is there an information security policy?", True),
        # ... nor does its No answer having one
        ("Do you test your disaster recovery plan?", "Do you have a disaster recovery plan?", False),
        ("Do you have a documented disaster recovery plan?", "Is there a disaster recovery plan?", True),
        # a policy is not the procedures that carry it out, either way round; a plan is either
        ("Do you have an incident response policy?", "Do you have incident response procedures?", False),
        ("Do you have incident response procedures?", "Do you have an incident response policy?", False),
        ("Do you have an incident response plan?", "Do you have incident response procedures?", True),
        ("Do you have incident response policies and procedures?", "Do you have an incident response policy?", True),
    ],
)
def test_another_kind_of_network_or_testing_a_plan_is_not_written(embedder, bank, asked, written):
    assert_written(embedder, bank, asked, written)


@pytest.mark.parametrize(
    ("bank", "asked", "written"),
    [
        # administrators are not all users, nor user accounts privileged ones
        ("Is MFA required for administrators?", "Is MFA required for all users?", False),
        ("Are user accounts reviewed quarterly?", "Are privileged accounts reviewed quarterly?", False),
        ("Is MFA required for all users?", "Is multi-factor authentication required for all users?", True),
        # a customer's administrators are the customer
        ("Can customers view audit logs?", "Can customer administrators view audit logs?", True),
        # salted, a separate region, a security code review: stronger forms
        ("Are passwords hashed?", "Are passwords salted and hashed?", False),
        ("Is customer data backed up?", "Is customer data backed up to a separate region?", False),
        ("Do you perform code reviews?", "Do you perform security code reviews?", False),
        # only in a region, free on every plan, in a given format, inside the internal network
        ("Is customer data stored in the EU?", "Is customer data stored only in the EU?", False),
        ("Do you support SSO?", "Do you support SSO for free on all plans?", False),
        ("Do you support data export?", "Do you support data export in CSV format?", False),
        ("Do you encrypt data in transit?", "Do you encrypt data in transit within your internal network?", False),
        ("Is customer data stored only in the EU?", "Is customer data stored in the EU?", True),
        # production is not non-production; write access, an in-house SOC and "by default"
        # ask more than access, a SOC and support
        (
            "Is customer data used in non-production environments?",
            "Is customer data used in production environments?",
            False,
        ),
        ("Do developers have access to production?", "Do developers have write access to production?", False),
        ("Do you have a SOC?", "Do you have an in-house SOC?", False),
        ("Do you outsource your SOC?", "Do you have an in-house SOC?", False),
        (
            "Do you support encryption of data at rest?",
            "Is encryption of data at rest enabled by default?",
            False,
        ),
        ("Do you use AI in your product?", "Do you use generative AI in your product?", False),
        ("Do you perform static analysis?", "Do you perform static analysis on every commit?", False),
        ("Do you use generative AI in your product?", "Is generative AI used in your product?", True),
        # the end of a contract is an event of its own
        ("Are backups retained for 30 days?", "Are backups retained for 30 days after contract termination?", False),
        ("Can customers export their data?", "Can customers export their data after the subscription ends?", False),
        ("Can customers export their data at contract termination?", "Can customers export their data?", True),
        # administrators named by the entry only: its Yes is not for everyone
        ("Are admin sessions timed out?", "Are user sessions timed out?", False),
        (
            "Does the product support single sign-on for users and administrators?",
            "Does the product support single sign-on?",
            True,
        ),
        # reading the data is not changing it
        ("Do you log all access to customer data?", "Do you log all changes to customer data?", False),
        # a data subject's request to see their data is not one to delete it
        ("Do you support data subject access requests?", "Do you support data subject deletion requests?", False),
        (
            "Can users request deletion of their personal data?",
            "Can users request access to their personal data?",
            False,
        ),
        (
            "Do you have a process to respond to data subject requests?",
            "Do you have a process to respond to data subject access requests?",
            True,
        ),
        # privacy, and vendors' risk, are their own subjects, either way round
        ("Do you have a security awareness program?", "Do you have a privacy awareness program?", False),
        ("Do you conduct annual risk assessments?", "Do you conduct annual vendor risk assessments?", False),
        ("Do you conduct annual vendor risk assessments?", "Do you conduct annual risk assessments?", False),
        (
            "Do you assess the security risk of vendors before onboarding?",
            "Are vendors assessed for security risk before onboarding?",
            True,
        ),
    ],
)
def test_another_population_subject_or_stronger_form_is_not_written(embedder, bank, asked, written):
    assert_written(embedder, bank, asked, written)


@pytest.mark.parametrize(
    ("text", "populations", "topics"),
    [
        ("Is MFA required for administrators?", {"privileged"}, set()),
        ("Is MFA required for administrative access?", {"privileged"}, set()),
        ("Is MFA required for all users?", {"allusers"}, set()),
        ("Is SSO supported for user and administrator authentication?", {"allusers"}, set()),
        ("Are admin sessions timed out?", {"privileged"}, set()),
        ("Can customer administrators view audit logs?", {"customer"}, set()),
        ("Does the admin console support SSO?", set(), set()),
        ("Does the solution comply with the Family Educational Rights and Privacy Act?", set(), set()),
        ("Do you have a privacy officer?", set(), {"privacy"}),
        ("Are third parties assessed before onboarding?", set(), {"vendorrisk"}),
        # the third party that audits the company is no vendor being checked
        ("Is the application assessed by a third party?", set(), set()),
        ("Have you had a third-party security assessment?", set(), set()),
        ("Will data be shared with third parties?", set(), set()),
    ],
)
def test_populations_and_subjects_read_from_the_wording(text, populations, topics):
    f = facets(text)
    assert (f.populations, f.topics) == (populations, topics)


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("Is customer data used in non-production environments?", {"prod-"}),
        ("Is customer data used in production environments?", {"prod+"}),
        # production data in a test environment names both: no other kind than either
        ("Is production customer data used in test or development environments?", {"prod+", "prod-"}),
        ("Do you have an in-house SOC?", {"inhouse+"}),
        ("Can users request access to their personal data?", {"dsr+"}),
        ("Do you honour erasure requests?", {"dsr-"}),
    ],
)
def test_production_and_in_house_kinds_read_from_the_wording(text, kinds):
    assert facets(text).kinds == kinds


@pytest.mark.parametrize(
    ("bank", "asked", "written"),
    [
        # using or supporting a control is not requiring it
        ("Do you use a password manager?", "Do you require employees to use a password manager?", False),
        ("Do you use a password manager?", "Are employees required to use a password manager?", False),
        ("Do you support SSO?", "Do you require SSO?", False),
        ("Do you support SSO?", "Is SSO enforced?", False),
        # a requirement answers the use, and a requirement however worded
        ("Do you require employees to use a password manager?", "Do employees use a password manager?", True),
        ("Is SSO required for all users?", "Is SSO enforced for all users?", True),
    ],
)
def test_a_requirement_is_not_written_from_use_or_support(embedder, bank, asked, written):
    assert_written(embedder, bank, asked, written)


@pytest.mark.parametrize(
    ("text", "qualifiers", "offered"),
    [
        ("Do you use a password manager?", set(), True),
        ("Are you using a password manager?", set(), True),
        ("Do you support SSO?", set(), True),
        ("Do you require employees to use a password manager?", {"required"}, False),
        ("Is MFA enforced for administrators?", {"required"}, False),
        # the means, not the use; a noun, not a requirement
        ("Is data in transit encrypted using TLS 1.2?", set(), False),
        ("Do you have password complexity requirements?", set(), False),
    ],
)
def test_requirements_and_offers_read_from_the_wording(text, qualifiers, offered):
    f = facets(text)
    assert (f.qualifiers, f.offered) == (qualifiers, offered)


@pytest.mark.parametrize(
    ("bank", "asked", "written"),
    [
        # a firewall's rules are a narrower object than the firewall
        ("Are firewalls reviewed?", "Are firewall rules reviewed?", False),
        ("Are firewalls reviewed?", "Is the configuration of the firewalls reviewed?", False),
        ("Are firewall rules reviewed?", "Are the rules on your firewalls reviewed?", True),
        ("Are firewall rules reviewed?", "Are firewalls reviewed?", True),
        # a bug bounty open to the public is one kind of bug bounty (a private one is the other)
        ("Do you have a bug bounty program?", "Do you have a public bug bounty program?", False),
        ("Do you have a bug bounty program?", "Is your bug bounty program public?", False),
        ("Do you have a bug bounty program?", "Do you run a bug bounty program?", True),
        ("Do you have a public bug bounty program?", "Do you have a bug bounty program?", True),
        # a control scoped to the API: the product may apply it to its interface only
        ("Do you support IP allowlisting?", "Do you support IP allowlisting for API access?", False),
        ("Do you support IP allowlisting for API access?", "Do you support IP allowlisting on the API?", True),
        ("Do you support IP allowlisting for API access?", "Do you support IP allowlisting?", True),
        # fine-tuning another company's model is not training one's own (held by the words)
        ("Do you train AI models on customer data?", "Do you fine-tune third-party AI models on customer data?", False),
        ("Do you train AI models on customer data?", "Is customer data used to train AI models?", True),
    ],
)
def test_a_narrower_object_or_scope_is_not_written(embedder, bank, asked, written):
    assert_written(embedder, bank, asked, written)
