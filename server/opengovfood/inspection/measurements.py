"""Measurements in notes, with what they belong to, checked against the Food Code's limits.

A reading is a temperature (°F/°C/F/C/degrees, ranges like "38-40F", bare numbers when the
sentence is about temperatures), a sanitizer concentration (ppm, with chlorine / quat /
iodine from the words around it) or a cooling time. Each is attributed to the noun phrase it
follows ("potato salad in the prep cooler at 47F") and given a context from the words of its
clause: cold holding, hot holding, cooking, reheating, cooling, receiving, hand-sink water,
hot water, dish-machine final rinse, manual wash water. Limit statements ("must be 41F or
below", "at least 135") are not readings. Compliant readings produce nothing.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Final, Literal

from .text import Sentence

__all__ = ["FOOD_WORDS", "MeasurementViolation", "Reading", "check_sentence", "readings"]

Context = Literal[
    "cold_holding",
    "hot_holding",
    "cooking",
    "reheating",
    "cooling",
    "receiving",
    "hand_sink_water",
    "hot_water",
    "final_rinse",
    "wash_water",
    "equipment_cold",
    "freezer",
    "unknown",
]

_NUM = r"-?\d{1,3}(?:\.\d{1,2})?"
# "47F", "47 °F", "47 degrees F", "5°C", "41 deg", "47º", "113.4 F", "8 C".
_TEMP: Final = re.compile(
    rf"(?<![\w.])(?P<num>{_NUM})\s?(?:"
    # (and the degrees of hurried notes: "degress", "degres", "dgrees")
    r"(?P<deg>°|de?gr?e{1,3}s{0,2}\b|degs?\b\.?|deg\b\.?)\s?(?P<u1>fahrenheit|celsius|f|c)?(?![a-z])"
    r"|(?P<u2>fahrenheit|celsius|f|c)(?![a-z'\u2019-]))"
)
# The first half of a range just before a temperature: "38-40F", "115.1F-120.9F", "45 to 48F".
_RANGE_HEAD: Final = re.compile(
    rf"(?<![\w.:/])(?P<num>{_NUM})\s?(?:°\s?)?(?:[fc]\b)?\s?(?:-|to|through|and)\s?$"
)
# A bare number read as a temperature when the sentence is about temperatures.
_BARE: Final = re.compile(
    r"(?:\bat|@|\btemp(?:erature)?s?(?:\s+(?:of|was|were|is|at|reading|read))?|(?<![\d\s]):|"
    r"\bwas|\bwere|\bread|\breads|\breading|\bmeasured|\bprobed|"
    # the reading that replaces one taken back: "44 no sorry 34"
    r"\b(?:sorry|correction|i\s+mean|make\s+that|rather|actually|wait)[,:]?)"
    # the fillers of dictated notes: "holding at like 49", "at about 50"
    r"(?:\s+(?:like|about|around|approx\w*|roughly|maybe|only|just|right\s+at))?"
    r"\s{0,3}(?P<num>-?\d{2,3}(?:\.\d)?)(?![\d.]|\s*(?:%|ppm|lbs?\b|pounds|oz\b|hours?\b|hrs?\b|"
    r"h\b|min|minutes|days?\b|inch|in\b|ft\b|feet|am\b|pm\b|:\d|/|pcs|pieces|sq|gallon|items?|"
    r"°|deg|f\b|c\b))"
)
_BARE_DECIMAL: Final = re.compile(
    r"(?<![\w./-])(?P<num>\d{2,3}\.\d)(?![\d.]|\s*(?:%|ppm|lbs?\b|pounds|oz\b|hours?\b|hrs?\b|"
    r"min|minutes|days?\b|inch|in\b|ft\b|feet|am\b|pm\b|/|°|deg|f\b|c\b))"
)
_BARE_COOKED: Final = re.compile(
    r"\b(?:cooked|re-?heated|heated|cooled|cooling|grilled|fried|baked|roasted|seared)\s+"
    r"(?:[a-z]+\s+){0,2}?(?:to|at)\s(?P<num>\d{2,3}(?:\.\d)?)(?![\d.]|\s*(?:%|ppm|lbs?\b|oz\b|"
    r"hours?\b|hrs?\b|min|minutes|days?\b|am\b|pm\b|:\d|°|deg|f\b|c\b))"
)
_TEMP_WORDS: Final = re.compile(
    r"\btemp(?:erature|rature|ature|erture|eture)?s?\b|°|\bde?gr?e{1,3}s{0,2}\b|"
    r"\bcold[- ]hold|\bhot[- ]hold|\bprob(?:ed|ing)\b|"
    r"\btemped\b|\bthermometers?\b"
)
# A unit that holds food: a number read at it is a temperature even without "degrees"
# (dictated notes: "walk in cooler is at thirty eight").
_HOLDING_PLACE: Final = re.compile(
    r"\b(?:coolers?|walk[-\s]?ins?|reach[-\s]?ins?|fridges?|refrigerators?|freezers?|"
    r"(?:prep|sandwich|salad|pizza|deli|dessert|drink|bar)\s+(?:rail|unit|table|cooler|case)s?|"
    r"(?:top|cold|sandwich|salad|pizza)\s+rails?|"
    r"make[-\s]?(?:line|table)s?|steam\s+(?:table|well)s?|hot\s+(?:well|box|holding)s?|"
    r"cold\s+(?:well|holding)s?|display\s+cases?|warmers?|bain[-\s]?maries?|holding\s+at)\b"
)
_LIMIT_BEFORE: Final = re.compile(
    r"(?:\b(?:must|should|shall|needs?\s+to|required?|requirement|instructed|ensure)\b"
    r"(?:\s+[\w-]+){0,5}?\s*"
    r"|(?:\bat\s+least|\bat\s+or\s+(?:below|above)|\bbelow|\babove|\bunder|\bover|\bminimum|"
    r"\bmaximum|\bmin\.?|\bmax\.?|\bless\s+than|\bmore\s+than|\bgreater\s+than|\bexceed(?:s|ing)?|"
    r"\bup\s+to|\blimits?|\bbetween|\brange|<=?|>=?|≤|≥|=<|=>)"
    r"\s*(?:the\s+)?(?:required\s+)?(?:minimum\s+|maximum\s+)?(?:of\s+)?(?:at\s+)?(?:a\s+)?"
    r"(?:(?:internal\s+)?temp(?:erature)?\s+(?:of\s+)?)?)"
    r"(?:\d+(?:\.\d+)?\s*(?:°\s*)?[fc]?\s*(?:-|to|and)\s*)?$"
)
_LIMIT_AFTER: Final = re.compile(
    r"^\s*(?:or|and)\s+(?:below|less|lower|colder|under|above|higher|more|greater|warmer|hotter|"
    r"over|up|down)|^\s*(?:\+|max\b|min\b|maximum|minimum|or\s+(?:under|over))"
    r"|^\s*(?:for\s+\d+\s*(?:sec|seconds))"
    # "within the 45F allowed for milk": the limit quoted, not a reading
    r"|^\s*(?:is\s+|are\s+)?(?:allowed|permitted|limit|maximum|minimum|required|requirement|"
    r"standard|rule)\b"
)
_PPM: Final = re.compile(
    r"(?<![\w.])(?P<num>\d{1,4}(?:\.\d{1,2})?)(?:\s?(?:-|to)\s?(?P<num2>\d{1,4}(?:\.\d{1,2})?))?"
    r"\s?(?:ppm\b|p\.p\.m\.?|parts\s+per\s+million|mg/l\b)"
)
_DURATION: Final = re.compile(
    r"(?<![\w.])(?P<num>\d{1,2}(?:\.\d{1,2})?|one|two|three|four|five|six|seven|eight)"
    r"(?:\s?(?:-|to|and\s+a)\s?(?:\d{1,2}(?:\.\d)?|half))?\s?"
    r"(?P<unit>hours?|hrs?|h\b|minutes?|mins?\b)"
)
_WORD_NUMBERS: Final = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
}  # fmt: skip

# Context words, searched in the reading's clause.
_CONTEXTS: Final[tuple[tuple[Context, re.Pattern[str]], ...]] = (
    ("reheating", re.compile(r"\bre-?heat\w*")),
    (
        "cooling",
        re.compile(
            r"\b(?:placed|put|set|moved)\s+(?:\w+\s+){0,2}?(?:in|into|on)\s+(?:an?\s+|the\s+)?"
            r"ice\s+(?:bath|water\s+bath)|\bshallow\s+(?:\w+\s+)?pans?\b|\bportioned\s+(?:in|into|out)|"
            r"\bcool(?:ed|ing|s)?\b(?!\s+(?:unit|room))|\bcooling\s+log|\bcooldown|"
            r"\bice[-\s]?(?:wands?|paddles?|sticks?)|\bblast[-\s]?chill\w*"
        ),
    ),
    (
        "cooking",
        re.compile(
            r"\b(?:end|out)\s+of\s+(?:the\s+)?(?:cook\w*|fryer|oven|smoker|grill)|\b(?:off|from)\s+"
            r"(?:the\s+)?(?:grill|griddle|flat[-\s]?top|broiler|fryer|oven|smoker|rotisserie)\b|"
            r"\bjust\s+(?:cooked|fried|grilled|baked)|\bafter\s+cooking|"
            r"\bcooked\s+for\s+(?:the\s+)?(?:hot[-\s]?hold\w*|hot\s+line|steam\s+table|service)|"
            r"\b(?:cook(?:ed|ing)?|grilled|fried|baked|roasted|seared|final\s+cook)\s+"
            r"(?:to\b|at\s+(?:a\s+)?(?:temp|\d)|temp)|\b(?:internal|final|end[-\s]point)\s+"
            r"(?:cook(?:ing)?\s+)?temp|\bcook(?:ing)?\s+temp|\bundercooked\b"
        ),
    ),
    (
        "receiving",
        re.compile(
            r"\breceiv(?:ed|ing)\b|\bdeliver(?:ed|y|ies)\b|\bupon\s+(?:arrival|receipt)|"
            r"\bat\s+receipt\b|\bincoming\b"
            # what the dock does with a delivery: "signed for it", "a shipment of", "the
            # driver's case of milk", "accepted the case"
            r"|\bsign(?:ed|s|ing)?\s+for\b|\bshipments?\b|\b(?:loading\s+)?dock\b|"
            r"\b(?:delivery\s+)?(?:driver|vendor)'?s\b|\b(?:accepted|accepts|accepting)\b"
        ),
    ),
    (
        "final_rinse",
        re.compile(
            r"\bfinal\s+rinse|\bsanitiz\w*\s+rinse|\brinse\s+(?:temp|cycle|cycle\s+temp)|"
            r"\b(?:dish\s?machine|dish\s?washer|dish\s?washing\s+machine|ware\s?wash(?:ing)?\s+machine|"
            r"glass\s?wash(?:er|ing\s+machine)|bar\s+washer|"
            r"high[-\s]temp(?:erature)?\s+machine)\b"
        ),
    ),
    (
        "wash_water",
        re.compile(
            r"\bwash\s+(?:water|solution|compartment|vat|sink\s+water|at|tank|\d)|\bwash\s+temp|"
            r"\bwash\s+(?:bay|sink|basin|side|tub)\s+(?:water|temp\w*|at|was|is|read)"
        ),
    ),
    (
        "hand_sink_water",
        re.compile(
            r"\bhand\s?(?:wash(?:ing)?\s?)?(?:sink|station|basin|bowl|lavatory)s?\b|\bhandsinks?\b|"
            r"\bhws\b|\blavator(?:y|ies)\b|\bwash\s?(?:room|bowl)s?\b|\brestroom\s+sink"
        ),
    ),
    ("hot_water", re.compile(r"\bhot\s+(?:running\s+)?water\b|\bwater\s+heater\b")),
    ("freezer", re.compile(r"\bfreezers?\b|\bfrozen\b|\bice\s+cream\b")),
    (
        "hot_holding",
        re.compile(
            r"\bhot[-\s]?hold\w*|\bst(?:ea)?m\s?(?:table|tbl|tab|well|tray)s?|\bhot\s?(?:well|box|case|line|"
            r"table|plate|display|cabinet)s?\b|\bholding\s+(?:cabinet|oven)|\bwarm(?:er|ers|ing)\b|"
            r"\bheat(?:ing|ed)?\s+lamps?|\bheated\b|\bchafing|\bcrock[-\s]?pots?|\bsoup\s+(?:well|"
            r"kettle)|\brice\s+cooker|\bbain[-\s]?maries?\b|\broller\s+grill|\bkettle|\bheat\s+strip"
        ),
    ),
    (
        "cold_holding",
        re.compile(
            r"\bcold[-\s]?hold\w*|\bcoolers?\b|\brefrigerat\w*|\brefridg\w*|\bfrig\b|\bfridges?\b|\breach[-\s]?ins?\b|"
            r"\bwalk[-\s]?ins?\b|\bwic\b|\bric\b|\bprep\s?(?:cooler|unit|table|top|rail)s?\b|"
            r"\bmake[-\s]?(?:line|table|unit)s?\b|\bsandwich\s+(?:unit|table|cooler|prep)|\bsalad\s+bar|"
            r"\bcold\s+(?:well|table|rail|bar|case|drawer|top|line|display|holding)s?\b|"
            r"\b(?:display|deli|dairy|meat|sushi|pastry|beverage)\s+(?:case|cooler|display)s?\b|"
            r"\bdrawer\s?(?:cooler|unit)s?\b|\bice\s+bath|\bon\s+ice\b|\bunder[-\s]?counter\b|"
            r"\blow[-\s]?boy|\bcold\b|\bchilled\b|\brefrigerated\b|\broom\s+temp\w*|\bcounter\b"
        ),
    ),
)

# Food words: a reading whose own phrase names one is a food temperature, not the air's.
_FOOD: Final = re.compile(
    r"\b(?:food|foods|tcs|phf|rte|product|products|items?|chicken|poultry|turkey|duck|beef|"
    r"steak|pork|ham|bacon|sausage|hot\s?dogs?|burgers?|hamburgers?|patt(?:y|ies)|meat|meats|"
    r"ground|lamb|veal|fish|salmon|tuna|tilapia|cod|shrimp|seafood|crab|lobster|oysters?|clams?|"
    r"mussels?|scallops?|sushi|sashimi|eggs?|egg\s+\w+|milk|cream|cheese|dairy|butter|yogurt|"
    r"sour\s+cream|custard|pudding|tofu|rice|beans?|pasta|noodles?|soup|soups|chili|stew|"
    r"gravy|sauce|sauces|salsa|guacamole|hummus|dressing|mayo\w*|aioli|potato(?:es)?|potato\s+salad|"
    r"salad|salads|coleslaw|slaw|lettuce|greens|spinach|sprouts|tomato(?:es)?|melons?|cantaloupe|"
    r"watermelon|fruit|cut\s+\w+|sliced\s+\w+|diced\s+\w+|chopped\s+\w+|cooked\s+\w+|"
    r"vegetables?|veggies|onions?|peppers?|garlic|mushrooms?|pizza|dough|cheesecake|pies?|"
    r"cake|cakes|sandwich(?:es)?|wraps?|burritos?|tacos?|tamales?|enchiladas?|quesadillas?|"
    r"carnitas|asada|barbacoa|chorizo|pupusas|dumplings?|egg\s+rolls?|wings|nuggets|tenders|"
    r"breasts?|thighs?|ribs|brisket|roast|meatballs?|lasagna|casserole|curry|dal|lentils|"
    r"queso|cheese\s+sauce|nacho|deli|cold\s+cuts|lunch\s?meat|turkey\s+breast|cooked|"
    r"raw|portion|portions|pan\s+of|tray\s+of|batch|stock|broth|bisque|chowder|gyro|shawarma|"
    r"falafel|kebab|pho|ramen|tofu|kimchi|poke|ceviche|crema|sour\s+cream|whipped\s+cream)\b"
)
FOOD_WORDS: Final = _FOOD

# Foods usually held cold or hot: the context when no equipment is named.
_COLD_FOOD: Final = re.compile(
    r"\b(?:salads?|coleslaw|slaw|lettuce|greens|sprouts|sliced\s+tomato\w*|cut\s+tomato\w*|"
    r"tomato(?:es)?|melons?|cantaloupe|watermelon|cut\s+fruit|milk|cream|cheese|dairy|yogurt|"
    r"sour\s+cream|custard|pudding|tofu|sushi|sashimi|poke|ceviche|deli|cold\s+cuts|lunch\s?meat|"
    r"raw|shell\s?eggs?|eggs|seafood|oysters?|clams?|mussels?|shrimp|fish|mayo\w*|aioli|"
    r"dressing|salsa|guacamole|hummus|cheesecake|cream\s+pie|sandwich(?:es)?|wraps?|crema)\b"
)
_HOT_FOOD: Final = re.compile(
    r"\b(?:soups?|chili|stew|gravy|rice|beans|refried|queso|cheese\s+sauce|nacho\s+cheese|"
    r"mashed|pasta|noodles|curry|dal|lentils|carnitas|asada|barbacoa|chorizo|meatballs?|"
    r"lasagna|casserole|fried\s+\w+|wings|nuggets|tenders|broth|bisque|chowder|pho|ramen|"
    r"tamales?|enchiladas?|gyro|shawarma|roast|brisket|pulled\s+pork|hot\s?dogs?)\b"
)
_POULTRY: Final = re.compile(
    r"\b(?:chicken|poultry|turkey|duck|goose|stuffed|stuffing|casserole|game)\b"
)
_GROUND: Final = re.compile(
    r"\b(?:ground|hamburgers?|burgers?|patt(?:y|ies)|sausages?|meatballs?|comminuted|"
    r"injected|mechanically\s+tenderized|meatloaf)\b"
)
_WHOLE_MUSCLE: Final = re.compile(
    r"\b(?:pork|beef|steak|fish|salmon|tuna|seafood|shrimp|lamb|veal|eggs?|chops?|roast|"
    r"fillets?|tilapia|cod|scallops?)\b"
)
_SHELL_EGGS_OR_MILK: Final = re.compile(
    r"\b(?:shell\s?eggs?|eggs|milk|shellstock|oysters?|clams?)\b"
)
_CELSIUS_HINT: Final = re.compile(r"°\s?c\b|\d\s?c\b|\bcelsius\b")

_CHLORINE: Final = re.compile(r"\bchlorine\b|\bbleach\b|\bcl2?\b|\bhypochlorite\b|\bchlor\w*")
_QUAT: Final = re.compile(r"\bquats?\b|\bqa\b|\bquaternary\b|\bammonium\b|\bqac\b")
_IODINE: Final = re.compile(r"\biodine\b|\biodophor\b")
_SANITIZER_WORDS: Final = re.compile(
    r"\bsaniti[sz]\w*|\bchlorine\b|\bbleach\b|\bquat\w*|\biodine\b|\bppm\b|\btest\s+strips?\b|"
    r"\bdish\s?machine|\b3[-\s]?comp|\bthree[-\s]comp|\bbucket|\bsolution"
)

# Ranges in ppm: below the minimum does not sanitize; above the maximum is a toxic residue.
_SANITIZER_RANGES: Final[dict[str, tuple[float, float | None]]] = {
    "chlorine": (50.0, 200.0),
    "quaternary ammonium": (150.0, 400.0),
    "iodine": (12.5, 25.0),
    "sanitizer": (50.0, None),  # kind not named: the lowest minimum of any kind
}


# 4-501.114: (A) chlorine, (B) iodine, (C) quaternary ammonium.
_SANITIZER_PARAGRAPH: Final[dict[str, str]] = {
    "chlorine": "4-501.114(A)",
    "iodine": "4-501.114(B)",
    "quaternary ammonium": "4-501.114(C)",
    "sanitizer": "4-501.114(A)",
}


@dataclass(frozen=True, slots=True)
class Reading:
    kind: Literal["temperature", "concentration"]
    low: float  # °F for temperatures (converted), ppm for concentrations
    high: float
    celsius: bool
    start: int  # offsets in the sentence view
    end: int
    # a number with its unit ("47F", "8 °C"), not a bare one read from its sentence ("at 47")
    explicit: bool = True


@dataclass(frozen=True, slots=True)
class MeasurementViolation:
    section: str
    form_item: int
    description: str
    clause_start: int  # offsets in the sentence
    clause_end: int


def _to_f(value: float, celsius: bool) -> float:
    return value * 9 / 5 + 32 if celsius else value


_FAHRENHEIT_HINT: Final = re.compile(r"°\s?f\b|\d\s?f\b|\bfahrenheit\b")


def _unit_is_celsius(unit: str | None, sentence_view: str) -> bool:
    """An explicit unit decides; "41 degrees" is Celsius only in a sentence that writes
    Celsius and never Fahrenheit."""
    if unit:
        return unit.startswith("c")
    return (
        _CELSIUS_HINT.search(sentence_view) is not None
        and _FAHRENHEIT_HINT.search(sentence_view) is None
    )


def _is_limit(view: str, start: int, end: int) -> bool:
    before = view[max(0, start - 45) : start]
    return bool(_LIMIT_BEFORE.search(before) or _LIMIT_AFTER.search(view[end : end + 25]))


# "reheated from 38F to 172F": a change of temperature, read at its end ("ranged from 120F
# to 130F" is a range; "cooled from 135 to 70" is read by the cooling check).
_CHANGE_FROM: Final = re.compile(
    r"\b(?:re-?heated|heated|warmed|brought|went|rose|came\s+(?:up|down)|re-?heating|heating|"
    r"cooled|cooling|chilled|chilling|dropped|fell|cools?|got)\s+"
    r"(?:[a-z]+\s+){0,3}?from\s+$"
)
_CHANGE_TO: Final = re.compile(r"\s*(?:-|to|up\s+to)\s*\d")


# A reading the writer takes back: "forty four no sorry thirty four", "46F - correction, 36F"
_TAKEN_BACK: Final = re.compile(
    r"\s*[-,;:(]?\s*(?:no\s+)?(?:sorry|correction|corrected|correct\s+that|i\s+mean|make\s+that|"
    r"scratch\s+that|wait|rather|actually|no|misread)\b[^.\d]{0,30}?\d"
)


def _taken_back(view: str, reading: Reading) -> bool:
    return _TAKEN_BACK.match(view, reading.end) is not None


def readings(view: str) -> list[Reading]:
    """Temperatures and concentrations of one sentence view (limit statements left out)."""
    return [r for r in _all_readings(view) if not _taken_back(view, r)]


def _all_readings(view: str) -> list[Reading]:
    found: list[Reading] = []
    taken: list[tuple[int, int]] = []
    for match in _TEMP.finditer(view):
        unit = match.group("u1") or match.group("u2")
        if match.group("u2") == "c" and not match.group("deg"):
            # "3 c" is rarely a temperature unless the notes use Celsius elsewhere or it's cold
            pass
        celsius = _unit_is_celsius(unit, view) if match.group("deg") or unit else False
        value = float(match.group("num"))
        start, end = match.start(), match.end()
        head = _RANGE_HEAD.search(view, max(0, start - 16), start)
        low = high = value
        if _CHANGE_FROM.search(view, max(0, start - 40), start) and _CHANGE_TO.match(view, end):
            taken.append((start, end))
            continue
        if head is not None and _CHANGE_FROM.search(view, max(0, head.start() - 40), head.start()):
            head = None
        if head is not None:
            low = min(value, float(head.group("num")))
            high = max(value, float(head.group("num")))
            start = head.start()
        if _is_limit(view, start, end):
            taken.append((start, end))
            continue
        if not -40 <= _to_f(high, celsius) <= 500:
            continue
        found.append(
            Reading("temperature", _to_f(low, celsius), _to_f(high, celsius), celsius, start, end)
        )
        taken.append((start, end))
    bare = list(_BARE_COOKED.finditer(view))
    if _TEMP_WORDS.search(view) or found or _HOLDING_PLACE.search(view):
        bare += [*_BARE.finditer(view), *_BARE_DECIMAL.finditer(view)]
    if bare:
        for match in sorted(bare, key=lambda m: m.start("num")):
            start, end = match.start("num"), match.end("num")
            if any(a <= start < b for a, b in taken) or _is_limit(view, start, end):
                continue
            taken.append((start, end))
            value = float(match.group("num"))
            celsius = _unit_is_celsius(None, view) and value < 90
            if not 0 <= _to_f(value, celsius) <= 250:
                continue
            found.append(
                Reading(
                    "temperature",
                    _to_f(value, celsius),
                    _to_f(value, celsius),
                    celsius,
                    start,
                    end,
                    explicit=False,
                )
            )
    for match in _PPM.finditer(view):
        if _is_limit(view, match.start(), match.end()):
            continue
        first = float(match.group("num"))
        second = float(match.group("num2")) if match.group("num2") else first
        found.append(
            Reading(
                "concentration",
                min(first, second),
                max(first, second),
                False,
                match.start(),
                match.end(),
            )
        )
    found.sort(key=lambda r: r.start)
    return found


_DELIMITER: Final = re.compile(r"[,;(\u2192]|\s(?:and|but|while|whereas)\s|\.\s|\s-+>?\s")
_FILLER: Final = re.compile(
    r"^[\s:@-]*(?:(?:was|were|is|are|at|measured|read|reading|temp\w*|of)\b[\s:@-]*)*$"
)


def _segment(view: str, reading: Reading, previous_end: int) -> tuple[int, int]:
    """The phrase a reading belongs to: the noun phrase before it (back to the previous
    reading or clause break, skipping a break with nothing but "at"/"was" after it) and
    the words after it up to the next break ("47F in the prep cooler")."""
    start = previous_end
    breaks = [m for m in _DELIMITER.finditer(view, previous_end, reading.start)]
    for mark in reversed(breaks):
        if not _FILLER.match(view[mark.end() : reading.start]):
            start = mark.end()
            break
    after = _DELIMITER.search(view, reading.end)
    end = after.start() if after else len(view)
    return start, min(end, reading.end + 80)


# "reheated to 168": the reheating's own reading follows, so a reading before it is the
# temperature the food was found at
_REHEATED_TO: Final = re.compile(r"re-?heat\w*\s+(?:[a-z]+\s+){0,3}?(?:to|at)\s+\d")


def _context(
    view: str, seg_start: int, seg_end: int, reading: Reading, reading_at: int | None = None
) -> tuple[Context, bool]:
    """The reading's context, and whether its own phrase (not just its sentence) names it."""
    phrase = view[seg_start:seg_end]
    # The noun phrase the reading follows names it first ("the fridge is 38, the hand sink
    # has soap": the fridge's reading); then the words after it; then the sentence.
    before = view[seg_start : max(seg_start, reading.start)]
    scopes = ((before, True, seg_start), (phrase, True, seg_start), (view, False, 0))
    for scope, own, offset in scopes:
        for name, pattern in _CONTEXTS:
            match = pattern.search(scope)
            # "beans 125F - reheated to 168F": the reheating (with its own reading) came after
            # the reading, which is what the food was held at before it
            at = reading.start if reading_at is None else reading_at
            if (
                match
                and name == "reheating"
                and match.start() + offset > at
                and _REHEATED_TO.match(scope, match.start())
            ):
                continue
            if match:
                return name, own
    return "unknown", False


