"""Food Code section numbers: the spellings inspectors use, and Food Code order."""

from __future__ import annotations

import pytest

from opengovfood.inspection.sections import CANONICAL_SECTION, parse_section


@pytest.mark.parametrize(
    "written",
    [
        "3-501.16(A)(2)",
        "3-501.16 (A)(2)",
        "3-501.16(a)(2)",
        "3-501.16 (a) (2)",
        "§3-501.16(A)(2)",
        "§ 3-501.16(A)(2)",
        "Section 3-501.16(A)(2)",
        "Sec. 3-501.16(A)(2).",
        "FC 3-501.16(A)(2)",
        "3\u2013501.16(A)(2)",
        "  3-501.16(A)(2),  ",
    ],
)
def test_tolerant_spellings_parse_to_one_canonical_form(written: str) -> None:
    ref = parse_section(written)
    assert ref is not None
    assert ref.canonical == "3-501.16(A)(2)"
    assert ref.section == "3-501.16"
    assert ref.paragraphs == ("A", "2")


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("2-102.12", "2-102.12"),
        ("6-501.111(c)", "6-501.111(C)"),
        ("3-401.11(A)(2)(B)", "3-401.11(A)(2)(b)"),
        ("3-201.11(A)(1)(e)(II)", "3-201.11(A)(1)(e)(ii)"),
        ("4-501.110", "4-501.110"),
    ],
)
def test_paragraph_case_follows_its_depth(written: str, canonical: str) -> None:
    ref = parse_section(written)
    assert ref is not None
    assert ref.canonical == canonical
    assert CANONICAL_SECTION.match(canonical)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "3-501",
        "3501.16",
        "9-101.11",
        "3-50.16",
        "3-501.1",
        "3-501.16(AA)",
        "3-501.16(2)",
        "3-501.16(A)(B)",
        "3-501.16(A)(2)(b)(xx)",
        "41F",
        "item 22",
    ],
)
def test_text_that_is_not_a_section_gives_none(text: str) -> None:
    assert parse_section(text) is None


def test_food_code_order_treats_the_digits_after_the_point_as_a_number() -> None:
    written = ["3-501.110", "3-501.19", "3-501.16(B)", "3-501.16", "3-501.16(A)(2)", "2-501.11"]
    refs = [parse_section(s) for s in written]
    assert all(refs)
    ordered = sorted((r for r in refs if r is not None), key=lambda r: r.order_key)
    assert [r.canonical for r in ordered] == [
        "2-501.11",
        "3-501.16",
        "3-501.16(A)(2)",
        "3-501.16(B)",
        "3-501.19",
        "3-501.110",
    ]


def test_containment_and_parents() -> None:
    section = parse_section("3-501.16")
    paragraph = parse_section("3-501.16(A)(2)")
    other = parse_section("3-501.161")
    assert section is not None
    assert paragraph is not None
    assert other is not None
    assert section.contains(paragraph)
    assert not paragraph.contains(section)
    assert not section.contains(other)
    assert paragraph.parent is not None
    assert paragraph.parent.canonical == "3-501.16(A)"
    assert section.parent is None
