"""The note reader's text layer: bounding, the same-length view, sentences."""

from __future__ import annotations

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
