"""Compliant text that must give no Priority or Priority Foundation finding, by category,
each next to the same words stating the violation (so a test fails if the reading that
keeps the compliant text clean is removed, and also if it swallows the violation)."""

from __future__ import annotations

import re

import pytest

from opengovfood.inspection.engine import analyse_notes, build_engine

RULES = build_engine(with_classifier=False)


def _items(notes: str) -> set[int]:
    return {f.form_item for f in analyse_notes(notes)} | {f.form_item for f in RULES.analyse(notes)}


def _priority(notes: str) -> set[int]:
    findings = [*analyse_notes(notes), *RULES.analyse(notes)]
    return {f.form_item for f in findings if f.designation in ("P", "Pf")}


# (compliant, violation, item): the absence named is a problem noun, or the clause's
# subject is denied.
NEGATION_SCOPE = [
    ("No hand sink obstruction.", "No hand sink in the bar area.", 10),
    ("No hand sink blockage at either station.", "No hand sink at the bar station.", 10),
    ("No one working while sick.", "Cook working while sick.", 4),
    ("No employees observed working while ill.", "Employee observed working while ill.", 4),
    ("Nobody eating or drinking in the kitchen.", "Cook eating and drinking in the kitchen.", 6),
    (
        "No staff members seen touching tortillas with bare hands.",
        "Staff member seen touching tortillas with bare hands.",
        9,
    ),
]


@pytest.mark.parametrize(("clean", "violation", "item"), NEGATION_SCOPE)
def test_negation_scope(clean: str, violation: str, item: int) -> None:
    assert item not in _items(clean)
    assert item in _items(violation)


def test_a_denied_subject_does_not_reach_past_a_contrast() -> None:
    assert 4 in _items("No staff smoking, but a cook was working with vomiting.")


# An earlier inspection's finding answered, on the same line, by what this visit found.
THEN_AND_NOW = [
    ("At last inspection the walk-in was 45F; today 36F.", 33),
    ("Last time the hand sink was blocked; today it was clear.", 10),
    ("Roaches cited on the prior inspection; none observed today.", 38),
    ("Last visit: no test strips. Today: strips present.", 48),
    ("Previously there were fruit flies at the bar; none today.", 38),
]


@pytest.mark.parametrize(("notes", "item"), THEN_AND_NOW)
def test_an_earlier_finding_answered_by_today(notes: str, item: int) -> None:
    assert item not in _priority(notes)
    # the same finding with nothing said of today, or said to be there still, is today's
    first = notes.split(";")[0].split(". ")[0]
    for word in ("At last inspection ", "Last time ", "Last visit: ", "Previously "):
        first = first.replace(word, "")
    first = first.replace(" cited on the prior inspection", " observed under the sink")
    first = first.replace("there were ", "")
    assert item in _items(first), first
    assert item in _items(re.sub(r"(?i)\btoday\b", "still there today", notes))


def test_warm_on_purpose_readings_are_not_cold_holding() -> None:
    assert 22 not in _items("Dough proofing at 85F in the proofer.")
    assert 22 not in _items("Bread dough proofing at 82F.")
    assert 22 in _items("Proofer 90F, cream cheese danish 60F.")
    assert 22 in _items("Potato salad on the counter at 82F.")


# Equipment and controls named with a problem word, compliant: (compliant, violation, item).
NAMED_WITH_A_PROBLEM_WORD = [
    (
        "Sneeze guards in place at the salad bar, tongs changed hourly by the chef.",
        "The chef sneezing over the salad bar.",
        7,
    ),
    (
        "Mouse traps in the basement checked: no catches.",
        "Mouse traps in the basement: two mice caught, droppings along the wall.",
        38,
    ),
    ("Roach motels under the sinks empty.", "Roach motels under the sink with live roaches.", 38),
    ("Pesticides not used on site; contractor only.", "Raid used in the kitchen.", 28),
    (
        "Degreaser locked in the cupboard below, nowhere near food.",
        "Degreaser stored on the shelf near food.",
        28,
    ),
]


@pytest.mark.parametrize(("clean", "violation", "item"), NAMED_WITH_A_PROBLEM_WORD)
def test_named_with_a_problem_word(clean: str, violation: str, item: int) -> None:
    assert item not in _items(clean)
    assert item in _items(violation)


def test_what_the_previous_inspection_had_is_history() -> None:
    then = "The previous inspection had one Core item (a cracked floor tile in the meat room)."
    assert 55 not in _items(then)
    assert 55 in _items("A cracked floor tile in the meat room.")


