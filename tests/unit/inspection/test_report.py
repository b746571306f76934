"""The inspection report PDF, read back with pypdf."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

from pypdf import PdfReader

from opengovfood.inspection.report import (
    InspectionReport,
    ReportViolation,
    latin1,
    render_report,
    report_file_name,
)

COLD_HOLDING = ReportViolation(
    food_code_section="3-501.16(A)(2)",
    form_item=22,
    designation="P",
    description="Proper cold holding temperatures",
    evidence="Potato salad in the prep cooler at 47F",
    corrective_action="Discard or cool the food to 41 °F or below.",
    corrected_on_site=True,
)
HAND_SINK = ReportViolation(
    food_code_section="5-205.11(A)",
    form_item=10,
    designation="Pf",
    description="Adequate handwashing sinks properly supplied and accessible",
    evidence="Hand sink blocked by a bucket.",
    corrective_action="Keep the hand sink accessible.",
    corrected_on_site=False,
)


def _report(violations: tuple[ReportViolation, ...]) -> InspectionReport:
    return InspectionReport(
        item_id=42,
        title="Routine inspection — Café Sushi",
        establishment_name="CAFE SUSHI-WELLS",
        address_lines=("1342 N WELLS ST", "Chicago, IL 60610"),
        inspect_date=date(2020, 3, 6),
        inspection_type="Routine inspection",
        inspector="Ana Inspector",
        result="Pass with conditions",
        score=75,
        grade="Needs improvement",
        license_number="2517730",
        facility_type="Restaurant",
        risk_category="Category 3",
        scoring_scheme="standard",
        summary="Two violations.",
        violations=violations,
        generated=datetime(2026, 12, 1, 10, 0, tzinfo=UTC),
    )


def _text(pdf: bytes) -> tuple[str, int]:
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return " ".join(text.split()), len(reader.pages)


def test_report_shows_the_inspection_and_every_violation_field() -> None:
    pdf = render_report(_report((COLD_HOLDING, HAND_SINK)))
    assert pdf.startswith(b"%PDF-")
    text, pages = _text(pdf)
    assert pages == 1
    for expected in (
        "Food Establishment Inspection Report",
        "CAFE SUSHI-WELLS",
        "1342 N WELLS ST, Chicago, IL 60610",
        "2517730",
        "2020-03-06",
        "Routine inspection",
        "Ana Inspector",
        "Pass with conditions",
        "75 / 100",
        "Needs improvement",
        "3-501.16(A)(2)",
        "5-205.11(A)",
        "Priority Foundation",
        'Evidence: "Potato salad in the prep cooler at 47F"',
        "Discard or cool the food to 41 °F or below.",
        "Keep the hand sink accessible.",
        "Violations (2)",
    ):
        assert expected in text, expected
    # The Form 3-A items and the corrected-on-site answers, in table order.
    assert text.index(" 22 ") < text.index("Yes") < text.index(" 10 ") < text.rindex("No")
    assert "Café Sushi" in text  # Latin-1 survives; the dash is folded


def test_long_reports_flow_onto_more_pages_with_page_numbers() -> None:
    text, pages = _text(render_report(_report((COLD_HOLDING, HAND_SINK) * 20)))
    assert pages >= 3
    assert f"Page {pages} of {pages}" in text
    assert "Violations (40)" in text


def test_no_violations() -> None:
    text, _ = _text(render_report(_report(())))
    assert "No violations were cited." in text


def test_text_outside_latin1_is_folded_not_fatal() -> None:
    folded = latin1(
        "\u201cQuoted\u201d \u2013 \u2264 41 °F \u2026 "
        "\u0150rs\u00e9g \u0141\u00f3d\u017a \u5bff\u53f8"
    )
    assert folded == '"Quoted" - <= 41 °F ... Orség ?ódz ??'
    report = _report((ReportViolation("", 0, "", "寿司 bar", "", "", False),))
    text, _ = _text(render_report(report))
    assert "?? bar" in text


def test_file_name() -> None:
    assert report_file_name(42) == "inspection-42.pdf"
