"""The inspection report of one item, as a PDF (inspection/report.py lays it out).

    name, pdf = await reports.render_inspection_report(principal, item_id)

Rules:
- Who: whoever may read the item (ItemService's read scope); another user's item is
  NOT_FOUND, as GetItem answers.
- What: the item's establishment, date (`inspect_time`, else when it was recorded), kind,
  owner (the inspector), result, and the score, grade and violations of the item's latest
  analysis (the official record once the inspector has reviewed it); an item never
  analysed shows its own score and no violations. A violation's corrective action is the
  analysis' own, else the Food Code catalogue's for its section.
- The PDF is laid out in a worker thread: it is CPU work, kept off the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from opengovfood.domain.analyses import Violation
from opengovfood.domain.bounds import checked_id
from opengovfood.domain.exports import ReportSource
from opengovfood.domain.principal import Principal
from opengovfood.domain.timestamps import utcnow
from opengovfood.errors import InvalidArgument, NotFound
from opengovfood.inspection.catalogue import catalogue
from opengovfood.inspection.report import (
    InspectionReport,
    ReportViolation,
    render_report,
    report_file_name,
)
from opengovfood.services.exports import NO_RESULT, RESULT_LABELS, ExportRepository
from opengovfood.services.items import read_scope

KIND_LABELS = {
    "routine_inspection": "Routine inspection",
    "follow_up": "Follow-up inspection",
    "complaint": "Complaint inspection",
    "pre_opening": "Pre-opening inspection",
    "other": "Other",
}
_DESIGNATIONS = ("P", "Pf", "C")


def _corrective_action(violation: Violation) -> str:
    if violation.corrective_action:
        return violation.corrective_action
    if violation.food_code_section:
        known = catalogue().resolve(violation.food_code_section, violation.form_item or None)
        if known is not None:
            return known.corrective_action
    return ""


def report_of(source: ReportSource, generated: datetime) -> InspectionReport:
    """The document's content from what the repository read."""
    establishment = source.establishment
    address: tuple[str, ...] = ()
    if establishment is not None:
        place = " ".join(
            part
            for part in (
                f"{establishment.city}," if establishment.city else "",
                establishment.state,
                establishment.postal_code,
            )
            if part
        ).rstrip(",")
        address = (establishment.street, place)
    if source.analysis_id is not None and source.analysis_score is not None:
        score: int | None = source.analysis_score
    else:
        score = source.score if (source.result not in NO_RESULT or source.score) else None
    return InspectionReport(
        item_id=source.item_id,
        title=source.title,
        establishment_name=establishment.name if establishment else "(no establishment)",
        address_lines=address,
        license_number=establishment.license_number if establishment else "",
        facility_type=source.facility_type,
        risk_category=(
            f"Category {source.risk_category} (Food Code Annex 5)" if source.risk_category else ""
        ),
        inspect_date=(source.inspect_time or source.create_time).date(),
        inspection_type=KIND_LABELS.get(source.kind, source.kind.replace("_", " ").capitalize()),
        inspector=(
            f"{source.inspector_name} ({source.inspector_email})"
            if source.inspector_name
            else source.inspector_email
        ),
        result=RESULT_LABELS.get(source.result, "Not recorded"),
        score=score,
        grade=source.grade,
        scoring_scheme=source.scoring_scheme,
        summary=source.summary,
        violations=tuple(
            ReportViolation(
                food_code_section=v.food_code_section or v.code,
                form_item=v.form_item,
                designation=v.severity if v.severity in _DESIGNATIONS else "",
                description=v.description,
                evidence=v.evidence,
                corrective_action=_corrective_action(v),
                corrected_on_site=v.corrected_on_site,
            )
            for v in source.violations
        ),
        generated=generated,
    )


class ReportService:
    def __init__(
        self, repository: ExportRepository, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self._repository = repository
        self._clock = clock

    async def render_inspection_report(
        self, principal: Principal, item_id: int
    ) -> tuple[str, bytes]:
        """(file name, PDF bytes) of the item's report."""
        scope = read_scope(principal)
        if item_id == 0:
            raise InvalidArgument.field("id", "is required")
        checked_id(item_id, "id")
        source = await self._repository.report_source(item_id, scope)
        if source is None:
            raise NotFound(f"item {item_id} not found")
        report = report_of(source, self._clock())
        pdf = await asyncio.to_thread(render_report, report)
        return report_file_name(item_id), pdf
