"""Measurements: units, decimals, ranges, attribution to food or equipment, limits in context."""

from __future__ import annotations

import pytest

from opengovfood.inspection.measurements import check_sentence, readings
from opengovfood.inspection.text import lower_view, sentences


def _violations(text: str) -> list[tuple[str, int]]:
    found = []
    hint = ""
    for sentence in sentences(text):
        found += [(v.section, v.form_item) for v in check_sentence(sentence, hint)]
        hint = sentence.lower
    return found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("potato salad in the prep cooler at 47F", [("3-501.16(A)(2)", 22)]),
        ("Potato salad held at 47 degrees.", [("3-501.16(A)(2)", 22)]),
        ("sliced ham 8 °C in the reach-in", [("3-501.16(A)(2)", 22)]),
        ("Sliced ham 8 C in the reach-in.", [("3-501.16(A)(2)", 22)]),
        ("rice on steam table 118°F", [("3-501.16(A)(1)", 21)]),
        ("Beans in the hot well at 113.4 F.", [("3-501.16(A)(1)", 21)]),
        ("chicken breast cooked to 150", [("3-401.11(A)(3)", 18)]),
        ("Hamburger patty cooked to 150F, chicken cooked to 170F.", [("3-401.11(A)(2)", 18)]),
        ("Reheated soup at 150F for hot holding.", [("3-403.11(A)", 19)]),
        ("chili cooled from 135 to 70 in 3 hours", [("3-501.14(A)", 20)]),
        ("quat sanitizer 0 ppm", [("4-501.114(C)", 16)]),
        ("chlorine 10 ppm in the sanitizer bucket at the 3-comp sink", [("4-501.114(A)", 16)]),
        ("dish machine final rinse 150 F", [("4-501.112", 16)]),
        ("Hand sink water 85F.", [("5-202.12(A)", 10)]),
        ("Cut tomatoes 44-46F in the make line.", [("3-501.16(A)(2)", 22)]),
    ],
)
def test_violating_readings(text: str, expected: list[tuple[str, int]]) -> None:
    assert _violations(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "walk-in at 38F",
        "hot holding 150F",
        "Sliced ham 4°C in the reach-in.",
        "Cut tomatoes 38-40F in the make line.",
        "soup 57 °C on the steam table",  # the Celsius limit itself complies
        "MUST HAVE COLD HOLDING FOODS AT 41.0F OR BELOW.",  # a limit, not a reading
        "Hot foods must be held at 135 °F or above.",
        "chlorine 100 ppm at the 3-comp sink",
        "Freezer at 5F.",
        "Chicken cooked to 171°F.",
        "chili cooled from 135 to 65 in 1.5 hours",
        "Walk-in cooler 36F. Hot holding rice 150F.",
    ],
)
def test_compliant_readings(text: str) -> None:
    assert _violations(text) == []


def test_units_decimals_and_ranges_are_read() -> None:
    view = lower_view("chicken 46.4 F, pork at 113.4 F, salad 41 degrees, fish 38-40F, soup 60 °C")
    found = [(r.low, r.high, r.celsius) for r in readings(view)]
    assert found[0] == (46.4, 46.4, False)
    assert found[1] == (113.4, 113.4, False)
    assert found[2] == (41.0, 41.0, False)
    assert found[3] == (38.0, 40.0, False)
    assert found[4][2] is True
    assert found[4][0] == pytest.approx(140.0)


def test_each_reading_keeps_its_own_food() -> None:
    text = "Line reach-in: sliced tomatoes 47F, milk 38F, cooked rice 48F"
    (sentence,) = sentences(text)
    clauses = [
        sentence.text[v.clause_start : v.clause_end].strip(" ,") for v in check_sentence(sentence)
    ]
    assert len(clauses) == 2
    assert clauses[0].endswith("sliced tomatoes 47F")
    assert clauses[1] == "cooked rice 48F"


def test_equipment_air_alone_is_equipment_capacity() -> None:
    assert _violations("Walk-in cooler ambient 48F.") == [("4-301.11", 33)]


def test_a_reading_belongs_to_the_unit_named_before_it_in_a_run_on_sentence() -> None:
    # dictated notes run on without stops: the fridge's 38 is not the hand sink's water
    from opengovfood.inspection.engine import build_engine

    rules = build_engine(with_classifier=False)
    notes = "the fridge is thirty eight the hand sink has soap and towels"
    assert [f.form_item for f in rules.analyse(notes)] == []
    spoken = "the top rail temp is forty nine on the sliced mushrooms"
    assert [f.form_item for f in rules.analyse(spoken)] == [22]


@pytest.mark.parametrize(
    "notes",
    [
        "Beans 125F in the warmer - reheated to 168F, COS.",
        "Rice on the steam table at 120F, reheated to 170F.",
        "chili 118F -> reheated to 175F COS",
    ],
)
def test_a_reading_before_a_reheat_to_a_temperature_is_the_hot_holding_it_was_found_at(
    notes: str,
) -> None:
    from opengovfood.inspection.engine import build_engine

    items = [f.form_item for f in build_engine(with_classifier=False).analyse(notes)]
    assert items == [21]


def test_a_reheat_reading_is_still_a_reheat_reading() -> None:
    from opengovfood.inspection.engine import build_engine

    rules = build_engine(with_classifier=False)
    assert [f.form_item for f in rules.analyse("Soup was reheated to only 140F.")] == [19]


def test_a_cooling_change_is_timed_by_the_duration_that_follows_it() -> None:
    from opengovfood.inspection.engine import build_engine

    rules = build_engine(with_classifier=False)
    ok = "Chili cooled from 140F to 60F in 2 hours and to 38F by 6 hours."
    assert rules.analyse(ok) == []
    slow = "Soup cooled from 135F to 75F in 3 hours."
    assert [f.form_item for f in rules.analyse(slow)] == [20]


@pytest.mark.parametrize(
    ("text", "slow"),
    [
        # a log's span without "from", timed in hours and minutes together
        ("Menudo cooled yesterday: log 135F to 70F in 1 hr 45 min and to 41F in 5 hr.", False),
        ("Menudo cooled yesterday: log 135F to 80F in 2 hr 30 min and to 41F in 5 hr.", True),
        ("Cooling log: 135F to 70F in 1 h 45 min, 41F at 5 h.", False),
        ("Cooling log: 135F to 78F in 2 h 40 min, 41F at 5 h.", True),
        ("Stock cooled 57C to 20C in 1 h 50 min.", False),
        ("Stock cooled 57C to 25C in 2 h 50 min.", True),
        # the starting reading of a span is not itself late
        ("Cooling: beans 135F to 65F in 90 minutes.", False),
        ("Cooling: beans 90F after 3 hours.", True),
    ],
)
def test_cooling_spans_and_compound_durations(text: str, slow: bool) -> None:
    assert (("3-501.14(A)", 20) in _violations(text)) is slow
