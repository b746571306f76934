"""The computed score: weights, the corrected-on-site and repeat rules, duplicates, clamping,
and each scheme's bands and caps."""

from __future__ import annotations

from pathlib import Path

import pytest

from opengovfood.inspection.catalogue import Designation
from opengovfood.inspection.scoring import (
    DEFAULT_SCHEME,
    LETTER_GRADE,
    PARTIAL_CREDIT,
    PASS_FAIL,
    RISK_FACTOR,
    SCHEMES,
    STANDARD,
    Citation,
    GradeBand,
    GradeCap,
    ScoringScheme,
    UnknownSchemeError,
    get_scheme,
    score_violations,
)

COLD_HOLDING = "3-501.16(A)(2)"  # P, item 22
HANDWASHING = "2-301.14"  # P, item 8
HANDSINK_BLOCKED = "5-205.11(A)"  # Pf, item 10
PESTS = "6-501.111(C)"  # Pf, item 38
DIRTY_FLOORS = "6-501.12"  # C, item 55
DIRTY_SHELVES = "4-601.11(C)"  # C, item 49
HAIR = "2-402.11"  # C, item 40
SEPARATION = "3-302.11(A)(1)"  # P, item 15


def p(section: str, **flags: bool) -> Citation:
    return Citation(section, Designation.PRIORITY, **flags)


def pf(section: str, **flags: bool) -> Citation:
    return Citation(section, Designation.PRIORITY_FOUNDATION, **flags)


def c(section: str, **flags: bool) -> Citation:
    return Citation(section, Designation.CORE, **flags)


@pytest.mark.parametrize("name", list(SCHEMES))
def test_no_violations_is_100_and_the_best_grade(name: str) -> None:
    result = score_violations([], name)
    assert (result.score, result.grade, result.scheme) == (100, SCHEMES[name].bands[0].grade, name)
    assert result.compliance_score == 1.0
    assert result.deductions == ()


def test_default_scheme_is_standard() -> None:
    assert DEFAULT_SCHEME == "standard"
    assert score_violations([p(COLD_HOLDING)]).scheme == "standard"


@pytest.mark.parametrize(
    ("violation", "score"),
    [(p(COLD_HOLDING), 70), (pf(PESTS), 85), (c(DIRTY_FLOORS), 95)],
)
def test_standard_weights(violation: Citation, score: int) -> None:
    result = score_violations([violation], STANDARD)
    assert result.score == score
    assert result.compliance_score == score / 100
    assert isinstance(result.score, int)


def test_designation_may_be_given_as_its_marker() -> None:
    assert score_violations([Citation(PESTS, "Pf")]).score == 85


def test_standard_counts_a_violation_corrected_on_site_in_full() -> None:
    # As on Form 3-A: COS is recorded, the violation stands.
    for violation in (p(COLD_HOLDING), pf(PESTS), c(DIRTY_FLOORS)):
        corrected = Citation(violation.section, violation.designation, corrected_on_site=True)
        assert score_violations([corrected]).score == score_violations([violation]).score
    [deduction] = score_violations([p(COLD_HOLDING, corrected_on_site=True)]).deductions
    assert (deduction.points, deduction.corrected_on_site) == (30, True)


def test_partial_credit_halves_corrected_priority_and_foundation_only() -> None:
    def score(violation: Citation) -> int:
        return score_violations([violation], PARTIAL_CREDIT).score

    assert score(p(COLD_HOLDING)) == 80
    assert score(p(COLD_HOLDING, corrected_on_site=True)) == 90
    assert score(pf(PESTS, corrected_on_site=True)) == 95
    assert score(c(DIRTY_FLOORS, corrected_on_site=True)) == 96


