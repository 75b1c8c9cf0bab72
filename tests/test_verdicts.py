"""Verdict mapping onto a cell's allowed values."""

import pytest

from answers.verdicts import is_verdict, map_verdict

HECVAT = ["Yes", "No", "N/A"]
NUMBERED = ["1) Yes", "2) No", "3) Unknown", "4) N/A"]


@pytest.mark.parametrize(
    ("verdict", "choices", "expected"),
    [
        ("Yes", NUMBERED, "1) Yes"),
        ("yes", ["Y", "N"], "Y"),
        ("Yes", ["TRUE", "FALSE"], "TRUE"),
        ("No", NUMBERED, "2) No"),
        ("No", ["Y", "N"], "N"),
        ("N/A", ["Yes", "No", "NA"], "NA"),
        ("N/A", ["Yes", "No", "Not Applicable"], "Not Applicable"),
        ("N/A", NUMBERED, "4) N/A"),
        ("N/A", ["Yes", "No", "Does Not Apply"], "Does Not Apply"),
        ("NA", HECVAT, "N/A"),
        ("Yes", HECVAT, "Yes"),
        ("Unknown", NUMBERED, "3) Unknown"),  # spelled like a choice: that choice
    ],
)
def test_verdict_maps_onto_the_cells_spelling(verdict, choices, expected):
    assert map_verdict(verdict, choices) == expected


@pytest.mark.parametrize(
    ("verdict", "choices"),
    [
        ("N/A", ["Yes", "No"]),  # the cell does not allow N/A
        ("Unknown", HECVAT),  # unknown never becomes N/A
        ("", HECVAT),
        ("72 hours", HECVAT),  # text answers only into free-text cells
        ("Yes", ["1", "2", "3", "4", "5"]),  # a rating scale is not a verdict
        ("Partially", HECVAT),
    ],
)
def test_no_fitting_choice_gives_none(verdict, choices):
    assert map_verdict(verdict, choices) is None


def test_free_text_cells_take_any_answer():
    assert map_verdict("72 hours", []) == "72 hours"
    assert map_verdict("Yes", ()) == "Yes"
    assert map_verdict("  ", []) is None


def test_text_answer_fits_a_dropdown_only_when_a_choice_equals_it():
    assert map_verdict("72 hours", ["24 hours", "72 Hours"]) == "72 Hours"


@pytest.mark.parametrize("text", ["Yes", "y", "TRUE", "1) Yes", "No", "N/A", "Not Applicable", "na"])
def test_is_verdict_true(text):
    assert is_verdict(text)


@pytest.mark.parametrize("text", ["72 hours", "Unknown", "", "1", "Partially", "See comment"])
def test_is_verdict_false(text):
    assert not is_verdict(text)
