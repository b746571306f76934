"""The AIP-160 grammar every list speaks (domain/filters.py), as pure rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from opengovfood.domain.filters import (
    MAX_COMPARISONS,
    And,
    Comparison,
    FilterSpec,
    Not,
    Or,
    boolean_field,
    enum_choices,
    enum_field,
    integer_field,
    string_field,
    text_field,
    timestamp_field,
)
from opengovfood.errors import InvalidArgument

SPEC = FilterSpec(
    [
        enum_field("status", [(("PENDING",), "pending"), (("DONE", "FINISHED"), "done")]),
        integer_field("owner_id"),
        timestamp_field("create_time"),
        text_field("title"),
        string_field("email", normalize=str.lower),
        boolean_field("is_active"),
    ]
)


@dataclass
class Row:
    status: str = "pending"
    owner_id: int | None = 1
    create_time: datetime = datetime(2026, 1, 31, 8, tzinfo=UTC)
    title: str = "Walk-in Cooler"
    email: str = "ana@example.org"
    is_active: bool = True


def problem(text: str) -> str:
    with pytest.raises(InvalidArgument) as error:
        SPEC.parse(text)
    (violation,) = error.value.violations
    assert violation.field == "filter"
    return violation.description


def test_or_binds_tighter_than_and() -> None:
    node = SPEC.parse("owner_id = 1 AND title:a OR title:b").node
    assert isinstance(node, And)
    first, second = node.parts
    assert isinstance(first, Comparison)
    assert first.field.name == "owner_id"
    assert isinstance(second, Or)
    assert len(second.parts) == 2


def test_not_and_minus_negate() -> None:
    for text in ("NOT owner_id = 1", "-owner_id = 1", "NOT(owner_id = 1)"):
        assert isinstance(SPEC.parse(text).node, Not), text


def test_empty_filter_matches_everything() -> None:
    parsed = SPEC.parse("   ")
    assert parsed.node is None
    assert parsed.canonical == ""
    assert parsed.matches(Row())


def test_canonical_form_ignores_spelling() -> None:
    a = SPEC.parse('title:"cooler"   AND  owner_id=1')
    b = SPEC.parse("title : cooler AND owner_id = '1'")
    assert a.canonical == b.canonical != ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("status = PENDING", True),
        ("status = pending", True),
        ("status = FINISHED", False),
        ("status < DONE", True),  # declared order
        ("status > PENDING", False),
        ("owner_id >= 1 AND owner_id < 2", True),
        ('title:"walk-IN"', True),  # case-insensitive substring
        ('title:"%"', False),  # no wildcards
        ('create_time >= "2026-01-31T08:00:00Z"', True),
        ('create_time > "2026-01-31T09:00:00+02:00"', True),  # zones respected
        ("email = ANA@EXAMPLE.ORG", True),  # normalised like stored values
        ("email != ana@example.org", False),
        ("is_active = false OR NOT is_active = true", False),
    ],
)
def test_python_evaluation(text: str, expected: bool) -> None:
    assert SPEC.parse(text).matches(Row()) is expected


def test_missing_values_follow_sql_three_valued_logic() -> None:
    row = Row(owner_id=None)
    assert not SPEC.parse("owner_id = 1").matches(row)
    assert not SPEC.parse("NOT owner_id = 1").matches(row)  # unknown, not true
    assert SPEC.parse("NOT owner_id = 1 OR title:cooler").matches(row)


def test_enum_ordering_becomes_a_set() -> None:
    node = SPEC.parse("status >= PENDING").node
    assert isinstance(node, Comparison)
    assert enum_choices(node) == ("pending", "done")
    eq = SPEC.parse("status = DONE").node
    assert isinstance(eq, Comparison)
    assert enum_choices(eq) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nope = 1", "unknown field 'nope'"),
        ("owner_id = 1 title:a", "expected AND or OR"),  # no implicit AND
        ("owner_id = 1 and title:a", "expected AND or OR"),
        ("and = 1", "the keyword is written AND"),
        ("owner_id = x", "expects an integer"),
        ("owner_id = 99999999999999999999", "expects an integer"),
        ("title = a", "does not support '='"),
        ("is_active : true", "does not support ':'"),
        ("is_active = yes", "expects true or false"),
        ("status = LATE", "has no value 'LATE'"),
        ('create_time > "2026-01-31"', "date, time and time zone"),
        ('create_time > "2026-01-31T08:00:00"', "date, time and time zone"),
        ('email = ""', "non-empty"),
        ("(owner_id = 1", "'(' is never closed"),
        ("owner_id = 1)", "unbalanced ')'"),
        ("()", "empty parentheses"),
        ("- owner_id = 1", "'-' must be directly followed"),
        ('title:"open', "string is never closed"),
        ('title:a"b', "quotes must enclose the whole value"),
        ("owner_id", "expected an operator"),
        ("owner_id =", "expected a value"),
        ("owner_id = 1 AND", "expected a condition but the filter ended"),
        ("NOT " * 20 + "owner_id = 1", "nested more than"),
        ("x" * 2001, "longer than 2000 characters"),
    ],
)
def test_errors_name_the_problem(text: str, message: str) -> None:
    assert message in problem(text)


def test_errors_name_the_column() -> None:
    assert problem("owner_id = 1 AND nope = 2").endswith("(at column 18)")


def test_number_of_conditions_is_bounded() -> None:
    text = " OR ".join(["owner_id = 1"] * (MAX_COMPARISONS + 1))
    assert f"more than {MAX_COMPARISONS} conditions" in problem(text)


def test_control_characters_are_refused() -> None:
    assert "control characters" in problem('title:"a\x01"')
