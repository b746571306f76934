"""The note reader's text layer: bounding, the same-length view, sentences."""

from __future__ import annotations

import re

import pytest

from opengovfood.inspection.text import MAX_NOTES_CHARS, bound, lower_view, sentences


def test_lower_view_keeps_offsets() -> None:
    notes = "Walk-In 47\u00baF \u2013 \u0130stanbul \u201csalad\u201d"
    view = lower_view(notes)
    assert len(view) == len(notes)
    assert "47°f" in view
    assert "-" in view


def test_sentences_split_on_stops_lines_and_semicolons_not_decimals() -> None:
    notes = (
        "RAW CHICKEN AT 46.4, PORK 44.8 F. DISCARDED BY MANAGER.MUST KEEP AT 41F; "
        "approx. 5 lbs\n- Hand sink blocked"
    )
    texts = [s.text for s in sentences(notes)]
    assert texts == [
        "RAW CHICKEN AT 46.4, PORK 44.8 F.",
        "DISCARDED BY MANAGER.",
        "MUST KEEP AT 41F;",
        "approx. 5 lbs",
        "Hand sink blocked",
    ]


def test_sentence_offsets_are_verbatim() -> None:
    notes = "  Rice on steam table 118°F.\n\nNo soap at HWS!  "
    for sentence in sentences(notes):
        assert notes[sentence.start : sentence.end] == sentence.text


def test_bound_cuts_long_notes_at_a_break() -> None:
    notes = ("Floors clean. " * 5000)[: MAX_NOTES_CHARS + 500]
    bounded = bound(notes)
    assert len(bounded) <= MAX_NOTES_CHARS
    assert bounded.endswith(".")
    assert bound("short") == "short"


def _texts(notes: str) -> list[str]:
    return [s.text for s in sentences(notes)]


def test_a_word_that_is_also_an_abbreviation_still_ends_a_sentence() -> None:
    # "in" and "no" are words here, not inches or "number": two sentences, two pieces of
    # evidence, in every casing inspectors write in.
    assert _texts("Rice cooling in the walk-in. No soap at the hand sink.") == [
        "Rice cooling in the walk-in.",
        "No soap at the hand sink.",
    ]
    assert _texts("rice in walk-in. no soap at hs.") == ["rice in walk-in.", "no soap at hs."]
    assert _texts("RICE IN THE WALK-IN. NO SOAP AT HS.") == [
        "RICE IN THE WALK-IN.",
        "NO SOAP AT HS.",
    ]
    assert _texts("Cooled 30 min. Rice at 50F.") == ["Cooled 30 min.", "Rice at 50F."]
    assert _texts("Checked temps. Walk-in 38F.") == ["Checked temps.", "Walk-in 38F."]


def test_abbreviations_before_numbers_names_and_lower_case_words_continue() -> None:
    assert _texts("Gap of 2 in. under the door. No. 3 sink ok.") == [
        "Gap of 2 in. under the door.",
        "No. 3 sink ok.",
    ]
    assert _texts("Owner Mr. Henry Lau and Ms. Tse present. St. Brendan's kitchen.") == [
        "Owner Mr. Henry Lau and Ms. Tse present.",
        "St. Brendan's kitchen.",
    ]
    assert _texts("Temp. of rice 50F, approx. 5 lbs, e.g. Rice.") == [
        "Temp. of rice 50F, approx. 5 lbs, e.g. Rice."
    ]
    assert _texts("J. was working the fryer. Chef A. Ruiz left.") == [
        "J. was working the fryer.",
        "Chef A. Ruiz left.",
    ]
    # a unit letter is not an initial
    assert _texts("Rice at 50 F. Discarded.") == ["Rice at 50 F.", "Discarded."]


def test_a_spoken_period_ends_a_dictated_sentence_but_not_a_cooling_period() -> None:
    assert _texts("walk-in is fine period the hand sink has soap period no sign of mice") == [
        "walk-in is fine",
        "the hand sink has soap",
        "no sign of mice",
    ]
    assert _texts("rice cooled within the 2-hour period. Soup ok") == [
        "rice cooled within the 2-hour period.",
        "Soup ok",
    ]
    assert len(_texts("the cooling period was exceeded for a period of six hours")) == 1


@pytest.mark.parametrize(
    ("spoken", "digits"),
    [
        ("walk-in at thirty eight", "walk-in at 38"),
        ("water was a hundred and six", "water was 106"),
        ("one was one fifty two", "one was 152"),
        ("hand sinks one oh eight", "hand sinks 108"),
        ("quat at two hundred ppm", "quat at 200 ppm"),
        ("forty-one degrees", "41 degrees"),
        ("walk-in one thirty six", "walk-in one 36"),  # unit one at 36, not 136
        ("walk-in two thirty eight", "walk-in two 38"),
        ("this morning at seven forty", "this morning at seven forty"),  # a clock time
        ("arrived at one thirty", "arrived at one thirty"),
        ("started one forty five pm", "started one forty five pm"),
        ("no one washing hands", "no one washing hands"),
    ],
)
def test_spoken_numbers_are_digits_in_the_view_and_offsets_are_kept(
    spoken: str, digits: str
) -> None:
    view = lower_view(spoken)
    assert len(view) == len(spoken)
    assert re.sub(r"\s+", " ", view).strip() == digits


def test_a_spoken_reading_keeps_its_words_as_evidence() -> None:
    notes = "the top rail is holding at like forty nine on the sliced mushrooms"
    [sentence] = sentences(notes)
    assert sentence.text == notes
    assert "49" in sentence.lower