# The reading's equipment and contents decide its limit: (compliant, violation, item).
READING_CONTEXT = [
    (
        "Beverage cooler holding only canned sodas at 48F.",
        "Beverage cooler holding milk and yogurt at 48F.",
        22,
    ),
    ("The heater is set at 140F and delivered 118F at the prep sink.", "Milk received at 50F.", 12),
    ("Hand sink. Water came out at 104F.", "Hand sink. Water came out at 90F.", 10),
]


@pytest.mark.parametrize(("clean", "violation", "item"), READING_CONTEXT)
def test_reading_context(clean: str, violation: str, item: int) -> None:
    assert _priority(clean) == set()
    assert item in _items(violation)


def test_a_cooler_of_sodas_reads_as_no_unit_fault_either() -> None:
    assert _priority("BEVERAGE COOLER: 45F (sodas and bottled water only)") == set()
    assert 33 in _items("BEVERAGE COOLER: 45F")


def test_water_coming_out_is_a_reading_not_an_outage() -> None:
    assert 50 not in _items("Hand sink by the door. Water came out at 104.")
    assert 50 in _items("Hot water out in the kitchen since Monday.")


# "Previously: <earlier finding> — <today>": only what follows the dash is today's.
@pytest.mark.parametrize(
    ("notes", "item"),
    [
        ("Previously: cooler at 46F — today 38F.", 33),
        ("Previously: no soap at hand sink — soap present.", 10),
        ("Previously: flies in the dish room — no flies observed.", 38),
        ("Last inspection: mop water dumped in the alley - mop sink used today.", 52),
    ],
)
def test_a_labelled_earlier_entry_reports_only_today(notes: str, item: int) -> None:
    assert item not in _priority(notes)
    assert item in _items(notes.replace(" — ", " — still, ").replace(" - ", " - still, "))
    assert item in _items(notes.split(":", 1)[1].split("—")[0].split(" - ")[0])


# A template's heading and its mark: (compliant, violation, item).
TEMPLATE_MARKS = [
    ("SEWAGE - IN.", "SEWAGE BACKING UP FROM THE FLOOR DRAIN.", 52),
    ("Sewage: in compliance", "Sewage: backing up from the floor drain", 52),
    ("Hand sink: yes", "Hand sink: blocked by a cart", 10),
]


@pytest.mark.parametrize(("clean", "violation", "item"), TEMPLATE_MARKS)
def test_template_marks(clean: str, violation: str, item: int) -> None:
    assert _priority(clean) == set()
    assert item in _items(violation)


# Education and encouragement are not orders to fix something.
@pytest.mark.parametrize(
    ("clean", "violation", "item"),
    [
        (
            "MANAGER INSTRUCTED ON DATE MARKING, ALL ITEMS DATED.",
            "OBSERVED NO DATE MARKS ON COOKED RICE IN THE WALK-IN COOLER.",
            23,
        ),
        (
            "MUST CONTINUE TO MONITOR COOLING.",
            "OBSERVED CHILI COOLING ON THE COUNTER AT 80F AFTER 4 HOURS.",
            20,
        ),
    ],
)
def test_education_is_not_an_order(clean: str, violation: str, item: int) -> None:
    assert _priority(clean) == set()
    assert item in _items(violation)


# A unit's air read warm, the food in it probed cold; a limit quoted; food on its way down.
@pytest.mark.parametrize(
    ("clean", "violation", "item"),
    [
        (
            "Walk-in thermometer 42F ambient but product probed at 38F.",
            "Walk-in thermometer 48F ambient and product probed at 47F.",
            22,
        ),
        ("Prep unit air 43F; ham and cheese inside at 39F.", "Prep unit air 46F.", 33),
        ("Prep unit air 43F; ham and cheese inside at 39F.", "Prep unit air 46F; ham 45F.", 22),
        ("Milk received at 44F, within the 45F allowed for milk.", "Milk received at 50F.", 12),
        (
            "Cooked beans in the ice bath, 90F and dropping, started 20 minutes ago.",
            "Cooked beans in the ice bath at 50F for the salad bar.",
            22,
        ),
    ],
)
def test_cold_holding_readings_in_context(clean: str, violation: str, item: int) -> None:
    assert _priority(clean) == set()
    assert item in _items(violation)


def test_a_dish_not_offered_is_denied() -> None:
    hsp = "The facility serves a highly susceptible population. "
    assert _priority(hsp + "Soft-boiled eggs are not offered.") == set()
    assert 26 in _items(hsp + "Soft-boiled eggs made from raw shell eggs are served.")


