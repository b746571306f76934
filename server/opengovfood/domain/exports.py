"""What the open-data export and the inspection report read: plain records, joined by the
repository from items, establishments, the latest analysis of each item and its owner."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from opengovfood.domain.analyses import Violation


@dataclass(frozen=True, slots=True)
class ExportedBusiness:
    id: int
    name: str
    street: str
    city: str
    state: str
    postal_code: str
    license_number: str


@dataclass(frozen=True, slots=True)
class ExportedViolation:
    """What the open-data export publishes of a violation."""

    code: str
    food_code_section: str
    description: str


@dataclass(frozen=True, slots=True)
class ExportedInspection:
    """An item with an establishment, with its latest analysis' violations (if any)."""

    item_id: int
    establishment_id: int
    inspect_time: datetime | None
    create_time: datetime
    kind: str  # the stored ItemKind value
    result: str  # the stored InspectionResult value ("unspecified" when none)
    score: int
    violations: tuple[ExportedViolation, ...] = ()

    @property
    def day(self) -> date:
        """The inspection's date: when it took place, else when it was recorded (UTC)."""
        return (self.inspect_time or self.create_time).date()


@dataclass(frozen=True, slots=True)
class ReportSource:
    """Everything the inspection report shows, read in one go."""

    item_id: int
    title: str
    description: str
    kind: str
    result: str
    score: int
    inspect_time: datetime | None
    create_time: datetime
    inspector_name: str
    inspector_email: str
    establishment: ExportedBusiness | None
    facility_type: str
    risk_category: int
    # The latest analysis of the item (None: never analysed).
    analysis_id: int | None
    summary: str
    violations: tuple[Violation, ...]
    analysis_score: int | None
    grade: str
    scoring_scheme: str
