"""Shared set-up of the matching rule tests (test_matching_qa, test_matching_siblings):
every case runs against a few unrelated filler entries, in both modes of the matcher (the
``embedder`` fixture in conftest: the lexical fallback and, when the MiniLM package is
installed, the dense path the product uses)."""

from __future__ import annotations

from answers.matching import BankEntry, BankIndex, Query, Suggestion

FILLER = [
    BankEntry(101, "Is multi-factor authentication required for administrative access?", answer="Yes"),
    BankEntry(102, "Is customer data encrypted at rest?", answer="Yes"),
    BankEntry(103, "Do you conduct an external penetration test at least annually?", answer="Yes"),
    BankEntry(104, "Are backups of customer data performed daily?", answer="Yes"),
    BankEntry(105, "Does the application support single sign-on (SSO) via SAML 2.0?", answer="Yes"),
]
WRITTEN = ("exact", "high")


def match(embedder, entries, text) -> Suggestion:
    return BankIndex.build([*entries, *FILLER], embedder=embedder).match([Query(text)])[0]
