"""The short-list step's top-k (block maxima bound, then a small partition) gives exactly the
candidates the plain per-row argpartition gives, so suggestions do not change."""

from __future__ import annotations

import random

import numpy as np
import pytest

from answers import matching
from answers.matching import BankEntry, BankIndex, Query, _top_k, canonical_tokens


def reference_top_k(scores: np.ndarray, k: int, *, floor: float) -> list[np.ndarray]:
    """What the engine did before: a full argpartition of every row."""
    out = []
    for row in scores:
        top = np.argpartition(-row, k - 1)[:k]
        out.append(top[row[top] > floor])
    return out


@pytest.mark.parametrize("floor", [0.0, -2.0])
def test_top_k_equals_full_argpartition_including_ties(floor):
    rng = np.random.default_rng(5)
    scores = rng.standard_normal((64, 6000)).astype(np.float32)
    scores[::4] = np.round(scores[::4], 1)  # many exact ties around the cut
    scores[1::4, 100:] = floor  # fewer than k above the floor
    scores[2::4, :] = floor
    scores[3::4, :50] = 9.0  # 50 tied at the top: more than k
    got = _top_k(scores, 20, floor=floor)
    want = reference_top_k(scores, 20, floor=floor)
    for g, w in zip(got, want, strict=True):
        assert sorted(g.tolist()) == sorted(w.tolist())
    assert all(len(g) == 0 for g in got[2::4])


class BagEmbedder:
    name = "bag"

    def encode(self, texts):
        out = np.zeros((len(texts), 48), dtype=np.float32)
        for i, t in enumerate(texts):
            for tok in canonical_tokens(t):
                out[i, sum(map(ord, tok)) % 48] += 1.0
            out[i] /= max(float(np.linalg.norm(out[i])), 1e-9)
        return out


WORDS = (
    "access account admin audit backup breach change cloud code customer data database deletion device "
    "disaster encryption endpoint firewall identity incident key laptop log malware monitoring network "
    "password patch penetration physical privacy recovery retention risk role scan server session storage "
    "supplier test training vulnerability wireless"
).split()


def synthetic(n_entries: int, seed: int = 3) -> tuple[list[BankEntry], list[Query]]:
    rng = random.Random(seed)

    def sentence() -> str:
        return "Do you " + " ".join(rng.sample(WORDS, rng.randint(4, 8))) + "?"

    entries = [
        BankEntry(
            entry_id=i + 1,
            question=sentence(),
            answer=rng.choice(["Yes", "No"]),
            alternates=(sentence(),),
            products=("API",) if i % 5 == 0 else (),
        )
        for i in range(n_entries)
    ]
    queries = [Query(rng.choice(entries).question.replace("Do you", "Does the vendor")) for _ in range(100)]
    queries += [Query("Is " + " ".join(rng.sample(WORDS, 6)) + " in place?") for _ in range(100)]
    return entries, queries


@pytest.mark.parametrize("dense", [False, True])
def test_suggestions_identical_to_full_argpartition_on_a_synthetic_bank(monkeypatch, dense):
    entries, queries = synthetic(2600)  # 5,200 phrasings: the block bound is in use
    index = BankIndex.build(entries, embedder=BagEmbedder() if dense else None)
    fast = index.match(queries) + index.match(queries, product="API")
    monkeypatch.setattr(matching, "_top_k", reference_top_k)
    slow = index.match(queries) + index.match(queries, product="API")
    assert fast == slow
    assert sum(s.tier in ("high", "review") for s in fast) > 100  # the comparison covers real matches


class CountingBag(BagEmbedder):
    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def encode(self, texts):
        self.calls.append(list(texts))
        return super().encode(texts)


def test_questions_worded_like_bank_texts_reuse_the_bank_vectors():
    entries, _ = synthetic(200)
    emb = CountingBag()
    index = BankIndex.build(entries, embedder=emb)
    queries = [Query("3. " + entries[6].question), Query(entries[7].alternates[0]), Query("Is a brand new text here?")]
    emb.calls.clear()
    reused = index.match(queries)
    assert emb.calls == [["Is a brand new text here?"]]
    index._ph_row_of_hash.clear()  # force encoding every question
    assert index.match(queries) == reused
    assert [s.entry_id for s in reused[:2]] == [7, 8]  # company-wide entries (every fifth is scoped)


@pytest.mark.parametrize("bank", [[], [BankEntry(1, "Is data encrypted?", answer="Yes", status="retired")]])
def test_an_empty_bank_in_dense_mode_answers_nothing(bank):
    index = BankIndex.build(bank, embedder=CountingBag())
    (s,) = index.match([Query("Is data encrypted?")])
    assert s.entry_id is None and s.tier == "none"
