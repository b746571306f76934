"""Follow-up notes: the earlier inspection's items, listed again, are not today's findings;
what is still wrong (and what today's visit adds) is."""

from __future__ import annotations

from opengovfood.inspection.engine import analyse_notes, build_engine
from opengovfood.inspection.rules import earlier_items
from opengovfood.inspection.text import lower_view, sentences

RULES = build_engine(with_classifier=False)


def _items(notes: str) -> set[int]:
    return {f.form_item for f in analyse_notes(notes)} | {f.form_item for f in RULES.analyse(notes)}


NUMBERED = (
    "Follow-up visit, Lotus Garden. Items from the 4/12 routine:\n"
    "1) Sliced tomatoes in the sandwich cooler at 49F. Unit serviced; tomatoes 38F today.\n"
    "2) No paper towels at the kitchen hand sink. Dispenser stocked.\n"
    "3) Raw beef stored over the cut lettuce. Beef now on the bottom shelf. Corrected.\n"
    "4) Fly strips over the prep table. Still hanging over the table. Not corrected.\n"
    "New observations:\n"
    "- Hand sink by the dish area blocked with a stack of trays.\n"
)


def test_the_earlier_items_are_not_findings_but_what_is_still_wrong_is() -> None:
    items = _items(NUMBERED)
    assert 22 not in items  # the cooler was at 49F last time; 38F today
    assert 15 not in items  # raw over ready-to-eat, corrected since
    assert 10 in items  # the new observation: a blocked hand sink
    found = sentences(NUMBERED)
    silent = {found[i].text for i in earlier_items(found, NUMBERED)}
    assert "Sliced tomatoes in the sandwich cooler at 49F." in silent
    assert "No paper towels at the kitchen hand sink." in silent
    # the entry that says it is not corrected is this visit's finding again
    assert not any("Fly strips" in text for text in silent)
    assert not any("blocked" in text for text in silent)


def test_today_s_readings_inside_an_earlier_item_still_count() -> None:
    notes = (
        "Re-inspection. Earlier violations:\n"
        "- Hot holding below 135F on the steam table. Today: beans 122F, rice 150F.\n"
        "- Soap missing at the bar hand sink. Soap provided.\n"
    )
    items = _items(notes)
    assert 21 in items  # beans at 122F today
    assert 10 not in items


def test_a_list_without_an_earlier_items_heading_is_read_as_today_s() -> None:
    notes = "Routine inspection. Observations:\n- No soap at the hand sink.\n- Walk-in 38F.\n"
    assert 10 in _items(notes)
    found = sentences(notes)
    assert earlier_items(found, notes) == frozenset()
    assert lower_view(notes)  # the view is what the heading test reads


def test_paragraph_entries_under_a_heading_are_entries_too() -> None:
    notes = (
        "Previous violations re-checked:\n\n"
        "Cold-holding unit at 50F and cut melon at 48F. Repaired; unit 36F.\n\n"
        "Bare-hand contact with ready-to-eat sandwiches. Staff now use gloves and tongs.\n\n"
        "Additional today:\n"
        "Wiping cloths left on the cutting boards."
    )
    items = _items(notes)
    assert not items & {22, 9}
    assert 41 in items


def test_earlier_findings_put_right_in_one_sentence_are_not_findings() -> None:
    for notes in (
        "Previously cited: hand sink blocked - now corrected.",
        "Last inspection's priority violation (cold holding) corrected.",
        "Items cited on 6/2 (no soap, dirty floors) were corrected.",
        "The walk-in that was 50F at the last inspection now holds 37F.",
        "At the previous inspection, mice droppings were found; no droppings today.",
        "The repeat violation from March (raw meat over produce) is resolved.",
    ):
        assert [f for f in _all(notes) if f.designation in ("P", "Pf")] == [], notes
    # still wrong: a finding (and a repeat)
    [finding] = analyse_notes("Previously cited hand sink is still blocked by a cart.")
    assert (finding.form_item, finding.repeat) == (10, True)


def test_questions_report_nothing_but_answers_do() -> None:
    assert analyse_notes("Any bare hand contact? No.") == []
    assert analyse_notes("Hand sink blocked?") == []
    answered = analyse_notes("Any bare hand contact? Yes, the cook handled buns bare-handed.")
    assert {f.form_item for f in answered} == {9}


def test_a_reheat_from_one_temperature_to_another_is_read_at_its_end() -> None:
    assert _all("Chicken was reheated from 38F to 172F in 30 min.") == []
    assert {f.form_item for f in _all("Chicken was reheated from 38F to 150F.")} == {19}


def _all(notes: str) -> list:  # type: ignore[type-arg]
    return [*analyse_notes(notes), *RULES.analyse(notes)]


# The list's heading written as a sentence, entries marked with letters.
SENTENCE_HEADING = (
    "Follow-up inspection, Golden Wok. Checking the four items from the routine of the 3rd.\n"
    "(a) Hand sink blocked by a mop bucket - cleared, soap and towels present.\n"
    "(b) No test strips for the quat sanitizer - strips now at the 3-comp sink.\n"
    "(c) Mouse droppings under the rice bins - area cleaned, no new droppings.\n"
    "(d) Prep cooler at 48F - compressor replaced, 38F today.\n"
)


def test_a_sentence_heading_opens_a_list_of_marked_entries() -> None:
    assert _items(SENTENCE_HEADING) == set()
    # without the heading, the same lines are today's findings
    today = SENTENCE_HEADING.split("\n", 1)[1].replace("Checking", "")
    assert {10, 38} <= _items("Routine inspection, Golden Wok.\n" + today)


def test_a_sentence_heading_list_ends_at_the_first_unmarked_paragraph() -> None:
    notes = SENTENCE_HEADING + "\nMouse droppings behind the fryer line, new since last week.\n"
    assert 38 in _items(notes)
    # a sentence heading followed by unmarked lines opens no list
    unmarked = (
        "Checking the four items from the routine of the 3rd.\nHand sink blocked by a mop bucket.\n"
    )
    assert 10 in _items(unmarked)


def test_items_cited_on_a_date_rechecked_is_a_heading() -> None:
    notes = (
        "Items cited on 3/2 rechecked.\n"
        "1. Raw shrimp stored above cooked noodles: corrected, shrimp now on the bottom shelf.\n"
        "2. No sanitizer test kit: kit provided, quat 200 ppm.\n"
    )
    assert _items(notes) == set()
    assert 15 in _items(notes.replace("Items cited on 3/2 rechecked.", "Routine visit."))
