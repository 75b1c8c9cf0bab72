"""Matching mistakes found by exploratory QA, each with the plain case that must still match.

Synthetic text only. Every case runs on the lexical fallback and, when the MiniLM package is
installed, on the dense path the product uses (``answers.embeddings``).
"""

from __future__ import annotations

import pytest

from answers import embeddings
from answers.matching import BankEntry, BankIndex, Query

FILLER = [
    BankEntry(101, "Is multi-factor authentication required for administrative access?", answer="Yes"),
    BankEntry(102, "Is customer data encrypted at rest?", answer="Yes"),
    BankEntry(103, "Do you conduct an external penetration test at least annually?", answer="Yes"),
    BankEntry(104, "Are backups of customer data performed daily?", answer="Yes"),
    BankEntry(105, "Does the application support single sign-on (SSO) via SAML 2.0?", answer="Yes"),
]
WRITTEN = ("exact", "high")


@pytest.fixture(scope="module", params=["lexical", "dense"])
def embedder(request):
    if request.param == "lexical":
        return None
    emb = embeddings.load_embedder()
    if emb is None:
        pytest.skip("embedding packages not installed: lexical mode only")
    return emb


def match(embedder, entries, text):
    return BankIndex.build([*entries, *FILLER], embedder=embedder).match([Query(text)])[0]


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
