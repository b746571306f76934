"""The open-data export (LIVES) of the inspections a caller may see.

    chunks = exports.export_lives(principal, filter='result = INSPECTION_RESULT_FAIL')
    async for chunk in chunks:          # FeedChunk(file_name, data)
        ...

Rules:
- Who: whoever may read items (ItemService's read scope): a user exports their own
  inspections, superusers and `items:read` services everyone's. Checked, and the filter
  parsed (INVALID_ARGUMENT on `filter`), before the first chunk.
- What: items with an establishment are inspections; `filter` is ListItems' language.
  `businesses.csv` lists the establishments of the exported inspections, once each;
  `inspections.csv` one row per inspection (its date: `inspect_time`, else when it was
  recorded; its LIVES type from the item's kind; its score, empty for a no-entry visit or
  an inspection with neither result nor score; the result as the description);
  `violations.csv` one row per violation of each inspection's latest analysis (code: the
  Food Code section, else the violation's code); `feed_info.csv` the department
  (OPENGOVFOOD_LIVES_* settings) and today; `legend.csv` the scoring scheme's bands.
- Flat memory: the repository streams rows in keyset batches; the writer hands out
  chunks of about 64 KiB.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from opengovfood.domain.exports import ExportedBusiness, ExportedInspection, ReportSource
from opengovfood.domain.filters import ParsedFilter
from opengovfood.domain.principal import Principal
from opengovfood.domain.scopes import Scope
from opengovfood.domain.timestamps import utcnow
from opengovfood.inspection.lives import (
    FeedChunk,
    FeedInfo,
    LivesBusiness,
    LivesFeed,
    LivesInspection,
    LivesViolation,
    legend_bands,
    lives_type,
    write_feed,
)
from opengovfood.inspection.scoring import get_scheme
from opengovfood.services.items import ITEM_FILTERS, read_scope

RESULT_LABELS = {
    "pass": "Pass",
    "pass_with_conditions": "Pass with conditions",
    "fail": "Fail",
    "no_entry": "No entry",
}


class ExportRepository(Protocol):
    def businesses(self, parsed: ParsedFilter, scope: Scope) -> AsyncIterator[ExportedBusiness]:
        """The establishments of the matching items, by id."""
        ...

    def inspections(
        self, parsed: ParsedFilter, scope: Scope, with_violations: bool
    ) -> AsyncIterator[ExportedInspection]:
        """The matching items with an establishment, by id (with their latest analysis'
        violations when asked)."""
        ...

    async def report_source(self, item_id: int, scope: Scope) -> ReportSource | None: ...


@dataclass(frozen=True, slots=True)
class Publisher:
    """Who publishes the feed (feed_info.csv) and how it is scored (legend.csv)."""

    municipality_name: str
    municipality_url: str = ""
    contact_email: str = ""
    scoring_scheme: str = "standard"
    feed_version: str = "1.0"


NO_RESULT = ("", "unspecified")


def lives_score(inspection: ExportedInspection) -> int | None:
    """Empty for a no-entry visit, and for an inspection with neither result nor score."""
    if inspection.result == "no_entry" or (inspection.result in NO_RESULT and not inspection.score):
        return None
    return inspection.score


class ExportService:
    def __init__(self, repository: ExportRepository, publisher: Publisher) -> None:
        self._repository = repository
        self._publisher = publisher

    def export_lives(self, principal: Principal, *, filter: str = "") -> AsyncIterator[FeedChunk]:
        """The feed's chunks. Raises (PERMISSION_DENIED, INVALID_ARGUMENT) here, before
        anything streams."""
        scope = read_scope(principal)
        parsed = ITEM_FILTERS.parse(filter)
        repository = self._repository

        async def businesses() -> AsyncIterator[LivesBusiness]:
            async for row in repository.businesses(parsed, scope):
                yield LivesBusiness(
                    business_id=row.id,
                    name=row.name,
                    address=row.street,
                    city=row.city,
                    state=row.state,
                    postal_code=row.postal_code,
                    business_certificate=row.license_number,
                )

        async def inspections() -> AsyncIterator[LivesInspection]:
            async for row in repository.inspections(parsed, scope, with_violations=False):
                yield LivesInspection(
                    business_id=row.establishment_id,
                    score=lives_score(row),
                    date=row.day,
                    type=lives_type(row.kind),
                    description=RESULT_LABELS.get(row.result, ""),
                )

        async def violations() -> AsyncIterator[LivesViolation]:
            async for row in repository.inspections(parsed, scope, with_violations=True):
                for violation in row.violations:
                    yield LivesViolation(
                        business_id=row.establishment_id,
                        date=row.day,
                        code=violation.food_code_section or violation.code,
                        description=violation.description,
                    )

        publisher = self._publisher
        scheme = get_scheme(publisher.scoring_scheme)
        feed = LivesFeed(
            businesses=businesses,
            inspections=inspections,
            violations=violations,
            info=FeedInfo(
                feed_date=utcnow().date(),
                feed_version=publisher.feed_version,
                municipality_name=publisher.municipality_name,
                municipality_url=publisher.municipality_url,
                contact_email=publisher.contact_email,
            ),
            legend=legend_bands([(band.grade, band.min_score) for band in scheme.bands]),
        )
        return write_feed(feed)
