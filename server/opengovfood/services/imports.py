"""Importing a city's past inspections: `opengov-food import chicago FILE`, and the demo
data of `opengov-food db seed`.

    summary = await imports.import_chicago(principal, open(path, newline=""))

Rules:
- Who: a signed-in user (not a service); everything imported is theirs.
- What: inspection/chicago_import.py reads the file (its docstring says how columns map);
  here each inspection becomes an item (completed, or cancelled when the visit had no
  outcome: out of business, not ready) with its establishment, kind, result, date and
  score, and, when it cites violations, an analysis holding them (provider `import`,
  model `chicago`, each violation's source INSPECTOR: they are the inspector's own
  citations) with the score and grade the configured scheme gives them.
- Idempotent: an inspection whose source id was imported before by the same user (and
  whose item still exists) is skipped, and an establishment met before is reused, so
  running the same file twice adds nothing. Each inspection is one transaction.
- Bad rows are counted and reported (line and reason), not fatal; a file that is not a
  Chicago export at all is INVALID_ARGUMENT.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from opengovfood.domain.accounts import normalize_email
from opengovfood.domain.analyses import Violation, ViolationSource
from opengovfood.domain.imports import (
    ImportOutcome,
    PlannedAnalysis,
    PlannedEstablishment,
    PlannedInspection,
)
from opengovfood.domain.principal import Principal
from opengovfood.domain.users import Credentials
from opengovfood.errors import InvalidArgument, NotFound, PermissionDenied
from opengovfood.inspection.chicago_import import (
    SOURCE,
    ChicagoFormatError,
    ImportedInspection,
    RowProblem,
    read_chicago,
)
from opengovfood.reasons import Reason


class UserLookup(Protocol):
    async def credentials_by_email(self, email: str) -> Credentials | None: ...


class ImportRepository(Protocol):
    async def import_inspection(
        self,
        owner_id: int,
        source: str,
        establishment: PlannedEstablishment,
        inspection: PlannedInspection,
    ) -> ImportOutcome: ...


@dataclass
class ImportSummary:
    rows: int = 0
    imported: int = 0
    skipped: int = 0  # imported by an earlier run
    establishments: int = 0  # created by this run
    problems: list[RowProblem] = field(default_factory=list)


def plan(row: ImportedInspection) -> tuple[PlannedEstablishment, PlannedInspection]:
    """The rows an imported Chicago inspection becomes."""
    place = row.establishment
    establishment = PlannedEstablishment(
        key=place.key,
        name=place.name,
        street=place.street,
        city=place.city,
        state=place.state,
        postal_code=place.postal_code,
        license_number=place.license_number,
        facility_type=place.facility_type,
        risk_category=place.risk_category or 0,
    )
    analysis = None
    if row.violations:
        analysis = PlannedAnalysis(
            summary=row.summary,
            violations=tuple(
                Violation(
                    code=v.code,
                    description=v.title,
                    severity=v.designation,
                    food_code_section=v.food_code_section,
                    form_item=v.form_item,
                    evidence=v.evidence,
                    source=ViolationSource.INSPECTOR,
                    corrected_on_site=v.corrected_on_site,
                    corrective_action=v.corrective_action,
                )
                for v in row.violations
            ),
            corrective_actions=tuple(
                dict.fromkeys(v.corrective_action for v in row.violations if v.corrective_action)
            ),
            score=row.score if row.score is not None else 0,
            grade=row.grade,
            scoring_scheme=row.scoring_scheme,
            notes="\n".join(f"{v.chicago_item}. {v.evidence}" for v in row.violations),
            provider="import",
            model=SOURCE,
        )
    inspection = PlannedInspection(
        key=row.external_id,
        title=row.title,
        description=row.description,
        status="completed" if row.result is not None else "cancelled",
        kind=row.kind,
        result=row.result or "unspecified",
        score=row.score or 0,
        inspect_time=row.inspect_time,
        analysis=analysis,
    )
    return establishment, inspection


class ImportService:
    def __init__(
        self, repository: ImportRepository, users: UserLookup, scoring_scheme: str = "standard"
    ) -> None:
        self._repository = repository
        self._users = users
        self._scheme = scoring_scheme

    async def owner(self, email: str) -> Principal:
        """The principal of an active user, for an operator importing on their behalf."""
        found = await self._users.credentials_by_email(normalize_email(email))
        if found is None or not found.user.is_active:
            raise NotFound(f"no active user with the email {email!r}")
        user = found.user
        return Principal(
            kind="user", user_id=user.id, name=user.email, is_superuser=user.is_superuser
        )

    async def import_chicago(self, principal: Principal, lines: Iterable[str]) -> ImportSummary:
        """Import a City of Chicago food inspections CSV (an open text file, newline="")."""
        if principal.is_service or principal.user_id is None:
            raise PermissionDenied(
                "service principals may not import inspections",
                reason=Reason.PRINCIPAL_NOT_ALLOWED,
            )
        summary = ImportSummary()
        try:
            rows = read_chicago(lines, self._scheme)
            for row in rows:
                summary.rows += 1
                if isinstance(row, RowProblem):
                    summary.problems.append(row)
                    continue
                establishment, inspection = plan(row)
                outcome = await self._repository.import_inspection(
                    principal.user_id, SOURCE, establishment, inspection
                )
                summary.imported += outcome.imported
                summary.skipped += not outcome.imported
                summary.establishments += outcome.establishment_created
        except ChicagoFormatError as error:
            raise InvalidArgument.field("file", str(error)) from None
        return summary
