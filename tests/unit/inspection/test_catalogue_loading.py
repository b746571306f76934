"""A malformed data file fails loudly at load, naming every problem."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest

from opengovfood.inspection.catalogue import CatalogueError, load_catalogue


@pytest.fixture(scope="module")
def packaged_text() -> str:
    return resources.files("opengovfood.inspection").joinpath("foodcode.toml").read_text("utf-8")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "foodcode.toml"
    path.write_text(text, encoding="utf-8")
    return path


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def test_the_packaged_file_loads_from_a_path(tmp_path: Path, packaged_text: str) -> None:
    loaded = load_catalogue(write(tmp_path, packaged_text))
    assert len(loaded) > 150


def test_not_toml(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="not valid TOML"):
        load_catalogue(write(tmp_path, "[[violations]\nsection = "))


def edit(text: str, section: str, key: str, value: str) -> str:
    """Set the first `key = ...` line at or after the entry for `section`."""
    start = text.index(f'section = "{section}"\n')
    line = re.compile(rf"^{key} = .*$", re.MULTILINE).search(text, start)
    assert line is not None
    return text[: line.start()] + f"{key} = {value}" + text[line.end() :]


@pytest.mark.parametrize(
    ("section", "key", "value", "message"),
    [
        ("3-501.18", "designation", '"Priority"', r"`designation` is 'Priority'; expected P, Pf"),
        ("2-102.12", "section", '"2-102.12 (a)"', r"'2-102.12 \(a\)' is not a Food Code section"),
        ("3-501.18", "section", '"3-501.17"', r"section 3-501.17 appears more than once"),
        ("7-201.11", "form_item", "57", r"7-201.11\): `form_item` must be 1-56, not 57"),
        ("7-201.11", "form_item", "true", r"`form_item` must be 1-56, not True"),
        ("3-302.12", "primary", '"yes"', r"3-302.12\): `primary` must be true or false"),
        ("3-501.17", "title", '""', r"3-501.17\): `title` must be a non-empty string"),
        (
            "3-501.16(A)(2)",
            "celsius",
            "15",
            r"3-501.16\(A\)\(2\)\) limits\[0\]: temperature: 41.0 °F is not 15.0 °C",
        ),
        ("3-501.16(A)(2)", "bound", '"below"', r"`bound` is 'below'; expected one of min, max"),
        ("3-501.16(A)(2)", "kind", '"thermal"', r"`kind` is 'thermal'; expected one of temper"),
        ("3-501.16(A)(2)", "fahrenheit", '"41F"', r"`fahrenheit` must be a number, not '41F'"),
        ("4-501.114(B)", "min_ppm", "30", r"`min_ppm` 30.0 is above `max_ppm` 25.0"),
        ("3-501.14(A)", "to_fahrenheit", "170", r"cooling must go down: from 135.0 °F to 170.0"),
        ("3-401.14", "value", '"sixty"', r"`value` must be a number, not 'sixty'"),
        ("3-401.14", "unit", '"fortnights"', r"`unit` is 'fortnights'; expected one of seconds"),
        ("3-305.11", "centimeters", "40", r"6.0 in is not 40.0 cm"),
    ],
)
def test_malformed_entries_are_named(
    tmp_path: Path, packaged_text: str, section: str, key: str, value: str, message: str
) -> None:
    with pytest.raises(CatalogueError, match=message):
        load_catalogue(write(tmp_path, edit(packaged_text, section, key, value)))


def test_unknown_fields_are_reported(tmp_path: Path, packaged_text: str) -> None:
    broken = replace_once(
        packaged_text, 'section = "3-501.17"\n', 'section = "3-501.17"\ndesignation_note = "x"\n'
    )
    broken = edit(broken, "5-202.12(A)", "celsius", "38\nfarenheit = 100")
    with pytest.raises(CatalogueError) as raised:
        load_catalogue(write(tmp_path, broken))
    assert "3-501.17): unknown field(s) designation_note" in str(raised.value)
    assert "unknown field(s) farenheit for kind `temperature`" in str(raised.value)


def test_an_uncovered_form_item_is_reported(tmp_path: Path, packaged_text: str) -> None:
    # Item 34 has one entry (3-401.13): move it to item 18 and item 34 is left uncovered.
    broken = replace_once(
        packaged_text,
        'form_item = 34\ndesignation = "Pf"\nprimary = true',
        'form_item = 18\ndesignation = "Pf"',
    )
    with pytest.raises(CatalogueError, match=r"no violation type for Form 3-A item\(s\) 34"):
        load_catalogue(write(tmp_path, broken))


def test_primary_must_be_unique_per_item(tmp_path: Path, packaged_text: str) -> None:
    broken = replace_once(
        packaged_text,
        'section = "3-501.16(B)"\ntitle = "Shell eggs held above 45 °F ambient"\n'
        'form_item = 22\ndesignation = "P"\n',
        'section = "3-501.16(B)"\ntitle = "Shell eggs held above 45 °F ambient"\n'
        'form_item = 22\ndesignation = "P"\nprimary = true\n',
    )
    with pytest.raises(
        CatalogueError,
        match=r"item 22 needs exactly one .* \(found 3-501.16\(A\)\(2\), 3-501.16\(B\)\)",
    ):
        load_catalogue(write(tmp_path, broken))


def test_a_missing_form_item_title_is_reported(tmp_path: Path, packaged_text: str) -> None:
    broken = replace_once(
        packaged_text,
        '[[form_items]]\nnumber = 42\ntitle = "Washing fruits and vegetables"\n'
        'group = "Prevention of Food Contamination"\n',
        "",
    )
    with pytest.raises(CatalogueError, match=r"`form_items` lacks item\(s\) 42"):
        load_catalogue(write(tmp_path, broken))


def test_out_of_order_entries_are_reported(tmp_path: Path, packaged_text: str) -> None:
    broken = replace_once(packaged_text, 'section = "2-101.11"', 'section = "2-601.11"')
    with pytest.raises(CatalogueError, match=r"2-102.11 is out of Food Code order"):
        load_catalogue(write(tmp_path, broken))


def test_every_problem_is_listed_at_once(tmp_path: Path, packaged_text: str) -> None:
    broken = replace_once(packaged_text, 'section = "2-102.12"', 'section = "2-102"')
    broken = replace_once(broken, "schema_version = 1", "schema_version = 2")
    with pytest.raises(CatalogueError) as raised:
        load_catalogue(write(tmp_path, broken))
    message = str(raised.value)
    # The bad entry is dropped, so item 2 (its only entry) is reported uncovered as well.
    assert "3 problem(s)" in message
    assert "`schema_version` must be 1" in message
    assert "'2-102' is not a Food Code section" in message
    assert "no violation type for Form 3-A item(s) 2" in message
