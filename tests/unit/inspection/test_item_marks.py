"""Checklist lines that mark a Form 3-A item by number: the inspector's mark decides."""

from __future__ import annotations

from opengovfood.inspection.engine import analyse_notes


def test_an_out_line_is_a_finding_of_its_own_item_only() -> None:
    notes = (
        "CORNER CAFE - ROUTINE. Only OUT items listed.\n"
        "#39 OUT - bulk flour bin has no scoop handle, cup left in the flour\n"
        "#47 OUT COS - cutting board deeply scored; replaced\n"
        "#23 OUT R - cooked beans in the walk-in with no date\n"
    )
    by_item = {f.form_item: f for f in analyse_notes(notes)}
    assert set(by_item) == {39, 47, 23}
    assert by_item[47].corrected_on_site
    assert by_item[23].repeat
    for finding in by_item.values():
        assert notes[finding.start : finding.end] == finding.evidence


def test_in_and_not_observed_lines_hold_no_finding() -> None:
    notes = (
        "10 Hand sinks supplied/accessible .... IN  soap, towels, 104F\n"
        "22 Cold holding ...................... IN  milk 40F\n"
        "20 Cooling ........................... N/O\n"
        "38 Insects, rodents, animals ......... OUT  droppings under the dry-storage rack\n"
    )
    items = {f.form_item for f in analyse_notes(notes)}
    assert items == {38}


def test_numbered_lists_that_are_not_marks_are_read_as_usual() -> None:
    notes = "1) No soap at the kitchen hand sink.\n2) Walk-in 38F.\n"
    assert 10 in {f.form_item for f in analyse_notes(notes)}
