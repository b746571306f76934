"""The rules of the export, the report and the import, without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime

from opengovfood.domain.analyses import Violation, ViolationSource
from opengovfood.domain.exports import ExportedBusiness, ExportedInspection, ReportSource
from opengovfood.inspection.chicago_import import read_chicago, sample
from opengovfood.services.exports import lives_score
from opengovfood.services.imports import plan
from opengovfood.services.reports import report_of

WHEN = datetime(2020, 3, 6, 12, tzinfo=UTC)
PLACE = ExportedBusiness(7, "SUBWAY", "2008 N HALSTED ST", "Chicago", "IL", "60614", "L1")


def _inspection(result: str, score: int) -> ExportedInspection:
    return ExportedInspection(1, 7, WHEN, WHEN, "routine_inspection", result, score)


def test_lives_scores_are_empty_without_an_outcome() -> None:
    assert lives_score(_inspection("pass", 95)) == 95
    assert lives_score(_inspection("fail", 0)) == 0  # a real zero
    assert lives_score(_inspection("no_entry", 0)) is None
    assert lives_score(_inspection("unspecified", 0)) is None
    assert lives_score(_inspection("unspecified", 80)) == 80
    assert _inspection("pass", 1).day == date(2020, 3, 6)


def _source(**changes: object) -> ReportSource:
    values: dict[str, object] = {
        "item_id": 5,
        "title": "Canvass: SUBWAY",
        "description": "",
        "kind": "follow_up",
        "result": "pass_with_conditions",
        "score": 70,
        "inspect_time": WHEN,
        "create_time": WHEN,
        "inspector_name": "Ana",
        "inspector_email": "ana@example.org",
        "establishment": PLACE,
        "facility_type": "Restaurant",
        "risk_category": 3,
        "analysis_id": 9,
        "summary": "Two violations.",
        "violations": (
            Violation(
                code="5-205.11",
                description="Hand sink",
                severity="Pf",
                food_code_section="5-205.11(A)",
                form_item=10,
                evidence="no soap",
                source=ViolationSource.INSPECTOR,
                corrected_on_site=True,
            ),
            Violation(code="critical-1", description="Legacy", severity="critical"),
        ),
        "analysis_score": 85,
        "grade": "Satisfactory",
        "scoring_scheme": "standard",
    }
    values.update(changes)
    return ReportSource(**values)  # type: ignore[arg-type]


def test_report_content_from_the_latest_analysis() -> None:
    report = report_of(_source(), WHEN)
    assert report.address_lines == ("2008 N HALSTED ST", "Chicago, IL 60614")
    assert report.inspection_type == "Follow-up inspection"
    assert report.result == "Pass with conditions"
    assert report.inspector == "Ana (ana@example.org)"
    assert (report.score, report.grade) == (85, "Satisfactory")  # the analysis' score
    assert report.risk_category == "Category 3 (Food Code Annex 5)"
    hand_sink, legacy = report.violations
    assert (hand_sink.food_code_section, hand_sink.form_item, hand_sink.designation) == (
        "5-205.11(A)",
        10,
        "Pf",
    )
    assert hand_sink.corrected_on_site
    assert hand_sink.corrective_action  # from the Food Code catalogue
    assert (legacy.food_code_section, legacy.designation) == ("critical-1", "")


def test_report_without_analysis_or_establishment() -> None:
    report = report_of(
        _source(
            establishment=None,
            analysis_id=None,
            analysis_score=None,
            violations=(),
            result="unspecified",
            score=0,
        ),
        WHEN,
    )
    assert report.establishment_name == "(no establishment)"
    assert report.score is None
    assert report.result == "Not recorded"
    assert report.violations == ()


def test_import_plan_of_the_sample() -> None:
    with sample() as lines:
        rows = [row for row in read_chicago(lines) if not hasattr(row, "message")]
    planned = [plan(row) for row in rows]  # type: ignore[arg-type]
    statuses = {inspection.status for _, inspection in planned}
    assert statuses == {"completed", "cancelled"}
    for _, inspection in planned:
        assert (inspection.status == "cancelled") == (inspection.result == "unspecified")
        if inspection.analysis is not None:
            assert inspection.analysis.provider == "import"
            assert {v.source for v in inspection.analysis.violations} == {ViolationSource.INSPECTOR}
            assert inspection.analysis.score == inspection.score
    places = {place.key for place, _ in planned}
    assert len(places) == 313