def _holding(phrase: str, reading: Reading) -> Context:
    # Nothing is hot held at 60°F, nor cold held at 120°F: the value decides first.
    if reading.high < 70:
        return "cold_holding"
    if reading.low > 100:
        return "hot_holding"
    if _COLD_FOOD.search(phrase):
        return "cold_holding"
    return "hot_holding" if _HOT_FOOD.search(phrase) or reading.high >= 90 else "cold_holding"


def _cooking_minimum(phrase: str) -> tuple[float, str, str] | None:
    """(°F, what, the 3-401.11 paragraph) for the food the phrase names."""
    if _POULTRY.search(phrase):
        return 165.0, "poultry and stuffed foods", "3-401.11(A)(3)"
    if _GROUND.search(phrase):
        return 155.0, "ground or comminuted meat", "3-401.11(A)(2)"
    if _WHOLE_MUSCLE.search(phrase):
        return 145.0, "whole-muscle meat, fish and eggs", "3-401.11(A)(1)"
    return None


def _durations(view: str) -> list[tuple[int, float]]:
    """(offset, hours) of each duration; "1 hr 45 min" is one duration of 1.75 h."""
    out: list[tuple[int, int, float]] = []
    for m in _DURATION.finditer(view):
        value = float(_WORD_NUMBERS.get(m.group("num"), 0) or m.group("num"))
        minutes = m.group("unit").startswith("m")
        hours = value / 60 if minutes else value
        if (
            out
            and minutes
            and re.fullmatch(r"\s*(?:and\s+)?", view[out[-1][1] : m.start()])
            and out[-1][2] == int(out[-1][2])
        ):
            start, _, whole = out.pop()
            out.append((start, m.end(), whole + hours))
            continue
        out.append((m.start(), m.end(), hours))
    return [(start, hours) for start, _, hours in out]


