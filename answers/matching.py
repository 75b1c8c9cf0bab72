"""Pure matching engine: index a bank snapshot, rank candidates, score, tier.

No Flask, no SQLModel, no other `answers` module: plain frozen dataclasses in and out.

Contract
--------
``index = BankIndex.build(entries, embedder=None, vectors=None, analyses=None)`` once per bank snapshot
(``index.fingerprint`` / ``snapshot_fingerprint(entries, embedder)`` say when a cached
index is stale), then ``index.match(queries, product=None) -> list[Suggestion]`` for all
questions of a questionnaire in one batch, in input order.

Pipeline
--------
1. Exact: normalised text equal to an entry's question or alternate; else the same
   question id within the same version line (``hecvat-3`` ids never match ``hecvat-4``;
   a home-made questionnaire's numbers, version line ``generic``, never match; an id the
   bank holds for two different questions matches nothing by itself).
   Exact needs an approved, non-stale entry; otherwise it is capped at ``review``.
2. Retrieval: a BM25 short list over canonical tokens (normalised, acronyms and
   synonyms folded: MFA = multi-factor = two-factor = 2FA, pen test = penetration test,
   SOC 2, PII, BCP/DR, at rest, in transit, TLS/SSL, ...), plus a dense cosine short list
   when an embedder is present.
3. Rerank the short list: rapidfuzz token_set / token_sort ratios (``process.cpdist``
   over all (query, candidate) pairs at once) combined with the dense cosine, minus a
   false-friend penalty for distinguishing content words present on one side only
   ("MFA for VPN access" vs "MFA for administrative access"), a negation mismatch in
   the main clause or an opposite word ("plaintext" vs "hashed", "disabled" vs
   "enabled"), different numbers or named plans and regimes (BCP vs DRP, HIPAA vs
   FERPA), a governance lifecycle against a single fact, a different leading condition
   ("For customers not using SSO, ..."), a second question joined to the first on one
   side only or alternatives of which the other side names one ("a WAF and/or SPI
   firewall" vs "an SPI firewall"), another party named on one side only ("your hosting
   provider" vs "you"; "the vendor" is the respondent), a facet that differs (how often,
   for whom, where, which control verb, the data's state, a stronger form of the control
   only the question names: ``facets``, the bank side read with its entry's question and
   comment), and IDF-weighted words one side adds.
4. Tier: ``exact``; ``high`` (score >= the mode's high threshold, a clear margin over
   any rival entry with a different answer, approved and not stale); ``review``;
   ``none``. A candidate asking the opposite of the question is ``none`` whatever its
   score (still ranked: a weak candidate for the reviewer).

Products: an entry scoped to products is a candidate only for a questionnaire answered
for one of them; company-wide entries (no products) are candidates everywhere; a
questionnaire with no product sees only company-wide entries. Product-scoped entries win
over company-wide ones at equal quality (``PRODUCT_BONUS``). Retired entries never appear.

Lexical fallback: without an embedder (the optional model package absent or its
checksum wrong, see ``answers.embeddings``) the same pipeline runs on lexical evidence
alone with its own, stricter thresholds.

Calibration (bench/bench_matching.py on bench/paraphrases.py: 80 canonical questions,
180 labelled paraphrases in SIG / HECVAT / CAIQ styles, 40 questions without a right
answer, half of them near misses; 2 shared cores, 2026-11). "written" = exact + high.

    mode      top-1   written precision   written coverage   no-answer written
    dense     0.994   1.000 (70 written)  0.389              0 of 40   (int8, fused layers)
    dense     0.989   1.000 (72 written)  0.400              0 of 40   (float MatMuls)
    lexical   0.894   1.000 (53 written)  0.294              0 of 40

(Dense rows since bare acronyms are spelled out for the embedder, ``embed_text``: 65 and
66 written before; the corpus figures below did not move.)

Threshold sweep behind the constants (precision / coverage of written answers):
dense high >= 62: 0.96 / 0.53, >= 65: 0.99 / 0.48, >= 68: 1.00 / 0.41 -> HIGH_SCORE_DENSE 70;
lexical >= 65: 0.99 / 0.41, >= 74: 1.00 / 0.33 -> HIGH_SCORE_LEXICAL 75. The highest-scoring
wrong candidates are near misses caught by the penalties (different number, negation,
SOC 1 vs SOC 2, Canada vs United States); about 40% of the right paraphrases land in
review.

Corpus check (bench/bench_corpus_eval.py; the HECVAT 3.04 -> 4.1.4 evaluation is labelled
by hand, bench/labels/): same-product carry-over writes 100% of the answerable questions
(precision 97.7% HECVAT, 100% CAIQ: the misses are answers the vendor changed); the
rewritten HECVAT 4 gets 96.3% coverage at 97.0% precision. Its dense threshold sweep
(precision / coverage) confirms 70 as the lowest threshold reaching 97%: >= 64: 93.0 / 97.8,
>= 66: 94.3 / 97.8, >= 68: 95.0 / 97.1, >= 70: 97.0 / 96.3, >= 72: 97.0 / 95.6, >= 80:
97.0 / 94.1. The wrong answers left score 79-100 (a compound question HECVAT 3 asked as
two, "and/or" against "and", an added "overlay" clause), so above 70 the penalties decide,
not the threshold: the condition penalty took precision 93.7% -> 96.3%, the stronger
added-words penalty (4 points a word up to 5 words, was 3 up to 2) 96.3% -> 97.0% at the
cost of one paraphrase. Across families (HECVAT 3.04 -> CAIQ 3.0.1, labelled) only 6 of
295 questions are the same question; 1 is written, the rest score 9-52 (the model does
not equate "identity federation standards" with "Web SSO standards"). A related question
written at 71 ("store encryption keys in the cloud" from "your cloud vendor has access to
your encryption keys") led to folding "your cloud vendor / hosting provider" into
third party: now 42, nothing else moved. A customer's own questionnaire and the Google
VSAQ against a HECVAT + CAIQ bank: 1 of 17 same questions written; the one wrong answer
there (a question asking two things from an entry answering one) led to the compound
penalty. The rules from exploratory QA (opposite words, named plans and regimes, either-or
alternatives, another party, labels capped in ``answers.suggest``) moved no written answer
in any of these evaluations, dense or lexical; they remove review suggestions that
answered another question (own privacy policy for "your providers adhere to your
policies"), and "the Third Party" read as the respondent offers the equivalent entry for
5 of 6 answerable questions of the customer's questionnaire (was 4).

Near siblings (QA round 2): on QA's synthetic 5,270-entry bank of templated questions
(verb x object x qualifier) with 1,000 questions, 92 of the 365 confident answers came from
an entry asking another question ("in every region" from "in the US region" at 99, "restrict
access to" from "review access to"); the facets, the swap floor and counted control verbs
take that to 32 (lexical 64 -> 26), with ``answers.suggest``'s verdict rivals 23, at no cost
in right confident answers. The paraphrase set keeps its written answers (top-1 rises to
0.989 dense, 0.894 lexical); the corpus evaluations write the same answers.

Speed (bench/bench_matching.py: 2,000 questions vs 5,000 entries / 20,000 phrasings, 2
shared cores): build 1.2-1.3 s (rebuild after a bank edit 0.3 s); lexical match 0.7-0.9 s,
67 MiB peak traced; dense match with the bank vectors stored, 2,000 never-seen questions:
median of five runs 2.5-2.8 s, about 1.5 s of it encoding them (fused int8 MiniLM, about
1,250 a second), 1.0-1.2 s when the questions have been seen before; 149 MiB peak traced.
These figures predate the ranking step's rework (2026-11-29: pairs held in arrays, not
objects, whose 80,000 per batch cost a full garbage collection; each text's words read
once; tokens sorted once per text for the token sort ratio; near spellings remembered per
batch). On 2 shared EPYC cores without VNNI, medians of seven A/B runs in one process,
results identical: dense ranking with the questions' vectors cached 2.6-3.0 -> 1.7-1.8 s,
lexical match of never-seen questions 1.9-2.3 -> 1.4 s (bench/bench_matching.py there:
dense never-seen 9.9 -> 8.8 s with the float encoder at 280-310 a second; 7.5 s with the
int8 encoder on AVX2, 400 a second, whose 4.8 s of encoding the 3 s target cannot absorb).
A build works out each phrasing's ``Analysis`` (0.3 ms of regex work a text): callers
store them (``dump_analysis``) and pass them back, keyed by ``analysis_key`` and valid for
one ``ANALYSIS_VERSION``, so a process's first build of a stored bank reads them instead
(autofill of the HECVAT 4 blank against 5,000 entries on the AVX2 machine: first run
6.4-7.1 -> 3.0-3.7 s).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, Protocol

import numpy as np
from rapidfuzz import fuzz, process

try:  # CPython's regex parser: only to find the literal parts of the phrase patterns
    from re import _constants as _sre
    from re import _parser as _sre_parse_module

    _sre_parse = _sre_parse_module.parse
except ImportError:  # pragma: no cover - another Python: every pattern always runs
    _sre = None

    def _sre_parse(source: str) -> list:
        raise ImportError("no regex parser")


_SPACE = re.compile(r"\s+")
_PUNCT = re.compile(r"[^\w\s]")
_LEADING_NUMBER = re.compile(r"^\s*(?:\(?[0-9]+(?:\.[0-9]+)*[.)]?|\(?[a-z][.)])\s+", re.IGNORECASE)


def normalise(text: str) -> str:
    """Case-, punctuation- and whitespace-insensitive form used for exact matching.

    Leading numbering ("12. ", "(a) ") is dropped: it is layout, not the question.
    """
    text = unicodedata.normalize("NFKC", text or "").casefold()
    text = _LEADING_NUMBER.sub("", text)
    text = _PUNCT.sub(" ", text)
    return _SPACE.sub(" ", text).strip()


# ---------------------------------------------------------------------------
# Tunables (calibrated with bench/bench_matching.py; see the module docstring)
# ---------------------------------------------------------------------------

#: Dense mode (embedder present): combined = DENSE_WEIGHT * cosine score + rest * lexical.
DENSE_WEIGHT = 0.7
#: Cosine mapped linearly onto 0-100: COS_FLOOR -> 0, COS_CEIL -> 100.
COS_FLOOR = 0.25
COS_CEIL = 0.95
HIGH_SCORE_DENSE = 70
REVIEW_SCORE_DENSE = 50
HIGH_SCORE_LEXICAL = 75
REVIEW_SCORE_LEXICAL = 50
#: A high needs this many points over the best rival entry whose answer differs.
HIGH_MARGIN = 4
#: Added to product-scoped entries so they beat company-wide ones at equal quality.
PRODUCT_BONUS = 2
#: Penalties (points) for false friends.
SUBSTITUTION_PENALTY = 10.0
SWAP_PENALTY = 25.0
#: ... at least this share of it, however common the swapped words are in the bank: in a
#: large bank of templated questions every word is common, and "restrict access to" against
#: "review access to" is still another question (QA's 5,270-entry bank: wrong confident
#: answers 44 of 1,000 against 60 without the floor; the paraphrase set does not move).
SWAP_FLOOR = 0.5
EXTRA_WORD_PENALTY = 4.0
#: ... counted for at most this many (IDF-weighted) words
EXTRA_WORD_CAP = 5.0
NEGATION_PENALTY = 35.0
SPECIFIER_PENALTY = 35.0
#: A number only the question states (the bank entry states none).
QUERY_FIGURE_PENALTY = 35.0
#: One side asks about a whole governance lifecycle (CCM/CAIQ: "established, documented,
#: approved, communicated, applied, evaluated, and maintained"), the other about one
#: fact ("documented", "mandatory"): a Yes to the fact does not attest the lifecycle.
LIFECYCLE_PENALTY = 20.0
#: The two questions are asked under different leading conditions, or one under a
#: condition the other lacks ("For customers not using SSO, does the application support
#: directory integration?" against the same question unconditioned): the answer given
#: for one population does not necessarily hold for the other, so a person checks.
CONDITION_PENALTY = 25.0
#: One side asks a second thing in the same question ("Is the process documented, and
#: does it classify changes by impact?"), the other does not: an answer to the one
#: thing is no answer to both (``asks_two_things``).
COMPOUND_PENALTY = 25.0
#: One side asks about another party (the hosting provider, subprocessors, suppliers) and
#: the other does not name that kind of party: "Does your hosting provider have a SOC 2
#: report?" is not answered by the vendor's own SOC 2 report (``_PARTIES``).
PARTY_PENALTY = 35.0
#: Per facet (``facets_differ``: frequency, population, region, control verb) in which
#: the query differs from the bank phrasing read with its entry ("tested at least
#: monthly" against an entry tested annually; "for customers" against "for employees").
FACET_PENALTY = 35.0
#: Short-list sizes per query.
SPARSE_K = 20
DENSE_K = 20
#: Pairs per query whose false-friend penalty is computed (best first by raw score).
PENALTY_K = 8
ALTERNATIVES = 5

TIERS = ("exact", "high", "review", "none")
_TIER_RANK = {t: i for i, t in enumerate(TIERS)}

# ---------------------------------------------------------------------------
# Data shapes
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BankEntry:
    """One bank entry as the engine sees it (a snapshot row, not the ORM model)."""

    entry_id: int
    question: str
    answer: str = ""
    comment: str = ""
    alternates: tuple[str, ...] = ()
    status: str = "approved"  # 'approved' | 'draft' | 'retired'
    stale: bool = False
    products: tuple[str, ...] = ()  # empty: company-wide
    family: str = ""
    version_line: str = ""  # e.g. 'hecvat-3'
    question_id: str = ""


#: Alias kept for callers that think of the snapshot as texts.
BankText = BankEntry


@dataclass(frozen=True)
class Query:
    """One questionnaire question to answer."""

    text: str
    question_id: str = ""
    version_line: str = ""
    choices: tuple[str, ...] = ()
    product: str | None = None


@dataclass(frozen=True)
class Alternative:
    entry_id: int
    score: int
    tier: str


@dataclass(frozen=True)
class Suggestion:
    """Best entry for one query (entry_id None when the bank has no candidate at all)."""

    entry_id: int | None
    score: int
    tier: str
    matched_text: str = ""
    alternatives: tuple[Alternative, ...] = ()
    #: the entry, giving another answer or comment, whose score within HIGH_MARGIN held a
    #: top scoring high for review (None: no such rival decided the tier)
    margin_rival: int | None = None


class Embedder(Protocol):
    """A sentence embedder: L2-normalised float32 rows, one per text."""

    name: str

    def encode(self, texts: list[str]) -> np.ndarray: ...


# ---------------------------------------------------------------------------
# Text processing
# ---------------------------------------------------------------------------

# Phrase folding on normalised text, applied in order. Each right-hand side is one
# canonical token so that paraphrases meet in BM25 and in the rapidfuzz ratios.
_PHRASES: list[tuple[str, str]] = [
    (r"(?:multi|two|2|dual) ?(?:factor|step)(?: authentication| auth| verification| login)?", "mfa"),
    (r"(?:mfa|2fa|tfa)", "mfa"),
    (r"single sign ?on|sso", "sso"),
    (
        r"personally identifiable information|personal identifiable information|pii|personal data|personal information",
        "pii",
    ),
    (r"business continuity(?: and disaster recovery)?(?: plans?| planning| management)?|bcp|bcdr", "bcp"),
    (r"disaster recovery(?: plans?| planning)?|drp|dr", "disasterrecovery"),
    (r"soc ?(?:3|iii|three)", "soc3"),
    (r"soc ?(?:2|ii|two)", "soc2"),
    (r"soc ?(?:1|i|one)", "soc1"),
    (r"type (?:ii|2|two)", "type2"),
    (r"type (?:i|1|one)", "type1"),
    (r"iso(?: iec)? ?27001", "iso27001"),
    (r"penetration test(?:s|ing)?|pen ?test(?:s|ing)?|pentest(?:s|ing)?|ethical hack\w*", "pentest"),
    (r"vulnerability scan\w*|vuln scan\w*", "vulnscan"),
    (r"at rest|while stored|when stored|in storage", "atrest"),
    (r"in transit|in motion|over (?:the|public) networks?|over the internet", "intransit"),
    (r"transport layer security|secure sockets? layer|tls|ssl|https", "tls"),
    # "plaintext" / "unencrypted" say "not encrypted": the negation check sees the inversion
    (r"plain ?text|clear ?text|unencrypted|non encrypted", "not encrypted"),
    (r"unhashed|unsalted", "not hashed"),
    (r"prohibit\w*|forb[ia]d\w*|disallow\w*", "not allowed"),
    (r"encrypt\w*|cryptograph\w*|cipher\w*", "encrypt"),
    (r"virtual private network|vpn", "vpn"),
    (r"privileged|admin|administrative|administrators?|administration|root", "admin"),
    (r"role based access(?: control)?|rbac", "rbac"),
    (r"security information and event management|siem", "siem"),
    (r"data loss prevention|dlp", "dlp"),
    (r"anti ?virus|anti ?malware|malware protection", "antimalware"),
    (r"endpoint detection and response|edr", "edr"),
    (r"background (?:checks?|screening|investigations?)", "backgroundcheck"),
    (r"non ?disclosure agreements?|confidentiality agreements?|ndas?", "nda"),
    # "privacy awareness training" (and HIPAA, FERPA ...) is another course, not security's
    (
        r"security awareness training|security training|(?<!privacy )(?<!hipaa )(?<!ferpa )(?<!pci )awareness training",
        "securitytraining",
    ),
    (r"recovery time objectives?|rto", "rto"),
    (r"recovery point objectives?|rpo", "rpo"),
    # customer questionnaires call the respondent "the Vendor", "the Supplier", "the Third
    # Party", "the Contractor", "the Service Provider": that is "you" (a stopword)
    (r"the (?:vendor|supplier|third party|contractor|service provider)", "you"),
    # ... also as a defined term without the article, as the subject of a verb ("Does Third
    # Party share ...?"); "Is vendor management ...", "Do third parties ..." are not
    (
        r"(does|will|has|did|can|must|shall|should|would|could) (?:vendor|supplier|third party|contractor"
        r"|service provider) (?=(?:have|share|transfer|maintain|use|perform|provide|follow|store|conduct|require"
        r"|encrypt|allow|permit|retain|process|keep|ensure|monitor|support|employ|utilize|implement|undergo"
        r"|carry|hold|review|test|train|restrict|limit|notify|collect|sell|disclose|host|outsource|subcontract"
        r"|backup|back|operate|own|manage|rely|plan|document|track|log|scan|patch|classify|dispose|destroy)\b)",
        r"\1 you ",
    ),
    # "your cloud vendor", "your hosting provider": someone else than "you, the vendor"
    (
        r"third part(?:y|ies)|sub ?processors?|suppliers?|subcontractors?"
        r"|(?:your|their) (?:(?:cloud|hosting|infrastructure|iaas|paas|service) ){0,2}(?:vendors?|providers?)",
        "thirdparty",
    ),
    (r"audit (?:logs?|trails?)|logging|logs?|logged", "log"),
    (r"passwords?|passphrases?", "password"),
    (r"enforc(?:e|es|ed|ing)|requir(?:e|es|ed|ing)|mandatory|mandated?", "require"),
    (r"back ?ups?|backed up|backing up", "backup"),
    # before "annually": "semi-annually" is not yearly
    (
        r"(?:at least )?(?:semi ?annual(?:ly)?|bi ?annual(?:ly)?|twice (?:a|per|each) year|every (?:six|6) months)",
        "freqhalfyear",
    ),
    (r"(?:at least )?(?:annual(?:ly)?|yearly|once a year|every year|every 12 months|each year)", "freqyear"),
    (r"(?:at least )?(?:quarterly|every (?:three|3) months|each quarter|every quarter)", "freqquarter"),
    (r"(?:at least )?(?:monthly|every month|each month)", "freqmonth"),
    (r"(?:at least )?(?:weekly|every week|each week)", "freqweek"),
    (r"(?:at least )?(?:daily|every day|each day)", "freqday"),
    (r"(?:at least )?(?:hourly|every hour|each hour)", "freqhour"),
    (r"(?:at least )?(?:once )?every (\d+) (day|week|month|year)s?", r"freq\1\2"),
    (r"continuous(?:ly)?|continual(?:ly)?|on an ongoing basis", "freqcontinuous"),
    # asks for the frequency: any stated one answers it
    (r"how (?:often|frequently)|(?:at )?what (?:frequency|interval)", "freqany"),
    (r"customer data|client data|institutional data|tenant data|user data", "customerdata"),
    (r"irp", "incident response plan"),
    (r"incident response|incident management", "incidentresponse"),
    (r"general data protection regulation|gdpr", "gdpr"),
    (r"web application firewall|waf", "waf"),
    (r"intrusion detection(?: systems?)?|ids", "ids"),
    (r"intrusion prevention(?: systems?)?|ips", "ips"),
    # "24x7x365", "24 x 7 x 365", "24/7" (punctuation is a space by now), "round the clock"
    (r"24 ?x? ?7(?: ?x? ?365)?|around the clock|round the clock", "24x7"),
    (r"cannot|can not|can t|don t|doesn t|isn t|aren t|won t|never|without", "not"),
    (r"one", "1"),
    (r"two", "2"),
    (r"three", "3"),
    (r"four", "4"),
    (r"five", "5"),
    (r"six", "6"),
    (r"seven", "7"),
    (r"eight", "8"),
    (r"nine", "9"),
    (r"ten", "10"),
    (r"twelve", "12"),
    (r"1 years?|12 months", "1year"),
    # "within the past year" is "within the past 12 months"
    (r"(past|last|previous|prior) year", r"\1 1year"),
    (r"24 hours|1 day", "1day"),
    # a period: its number and unit are one figure ("within a week" / "within a month",
    # "1 hour" / "1 business day" compare as figures)
    (r"an? (hour|day|week|month|year)", r"1\1"),
    (r"(\d+) (hour|day|week|month|year)s?", r"\1\2"),
]


def _leads(items: list) -> set[str] | None:
    """Strings one of which every match of a parsed regex sequence starts with (None:
    not known)."""
    lead = ""
    for op, av in items:
        if op is _sre.LITERAL:
            lead += chr(av)
            continue
        if op is _sre.AT and not lead:
            continue  # \b before the first character: zero width
        inner = None
        if op is _sre.BRANCH:
            branches = [_leads(b) for b in av[1]]
            inner = set().union(*branches) if all(branches) else None
        elif op is _sre.SUBPATTERN:
            inner = _leads(av[-1])
        if inner:
            return {lead + x for x in inner}
        break
    return {lead} if lead else None


def _anchors(items: list) -> set[str] | None:
    """Strings one of which every match of a parsed regex sequence contains (None: not
    known): its first mandatory literal part, alternatives unioned."""
    items = list(items)
    for i, (op, av) in enumerate(items):
        found = None
        if op in (_sre.LITERAL, _sre.BRANCH, _sre.SUBPATTERN):
            found = _leads(items[i:])
            if not found and op is _sre.SUBPATTERN:
                found = _anchors(av[-1])
            if not found and op is _sre.BRANCH:
                branches = [_anchors(b) for b in av[1]]
                found = set().union(*branches) if all(branches) else None
        elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT) and av[0] >= 1:
            found = _anchors(av[2])
        if found:
            return found
    return None


def _phrase_rule(pattern: str, repl: str) -> tuple[re.Pattern[str], str, tuple[str, ...] | None]:
    """(compiled pattern, replacement, anchors): a text holding none of the anchors cannot
    match, so ``canonical_tokens`` skips the pass (about 70 patterns; most texts hit a
    few). Anchors come from the parsed pattern; None (always run) when not derivable."""
    source = rf"\b(?:{pattern})\b"
    try:
        anchors = _anchors(_sre_parse(source))
    except Exception:  # the parser is CPython's internal one: never let it stop matching
        anchors = None
    return re.compile(source), repl, tuple(sorted(anchors)) if anchors else None


_PHRASE_RES = [_phrase_rule(pat, repl) for pat, repl in _PHRASES]

_STOPWORDS = frozenset(
    """a an the and or of to in on for by with from at as is are was were be been being do does did done
    have has had having you your yours we our ours us they their them it its this that these those there
    which what who whom whose when where how why if then than so such any all each every some
    can could should would will shall may might must please describe explain provide list state indicate
    confirm vendor vendors company companies organization organisation organizations institution
    institutions service services solution product products offering provider supplier's
    yes i e g eg etc also least into via per upon about over under other others""".split()
)
#: Present in many questions without telling them apart: weighed down in the penalty.
_GENERIC = frozenset(
    """process policy policies procedure procedures program programme documented document documents formal
    formally maintain maintained require required requirement requirements ensure use used using support
    supported data system systems information security secure securely access control controls
    plan plans manage managed management review reviewed regular regularly perform performed
    implement implemented place established establish current currently available applicable
    place standard standards practice practices employee employees staff personnel user users
    enforce enforced enforces mandatory mandate mandated in place have has""".split()
)
_NEGATIONS = frozenset({"not", "no", "none", "neither", "nor"})
#: Tokens naming one document, report or regime (canonical, as ``_PHRASES`` folds them):
#: two questions naming different ones ask about different things ("a communication plan
#: in your BCP" against "... in your DRP"), however alike the rest of the wording.
#: Numbered ones (SOC 2, ISO 27001) differ as specifiers already.
_NAMED = frozenset(
    """bcp disasterrecovery incidentresponse gdpr ccpa hipaa ferpa coppa glba pci fedramp stateramp
    hitrust cmmc""".split()
)


def names_differ(a: frozenset[str], b: frozenset[str]) -> bool:
    """Both token sets name a document, report or regime (``_NAMED``) and not the same."""
    a_named, b_named = a & _NAMED, b & _NAMED
    return bool(a_named and b_named and a_named != b_named)


_LIFECYCLE_WORDS = (
    "established approved communicated applied evaluated maintained documented reviewed updated implemented defined"
).split()
#: Specifiers: numbers, identifiers with digits (soc2, 27001, type1) and frequencies. Two
#: questions that both carry one and differ in it ask different things.
_SPECIFIER = re.compile(r"\d|^freq")
_SUFFIXES = (
    "ations",
    "ation",
    "ions",
    "ion",
    "ings",
    "ing",
    "ments",
    "ment",
    "ies",
    "ed",
    "es",
    "er",
    "ers",
    "ly",
    "s",
)


@functools.lru_cache(maxsize=65_536)
def _stem(word: str) -> str:
    """Crude suffix stripping (remembered: questionnaire words repeat across texts)."""
    if len(word) <= 4 or word.isdigit():
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            stem = word[: -len(suffix)]
            return stem + "y" if suffix == "ies" else stem
    return word


_GENERIC = _GENERIC | frozenset(_stem(w) for w in _GENERIC)  # stems too: tokens are compared stemmed
_LIFECYCLE = frozenset(_stem(w) for w in _LIFECYCLE_WORDS)


def canonical_tokens(text: str) -> list[str]:
    """Content tokens of ``text``: normalised, phrases folded, stopwords dropped, stemmed."""
    norm = normalise(_spell_out(text)).replace("_", " ")
    for pattern, repl, anchors in _PHRASE_RES:
        if anchors is None or any(a in norm for a in anchors):
            norm = pattern.sub(repl, norm)
    return [_stem(w) for w in norm.split() if w not in _STOPWORDS]


# A leading condition ("For customers not using SSO, ...", "If you don't support SSO, ...")
# narrows who the question is about; its "not" does not negate the question itself.
_LEADING_CONDITION = re.compile(r"^\s*(?:for|if|when|where|unless|in case)\b[^,?;:]{0,100},\s*(?=\S)", re.IGNORECASE)


class Clauses(NamedTuple):
    """What a question's structure says beside its words."""

    #: negation tokens outside a leading conditional clause
    negations: frozenset[str]
    #: content tokens of that clause
    condition: frozenset[str]
    #: it asks two things (``asks_two_things``)
    compound: bool
    #: the poles of opposite pairs it names ("enable+" for enabled, "enable-" for disabled)
    polarity: frozenset[str] = frozenset()
    #: the tokens of two alternatives it joins with "and/or" / "or" ("a WAF and/or SPI
    #: firewall" -> waf, spi); empty without
    alternatives: tuple[frozenset[str], ...] = ()
    #: the kinds of other party it names ("hosting", "supplier"); empty: only the respondent
    parties: frozenset[str] = frozenset()
    #: the tokens of two things it joins with "and" ("backups and logs" -> backup, log);
    #: empty without
    conjuncts: tuple[frozenset[str], ...] = ()


