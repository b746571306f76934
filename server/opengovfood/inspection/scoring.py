"""The computed inspection score: 0-100 and a grade, from the violations, by a named scheme.

The model never sets the score; it follows from the violations alone. Every scheme is a
100-point deduction: each violation deducts its designation's weight, and

- **corrected on site**: a Priority or Priority Foundation violation corrected during the
  inspection deducts `corrected_on_site_factor` of its weight: all of it in the default
  scheme (as on the FDA Form 3-A, where "COS" is recorded next to a violation that still
  stands), half in `partial-credit`. Core violations deduct the same either way.
- **repeat**: a violation also cited at the previous inspection deducts `repeat_factor`
  times its weight (1.5 in every preset). Both rules multiply: a corrected repeat Priority
  violation in `partial-credit` deducts 20 x 0.5 x 1.5 = 15 points.
- **the same section cited twice counts once**, with the most serious designation among
  the citations, `repeat` if any of them is, and corrected only if all of them are. Sections
  are compared as parsed (`3-501.16 (a)(2)` is `3-501.16(A)(2)`); a violation without a
  section always counts on its own.
- the total is rounded half up and the score clamped to 0-100 (a floor at 0). The
  `compliance_score` is `score / 100`.

The grade is the band the score falls in (bands best first), made worse by any cap the
violations trigger (e.g. an uncorrected Priority violation fails the pass-fail scheme).

Schemes (weights P / Pf / C; see docs/scoring.md for the reasoning):

- `standard` (default) 30 / 15 / 5, corrected on site deducts in full, repeat x1.5;
  Good >= 90, Satisfactory >= 75, Needs improvement >= 50, Unsatisfactory below.
- `partial-credit`: the first default. 20 / 10 / 4, corrected on site x0.5, repeat x1.5;
  Good >= 92, Satisfactory >= 85, Needs improvement >= 60, Unsatisfactory below.
- `letter-grade`: county letter grades. 8 / 5 / 2, corrected on site still deducts in full,
  repeat x1.5; A >= 90, B >= 80, C >= 70, U below.
- `pass-fail`: Chicago's style. Partial-credit weights; Pass >= 70, Pass w/ Conditions >= 50,
  Fail below; any uncorrected Priority violation is a Fail, any other Priority or Priority
  Foundation violation is at best Pass w/ Conditions.
- `risk-factor`: points come mainly from the foodborne-illness risk factors (Form 3-A items
  1-29). Partial-credit weights for items 1-29, a quarter of them for good retail practices
  (items 30-56); Low risk >= 90, Moderate risk >= 70, High risk below.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Protocol

from opengovfood.inspection.catalogue import LAST_RISK_FACTOR_ITEM, Designation, catalogue
from opengovfood.inspection.sections import parse_section

MAX_SCORE = 100


class CitedViolation(Protocol):
    """What scoring needs of a violation. `form_item` 0 means unknown (looked up by section)."""

    @property
    def section(self) -> str: ...
    @property
    def designation(self) -> Designation | str: ...
    @property
    def corrected_on_site(self) -> bool: ...
    @property
    def repeat(self) -> bool: ...
    @property
    def form_item(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Citation:
    """A plain CitedViolation, for callers without a record of their own."""

    section: str
    designation: Designation | str
    corrected_on_site: bool = False
    repeat: bool = False
    form_item: int = 0


@dataclass(frozen=True, slots=True)
class GradeBand:
    grade: str
    min_score: int


@dataclass(frozen=True, slots=True)
class GradeCap:
    """A violation of one of `designations` (uncorrected, if so limited) caps the grade."""

    grade: str
    designations: frozenset[Designation]
    uncorrected_only: bool = False


@dataclass(frozen=True, slots=True)
class ScoringScheme:
    name: str
    summary: str
    # Points each violation deducts, by designation.
    priority: float
    priority_foundation: float
    core: float
    bands: tuple[GradeBand, ...]
    corrected_on_site_factor: float = 0.5
    repeat_factor: float = 1.5
    # Multiplies the weight of good-retail-practice items (Form 3-A 30-56).
    good_retail_factor: float = 1.0
    caps: tuple[GradeCap, ...] = ()

    def __post_init__(self) -> None:
        problems = _scheme_problems(self)
        if problems:
            raise ValueError(f"scoring scheme {self.name!r}: {'; '.join(problems)}")

    def weight(self, designation: Designation) -> float:
        return {
            Designation.PRIORITY: self.priority,
            Designation.PRIORITY_FOUNDATION: self.priority_foundation,
            Designation.CORE: self.core,
        }[designation]

    @property
    def best_grade(self) -> str:
        return self.bands[0].grade

    def band_for(self, score: int) -> str:
        return next(band.grade for band in self.bands if score >= band.min_score)


def _scheme_problems(scheme: ScoringScheme) -> list[str]:
    problems = []
    if min(scheme.priority, scheme.priority_foundation, scheme.core) < 0:
        problems.append("weights must not be negative")
    minimums = [band.min_score for band in scheme.bands]
    if not minimums or minimums != sorted(minimums, reverse=True) or minimums[-1] != 0:
        problems.append("bands must run best first with strictly falling minimums, ending at 0")
    elif len(set(minimums)) != len(minimums) or minimums[0] > MAX_SCORE:
        problems.append("band minimums must be distinct and at most 100")
    grades = [band.grade for band in scheme.bands]
    if len(set(grades)) != len(grades):
        problems.append("grade names must be distinct")
    problems.extend(
        f"cap grade {cap.grade!r} is not one of the bands"
        for cap in scheme.caps
        if cap.grade not in grades
    )
    if not 0 <= scheme.corrected_on_site_factor <= 1:
        problems.append("corrected_on_site_factor must be within 0-1")
    if scheme.repeat_factor < 1:
        problems.append("repeat_factor must be at least 1")
    if not 0 <= scheme.good_retail_factor <= 1:
        problems.append("good_retail_factor must be within 0-1")
    return problems


@dataclass(frozen=True, slots=True)
class Deduction:
    """What one counted violation took off the score, for showing the arithmetic."""

    section: str
    designation: Designation
    points: float
    corrected_on_site: bool
    repeat: bool


@dataclass(frozen=True, slots=True)
class ScoreResult:
    score: int
    grade: str
    scheme: str
    deductions: tuple[Deduction, ...] = ()

    @property
    def compliance_score(self) -> float:
        return self.score / MAX_SCORE


_PRIORITY_AND_FOUNDATION = frozenset({Designation.PRIORITY, Designation.PRIORITY_FOUNDATION})

STANDARD = ScoringScheme(
    name="standard",
    summary=(
        "100-point deduction: P 30, Pf 15, C 5; corrected on site still deducts in full, "
        "repeat x1.5"
    ),
    priority=30,
    priority_foundation=15,
    core=5,
    corrected_on_site_factor=1.0,
    bands=(
        GradeBand("Good", 90),
        GradeBand("Satisfactory", 75),
        GradeBand("Needs improvement", 50),
        GradeBand("Unsatisfactory", 0),
    ),
)

# The first default (until December 2026), kept for departments that credit corrections.
PARTIAL_CREDIT = ScoringScheme(
    name="partial-credit",
    summary="100-point deduction: P 20, Pf 10, C 4; corrected on site x0.5, repeat x1.5",
    priority=20,
    priority_foundation=10,
    core=4,
    corrected_on_site_factor=0.5,
    bands=(
        GradeBand("Good", 92),
        GradeBand("Satisfactory", 85),
        GradeBand("Needs improvement", 60),
        GradeBand("Unsatisfactory", 0),
    ),
)

LETTER_GRADE = ScoringScheme(
    name="letter-grade",
    summary="County letter grades: P 8, Pf 5, C 2 whether corrected or not, repeat x1.5; A/B/C/U",
    priority=8,
    priority_foundation=5,
    core=2,
    corrected_on_site_factor=1.0,
    bands=(GradeBand("A", 90), GradeBand("B", 80), GradeBand("C", 70), GradeBand("U", 0)),
)

PASS_FAIL = ScoringScheme(
    name="pass-fail",
    summary=(
        "Pass / Pass w/ Conditions / Fail (Chicago style): an uncorrected Priority violation "
        "fails, any other P or Pf passes with conditions; partial-credit weights for the score"
    ),
    priority=PARTIAL_CREDIT.priority,
    priority_foundation=PARTIAL_CREDIT.priority_foundation,
    core=PARTIAL_CREDIT.core,
    corrected_on_site_factor=PARTIAL_CREDIT.corrected_on_site_factor,
    bands=(GradeBand("Pass", 70), GradeBand("Pass w/ Conditions", 50), GradeBand("Fail", 0)),
    caps=(
        GradeCap("Fail", frozenset({Designation.PRIORITY}), uncorrected_only=True),
        GradeCap("Pass w/ Conditions", _PRIORITY_AND_FOUNDATION),
    ),
)

RISK_FACTOR = ScoringScheme(
    name="risk-factor",
    summary=(
        "Risk factors first: partial-credit weights for Form 3-A items 1-29, a quarter of "
        "them for good retail practices (30-56); Low / Moderate / High risk"
    ),
    priority=PARTIAL_CREDIT.priority,
    priority_foundation=PARTIAL_CREDIT.priority_foundation,
    core=PARTIAL_CREDIT.core,
    corrected_on_site_factor=PARTIAL_CREDIT.corrected_on_site_factor,
    good_retail_factor=0.25,
    bands=(GradeBand("Low risk", 90), GradeBand("Moderate risk", 70), GradeBand("High risk", 0)),
)

SCHEMES: Mapping[str, ScoringScheme] = MappingProxyType(
    {
        scheme.name: scheme
        for scheme in (STANDARD, LETTER_GRADE, PASS_FAIL, RISK_FACTOR, PARTIAL_CREDIT)
    }
)
DEFAULT_SCHEME = STANDARD.name


class UnknownSchemeError(ValueError):
    pass


def get_scheme(name: str) -> ScoringScheme:
    """The scheme of that name (case and surrounding spaces ignored)."""
    scheme = SCHEMES.get(name.strip().lower())
    if scheme is None:
        raise UnknownSchemeError(
            f"unknown scoring scheme {name!r}; known schemes: {', '.join(SCHEMES)}"
        )
    return scheme


def score_violations(
    violations: Iterable[CitedViolation], scheme: ScoringScheme | str = DEFAULT_SCHEME
) -> ScoreResult:
    if isinstance(scheme, str):
        scheme = get_scheme(scheme)
    counted = _count_once_per_section(violations)
    deductions = tuple(_deduction(violation, scheme) for violation in counted)
    total = sum(deduction.points for deduction in deductions)
    score = max(0, min(MAX_SCORE, math.floor(MAX_SCORE - total + 0.5)))
    return ScoreResult(score, _grade(score, counted, scheme), scheme.name, deductions)


@dataclass(frozen=True, slots=True)
class _Counted:
    section: str
    designation: Designation
    corrected_on_site: bool
    repeat: bool
    form_item: int


def _count_once_per_section(violations: Iterable[CitedViolation]) -> list[_Counted]:
    counted: list[_Counted] = []
    by_section: dict[str, int] = {}
    for violation in violations:
        ref = parse_section(violation.section)
        section = ref.canonical if ref is not None else violation.section.strip()
        current = _Counted(
            section=section,
            designation=Designation(violation.designation),
            corrected_on_site=violation.corrected_on_site,
            repeat=violation.repeat,
            form_item=violation.form_item,
        )
        index = by_section.get(section) if section else None
        if index is None:
            if section:
                by_section[section] = len(counted)
            counted.append(current)
            continue
        earlier = counted[index]
        worse = min(earlier, current, key=lambda v: v.designation.rank)
        counted[index] = _Counted(
            section=section,
            designation=worse.designation,
            corrected_on_site=earlier.corrected_on_site and current.corrected_on_site,
            repeat=earlier.repeat or current.repeat,
            form_item=worse.form_item or earlier.form_item or current.form_item,
        )
    return counted


def _deduction(violation: _Counted, scheme: ScoringScheme) -> Deduction:
    points = scheme.weight(violation.designation)
    if violation.corrected_on_site and violation.designation in _PRIORITY_AND_FOUNDATION:
        points *= scheme.corrected_on_site_factor
    if violation.repeat:
        points *= scheme.repeat_factor
    if scheme.good_retail_factor != 1 and _is_good_retail_practice(violation):
        points *= scheme.good_retail_factor
    return Deduction(
        violation.section,
        violation.designation,
        points,
        violation.corrected_on_site,
        violation.repeat,
    )


def _is_good_retail_practice(violation: _Counted) -> bool:
    """Known to be Form 3-A item 30-56; a violation of unknown item counts as a risk factor."""
    item = violation.form_item
    if not item:
        entry = catalogue().resolve(violation.section) if violation.section else None
        item = entry.form_item if entry is not None else 0
    return item > LAST_RISK_FACTOR_ITEM


def _grade(score: int, counted: list[_Counted], scheme: ScoringScheme) -> str:
    order = [band.grade for band in scheme.bands]
    grade = scheme.band_for(score)
    for cap in scheme.caps:
        triggered = any(
            v.designation in cap.designations and not (cap.uncorrected_only and v.corrected_on_site)
            for v in counted
        )
        if triggered and order.index(cap.grade) > order.index(grade):
            grade = cap.grade
    return grade