def _hours(view: str) -> float | None:
    durations = _durations(view)
    if not durations:
        return 8.0 if "overnight" in view else None
    return durations[-1][1]


# "135F to 70F", "57 °C -> 21 °C": the reading is where a cooling span starts.
_SPAN_START: Final = re.compile(r"\s*(?:-+>?|\u2192|to|down\s+to|then)\s*-?\d")


def _cooling_hours(view: str, reading: Reading) -> float | None:
    """The time a cooling reading was taken at: the duration right after it (before the next
    reading: "70F in 1 hr 45 min, 41F at 5 h"), else the sentence's last one."""
    later = [r.start for r in readings(view) if r.start > reading.start]
    limit = later[0] if later else len(view)
    for start, hours in _durations(view):
        if reading.end <= start < limit:
            return hours
    return _hours(view)


def _sanitizer_kind(view: str) -> str:
    if _QUAT.search(view):
        return "quaternary ammonium"
    if _IODINE.search(view):
        return "iodine"
    if _CHLORINE.search(view):
        return "chlorine"
    return "sanitizer"


def _fmt(reading: Reading) -> str:
    if reading.celsius:
        low, high = (reading.low - 32) * 5 / 9, (reading.high - 32) * 5 / 9
        unit = "°C"
    else:
        low, high, unit = reading.low, reading.high, "°F"
    if abs(high - low) < 0.05:
        return f"{high:g}{unit}" if high == int(high) else f"{high:.1f}{unit}"
    return f"{low:g}-{high:g}{unit}"


