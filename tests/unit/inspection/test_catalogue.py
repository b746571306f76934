"""The packaged Food Code catalogue: coverage, well-formed data, known mappings, lookups."""

from __future__ import annotations

import dataclasses
import re
from collections import Counter

import pytest

from opengovfood.inspection.catalogue import (
    Catalogue,
    Designation,
    ViolationType,
    catalogue,
)

# Independent of the module's own pattern: chapter-partsubpart.section, then paragraphs
# nesting as (A)(1)(a)(i).
SECTION = re.compile(r"^[1-8]-\d{3}\.\d{2,3}(\([A-Z]\)(\(\d{1,2}\)(\([a-z]\)(\([ivx]+\))?)?)?)?$")


@pytest.fixture(scope="module")
def food_code() -> Catalogue:
    return catalogue()


def test_catalogue_is_loaded_once(food_code: Catalogue) -> None:
    assert catalogue() is food_code
    assert food_code.edition == "2022"


def test_all_56_form_items_with_official_titles(food_code: Catalogue) -> None:
    items = food_code.form_items
    assert [item.number for item in items] == list(range(1, 57))
    assert food_code.form_item(22).title == "Proper cold holding temperatures"
    assert food_code.form_item(21).title == "Proper hot holding temperatures"
    assert food_code.form_item(10).title == (
        "Adequate handwashing sinks properly supplied and accessible"
    )
    assert food_code.form_item(38).title == "Insects, rodents, and animals not present"
    assert food_code.form_item(56).title == (
        "Adequate ventilation and lighting; designated areas used"
    )
    assert [item.is_risk_factor for item in items] == [n <= 29 for n in range(1, 57)]
    assert all(item.title and item.group for item in items)


@pytest.mark.parametrize("number", range(1, 57))
def test_every_form_item_has_entries_and_a_primary(food_code: Catalogue, number: int) -> None:
    entries = food_code.by_form_item(number)
    assert entries, f"item {number} has no violation type"
    assert all(entry.form_item == number for entry in entries)
    primary = food_code.primary(number)
    assert primary in entries
    assert primary.primary
    assert sum(entry.primary for entry in entries) == 1


def test_unknown_form_item_is_a_clear_key_error(food_code: Catalogue) -> None:
    with pytest.raises(KeyError, match="items 1-56, not 57"):
        food_code.by_form_item(57)
    with pytest.raises(KeyError, match="not 0"):
        food_code.primary(0)


def test_size_is_a_realistic_catalogue(food_code: Catalogue) -> None:
    assert 150 <= len(food_code) <= 260


def test_sections_unique_and_well_formed(food_code: Catalogue) -> None:
    sections = [entry.section for entry in food_code]
    duplicates = [s for s, n in Counter(sections).items() if n > 1]
    assert duplicates == []
    malformed = [s for s in sections if not SECTION.match(s)]
    assert malformed == []


def test_entries_come_in_food_code_order(food_code: Catalogue) -> None:
    keys = [entry.ref.order_key for entry in food_code]
    assert keys == sorted(keys)
    assert next(iter(food_code)).section.startswith("2-")


def test_designations_titles_and_actions_present(food_code: Catalogue) -> None:
    for entry in food_code:
        assert isinstance(entry.designation, Designation)
        assert entry.designation.value in {"P", "Pf", "C"}
        assert entry.title.strip()
        assert len(entry.corrective_action) > 20, entry.section
    counts = Counter(entry.designation for entry in food_code)
    assert set(counts) == set(Designation)


