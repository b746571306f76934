"""Phrase rules: each family with sentences it must find and sentences it must leave alone."""

from __future__ import annotations

import pytest

from opengovfood.inspection.engine import build_engine
from opengovfood.inspection.rules import rule_findings
from opengovfood.inspection.text import sentences

RULES_ONLY = build_engine(with_classifier=False)


def _items(text: str) -> set[int]:
    return {f.form_item for f in RULES_ONLY.analyse(text)}


POSITIVE = [
    ("No person in charge present during the inspection.", 1),
    ("PIC could not state the cold holding temperature or cooking temperatures.", 1),
    ("No certified food protection manager on site; CFPM certificate expired.", 2),
    ("No employee health policy on site.", 3),
    ("Cook with diarrhea reported to work and was preparing salads.", 4),
    ("No vomit and diarrhea clean-up kit or written procedure on site.", 5),
    ("Employee eating a sandwich on the prep table.", 6),
    ("Employee observed sneezing over the prep table while preparing food.", 7),
    ("Employee changed gloves without washing hands.", 8),
    ("Cook did not wash hands after handling raw chicken.", 8),
    ("Employee handling lettuce with bare hands.", 9),
    ("Hand sink blocked by a bucket of sanitizer.", 10),
    ("HWS used for storage of dirty dishes.", 10),
    ("No soap at the hand sink in the dish area.", 10),
    ("No paper towels at the handwashing sink.", 10),
    ("Home-canned salsa prepared at the owner's residence offered for sale.", 11),
    ("Dented and swollen cans of tomatoes on the shelf.", 13),
    ("Shellstock tags not retained for oysters.", 14),
    ("Raw chicken stored above ready-to-eat lettuce in the walk-in.", 15),
    ("Slicer blade with dried food debris.", 16),
    ("Rolls returned from a table were re-served to the next table.", 17),
    ("Pot of chili was cooling at room temperature on the stove.", 33),
    ("Deli meats in the reach-in not date marked.", 23),
    ("Potato salad dated 11/02 is past the 7 day discard date.", 23),
    ("No consumer advisory on the menu for raw oysters.", 25),
    ("Spray bottle of degreaser stored above the prep table with food.", 28),
    ("Unlabeled spray bottle of blue chemical at the dish area.", 28),
    ("Frozen shrimp thawing in standing water in the prep sink.", 35),
    ("No thermometer in the reach-in cooler.", 36),
    ("No probe thermometer available to check food temperatures.", 36),
    ("Bulk bins of flour and sugar not labeled.", 37),
    ("Mouse droppings in dry storage under the shelves.", 38),
    ("Live roaches observed behind the dish machine.", 38),
    ("Gap at the bottom of the rear exterior door.", 38),
    ("Cases of lettuce stored on the walk-in floor.", 39),
    ("Employees not wearing hair restraints.", 40),
    ("Wet wiping cloths left on the cutting board.", 41),
    ("Ice scoop handle buried in the ice.", 43),
    ("Clean pans stacked wet on the drying rack.", 44),
    ("Single-service cups stored on the floor.", 45),
    ("Torn door gasket on the reach-in cooler.", 47),
    ("No sanitizer test strips on site.", 48),
    ("Grease buildup on the exterior of the fryers.", 49),
    ("No hot water at the establishment; water heater not working.", 50),
    ("Leak under the three-compartment sink drain.", 51),
    ("Sewage backing up from the floor drain in the kitchen.", 52),
    ("Restroom toilet dirty and no toilet paper.", 53),
    ("Dumpster lids open and garbage overflowing.", 54),
    ("Floors under the cooking equipment with heavy grease build-up.", 55),
    ("Ceiling tiles missing above the dish area.", 55),
    ("Light bulbs not shielded in the prep area.", 56),
    ("Exhaust hood filters with heavy grease accumulation.", 56),
]


@pytest.mark.parametrize(("text", "item"), POSITIVE)
def test_rule_finds(text: str, item: int) -> None:
    assert item in _items(text)


