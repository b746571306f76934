"""Families of wording generalised by category (issue 13): each family is tested with
positive sentences in several writers' words and with their negated or compliant forms."""

from __future__ import annotations

import pytest

from opengovfood.inspection.engine import build_engine

RULES_ONLY = build_engine(with_classifier=False)


def _items(text: str) -> set[int]:
    return {f.form_item for f in RULES_ONLY.analyse(text)}


def _priority(text: str) -> set[tuple[int, str]]:
    return {
        (f.form_item, f.designation)
        for f in RULES_ONLY.analyse(text)
        if f.designation in ("P", "Pf")
    }


@pytest.mark.parametrize(
    "text",
    [
        "Sanitizer jug kept on top of the reach-in beside containers of cut fruit.",
        "Chlorine bottle stored alongside cooking oil and spices.",
        "Spray bottle of degreaser sitting next to the open bin of flour.",
        "Glass cleaner on the shelf right above the hamburger buns.",
        "Oven cleaner kept in contact with the to-go cups.",
        "Can of bug spray stored with the chips on the snack rack.",
    ],
)
def test_chemicals_above_or_beside_food(text: str) -> None:
    assert 28 in _items(text)


@pytest.mark.parametrize(
    "text",
    [
        "Sanitizer buckets kept on the floor under the prep table, away from food.",
        "Chemicals stored on a separate shelf below and away from food.",
        "Bleach kept on the bottom shelf of the janitor closet, separated from food.",
        "Baristas wipe the steam wand with a cloth kept in the quat bucket between drinks.",
        "Peeling paint on the ceiling in the prep area.",
    ],
)
def test_chemicals_stored_apart_are_not_cited(text: str) -> None:
    assert (28, "P") not in _priority(text)


def test_household_insect_spray_is_a_pesticide_used() -> None:
    assert 28 in _items("Household insect spray found in the kitchen, used by staff.")


def test_unlabelled_working_container_of_sanitizer() -> None:
    assert 28 in _items("Working container of sanitizer not labeled with its contents.")


@pytest.mark.parametrize(
    "text",
    [
        "Walk-in cooler: 47F. Ham and turkey inside.",
        "Prep cooler at 46F. Sliced tomatoes and cut lettuce stored in it.",
        "Sliced ham and cheese held inside. The deli case read 50F.",
    ],
)
def test_food_named_next_to_a_warm_unit_is_cold_holding(text: str) -> None:
    assert 22 in _items(text)
    assert 33 not in _items(text)


@pytest.mark.parametrize(
    "text",
    [
        "Walk-in cooler: 47F. Staff adjusted the thermostat.",
        "Walk-in air 44F. Milk inside at 40F.",
        "Walk-in cooler: 47F.\n\nHam and turkey inside the reach-in.",
    ],
)
def test_a_warm_unit_without_its_food_stays_the_unit(text: str) -> None:
    assert 22 not in _items(text)


@pytest.mark.parametrize(
    "text",
    [
        "There is a bottle of bleach on the shelf. It sits right above the bags of rice.",
        "Hand sink by the fryer. Blocked by a rack of sheet pans.",
    ],
)
def test_the_thing_in_one_sentence_and_its_fault_in_the_next(text: str) -> None:
    assert _items(text) & {28, 10}


@pytest.mark.parametrize(
    "text",
    [
        "There is a bottle of bleach on the shelf. It is stored below all food.",
        "Hand sink by the fryer. Stocked with soap and towels.",
        "MUST REPAIR AND MAINTAIN. OBSERVED DUST ON CEILING VENTS ABOVE SHELVING.",
    ],
)
def test_reading_on_adds_nothing_to_compliant_or_unrelated_sentences(text: str) -> None:
    assert not _priority(text)
