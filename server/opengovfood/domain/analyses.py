"""Inspection analyses as the services and servicers see them (no ORM rows)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from opengovfood.domain.items import make_etag

# Food Code 2022 designations, as the catalogue and the scoring name them.
DESIGNATIONS = ("P", "Pf", "C")
# What analyses stored before the catalogue carry (read, never written any more).
LEGACY_SEVERITIES = ("critical", "major", "minor")


class ViolationSource(enum.StrEnum):
    """Who put a violation into an analysis (stored values)."""

    UNSPECIFIED = ""  # stored before sources were recorded
    RULE = "rule"
    MODEL = "model"
    INSPECTOR = "inspector"


@dataclass(frozen=True, slots=True)
class Violation:
    """One cited violation. `severity` is "P", "Pf" or "C" (or a legacy value on analyses
    stored before the catalogue). Doubles as scoring's CitedViolation."""

    code: str
    description: str
    severity: str
    food_code_section: str = ""
    form_item: int = 0
    evidence: str = ""
    source: ViolationSource = ViolationSource.UNSPECIFIED
    corrected_on_site: bool = False
    repeat: bool = False
    corrective_action: str = ""

    # scoring.CitedViolation
    @property
    def section(self) -> str:
        return self.food_code_section

    @property
    def designation(self) -> str:
        return self.severity

    @property
    def scored(self) -> bool:
        """Counted in the score: the model's proposals count once the inspector keeps them."""
        return self.source is not ViolationSource.MODEL and self.severity in DESIGNATIONS


@dataclass(frozen=True, slots=True)
class Score:
    score: int
    grade: str
    scheme: str

    @property
    def compliance_score(self) -> float:
        return self.score / 100


@dataclass(frozen=True, slots=True)
class NewAnalysis:
    """An analysis to store; the repository adds its id, times and version."""

    owner_id: int
    item_id: int | None
    notes: str
    summary: str
    violations: tuple[Violation, ...]
    corrective_actions: tuple[str, ...]
    score: Score
    public_health_narrative: str
    narrative_missing: bool
    provider: str
    model: str


@dataclass(frozen=True, slots=True)
class AnalysisChanges:
    """An inspector's review: the fields to replace (None: unchanged) and the new score."""

    summary: str | None
    violations: tuple[Violation, ...] | None
    corrective_actions: tuple[str, ...] | None
    score: Score


@dataclass(frozen=True, slots=True)
class AnalysisRecord:
    id: int
    owner_id: int
    item_id: int | None
    notes: str
    summary: str
    violations: tuple[Violation, ...]
    corrective_actions: tuple[str, ...]
    score: Score
    public_health_narrative: str
    narrative_missing: bool
    provider: str
    model: str
    create_time: datetime
    update_time: datetime
    version: int

    @property
    def compliance_score(self) -> float:
        return self.score.compliance_score

    @property
    def etag(self) -> str:
        return make_etag(self.id, self.version, self.create_time)