_REFUSED: Final = re.compile(
    r"\b(?:refus\w+|reject\w*|turned\s+(?:it\s+|them\s+)?(?:away|back)|sent\s+(?:\w+\s+)?back|"
    r"returned\s+(?:\w+\s+)?to\s+the\s+(?:driver|vendor|truck|supplier))\b"
)
_ACCEPTED_ANYWAY: Final = re.compile(
    r"\b(?:signed\s+for|accepted|kept|put\s+(?:it\s+|them\s+)?away|anyway)\b"
)


def _check_temperature(
    view: str, reading: Reading, context: Context, phrase: str
) -> tuple[str, int, str] | None:
    value = _fmt(reading)
    low, high = reading.low, reading.high
    # The Code's Celsius limits are rounded equivalents (57 °C for 135 °F, 82 °C for 180 °F):
    # a Celsius reading at the Celsius limit complies.
    eps = 0.6 if reading.celsius else 0.05
    if context == "unknown" or context == "equipment_cold":
        context = _holding(phrase, reading)
    if context == "cold_holding":
        limit = 45.0 if _SHELL_EGGS_OR_MILK.search(phrase) and "egg" in phrase else 41.0
        if high > limit + eps:
            if not _FOOD.search(phrase) and not _FOOD.search(view):
                return "4-301.11", 33, f"Cold-holding equipment at {value}, above 41°F (5°C)"
            return "3-501.16(A)(2)", 22, f"TCS food cold held at {value}, above 41°F (5°C)"
        return None
    if context == "hot_holding":
        if low < 135 - eps:
            return "3-501.16(A)(1)", 21, f"TCS food hot held at {value}, below 135°F (57°C)"
        return None
    if context == "reheating":
        if low < 165 - eps:
            return (
                "3-403.11(A)",
                19,
                f"Food reheated for hot holding to {value}, below 165°F (74°C)",
            )
        return None
    if context == "cooking":
        if re.search(r"\b(?:ordered|order|requested|request)\b|\bconsumer\s+advisory", view):
            return None  # cooked to the consumer's order, under a consumer advisory
        if (
            _PLANT.search(phrase)
            and not _WHOLE_MUSCLE.search(phrase)
            and not _POULTRY.search(phrase)
        ):
            if low < 135 - eps:
                return "3-401.13", 34, f"Plant food cooked for hot holding to {value}, below 135°F"
            return None
        minimum = _cooking_minimum(phrase) or _cooking_minimum(view)
        if minimum is None:
            if low < 145 - eps:
                return "3-401.11(A)(1)", 18, f"Food cooked to {value}, below 145°F (63°C)"
            return None
        limit, what, paragraph = minimum
        if low < limit - eps:
            return paragraph, 18, f"{what.capitalize()} cooked to {value}, below {limit:g}°F"
        return None
    if context == "cooling":
        if _SPAN_START.match(view, reading.end):
            return None  # where the cooling started, not how far it got
        hours = _cooling_hours(view, reading)
        if hours is None:
            return None
        if (hours > 2 and high > 70 + eps) or (hours >= 6 and high > 41 + eps):
            return "3-501.14(A)", 20, f"Cooling too slow: {value} after {hours:g} h"
        return None
    if context == "receiving":
        # "the heater delivered 118 °F at the prep sink": water, not a delivery of food
        if re.search(r"\b(?:water|sinks?|taps?|faucets?|heaters?)\b", phrase):
            return None
        # the food received may be named outside the reading's own phrase ("eggs received
        # in a truck (air 6 °C)"): shell eggs and milk are received at 45°F
        named = phrase if _FOOD.search(phrase) else view
        if _REFUSED.search(view) and not _ACCEPTED_ANYWAY.search(view):
            return None  # a warm delivery turned away is the receiving rule followed
        if high > (45.0 if _SHELL_EGGS_OR_MILK.search(named) else 41.0) + eps and high < 135:
            return "3-202.11(A)", 12, f"TCS food received at {value}, above 41°F (5°C)"
        return None
    if context == "hand_sink_water":
        if high < 100 - eps:
            return "5-202.12(A)", 10, f"Handwashing sink water at {value}, below 100°F (38°C)"
        return None
    if context == "hot_water":
        if high < 100 - eps:
            return "5-103.11", 50, f"Hot water at {value}, below 100°F (38°C)"
        return None
    if context == "final_rinse":
        if re.search(
            r"\blow[-\s]temp|\bchemical|\bppm\b|\bchlorine\b|\bquat\w*|\biodine\b|\bbleach\b", view
        ):
            return None
        if _SURFACE.search(phrase):
            if 100 <= high < 160 - eps:
                return (
                    "4-703.11(B)",
                    16,
                    f"Utensil surface reached {value} in the dish machine, below 160°F (71°C)",
                )
            return None
        if re.search(r"\bwash\b", phrase) and not re.search(r"\brinse", phrase):
            return None
        if 100 <= high < 180 - eps:
            return "4-501.112", 16, f"Dish machine final rinse at {value}, below 180°F (82°C)"
        return None
    if context == "wash_water":
        if high < 110 - eps:
            return "4-501.19", 48, f"Manual warewashing wash water at {value}, below 110°F (43°C)"
        return None
    return None