@pytest.mark.parametrize(
    ("clean", "violation", "item"),
    [
        ("Fruit flies traps at the bar empty.", "Fruit flies near the traps at the bar.", 38),
        ("Expired-product shelf empty; nothing past date.", "No date on the cooked rice.", 23),
        (
            "Hard cheese at room temperature on the cheese board for less than 4 hours.",
            "Soft cheese at room temperature on the counter for 5 hours.",
            22,
        ),
    ],
)
def test_words_that_only_look_like_problems(clean: str, violation: str, item: int) -> None:
    assert _priority(clean) == set()
    assert item in _items(violation)


def test_room_temperature_under_a_time_limit_is_not_cold_holding() -> None:
    clean = "Egg tarts at room temperature, sold within 4 hours under the written time policy."
    assert _priority(clean) == set()
    assert 22 in _items("Custard buns at room temperature for 6 hours, no time policy.")
    assert 22 in _items("Egg tarts at room temperature on the counter all day.")


# A complainant's own account: what they say they saw or found is their perception, not the
# inspector's confirmation; more complainants and more ways the complaint arrived.
COMPLAINANT_ACCOUNTS = [
    (
        "A diner told us she saw roaches on the banquette.",
        "I saw roaches on the banquette.",
        38,
    ),
    (
        "The caller told us he found mouse droppings on the takeaway counter.",
        "Found mouse droppings on the takeaway counter.",
        38,
    ),
    (
        "A resident's daughter phoned to say she had seen roaches in the dining room.",
        "Roaches were seen in the dining room.",
        38,
    ),
    (
        "A neighbour e-mailed that the cutting boards looked filthy.",
        "The cutting boards were filthy with old food residue.",
        16,
    ),
    (
        "A member of the public wrote that she saw an employee with diarrhea working the line.",
        "I saw an employee with diarrhea working the line.",
        4,
    ),
]


@pytest.mark.parametrize(("clean", "violation", "item"), COMPLAINANT_ACCOUNTS)
def test_a_complainants_account_is_not_confirmation(clean: str, violation: str, item: int) -> None:
    assert item not in _items(clean)
    assert item in _items(violation)


@pytest.mark.parametrize(
    "notes",
    [
        "A shopper said she saw a mouse; I found fresh mouse droppings behind the bread rack.",
        "A client mentioned flies in the dining room. During the inspection I observed flies "
        "at the bar.",
        "Complaint regarding mice, observed droppings under the dish machine.",
    ],
)
def test_an_allegation_the_inspector_confirms_still_fires(notes: str) -> None:
    assert 38 in _items(notes)


# A denied subject after a leading source, time or label: "Per the log, nobody ...".
DENIED_AFTER_A_LEADING_PHRASE = [
    (
        "According to the manager, nobody with diarrhea has worked this week.",
        "According to the manager, a dishwasher with diarrhea has worked this week.",
        4,
    ),
    (
        "Per the staff health log, nobody with vomiting has worked since Monday.",
        "Per the staff health log, a cook with vomiting has worked since Monday.",
        4,
    ),
    (
        "Today, nobody with vomiting or diarrhea was working.",
        "Today, a server with vomiting or diarrhea was working.",
        4,
    ),
    (
        "This morning, nobody was touching bread with bare hands.",
        "This morning, food handlers were touching bread with bare hands.",
        9,
    ),
]


@pytest.mark.parametrize(("clean", "violation", "item"), DENIED_AFTER_A_LEADING_PHRASE)
def test_a_denied_subject_after_a_leading_phrase(clean: str, violation: str, item: int) -> None:
    assert item not in _items(clean)
    assert item in _items(violation)


# A date on paperwork is not a date mark on food: only food held past its discard day is.
PAPERWORK_DATES = [
    ("Pest control invoice dated 9 days ago.", "Cooked rice in the walk-in dated 9 days ago."),
    (
        "The hood cleaning receipt dated 12 days ago is on file.",
        "Chili dated 12 days ago, on the line.",
    ),
    ("The pest control letter is dated nine days ago.", "The crab salad is dated nine days ago."),
    (
        "Delivery note dated 10 days ago pinned by the door.",
        "Ham slices dated 10 days ago in the deli case.",
    ),
]


@pytest.mark.parametrize(("clean", "violation"), PAPERWORK_DATES)
def test_a_date_on_paperwork_is_not_date_marking(clean: str, violation: str) -> None:
    assert 23 not in _items(clean)
    assert 23 in _items(violation)


# A sentence that is only a verdict judges the reading or observation just before it on the
# same line; a verdict that says otherwise ("Not within limits.") leaves the finding.
STANDALONE_VERDICTS = [
    ("Potato salad in the deli case 44°F. Fine.", "Potato salad in the deli case 44°F.", 22),
    ("Walk-in cooler read 45F. OK.", "Walk-in cooler read 45F. Not OK.", 33),
    ("Sliced ham in the deli case 46F. Within limits.", "Sliced ham in the deli case 46F.", 22),
    ("Soup on the steam table 128F. Conforms.", "Soup on the steam table 128F.", 21),
    ("Coleslaw at the salad bar 47°F. Acceptable.", "Coleslaw at the salad bar 47°F.", 22),
    ("Chili in the hot well 125F. No issue.", "Chili in the hot well 125F. Big issue.", 21),
]


