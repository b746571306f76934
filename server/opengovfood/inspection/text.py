"""Notes as text: bounding, a length-preserving lower-case view, sentences, words.

Every span keeps its offsets into the original notes, so a finding's evidence is always a
verbatim quote. All patterns are precompiled and linear (no nested quantifiers over the
same characters), so a hostile 20,000-character note costs what a normal one does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

__all__ = [
    "MAX_NOTES_CHARS",
    "Sentence",
    "bound",
    "expand_abbreviations",
    "lower_view",
    "sentences",
    "words",
]

# A long inspection report is ~10,000 characters; five times that is still a report, and
# the bound keeps every per-character pass predictable whatever a caller sends.
MAX_NOTES_CHARS: Final = 50_000

# Same-length replacements only: offsets into the view are offsets into the notes.
_FOLD: Final = str.maketrans(
    {
        "\u00ba": "\u00b0",  # masculine ordinal, often typed for the degree sign
        "\u02da": "\u00b0",  # ring above
        "\u2103": "c",  # degree Celsius sign (one character; the unit follows the number)
        "\u2109": "f",  # degree Fahrenheit sign
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u00a0": " ",
        "\t": " ",
        "\u2022": "\n",  # bullet: a new line item
    }
)

# Words after which a full stop may not end the sentence. Whether it does depends on what
# follows (see `_ends_sentence`): "approx. 40", "No. 3", "Mr. Lau" go on; "...in the
# walk-in. No soap at the hand sink" and "cooled for 30 min. Rice at 50F" end.
_TITLES: Final = frozenset({"dr", "mr", "mrs", "ms", "st"})  # a name always follows
# Never a sentence's last word: a quantity or an example follows.
_LEADING: Final = frozenset(
    {"approx", "appx", "aprox", "apprx", "e.g", "i.e", "eg", "ie", "vs", "fig", "ref",
     "sect", "para"}
)  # fmt: skip
# Also ordinary words, or units that often close a sentence ("the walk-in.", "30 min."):
# they end it when a capital letter or a non-number follows in all-caps notes.
_AMBIGUOUS: Final = frozenset(
    {"no", "nos", "temp", "temps", "deg", "min", "mins", "hr", "hrs", "sec", "secs", "inc",
     "co", "est", "pt", "pts", "lb", "lbs", "oz", "qt", "gal", "ft", "in", "rm"}
)  # fmt: skip
_ABBREVIATIONS: Final = _TITLES | _LEADING | _AMBIGUOUS

# Candidate boundaries: sentence punctuation, line breaks, list dashes at a line start, and
# the spoken full stop of dictated notes ("...at thirty eight period the hand sink...").
_BOUNDARY: Final = re.compile(r"[.!?;]+|\n\s*(?:[-*]\s+|\d{1,2}[.)]\s+)?|\bperiod\b")
# "period" is a word, not a spoken full stop, after these ("the cooling period", "a 4-hour
# period") or before a following noun ("period of time" is caught by the word after).
_PERIOD_AS_WORD_BEFORE: Final = re.compile(
    r"(?:\b(?:the|a|an|this|that|each|every|per|any|same|whole|entire|grace|cooling|holding|"
    r"time|waiting|trial|rest|resting|probation\w*|compliance|correction|storage|thawing|"
    r"reheating|incubation|review|reporting|pay|busy|lunch|dinner|rush|short|long|"
    r"\w+-(?:hour|day|week|minute)|hours?|days?|weeks?|minutes?)\s+)$"
)
_PERIOD_AS_WORD_AFTER: Final = re.compile(r"^\s*(?:of|in|for|between|when|during|after|before)\b")
_WORD_BEFORE: Final = re.compile(r"([a-z][a-z.]*)$")
_WORD: Final = re.compile(r"[a-z]+(?:'[a-z]+)?|\d+(?:\.\d+)?")


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence (or clause ended by ';' or a line break) and where it sits in the notes."""

    start: int
    end: int
    text: str  # the original characters notes[start:end]
    lower: str  # the same-length lower-case view


def bound(notes: str) -> str:
    """The notes cut to MAX_NOTES_CHARS (at a line or sentence break when one is near)."""
    if len(notes) <= MAX_NOTES_CHARS:
        return notes
    cut = notes[:MAX_NOTES_CHARS]
    pivot = max(cut.rfind("\n"), cut.rfind(". "))
    return cut[: pivot + 1] if pivot > MAX_NOTES_CHARS - 2_000 else cut