def _cooling_from_to(view: str) -> tuple[float, float, float] | None:
    """ "cooled from 135 to 70 in 3 hours": (from °F, to °F, hours)."""
    match = re.search(
        rf"\bfrom\s+(?P<a>{_NUM})\s?(?:°\s?)?(?P<ua>[fc])?\b\s*(?:to|-)\s*(?P<b>{_NUM})\s?(?:°\s?)?"
        rf"(?P<ub>[fc])?\b"
        # a log's "135F to 70F" (no "from"): both numbers carry their unit
        rf"|(?<![\w.:/])(?P<a2>{_NUM})\s?(?:°\s?)?(?P<ua2>[fc])\b\s*(?:to|-+>?|\u2192)\s*"
        rf"(?P<b2>{_NUM})\s?(?:°\s?)?(?P<ub2>[fc])\b",
        view,
    )
    if match is None:
        return None
    if match.group("a") is None:
        start, end = float(match.group("a2")), float(match.group("b2"))
        celsius = match.group("ub2") == "c"
    else:
        start, end = float(match.group("a")), float(match.group("b"))
        celsius = (match.group("ub") or match.group("ua") or "") == "c"
    # the duration that goes with this change: the first one after it ("from 140 to 60 in 2
    # hours and to 38 by 6 hours" is 2 hours), else the sentence's last
    after = _durations(view[match.end() :])
    hours = after[0][1] if after else _hours(view)
    if hours is None:
        return None
    return _to_f(start, celsius), _to_f(end, celsius), hours