@pytest.mark.parametrize(("clean", "violation", "item"), STANDALONE_VERDICTS)
def test_a_standalone_verdict_judges_the_sentence_before(
    clean: str, violation: str, item: int
) -> None:
    assert item not in _items(clean)
    assert item in _items(violation)


# The writer's own "not a finding" in the sentence; the same words in someone else's mouth
# are not the inspector's verdict.
DECLARED_NO_FINDING = [
    (
        "Tuna salad in the display case at 46F, discussed with the chef, not a finding.",
        "Tuna salad in the display case at 46F, discussed with the chef.",
        22,
    ),
    (
        "Salsa in the cold well at 45F, made ten minutes ago - not a violation.",
        "Salsa in the cold well at 45F, made ten minutes ago.",
        22,
    ),
    (
        "Rice on the counter at 90F for plating only, noted, not cited.",
        "Rice on the counter at 90F for an hour.",
        22,
    ),
]


@pytest.mark.parametrize(("clean", "violation", "item"), DECLARED_NO_FINDING)
def test_a_sentence_declared_no_finding(clean: str, violation: str, item: int) -> None:
    assert item not in _items(clean)
    assert item in _items(violation)


def test_no_finding_in_someone_elses_words_still_fires() -> None:
    assert 15 in _items("The chef said raw chicken stored above the lettuce was not a violation.")


# A check passed, worded with the problem's noun denied: "no light showing under the door" is
# a tight door (not the room's lighting), "no build-up on the filters" a clean hood (not a
# missing one), "no sign of pests" is "no evidence of" (not a missing handwashing sign).
CHECKS_PASSED_WITH_A_PROBLEM_NOUN = [
    ("Back door shuts flush, no light visible underneath.", "No light over the prep sink.", 56),
    ("Side door: no light coming through at the sill.", "No lighting in the dry store.", 56),
    ("No grease on the hood baffles.", "No hood over the wok range.", 56),
    ("No dust build-up on the exhaust fan.", "Dust build-up on the exhaust fan.", 56),
    (
        "Hand sink stocked with soap and towels, no sign of misuse.",
        "Hand sink stocked with soap and towels, no sign posted.",
        10,
    ),
    (
        "All fine: hand sinks stocked, no signs of rodents.",
        "Hand sinks stocked, no handwashing signs.",
        10,
    ),
]


@pytest.mark.parametrize(("clean", "violation", "item"), CHECKS_PASSED_WITH_A_PROBLEM_NOUN)
def test_a_check_passed_with_a_problem_noun(clean: str, violation: str, item: int) -> None:
    assert item not in _items(clean)
    assert item in _items(violation)


# A room's air is neither food held nor holding equipment; a unit's air is.
ROOM_AIR = [
    ("Cutting room 46°F ambient.", "Walk-in cooler ambient 46°F.", 33),
    ("Prep room air 48F.", "Reach-in air 48F.", 33),
    ("Bakery ambient 47F this afternoon.", "Cold room ambient 47F this afternoon.", 33),
]


@pytest.mark.parametrize(("clean", "violation", "item"), ROOM_AIR)
def test_a_rooms_air_is_not_holding(clean: str, violation: str, item: int) -> None:
    assert not _priority(clean)
    assert item in _items(violation)


def test_food_read_in_a_rooms_air_still_fires() -> None:
    assert 22 in _items("Cutting room 45°F ambient, ground beef on the table 50°F.")


# Food left uncovered while it cools is how cooling is done, not food left unprotected.
UNCOVERED_TO_COOL = [
    (
        "Rice spread in shallow pans, uncovered on the top shelf of the walk-in to cool.",
        "Rice in shallow pans, uncovered on the bottom shelf of the walk-in.",
    ),
    (
        "Soup in a shallow pan, left uncovered in the ice bath while it cools.",
        "Soup in a shallow pan, uncovered, on the rack next to the dish machine.",
    ),
    (
        "Chicken breasts left unwrapped on sheet trays in the blast chiller.",
        "Chicken breasts left unwrapped on sheet trays in the reach-in.",
    ),
]


@pytest.mark.parametrize(("clean", "violation"), UNCOVERED_TO_COOL)
def test_uncovered_to_cool_is_not_unprotected(clean: str, violation: str) -> None:
    assert 39 not in _items(clean)
    assert 39 in _items(violation)
