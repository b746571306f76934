"""What an import writes for one inspection of a source file: the establishment (found
again by its key on a later run), the item, and the analysis holding the cited
violations. The service decides every value; the repository stores them in one
transaction, with the keys that make a second run skip what the first one loaded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from opengovfood.domain.analyses import Violation


@dataclass(frozen=True, slots=True)
class PlannedEstablishment:
    key: str  # the source's identity of the place
    name: str
    street: str
    city: str
    state: str
    postal_code: str
    license_number: str
    facility_type: str
    risk_category: int  # 0: not assessed


@dataclass(frozen=True, slots=True)
class PlannedAnalysis:
    summary: str
    violations: tuple[Violation, ...]
    corrective_actions: tuple[str, ...]
    score: int
    grade: str
    scoring_scheme: str
    notes: str
    provider: str  # "import"
    model: str  # the source, e.g. "chicago"


@dataclass(frozen=True, slots=True)
class PlannedInspection:
    key: str  # the source's id of the inspection
    title: str
    description: str
    status: str  # an ItemStatus value
    kind: str  # an ItemKind value
    result: str  # an InspectionResult value ("unspecified" for none)
    score: int
    inspect_time: datetime
    analysis: PlannedAnalysis | None


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    imported: bool  # False: an earlier run loaded it (its item still exists)
    establishment_created: bool