# Spoken numbers in dictated notes ("walk-in at thirty eight", "a hundred and six", "one
# fifty two", "one oh eight"), written as digits in the view and padded with spaces to the
# same length. Only compounds and tens are read: a lone "one" or "two" stays a word ("no one
# washing hands"), a clock time stays words ("at seven forty"), and "walk-in one thirty
# six" is unit one at 36, not 136. The digits carry no unit: a bare number is a reading only
# where the sentence is about temperatures, as for written notes.
_UNITS: Final = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9,
}  # fmt: skip
_TEENS: Final = {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS: Final = {
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
_UNIT_W = "(?:" + "|".join(_UNITS) + ")"
_TEEN_W = "(?:" + "|".join(_TEENS) + ")"
_TENS_W = "(?:" + "|".join(_TENS) + ")"
_UNDER_100 = rf"(?:{_TENS_W}(?:[\s-]+{_UNIT_W})?|{_TEEN_W})"
_SPOKEN_NUMBER: Final = re.compile(
    # "a hundred and six", "two hundred", "one hundred sixty five"
    rf"\b(?P<h>a|one|two|three|four|five|six|seven|eight|nine)\s+hundred"
    rf"(?:\s+(?:and\s+)?(?P<hrest>{_UNDER_100}|{_UNIT_W}))?\b"
    # "one fifty two", "one oh eight"
    rf"|\b(?P<lead>one)\s+(?P<lrest>{_UNDER_100}|(?:oh|o)\s+{_UNIT_W})\b"
    # "thirty eight", "forty-one", "ninety"
    rf"|\b(?P<tens>{_TENS_W})(?:[\s-]+(?P<unit>{_UNIT_W}))?\b"
)
# The word before "one fifty two" that makes "one" a unit's number ("walk-in one thirty six"),
# and the word before "forty" that makes it a clock's minutes ("at seven forty").
_UNIT_NAME_BEFORE: Final = re.compile(
    r"(?:\b(?:in|cooler|unit|fridge|freezer|number|no|well|door|compartment|station|"
    r"oven|line|bay|rail|drawer|cabinet)|#)\s+$"
)
_CLOCK_BEFORE: Final = re.compile(
    rf"\b(?:at|around|about|by|since|until|till|from|before|after)\s+(?:{_UNIT_W}|{_TEEN_W})\s+$"
)
_CLOCK_WORD_BEFORE: Final = re.compile(
    r"\b(?:arrived|started|began|begun|came|left|ended|finished|got\s+(?:here|there)|since|"
    r"until|till)\s+(?:in\s+)?(?:at\s+|around\s+|about\s+)?$"
)
_CLOCK_AFTER: Final = re.compile(r"\s*(?:a\.?m\b|p\.?m\b|o'?clock)")
_UNIT_AFTER: Final = re.compile(
    r"\s*(?:degrees?|deg\b|°|ppm|parts\s+per|fahrenheit|celsius|f\b|c\b|percent|%)"
)


def _under_100(words: str) -> int:
    parts = re.split(r"[\s-]+", words.strip())
    if parts[0] in ("oh", "o"):
        return _UNITS[parts[-1]]
    if parts[0] in _TEENS:
        return _TEENS[parts[0]]
    if parts[0] in _TENS:
        return _TENS[parts[0]] + (_UNITS[parts[1]] if len(parts) > 1 else 0)
    return _UNITS[parts[0]]


def _spoken_value(match: re.Match[str]) -> int:
    if match.group("h"):
        hundreds = 1 if match.group("h") == "a" else _UNITS[match.group("h")]
        rest = match.group("hrest")
        return hundreds * 100 + (_under_100(rest) if rest else 0)
    if match.group("lead"):
        return _UNITS[match.group("lead")] * 100 + _under_100(match.group("lrest"))
    return _TENS[match.group("tens")] + (_UNITS[match.group("unit")] if match.group("unit") else 0)


def spoken_numbers(view: str) -> str:
    """The view with spoken numbers written as digits, padded to the same length."""
    if not _SPOKEN_NUMBER.search(view):
        return view

    def digits(match: re.Match[str]) -> str:
        before = view[max(0, match.start() - 20) : match.start()]
        if match.group("lead") and _UNIT_NAME_BEFORE.search(before):
            rest = match.start("lrest")
            return view[match.start() : rest] + spoken_numbers(view[rest : match.end()])
        if (match.group("tens") and _CLOCK_BEFORE.search(before)) or (
            match.group("lead") and _CLOCK_WORD_BEFORE.search(before)
        ):
            return match.group()  # "at seven forty", "arrived at one thirty": a clock time
        if _CLOCK_AFTER.match(view, match.end()):
            return match.group()
        # next to its unit when one follows ("200 ppm"), else next to the words before it
        # ("at 38"), as the measurement patterns expect
        value, width = str(_spoken_value(match)), len(match.group())
        if _UNIT_AFTER.match(view, match.end()):
            return value.rjust(width)
        return value.ljust(width)

    return _SPOKEN_NUMBER.sub(digits, view)


def lower_view(notes: str) -> str:
    """Lower case with unit and punctuation look-alikes folded and spoken numbers written
    as digits, same length as `notes`."""
    folded = notes.translate(_FOLD)
    lowered = folded.lower()
    if len(lowered) != len(folded):
        # A few characters grow when lower-cased (e.g. "İ"): keep those as they are.
        lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in folded)
    return spoken_numbers(lowered)


def _next_visible(notes: str, end: int) -> str:
    """The first character after `end` that is not a space or a quote ('' at the end)."""
    for char in notes[end : end + 4]:
        if not char.isspace() and char not in "\"')":
            return char
    return ""


def _mixed_case(notes: str, at: int) -> bool:
    """Whether the notes around `at` use both cases (a capital then starts a sentence),
    rather than all capitals or all lower case (where case says nothing)."""
    near = notes[max(0, at - 200) : at + 200]
    return any(c.isupper() for c in near) and any(c.islower() for c in near)


def _abbreviation_ends(notes: str, word_start: int, word: str, start: int, end: int) -> bool:
    """Whether the full stop at `start` after the abbreviation-like `word` ends the sentence.

    A title never ends one ("Mr. Lau"), nor a leading abbreviation ("approx. 40", "e.g.
    rice"). "no" and "in" are abbreviations only next to a number ("No. 3", "2 in.");
    otherwise they are words ("in the walk-in. No soap"). After a unit or a word that may be
    either ("30 min.", "temp."), a number continues the sentence, and so does a lower-case
    word in notes that use both cases; a capital starts a new sentence."""
    following = _next_visible(notes, end)
    if not following:
        return True
    if word in _TITLES or word in _LEADING:
        return False
    if word in ("no", "nos"):
        return not (following.isdigit() or following == "#")
    if word == "in" and not notes[max(0, word_start - 2) : word_start].strip()[-1:].isdigit():
        return True
    if following.isdigit() or following in "#(":
        return False
    return not (following.islower() and _mixed_case(notes, start))


def _is_initial(notes: str, start: int, end: int) -> bool:
    """A capital initial in a name ("J. was working", "Chef J. Ruiz") in notes that use both
    cases; not a unit ("45 F.") and not a one-letter word of all-caps notes."""
    if start < 1 or not notes[start - 1].isupper() or notes[start - 1] in "FC":
        return False
    before = notes[start - 2] if start >= 2 else " "
    return before in " (" and _next_visible(notes, end).isalpha() and _mixed_case(notes, start)


def _ends_sentence(notes: str, view: str, start: int, end: int) -> bool:
    mark = view[start:end]
    if mark[0] in "\n;!?":
        return True
    if mark == "period":
        return (
            _PERIOD_AS_WORD_BEFORE.search(view, max(0, start - 24), start) is None
            and _PERIOD_AS_WORD_AFTER.match(view, end) is None
        )
    # A full stop: not inside a number ("46.4"), not after an abbreviation ("approx.").
    before = view[start - 1] if start > 0 else " "
    after = view[end] if end < len(view) else " "
    if before.isdigit() and after.isdigit():
        return False
    if after.isspace() or after in "\"')(" or not after:
        word = _WORD_BEFORE.search(view, max(0, start - 12), start)
        if word and word.group(1) in _ABBREVIATIONS and len(mark) == 1:
            return _abbreviation_ends(notes, word.start(1), word.group(1), start, end)
        return len(mark) > 1 or not _is_initial(notes, start, end)
    # "MANAGER.MUST": a run-on full stop between two words still ends the sentence.
    if before.isalpha() and after.isalpha():
        word = _WORD_BEFORE.search(view, max(0, start - 12), start)
        if word is None:
            return False
        return len(word.group(1)) > 1 and word.group(1) not in _ABBREVIATIONS
    return False


def sentences(notes: str, view: str | None = None) -> list[Sentence]:
    """The notes' sentences in order, blank ones dropped; `view` is `lower_view(notes)`."""
    if view is None:
        view = lower_view(notes)
    found: list[Sentence] = []
    begin = 0

    def emit(stop: int) -> None:
        left, right = begin, stop
        # (the view pads spoken numbers with spaces: trim only what is blank in the notes too)
        while left < right and view[left] in " \n\r-*,:)" and not notes[left].isalnum():
            left += 1
        while right > left and view[right - 1] in " \n\r,:(" and not notes[right - 1].isalnum():
            right -= 1
        if right - left > 1 or (right > left and view[left].isalnum()):
            found.append(Sentence(left, right, notes[left:right], view[left:right]))

    for match in _BOUNDARY.finditer(view):
        if _ends_sentence(notes, view, match.start(), match.end()):
            emit(match.start() if match.group()[0] in "\np" else match.end())
            begin = match.end()
    emit(len(view))
    return found


def words(view: str) -> list[str]:
    """The words and numbers of a lower-case view, in order."""
    return _WORD.findall(view)


# Inspectors' shorthand, spelt out for the phrase rules (which quote the whole sentence, so
# offsets inside it need not be kept). Measurements read the original view.
_SHORTHAND: Final = {
    "hs": "hand sink",
    "hws": "hand washing sink",
    "bhc": "bare hand contact",
    "chx": "chicken",
    "chkn": "chicken",
    "chix": "chicken",
    "btl": "bottle",
    "btls": "bottles",
    "tp": "toilet paper",
    "thermo": "thermometer",
    "thermos": "thermometers",
    "sani": "sanitizer",
    "wic": "walk-in cooler",
    "ric": "reach-in cooler",
    "mgr": "manager",
    "emp": "employee",
    "empl": "employee",
    "emps": "employees",
    "stor": "storage",
    "mach": "machine",
    "rop": "reduced oxygen packaging",
    "bd": "board",
    "hnd": "hand",
    "obs": "observed",
    "insp": "inspection",
    "rte": "ready-to-eat",
    # synonyms and spellings, said one way for the rules
    "defrost": "thaw",
    "defrosts": "thaws",
    "defrosted": "thawed",
    "defrosting": "thawing",
    "sanitiser": "sanitizer",
    "sanitisers": "sanitizers",
    "sanitised": "sanitized",
    "sanitising": "sanitizing",
    "sanitise": "sanitize",
    "uncooked": "raw",
    # contractions typed without the apostrophe, so negation reads them
    "didnt": "did not",
    "doesnt": "does not",
    "dont": "do not",
    "wasnt": "was not",
    "werent": "were not",
    "isnt": "is not",
    "arent": "are not",
    "cant": "cannot",
    "couldnt": "could not",
    "wouldnt": "would not",
    "hasnt": "has not",
    "havent": "have not",
    "hadnt": "had not",
    "wont": "will not",
    # common misspellings of the words the rules look for
    "chiken": "chicken",
    "chicen": "chicken",
    "santizer": "sanitizer",
    "sanitzer": "sanitizer",
    "sanatizer": "sanitizer",
    "sanitizor": "sanitizer",
    "refridgerator": "refrigerator",
    "refrigerater": "refrigerator",
    "tempature": "temperature",
    "temperture": "temperature",
    "temprature": "temperature",
    "recieved": "received",
    "dropings": "droppings",
    "roachs": "roaches",
    "cockroachs": "cockroaches",
    "emplyee": "employee",
    "employe": "employee",
    "handsink": "hand sink",
    "sneezeguard": "sneeze guard",
    "walkin": "walk-in",
}
# Phrases whose words mislead the rules ("slicer broken down" is taken apart for cleaning;
# "made in house" is the establishment's own kitchen, not a home).
_IDIOMS: Final = re.compile(r"\bbroken\s+down\b|\bin[-\s]house\b")
_IDIOM_READING: Final = {
    "broken down": "disassembled",
    "in house": "on site",
    "in-house": "on site",
}
_SHORTHAND_WORD: Final = re.compile(
    r"\b(?:" + "|".join(sorted(_SHORTHAND, key=len, reverse=True)) + r")\b"
)
_SLASHES: Final = re.compile(r"\bw/o\b|\bw/(?=\s|\w)|(?<=[a-z])/(?=[a-z])")


def expand_abbreviations(view: str) -> str:
    """The lower-case view with shorthand spelt out ("hs blocked w/ cart" -> "hand sink
    blocked with cart", "vomit/diarrhea" -> "vomit and diarrhea")."""
    view = _SLASHES.sub(
        lambda m: (
            " without " if m.group() == "w/o" else (" with " if m.group() == "w/" else " and ")
        ),
        view,
    )
    view = _IDIOMS.sub(lambda m: _IDIOM_READING.get(re.sub(r"\s+", " ", m.group()), " "), view)
    return _SHORTHAND_WORD.sub(lambda m: _SHORTHAND[m.group()], view)
