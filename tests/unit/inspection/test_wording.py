"""Wording that varies between writers: how absence is said, complaints, earlier inspections,
how sure a backflow finding is; and the paraphrase sets as a regression floor."""

from __future__ import annotations

import pytest

from eval.corpora import paraphrase_cases
from opengovfood.inspection.engine import build_engine, default_engine
from opengovfood.inspection.negation import is_allegation

RULES_ONLY = build_engine(with_classifier=False)


def _sections(text: str) -> dict[int, tuple[str, str]]:
    return {f.form_item: (f.food_code_section, f.designation) for f in RULES_ONLY.analyse(text)}


@pytest.mark.parametrize(
    ("text", "item"),
    [
        ("The operator could not produce a certified food protection manager certificate.", 2),
        ("Establishment does not employ a CFPM.", 2),
        ("Manager certification has lapsed.", 2),
        ("Unable to locate the employee illness reporting policy.", 3),
        ("Owner failed to provide a vomit clean-up kit.", 5),
        ("Oyster tags were not retained.", 14),
        ("Records of parasite destruction were not available for the salmon.", 14),
        ("There are no written procedures for time as a public health control.", 24),
        ("Menu lacks a consumer advisory for the raw oysters.", 25),
        ("The kitchen does not have a calibrated probe thermometer.", 36),
        ("Sanitizer test strips were not on site.", 48),
        ("Women's restroom has no toilet paper.", 53),
    ],
)
def test_absence_is_understood_whatever_the_verb(text: str, item: int) -> None:
    assert item in _sections(text)


@pytest.mark.parametrize(
    "text",
    [
        "Test strips available and used by staff.",
        "Consumer advisory posted on the menu.",
        "Oyster tags on file for 90 days.",
        "CFPM certificate current and posted.",
    ],
)
def test_present_things_are_not_absent(text: str) -> None:
    assert _sections(text) == {}


def test_backflow_designation_follows_what_was_shown() -> None:
    # an unverified device is cited as Chicago's inspectors do (Core); a shown
    # cross-connection is Priority
    assert _sections("Unable to locate a backflow device on the ice machine water line.") == {
        51: ("5-204.12", "C")
    }
    assert _sections("Hose on the mop sink faucet submerged in a bucket, no vacuum breaker.")[
        51
    ] == ("5-203.14", "P")


def test_a_complaint_is_not_a_finding_until_the_inspector_sees_it() -> None:
    assert is_allegation("complaint alleging roaches in the dining room")
    assert is_allegation("complaint of mice was not substantiated")
    assert not is_allegation("complaint investigated: live roaches observed under the sink")
    assert _sections("Complaint alleging roaches in the dining room.") == {}
    assert 38 in _sections("Complaint investigated: live roaches observed under the sink.")


def test_a_corrected_finding_of_an_earlier_inspection_is_not_one() -> None:
    assert _sections("The previous violation for the blocked hand sink has been corrected.") == {}
    assert 10 in _sections("Hand sink blocked again, same as the previous inspection.")


def test_the_classifier_speaks_only_where_something_is_wrong() -> None:
    engine = default_engine()
    for text in (
        "No cracked or chipped utensils observed.",
        "Complaint regarding flies at the front entrance investigated.",
        "No evidence of rodents, roaches or flies was found in dry storage, under the line.",
    ):
        assert engine.analyse(text) == [], text


def test_no_paraphrased_clean_sentence_gets_a_priority_finding() -> None:
    engine = default_engine()
    for case in paraphrase_cases():
        if case.clean:
            found = [f for f in engine.analyse(case.notes) if f.designation in ("P", "Pf")]
            assert found == [], case.notes


@pytest.mark.parametrize(
    ("text", "item", "not_item"),
    [
        ("Floor under the fryers has heavy grease accumulation.", 55, 49),
        ("Exterior of the reach-in cooler soiled with food debris.", 49, 55),
        ("Leaking drain pipe under the three-compartment sink.", 51, 52),
        ("Dirt and debris on the floor along the wall base in the food prep area.", 55, 39),
        ("Fish defrosting in a bucket of stagnant water.", 35, 0),
        ("Can of insect spray kept on the dry storage shelf with food.", 28, 38),
        ("Uncooked chicken stored above the cooked rice in the walk-in.", 15, 0),
        ("Walk-in cooler unable to maintain 41F.", 33, 0),
    ],
)
def test_the_thing_named_decides_the_item(text: str, item: int, not_item: int) -> None:
    found = _sections(text)
    assert item in found
    assert not_item not in found


@pytest.mark.parametrize(
    ("text", "item"),
    [
        ("Cook went from raw burgers to buns w/o changing gloves.", 8),
        ("She wiped her nose with the back of her glove and went back to slicing cheese.", 8),
        ("Raw marinated chicken on the shelf directly above the raw beef ribs.", 15),
        ("They didn't have any sanitizer set up at the three-compartment sink.", 16),
        ("Nobody on the stall's staff has a food protection manager certificate.", 2),
        ("Tamales made at the owner's house on weekends.", 11),
    ],
)
def test_task_switches_and_other_wordings(text: str, item: int) -> None:
    assert item in _sections(text)


