"""`--provider NAME`: the whole analysis as AnalyzeInspection makes it (rules engine, score,
and the model's narrative and proposals) through the agent's AnalysisService, on the
provider configured by the usual settings (OPENGOVFOOD_LLM_*, OPENGOVFOOD_OLLAMA_URL, ...).

Every violation the analysis returns is scored by the harness, the model's proposals
included (they are what the model adds; the service itself does not count them in the
score until an inspector keeps them). Latency is the whole analysis, model included.
Analyses are kept in memory: the harness needs no database.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from opengovfood.config import Settings
from opengovfood.domain.analyses import AnalysisRecord, NewAnalysis, ViolationSource
from opengovfood.domain.pagination import PageTokens
from opengovfood.domain.principal import Principal
from opengovfood.domain.timestamps import utcnow
from opengovfood.llm import ProviderRegistry
from opengovfood.services.analyses import AnalysisService, RulesEngine

from .metrics import Predicted
from .runner import PROVIDERS

__all__ = ["ServiceAnalyser", "register"]

_EVALUATOR = Principal(kind="user", user_id=1, name="eval")


@dataclass
class _KeptAnalyses:
    """The part of the analysis repository AnalyzeInspection uses, in memory."""

    rows: list[AnalysisRecord] = field(default_factory=list)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def item_visible(self, item_id: int, scope: object) -> bool:
        return False

    async def add(self, new: NewAnalysis) -> AnalysisRecord:
        now = utcnow()
        record = AnalysisRecord(
            id=next(self.ids),
            owner_id=new.owner_id,
            item_id=new.item_id,
            notes=new.notes,
            summary=new.summary,
            violations=new.violations,
            corrective_actions=new.corrective_actions,
            score=new.score,
            public_health_narrative=new.public_health_narrative,
            narrative_missing=new.narrative_missing,
            provider=new.provider,
            model=new.model,
            create_time=now,
            update_time=now,
            version=1,
        )
        self.rows.append(record)
        return record


class ServiceAnalyser:
    """Analyses notes through AnalysisService on one provider (a private event loop)."""

    def __init__(self, provider: str, settings: Settings | None = None) -> None:
        settings = settings or Settings()
        self.provider = provider
        self._runner = asyncio.Runner()
        self._registry = ProviderRegistry.from_options(
            default=provider,
            local_model_path=str(settings.local_model_path) if settings.local_model_path else None,
            ollama_url=settings.ollama_url,
            openai_base_url=settings.openai_base_url,
            openai_api_key=(
                settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
            ),
            model=settings.llm_model,
            timeout=settings.llm_timeout,
        )
        self.kept = _KeptAnalyses()
        self._service = AnalysisService(
            self.kept,  # type: ignore[arg-type]  # only item_visible and add are used
            self._registry,
            PageTokens(b"the evaluation harness's page tokens, unused"),
            RulesEngine(),
            scheme=settings.scoring_scheme,
            model_timeout=settings.analysis_model_timeout,
        )
        self.narratives_missing = 0

    def analyse(self, notes: str) -> Sequence[Predicted]:
        record = self._runner.run(self._service.analyze(_EVALUATOR, notes, 0, self.provider, ""))
        self.narratives_missing += record.narrative_missing
        return [
            Predicted(
                form_item=v.form_item,
                designation=v.severity,
                section=v.food_code_section,
                evidence=v.evidence,
                corrected_on_site=v.corrected_on_site,
                repeat=v.repeat,
            )
            for v in record.violations
            if v.source in (ViolationSource.RULE, ViolationSource.MODEL)
        ]

    def close(self) -> None:
        async def aclose() -> None:
            for name in self._registry.names:
                await self._registry.get(name).aclose()

        self._runner.run(aclose())
        self._runner.close()


def register() -> None:
    for name in ("local", "ollama", "openai"):
        PROVIDERS[name] = lambda name=name: ServiceAnalyser(name)  # type: ignore[misc]