#: Words whose opposite inverts the answer ("Is remote access disabled?" against "... enabled?",
#: "Are shared accounts used?" against "Are accounts unique to each user?"): group and pole.
#: Only an opposite on the other side counts ("disabled" alone also means deprovisioned,
#: "block" filters traffic); the words that say "not encrypted" (plaintext, cleartext) or
#: "not allowed" (prohibited, forbidden) are folded to a negation in ``_PHRASES``.
#: "Restricted to" names who may ("access restricted to administrators"), not a refusal.
_POLARITY = re.compile(
    r"\b(?:(?P<enable_p>enabl\w*|activat\w*|(?:turn|switch)(?:ed|es|s|ing)? on)"
    r"|(?P<enable_m>disabl\w*|deactivat\w*|(?:turn|switch)(?:ed|es|s|ing)? off)"
    r"|(?P<unique_p>unique|individual\w*|dedicated)|(?P<unique_m>shared|generic)"
    r"|(?P<allow_p>allow\w*|permit\w*)|(?P<allow_m>den(?:y|ies|ied)|block\w*|restrict\w*(?! to\b))"
    r"|(?P<auto_p>automat\w*)|(?P<auto_m>manual\w*)"
    r"|(?P<require_p>mandator\w*|compulsor\w*|required)|(?P<require_m>optional\w*)"
    r"|(?P<include_p>includ\w*)|(?P<include_m>exclud\w*)"
    r"|(?P<reversible_p>reversibl\w*)|(?P<reversible_m>irreversibl\w*))\b"
)
#: Parts of the words ``_POLARITY`` knows, one of which each of its matches holds.
_POLARITY_PARTS = (
    "enabl", "disabl", "activat", " on", " off", "unique", "individual", "dedicated", "shared", "generic", "allow",
    "permit", "deny", "denie", "block", "restrict", "automat", "manual", "mandator", "compulsor", "required",
    "optional", "includ", "exclud", "reversibl",
)  # fmt: skip

