"""The stored violations JSON -> Violation records, built slot by slot for speed
(repositories/analyses.py): the same records the dataclass constructor makes."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from opengovfood.domain.analyses import Violation, ViolationSource
from opengovfood.repositories.analyses import violations_from_json

FULL: dict[str, Any] = {
    "code": "3-501.16",
    "description": "TCS food held above 41F",
    "severity": "P",
    "food_code_section": "3-501.16(A)(2)",
    "form_item": 22,
    "evidence": "walk-in cooler at 45F",
    "source": "model",
    "corrected_on_site": True,
    "repeat": True,
    "corrective_action": "Discard the food",
}


def test_a_full_row_is_the_record_the_constructor_makes() -> None:
    (made,) = violations_from_json([FULL])
    expected = Violation(
        code="3-501.16",
        description="TCS food held above 41F",
        severity="P",
        food_code_section="3-501.16(A)(2)",
        form_item=22,
        evidence="walk-in cooler at 45F",
        source=ViolationSource.MODEL,
        corrected_on_site=True,
        repeat=True,
        corrective_action="Discard the food",
    )
    assert made == expected
    assert hash(made) == hash(expected)
    assert dataclasses.astuple(made) == dataclasses.astuple(expected)
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.code = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        # Analyses stored before later keys existed: the defaults.
        ({"code": "C1", "description": "d", "severity": "C"}, Violation("C1", "d", "C")),
        # Loose types (0/1 booleans, a null form item, an unknown source) are normalised.
        (
            {"code": 7, "form_item": None, "source": "nonsense", "repeat": 1, "severity": "Pf"},
            Violation("7", "", "Pf", repeat=True),
        ),
        ({"source": None, "corrected_on_site": 0}, Violation("", "", "")),
    ],
)
def test_partial_and_loose_rows(stored: dict[str, Any], expected: Violation) -> None:
    assert violations_from_json([stored]) == (expected,)


def test_every_field_is_set() -> None:
    (made,) = violations_from_json([FULL])
    for field in dataclasses.fields(Violation):
        assert getattr(made, field.name) == FULL[field.name] or field.name == "source"