def test_repeat_deducts_half_again() -> None:
    assert score_violations([p(COLD_HOLDING, repeat=True)]).score == 55
    assert score_violations([c(DIRTY_FLOORS, repeat=True)]).score == 93  # 92.5 rounds up
    both = score_violations([p(COLD_HOLDING, repeat=True, corrected_on_site=True)])
    assert both.score == 55
    partial = score_violations(
        [p(COLD_HOLDING, repeat=True, corrected_on_site=True)], PARTIAL_CREDIT
    )
    assert partial.score == 85
    [deduction] = partial.deductions
    assert (deduction.points, deduction.repeat, deduction.corrected_on_site) == (15, True, True)


def test_letter_grade_deducts_in_full_when_corrected() -> None:
    corrected = score_violations([p(COLD_HOLDING, corrected_on_site=True)], LETTER_GRADE)
    assert corrected.score == 92


def test_same_section_counts_once_with_the_worst_flags() -> None:
    once = score_violations([p(COLD_HOLDING)]).score
    assert score_violations([p(COLD_HOLDING), p(COLD_HOLDING)]).score == once
    spelled_twice = [p("3-501.16(A)(2)"), p("3-501.16 (a)(2)"), p("§3-501.16(A)(2)")]
    assert score_violations(spelled_twice).score == once
    merged = score_violations(
        [p(COLD_HOLDING, corrected_on_site=True), p(COLD_HOLDING, repeat=True)]
    )
    [deduction] = merged.deductions
    # Corrected only if every citation was; repeat if any was.
    assert (deduction.corrected_on_site, deduction.repeat, merged.score) == (False, True, 55)
    mixed = score_violations([c(COLD_HOLDING), p(COLD_HOLDING)])
    assert mixed.score == 70


def test_different_paragraphs_and_unsectioned_violations_count_separately() -> None:
    hot_and_cold = [p("3-501.16(A)(1)"), p("3-501.16(A)(2)")]
    assert score_violations(hot_and_cold).score == 40
    assert score_violations([c(""), c("")]).score == 90


def test_score_is_clamped_at_zero() -> None:
    sections = [f"{chapter}-501.{n}" for chapter in (3, 4, 6) for n in range(11, 17)]
    result = score_violations([p(section) for section in sections])
    assert result.score == 0
    assert result.grade == "Unsatisfactory"
    assert sum(d.points for d in result.deductions) == 30 * len(sections)


def test_rounding_is_half_up() -> None:
    scheme = ScoringScheme(
        name="test-rounding",
        summary="odd weights",
        priority=1.5,
        priority_foundation=1.25,
        core=0.5,
        bands=(GradeBand("ok", 0),),
    )
    assert score_violations([c(DIRTY_FLOORS)], scheme).score == 100  # 99.5 -> 100
    assert score_violations([pf(PESTS)], scheme).score == 99  # 98.75 -> 99
    assert score_violations([p(COLD_HOLDING), c(HAIR)], scheme).score == 98


def test_a_couple_of_priority_and_a_few_core_land_far_below_clean() -> None:
    clean = score_violations([])
    dirty = score_violations(
        [p(COLD_HOLDING), p(HANDWASHING), c(DIRTY_FLOORS), c(DIRTY_SHELVES), c(HAIR)]
    )
    assert dirty.score == 25
    assert clean.compliance_score - dirty.compliance_score >= 0.40
    assert dirty.grade == "Unsatisfactory"


@pytest.mark.parametrize(
    ("violations", "score", "grade"),
    [
        ([c(DIRTY_FLOORS), c(HAIR)], 90, "Good"),
        ([pf(PESTS, corrected_on_site=True), c(HAIR)], 80, "Satisfactory"),
        ([pf(PESTS), c(DIRTY_FLOORS), c(HAIR)], 75, "Satisfactory"),
        ([p(COLD_HOLDING, corrected_on_site=True)], 70, "Needs improvement"),
        ([p(COLD_HOLDING), pf(PESTS), c(HAIR)], 50, "Needs improvement"),
        ([p(COLD_HOLDING), p(SEPARATION)], 40, "Unsatisfactory"),
    ],
)
def test_standard_grades_from_violations(
    violations: list[Citation], score: int, grade: str
) -> None:
    result = score_violations(violations)
    assert (result.score, result.grade) == (score, grade)


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        (100, "Good"),
        (90, "Good"),
        (89, "Satisfactory"),
        (75, "Satisfactory"),
        (74, "Needs improvement"),
        (50, "Needs improvement"),
        (49, "Unsatisfactory"),
        (0, "Unsatisfactory"),
    ],
)
def test_standard_bands(score: int, grade: str) -> None:
    assert STANDARD.band_for(score) == grade


