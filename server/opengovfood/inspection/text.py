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

# Words after which a full stop does not end the sentence.
_ABBREVIATIONS: Final = frozenset(
    {
        "approx", "appx", "aprox", "apprx", "e.g", "i.e", "eg", "ie", "vs", "no", "nos",
        "temp", "temps", "deg", "min", "mins", "hr", "hrs", "sec", "secs", "dr", "mr", "mrs",
        "ms", "st", "ave", "inc", "co", "est", "pt", "pts", "lb",
        "lbs", "oz", "qt", "gal", "ft", "in", "rm", "fig", "ref", "sect", "para",
    }
)  # fmt: skip

# Candidate boundaries: sentence punctuation, line breaks, list dashes at a line start.
_BOUNDARY: Final = re.compile(r"[.!?;]+|\n\s*(?:[-*]\s+|\d{1,2}[.)]\s+)?")
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


def lower_view(notes: str) -> str:
    """Lower case with unit and punctuation look-alikes folded, same length as `notes`."""
    folded = notes.translate(_FOLD)
    lowered = folded.lower()
    if len(lowered) == len(folded):
        return lowered
    # A few characters grow when lower-cased (e.g. "İ"): keep those as they are.
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in folded)


def _ends_sentence(view: str, start: int, end: int) -> bool:
    mark = view[start:end]
    if mark[0] in "\n;!?":
        return True
    # A full stop: not inside a number ("46.4"), not after an abbreviation ("approx.").
    before = view[start - 1] if start > 0 else " "
    after = view[end] if end < len(view) else " "
    if before.isdigit() and after.isdigit():
        return False
    if after.isspace() or after in "\"')(" or not after:
        word = _WORD_BEFORE.search(view, max(0, start - 12), start)
        return not (word and word.group(1) in _ABBREVIATIONS and len(mark) == 1)
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
        while left < right and view[left] in " \n\r-*,:)":
            left += 1
        while right > left and view[right - 1] in " \n\r,:(":
            right -= 1
        if right - left > 1 or (right > left and view[left].isalnum()):
            found.append(Sentence(left, right, notes[left:right], view[left:right]))

    for match in _BOUNDARY.finditer(view):
        if _ends_sentence(view, match.start(), match.end()):
            emit(match.start() if match.group()[0] == "\n" else match.end())
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
