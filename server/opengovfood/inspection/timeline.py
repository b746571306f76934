"""Clock times and dates in notes, for the limits that are about time.

- Date marking: ready-to-eat TCS food may be kept 7 days (3-501.18). A label date ("made
  11/02", "prep date 3/1") older than 7 days before the day of the inspection ("today
  11/12", or the date the notes open with) is a violation.
- Cleaning frequency: food-contact surfaces in constant use are cleaned at least every
  4 hours (4-602.11(C)): "last cleaned at 7:00 a.m., now 2:40 p.m." is 7 h 40 min.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Final

__all__ = ["TimeViolation", "check_times", "inspection_day"]

_DATE: Final = re.compile(
    r"(?<![\d/])(1[0-2]|0?[1-9])/([12]\d|3[01]|0?[1-9])(?:/(\d{2}|\d{4}))?(?![\d/])"
)
_CLOCK: Final = re.compile(
    r"(?<![\d:])([01]?\d|2[0-3])(?::([0-5]\d))?\s*(a\.?\s?m\.?|p\.?\s?m\.?)?(?![\d:])"
)
_TODAY: Final = re.compile(
    r"\b(?:today|inspection\s+date|date\s+of\s+(?:the\s+)?inspection|inspected(?:\s+on)?|"
    r"current\s+date|visit(?:ed)?\s+on)\b\D{0,12}$"
)
_LABEL: Final = re.compile(
    r"\b(?:dated|made|prepared|prepped|prep(?:aration)?\s+date|opened|cooked|label(?:l?ed)?|"
    r"date\s+mark(?:ed)?|marked)\b\D{0,12}$"
)
_CLEANED: Final = re.compile(r"\b(?:last\s+)?(?:cleaned|sanitized|washed|wiped)\b")
_NOW: Final = re.compile(
    r"\b(?:now|currently|current\s+time|time\s+of\s+inspection|at\s+inspection)\b"
)
_CONTINUOUS_USE: Final = re.compile(
    r"\b(?:slicers?|cutting\s+boards?|prep\s+(?:tables?|surfaces?)|can\s+openers?|utensils?|"
    r"food[-\s]contact|mixers?|grinders?|knives|tongs|scoops?|in\s+(?:continuous\s+)?use)\b"
)
_TCS_WORDS: Final = re.compile(
    r"\b(?:salads?|deli|ham|turkey|chicken|beef|pork|rice|soups?|sauces?|dressing|cheese|"
    r"milk|cream|hummus|salsa|meat|cooked|sliced|cut|tcs|rte|ready[-\s]to[-\s]eat|food|"
    r"container|pan|tub|batch|leftovers?|chili|stew|beans|pasta|noodles|potato\w*|coleslaw|slaw|"
    r"guacamole|tuna|eggs?|gravy|curry|lasagna|casserole|pudding|custard|yogurt|tofu|sprouts|"
    r"melons?|tomato\w*|lettuce|greens|soup|quiche|pie)\b"
)


@dataclass(frozen=True, slots=True)
class TimeViolation:
    section: str
    form_item: int
    description: str


def _as_date(match: re.Match[str], year: int) -> date | None:
    month, day = int(match.group(1)), int(match.group(2))
    if match.group(3):
        given = int(match.group(3))
        year = given + 2000 if given < 100 else given
    try:
        return date(year, month, day)
    except ValueError:
        return None


def inspection_day(notes_view: str, year: int = 2000) -> date | None:
    """The inspection's date: one the notes call today, else the first date they open with
    (within their first 80 characters)."""
    for match in _DATE.finditer(notes_view):
        if _TODAY.search(notes_view, max(0, match.start() - 30), match.start()):
            return _as_date(match, year)
    first = _DATE.search(notes_view, 0, 80)
    if first is not None and not _LABEL.search(
        notes_view, max(0, first.start() - 30), first.start()
    ):
        return _as_date(first, year)
    return None


def _minutes(match: re.Match[str]) -> int | None:
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    marker = (match.group(3) or "").replace(".", "").replace(" ", "")
    if not marker and match.group(2) is None:
        return None  # a bare number is not a clock time
    if marker == "pm" and hour < 12:
        hour += 12
    if marker == "am" and hour == 12:
        hour = 0
    return hour * 60 + minute


def check_times(view: str, today: date | None, hint: str = "") -> list[TimeViolation]:
    """Date-marking and cleaning-frequency violations of one sentence view (`hint`: the
    sentence before, which may name the surface)."""
    found: list[TimeViolation] = []
    if today is not None and _TCS_WORDS.search(view):
        for match in _DATE.finditer(view):
            if not _LABEL.search(view, max(0, match.start() - 30), match.start()):
                continue
            made = _as_date(match, today.year)
            if made is None:
                continue
            if made > today:  # "12/28" seen on 1/3: last year
                made = made.replace(year=made.year - 1)
            age = (today - made).days
            if 7 < age < 120:
                found.append(
                    TimeViolation(
                        "3-501.18",
                        23,
                        f"Ready-to-eat TCS food dated {match.group()} kept {age} days, past 7",
                    )
                )
                break
    cleaned = _CLEANED.search(view)
    in_use = _CONTINUOUS_USE.search(view) or _CONTINUOUS_USE.search(hint)
    if cleaned is not None and _NOW.search(view) and in_use:
        times = [m for m in (_minutes(c) for c in _CLOCK.finditer(view, cleaned.start())) if m]
        if len(times) >= 2:
            elapsed = (times[-1] - times[0]) % (24 * 60)
            if elapsed > 4 * 60:
                found.append(
                    TimeViolation(
                        "4-602.11(C)",
                        16,
                        f"Food-contact surface in use not cleaned for {elapsed // 60} h "
                        f"{elapsed % 60} min (every 4 hours)",
                    )
                )
    return found