@pytest.mark.parametrize(
    ("score", "grade"),
    [(92, "Good"), (91, "Satisfactory"), (85, "Satisfactory"), (60, "Needs improvement"),
     (59, "Unsatisfactory")],
)  # fmt: skip
def test_partial_credit_bands(score: int, grade: str) -> None:
    assert PARTIAL_CREDIT.band_for(score) == grade


@pytest.mark.parametrize(
    ("score", "grade"),
    [(100, "A"), (90, "A"), (89, "B"), (80, "B"), (79, "C"), (70, "C"), (69, "U"), (0, "U")],
)
def test_letter_grade_bands(score: int, grade: str) -> None:
    assert LETTER_GRADE.band_for(score) == grade


def test_letter_grade_from_violations() -> None:
    assert score_violations([p(COLD_HOLDING), c(HAIR)], "letter-grade").grade == "A"  # 90
    two_priority = [p(COLD_HOLDING), p(HANDWASHING), c(HAIR)]
    assert score_violations(two_priority, "letter-grade").grade == "B"  # 82


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        (100, "Pass"),
        (70, "Pass"),
        (69, "Pass w/ Conditions"),
        (50, "Pass w/ Conditions"),
        (49, "Fail"),
        (0, "Fail"),
    ],
)
def test_pass_fail_bands(score: int, grade: str) -> None:
    assert PASS_FAIL.band_for(score) == grade


def test_pass_fail_caps() -> None:
    def grade(*violations: Citation) -> str:
        return score_violations(list(violations), PASS_FAIL).grade

    assert grade(c(DIRTY_FLOORS), c(HAIR)) == "Pass"
    assert grade(p(COLD_HOLDING)) == "Fail"  # score 80, but uncorrected Priority
    assert grade(p(COLD_HOLDING, corrected_on_site=True)) == "Pass w/ Conditions"
    assert grade(pf(PESTS)) == "Pass w/ Conditions"
    assert grade(pf(PESTS, corrected_on_site=True)) == "Pass w/ Conditions"
    many_core = [c(f"6-501.{n}") for n in range(11, 20)]  # 9 x 4 = 36 -> 64
    assert grade(*many_core) == "Pass w/ Conditions"
    result = score_violations([p(COLD_HOLDING)], PASS_FAIL)
    assert result.score == 80


def test_risk_factor_scheme_weighs_good_retail_practices_a_quarter() -> None:
    def score(*violations: Citation) -> int:
        return score_violations(list(violations), RISK_FACTOR).score

    assert score(p(COLD_HOLDING)) == 80  # item 22
    assert score(c(DIRTY_FLOORS)) == 99  # item 55
    assert score(pf(PESTS)) == 98  # item 38: 2.5, rounded half up from 97.5
    assert score(c(HAIR), c(DIRTY_SHELVES), c(DIRTY_FLOORS), c("6-501.11")) == 96
    # A violation's own form_item wins; an unknown section counts as a risk factor.
    assert score(Citation("3-302.11", Designation.CORE, form_item=39)) == 99
    assert score(Citation("9-999.99", Designation.CORE)) == 96


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        (100, "Low risk"),
        (90, "Low risk"),
        (89, "Moderate risk"),
        (70, "Moderate risk"),
        (69, "High risk"),
    ],
)
def test_risk_factor_bands(score: int, grade: str) -> None:
    assert RISK_FACTOR.band_for(score) == grade