#: Words naming one of two kinds of a thing ("internal" / "external" penetration tests,
#: "public" / "private" cloud, "single-" / "multi-tenant"): the other kind is another
#: question, whose answer may be the same or not (a facet, ``facets_differ``). Group and
#: pole as in ``_POLARITY``. Also host- / network-based (IDS) and access to / changes to
#: (logging reads is not logging writes); a data subject's request to access their data
#: and one to delete, correct or port it; a policy and the procedures that carry it out
#: (not a plan: the labelled sets count an incident response plan and incident response
#: procedures as one; "policies and procedures" names both).
_KINDS = re.compile(
    r"\b(?:(?P<public_p>public(?:ly)?)|(?P<public_m>private(?:ly)?)"
    r"|(?P<internal_p>internal(?:ly)?)|(?P<internal_m>external(?:ly)?)"
    r"|(?P<inbound_p>inbound|ingress)|(?P<inbound_m>outbound|egress)"
    r"|(?P<side_p>client[- ]side)|(?P<side_m>server[- ]side)"
    r"|(?P<inside_p>inside)|(?P<inside_m>outside)"
    r"|(?P<sync_p>synchronous\w*)|(?P<sync_m>asynchronous\w*)"
    r"|(?P<limit_p>minimum)|(?P<limit_m>maximum)"
    r"|(?P<symmetric_p>symmetric\w*)|(?P<symmetric_m>asymmetric\w*)"
    r"|(?P<static_p>static\w*)|(?P<static_m>dynamic\w*)"
    r"|(?P<before_p>before|prior to)|(?P<before_m>after)"
    r"|(?P<physical_p>physical(?:ly)?)|(?P<physical_m>logical(?:ly)?)"
    r"|(?P<onsite_p>on[- ]?site|on[- ]premises?|in[- ]person)|(?P<onsite_m>remote(?:ly)?|off[- ]?site)"
    r"|(?P<tenant_p>single[- ]?tenan\w*)|(?P<tenant_m>multi[- ]?tenan\w*)"
    r"|(?P<success_p>success\w*)|(?P<success_m>unsuccessful\w*|fail(?:ed|ures?|s)?)"
    r"|(?P<same_p>same)|(?P<same_m>separate|different|distinct)"
    r"|(?P<all_p>all|every)|(?P<all_m>some|certain|selected|partial\w*)"
    r"|(?P<incident_p>incidents?)|(?P<incident_m>vulnerabilit(?:y|ies))"
    r"|(?P<layer_p>applications?)|(?P<layer_m>infrastructures?)"
    r"|(?P<based_p>host[- ]based|hids)|(?P<based_m>network[- ]based|nids)"
    r"|(?P<write_p>(?:all )?access(?:es|ed)? to|reads? of|views? of)"
    r"|(?P<write_m>(?:all )?(?:changes?|modifications?|edits?|writes?) to)"
    r"|(?P<prod_p>(?<!non-)(?<!non )production)"
    r"|(?P<prod_m>non[- ]?prod(?:uction)?|(?:test(?:ing)?|dev(?:elopment)?|staging|qa|lower)"
    r"(?: (?:or|and|/) (?:test(?:ing)?|dev(?:elopment)?|staging|qa))? (?:environments?|systems?|instances?))"
    r"|(?P<inhouse_p>in[- ]house)|(?P<inhouse_m>outsourc\w*)"
    r"|(?P<policy_p>polic(?:y|ies))|(?P<policy_m>procedures?)"
    r"|(?P<dsr_p>(?:subject )?access requests?|requests? (?:for |to )?access)"
    r"|(?P<dsr_m>(?:deletion|erasure|rectification|correction|portability) requests?"
    r"|requests? (?:for |to )?(?:the )?(?:delet\w*|eras\w*|rectif\w*|correct\w*|port(?:ing|ability)\b)))\b"
)
_KIND_PARTS = (
    "public", "private", "internal", "external", "inbound", "ingress", "outbound", "egress", "side", "inside",
    "outside", "synchron", "minimum", "maximum", "symmetric", "static", "dynamic", "before", "prior to", "after",
    "physical", "logical", "site", "premise", "person", "remote", "tenan", "success", "fail", "same", "separate",
    "different", "distinct", "all", "every",
    "some", "certain", "selected", "partial", "incident", "vulnerabilit", "applica", "infrastructure", "based",
    "hids", "nids", "access", "read", "view", "change", "modif", "edit", "write", "production", "non-prod", "nonprod",
    "non prod", "environment", "house", "outsourc", "request", "polic", "procedure",
)  # fmt: skip


#: "Physical access" is on-site access as well as the physical kind of access: against
#: "remote access" it is the other kind too (a word takes one group in ``_KINDS``).
_PHYSICAL_ACCESS = re.compile(r"\bphysical(?:ly)? access")
_ON_SITE = frozenset({"onsite+"})
#: A plan or policy named with no control verb is had, not tested, reviewed or acknowledged:
#: "Do you have a disaster recovery plan?" does not answer "Do you test your disaster
#: recovery plan?" (nor its No the other way round), nor "Do you have an acceptable use
#: policy?" "Do employees acknowledge it?"; ``facets`` gives it the action "plan".
_PLAN = re.compile(r"\b(?:plans?|polic(?:y|ies))\b")
_HAVE_PLAN = frozenset({"plan"})
#: A public network is the external kind of network too: "over public networks" against
#: "over internal networks" (``_KINDS`` reads "public" against "private" only).
_PUBLIC_NETWORK = re.compile(r"\b(?:public|open|untrusted|external) networks?\b|\binternet\b(?![\s-]*facing)")
_EXTERNAL = frozenset({"internal-"})


def _poles(pattern: re.Pattern[str], parts: tuple[str, ...], text: str) -> frozenset[str]:
    """The poles ``pattern`` finds in ``text`` ("enable+", "enable-"): group name, then
    "+" for a ``_p`` group, "-" for an ``_m`` one."""
    low = text.casefold()
    if not any(part in low for part in parts):  # most questions: none of them
        return frozenset()
    found = {m.lastgroup for m in pattern.finditer(low)}
    return frozenset(g[:-2] + ("+" if g.endswith("_p") else "-") for g in found if g)


def _polarity(text: str) -> frozenset[str]:
    return _poles(_POLARITY, _POLARITY_PARTS, text)


def inverts(a: Clauses, b: Clauses) -> bool:
    """The two questions ask opposite things: a negation on one side only ("Is data not
    encrypted?"), or an opposite word ("plaintext" folds to "not encrypted"; "disabled"
    against "enabled"), but not both (they cancel). The answer to one inverts for the other."""
    return (a.negations != b.negations) != _inverted(a.polarity, b.polarity)


def _inverted(a: frozenset[str], b: frozenset[str]) -> bool:
    """Of some opposite pair, one side names only one pole and the other only the other."""
    if not a or not b:
        return False
    for group in {p[:-1] for p in a}:
        poles = {group + "+", group + "-"}
        pa, pb = a & poles, b & poles
        if len(pa) == 1 and len(pb) == 1 and pa != pb:
            return True
    return False


_PARENTHESES = re.compile(r"\([^()]*\)")
# "one or more", "or equivalent", "whether or not": no alternative to choose between
_NOT_ALTERNATIVES = re.compile(
    r"\b(?:whether or not|or not|(?:\w+ )?or (?:an? |the )?(?:more|less|fewer|greater|higher|lower|above|below"
    r"|longer|shorter|later|newer|better|stronger|earlier|equivalent|similar|comparable|other|others|otherwise"
    r"|both|any|all|so|as)\b)"
)
_OR = re.compile(r"\band or\b|\bor\b")


def _alternatives(text: str) -> tuple[frozenset[str], ...]:
    """The two alternatives of the first "A and/or B" / "A or B" of ``text`` (examples in
    parentheses left out) that joins two things, as the content token either side of the
    join (``_first_join``). Empty when there is no such join or every one joins generic
    words ("a policy or procedure")."""
    if not _OR.search(text.casefold()):  # most questions: no "or" at all
        return ()
    norm = _NOT_ALTERNATIVES.sub(" ", normalise(_PARENTHESES.sub(" ", text)))
    return _first_join(norm, _OR)


_AND = re.compile(r"\band\b(?! or\b)")


#: Joins looked at per text, and characters read either side of one: a side is one word.
_MAX_JOINS = 8
_SIDE_CHARS = 60
_JOIN_MARK = "qqjoinqq"


def _first_join(norm: str, join: re.Pattern[str], *, skip_states: bool = False) -> tuple[frozenset[str], ...]:
    """The sides (``_either_side``) of the first ``join`` of the normalised text ``norm``
    that joins two things ("policies and procedures for backups and logs": backups / logs,
    past the generic pair); at most ``_MAX_JOINS`` looked at. ``skip_states``: not two
    participles ("restricted and controlled": two states of one thing)."""
    for found in itertools.islice(join.finditer(norm), _MAX_JOINS):
        sides = _either_side(norm, found, skip_states=skip_states)
        if sides:
            return sides
    return ()


def _either_side(norm: str, join: re.Match[str], *, skip_states: bool = False) -> tuple[frozenset[str], ...]:
    """The content token either side of ``join`` in the normalised text ``norm``, each
    without what the other side also has; empty when a side is left with nothing or only
    a generic word, or (``skip_states``) when the words either side are two participles."""
    before, after = norm[max(0, join.start() - _SIDE_CHARS) : join.start()], norm[join.end() : join.end() + _SIDE_CHARS]
    if skip_states:
        last, first = before.split()[-1:], after.split()[:1]
        if last and first and last[0].endswith("ed") and first[0].endswith("ed"):
            return ()
    # one tokenisation of both sides, the join marked by a word no rule changes
    window = f"{before} {_JOIN_MARK} {after}"
    tokens = canonical_tokens(window)
    at = tokens.index(_JOIN_MARK)
    left, right = set(tokens[max(0, at - 1) : at]), set(tokens[at + 1 : at + 2])
    own_left = frozenset(left - right - _GENERIC - _NEGATIONS)
    own_right = frozenset(right - left - _GENERIC - _NEGATIONS)
    return (own_left, own_right) if own_left and own_right else ()


def _conjuncts(text: str) -> tuple[frozenset[str], ...]:
    """The two things the first "A and B" of ``text`` that joins two things joins (examples
    in parentheses left out), as the content token either side of the join, like
    ``_alternatives``. Empty without such a join, or where every one joins generic words
    ("policies and procedures") or two states ("restricted and controlled")."""
    if " and " not in text.casefold():
        return ()
    norm = normalise(_spell_out(_PARENTHESES.sub(" ", text)))  # "a KMS and": its tokens' words
    return _first_join(norm, _AND, skip_states=True)


def _names_one(sides: tuple[frozenset[str], ...], tokens: frozenset[str], spellings: _Spellings | None = None) -> bool:
    """``tokens`` (a question's) name one of the two ``sides`` and not the other.

    Alternatives (``_alternatives``, no ``spellings``): a word counts as named when it is
    there. "a WAF and/or SPI firewall" against "an SPI firewall": a No for the SPI firewall
    says nothing about a WAF. Only asked when the other question joins no alternatives
    itself: two either-or questions ("lock or log out" against "lock the session or log
    out") are compared by their words.
    Conjuncts (``_conjuncts``, with ``spellings``): also when a near spelling or a stem of
    it is there ("rotated" / "rotation", "prod" / "production")."""

    def named(side: frozenset[str]) -> bool:
        if spellings is None:
            return bool(side & tokens)
        return any(
            w in tokens
            or spellings.any_near(w, tokens)
            or any(len(w) >= 4 and len(t) >= 4 and (t.startswith(w[:5]) or w.startswith(t[:5])) for t in tokens)
            for w in side
        )

    if not sides:
        return False
    hits = [named(side) for side in sides]
    return any(hits) and not all(hits)


#: Kinds of party other than the respondent, on normalised text (examples in parentheses
#: left out). "The vendor", "the supplier", "the service provider" in a customer's
#: questionnaire are the respondent: only plural, "your ..." or qualified forms count. The
#: data center alone is a party only as what is certified or audited ("Is your data center
#: SOC 2 certified?" is not "Are you SOC 2 certified?"): elsewhere it is the place of the
#: respondent's own controls (HECVAT's DCTR questions: "Do your data centers have ...",
#: "Is access to the data center audited?", "the servers in your data center").
_PARTIES = re.compile(
    r"\b(?:(?P<hosting>(?:hosting|cloud|data ?cent(?:er|re)s?|co ?location|infrastructure|iaas|paas)"
    r"(?: \w+)? (?:providers?|vendors?|operators?|compan(?:y|ies)|partners?)"
    # the data center as the certified or audited party: "Is your data center SOC 2 certified?"
    r"|(?<!to )(?<!in )(?<!into )(?<!at )(?:your|their|the|its) data ?cent(?:er|re)s?"
    r"(?= (?:\w+ ){0,3}?(?:soc|iso|ssae|certif\w*|audited|attest\w*|accredit\w*|complian\w*|fedramp|pci)\b))"
    r"|(?P<supplier>sub ?processors?|sub ?contractors?|sub ?service organi[sz]ations?|fourth part(?:y|ies)"
    r"|third parties|suppliers|vendors|service providers"
    r"|third party (?:service )?(?:vendors?|suppliers?|providers?|contractors?|compan(?:y|ies)|organi[sz]ations?)"
    r"|(?:your|their|external|outsourced) (?:service )?(?:vendors?|suppliers?|providers?|contractors?)))\b"
)


#: Words one of which every match of ``_PARTIES`` holds (most questions hold none).
_PARTY_WORDS = (
    "provider", "vendor", "supplier", "processor", "contractor", "part", "compan", "organi", "operator", "data cent",
    "datacent",
)  # fmt: skip


def _parties(text: str) -> frozenset[str]:
    """Kinds of other party ``text`` names (``_PARTIES``)."""
    low = text.casefold()
    if not any(w in low for w in _PARTY_WORDS):  # most questions name no party
        return frozenset()
    norm = normalise(_PARENTHESES.sub(" ", text))
    return frozenset(m.lastgroup for m in _PARTIES.finditer(norm) if m.lastgroup)


@functools.lru_cache(maxsize=32_768)
def question_clauses(text: str) -> Clauses:
    """``Clauses`` of ``text``, remembered (a phrasing meets many queries)."""
    text = text or ""
    compound = asks_two_things(text)
    polarity = _polarity(text)
    alternatives = _alternatives(text)
    parties = _parties(text)
    conjuncts = _conjuncts(text)
    found = _LEADING_CONDITION.match(text)
    # an example asks nothing: "(e.g. any entity not wholly-owned by you)" negates no question
    if not found:  # most questions: the whole text is the main clause, its tokens known
        negations = frozenset(_tokens_of(_EXAMPLES.sub(" ", text) if "(" in text else text)) & _NEGATIONS
        return Clauses(negations, frozenset(), compound, polarity, alternatives, parties, conjuncts)
    main = frozenset(canonical_tokens(_EXAMPLES.sub(" ", text[found.end() :]))) & _NEGATIONS
    condition = frozenset(canonical_tokens(found.group(0)))
    return Clauses(main, condition, compound, polarity, alternatives, parties, conjuncts)


