"""Inspection analyses: the rules engine cites the violations (Food Code sections, with the
notes' words as evidence), the scoring scheme computes the score, the model writes the
summary and narrative and may propose violations (services/narrative.py). Nothing the
model says changes the score until the inspector keeps it (UpdateAnalysis).

If the model fails or times out, the analysis is still stored: the findings, the score and
a factual summary, with `narrative_missing` set. Errors the caller made (an unknown
provider, a model they named that does not exist) are still errors.

Analyses are their owner's: another user's answers NOT_FOUND, exactly as if it did not
exist.

    service = AnalysisService(repository, registry, page_tokens, rules, scheme="standard")
    analysis = await service.analyze(principal, notes, item_id=0, provider="", model="")
    analysis = await service.update_analysis(principal, edit)
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Protocol

from opengovfood.domain.analyses import (
    DESIGNATIONS,
    AnalysisChanges,
    AnalysisRecord,
    NewAnalysis,
    Score,
    Violation,
    ViolationSource,
)
from opengovfood.domain.filters import FilterSpec, integer_field, timestamp_field
from opengovfood.domain.items import etag_version
from opengovfood.domain.listing import ListQuery, ListSpec, Page
from opengovfood.domain.pagination import OrderSpec, PageTokens, SortField
from opengovfood.domain.principal import Principal
from opengovfood.domain.scopes import Scope
from opengovfood.errors import (
    Aborted,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from opengovfood.inspection.catalogue import ViolationType, catalogue
from opengovfood.inspection.engine import default_engine
from opengovfood.inspection.findings import Finding
from opengovfood.inspection.scoring import get_scheme, score_violations
from opengovfood.llm import LLMError, ModelNotFound, Provider, ProviderRegistry
from opengovfood.reasons import Reason
from opengovfood.services.items import ItemService
from opengovfood.services.llm_errors import service_error
from opengovfood.services.models import check_model_name, pick_provider
from opengovfood.services.narrative import (
    Narrative,
    NarrativeInvalid,
    findings_summary,
    write_narrative,
)

logger = logging.getLogger("opengovfood.agent")

MAX_NOTES: Final = 20_000
MAX_VIOLATIONS: Final = 100
MAX_DESCRIPTION: Final = 1000
MAX_EVIDENCE: Final = 2000
MAX_ACTION: Final = 1000
MAX_ACTIONS: Final = 100
MAX_SUMMARY: Final = 4000
UPDATABLE: Final = ("violations", "summary", "corrective_actions")
OUTPUT_ONLY: Final = (
    "id",
    "item_id",
    "compliance_score",
    "score",
    "grade",
    "scoring_scheme",
    "etag",
    "create_time",
    "update_time",
    "provider",
    "model",
    "narrative_missing",
    "public_health_narrative",
)

_ID = SortField("id", "integer", "id")
# Newest first; ListAnalysesRequest has no order_by.
ANALYSES = ListSpec(
    "analyses",
    FilterSpec(
        [
            # `item_id = 0` selects analyses attached to no item (0 is "none" in the API).
            integer_field("item_id"),
            timestamp_field("create_time"),
        ]
    ),
    OrderSpec(
        [SortField("create_time", "timestamp", "create_time"), _ID],
        tiebreaker=_ID,
        default="create_time desc",
    ),
)


class AnalysisRepository(Protocol):
    async def item_visible(self, item_id: int, scope: Scope) -> bool: ...
    async def add(self, new: NewAnalysis) -> AnalysisRecord: ...
    async def get(self, analysis_id: int, scope: Scope) -> AnalysisRecord | None: ...
    async def update(
        self, analysis_id: int, scope: Scope, expected_version: int, changes: AnalysisChanges
    ) -> AnalysisRecord | None: ...
    async def page(self, query: ListQuery, scope: Scope) -> list[AnalysisRecord]: ...
    async def count(self, query: ListQuery, scope: Scope) -> int: ...


class RulesEngine:
    """The inspection engine off the event loop: it is pure CPU (milliseconds per note,
    a fraction of a second to train at warm-up)."""

    async def warm_up(self) -> None:
        await asyncio.to_thread(default_engine)

    async def findings(self, notes: str) -> list[Finding]:
        return await asyncio.to_thread(lambda: default_engine().analyse(notes))


@dataclass(frozen=True, slots=True)
class AnalysisEdit:
    """UpdateAnalysis as plain values: the fields the mask names are replaced."""

    analysis_id: int
    etag: str
    update_mask: tuple[str, ...]
    summary: str = ""
    violations: tuple[Violation, ...] = ()
    corrective_actions: tuple[str, ...] = ()


def _owner(principal: Principal) -> int:
    if principal.user_id is None:
        raise PermissionDenied(
            "this method is for signed-in users, not service principals",
            reason=Reason.PRINCIPAL_NOT_ALLOWED,
        )
    return principal.user_id


def violation_from_finding(finding: Finding) -> Violation:
    entry = catalogue().resolve(finding.food_code_section, finding.form_item)
    return Violation(
        code=finding.food_code_section,
        description=finding.description,
        severity=finding.designation,
        food_code_section=finding.food_code_section,
        form_item=finding.form_item,
        evidence=finding.evidence,
        source=ViolationSource.RULE,
        corrected_on_site=finding.corrected_on_site,
        repeat=finding.repeat,
        corrective_action=entry.corrective_action if entry is not None else "",
    )


def corrective_actions_of(violations: Sequence[Violation]) -> tuple[str, ...]:
    """One line per distinct corrective action, in the order of the violations."""
    actions: list[str] = []
    for v in violations:
        if v.corrective_action and v.corrective_action not in actions:
            actions.append(v.corrective_action)
    return tuple(actions)


class AnalysisService:
    def __init__(
        self,
        analyses: AnalysisRepository,
        registry: ProviderRegistry,
        page_tokens: PageTokens,
        rules: RulesEngine,
        *,
        scheme: str,
        model_timeout: float,
        items: ItemService | None = None,
    ) -> None:
        self._items = items
        self._analyses = analyses
        self._registry = registry
        self._page_tokens = page_tokens
        self._rules = rules
        self._scheme = get_scheme(scheme).name
        self._model_timeout = model_timeout

    def score(self, violations: Sequence[Violation], scheme: str = "") -> Score:
        """The score of the violations that count (see Violation.scored)."""
        result = score_violations([v for v in violations if v.scored], scheme or self._scheme)
        return Score(result.score, result.grade, result.scheme)

    async def analyze(
        self, principal: Principal, notes: str, item_id: int, provider_name: str, model_name: str
    ) -> AnalysisRecord:
        owner_id = _owner(principal)
        notes = notes.strip()
        problems: list[FieldViolation] = []
        if not notes:
            problems.append(FieldViolation("notes", "is required"))
        elif len(notes) > MAX_NOTES:
            problems.append(FieldViolation("notes", f"must be at most {MAX_NOTES} characters"))
        if item_id < 0:
            problems.append(FieldViolation("item_id", "must not be negative"))
        if problems:
            raise InvalidArgument.for_fields(problems)
        model = check_model_name(model_name)
        provider = pick_provider(self._registry, provider_name)
        if item_id and not await self._analyses.item_visible(item_id, Scope.owned_by(owner_id)):
            raise NotFound(f"item {item_id} not found")

        violations = tuple(violation_from_finding(f) for f in await self._rules.findings(notes))
        if item_id:
            violations = await self._mark_repeats(principal, item_id, violations)
        narrative = await self._narrative(provider, model, notes, violations)
        if narrative is not None:
            violations += narrative.proposals
        stored = await self._analyses.add(
            NewAnalysis(
                owner_id=owner_id,
                item_id=item_id or None,
                notes=notes,
                summary=narrative.summary if narrative else findings_summary(violations),
                violations=violations,
                corrective_actions=corrective_actions_of(violations),
                score=self.score(violations),
                public_health_narrative=narrative.public_health_narrative if narrative else "",
                narrative_missing=narrative is None,
                provider=provider.name,
                model=model or provider.default_model,
            )
        )
        await self._record_on_item(principal, stored)
        return stored

    async def _mark_repeats(
        self, principal: Principal, item_id: int, violations: tuple[Violation, ...]
    ) -> tuple[Violation, ...]:
        """An inspection of an establishment marks `repeat` on what its previous inspection
        (by inspect_time; its latest analysis, the official record) also cited, by section."""
        if self._items is None or not violations:
            return violations
        item = await self._items.get_item(principal, item_id)
        if not item.establishment_id:
            return violations
        when = (item.inspect_time or item.create_time).isoformat()
        earlier = await self._items.list_items(
            principal,
            filter=f'establishment_id = {item.establishment_id} AND inspect_time < "{when}"',
            order_by="inspect_time desc",
            page_size=1,
        )
        if not earlier.items:
            return violations
        last = await self.list_analyses(
            principal, filter=f"item_id = {earlier.items[0].id}", page_size=1
        )
        if not last.items:
            return violations
        cited = {_base_section(v) for v in last.items[0].violations if v.scored}
        return tuple(
            dataclasses.replace(v, repeat=True) if _base_section(v) in cited else v
            for v in violations
        )

    async def _record_on_item(self, principal: Principal, analysis: AnalysisRecord) -> None:
        """The item's score is its latest analysis's (after the inspector's review)."""
        if self._items is None or analysis.item_id is None:
            return
        latest = await self.list_analyses(
            principal, filter=f"item_id = {analysis.item_id}", page_size=1
        )
        if not latest.items or latest.items[0].id != analysis.id:
            return  # an older analysis of the item: not the record
        try:
            await self._items.update_item(
                principal, analysis.item_id, score=analysis.score.score, update_mask=("score",)
            )
        except NotFound:
            logger.info("item %s is gone; analysis %s kept", analysis.item_id, analysis.id)

    async def _narrative(
        self, provider: Provider, model: str | None, notes: str, violations: Sequence[Violation]
    ) -> Narrative | None:
        """The model's narrative, or None when it failed: the findings stand without it."""
        try:
            return await asyncio.wait_for(
                write_narrative(provider, model, notes, violations), self._model_timeout
            )
        except ModelNotFound as exc:
            if model is not None:  # the caller named a model that does not exist
                raise service_error(exc, model_named=True) from None
            logger.warning("analysis narrative: %s; stored without it", exc.message)
        except LLMError as exc:
            logger.warning(
                "analysis narrative: %s (%s); stored without it", exc.message, exc.detail
            )
        except NarrativeInvalid as exc:
            logger.info("analysis narrative from %r unusable (%s)", provider.name, exc)
        except TimeoutError:
            logger.warning(
                "analysis narrative: %r took over %ss; stored without it",
                provider.name,
                self._model_timeout,
            )
        return None

    async def get_analysis(self, principal: Principal, analysis_id: int) -> AnalysisRecord:
        owner_id = _owner(principal)
        if analysis_id <= 0:
            raise InvalidArgument.field("id", "must be a positive analysis id")
        found = await self._analyses.get(analysis_id, Scope.owned_by(owner_id))
        if found is None:
            raise NotFound(f"analysis {analysis_id} not found")
        return found

    async def update_analysis(self, principal: Principal, edit: AnalysisEdit) -> AnalysisRecord:
        owner_id = _owner(principal)
        paths = _mask_fields(edit.update_mask)
        problems: list[FieldViolation] = []
        if edit.analysis_id <= 0:
            problems.append(FieldViolation("analysis.id", "must be a positive analysis id"))
        if not edit.etag:
            problems.append(
                FieldViolation("analysis.etag", "is required: the etag of the analysis you read")
            )
        summary = " ".join(edit.summary.split()) if "summary" in paths else None
        if summary is not None and len(summary) > MAX_SUMMARY:
            problems.append(
                FieldViolation("analysis.summary", f"must be at most {MAX_SUMMARY} characters")
            )
        edited = _checked_violations(edit.violations, problems) if "violations" in paths else None
        actions = (
            _checked_actions(edit.corrective_actions, problems)
            if "corrective_actions" in paths
            else None
        )
        if problems:
            raise InvalidArgument.for_fields(problems)
        etag_version(edit.etag, "analysis.etag")  # INVALID_ARGUMENT unless one of ours
        scope = Scope.owned_by(owner_id)
        current = await self._analyses.get(edit.analysis_id, scope)
        if current is None:
            raise NotFound(f"analysis {edit.analysis_id} not found")
        if edit.etag != current.etag:
            raise _stale()
        violations = current.violations
        if edited is not None:
            violations = _reviewed(current.violations, edited)
            if actions is None:  # keep the list in step with what is now cited
                actions = corrective_actions_of(violations)
        changes = AnalysisChanges(
            summary=summary,
            violations=violations if edited is not None else None,
            corrective_actions=actions,
            score=self.score(violations, current.score.scheme),
        )
        updated = await self._analyses.update(current.id, scope, current.version, changes)
        if updated is None:
            raise _stale()
        await self._record_on_item(principal, updated)
        return updated

    async def list_analyses(
        self, principal: Principal, *, page_size: int = 0, page_token: str = "", filter: str = ""
    ) -> Page[AnalysisRecord]:
        scope = Scope.owned_by(_owner(principal))
        query = ANALYSES.query(
            self._page_tokens,
            principal.key,
            page_size=page_size,
            page_token=page_token,
            filter=filter,
        )
        rows = await self._analyses.page(query, scope)
        total = query.known_total(len(rows))
        if total is None:
            total = await self._analyses.count(query, scope)
        return ANALYSES.page(self._page_tokens, query, rows, total)

    def violation_types(self, principal: Principal, form_item: int) -> list[ViolationType]:
        """The catalogue (any signed-in principal), optionally one Form 3-A item's types."""
        del principal  # any principal may read it; the interceptor has authenticated it
        book = catalogue()
        if form_item == 0:
            return list(book)
        if not 1 <= form_item <= len(book.form_items):
            raise InvalidArgument.field(
                "form_item", f"must be 0 (all) or a Form 3-A item 1-{len(book.form_items)}"
            )
        return list(book.by_form_item(form_item))


def _base_section(v: Violation) -> str:
    entry = catalogue().resolve(v.food_code_section) if v.food_code_section else None
    return entry.base_section if entry is not None else v.food_code_section


def _stale() -> Aborted:
    return Aborted(
        "the analysis changed since its etag was read; get it again and retry",
        reason=Reason.ETAG_MISMATCH,
    )


def _mask_fields(update_mask: Sequence[str]) -> tuple[str, ...]:
    if not update_mask:
        raise InvalidArgument.field(
            "update_mask",
            "is required: name the fields to change (violations, summary, corrective_actions)",
        )
    problems: list[FieldViolation] = []
    chosen: list[str] = []
    for index, path in enumerate(update_mask):
        where = f"update_mask.paths[{index}]"
        if path == "*":
            if len(update_mask) > 1:
                problems.append(FieldViolation(where, "'*' must be the only path"))
            chosen.extend(UPDATABLE)
        elif path in UPDATABLE:
            if path not in chosen:
                chosen.append(path)
        elif path in OUTPUT_ONLY:
            problems.append(
                FieldViolation(where, f"{path} is computed by the service and cannot be set")
            )
        else:
            problems.append(
                FieldViolation(
                    where,
                    f"unknown field {path[:40]!r} (use violations, summary, "
                    "corrective_actions or *)",
                )
            )
    if problems:
        raise InvalidArgument.for_fields(problems)
    return tuple(chosen)


def _checked_violations(
    violations: Sequence[Violation], problems: list[FieldViolation]
) -> tuple[Violation, ...]:
    """The inspector's violations completed from the catalogue; problems collected."""
    if len(violations) > MAX_VIOLATIONS:
        problems.append(
            FieldViolation("analysis.violations", f"must hold at most {MAX_VIOLATIONS} entries")
        )
        return ()
    book = catalogue()
    checked: list[Violation] = []
    for index, v in enumerate(violations):
        where = f"analysis.violations[{index}]"
        section = v.food_code_section.strip() or v.code.strip()
        entry = book.resolve(section) if section else None
        if entry is None:
            problems.append(
                FieldViolation(
                    f"{where}.food_code_section",
                    "is required and must be a section of the catalogue (ListViolationTypes)"
                    if not section
                    else f"{section[:40]!r} is not a section of the catalogue (ListViolationTypes)",
                )
            )
            continue
        if v.severity in DESIGNATIONS and v.severity != entry.designation.value:
            problems.append(
                FieldViolation(
                    f"{where}.severity",
                    f"{entry.section} is {entry.designation.label}: the severity follows the "
                    "section (leave it unspecified)",
                )
            )
        if v.form_item and v.form_item != entry.form_item:
            problems.append(
                FieldViolation(
                    f"{where}.form_item",
                    f"{entry.section} is Form 3-A item {entry.form_item} (leave it 0)",
                )
            )
        for field, value, limit in (
            ("description", v.description, MAX_DESCRIPTION),
            ("evidence", v.evidence, MAX_EVIDENCE),
            ("corrective_action", v.corrective_action, MAX_ACTION),
        ):
            if len(value) > limit:
                problems.append(
                    FieldViolation(f"{where}.{field}", f"must be at most {limit} characters")
                )
        checked.append(
            Violation(
                code=entry.section,
                description=" ".join(v.description.split()) or entry.title,
                severity=entry.designation.value,
                food_code_section=entry.section,
                form_item=entry.form_item,
                evidence=v.evidence.strip(),
                source=v.source,
                corrected_on_site=v.corrected_on_site,
                repeat=v.repeat,
                corrective_action=" ".join(v.corrective_action.split()) or entry.corrective_action,
            )
        )
    return tuple(checked)


def _reviewed(stored: Sequence[Violation], edited: Sequence[Violation]) -> tuple[Violation, ...]:
    """An entry the inspector sent back unchanged keeps the rules' source; anything else
    (edited, added, or a model proposal they kept) is now the inspector's."""
    unchanged_rules = {_content(v) for v in stored if v.source in (ViolationSource.RULE,)}
    return tuple(
        v
        if v.source is ViolationSource.RULE and _content(v) in unchanged_rules
        else _as_inspectors(v)
        for v in edited
    )


def _content(v: Violation) -> tuple[object, ...]:
    return (
        v.food_code_section,
        v.description,
        v.evidence,
        v.corrected_on_site,
        v.repeat,
        v.corrective_action,
    )


def _as_inspectors(v: Violation) -> Violation:
    return Violation(
        code=v.code,
        description=v.description,
        severity=v.severity,
        food_code_section=v.food_code_section,
        form_item=v.form_item,
        evidence=v.evidence,
        source=ViolationSource.INSPECTOR,
        corrected_on_site=v.corrected_on_site,
        repeat=v.repeat,
        corrective_action=v.corrective_action,
    )


def _checked_actions(actions: Sequence[str], problems: list[FieldViolation]) -> tuple[str, ...]:
    if len(actions) > MAX_ACTIONS:
        problems.append(
            FieldViolation("analysis.corrective_actions", f"must hold at most {MAX_ACTIONS}")
        )
        return ()
    kept: list[str] = []
    for index, action in enumerate(actions):
        action = " ".join(action.split())
        if len(action) > MAX_ACTION:
            problems.append(
                FieldViolation(
                    f"analysis.corrective_actions[{index}]",
                    f"must be at most {MAX_ACTION} characters",
                )
            )
        elif action:
            kept.append(action)
    return tuple(kept)


__all__ = [
    "ANALYSES",
    "DESIGNATIONS",
    "AnalysisEdit",
    "AnalysisRepository",
    "AnalysisService",
    "RulesEngine",
    "corrective_actions_of",
    "violation_from_finding",
]