# Readings that are not of TCS food held for service: thawing water, acidified sushi rice,
# cold water, ambient room temperature.
_NOT_A_HOLDING_READING: Final = re.compile(
    r"\bthaw\w*|\bsushi\s+rice|\bhangiri|\bacidified|\bcold\s+(?:running\s+)?water\b|"
    r"\broom\s+(?:air\s+)?(?:temp\w*\s+)?(?:is|was|at)\s+\d|\bambient\s+(?:room|air|kitchen)|"
    r"\bwater\s+(?:ran|runs|running|came\s+out|comes\s+out|reached|reaches|only\s+reached)"
)
# The air of a room, not of a unit: "cutting room 45°F ambient", "kitchen air 84F". A room
# is no holding equipment and its air no food; a cold room or a walk-in is a unit.
_ROOM: Final = re.compile(
    r"\b(?<!cold\s)(?<!cool\s)(?<!chill\s)(?<!freezer\s)(?<!refrigerated\s)(?:room|kitchen|bakery|"
    r"dining\s+area|prep\s+area|dock)\b"
)
_AIR: Final = re.compile(r"\b(?:ambient|air)\b")
_UNIT_WORDS: Final = re.compile(
    r"\b(?:coolers?|refrigerat\w*|fridges?|reach[-\s]?ins?|walk[-\s]?ins?|wic|freezers?|"
    r"make[-\s]?(?:lines?|tables?)|display|cases?|units?|drawers?)\b"
)
# Dough rising and ferments are kept warm on purpose (the reading's own phrase says so).
_WARM_ON_PURPOSE: Final = re.compile(
    r"\bproof(?:er|ers|ing|ed|\s+box)\b|\bferment(?:ing|ed|ation)\b"
)
# A unit said to hold only what needs no temperature control.
_NOT_TCS_ONLY: Final = re.compile(
    r"\b(?:(?:canned|bottled)\s+)?(?:sodas?|soft\s+drinks|pop|drinks|beverages|waters?|beers?|"
    r"wines?|seltzers?|condiments)(?:\s+and\s+(?:(?:canned|bottled)\s+)?(?:sodas?|drinks|beverages|"
    r"waters?|beers?|wines?|seltzers?))?\s+only\b|\bonly\s+(?:\w+\s+){0,2}?(?:sodas?|soft\s+"
    r"drinks|drinks|beverages|bottled\s+water|beers?|wines?|seltzers?)\b|\bnon[-\s]?tcs\b|"
    r"\bnot\s+tcs\b"
)
_DOUGH: Final = re.compile(
    r"\b(?:dough|bread|buns?|rolls?|loaves|baguettes?|croissants?|starter|levain)\b"
)
_HOLDING: Final = ("cold_holding", "hot_holding", "unknown")
_WATER_CONTEXTS: Final = ("hand_sink_water", "hot_water", "wash_water")
_WATER_FLOW: Final = re.compile(
    r"\bwater\s+(?:ran|runs|running|came\s+out|comes\s+out|reached|reaches|only\s+reached)"
)
_HOLDING_UNIT: Final = re.compile(
    r"\b(?:coolers?|refrigerat\w*|fridges?|reach[-\s]?ins?|walk[-\s]?ins?|wic|units?|"
    r"make[-\s]?(?:lines?|tables?)|prep\s+(?:coolers?|tables?)|display|cases?|steam\s+tables?|"
    r"hot\s+(?:wells?|holding)|warmers?|bain|drawers?|ambient|air)\b"
)
_COOLING_SPAN: Final = re.compile(
    rf"\bfrom\s+{_NUM}\s?(?:°\s?)?[fc]?\s+(?:to|down\s+to)\s+{_NUM}|\bwithin\s+(?:\w+\s+)?"
    r"(?:2|two|4|four|6|six)\s+h|\bcool(?:ed|ing)\b"
    # "in the ice bath, 90F and dropping": food on its way down, not held
    r"|\b(?:and\s+)?(?:dropping|falling|coming\s+down|going\s+down)\b"
)
_SURFACE: Final = re.compile(
    r"\bsurface|\bplate\s+level|\butensil|\bplates?\b|\blabel|\bstrip|\bthermo"
)
_PLANT: Final = re.compile(
    r"\b(?:vegetables?|veggies|beans|green\s+beans|rice|greens|collards|corn|potato\w*|"
    r"carrots|peas|broccoli|spinach|plant\s+foods?|fruit|grains?|legumes|lentils)\b"
)
_WIPING: Final = re.compile(
    r"\bwiping\s+cloth|\bcloth\s+bucket|\brag\s+bucket|\bwiping\s+towel|\bsani\s+buckets?"
)