class Facets(NamedTuple):
    """What a question is about beside its topic: how often, for whom, where, which control.

    Two questions on the same topic that differ in one of these ask different things ("tested
    at least monthly" / "annually", "for customers" / "for employees", "in every region" / "in
    the US region", "restrict access to" / "review access to"), however alike their wording.
    """

    #: frequency tokens ("freqyear", "freqmonth", "freqcontinuou", "freq90day")
    frequencies: frozenset[str] = frozenset()
    #: "customer" (customers, clients, end users, tenants), "workforce" (employees, staff,
    #: personnel) and / or "contractor" (contractors, consultants: another answer as often
    #: as not, e.g. for NDAs and training), "privileged" (administrators, privileged or
    #: root accounts; a customer's administrators are the customer), "allusers" (all users
    #: or accounts: answers for administrators too, ``_COVERS``)
    populations: frozenset[str] = frozenset()
    #: named regions ("us", "eu", ...) or "all" (every region, globally)
    regions: frozenset[str] = frozenset()
    #: the control acted on the object: encrypt, monitor, review, restrict, delete, ...
    actions: frozenset[str] = frozenset()
    #: the state of the data it is about: "atrest", "intransit"
    states: frozenset[str] = frozenset()
    #: (bank side) frequencies and populations only the entry's comment states
    said_frequencies: frozenset[str] = frozenset()
    said_populations: frozenset[str] = frozenset()
    #: the poles of two-kind pairs it names (``_KINDS``: "internal+", "internal-")
    kinds: frozenset[str] = frozenset()
    #: it asks for a document to be handed over ("Can you share your SOC 2 report?"), not
    #: whether it exists (``_DELIVERABLE``)
    deliverable: bool = False
    #: the stronger or particular forms of a control it names (``_QUALIFIERS``: "immutable"
    #: backups, "end-to-end" encryption, "customer-managed" keys)
    qualifiers: frozenset[str] = frozenset()
    #: what is done with the data (``_HANDLING``): "store", "process", "transmit", "sell" ...
    handling: frozenset[str] = frozenset()
    #: a subject that only questions naming it are about (``_topics``): "privacy", "vendorrisk"
    topics: frozenset[str] = frozenset()
    #: it says a control is used, supported or offered and requires nothing (``_OFFERED``):
    #: "Do you use a password manager?", "Do you support SSO?"
    offered: bool = False


# not the population but a thing: "customer data", "customer-managed keys", "customer-based SSO"
_NOUN_AFTER = (
    r"(?! (?:data|content|information|records?|files?|laptops?|devices?|workstations?|endpoints?"
    r"|based|facing|managed|owned|supplied|provided|controlled|specific|driven|initiated)\b)"
)
_POPULATIONS = re.compile(
    rf"\b(?:(?P<customer>(?:customers?|clients|end users?|(?<!multi )tenants?){_NOUN_AFTER})"
    rf"|(?P<workforce>(?:employees?|staff|personnel|workforce|new hires?){_NOUN_AFTER})"
    rf"|(?P<contractor>(?:(?<!the )contractors?|consultants?|temporary workers?){_NOUN_AFTER})"
    r"|(?P<allusers>(?:all|every|each) (?:users?|accounts?)"
    r"|(?:end )?users? and (?:system )?(?:administrators?|admins)|(?:administrators?|admins) and (?:end )?users?)"
    r"|(?P<privileged>(?<!customer )(?<!client )(?<!tenant )(?<!institution )"
    r"(?:(?:system |database |domain )?administrators?|admins"
    r"|admin (?:users?|accounts?|access|sessions?|roles?|privileges?|rights|actions?|activit(?:y|ies))"
    r"|administrative (?:users?|accounts?|access|privileges?|rights|actions?|activit(?:y|ies)|tasks?|functions?)"
    r"|privileged (?:users?|accounts?|access|roles?|identities)|super ?users?|root (?:users?|accounts?|access))))\b"
)
#: A population that takes in another: "all users" answers for administrators.
_COVERS = {"allusers": frozenset({"privileged", "allusers"})}


def _covered(populations: frozenset[str]) -> frozenset[str]:
    """``populations`` with those they take in (``_COVERS``)."""
    return populations.union(*(_COVERS.get(n, ()) for n in populations))


_REGIONS = re.compile(
    r"\b(?:(?P<us>the us|u s a?|usa|united states(?: of america)?)|(?P<eu>eu|european union|europe|eea)"
    r"|(?P<uk>uk|united kingdom|great britain)|(?P<ca>canada)|(?P<apac>apac|asia pacific)|(?P<au>australia)"
    r"|(?P<all>(?:every|all|each|any) (?:regions?|geograph\w*|countr\w*|jurisdictions?)|globally|worldwide))\b"
)
#: Verbs naming a control, by the start of their canonical token ("deleted" -> "delet").
_ACTIONS = {
    "encrypt": ("encrypt",),
    "monitor": ("monitor",),
    "backup": ("backup",),
    "review": ("review",),
    "restrict": ("restrict", "limit"),
    "scan": ("scan", "vulnscan"),
    "retain": ("retain", "retent"),
    "delete": ("delet", "purg", "destroy", "destruct", "dispos", "eras", "wipe"),
    "classify": ("classif",),
    "replicate": ("replic",),
    "segregate": ("segregat", "separat", "isolat"),
    "pseudonymise": ("pseudonym", "anonym", "mask", "tokeni"),
    "test": ("test", "exercis", "drill"),
    "inventory": ("inventor",),
    "grant": ("grant", "provision"),
    "revoke": ("revok", "deprovision"),
    "rotate": ("rotat",),
    "patch": ("patch",),
    "hash": ("hash",),
    "log": ("log",),
    "acknowledge": ("acknowledg", "attest"),
}
_ACTION_OF = {prefix: name for name, prefixes in _ACTIONS.items() for prefix in prefixes}
_ACTION_START = re.compile("^(?:" + "|".join(sorted(_ACTION_OF, key=len, reverse=True)) + ")")
#: A request to hand a document over: "Can you share your SOC 2 report?", "Will you provide
#: a copy of the plan?", "... available upon request?". A Yes to "Do you have a SOC 2
#: report?" does not promise it (an NDA, a fee, a bridge letter).
_DELIVERABLE = re.compile(
    r"\b(?:share|provide|send|submit|supply|furnish|make available|deliver)\b(?:\W+\w+){0,6}?\W+"
    r"(?:reports?|certificates?|attestations?|results|summar(?:y|ies)|letters?|cop(?:y|ies)|evidence"
    r"|documentation|policy|policies|plans?)\b"
    r"|\b(?:available|provided|shared) (?:up)?on request\b"
)
#: Words that narrow a control to a stronger or particular form. "Are backups immutable?"
#: is not answered by "Do you back up data?", nor "end-to-end encryption" by "Is data
#: encrypted?": a Yes to the broader question says nothing of the stronger form. One-sided
#: (``facets_differ``): an entry naming the stronger form answers the question asking less.
#: "Independent" counts only next to an audit, assessment or test, and is one form with
#: "third-party", "external" and the customer's "own" test (all done by someone other than
#: the vendor), so "an independent party" still answers "external testers"; "role-based"
#: covers training and access control (RBAC). Keys the respondent manages ("keys you
#: manage") are a form of their own beside the customer's keys; a firewall's rules or
#: configuration are narrower than the firewall (a configured firewall names them), a
#: public bug bounty than a bug bounty (not "public" alone: as a one-sided kind it held 8
#: labelled paraphrases, "publicly available" among them), a control for API access than
#: the control. The
#: end of a contract is an event of its own: "retained for 30 days" says nothing of 30
#: days "after contract termination". Not here, for its other reading: "automated"
#: (sessions "automatically" time out: how else); examples in parentheses
#: (``_EXAMPLES``) do not count. "Required" (enforced, mandatory,
#: must) counts only against an entry that uses, supports or offers the control
#: (``Facets.offered``): one saying it is in place ("Is MFA in place for admins?") is read
#: as answering (against every entry, "required" held 3 of the paraphrase set's 71 written
#: answers, dense).
_QUALIFIERS = re.compile(
    r"\b(?:(?P<endtoend>end[\s-]*to[\s-]*end)"
    r"|(?P<immutable>immutable|write[\s-]*once|worm)"
    r"|(?P<offline>offline|air[\s-]*gapped)"
    r"|(?P<customerkeys>customer[\s-]*(?:managed|supplied|provided|controlled|held|owned)\s+(?:encryption\s+)?keys?"
    r"|bring[\s-](?:your|their|our)[\s-]own[\s-](?:encryption[\s-])?keys?|byok|hyok)"
    r"|(?P<ownkeys>keys?\s+(?:that\s+|which\s+)?(?:you|we)\s+(?:manage|control|own|hold|generate)\w*"
    r"|keys?\s+(?:that\s+are\s+|which\s+are\s+)?(?:managed|controlled|owned|held|generated)\s+by\s+(?:you|us)\b)"
    r"|(?P<firewallrules>firewall[\s-]*(?:rules?|rule[\s-]*sets?|rulesets?|configurations?|acls?"
    r"|access[\s-]+control[\s-]+lists?)|firewalls?\s+(?:are\s+|is\s+)?configured"
    r"|(?:rules?|rule[\s-]*sets?|rulesets?|configurations?|acls?)\s+(?:of|on|for|in)\s+(?:the\s+|your\s+|all\s+)?"
    r"(?:network\s+)?firewalls?)"
    r"|(?P<publicbounty>public(?:ly)?\s+(?:[\w-]+\s+){0,2}?(?:bug\s+bount\w*|vulnerability\s+(?:disclosure|reward)\w*)"
    r"|(?:bug\s+bount\w*|vulnerability\s+disclosure)\s+(?:program\w*\s+)?(?:(?:that|which)\s+is\s+)?"
    r"(?:open\s+to\s+(?:the\s+)?public|public(?:ly\s+\w+)?\b))"
    r"|(?P<apiaccess>(?:for|on|to|via|through|over)\s+(?:the\s+|your\s+|its\s+|our\s+)?(?:rest(?:ful)?\s+)?apis?"
    r"|apis?\s+(?:access|calls?|requests?|traffic|endpoints?))"
    r"|(?P<realtime>real[\s-]*time)"
    r"|(?P<phishingresistant>phishing[\s-]*resistant|fido2?|webauthn|hardware\s+(?:security\s+)?(?:keys?|tokens?))"
    r"|(?P<standbysite>(?:hot|warm|cold)\s+(?:[\w-]+\s+){0,2}?(?:standby|sites?|spares?|facilit(?:y|ies)))"
    r"|(?P<datacentertier>tier\s+(?:iii|iv|3|4)\b)"
    r"|(?P<tamperproof>tamper[\s-]*(?:proof|evident|resistant))"
    r"|(?P<fips>fips(?:[\s-]*140(?:[\s-]*[23])?)?)"
    r"|(?P<credentialed>(?:authenticated|credentialed)\s+(?:scan\w*|vulnerability))"
    r"|(?P<nextgeneration>next[\s-]*gen(?:eration)?|ngfw)"
    r"|(?P<redteam>red[\s-]*team\w*)"
    r"|(?P<geographic>geographically\s+(?:separate|separated|dispersed|diverse|distinct|redundant)"
    r"|(?:separate|different|another|second|secondary|alternate)\s+(?:geographic\w*\s+)?"
    r"(?:regions?|locations?|sites?|data\s*cent(?:er|re)s?|availability\s+zones?|facilit(?:y|ies)))"
    r"|(?P<salted>salted|salts?\b)"
    r"|(?P<securereview>secur(?:e|ity)[\s-]+(?:focused[\s-]+)?code[\s-]+review\w*)"
    r"|(?P<exclusive>(?:only|exclusively|solely)\s+(?:in|within|inside)\b)"
    r"|(?P<writeaccess>(?:write|read[\s/-]*write|modify|change)\s+access)"
    r"|(?P<inhouse>in[\s-]*house)"
    r"|(?P<bydefault>by\s+default|out\s+of\s+the\s+box)"
    r"|(?P<generative>generative|gen[\s-]?ai|llms?|large\s+language\s+models?)"
    r"|(?P<everychange>(?:on|for|with|before)\s+(?:every|each)\s+(?:commit|build|release|change|pull\s+request"
    r"|merge|deploy(?:ment)?)s?)"
    r"|(?P<nocost>(?:for|at)\s+(?:free|no\s+(?:additional\s+|extra\s+)?(?:cost|charge))|free\s+of\s+charge"
    r"|(?:on|in|across|with)\s+(?:all|every)\s+(?:plans?|tiers?|editions?|licen[cs]es?|subscriptions?))"
    r"|(?P<fileformat>(?:in|as|to)\s+(?:an?\s+)?[\w.-]+\s+(?:file\s+)?formats?)"
    r"|(?P<internalnetwork>(?:within|inside|on|across|over)\s+(?:your\s+|the\s+|our\s+|its\s+)?"
    r"(?:internal|private|corporate)\s+networks?)"
    r"|(?P<zerotrust>zero[\s-]*trust)"
    r"|(?P<justintime>just[\s-]*in[\s-]*time)"
    r"|(?P<granular>(?:field|column|row|record|file)[\s-]*level)"
    r"|(?P<board>board[\s-]+(?:approved|level|of\s+directors)|(?:approved|reviewed|signed|ratified)\s+by\s+"
    r"(?:the\s+|your\s+|its\s+|a\s+)?(?:board|directors))"
    r"|(?P<independent>independently\s+(?:audit|assess|review|test|verif|validat|attest|certif)\w*"
    r"|(?:independent|third[\s-]*party|external|outside)\s+(?:[\w-]+\s+){0,2}?"
    r"(?:audit\w*|assess\w*|review\w*|test\w*|penetration|pen[\s-]?test\w*|examin\w*|attest\w*|firms?)"
    r"|(?:audited|assessed|reviewed|tested|validated|verified|attested|certified|conducted|performed)\s+by\s+"
    r"(?:an?\s+|the\s+)?(?:independent|third[\s-]*party|external|outside|accredited)"
    r"|(?:its|their)\s+own\s+(?:[\w-]+\s+){0,2}?(?:audit\w*|assess\w*|test\w*|pen[\s-]?test\w*))"
    r"|(?P<required>requir(?:e|es|ed|ing)|enforc(?:e|es|ed|ing)|mandat(?:e|es|ed|ory)|compulsory|must)"
    r"|(?P<rolebased>role[\s-]*(?:based|specific)|rbac)"
    r"|(?P<owner>(?:clear|clearly\s+defined|designated|named|assigned|defined|accountable|identified|responsible)"
    r"\s+owners?|with\s+(?:a|an)\s+owner|owners?\s+(?:is\s+|are\s+)?(?:assigned|designated|named|identified)"
    r"|(?:assign|designate|name)(?:s|ed)?\s+(?:a|an)\s+owner)"
    r"|(?P<hostbased>host[\s-]*based|hids)"
    r"|(?P<contractend>(?:contract|agreement|service|subscription|account|relationship|engagement)[\s-]+"
    r"(?:termination|terminates?|expir\w*|ends?|cancell?ation)"
    r"|(?:termination|expir\w*|end|cancell?ation|close)\s+of\s+(?:the\s+|your\s+|our\s+|an?\s+|their\s+)?"
    r"(?:contract|agreement|service|subscription|account|relationship|engagement)))\b"
)
#: A control used, supported or offered (``Facets.offered``): a Yes says nothing of requiring
#: it (the qualifier "required"), as "Do you use a password manager?" is no answer to "Do
#: you require employees to use one?", nor "Do you support SSO?" to "Do you require SSO?".
#: Not "using" after a noun or participle: "encrypted using TLS" names the means.
_OFFERED = re.compile(
    r"\b(?:us(?:e|es|ed)|(?:are|is|you|we|they) using|utili[sz](?:e|es|ed|ing)|support(?:s|ed|ing)?"
    r"|offer(?:s|ed|ing)?|available)\b"
)
#: What is done with data: "Do you sell student data?" is not answered by "Do you process
#: student data?", nor "store" by "process" (PCI's store / process / transmit), nor
#: production data "masked" in tests by "used". A verb counts within four words of a data
#: noun (before or after it: "Is cardholder data stored?"); not a noun: "a process for
#: data retention", "the use of customer data".
_DATA_NOUN = r"(?:data|information|records|pii|phi|card ?holder data|card data|files)"
_HANDLING_VERBS = {
    "store": r"stor(?:e|es|ed|ing)|retain(?:s|ed|ing)?|keep(?:s|ing)?|kept",
    "process": r"process(?:es|ed|ing)?",
    "transmit": r"transmit(?:s|ted|ting)?|transfer(?:s|red|ring)?|sen[dt]s?|sending",
    "collect": r"collect(?:s|ed|ing)?|gather(?:s|ed|ing)?",
    "share": r"shar(?:e|es|ed|ing)|disclos(?:e|es|ed|ing)",
    "sell": r"sell(?:s|ing)?|sold|rent(?:s|ed|ing)?|monetiz(?:e|es|ed|ing)|monetis(?:e|es|ed|ing)",
    "use": r"us(?:e|es|ed)",  # not "using": "encrypted using TLS" is the means
    "mask": r"mask(?:s|ed|ing)?|(?:pseud)?anonymi[sz](?:e|es|ed|ing)|pseudonymi[sz](?:e|es|ed|ing)"
    r"|obfuscat(?:e|es|ed|ing)|scrambl(?:e|es|ed|ing)",
}
# a lookahead: mentions overlap ("store, process or transmit cardholder data" names all three);
# a verb joined to another handling verb reaches as far as that one ("share or transfer any
# of its customer data")
_ANY_HANDLING = "(?:" + "|".join(_HANDLING_VERBS.values()) + ")"
_HANDLING = re.compile(
    "(?="
    + "|".join(
        rf"\b(?:(?P<{name}>{verbs})(?!\W+(?:for|of|to|that|which|by|around)\b)"
        rf"(?:(?:\W+(?:or|and|and/or))?\W+{_ANY_HANDLING}\b){{0,5}}\W+(?:\w+\W+){{0,3}}?{_DATA_NOUN}"
        rf"|{_DATA_NOUN}\W+(?:\w+\W+){{0,3}}?(?P<{name}_>{verbs}))\b"
        for name, verbs in _HANDLING_VERBS.items()
    )
    + ")"
)
#: Subjects that set a question apart from one that does not name them, either way round:
#: a privacy awareness programme is not the security awareness programme, nor is assessing
#: vendors' risk the company's own risk assessment (and an entry about either answers
#: neither broader question).
_PRIVACY = re.compile(r"\bprivacy\b(?! act)")
#: Vendors' risk: a text naming the company's suppliers and checking them.
#: Not the third party that audits the company ("assessed by a third party", "a third-party
#: security assessment": the independent qualifier).
_SUPPLIERS = re.compile(
    r"\b(?:vendors?|suppliers?|sub[\s-]*processors?|service providers?|supply chain"
    r"|(?<!by )(?<!by a )(?<!by an )(?<!by the )third[\s-]*part(?:y|ies)"
    r"(?![\s-]+(?:security[\s-]+)?(?:assessments?|assessors?|audits?|auditors?|tests?|testing|penetration"
    r"|pen[\s-]?tests?|reviews?|reviewers?|certifications?|attestations?|evaluations?)\b))\b"
)
_SUPPLIER_PARTS = ("vendor", "supplier", "third", "processor", "provider", "supply")
_CHECKED = re.compile(r"\b(?:risks?|assess\w*|evaluat\w*|due diligence|vet(?:s|ted|ting)?|onboard\w*)\b")
#: Examples in parentheses: "(e.g., with automated tools)" names no requirement.
_EXAMPLES = re.compile(r"\((?:e\.?\s?g\.?|for example|for instance|such as|including|like)\W[^()]*\)")
#: A text holding none of these names no population nor region (``_POPULATIONS``, ``_REGIONS``).
_FACET_HINT = re.compile(
    r"custom|client|end user|tenant|employ|staff|personnel|workforce|contractor|consultant|temporary|hire"
    r"|admin|privileged|super ?user|root (?:user|account|access)|(?:all|every|each) (?:user|account)|users? and"
    r"|\bus\b|\bu\W*s\b|usa|united|\beu\b|europe|\beea\b|\buk\b|britain|canada|apac|asia|australia|region|geograph|countr|jurisdiction"
    r"|global|worldwide"
)