NEGATIVE = [
    "No evidence of pests.",
    "No rodent activity observed.",
    "NO MICE OR ROACHES OBSERVED AT THIS TIME.",
    "All temperatures in range.",
    "Hand sink fully stocked with soap and paper towels, not blocked.",
    "Hand sinks stocked.",
    "Floors, walls and ceilings clean and in good repair.",
    "Raw chicken stored below ready-to-eat foods.",
    "Thermometers present in all coolers.",
    "Sanitizer test strips on site.",
    "Employee drinking from a covered cup with a straw away from the prep area.",
    "Pesticides are applied only by the licensed pest control contractor.",
    "Deli meats date marked; all within 7 days.",
    "Consumer advisory on the menu.",
    "Chemicals stored below and away from food.",
    "Discussed date marking with the PIC.",
    "Previous inspection cited mouse droppings and a blocked hand sink; all corrected.",
    "Wiping cloths kept in sanitizer buckets at 200 ppm quat.",
    "Dumpster lids closed, area clean.",
    "Restrooms clean, stocked, self-closing doors.",
]


@pytest.mark.parametrize("text", NEGATIVE)
def test_rule_leaves_alone(text: str) -> None:
    assert _items(text) == set()


def test_corrected_on_site_and_repeat_marks() -> None:
    (finding,) = RULES_ONLY.analyse("Hand sink blocked by a stock pot; PIC removed it, COS.")
    assert finding.corrected_on_site
    assert not finding.repeat
    (finding,) = RULES_ONLY.analyse("Repeat violation: no soap at the hand sink.")
    assert finding.repeat
    assert not finding.corrected_on_site


def test_correction_in_the_next_sentence_counts() -> None:
    findings = rule_findings(
        sentences("Potato salad at 47F in the prep cooler. Product was discarded.")
    )
    assert findings[0].findings[0].corrected_on_site


def test_a_corrected_violation_stays() -> None:
    assert _items("Potato salad at 47F in the prep cooler; voluntarily discarded.") == {22}


def test_an_absence_that_is_not_needed_is_not_a_violation() -> None:
    from opengovfood.inspection.engine import analyse_notes

    assert analyse_notes("Juices made to order, so no HACCP plan or label is needed.") == []
    assert analyse_notes("No HACCP plan is required for this process.") == []
    assert [f.form_item for f in analyse_notes("No HACCP plan on site for the ROP fish.")] == [29]


def test_an_air_gap_is_not_a_gap() -> None:
    from opengovfood.inspection.engine import analyse_notes

    assert analyse_notes("Ice machine drains to the floor sink with an air gap.") == []


def test_needed_as_a_verdict_but_not_as_an_adjective() -> None:
    from opengovfood.inspection.engine import analyse_notes

    assert analyse_notes("XO sauce is shelf stable, no date needed.") == []
    notes = "NO WRITTEN CLEANING PROCEDURE AND REQUIRED EQUIPMENT FOR A VOMITING EVENT."
    assert [f.form_item for f in analyse_notes(notes)] == [5]


def test_bare_readings_after_reading_and_probing_words() -> None:
    from opengovfood.inspection.engine import build_engine

    rules = build_engine(with_classifier=False)
    notes = "The reach-in was reading 46, and the tofu inside was 45 when I probed it."
    assert {f.form_item for f in rules.analyse(notes)} == {22}
    assert rules.analyse("There were 12 employees working; I probed the soup at 160.") == []


@pytest.mark.parametrize(
    ("text", "blocked"),
    [
        ("Hand sink blocked by a mop bucket - cleared, soap and towels present.", True),
        ("Hand sink by the fryer blocked with a rack; soap and paper towels stocked.", True),
        ("Hand sink stocked with soap and paper towels, not blocked.", False),
        ("Hand sink stocked with soap and paper towels.", False),
    ],
)
def test_a_blocked_hand_sink_is_found_next_to_its_supplies(text: str, blocked: bool) -> None:
    assert (10 in _items(text)) is blocked
