"""AgentService servicer: protobuf <-> plain values around the analysis, chat and
model services; the caller is passed on explicitly."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import aclosing
from typing import Any

import grpc

from opengovfood.context import current_principal
from opengovfood.domain.analyses import AnalysisRecord, Violation, ViolationSource
from opengovfood.inspection.catalogue import ViolationType, catalogue
from opengovfood.rpc.timestamps import set_timestamp
from opengovfood.services.analyses import AnalysisEdit, AnalysisService
from opengovfood.services.chat import ChatService
from opengovfood.services.models import ModelService
from opengovfood_client.v1 import agent_pb2, agent_pb2_grpc

Context = grpc.aio.ServicerContext[Any, Any]

_SEVERITY = {
    "P": agent_pb2.VIOLATION_SEVERITY_PRIORITY,
    "Pf": agent_pb2.VIOLATION_SEVERITY_PRIORITY_FOUNDATION,
    "C": agent_pb2.VIOLATION_SEVERITY_CORE,
    # Analyses stored before the Food Code catalogue.
    "critical": agent_pb2.VIOLATION_SEVERITY_CRITICAL,
    "major": agent_pb2.VIOLATION_SEVERITY_MAJOR,
    "minor": agent_pb2.VIOLATION_SEVERITY_MINOR,
}
_SEVERITY_NAME = {number: name for name, number in _SEVERITY.items()}
_SOURCE = {
    ViolationSource.UNSPECIFIED: agent_pb2.VIOLATION_SOURCE_UNSPECIFIED,
    ViolationSource.RULE: agent_pb2.VIOLATION_SOURCE_RULE,
    ViolationSource.MODEL: agent_pb2.VIOLATION_SOURCE_MODEL,
    ViolationSource.INSPECTOR: agent_pb2.VIOLATION_SOURCE_INSPECTOR,
}
_SOURCE_NAME = {number: source for source, number in _SOURCE.items()}


def violation_to_proto(v: Violation) -> agent_pb2.Violation:
    return agent_pb2.Violation(
        code=v.code,
        description=v.description,
        severity=_SEVERITY.get(v.severity, agent_pb2.VIOLATION_SEVERITY_UNSPECIFIED),
        food_code_section=v.food_code_section,
        form_item=v.form_item,
        evidence=v.evidence,
        source=_SOURCE[v.source],
        corrected_on_site=v.corrected_on_site,
        repeat=v.repeat,
        corrective_action=v.corrective_action,
    )


def violation_from_proto(v: agent_pb2.Violation) -> Violation:
    """The client's violation as plain values; unknown enum numbers read as unspecified
    (the service derives severity from the section)."""
    return Violation(
        code=v.code,
        description=v.description,
        severity=_SEVERITY_NAME.get(v.severity, ""),
        food_code_section=v.food_code_section,
        form_item=v.form_item,
        evidence=v.evidence,
        source=_SOURCE_NAME.get(v.source, ViolationSource.UNSPECIFIED),
        corrected_on_site=v.corrected_on_site,
        repeat=v.repeat,
        corrective_action=v.corrective_action,
    )


def _fill_analysis(message: agent_pb2.InspectionAnalysis, record: AnalysisRecord) -> None:
    """Set `message`'s fields in place: sub-messages added where they live are not
    built apart and copied in (a ListAnalyses page converts 50 analyses)."""
    score = record.score
    message.id = record.id
    message.item_id = record.item_id or 0
    message.summary = record.summary
    add = message.violations.add
    for v in record.violations:
        add(
            code=v.code,
            description=v.description,
            severity=_SEVERITY.get(v.severity, agent_pb2.VIOLATION_SEVERITY_UNSPECIFIED),
            food_code_section=v.food_code_section,
            form_item=v.form_item,
            evidence=v.evidence,
            source=_SOURCE[v.source],
            corrected_on_site=v.corrected_on_site,
            repeat=v.repeat,
            corrective_action=v.corrective_action,
        )
    message.corrective_actions.extend(record.corrective_actions)
    message.compliance_score = score.compliance_score
    message.public_health_narrative = record.public_health_narrative
    message.provider = record.provider
    message.model = record.model
    message.score = score.score
    message.grade = score.grade
    message.scoring_scheme = score.scheme
    message.etag = record.etag
    message.narrative_missing = record.narrative_missing
    set_timestamp(message.create_time, record.create_time)
    set_timestamp(message.update_time, record.update_time)


def analysis_to_proto(record: AnalysisRecord) -> agent_pb2.InspectionAnalysis:
    message = agent_pb2.InspectionAnalysis()
    _fill_analysis(message, record)
    return message


def list_response(
    records: Iterable[AnalysisRecord], next_page_token: str, total_size: int
) -> agent_pb2.ListAnalysesResponse:
    response = agent_pb2.ListAnalysesResponse(
        next_page_token=next_page_token, total_size=total_size
    )
    add = response.analyses.add
    for record in records:
        _fill_analysis(add(), record)
    return response


def violation_type_to_proto(entry: ViolationType) -> agent_pb2.ViolationType:
    return agent_pb2.ViolationType(
        food_code_section=entry.section,
        title=entry.title,
        form_item=entry.form_item,
        severity=_SEVERITY[entry.designation.value],
        corrective_action=entry.corrective_action,
        form_item_title=catalogue().form_item(entry.form_item).title,
    )


class AgentServicer(agent_pb2_grpc.AgentServiceServicer):
    def __init__(self, analyses: AnalysisService, chat: ChatService, models: ModelService) -> None:
        self._analyses = analyses
        self._chat = chat
        self._models = models

    async def AnalyzeInspection(
        self, request: agent_pb2.AnalyzeInspectionRequest, context: Context
    ) -> agent_pb2.InspectionAnalysis:
        record = await self._analyses.analyze(
            current_principal(), request.notes, request.item_id, request.provider, request.model
        )
        return analysis_to_proto(record)

    async def GetAnalysis(
        self, request: agent_pb2.GetAnalysisRequest, context: Context
    ) -> agent_pb2.InspectionAnalysis:
        record = await self._analyses.get_analysis(current_principal(), request.id)
        return analysis_to_proto(record)

    async def UpdateAnalysis(
        self, request: agent_pb2.UpdateAnalysisRequest, context: Context
    ) -> agent_pb2.InspectionAnalysis:
        analysis = request.analysis
        edit = AnalysisEdit(
            analysis_id=analysis.id,
            etag=analysis.etag,
            update_mask=tuple(request.update_mask.paths),
            summary=analysis.summary,
            violations=tuple(violation_from_proto(v) for v in analysis.violations),
            corrective_actions=tuple(analysis.corrective_actions),
        )
        record = await self._analyses.update_analysis(current_principal(), edit)
        return analysis_to_proto(record)

    async def ListViolationTypes(
        self, request: agent_pb2.ListViolationTypesRequest, context: Context
    ) -> agent_pb2.ListViolationTypesResponse:
        entries = self._analyses.violation_types(current_principal(), request.form_item)
        return agent_pb2.ListViolationTypesResponse(
            violation_types=[violation_type_to_proto(entry) for entry in entries]
        )

    async def ListAnalyses(
        self, request: agent_pb2.ListAnalysesRequest, context: Context
    ) -> agent_pb2.ListAnalysesResponse:
        page = await self._analyses.list_analyses(
            current_principal(),
            page_size=request.page_size,
            page_token=request.page_token,
            filter=request.filter,
        )
        return list_response(page.items, page.next_page_token, page.total_size)

    async def Chat(
        self, request: agent_pb2.ChatRequest, context: Context
    ) -> AsyncIterator[agent_pb2.ChatResponse]:
        # aclosing: however the RPC ends (cancelled, deadline), the turn's generator
        # and the provider stream inside it are closed now, not at garbage collection.
        chunks = self._chat.chat(
            current_principal(),
            request.message,
            request.conversation_id,
            request.provider,
            request.model,
        )
        async with aclosing(chunks):
            async for chunk in chunks:
                yield agent_pb2.ChatResponse(
                    text=chunk.text, conversation_id=chunk.conversation_id, done=chunk.done
                )

    async def ListModels(
        self, request: agent_pb2.ListModelsRequest, context: Context
    ) -> agent_pb2.ListModelsResponse:
        models = await self._models.list_models(current_principal())
        return agent_pb2.ListModelsResponse(
            models=[agent_pb2.Model(name=m.name, provider=m.provider) for m in models]
        )

    async def PullModel(
        self, request: agent_pb2.PullModelRequest, context: Context
    ) -> AsyncIterator[agent_pb2.PullModelProgress]:
        progress = self._models.pull_model(current_principal(), request.name)
        async with aclosing(progress):
            async for step in progress:
                yield agent_pb2.PullModelProgress(
                    status=step.status, completed=step.completed, total=step.total
                )
