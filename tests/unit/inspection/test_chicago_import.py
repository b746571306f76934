"""Reading a City of Chicago inspections CSV as establishments, inspections, violations."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest

from opengovfood.inspection.chicago_import import (
    ChicagoFormatError,
    ImportedInspection,
    RowProblem,
    read_chicago,
    sample,
)
from opengovfood.inspection.scoring import get_scheme

HEADER = "ID,Date,DBA,Address,Latitude,Longitude,FacilityType,InspType,Risk,Results,Violations\n"


def _read(text: str) -> list[ImportedInspection | RowProblem]:
    return list(read_chicago(io.StringIO(text, newline="")))


def _sample() -> list[ImportedInspection]:
    with sample() as lines:
        rows = list(read_chicago(lines))
    assert all(isinstance(row, ImportedInspection) for row in rows)
    return [row for row in rows if isinstance(row, ImportedInspection)]


def test_a_row_with_violations() -> None:
    [row] = _read(
        HEADER + "2365371,03/06/2020,SUBWAY,2008 N HALSTED ST,41.9,-87.6,Restaurant,Canvass,"
        'Risk 1 (High),Pass w/ Conditions,"10. ADEQUATE HANDWASHING SINKS PROPERLY SUPPLIED AND '
        "ACCESSIBLE - Comments: NO SOAP PROVIDED AT STAFF WASHROOM. UPON MY REQUEST MANAGER "
        "PROVIDED SOAP. PRIORITY FOUNDATION VIOLATION: 7-38-030(C),CITATION ISSUED | 55. PHYSICAL "
        "FACILITIES INSTALLED, MAINTAINED & CLEAN - Comments: CLEAN THE FLOORS. | 60. PREVIOUS "
        'CORE VIOLATION CORRECTED - Comments: CORRECTED."\n'
    )
    assert isinstance(row, ImportedInspection)
    assert row.external_id == "2365371"
    assert row.inspect_time == datetime(2020, 3, 6, 12, tzinfo=UTC)
    assert row.kind == "routine_inspection"
    assert row.result == "pass_with_conditions"
    establishment = row.establishment
    assert (establishment.name, establishment.street) == ("SUBWAY", "2008 N HALSTED ST")
    assert (establishment.city, establishment.state) == ("Chicago", "IL")
    assert establishment.risk_category == 3
    assert establishment.facility_type == "Restaurant"
    hand_sink, floors, chicago_own = row.violations
    assert hand_sink.form_item == 10
    assert hand_sink.designation == "Pf"
    # The section is the one the comment is about (soap: 6-301.11), not item 10's first.
    assert hand_sink.food_code_section == "6-301.11"
    assert hand_sink.corrected_on_site  # "upon my request manager provided soap"
    assert hand_sink.corrective_action
    assert "NO SOAP PROVIDED" in hand_sink.evidence
    assert floors.form_item == 55
    assert floors.designation == "C"
    assert floors.food_code_section == "6-501.12"  # cleaning the physical facilities
    assert not floors.corrected_on_site
    assert chicago_own.form_item == 0
    assert chicago_own.food_code_section == ""
    assert chicago_own.code == "CHICAGO-60"
    # Scored by the scheme: the Pf (corrected on site) and the Core item; item 60 has no
    # Food Code section and does not count.
    scheme = get_scheme("standard")
    deducted = scheme.priority_foundation * scheme.corrected_on_site_factor + scheme.core
    assert row.score == round(100 - deducted)
    assert row.grade == scheme.band_for(row.score)
    assert row.scoring_scheme == "standard"
    assert row.grade
    assert row.title == "Canvass: SUBWAY"
    assert "2365371" in row.description


@pytest.mark.parametrize(
    ("insp_type", "kind"),
    [
        ("Canvass", "routine_inspection"),
        ("Canvass Re-Inspection", "follow_up"),
        ("License Re-Inspection", "follow_up"),
        ("Complaint", "complaint"),
        ("Short Form Complaint", "complaint"),
        ("Suspected Food Poisoning", "complaint"),
        ("License", "pre_opening"),
        ("Tag Removal", "other"),
    ],
)
def test_inspection_types(insp_type: str, kind: str) -> None:
    [row] = _read(
        HEADER + f"1,03/06/2020,A,1 MAIN ST,,,Restaurant,{insp_type},Risk 3 (Low),Pass,NA\n"
    )
    assert isinstance(row, ImportedInspection)
    assert row.kind == kind
    assert row.establishment.risk_category == 1
    assert row.violations == ()
    assert row.score == 100


def test_results_without_counterpart_have_no_result_and_no_score() -> None:
    [row] = _read(HEADER + "1,03/06/2020,A,1 MAIN ST,,,Restaurant,Canvass,All,Out of Business,NA\n")
    assert isinstance(row, ImportedInspection)
    assert row.result is None
    assert row.score is None
    assert row.source_result == "Out of Business"
    assert row.establishment.risk_category is None


def test_bad_rows_are_reported_with_their_line() -> None:
    rows = _read(
        HEADER
        + "1,2020-03-06,A,1 MAIN ST,,,Restaurant,Canvass,Risk 1 (High),Pass,NA\n"
        + ",03/06/2020,A,1 MAIN ST,,,Restaurant,Canvass,Risk 1 (High),Pass,NA\n"
    )
    assert rows == [
        RowProblem(2, "Date '2020-03-06' is not MM/DD/YYYY"),
        RowProblem(3, "ID is empty"),
    ]


def test_a_file_of_another_kind_is_refused() -> None:
    with pytest.raises(ChicagoFormatError, match="missing column"):
        _read("name,address\nA,B\n")


def test_the_whole_sample() -> None:
    rows = _sample()
    assert len(rows) == 342
    assert len({row.external_id for row in rows}) == 342
    assert len({row.establishment.key for row in rows}) == 313
    entries = [v for row in rows for v in row.violations]
    # 45 item numbers are cited: 39 of Form 3-A's and 6 of Chicago's own (57-62).
    assert len({v.chicago_item for v in entries}) == 45
    assert len({v.form_item for v in entries if v.form_item}) == 39
    assert all(v.food_code_section for v in entries if v.form_item)
    assert {row.result for row in rows} == {
        "pass",
        "pass_with_conditions",
        "fail",
        "no_entry",
        None,
    }
    scored = [row for row in rows if row.score is not None]
    assert all(0 <= row.score <= 100 for row in scored if row.score is not None)
    assert all(len(row.title) <= 100 and len(row.description) <= 1000 for row in rows)