def _slow_cooling(start_f: float, end_f: float, hours: float) -> bool:
    """3-501.14: 135°F to 70°F within 2 h and to 41°F within 6 h in all; food starting at
    ambient temperature (70°F or less) to 41°F within 4 h."""
    if start_f > 70.05:
        if end_f > 70.05 and hours >= 2:
            return True
        if end_f >= 69.95 and hours > 2:
            return True
        return end_f > 41.05 and hours >= 6
    return end_f > 41.05 and hours >= 4


_CLOCK_TIME: Final = re.compile(
    r"(?<![\d:.])(1[0-2]|0?[1-9])(?::([0-5]\d))?\s?([ap])\.?\s?m\b\.?"
    r"|(?<![\d:.])([01]?\d|2[0-3]):([0-5]\d)(?![\d:])"
)
_STARTED: Final = re.compile(
    r"\b(?:made|cooked|prepared|prepped|removed\s+from\s+(?:the\s+)?(?:heat|stove|oven)|"
    r"started\s+cooling|placed\s+in\s+(?:the\s+)?(?:walk[-\s]?in|cooler|fridge)|began\s+cooling|"
    r"came\s+off)\b"
)
_YESTERDAY: Final = re.compile(
    r"\b(?:yesterday|last\s+night|overnight|previous\s+(?:day|evening))\b"
)
_COLD_PLACE: Final = re.compile(
    r"\bcool(?:ed|ing)\b|\bchill\w*|\bwalk[-\s]?ins?\b|\bcoolers?\b|\bfridges?\b|"
    r"\brefrigerat\w*|\breach[-\s]?ins?\b"
)


def _clock_minutes(match: re.Match[str]) -> int:
    if match.group(1) is not None:
        hour = int(match.group(1)) % 12 + (12 if match.group(3) == "p" else 0)
        return hour * 60 + int(match.group(2) or 0)
    return int(match.group(4)) * 60 + int(match.group(5))


def _elapsed_cooling(view: str, hint: str) -> tuple[float, float] | None:
    """(hours since the food was made, °F now) when the sentence dates the food's start
    ("made 5PM yesterday", "cooked at 10am") and reads it later ("now 58F at 10AM"): a
    cooling time the notes do not state in hours."""
    start = _STARTED.search(view)
    if start is None or not (_COLD_PLACE.search(view) or _COLD_PLACE.search(hint)):
        return None
    temperatures = [
        r for r in readings(view) if r.kind == "temperature" and r.start > start.start()
    ]
    if not temperatures:
        return None
    reading = temperatures[-1]
    if reading.high >= 135:
        return None
    clocks = [_clock_minutes(c) for c in _CLOCK_TIME.finditer(view, start.start())]
    yesterday = _YESTERDAY.search(view) is not None
    if len(clocks) >= 2:
        elapsed = clocks[-1] - clocks[0]
        if yesterday or elapsed <= 0:
            elapsed += 24 * 60
    elif yesterday and (clocks or re.search(r"\b(?:this\s+morning|today|now)\b", view)):
        elapsed = 12 * 60  # made yesterday, read this morning: overnight at the least
    else:
        return None
    return elapsed / 60, reading.high


_COOLING_WORDS: Final = re.compile(r"\bcool(?:ed|ing|s)?\b|\bcooling\s+log|\bchill\w*")
# "135F at 9:10", "at 11:40 it read 88F": a reading and the clock time it was taken at
_TIMED_AFTER: Final = re.compile(r"^\s*(?:at|@|by|-)?\s*$")


def _timed_readings(view: str) -> list[tuple[int, float]]:
    """(minutes on the clock, °F) of each temperature that has a clock time next to it."""
    clocks = list(_CLOCK_TIME.finditer(view))
    timed = []
    for reading in readings(view):
        if reading.kind != "temperature":
            continue
        after = next((c for c in clocks if 0 <= c.start() - reading.end <= 6), None)
        if after is not None and _TIMED_AFTER.match(view[reading.end : after.start()]):
            timed.append((_clock_minutes(after), reading.high))
            continue
        before = next((c for c in clocks if 0 <= reading.start - c.end() <= 12), None)
        if before is not None and re.fullmatch(
            r"\s*(?:it\s+)?(?:was|read|reads|measured|at|:|-|,)?\s*(?:at\s+)?",
            view[before.end() : reading.start],
        ):
            timed.append((_clock_minutes(before), reading.high))
    return timed


def _cooling_log(view: str, hint: str) -> tuple[float, float] | None:
    """(hours, °F) of a cooling log read as clock times ("135F at 9:10, 88F at 11:40"): the
    first reading hot (≥ 120 °F, cooling had begun), a later one still above 70 °F after more
    than 2 hours, or above 41 °F after more than 6."""
    if not (_COOLING_WORDS.search(view) or _COOLING_WORDS.search(hint)):
        return None
    timed = _timed_readings(view)
    if len(timed) < 2 or timed[0][1] < 120:
        return None
    start = timed[0][0]
    for minutes, temperature in timed[1:]:
        elapsed = (minutes - start) % (24 * 60) / 60
        if (elapsed > 2 and temperature > 70.05) or (elapsed > 6 and temperature > 41.05):
            return elapsed, temperature
    return None


# A thermometer checked against a fixed point: ice water reads 32°F (0°C), boiling water
# 212°F (100°C); or its error stated outright ("reads 6 degrees high", "eight degrees off").
_THERMOMETER: Final = re.compile(
    r"\b(?:thermometers?|probes?|thermocouples?|calibrat\w*|ice[-\s]point|boiling[-\s]point)\b"
)
_ICE_POINT: Final = re.compile(
    r"\bice[-\s]?(?:water|bath|point|slurry)|\b(?:cup|glass|jug|bucket|container)\s+of\s+ice\b"
)
_BOILING_POINT: Final = re.compile(r"\bboiling(?:[-\s]point|\s+water)?\b")
_OFF_BY: Final = re.compile(
    r"\b(\d{1,2}(?:\.\d)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"fifteen|twenty)\s*(?:°\s?|degrees?\s*|deg\.?\s*)([fc](?![a-z]))?\s*(?:off|high|low|out|too\s+"
    r"(?:high|low)|(?:above|below|over|under)\s+(?:the\s+)?(?:reference|actual|true|ice|"
    r"boiling|32|212|0|100))"
)
_NUMBER_WORDS: Final = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
}  # fmt: skip


@functools.cache
def _thermometer_accuracy() -> tuple[float, float]:
    """The catalogue's permitted error of a food thermometer (°F, °C), plus or minus."""
    from .catalogue import catalogue
    from .limits import AccuracyLimit

    for limit in catalogue().get("4-203.11").limits:
        if isinstance(limit, AccuracyLimit):
            return limit.fahrenheit, limit.celsius
    raise LookupError("the catalogue gives no accuracy for 4-203.11")


