"""Inspection analyses: the model's JSON, validated (services/analysis_schema.py), with
one repair attempt, then a clear error; nothing is ever made up. Analyses are seen
within the caller's scope (domain/scopes.py): an inspector's own, a supervisor's whole
department; anything else answers NOT_FOUND, exactly as if it did not exist.

    service = AnalysisService(repository, registry)
    analysis = await service.analyze(principal, notes, item_id=0, provider="", model="")
    analysis = await service.get_analysis(principal, analysis.id)
    page = await service.list_analyses(principal, page_size=20, filter="item_id = 3")
"""

from __future__ import annotations

import logging
from typing import Protocol

from opengovfood.domain.analyses import AnalysisRecord, NewAnalysis, Violation
from opengovfood.domain.departments import DEFAULT_DEPARTMENT_ID
from opengovfood.domain.filters import FilterSpec, integer_field, timestamp_field
from opengovfood.domain.listing import ListQuery, ListSpec, Page
from opengovfood.domain.pagination import OrderSpec, PageTokens, SortField
from opengovfood.domain.principal import Principal
from opengovfood.domain.scopes import Scope, read_scope
from opengovfood.errors import (
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from opengovfood.llm import ChatMessage, LLMError, Provider, ProviderRegistry
from opengovfood.reasons import Reason
from opengovfood.services.analysis_schema import (
    ANALYSIS_SYSTEM_PROMPT,
    AnalysisInvalid,
    AnalysisResult,
    analysis_schema,
    parse_analysis,
    repair_prompt,
)
from opengovfood.services.llm_errors import service_error
from opengovfood.services.models import check_model_name, estimate_tokens, pick_provider

logger = logging.getLogger("opengovfood.agent")

MAX_NOTES = 20_000

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
    async def item_department(self, item_id: int, scope: Scope) -> int | None: ...
    async def add(self, new: NewAnalysis) -> AnalysisRecord: ...
    async def get(self, analysis_id: int, scope: Scope) -> AnalysisRecord | None: ...
    async def page(self, query: ListQuery, scope: Scope) -> list[AnalysisRecord]: ...
    async def count(self, query: ListQuery, scope: Scope) -> int: ...


def _owner(principal: Principal) -> int:
    if principal.user_id is None:
        raise PermissionDenied(
            "this method is for signed-in users, not service principals",
            reason=Reason.PRINCIPAL_NOT_ALLOWED,
        )
    return principal.user_id


class AnalysisService:
    def __init__(
        self, analyses: AnalysisRepository, registry: ProviderRegistry, page_tokens: PageTokens
    ) -> None:
        self._analyses = analyses
        self._registry = registry
        self._page_tokens = page_tokens

    async def analyze(
        self, principal: Principal, notes: str, item_id: int, provider_name: str, model_name: str
    ) -> AnalysisRecord:
        owner_id = _owner(principal)
        notes = notes.strip()
        violations: list[FieldViolation] = []
        if not notes:
            violations.append(FieldViolation("notes", "is required"))
        elif len(notes) > MAX_NOTES:
            violations.append(FieldViolation("notes", f"must be at most {MAX_NOTES} characters"))
        if item_id < 0:
            violations.append(FieldViolation("item_id", "must not be negative"))
        if violations:
            raise InvalidArgument.for_fields(violations)
        # The item first: someone else's answers NOT_FOUND whatever else the request says.
        # An analysis of an item lives in the item's department; a free one, the caller's.
        department = principal.department_id or DEFAULT_DEPARTMENT_ID
        if item_id:
            found = await self._analyses.item_department(item_id, read_scope(principal))
            if found is None:
                raise NotFound(f"item {item_id} not found")
            department = found
        model = check_model_name(model_name)
        provider = pick_provider(self._registry, provider_name)
        limits = provider.limits
        prompt_budget = (
            limits.context_window
            - (limits.analysis_max_tokens or 0)
            - estimate_tokens(ANALYSIS_SYSTEM_PROMPT)
        )
        if limits.exact_window and estimate_tokens(notes) > prompt_budget:
            raise InvalidArgument.field(
                "notes",
                f"is too long for the model of LLM provider '{provider.name}' "
                f"(at most about {prompt_budget * 3} characters); shorten the notes or "
                "use a provider with a larger model",
            )

        result = await self._generate(provider, model, notes)
        return await self._analyses.add(
            NewAnalysis(
                owner_id=owner_id,
                item_id=item_id or None,
                notes=notes,
                summary=result.summary,
                violations=tuple(
                    Violation(v.code, v.description, v.severity) for v in result.violations
                ),
                corrective_actions=tuple(result.corrective_actions),
                compliance_score=result.compliance_score,
                public_health_narrative=result.public_health_narrative,
                provider=provider.name,
                model=model or provider.default_model,
                department_id=department,
            )
        )

    async def _generate(self, provider: Provider, model: str | None, notes: str) -> AnalysisResult:
        limits = provider.limits
        schema = analysis_schema(bounded=limits.bounded_output)
        max_tokens = limits.analysis_max_tokens
        messages = [
            ChatMessage(role="system", content=ANALYSIS_SYSTEM_PROMPT),
            ChatMessage(role="user", content=notes),
        ]
        try:
            answer = await provider.complete_json(
                messages, schema=schema, model=model, max_tokens=max_tokens
            )
            try:
                return parse_analysis(answer)
            except AnalysisInvalid as first:
                logger.info("analysis from %r invalid (%s); asking once more", provider.name, first)
                problem = str(first)
            # The one repair attempt: show the model its answer and what is wrong.
            messages += [
                ChatMessage(role="assistant", content=answer[:4000]),
                ChatMessage(role="user", content=repair_prompt(problem)),
            ]
            answer = await provider.complete_json(
                messages, schema=schema, model=model, max_tokens=max_tokens
            )
        except LLMError as exc:
            raise service_error(exc, model_named=model is not None) from None
        try:
            return parse_analysis(answer)
        except AnalysisInvalid as second:
            raise FailedPrecondition(
                f"LLM provider '{provider.name}' (model '{model or provider.default_model}') "
                f"did not produce a valid analysis, even after one retry ({second}); nothing "
                "was stored. Try again or use a larger model.",
                reason=Reason.LLM_OUTPUT_INVALID,
            ) from None

    async def get_analysis(self, principal: Principal, analysis_id: int) -> AnalysisRecord:
        _owner(principal)
        if analysis_id <= 0:
            raise InvalidArgument.field("id", "must be a positive analysis id")
        found = await self._analyses.get(analysis_id, read_scope(principal))
        if found is None:
            raise NotFound(f"analysis {analysis_id} not found")
        return found

    async def list_analyses(
        self, principal: Principal, *, page_size: int = 0, page_token: str = "", filter: str = ""
    ) -> Page[AnalysisRecord]:
        _owner(principal)
        scope = read_scope(principal)
        query = ANALYSES.query(
            self._page_tokens,
            principal.view_key,
            page_size=page_size,
            page_token=page_token,
            filter=filter,
        )
        rows = await self._analyses.page(query, scope)
        total = query.known_total(len(rows))
        if total is None:
            total = await self._analyses.count(query, scope)
        return ANALYSES.page(self._page_tokens, query, rows, total)