@pytest.mark.parametrize(
    "text",
    [
        "38 Insects, rodents, animals .........",
        "52 Sewage / waste water .............. OK",
        "Ranch is made in house from commercial mayonnaise and buttermilk.",
        "Slicer broken down, washed, rinsed and sanitized at the 3-compartment sink.",
        "A case of frozen tilapia was thawing on the bottom shelf in the walk-in, which is fine.",
        "Hand sanitizer dispenser at the entrance is empty.",
    ],
)
def test_headings_verdicts_and_idioms_report_nothing(text: str) -> None:
    assert _sections(text) == {}


@pytest.mark.parametrize(
    ("text", "item"),
    [
        ("Bolognese in the walk-in. Made 5PM yesterday, now 58F at 10AM.", 20),
        ("Pot of beans cooked at 10am measured 95F at 2pm in the walk-in.", 20),
        ("Rice cooked yesterday, 45F in the walk-in this morning.", 20),
    ],
)
def test_cooling_time_from_clock_times_and_days(text: str, item: int) -> None:
    assert item in _sections(text)


@pytest.mark.parametrize(
    "text",
    [
        "Chili made at 8am held at 150F at 2pm on the steam table.",
        "Soup cooked at 9am, in the walk-in at 38F at 3pm.",
        "Custard cooked 11:00 at 85 °C, in the blast chiller: 19 °C at 12:30 and 6 °C at 13:40.",
        "Eggs received in a refrigerated truck (air 6 °C on the receiving log), stored at 3 °C.",
        "Cut melon at room temperature under time as a public health control, pans marked.",
        "Ice machine drains to a floor sink with an air gap.",
        "Hand basin without paper towels: dispenser full today.",
        "CORRECTED: slicer broken down, washed, rinsed and sanitized.",
    ],
)
def test_compliant_readings_and_remarks_report_nothing(text: str) -> None:
    assert _sections(text) == {}


def test_no_hot_water_at_a_hand_sink_is_the_hand_sink_item() -> None:
    assert _sections("The hand sink at the meat counter had no hot water.") == {
        10: ("5-202.12(A)", "Pf")
    }
    assert 50 in _sections("No hot water at any sink in the kitchen.")


def test_wording_families_of_the_third_development_split() -> None:
    """Date labels counted in days, thawing in any container of standing water, and an
    employee's drink described in brackets before where it stands."""
    from opengovfood.inspection.engine import build_engine

    rules = build_engine(with_classifier=False)

    def items(notes: str) -> set[int]:
        return {f.form_item for f in rules.analyse(notes)}

    assert 23 in items("Tray of braised pork in the walk-in labelled 10 days ago.")
    assert 35 in items("Shrimp thawing in a hotel pan of standing water by the sink.")
    assert 6 in items("Employee coffee (open cup, no lid) on the prep table.")
    assert 6 not in items("Employee coffee with a lid and straw, stored away from the prep table.")


def test_raw_food_stored_with_ready_to_eat_and_tcs_food_left_out() -> None:
    from opengovfood.inspection.engine import build_engine

    rules = build_engine(with_classifier=False)

    def items(notes: str) -> set[int]:
        return {f.form_item for f in rules.analyse(notes)}

    assert 15 in items("raw chkn stored in same bin as cut cilantro")
    assert 15 in items("Raw shell eggs stored together with the cut fruit.")
    assert 15 not in items("Raw chicken stored below ready-to-eat foods.")
    assert 22 in items("Flan and custard in the unrefrigerated front display case.")
    assert 22 in items("Queso filling in a bowl on the counter, been out since 10am.")
    assert 22 not in items("Whole bananas and bread in the unrefrigerated display.")
    assert 22 not in items("Sushi rice in the unrefrigerated hangiri under time control.")


def test_what_a_rule_says_a_hypothetical_or_a_standing_practice_is_no_finding() -> None:
    from opengovfood.inspection.engine import analyse_notes

    for notes in (
        "In case of a sewage backup they close and call the plumber.",
        "The manager asked what to do if the hand sink is blocked; I explained it must be "
        "accessible at all times.",
        "I reminded staff that bare hand contact with ready-to-eat food is not allowed.",
        "Expired milk is pulled by the dairy vendor each week.",
        "Any food past 7 days is discarded according to their written procedure.",
        "The dish machine was broken last month and was repaired; it reaches 180F final rinse.",
        "Pest control visits monthly; the technician noted rodent activity in the alley, "
        "none inside.",
    ):
        assert [f for f in analyse_notes(notes) if f.designation in ("P", "Pf")] == [], notes
    # the same words as observations still are findings
    assert {f.form_item for f in analyse_notes("Sewage backup in the floor drain.")} == {52}
    seen = "Bare hand contact with ready-to-eat tortillas observed."
    assert 9 in {f.form_item for f in analyse_notes(seen)}
    assert 13 in {f.form_item for f in analyse_notes("Canned beans with dents along the seam.")}