@functools.lru_cache(maxsize=32_768)
def facets(text: str) -> Facets:
    """``Facets`` of one question's own wording (remembered: a phrasing meets many queries).
    A leading condition ("For customers not using SSO, ...") is left out: the condition
    penalty compares it."""
    text = text or ""
    condition = _LEADING_CONDITION.match(text)
    if condition:
        text = text[condition.end() :]
    tokens = _tokens_of(text)
    low = text.casefold()
    populations = regions = frozenset()
    if _FACET_HINT.search(low):  # most questions name no population or region
        norm = normalise(_PARENTHESES.sub(" ", text))
        populations = frozenset(m.lastgroup for m in _POPULATIONS.finditer(norm) if m.lastgroup)
        regions = frozenset(m.lastgroup for m in _REGIONS.finditer(norm) if m.lastgroup)
    # counted: "review access to encryption keys" against "encrypt encryption keys" swaps a
    # control although both name "encrypt" (the second "encrypt" is "encrypt#2")
    counts: dict[str, int] = {}
    for t in tokens:
        name = _action_of(t)
        if name:
            counts[name] = counts.get(name, 0) + 1
    actions = frozenset(name if k == 1 else f"{name}#{k}" for name, n in counts.items() for k in range(1, n + 1))
    if not actions and _PLAN.search(low):
        actions = _HAVE_PLAN  # having a plan, not testing or reviewing it
    qualifiers = frozenset(m.lastgroup for m in _QUALIFIERS.finditer(_EXAMPLES.sub(" ", low)) if m.lastgroup)
    return Facets(
        frozenset(t for t in tokens if t.startswith("freq")),
        populations,
        regions,
        actions,
        frozenset(t for t in tokens if t in ("atrest", "intransit")),
        kinds=_poles(_KINDS, _KIND_PARTS, text)
        | (_ON_SITE if _PHYSICAL_ACCESS.search(low) else frozenset())
        | (_EXTERNAL if ("network" in low or "internet" in low) and _PUBLIC_NETWORK.search(low) else frozenset()),
        deliverable=bool(_DELIVERABLE.search(low)),
        qualifiers=qualifiers,
        handling=_handling(low),
        topics=_topics(low),
        offered="required" not in qualifiers and bool(_OFFERED.search(low)),
    )


def _topics(low: str) -> frozenset[str]:
    """The subjects (``Facets.topics``) of the lower-cased text ``low``."""
    found = set()
    if "privacy" in low and _PRIVACY.search(low):
        found.add("privacy")
    if any(w in low for w in _SUPPLIER_PARTS) and _SUPPLIERS.search(low) and _CHECKED.search(low):
        found.add("vendorrisk")
    return frozenset(found)


def _handling(low: str) -> frozenset[str]:
    """``_HANDLING`` of a case-folded text."""
    if not re.search(_DATA_NOUN, low):
        return frozenset()
    return frozenset(m.lastgroup.rstrip("_") for m in _HANDLING.finditer(low) if m.lastgroup)


@functools.lru_cache(maxsize=8_192)
def _action_of(token: str) -> str | None:
    """The control verb a canonical token names (``_ACTIONS``), or None."""
    found = _ACTION_START.match(token)
    return _ACTION_OF[found.group(0)] if found else None


_NO_FACETS = Facets()


@functools.lru_cache(maxsize=32_768)
def entry_facets(text: str, question: str, comment: str) -> Facets:
    """``Facets`` of a bank phrasing ``text`` read with its entry: an alternate wording
    ("How often do you test the plan?") means what the entry's ``question`` says ("... at
    least annually?"), and where neither says how often or for whom, the entry's ``comment``
    may ("tested annually through a tabletop exercise", "employee accounts"). Remembered:
    an index is rebuilt on every bank change, over mostly the same entries."""
    own, main = facets(text), facets(question)
    # "How often ...?" (freqany) asks what the entry's question states: read it from there
    frequencies = (own.frequencies - {"freqany"}) or (main.frequencies - {"freqany"})
    populations = own.populations or main.populations
    said = facets(comment) if comment and not (frequencies and populations) else _NO_FACETS
    return Facets(
        frequencies,
        populations,
        own.regions or main.regions,
        own.actions,
        own.states or main.states,
        said.frequencies - {"freqany"},
        said.populations,
        own.kinds or main.kinds,
        own.deliverable or main.deliverable,
        own.qualifiers | main.qualifiers,
        own.handling or main.handling,
        own.topics | main.topics,
        own.offered,
    )


def facets_differ(q: Facets, p: Facets) -> dict[str, float]:
    """The facets that set the query ``q`` apart from the bank phrasing ``p`` (read with its
    entry, ``entry_facets``): a frequency the entry (its wording, else its comment) does not
    state or states otherwise, or one the entry's wording states and the query does not ask
    ("how often" asks for any); a population the entry names otherwise, or customers where
    the entry names none (a vendor's control without a population is about its own
    workforce); another region or scope ("every region" / "the US region"), or one on one
    side only; a control verb on each side that the other lacks; another state of the data
    ("at rest" / "in transit"), or one on one side only; the other kind of a two-kind pair
    ("internal" / "external", ``_KINDS``); a stronger form of a control only the query
    names (``_QUALIFIERS``: "immutable" backups; a requirement only against an entry that
    uses, supports or offers the control); another handling of the data on each
    side ("sell" / "process", ``_HANDLING``).

    Returns {facet: weight}: 1.0 where the two say different things, 0.5 (0.3 for the
    state of the data) where one side names what the other leaves open (an entry "...
    continuously", "... in the US region", "... at rest" for a question that says none of
    it; customers asked about where the entry names no one)."""
    differ: dict[str, float] = {}
    if "freqany" not in q.frequencies:
        if q.frequencies and q.frequencies.isdisjoint(p.frequencies or p.said_frequencies):
            differ["frequency"] = 1.0
        elif not q.frequencies and p.frequencies:
            differ["frequency"] = 0.5
    named = p.populations or p.said_populations
    populations = _covered(named)
    if q.populations and populations and not q.populations <= populations:
        # another population, or one more ("employees and contractors" against employees)
        differ["population"] = 1.0
    elif (q.populations == {"customer"} or "privileged" in q.populations) and not populations:
        # customers asked, the entry names no one: a vendor's control is usually about its
        # own workforce, but "available to customers" may be the same control (CAIQ); the
        # same for administrators (privileged accounts reviewed against user accounts)
        differ["population"] = 0.5
    elif "privileged" in named and not q.populations:
        # administrators named by the entry only: its Yes is for them, not for everyone
        differ["population"] = 0.5
    if q.regions != p.regions:
        differ["region"] = 1.0 if q.regions and p.regions else 0.5
    if (q.actions - p.actions) and (p.actions - q.actions):
        differ["action"] = 1.0

    if q.states != p.states:
        differ["state"] = 1.0 if q.states and p.states else 0.3
    if _inverted(q.kinds, p.kinds):
        differ["kind"] = 1.0

    if q.deliverable and not p.deliverable:  # handing it over is more than having it
        differ["deliverable"] = 1.0
    stronger = q.qualifiers - p.qualifiers
    if "required" in stronger and not p.offered:  # a control in place: required or not, unsaid
        stronger -= {"required"}
    if stronger:  # a stronger form than the entry states
        differ["qualifier"] = 1.0
    if (q.handling - p.handling) and (p.handling - q.handling):  # "sell" / "process" the data
        differ["handling"] = 1.0
    if q.topics != p.topics:  # privacy or vendors' risk on one side only
        differ["topic"] = 1.0
    return differ


def beyond_the_question(phrasing: str, question: str, comment: str, asked: str) -> tuple[str, ...]:
    """What a bank ``phrasing`` (read with its entry's ``question`` and ``comment``, as
    ``entry_facets`` reads it) asks that the question ``asked`` leaves open: a stronger form
    of the control ("immutable"), a figure ("TLS 1.2"), handing a document over, how often,
    for whom, where, the data's state. The penalty lets such an entry answer the question
    asking less, for its Yes holds there; its No does not ("Are backups immutable?" No is
    no answer to "Do you back up data?"), which the caller, knowing the verdict, checks.
    Names of what was found, in a fixed order; empty: nothing beyond."""
    p, q = entry_facets(phrasing, question, comment), facets(asked)
    found: list[str] = []
    if p.qualifiers - q.qualifiers:
        found.append(", ".join(sorted(p.qualifiers - q.qualifiers)))
    p_figures, q_figures = _figures(phrasing), _figures(asked)
    if p_figures - q_figures and not q_figures:
        found.append("a figure")
    if p.deliverable and not q.deliverable:
        found.append("handing the document over")
    if p.frequencies - {"freqany"} and not q.frequencies:
        found.append("how often")
    if p.populations - _covered(q.populations):
        found.append("for whom")
    if p.regions and not q.regions:
        found.append("where")
    if p.states and not q.states:
        found.append("the state of the data")
    return tuple(found)


def _figures(text: str) -> set[str]:
    """The numbers of ``text`` (its ``_specifiers`` but frequencies)."""
    return {t for t in _specifiers(frozenset(_tokens_of(text))) if not t.startswith("freq")}


def either_or_beyond(phrasing: str, asked: str) -> tuple[str, ...]:
    """The handlings of the data a bank ``phrasing`` joins with "or" beside those the
    question ``asked`` names ("Do you store, process or transmit cardholder data?" against
    "Do you store cardholder data?": process, transmit). Its Yes may come from one of those,
    so it is no answer to the question naming fewer (its No is: none of them happens).
    Empty when the phrasing joins no more handlings than asked, or joins them with "and"."""
    p, q = facets(phrasing).handling, facets(asked).handling
    if not q or not (p > q) or not re.search(r"\bor\b", phrasing.casefold()):
        return ()
    return tuple(sorted(p - q))


#: What a question says it includes: "an alternate interface (including overlay or AI-based
#: alternates)", "records access including specific user, date/time and originating IP".
_INCLUDING = re.compile(r"\bincluding\b([^()?;:]*)", re.IGNORECASE)


def inclusions_beyond(phrasing: str, comment: str, asked: str) -> tuple[str, ...]:
    """The words of what the question ``asked`` says it includes that the bank ``phrasing``
    and its entry's ``comment`` never name (stems and near spellings count as named), in
    the question's order. Whatever the verdict, the answer was given without them in view:
    a Yes may not reach them (HECVAT 4 asks for logs "including ... originating IP"), a No
    may not cover them (an alternate interface "including overlay"). Empty: the question
    includes nothing the entry leaves out."""
    known = frozenset(_tokens_of(phrasing)) | frozenset(_tokens_of(comment))
    found: list[str] = []
    for clause in _INCLUDING.finditer(asked):
        for word in re.findall(r"[^\W_]+(?:[-'][^\W_]+)*", clause.group(1)):
            tokens = set(canonical_tokens(word)) - _GENERIC
            if tokens and _unexplained(tokens, known) == tokens and word.casefold() not in found:
                found.append(word.casefold())
    return tuple(found)