@pytest.mark.parametrize("name", ["standard", "Standard", " LETTER-GRADE ", "pass-fail"])
def test_get_scheme_by_name(name: str) -> None:
    assert get_scheme(name).name == name.strip().lower()


def test_unknown_scheme_lists_the_known_names() -> None:
    with pytest.raises(UnknownSchemeError) as raised:
        get_scheme("nyc-points")
    message = str(raised.value)
    assert "unknown scoring scheme 'nyc-points'" in message
    assert "standard, letter-grade, pass-fail, risk-factor, partial-credit" in message
    with pytest.raises(UnknownSchemeError):
        score_violations([], "nyc-points")


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"bands": (GradeBand("A", 80), GradeBand("B", 90), GradeBand("C", 0))}, "best first"),
        ({"bands": (GradeBand("A", 90), GradeBand("B", 10))}, "ending at 0"),
        ({"bands": (GradeBand("A", 90), GradeBand("A", 0))}, "grade names must be distinct"),
        ({"caps": (GradeCap("Closed", frozenset({Designation.PRIORITY})),)}, "'Closed'"),
        ({"priority": -1}, "weights must not be negative"),
        ({"corrected_on_site_factor": 1.5}, "corrected_on_site_factor"),
        ({"repeat_factor": 0.5}, "repeat_factor"),
        ({"good_retail_factor": 2.0}, "good_retail_factor"),
    ],
)
def test_malformed_schemes_are_refused(changes: dict[str, object], problem: str) -> None:
    fields: dict[str, object] = {
        "name": "broken",
        "summary": "broken",
        "priority": 20,
        "priority_foundation": 10,
        "core": 4,
        "bands": (GradeBand("A", 90), GradeBand("B", 0)),
    }
    fields.update(changes)
    with pytest.raises(ValueError, match=problem):
        ScoringScheme(**fields)  # type: ignore[arg-type]


def test_schemes_are_frozen_and_hashable() -> None:
    assert len({STANDARD, LETTER_GRADE, PASS_FAIL, RISK_FACTOR, PARTIAL_CREDIT}) == 5
    with pytest.raises(AttributeError):
        STANDARD.priority = 1  # type: ignore[misc]


DOC = Path(__file__).resolve().parents[3] / "docs" / "scoring.md"

DOC_EXAMPLES = {
    "clean report": [],
    "2 Core (dirty floor, no hair restraints)": [c(DIRTY_FLOORS), c(HAIR)],
    "1 Priority corrected on site (cold-holding unit, food moved) + 1 Core": [
        p(COLD_HOLDING, corrected_on_site=True),
        c(HAIR),
    ],
    "1 Priority not corrected (cold holding at 47 °F)": [p(COLD_HOLDING)],
    "1 Priority Foundation (no soap) + 2 Core": [pf("6-301.11"), c(DIRTY_FLOORS), c(HAIR)],
    "2 Priority + 3 Core": [
        p(COLD_HOLDING),
        p(HANDWASHING),
        c(DIRTY_FLOORS),
        c(DIRTY_SHELVES),
        c(HAIR),
    ],
    "1 repeat Priority + 2 Priority Foundation + 2 Core": [
        p(SEPARATION, repeat=True),
        pf(PESTS),
        pf(HANDSINK_BLOCKED),
        c(DIRTY_FLOORS),
        c(DIRTY_SHELVES),
    ],
    "8 Core only": [
        c(DIRTY_FLOORS),
        c(DIRTY_SHELVES),
        c(HAIR),
        c("6-501.11"),
        c("5-205.15(B)"),
        c("6-501.16"),
        c("4-903.11"),
        c("3-305.11"),
    ],
}


@pytest.mark.parametrize("label", list(DOC_EXAMPLES))
def test_the_documented_examples_are_what_the_code_computes(label: str) -> None:
    cells = []
    for name in SCHEMES:
        result = score_violations(DOC_EXAMPLES[label], name)
        cells.append(f"{result.score} {result.grade}")
    assert f"| {label} | {' | '.join(cells)} |" in DOC.read_text(encoding="utf-8")
