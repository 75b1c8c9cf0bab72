"""Zero-width characters, soft hyphens and bidi controls inside a question split its words
for matching ("in\u00adcident" is not "incident") and reorder what the review page shows:
questions are read without them, and bank entries are saved without them. The cells of
the customer's file are never changed by this."""

from __future__ import annotations

import pytest
from sqlmodel import select

import importers
from answers import bank
from answers.models import Entry, EntryCreate, EntryStatus, EntryUpdate
from answers.suggest import invalidate, suggest_for
from exporters.xlsx import write_back
from importers._text import strip_invisible
from tests.review_builders import cells, load_bank, questionnaire_xlsx

PLAIN = [
    ("ENC-01", "Do you encrypt customer data at rest?"),
    ("MFA-01", "Is multi-factor authentication enforced for administrator accounts?"),
    ("BCP-01", "Do you maintain a tested business continuity plan?"),
]
HIDDEN = [
    ("ENC-01", "Do\u200b you encr\u200cypt cust\u200domer data\u2060 at rest?"),
    ("MFA-01", "\u202eIs multi-factor authentication enforced for ad\u00administrator accounts?\u202c"),
    ("BCP-01", "\ufeffDo you maintain a tested business con\u2066tinuity\u2069 plan?\u200f"),
]


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("in\u00adcident", "incident"),
        ("\u202aa\u202bb\u202cc\u202dd\u202ee", "abcde"),
        ("\u2066x\u2067y\u2068z\u2069", "xyz"),
        ("zero\u200bwidth\u200c\u200d\u2060\ufeff", "zerowidth"),
        ("tabs\tand\nnewlines stay, so do accents: café", "tabs\tand\nnewlines stay, so do accents: café"),
    ],
)
def test_strip_invisible(text, clean):
    assert strip_invisible(text) == clean


def test_questions_are_read_without_invisible_characters_and_the_cells_keep_them():
    data = questionnaire_xlsx(HIDDEN)
    parsed = importers.load(data, "vendor.xlsx")
    assert [q.text for q in parsed.questions] == [text for _, text in PLAIN]
    out = write_back(data, parsed.questions[0].cell_values("Yes"))
    assert cells(out)["B2"] == HIDDEN[0][1]  # the customer's own text is not ours to change


def test_a_question_with_invisible_characters_matches_like_the_plain_one(app, session):
    load_bank(app)
    invalidate()

    def tiers(rows):
        parsed = importers.load(questionnaire_xlsx(rows), "vendor.xlsx")
        found = suggest_for(parsed.questions, version_line=parsed.version_line, product=None, session=session)
        return [(s.tier, s.score, s.entry_id) for s in found]

    plain = tiers(PLAIN)
    assert plain[0][0] == "exact"
    assert tiers(HIDDEN) == plain


def test_bank_entries_are_saved_without_invisible_characters(app, session):
    entry = bank.create_entry(
        EntryCreate(
            question="Do you have an in\u00adcident response plan?\u200b",
            answer="\u202eYes",
            comment="Tested year\u2060ly.",
            alternates=["\ufeffIs there an IR plan?"],
            status=EntryStatus.approved,
        ),
        session=session,
        actor="cur",
    )
    assert (entry.question, entry.answer, entry.comment, entry.alternates) == (
        "Do you have an incident response plan?",
        "Yes",
        "Tested yearly.",
        ["Is there an IR plan?"],
    )
    bank.update_entry(entry.id, EntryUpdate(comment="Re\u00adviewed\u200f."), session=session, actor="cur")
    assert entry.comment == "Reviewed."
    # a bank file row is the same entry, not a second one beside it
    rows = bank.read_bank_file(
        "question,answer\r\nDo you have an inci\u200bdent response plan?,Yes\r\n".encode(), "bank.csv"
    )
    result = bank.import_entries(rows, session=session)
    assert (result.created, result.unchanged) == (0, 1)
    assert len(session.exec(select(Entry)).all()) == 1