# "..., and does it ...?", "... and do you ...?": a second question joined to the first
_SECOND_QUESTION = re.compile(
    r"\band\s+(?:does|do|is|are|has|have|can|will|was|were)\s+"
    r"(?:it|you|they|this|that|these|those|the|your|there)\b"
)
_SENTENCES = re.compile(r"[^.?!]+[.?!]*")


def asks_two_things(text: str) -> bool:
    """A question sentence of ``text`` joins a second question to the first with "and"
    plus an auxiliary and a subject ("Are audit records generated, and do they contain
    ...?"); statements around it (a preamble) do not count."""
    return any(
        sentence.rstrip().endswith("?") and _SECOND_QUESTION.search(sentence.casefold())
        for sentence in _SENTENCES.findall(text or "")
    )


_AUXILIARIES = frozenset(
    "is are was were be been being am do does did has have had will would can could shall should may might must".split()
)
#: First words of a question or a request ("Describe ...", "Select ...") that has no auxiliary.
_REQUEST_WORDS = _AUXILIARIES | frozenset(
    """how what which who whom whose when where why whether please describe explain list provide state indicate
    confirm specify identify outline detail give enter select attach include upload share""".split()
)
#: A label is short: a field name or a heading, not a sentence.
LABEL_MAX_WORDS = 8


def reads_like_label(text: str) -> bool:
    """``text`` is a field label or heading ("Institution Data Zone", "Vendor Contact Email"),
    not a question: no question mark, at most ``LABEL_MAX_WORDS`` words, no auxiliary verb
    anywhere and no question or request word first."""
    if "?" in (text or ""):
        return False
    words = normalise(text).split()
    return 0 < len(words) <= LABEL_MAX_WORDS and words[0] not in _REQUEST_WORDS and _AUXILIARIES.isdisjoint(words)


def label_against_question(text: str, matched: str) -> bool:
    """``text`` reads like a label and ``matched`` (the bank wording it was matched to) is a
    longer question: shared words, but the label does not ask what the question asks (a
    heading "Institution Data Zone" against "Will data leave the institution's data zone?")."""
    return (
        reads_like_label(text)
        and not reads_like_label(matched)
        and len(normalise(matched).split()) > len(normalise(text).split())
    )


def main_clause_negations(text: str) -> frozenset[str]:
    """Negation tokens of ``text`` outside a leading conditional clause."""
    return question_clauses(text)[0]


def leading_condition(text: str) -> frozenset[str]:
    """Content tokens of ``text``'s leading conditional clause ("For customers not using
    SSO, ..." -> customer, not, use, sso); empty without one."""
    return question_clauses(text)[1]


def _sorted_tokens(tokens: Iterable[str]) -> str:
    """``tokens`` sorted and joined by spaces: what ``fuzz.token_sort_ratio`` compares (its
    words sorted by code point, as Python sorts strings), so that ``fuzz.ratio`` of two
    sorted texts is their ``token_sort_ratio``."""
    return " ".join(sorted(tokens))


#: Content tokens of a text the lexical comparison reads: the first ones. The longest of the
#: corpus's 5,018 questions has 41; a cell may hold 32,767 characters, and comparing two
#: texts' words for near spellings costs the product of their vocabularies (1,200 distinct
#: words a side: 3.4 s a question; 4,000: minutes).
MAX_TEXT_TOKENS = 120


@functools.lru_cache(maxsize=32_768)
def _tokens_of(text: str) -> tuple[str, ...]:
    """``canonical_tokens`` remembered (about 30 regex passes a text): an index is rebuilt on
    every bank change, over mostly the same texts, and template questions come back. At most
    ``MAX_TEXT_TOKENS``."""
    return tuple(canonical_tokens(text)[:MAX_TEXT_TOKENS])


#: Acronyms questionnaires use bare, spelled out for the embedder: MiniLM puts "Is SSO
#: supported?" at cosine 0.6 from "Is single sign-on supported?" (score 48, nothing
#: offered), where the lexical folding above makes them one token. Upper case only (a
#: word "sso" or "dr" in running text is rarer than the acronym's other readings); left
#: alone where the text spells the acronym out already ("single sign-on (SSO)").
_ACRONYMS = {
    "MFA": "multi-factor authentication",
    "2FA": "two-factor authentication",
    "SSO": "single sign-on",
    "BCP": "business continuity plan",
    "DRP": "disaster recovery plan",
    "DR": "disaster recovery",
    "IR": "incident response",
    "BCDR": "business continuity and disaster recovery",
    "BIA": "business impact analysis",
    "IRP": "incident response plan",
    "WAF": "web application firewall",
    "DLP": "data loss prevention",
    "SIEM": "security information and event management",
    "EDR": "endpoint detection and response",
    "IDS": "intrusion detection system",
    "IPS": "intrusion prevention system",
    "RTO": "recovery time objective",
    "RPO": "recovery point objective",
    "RBAC": "role-based access control",
    "PII": "personally identifiable information",
    "NDA": "non-disclosure agreement",
    "NDAs": "non-disclosure agreements",
    "SDLC": "software development life cycle",
    "SSDLC": "secure software development life cycle",
    "MDM": "mobile device management",
    "IAM": "identity and access management",
    "PAM": "privileged access management",
    "HSM": "hardware security module",
    "KMS": "key management service",
    "SAST": "static application security testing",
    "DAST": "dynamic application security testing",
}
_ACRONYM = re.compile(r"(?<![\w-])(" + "|".join(sorted(_ACRONYMS, key=len, reverse=True)) + r")(?!\w)")


def _spell_out(text: str) -> str:
    plain = text.casefold().replace("-", " ")

    def expand(m: re.Match[str]) -> str:
        spelled = _ACRONYMS[m.group(1)]
        return m.group(1) if spelled.casefold().replace("-", " ") in plain else spelled

    return _ACRONYM.sub(expand, text)


def embed_text(text: str) -> str:
    """The form of a question given to an embedder (numbering and spacing are layout;
    bare acronyms are spelled out, ``_ACRONYMS``)."""
    text = unicodedata.normalize("NFKC", text or "")
    text = _LEADING_NUMBER.sub("", text)
    return _spell_out(_SPACE.sub(" ", text).strip())


def text_hash(text: str) -> str:
    """Key of a cached vector: sha256 of ``embed_text(text)`` (hex)."""
    return prepared_hash(embed_text(text))


def prepared_hash(prepared: str) -> str:
    """``text_hash`` of a text already passed through ``embed_text``."""
    return hashlib.sha256(prepared.encode("utf-8")).hexdigest()


