"""The ranking step's fast forms give what the code they replaced gave: the near
spellings rapidfuzz's extractOne finds, the token sort and token set ratios from tokens
sorted once per text, and per query the same best pair of each entry in the same order
(ties included), so suggestions do not change."""

from __future__ import annotations

import random

import numpy as np
import pytest
from rapidfuzz import fuzz, process

from answers.matching import NEAR_SPELLING, BankEntry, BankIndex, _sorted_tokens, _Spellings

# stems the stemmer leaves apart, near misses and words far from everything
WORDS = (
    "encrypt encrypts encryption encrypted decrypt crypt log logs login logon logging backup backups "
    "back restore restored retention retain retained review reviewed reviews revie policy policies "
    "polcy vendor vendors vender mfa sso tls ssl soc2 soc1 iso27001 freqyear freqmonth a ab abc"
).split()
#: 20 letters each, 3 substitutions apart: fuzz.ratio exactly NEAR_SPELLING (34 of 40 kept)
BOUNDARY = ("abcdefghijklmnopqrst", "abcdefghijklmnopqXYZ")


def test_near_spellings_are_the_ones_extract_one_finds():
    assert fuzz.ratio(*BOUNDARY) == NEAR_SPELLING  # the cut itself is covered
    assert fuzz.ratio(BOUNDARY[0], "abcdefghijklmnopWXYZ") < NEAR_SPELLING
    words = [*WORDS, *BOUNDARY, "abcdefghijklmnopWXYZ"]
    rng = random.Random(3)
    batch = _Spellings()  # one memory across every question, as in a batch
    for _ in range(3000):
        word = rng.choice(words)
        others = frozenset(rng.sample(words, rng.randint(1, 8))) - {word}
        found = process.extractOne(word, others, scorer=fuzz.ratio, processor=None, score_cutoff=NEAR_SPELLING)
        assert batch.any_near(word, others) == (found is not None), (word, sorted(others))
        assert _Spellings().any_near(word, others) == (found is not None)


def reference_candidates(
    index: BankIndex, q_rows: np.ndarray, ph_rows: np.ndarray, score: np.ndarray, inverted: np.ndarray, n: int
) -> list[list[tuple[float, int, int, bool]]]:
    """What the engine did before: per query, a dict of each entry's best pair (a later
    pair replaces it only with a higher score), then a stable sort by falling score and
    entry id (equal ids keep the order entries were first met in)."""
    best: list[dict[int, tuple[float, int, int, bool]]] = [{} for _ in range(n)]
    for j, d, s, inv in zip(q_rows.tolist(), ph_rows.tolist(), score.tolist(), inverted.tolist(), strict=True):
        e = int(index._ph_entry[d])
        if e not in best[j] or s > best[j][e][0]:
            best[j][e] = (s, e, d, inv)
    return [sorted(b.values(), key=lambda r: (-r[0], index.entries[r[1]].entry_id)) for b in best]


def test_each_entry_s_best_pair_is_ranked_as_before_ties_included():
    rng = random.Random(5)
    # entry ids repeat (a snapshot row per revision): the first pair met decides between them
    entries = [
        BankEntry(entry_id=i // 3, question=f"Question {i}?", alternates=(f"Alternate {i}?", f"Other {i}?"))
        for i in range(60)
    ]
    index = BankIndex.build(entries)
    n_ph = len(index._ph_text)
    for n_queries in (1, 7, 40):
        q_rows, ph_rows = [], []
        for j in range(n_queries):
            picked = sorted(rng.sample(range(n_ph), rng.randint(0, 40)))
            q_rows += [j] * len(picked)
            ph_rows += picked
        q, ph = np.asarray(q_rows, dtype=np.int64), np.asarray(ph_rows, dtype=np.int64)
        score = np.asarray([rng.choice([40.0, 55.5, 70.0, 70.0, 81.25, 100.0]) for _ in q_rows])  # many ties
        inverted = np.asarray([rng.random() < 0.2 for _ in q_rows], dtype=bool)
        got = index._candidates(q, ph, score, inverted, n_queries)
        assert got == reference_candidates(index, q, ph, score, inverted, n_queries)


@pytest.mark.parametrize(
    "left,right",
    [
        ("mfa vpn access", "access admin mfa"),
        ("log log retain", "retain log"),  # repeated tokens count in the sort ratio
        ("b a", "a b"),
        ("zeta alpha 2fa 10 9", "9 10 alpha"),
        ("données chiffr élevé", "élevé donné chiffr"),  # latin-1: compared by code point
        ("日本 データ 暗号", "データ 暗号化 日本"),
        ("α β γ", "γ α"),
        ("", "access"),
        ("", ""),
    ],
)
def test_sorted_tokens_give_the_token_sort_and_set_ratios(left, right):
    words = [*WORDS, "données", "élevé", "Zulu", "zulu", "日本", "データ"]
    rng = random.Random(len(left) + len(right))
    cases = [(left, right)] + [(" ".join(rng.sample(words, 4)), " ".join(rng.choices(words, k=5))) for _ in range(200)]
    for a, b in cases:
        sa, sb = _sorted_tokens(a.split()), _sorted_tokens(b.split())
        assert fuzz.ratio(sa, sb) == fuzz.token_sort_ratio(a, b, processor=None)
        assert fuzz.token_set_ratio(sa, sb, processor=None) == fuzz.token_set_ratio(a, b, processor=None)