def test_records_are_frozen(food_code: Catalogue) -> None:
    entry = food_code.get("3-501.16(A)(2)")
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry.form_item = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("section", "form_item", "designation"),
    [
        ("3-501.16(A)(2)", 22, "P"),
        ("3-501.16(A)(1)", 21, "P"),
        ("2-301.14", 8, "P"),
        ("3-301.11(B)", 9, "P"),
        ("5-205.11(A)", 10, "Pf"),
        ("5-205.11(B)", 10, "Pf"),
        ("3-501.17", 23, "Pf"),
        ("3-501.18", 23, "P"),
        ("7-201.11", 28, "P"),
        ("7-102.11", 28, "Pf"),
        ("3-302.11(A)(1)", 15, "P"),
        ("3-501.14(A)", 20, "P"),
        ("6-501.111(C)", 38, "Pf"),
        ("6-202.15", 38, "C"),
        ("4-501.114(A)", 16, "P"),
        ("4-501.114(C)", 16, "P"),
        ("4-601.11(A)", 16, "Pf"),
        ("4-601.11(C)", 49, "C"),
        ("2-102.12", 2, "C"),
        ("2-501.11", 5, "Pf"),
        ("3-603.11", 25, "Pf"),
        ("3-401.11(A)(3)", 18, "P"),
        ("3-403.11(A)", 19, "P"),
        ("3-401.13", 34, "Pf"),
        ("3-501.15(A)", 33, "Pf"),
        ("3-501.13", 35, "C"),
        ("4-302.14", 48, "Pf"),
        ("3-203.12", 14, "Pf"),
        ("3-202.11(A)", 12, "P"),
        ("3-302.13", 30, "P"),
        ("5-101.11", 31, "P"),
        ("6-301.14", 10, "C"),
        ("5-202.12(A)", 10, "Pf"),
        ("2-402.11", 40, "C"),
        ("3-304.14", 41, "C"),
        ("6-501.12", 55, "C"),
        ("5-205.15(B)", 51, "C"),
        ("5-402.13", 52, "P"),
        ("6-302.11", 53, "Pf"),
        ("6-303.11", 56, "C"),
    ],
)
def test_well_known_mappings(
    food_code: Catalogue, section: str, form_item: int, designation: str
) -> None:
    entry = food_code.get(section)
    assert (entry.form_item, entry.designation.value) == (form_item, designation)


@pytest.mark.parametrize(
    ("plain", "form_item", "designation"),
    [
        ("5-205.11", 10, "Pf"),
        ("3-301.11", 9, "P"),
        ("4-501.114", 16, "P"),
        ("3-302.11", 15, "P"),
        ("6-501.111", 38, "Pf"),
        ("3-501.14", 20, "P"),
        ("2-301.14", 8, "P"),
        ("7-201.11", 28, "P"),
        ("3-501.17", 23, "Pf"),
    ],
)
def test_plain_section_resolves_to_its_main_entry(
    food_code: Catalogue, plain: str, form_item: int, designation: str
) -> None:
    entry = food_code.resolve(plain)
    assert entry is not None
    assert (entry.form_item, entry.designation.value) == (form_item, designation)


def test_plain_section_looks_up_all_its_entries_in_order(food_code: Catalogue) -> None:
    found = food_code.lookup("3-501.16")
    assert [e.section for e in found] == ["3-501.16(A)(1)", "3-501.16(A)(2)", "3-501.16(B)"]
    assert [e.form_item for e in found] == [21, 22, 22]
    assert food_code.lookup("3-501.16(A)") == found[:2]


@pytest.mark.parametrize(
    "written",
    ["3-501.16(A)(2)", "3-501.16 (A)(2)", "3-501.16(a)(2)", "§3-501.16(A)(2)", "§ 3-501.16 (a)(2)"],
)
def test_tolerant_lookups(food_code: Catalogue, written: str) -> None:
    assert [e.section for e in food_code.lookup(written)] == ["3-501.16(A)(2)"]
    assert food_code.get(written).section == "3-501.16(A)(2)"
    assert food_code.is_known(written)


def test_deeper_paragraph_falls_back_to_the_enclosing_entry(food_code: Catalogue) -> None:
    assert [e.section for e in food_code.lookup("3-501.16(A)(2)(b)")] == ["3-501.16(A)(2)"]
    assert [e.section for e in food_code.lookup("2-102.12(A)")] == ["2-102.12"]
    resolved = food_code.resolve("3-401.11(A)(3)(b)")
    assert resolved is not None
    assert resolved.section == "3-401.11(A)(3)"


def test_resolve_prefers_the_given_form_item(food_code: Catalogue) -> None:
    cold = food_code.resolve("3-501.16", form_item=22)
    hot = food_code.resolve("3-501.16", form_item=21)
    assert cold is not None
    assert cold.section == "3-501.16(A)(2)"
    assert hot is not None
    assert hot.section == "3-501.16(A)(1)"
    assert food_code.resolve("3-501.16", form_item=5) is None


@pytest.mark.parametrize("unknown", ["9-999.99", "3-999.11", "not a section", "", "3-501.16(C)"])
def test_unknown_sections(food_code: Catalogue, unknown: str) -> None:
    assert food_code.lookup(unknown) == ()
    assert food_code.resolve(unknown) is None
    assert not food_code.is_known(unknown)
    with pytest.raises(KeyError, match="no catalogue entry"):
        food_code.get(unknown)


def test_get_is_exact(food_code: Catalogue) -> None:
    with pytest.raises(KeyError):
        food_code.get("3-501.16")  # split into paragraphs: use lookup or resolve
    assert isinstance(food_code.get("3-501.16(B)"), ViolationType)
    assert food_code.get("3-501.16(B)").base_section == "3-501.16"
