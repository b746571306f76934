"""Inspection analyses as the services and servicers see them (no ORM rows)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from opengovfood.domain.departments import DEFAULT_DEPARTMENT_ID


@dataclass(frozen=True, slots=True)
class Violation:
    code: str
    description: str
    severity: str  # critical | major | minor


@dataclass(frozen=True, slots=True)
class NewAnalysis:
    """An analysis to store; the repository adds its id and create_time."""

    owner_id: int
    item_id: int | None
    notes: str
    summary: str
    violations: tuple[Violation, ...]
    corrective_actions: tuple[str, ...]
    compliance_score: float
    public_health_narrative: str
    provider: str
    model: str
    department_id: int = DEFAULT_DEPARTMENT_ID


@dataclass(frozen=True, slots=True)
class AnalysisRecord:
    id: int
    owner_id: int
    item_id: int | None
    notes: str
    summary: str
    violations: tuple[Violation, ...]
    corrective_actions: tuple[str, ...]
    compliance_score: float
    public_health_narrative: str
    provider: str
    model: str
    create_time: datetime
    department_id: int = DEFAULT_DEPARTMENT_ID