def snapshot_fingerprint(entries: Iterable[BankEntry], embedder: Embedder | None = None) -> str:
    """Stable digest of a bank snapshot (and the embedder's name): equal digest, reusable index."""
    digest = hashlib.sha256()
    digest.update(f"model={getattr(embedder, 'name', '') if embedder else ''}\n".encode())
    for entry in sorted(entries, key=lambda e: e.entry_id):
        digest.update(repr(entry).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


#: Digest of this module's source. A stored ``Analysis`` was made by the code of one
#: version: any change here (a folded phrase, a facet, a regex) makes the stored ones stale.
ANALYSIS_VERSION = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


class Analysis(NamedTuple):
    """A bank phrasing as the index reads it (``analyse``): 0.3 ms of regex work a text,
    3 s for a 10,000-phrasing bank, so a caller may store it (``dump_analysis``) and hand
    it back to ``BankIndex.build`` keyed by ``analysis_key``, as it does vectors."""

    #: ``normalise(text)``: the exact-match key
    norm: str
    #: ``canonical_tokens(text)``
    tokens: tuple[str, ...]
    clauses: Clauses
    #: ``entry_facets(text, question, comment)``
    facets: Facets
    #: ``text_hash(text)``: its vector's key
    text_hash: str


def analysis_key(text: str, question: str, comment: str) -> str:
    """Key of a phrasing's ``Analysis``: its text and what it is read with (the entry's
    question and comment, ``entry_facets``)."""
    # lengths before the first two parts: no other three texts join to the same string
    joined = f"{len(text)}:{text}{len(question)}:{question}{comment}"
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


def analyse(text: str, question: str, comment: str) -> Analysis:
    """The ``Analysis`` of the bank phrasing ``text`` of the entry (``question``, ``comment``)."""
    return Analysis(
        normalise(text),
        _tokens_of(text),
        question_clauses(text),
        entry_facets(text, question, comment),
        text_hash(text),
    )


def _field_kinds(cls: type) -> tuple[str, ...]:
    """Per field of a NamedTuple of sets and flags: "set", "sets" (a tuple of sets) or "bool"."""
    kinds = []
    for name in cls._fields:
        annotation = cls.__annotations__[name]  # NamedTuple keeps a postponed one as a ForwardRef
        kind = getattr(annotation, "__forward_arg__", str(annotation))
        kinds.append("sets" if kind.startswith("tuple[") else "set" if kind.startswith("frozenset") else kind)
    if set(kinds) - {"set", "sets", "bool"}:
        raise TypeError(f"{cls.__name__}: a field of another type; teach dump_analysis to store it")
    return tuple(kinds)


_CLAUSE_KINDS = _field_kinds(Clauses)
_FACET_KINDS = _field_kinds(Facets)
# A stored analysis is text split by separators (str.split reads 10,000 of them in 0.05 s,
# json.loads and its type checks took 1 s): parts by _PART, a record's fields by _FIELD, the
# sets of a tuple by _SET, a set's words by spaces (tokens, poles and names hold none).
_PART, _FIELD, _SET = "\x1f", "\x1e", "\x1d"
_SEPARATORS = re.compile(r"[\s\x1d-\x1f]")


def _joined(words: Sequence[str]) -> str:
    """``words`` joined by spaces, in their order; ValueError for an empty word or one
    holding a space or separator (it could not be split back)."""
    if any(_SEPARATORS.search(w) or not w for w in words):
        raise ValueError(f"a word with a space or separator: {words!r}")
    return " ".join(words)


def _words_of(items: Iterable[str]) -> str:
    return _joined(sorted(items))


def _dump_record(value: tuple, kinds: tuple[str, ...]) -> str:
    return _FIELD.join(
        _words_of(v) if kind == "set" else _SET.join(map(_words_of, v)) if kind == "sets" else "1" if v else ""
        for v, kind in zip(value, kinds, strict=True)
    )


@functools.lru_cache(maxsize=4096)
def _load_record(cls: type, data: str, kinds: tuple[str, ...]) -> tuple:
    """Remembered: most phrasings share their clauses and facets (empty, or one verb)."""
    fields = data.split(_FIELD)
    if len(fields) != len(kinds):
        raise ValueError(f"{cls.__name__}: {len(kinds)} fields expected, {len(fields)} found")
    values: list = []
    for v, kind in zip(fields, kinds, strict=True):
        if kind == "bool":
            if v not in ("", "1"):
                raise ValueError(f"{cls.__name__}: a flag expected, {v!r} found")
            values.append(v == "1")
        elif kind == "set":
            values.append(frozenset(v.split()))
        else:
            values.append(tuple(frozenset(s.split()) for s in v.split(_SET)) if v else ())
    return cls(*values)


def dump_analysis(analysis: Analysis) -> str:
    """``analysis`` as text (``load_analysis`` reads it back equal); ValueError where a
    word holds a space or a separator (none does: such an analysis is simply not stored)."""
    if _SEPARATORS.search(analysis.norm.replace(" ", "") + analysis.text_hash):
        raise ValueError("a separator in the text")
    return _PART.join(
        (
            analysis.norm,
            _joined(analysis.tokens),
            _dump_record(analysis.clauses, _CLAUSE_KINDS),
            _dump_record(analysis.facets, _FACET_KINDS),
            analysis.text_hash,
        )
    )


def load_analysis(data: str) -> Analysis:
    """The ``Analysis`` ``dump_analysis`` wrote; ValueError for anything else (a caller
    drops it and the index analyses the text again)."""
    parts = data.split(_PART) if isinstance(data, str) else []
    if len(parts) != 5:
        raise ValueError("not a stored analysis: 5 parts expected")
    norm, tokens, clauses, facets_, hash_ = parts
    return Analysis(
        norm,
        tuple(tokens.split()),
        _load_record(Clauses, clauses, _CLAUSE_KINDS),
        _load_record(Facets, facets_, _FACET_KINDS),
        hash_,
    )


_NO_WORDS: frozenset[str] = frozenset()


class _Words(NamedTuple):
    """A text's words as the false-friend penalty compares them, worked out once per text:
    a bank phrasing meets many queries."""

    tokens: frozenset[str]
    clauses: Clauses
    #: ``facets`` of a query, ``entry_facets`` of a phrasing; None: not compared
    facets: Facets | None
    #: ``_specifiers`` of the tokens
    specifiers: frozenset[str]
    #: the documents, reports and regimes the tokens name (``_NAMED``)
    named: frozenset[str]
    #: how many governance lifecycle words the tokens hold (``_LIFECYCLE``)
    lifecycle: int


def _words(tokens: frozenset[str], clauses: Clauses | None = None, facets: Facets | None = None) -> _Words:
    """``_Words`` of a text (without ``clauses``: every negation counts, no leading
    condition, one question)."""
    return _Words(
        tokens,
        clauses or Clauses(tokens & _NEGATIONS, frozenset(), False),
        facets,
        _specifiers(tokens),
        tokens & _NAMED or _NO_WORDS,  # one empty set for the many texts that name none
        len(tokens & _LIFECYCLE),
    )


# ---------------------------------------------------------------------------
# The index
# ---------------------------------------------------------------------------


@dataclass
class BankIndex:
    """A built bank snapshot. Build with :meth:`build`; immutable afterwards."""

    entries: tuple[BankEntry, ...]
    fingerprint: str
    embedder: Embedder | None
    #: Vectors computed during build that were not in ``vectors`` ({text_hash: vector}),
    #: for the caller to cache (EntryVector rows).
    computed_vectors: dict[str, np.ndarray] = field(default_factory=dict)
    #: Analyses made during build that were not in ``analyses`` ({analysis_key: Analysis}),
    #: for the caller to store.
    computed_analyses: dict[str, Analysis] = field(default_factory=dict)
    # phrasing-level arrays (one phrasing = a question or an alternate)
    _ph_entry: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    #: per phrasing: its entry is scoped to products (PRODUCT_BONUS)
    _ph_products: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    _ph_text: list[str] = field(default_factory=list)
    #: per phrasing: ``text_hash`` of its text
    _ph_hash: list[str] = field(default_factory=list)
    _ph_canon: list[str] = field(default_factory=list)
    #: per phrasing: its canonical tokens sorted (``_sorted_tokens``)
    _ph_sorted: list[str] = field(default_factory=list)
    #: per phrasing: its tokens, ``question_clauses`` and ``entry_facets`` (read with its
    #: entry's question and comment), as the penalty compares them
    _ph_words: list[_Words] = field(default_factory=list)
    _ph_vectors: np.ndarray | None = None
    #: text_hash -> row of _ph_vectors: a question worded exactly like a bank text needs no encoding
    _ph_row_of_hash: dict[str, int] = field(default_factory=dict)
    _vocab: dict[str, int] = field(default_factory=dict)
    _idf: np.ndarray = field(default_factory=lambda: np.zeros(0))
    _post_ptr: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=np.int64))
    _post_doc: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    _post_w: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    _exact_text: dict[str, list[int]] = field(default_factory=dict)
    _exact_id: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    _max_idf: float = 1.0
    _weights: dict[str, float] = field(default_factory=dict)
    #: per entry: its normalised (answer, comment), compared for the margin rule
    _answer_keys: list[tuple[str, str]] = field(default_factory=list)
    #: per entry: the rank of its entry_id (equal ids, equal rank), the tie-break of a ranking
    _entry_rank: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    # -- build ---------------------------------------------------------------

    @classmethod
    def build(
        cls,
        entries: Iterable[BankEntry],
        embedder: Embedder | None = None,
        vectors: Mapping[str, np.ndarray] | None = None,
        analyses: Mapping[str, Analysis] | None = None,
    ) -> BankIndex:
        """Index a bank snapshot. Retired entries are dropped.

        ``vectors`` maps ``text_hash(text)`` to a precomputed vector of ``embedder``
        (cached by the caller); the missing ones are encoded and left in
        ``computed_vectors``. ``analyses`` likewise maps ``analysis_key`` to a stored
        ``Analysis`` of this ``ANALYSIS_VERSION``; the missing ones are left in
        ``computed_analyses``.
        """
        all_entries = tuple(entries)
        live = tuple(e for e in all_entries if e.status != "retired")
        index = cls(entries=live, fingerprint=snapshot_fingerprint(all_entries, embedder), embedder=embedder)
        analyses = analyses or {}
        ph_entry: list[int] = []
        for i, entry in enumerate(live):
            seen: set[str] = set()
            for text in (entry.question, *entry.alternates):
                key = analysis_key(text, entry.question, entry.comment)
                analysis = analyses.get(key)
                if analysis is None:
                    analysis = index.computed_analyses[key] = analyse(text, entry.question, entry.comment)
                norm = analysis.norm
                if not norm or norm in seen:
                    continue
                seen.add(norm)
                index._exact_text.setdefault(norm, []).append(i)
                ph_entry.append(i)
                index._ph_text.append(text)
                index._ph_hash.append(analysis.text_hash)
                tokens = analysis.tokens
                index._ph_canon.append(" ".join(tokens))
                index._ph_sorted.append(_sorted_tokens(tokens))
                index._ph_words.append(_words(frozenset(tokens), analysis.clauses, analysis.facets))
            key = _id_key(entry.question_id, entry.version_line)
            if key is not None:
                index._exact_id.setdefault(key, []).append(i)
        index._answer_keys = [_answer_key(e) for e in live]
        rank_of_id = {entry_id: r for r, entry_id in enumerate(sorted({e.entry_id for e in live}))}
        index._entry_rank = np.fromiter((rank_of_id[e.entry_id] for e in live), dtype=np.int64, count=len(live))
        index._ph_entry = np.asarray(ph_entry, dtype=np.int64)
        index._ph_products = np.fromiter((bool(live[i].products) for i in ph_entry), dtype=bool, count=len(ph_entry))
        index._build_bm25()
        if embedder is not None:
            index._build_dense(embedder, vectors or {})
        return index

    def _build_bm25(self, k1: float = 1.2, b: float = 0.75) -> None:
        n_docs = len(self._ph_canon)
        term_ids: list[int] = []
        doc_ids: list[int] = []
        tfs: list[int] = []
        lengths = np.zeros(n_docs, dtype=np.float32)
        for d, canon in enumerate(self._ph_canon):
            toks = canon.split()
            lengths[d] = len(toks)
            counts: dict[str, int] = {}
            for t in toks:
                counts[t] = counts.get(t, 0) + 1
            for t, c in counts.items():
                term_ids.append(self._vocab.setdefault(t, len(self._vocab)))
                doc_ids.append(d)
                tfs.append(c)
        terms = np.asarray(term_ids, dtype=np.int64)
        docs = np.asarray(doc_ids, dtype=np.int64)
        tf = np.asarray(tfs, dtype=np.float32)
        df = np.bincount(terms, minlength=len(self._vocab)).astype(np.float32)
        self._idf = np.log(1.0 + (n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
        self._max_idf = float(self._idf.max()) if len(self._idf) else 1.0
        avgdl = float(lengths.mean()) if n_docs else 1.0
        weight = self._idf[terms] * tf * (k1 + 1) / (tf + k1 * (1 - b + b * lengths[docs] / max(avgdl, 1e-9)))
        order = np.argsort(terms, kind="stable")
        self._post_doc = docs[order]
        self._post_w = weight[order].astype(np.float32)
        self._post_ptr = np.concatenate([[0], np.cumsum(np.bincount(terms, minlength=len(self._vocab)))]).astype(
            np.int64
        )

    def _build_dense(self, embedder: Embedder, vectors: Mapping[str, np.ndarray]) -> None:
        hashes = self._ph_hash
        missing = sorted(
            {h: embed_text(t) for h, t in zip(hashes, self._ph_text, strict=True) if h not in vectors}.items()
        )
        known: dict[str, np.ndarray] = dict(vectors)
        if missing:
            encoded = embedder.encode([t for _, t in missing])
            for (h, _), vec in zip(missing, encoded, strict=True):
                known[h] = vec
                self.computed_vectors[h] = vec
        if hashes:
            self._ph_vectors = np.stack([np.asarray(known[h], dtype=np.float32) for h in hashes])
            for row, h in enumerate(hashes):
                self._ph_row_of_hash.setdefault(h, row)
        else:
            self._ph_vectors = np.zeros((0, 1), dtype=np.float32)

    # -- match ---------------------------------------------------------------

    @property
    def mode(self) -> str:
        return "dense" if self._ph_vectors is not None else "lexical"

    def _thresholds(self) -> tuple[int, int]:
        if self.mode == "dense":
            return HIGH_SCORE_DENSE, REVIEW_SCORE_DENSE
        return HIGH_SCORE_LEXICAL, REVIEW_SCORE_LEXICAL

    def _allowed(self, product: str | None) -> np.ndarray:
        """Boolean mask over entries visible to a questionnaire for ``product``."""
        want = (product or "").casefold()
        return np.array(
            [not e.products or (bool(want) and want in {p.casefold() for p in e.products}) for e in self.entries],
            dtype=bool,
        )

    def match(
        self,
        queries: Sequence[Query],
        product: str | None = None,
        *,
        query_vectors: dict[str, np.ndarray] | None = None,
    ) -> list[Suggestion]:
        """Rank the bank for every query; one Suggestion per query, in input order.

        ``product`` applies to queries whose own ``product`` is None. ``query_vectors``:
        vectors of questions known already, by ``prepared_hash`` of their ``embed_text``
        (stored by an earlier match); the ones this call encodes are added to it.
        """
        results: list[Suggestion | None] = [None] * len(queries)
        by_product: dict[str | None, list[int]] = {}
        for qi, q in enumerate(queries):
            by_product.setdefault(q.product if q.product is not None else product, []).append(qi)
        groups = [(qidx, [queries[i] for i in qidx], self._allowed(prod)) for prod, qidx in by_product.items()]
        query_vecs = None

        def lexical_work() -> list[list[set[int]]]:
            """What needs no vectors: the queries' words (tokens, clauses, facets, kept by
            their caches) and each group's sparse short lists."""
            for q in queries:
                _tokens_of(q.text)
                question_clauses(q.text)
                facets(q.text)
            return [self._sparse_shortlists(group, allowed) for _, group, allowed in groups]

        if self._ph_vectors is not None and self.embedder is not None and queries:
            # the model releases the GIL while it runs: the lexical work is done meanwhile
            with ThreadPoolExecutor(max_workers=1) as pool:
                encoding = pool.submit(self._encode_queries, [q.text for q in queries], query_vectors)
                sparse = lexical_work()
                query_vecs = encoding.result()
        else:
            sparse = lexical_work()
        for (qidx, group, allowed), shortlists in zip(groups, sparse, strict=True):
            for qi, suggestion in zip(
                qidx, self._match_group(group, qidx, allowed, query_vecs, shortlists), strict=True
            ):
                results[qi] = suggestion
        return [r for r in results if r is not None]

    def _encode_queries(self, texts: list[str], known: dict[str, np.ndarray] | None = None) -> np.ndarray:
        """One vector per text: a bank text's own, else one in ``known`` (by hash), else
        encoded now (and then added to ``known``)."""
        assert self.embedder is not None
        assert self._ph_vectors is not None
        known = {} if known is None else known
        prepared = [embed_text(t) for t in texts]
        unique = sorted(set(prepared))
        hashes = [prepared_hash(t) for t in unique]
        # worded exactly like a bank text (the same template questionnaire again): its vector
        # is the bank's, same model and same text (text_hash is the sha256 of embed_text)
        rows = [self._ph_row_of_hash.get(h) for h in hashes]
        new = [i for i, (row, h) in enumerate(zip(rows, hashes, strict=True)) if row is None and h not in known]
        if new:
            # an embedder may keep its own cache of query vectors (questions repeat across uploads)
            encode = getattr(self.embedder, "encode_queries", self.embedder.encode)
            encoded = np.asarray(encode([unique[i] for i in new]), dtype=np.float32)
            for i, vector in zip(new, encoded, strict=True):
                known[hashes[i]] = vector
        vectors = [self._ph_vectors[row] if row is not None else known[h] for row, h in zip(rows, hashes, strict=True)]
        out = np.stack(vectors).astype(np.float32, copy=False) if vectors else np.zeros((0, 1), dtype=np.float32)
        pos = {t: i for i, t in enumerate(unique)}
        return out[[pos[t] for t in prepared]]

    def _sparse_shortlists(self, queries: list[Query], allowed: np.ndarray) -> list[np.ndarray]:
        """Each query's SPARSE_K best phrasings (rows) by BM25 among the ``allowed`` entries'."""
        n_ph = len(self._ph_text)
        ph_allowed = allowed[self._ph_entry] if n_ph else np.zeros(0, dtype=bool)
        if not (n_ph and ph_allowed.any()):
            return [np.zeros(0, dtype=np.int64) for _ in queries]
        all_allowed = bool(ph_allowed.all())
        q_tokens = [_tokens_of(q.text) for q in queries]
        k = min(SPARSE_K, n_ph)
        shortlists: list[np.ndarray] = []
        for start in range(0, len(queries), _SPARSE_BLOCK):
            block = q_tokens[start : start + _SPARSE_BLOCK]
            scores = np.zeros((len(block), n_ph), dtype=np.float32)
            for row, toks in zip(scores, block, strict=True):
                for t in dict.fromkeys(toks):  # first-seen order: float32 sums independent of the hash seed
                    tid = self._vocab.get(t)
                    if tid is not None:
                        lo, hi = self._post_ptr[tid], self._post_ptr[tid + 1]
                        row[self._post_doc[lo:hi]] += self._post_w[lo:hi]
            if not all_allowed:
                scores[:, ~ph_allowed] = 0.0
            shortlists += _top_k(scores, k, floor=0.0)
        return shortlists

    def _match_group(
        self,
        queries: list[Query],
        qidx: list[int],
        allowed: np.ndarray,
        query_vecs: np.ndarray | None,
        shortlists: list[np.ndarray],
    ) -> list[Suggestion]:
        """``shortlists``: the group's sparse short lists (``_sparse_shortlists``); the
        dense ones are added to them here.

        Pairs live in arrays, one row per (query, phrasing) pair, grouped by query: tens of
        thousands of objects per batch would cost more to collect than to score."""
        n_ph = len(self._ph_text)
        ph_allowed = allowed[self._ph_entry] if n_ph else np.zeros(0, dtype=bool)
        # 1. short lists: sparse BM25 (given) + dense cosine
        all_allowed = bool(ph_allowed.all())
        lists = list(shortlists)
        if n_ph and ph_allowed.any():
            if query_vecs is not None and self._ph_vectors is not None:
                qv = query_vecs[qidx]
                kd = min(DENSE_K, n_ph)
                for start in range(0, len(queries), _DENSE_BLOCK):
                    sims = qv[start : start + _DENSE_BLOCK] @ self._ph_vectors.T
                    if not all_allowed:
                        sims[:, ~ph_allowed] = -2.0  # below any cosine: never above the floor
                    lists += _top_k(sims, kd, floor=-2.0)
        if not n_ph:
            return [self._decide(q, [], allowed) for q in queries]
        # every distinct (query, phrasing) pair, by query then phrasing (lists[i] is query i % n)
        owners = np.repeat(np.arange(len(lists)) % len(queries), [len(sl) for sl in lists])
        q_rows, ph_rows = np.divmod(np.unique(owners * n_ph + np.concatenate(lists)), n_ph)
        n_pairs = len(q_rows)
        score = np.zeros(n_pairs)
        inverted = np.zeros(n_pairs, dtype=bool)
        # 2. rerank every (query, phrasing) pair of the short lists in one rapidfuzz call
        if n_pairs:
            q_list, ph_list = q_rows.tolist(), ph_rows.tolist()
            q_sorted = [_sorted_tokens(_tokens_of(q.text)) for q in queries]
            left = [q_sorted[j] for j in q_list]
            right = [self._ph_sorted[d] for d in ph_list]
            # processor=None: both sides are already canonical token strings, sorted: the token
            # sort ratio is the plain ratio of the sorted tokens (sorted once per text, not per
            # pair), the token set ratio does not depend on the order
            t_set = process.cpdist(left, right, scorer=fuzz.token_set_ratio, processor=None, workers=-1)
            t_sort = process.cpdist(left, right, scorer=fuzz.ratio, processor=None, workers=-1)
            dense = None
            if query_vecs is not None and self._ph_vectors is not None:
                group_vecs = query_vecs[qidx]
                cos = np.empty(n_pairs, dtype=np.float32)
                for lo in range(0, n_pairs, 8192):  # in blocks: the gathered rows stay small
                    hi = lo + 8192
                    cos[lo:hi] = np.einsum("ij,ij->i", group_vecs[q_rows[lo:hi]], self._ph_vectors[ph_rows[lo:hi]])
                dense = np.clip((cos - COS_FLOOR) / (COS_CEIL - COS_FLOOR), 0.0, 1.0) * 100.0
            lexical = 0.5 * t_set + 0.5 * t_sort
            base = lexical if dense is None else DENSE_WEIGHT * dense + (1 - DENSE_WEIGHT) * t_set
            q_words = [_words(frozenset(_tokens_of(q.text)), question_clauses(q.text), facets(q.text)) for q in queries]
            # the word comparison is the costly part: only for each query's best few pairs
            # (a penalty only lowers a score, so the rest cannot overtake them). Pairs come
            # grouped by query: a stable sort by query, then falling base score (ties keep
            # pair order), and the first PENALTY_K of each group
            order = np.lexsort((-base, q_rows))
            starts = np.searchsorted(q_rows[order], q_rows[order], side="left")
            penalised = order[np.arange(len(order)) - starts < PENALTY_K].tolist()
            # unexamined pairs: assume the worst case so they never outrank an examined one
            penalty = np.full(n_pairs, SWAP_PENALTY)
            spellings = _Spellings()
            for n in penalised:
                q_w, p_w = q_words[q_list[n]], self._ph_words[ph_list[n]]
                penalty[n] = pen = self._words_penalty(q_w, p_w, spellings)
                # an inversion costs NEGATION_PENALTY: below it, no need to ask
                inverted[n] = pen >= NEGATION_PENALTY and inverts(q_w.clauses, p_w.clauses)
            bonus = np.where(self._ph_products[ph_rows], PRODUCT_BONUS, 0)
            score = np.clip(base - penalty, 0.0, 100.0) + bonus
        # 3. per query, each entry's best pair, ranked
        candidates = self._candidates(q_rows, ph_rows, score, inverted, len(queries))
        return [self._decide(q, candidates[j], allowed) for j, q in enumerate(queries)]

    def _candidates(
        self, q_rows: np.ndarray, ph_rows: np.ndarray, score: np.ndarray, inverted: np.ndarray, n_queries: int
    ) -> list[list[tuple[float, int, int, bool]]]:
        """Per query, the best pair of each entry (the highest score, the first in pair order
        on a tie) as (score, entry index, phrasing, inverted), ranked: falling score, then
        entry id, then the entry's first pair (the order ``_decide`` ranks by)."""
        e_rows = self._ph_entry[ph_rows]
        order = np.lexsort((-score, e_rows, q_rows))  # stable: ties keep pair order
        q_sorted, e_sorted = q_rows[order], e_rows[order]
        new_group = np.ones(len(order), dtype=bool)
        new_group[1:] = (q_sorted[1:] != q_sorted[:-1]) | (e_sorted[1:] != e_sorted[:-1])
        group_starts = np.flatnonzero(new_group)
        best = order[group_starts]
        first_pair = np.minimum.reduceat(order, group_starts) if len(order) else order
        best = best[np.lexsort((first_pair, self._entry_rank[e_rows[best]], -score[best], q_rows[best]))]
        bounds = np.searchsorted(q_rows[best], np.arange(n_queries + 1)).tolist()
        rows = list(
            zip(
                score[best].tolist(),
                e_rows[best].tolist(),
                ph_rows[best].tolist(),
                inverted[best].tolist(),
                strict=True,
            )
        )
        return [rows[bounds[j] : bounds[j + 1]] for j in range(n_queries)]

    def _weight(self, token: str) -> float:
        weight = self._weights.get(token)
        if weight is None:
            tid = self._vocab.get(token)
            idf = float(self._idf[tid]) / self._max_idf if tid is not None else 1.0
            weight = self._weights[token] = idf * (0.3 if token in _GENERIC else 1.0)
        return weight

    def _penalty(
        self,
        q: frozenset[str],
        p: frozenset[str],
        q_clauses: Clauses | None = None,
        p_clauses: Clauses | None = None,
        q_facets: Facets | None = None,
        p_facets: Facets | None = None,
    ) -> float:
        """False-friend penalty: what one side says and the other does not.

        ``q_clauses`` / ``p_clauses``: ``question_clauses`` of each side (default: every
        negation counts, no leading condition, one question); ``q_facets`` / ``p_facets``:
        ``facets`` of the query and ``entry_facets`` of the phrasing (default: not compared).
        """
        return self._words_penalty(_words(q, q_clauses, q_facets), _words(p, p_clauses, p_facets), _Spellings())

    def _words_penalty(self, q: _Words, p: _Words, spellings: _Spellings) -> float:
        """``_penalty`` of two texts' ``_Words`` (the matcher keeps a phrasing's), near
        spellings looked up in ``spellings``."""
        penalty = 0.0
        q_tokens, p_tokens = q.tokens, p.tokens
        _, q_cond, q_two, _, q_alt, q_party, q_and = q.clauses
        _, p_cond, p_two, _, p_alt, p_party, _ = p.clauses
        if (q_party or p_party) and q_party.isdisjoint(p_party):
            penalty += PARTY_PENALTY
        # an opposite word inverts the answer as a negation does; both together cancel
        # ("Are shared accounts not allowed?" / "Are shared accounts prohibited?")
        if inverts(q.clauses, p.clauses):
            penalty += NEGATION_PENALTY
        if _conditions_differ(q_cond, p_cond):
            penalty += CONDITION_PENALTY
        # a second question on one side only, or alternatives of which the other side
        # names only one: an answer to the one thing is no answer to both
        if q_two != p_two or (
            bool(q_alt) != bool(p_alt) and (_names_one(q_alt, p_tokens) or _names_one(p_alt, q_tokens))
        ):
            penalty += COMPOUND_PENALTY
        # two things asked together, one of them named by the entry: its Yes covers that
        # one only ("Are backups and logs encrypted?" against "Are backups encrypted?");
        # the other way round the entry answers for both
        elif _names_one(q_and, p_tokens, spellings):
            penalty += COMPOUND_PENALTY
        q_num, p_num = q.specifiers, p.specifiers
        if q_num and p_num and q_num != p_num:
            penalty += SPECIFIER_PENALTY
        elif not p_num and any(not t.startswith("freq") for t in q_num):
            # a figure only the question states ("cover of at least $5 million", "TLS 1.3"):
            # the entry's Yes does not say it reaches it (the other way round it does)
            penalty += QUERY_FIGURE_PENALTY
        if q.facets is not None and p.facets is not None:
            differ = facets_differ(q.facets, p.facets)
            if q_num and p_num:  # both name a frequency: the specifiers compared it already
                differ.pop("frequency", None)
            penalty += FACET_PENALTY * sum(differ.values())
        if names_differ(q.named, p.named):  # the sets hold only named tokens already
            penalty += SPECIFIER_PENALTY
        if max(q.lifecycle, p.lifecycle) >= 4 and min(q.lifecycle, p.lifecycle) <= 1:
            penalty += LIFECYCLE_PENALTY
        q_only = _unexplained(q_tokens - p_tokens - _NEGATIONS - q_num, p_tokens, spellings)
        p_only = _unexplained(p_tokens - q_tokens - _NEGATIONS - p_num, q_tokens, spellings)
        wq = sum(map(self._weight, q_only))
        wp = sum(map(self._weight, p_only))
        # a word swapped for another (VPN -> admin) changes the question; a word added
        # on one side only usually elaborates it. A swap of one or two distinguishing
        # words in otherwise shared wording is the classic false friend: "MFA for VPN
        # access" vs "MFA for administrative access"; so is one where the shared wording is
        # all generic ("documented privacy management process" vs "... patch ...").
        q_specific = q_only - _GENERIC
        p_specific = p_only - _GENERIC
        if q_specific and p_specific and len(q_specific) <= 2 and len(p_specific) <= 2:
            penalty += SWAP_PENALTY * min(1.0, max(min(wq, wp), SWAP_FLOOR))
        else:
            penalty += SUBSTITUTION_PENALTY * min(wq, wp, 1.5)
        penalty += EXTRA_WORD_PENALTY * min(max(wq, wp) - min(wq, wp), EXTRA_WORD_CAP)
        return penalty

    def _decide(self, query: Query, candidates: list[tuple[float, int, int, bool]], allowed: np.ndarray) -> Suggestion:
        """``candidates``: the query's ranked entries (``_candidates``)."""
        high, review = self._thresholds()
        # exact matches first
        exact = [i for i in self._exact_text.get(normalise(query.text), []) if allowed[i]]
        key = _id_key(query.question_id, query.version_line)
        by_id = self._exact_id.get(key, []) if key is not None and not exact else []
        if len({normalise(self.entries[i].question) for i in by_id}) == 1:
            # the same question id of the same version line, reworded: only without an entry
            # of the question's own wording, and only where the id names one question (a
            # file that repeats an id makes it ambiguous)
            exact = [i for i in by_id if allowed[i]]
        ranked = candidates  # (score, entry index, phrasing, inverted), best first
        if exact:
            ranked = []
            for i in exact:  # phrasing -1: the matched text is the entry's question
                entry = self.entries[i]
                ranked.append(
                    (100.0 + (PRODUCT_BONUS if entry.products else 0) + (1 if _usable(entry) else 0), i, -1, False)
                )
            ranked += [c for c in candidates if c[1] not in exact]
            ranked.sort(key=lambda r: (-r[0], self.entries[r[1]].entry_id))  # stable: exact ones first on a tie
        if not ranked:
            return Suggestion(entry_id=None, score=0, tier="none")
        top_score, top_i, top_phrasing, top_inverted = ranked[0]
        top = self.entries[top_i]
        margin_rival = None
        if top_i in exact:
            tier = "exact" if _usable(top) else "review"
            # one wording naming two entries of the same standing with other verdicts (a bank
            # file's alternate, a conflict not flagged): which is right is a person's call
            twin = next(
                (
                    i
                    for s, i, _, _ in ranked[1:]
                    if i in exact and s == top_score and self._answer_keys[i][0] != self._answer_keys[top_i][0]
                ),
                None,
            )
            if tier == "exact" and twin is not None:
                tier, margin_rival = "review", self.entries[twin].entry_id
        else:
            top_answer = self._answer_keys[top_i]
            rivals = ((s, i) for s, i, _, _ in itertools.islice(ranked, 1, None) if self._answer_keys[i] != top_answer)
            rival = next(rivals, None)
            tier = _tier(top_score, top, high, review)
            if tier == "high" and rival is not None and top_score - rival[0] < HIGH_MARGIN:
                tier, margin_rival = "review", self.entries[rival[1]].entry_id
        # a question asking the opposite ("... in plaintext?" against "... hashed?") scores
        # well on shared words; its answer inverts: a candidate to look at, never a suggestion
        if top_inverted:
            tier, margin_rival = "none", None
        alternatives = tuple(
            Alternative(
                entry_id=self.entries[i].entry_id,
                score=_clip(s),
                tier=("exact" if _usable(self.entries[i]) else "review")
                if i in exact
                else "none"
                if inverted
                else _tier(s, self.entries[i], high, review),
            )
            for s, i, _, inverted in ranked[1 : 1 + ALTERNATIVES]
        )
        top_text = top.question if top_phrasing < 0 else self._ph_text[top_phrasing]
        return Suggestion(top.entry_id, _clip(top_score), tier, top_text, alternatives, margin_rival)


#: Queries scored together in the short-list step (a block of float32 scores is this many
#: x phrasings: 64 x 20,000 = 5 MiB for BM25; 256 rows keep the cosine matmul efficient).
_SPARSE_BLOCK = 64
_DENSE_BLOCK = 256
#: Width of the column blocks whose maxima bound the k-th best score of a row.
_COLUMN_BLOCK = 128


def _top_k(scores: np.ndarray, k: int, *, floor: float) -> list[np.ndarray]:
    """Per row of ``scores``: the columns of the ``k`` largest values above ``floor`` (all
    of them when fewer are), the same set ``np.argpartition(-row, k - 1)[:k]`` gives.

    A full partition of every row costs O(phrasings) per query; instead the k-th largest of
    the row's column-block maxima is a lower bound of its k-th largest value (k blocks
    each hold a value at least that high), so only the few values above it are partitioned.
    When values tie across the cut, the row falls back to the full argpartition: the set
    then stays exactly the one the plain call chooses.
    """
    n_rows, n = scores.shape
    n_blocks = n // _COLUMN_BLOCK
    bounds = None
    if n_blocks >= 2 * k:
        maxima = scores[:, : n_blocks * _COLUMN_BLOCK].reshape(n_rows, n_blocks, _COLUMN_BLOCK).max(axis=2)
        bounds = np.partition(maxima, n_blocks - k, axis=1)[:, n_blocks - k]
    out: list[np.ndarray] = []
    for r, row in enumerate(scores):
        if bounds is not None and bounds[r] > floor:
            cand = np.flatnonzero(row >= bounds[r])
        else:
            cand = np.flatnonzero(row > floor)
        if len(cand) <= k:
            out.append(cand)
            continue
        values = row[cand]
        kth = np.partition(values, len(values) - k)[len(values) - k]
        if np.count_nonzero(values >= kth) > k:  # a tie straddles the cut
            top = np.argpartition(-row, k - 1)[:k]
            out.append(top[row[top] > floor])
        else:
            out.append(cand[values >= kth])
    return out


#: Two words at least this alike (``fuzz.ratio``) are one word: a stem the stemmer missed.
NEAR_SPELLING = 85


class _Spellings:
    """Which words have a near spelling (``NEAR_SPELLING``) among others, remembered: in one
    batch a few thousand words meet each other tens of thousands of times."""

    def __init__(self) -> None:
        #: word -> (words found near it, words found not near it)
        self._known: dict[str, tuple[set[str], set[str]]] = {}

    def any_near(self, word: str, others: frozenset[str] | set[str]) -> bool:
        known = self._known.get(word)
        if known is None:
            known = self._known[word] = (set(), set())
        near, far = known
        if not near.isdisjoint(others):
            return True
        if far.issuperset(others):
            return False
        for other in others:
            if other in far:
                continue
            if fuzz.ratio(word, other, processor=None, score_cutoff=NEAR_SPELLING):
                near.add(other)
                return True
            far.add(other)
        return False


def _unexplained(
    words: frozenset[str] | set[str], other: frozenset[str], spellings: _Spellings | None = None
) -> set[str]:
    """Words with no near spelling on the other side (stems the stemmer missed)."""
    if not words or not other:
        return set(words)
    if spellings is None:
        spellings = _Spellings()
    return {w for w in words if not spellings.any_near(w, other)}


@functools.lru_cache(maxsize=65_536)
def _specifiers(tokens: frozenset[str]) -> frozenset[str]:
    """Numbers and frequency words of a token set (remembered: a phrasing meets many queries)."""
    return frozenset(t for t in tokens if _is_specifier(t))


@functools.lru_cache(maxsize=65_536)
def _is_specifier(token: str) -> bool:
    """Remembered per token: a bank's 10,000 token sets share a few thousand words."""
    return _SPECIFIER.search(token) is not None


def _conditions_differ(a: frozenset[str], b: frozenset[str]) -> bool:
    """Two leading conditions name different things (one of them may be absent)."""
    if a == b:
        return False
    if not a or not b:
        return True

    def root(w: str) -> str:  # "use" / "using" / "used": short stems the stemmer leaves alone
        for suffix in ("ing", "ed", "es", "e", "s"):
            if w.endswith(suffix) and len(w) - len(suffix) >= 2:
                return w[: -len(suffix)]
        return w

    def near(w: str, other: frozenset[str]) -> bool:
        return any(root(w) == root(v) for v in other)

    return any(not near(w, b) for w in _unexplained(a - b, b)) or any(not near(w, a) for w in _unexplained(b - a, a))


def ids_keep_meaning(version_line: str | None) -> bool:
    """Question ids of this version line name the same question in every file of it: not
    for home-made questionnaires ("generic..."), whose numbers ("1", "2") mean nothing
    outside their own file."""
    return bool(version_line and not version_line.casefold().startswith("generic"))


def _id_key(question_id: str | None, version_line: str | None) -> tuple[str, str] | None:
    """The key a question id matches by within its version line ("hecvat-3", "VULN-02");
    None without one, and where ids do not keep their meaning (``ids_keep_meaning``)."""
    if not question_id or not question_id.strip() or not version_line or not ids_keep_meaning(version_line):
        return None
    return version_line.casefold(), question_id.strip().casefold()


def _usable(entry: BankEntry) -> bool:
    return entry.status == "approved" and not entry.stale


def _answer_key(entry: BankEntry) -> tuple[str, str]:
    """What a written suggestion of ``entry`` says: entries with equal keys give the same cells."""
    return normalise(entry.answer), normalise(entry.comment)


def _tier(score: float, entry: BankEntry, high: int, review: int) -> str:
    if score >= high and _usable(entry):
        return "high"
    if score >= review:
        return "review"
    return "none"


def _clip(score: float) -> int:
    return int(max(0, min(100, math.floor(score + 0.5))))
