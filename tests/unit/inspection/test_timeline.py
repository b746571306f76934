"""Dates and clock times: date-marking age and the 4-hour cleaning frequency."""

from __future__ import annotations

from datetime import date

from opengovfood.inspection.engine import build_engine
from opengovfood.inspection.timeline import check_times, inspection_day

RULES_ONLY = build_engine(with_classifier=False)


def _sections(notes: str) -> list[str]:
    return [f.food_code_section for f in RULES_ONLY.analyse(notes)]


def test_inspection_day_from_today_or_the_opening_date() -> None:
    assert inspection_day("routine 3/5/2020. chili made 2/20.") == date(2020, 3, 5)
    assert inspection_day("salad made 11/18, today 11/19.", 2026) == date(2026, 11, 19)
    assert inspection_day("salad dated 11/02 in the walk-in.") is None


def test_food_older_than_seven_days_is_past_its_discard_date() -> None:
    assert _sections("Inspection 11/12. Potato salad in the walk-in dated 11/02.") == ["3-501.18"]
    assert _sections("Inspection 11/12. Potato salad in the walk-in dated 11/08.") == []


def test_the_year_turns() -> None:
    found = check_times("ham dated 12/28 in the reach-in", date(2027, 1, 6))
    assert [v.section for v in found] == ["3-501.18"]


def test_cleaning_more_than_four_hours_ago() -> None:
    notes = "Slicer in continuous use; last cleaned and sanitized at 7:00 a.m., now 2:40 p.m."
    assert _sections(notes) == ["4-602.11(C)"]
    assert _sections("Slicer in use; last cleaned at 11:00 a.m., now 2:40 p.m.") == []