def _calibration(view: str) -> MeasurementViolation | bool | None:
    """A thermometer's check against ice or boiling water, or its stated error: the violation
    when it is out by more than the catalogue allows, False when the check passed, None when
    the sentence holds no such check."""
    if not _THERMOMETER.search(view):
        return None
    tolerance_f, tolerance_c = _thermometer_accuracy()
    off = _OFF_BY.search(view)
    if off is not None:
        amount = off.group(1)
        value = float(_NUMBER_WORDS.get(amount, 0) or amount)
        celsius = off.group(2) == "c" or (off.group(2) is None and _unit_is_celsius(None, view))
        limit = tolerance_c if celsius else tolerance_f
        if value > limit:
            unit = "C" if celsius else "F"
            return MeasurementViolation(
                "4-502.11(B)", 36,
                f"Food thermometer {value:g}°{unit} off, beyond ±{limit:g}°{unit}",
                0, len(view),
            )  # fmt: skip
        return False
    ice, boiling = _ICE_POINT.search(view), _BOILING_POINT.search(view)
    if ice is None and boiling is None:
        return None
    if _FOOD.search(view):
        return None  # "chili in an ice bath read 60F with my probe": the food's reading
    reference = 32.0 if ice is not None else 212.0
    temperatures = [r for r in readings(view) if r.kind == "temperature"]
    if not temperatures:
        return None
    reading = temperatures[-1]
    # the Celsius limit is the rounded equivalent: a Celsius reading is held to it
    limit = tolerance_c * 1.8 if reading.celsius else tolerance_f
    error = max(abs(reading.low - reference), abs(reading.high - reference))
    if error > limit + 0.05:
        return MeasurementViolation(
            "4-502.11(B)", 36,
            f"Food thermometer read {_fmt(reading)} in {'ice' if ice else 'boiling'} water, "
            f"more than ±{tolerance_f:g}°F (±{tolerance_c:g}°C) from "
            f"{'32°F (0°C)' if ice else '212°F (100°C)'}",
            0, len(view),
        )  # fmt: skip
    return False


def check_sentence(sentence: Sentence, hint: str = "") -> list[MeasurementViolation]:
    """The measurement violations of one sentence, each with the clause it rests on."""
    view = sentence.lower
    found: list[MeasurementViolation] = []
    calibrated = _calibration(view)
    if isinstance(calibrated, MeasurementViolation):
        return [calibrated]
    if calibrated is False:
        return []  # the reading is the thermometer's, not a food's
    elapsed = _elapsed_cooling(view, hint) or _cooling_log(view, hint)
    if elapsed is not None:
        hours, now_f = elapsed
        if (hours > 2 and now_f > 70.05) or (hours > 6 and now_f > 41.05):
            return [
                MeasurementViolation(
                    "3-501.14(A)", 20,
                    f"Cooling too slow: {now_f:g}°F after {hours:g} h "
                    "(135°F to 70°F within 2 h, to 41°F within 6 h)",
                    0, len(view),
                )
            ]  # fmt: skip
    if re.search(r"\bcool(?:ed|ing)\b", view):
        cooled = _cooling_from_to(view)
        if cooled is not None:
            start_f, end_f, hours = cooled
            if _slow_cooling(start_f, end_f, hours):
                found.append(
                    MeasurementViolation(
                        "3-501.14(A)", 20,
                        f"Cooling too slow: {start_f:g}°F to {end_f:g}°F in {hours:g} h "
                        "(135°F to 70°F within 2 h, to 41°F within 6 h)",
                        0, len(view),
                    )
                )  # fmt: skip
            return found
    previous_end = 0
    found_readings = readings(view)
    temperatures = sum(r.kind == "temperature" for r in found_readings)
    for reading in found_readings:
        seg_start, seg_end = _segment(view, reading, previous_end)
        previous_end = reading.end
        phrase = view[seg_start:seg_end]
        if reading.kind == "concentration":
            if not _SANITIZER_WORDS.search(view):
                continue
            kind = (
                _sanitizer_kind(phrase)
                if _sanitizer_kind(phrase) != "sanitizer"
                else _sanitizer_kind(view)
            )
            minimum, maximum = _SANITIZER_RANGES[kind]
            wiping = _WIPING.search(view) is not None
            value = (
                f"{reading.low:g}"
                if reading.low == reading.high
                else f"{reading.low:g}-{reading.high:g}"
            )
            if reading.high < minimum and wiping:
                found.append(
                    MeasurementViolation(
                        "3-304.14", 41,
                        f"Wiping-cloth sanitizer at {value} ppm {kind}, below {minimum:g} ppm",
                        seg_start, seg_end,
                    )
                )  # fmt: skip
            elif reading.high < minimum:
                found.append(
                    MeasurementViolation(
                        _SANITIZER_PARAGRAPH[kind], 16,
                        f"{kind.capitalize()} sanitizer at {value} ppm, below {minimum:g} ppm",
                        seg_start, seg_end,
                    )
                )  # fmt: skip
            elif maximum is not None and reading.low > maximum:
                found.append(
                    MeasurementViolation(
                        "7-204.11", 28,
                        f"{kind.capitalize()} sanitizer at {value} ppm, above {maximum:g} ppm",
                        seg_start, seg_end,
                    )
                )  # fmt: skip
            continue
        context, own = _context(view, seg_start, seg_end, reading)
        # a holding place named in this sentence ("steam tbl: arroz 122F"), not the one before
        named_holding = context in ("cold_holding", "hot_holding")
        if context == "unknown" and hint:
            # the sentence before comes wholly before the reading
            context, _ = _context(hint, 0, len(hint), reading, reading_at=len(hint))
            if context == "cooling":
                continue  # a reading in the course of cooling described just before
        if not own and (context in _HOLDING or temperatures > 1):
            # A context named elsewhere in the sentence yields to the value itself ("hot
            # holding 150F, lettuce 40F" holds the lettuce cold), and a list of readings
            # does not lend one reading's context to the others.
            context = "unknown"
        if (
            context in (*_HOLDING, "equipment_cold")
            and _AIR.search(phrase)
            and _ROOM.search(phrase)
            and not _UNIT_WORDS.search(phrase)
        ):
            continue  # a room's air: neither food held nor holding equipment
        if context == "freezer" or (
            _NOT_A_HOLDING_READING.search(view)
            # "water came out at 90F" at a sink is the sink's water, not food held
            and not (
                context in _WATER_CONTEXTS
                and not _NOT_A_HOLDING_READING.search(_WATER_FLOW.sub(" ", view))
            )
        ):
            continue
        if _WARM_ON_PURPOSE.search(phrase) and not _FOOD.search(_DOUGH.sub(" ", phrase)):
            continue
        if (
            context in (*_HOLDING, "equipment_cold")
            and _NOT_TCS_ONLY.search(view)
            and not _FOOD.search(_NOT_TCS_ONLY.sub(" ", phrase))
        ):
            continue  # a cooler of canned sodas only holds no TCS food
        if context in _HOLDING:
            if _COOLING_SPAN.search(view):
                continue  # "did not get from 57 °C to 21 °C within two hours": a cooling time
            if (
                not own
                and not _FOOD.search(phrase)
                and not _HOLDING_UNIT.search(phrase)
                and not (reading.explicit and named_holding)
            ):
                continue  # a bare number: nothing says what was at that temperature
        checked = _check_temperature(view, reading, context, phrase)
        if checked is not None:
            section, item, description = checked
            found.append(MeasurementViolation(section, item, description, seg_start, seg_end))
    return found
