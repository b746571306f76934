"""AgentService servicer: protobuf <-> plain values around services.agent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any

import grpc
from google.protobuf import timestamp_pb2

from opengovfood.db.models import InspectionAnalysis
from opengovfood.services.agent import AgentService
from opengovfood_client.v1 import agent_pb2, agent_pb2_grpc

Context = grpc.aio.ServicerContext[Any, Any]

_SEVERITY = {
    "critical": agent_pb2.VIOLATION_SEVERITY_CRITICAL,
    "major": agent_pb2.VIOLATION_SEVERITY_MAJOR,
    "minor": agent_pb2.VIOLATION_SEVERITY_MINOR,
}


def analysis_to_proto(row: InspectionAnalysis) -> agent_pb2.InspectionAnalysis:
    created = timestamp_pb2.Timestamp()
    created.FromDatetime(row.create_time)
    return agent_pb2.InspectionAnalysis(
        id=row.id,
        item_id=row.item_id or 0,
        summary=row.summary,
        violations=[
            agent_pb2.Violation(
                code=str(v.get("code", "")),
                description=str(v.get("description", "")),
                severity=_SEVERITY.get(
                    str(v.get("severity", "")), agent_pb2.VIOLATION_SEVERITY_UNSPECIFIED
                ),
            )
            for v in row.violations
        ],
        corrective_actions=list(row.corrective_actions),
        compliance_score=row.compliance_score,
        public_health_narrative=row.public_health_narrative,
        provider=row.provider,
        model=row.model,
        create_time=created,
    )


class AgentServicer(agent_pb2_grpc.AgentServiceServicer):
    def __init__(self, agent: AgentService) -> None:
        self._agent = agent

    async def AnalyzeInspection(
        self, request: agent_pb2.AnalyzeInspectionRequest, context: Context
    ) -> agent_pb2.InspectionAnalysis:
        row = await self._agent.analyze(
            request.notes, request.item_id, request.provider, request.model
        )
        return analysis_to_proto(row)

    async def GetAnalysis(
        self, request: agent_pb2.GetAnalysisRequest, context: Context
    ) -> agent_pb2.InspectionAnalysis:
        return analysis_to_proto(await self._agent.get_analysis(request.id))

    async def ListAnalyses(
        self, request: agent_pb2.ListAnalysesRequest, context: Context
    ) -> agent_pb2.ListAnalysesResponse:
        page = await self._agent.list_analyses(
            request.page_size, request.page_token, request.filter
        )
        return agent_pb2.ListAnalysesResponse(
            analyses=[analysis_to_proto(row) for row in page.analyses],
            next_page_token=page.next_page_token,
            total_size=page.total_size,
        )

    async def Chat(
        self, request: agent_pb2.ChatRequest, context: Context
    ) -> AsyncIterator[agent_pb2.ChatResponse]:
        # aclosing: however the RPC ends (cancelled, deadline), the turn's generator
        # and the provider stream inside it are closed now, not at garbage collection.
        chunks = self._agent.chat(
            request.message, request.conversation_id, request.provider, request.model
        )
        async with aclosing(chunks):
            async for chunk in chunks:
                yield agent_pb2.ChatResponse(
                    text=chunk.text, conversation_id=chunk.conversation_id, done=chunk.done
                )

    async def ListModels(
        self, request: agent_pb2.ListModelsRequest, context: Context
    ) -> agent_pb2.ListModelsResponse:
        models = await self._agent.list_models()
        return agent_pb2.ListModelsResponse(
            models=[agent_pb2.Model(name=m.name, provider=m.provider) for m in models]
        )

    async def PullModel(
        self, request: agent_pb2.PullModelRequest, context: Context
    ) -> AsyncIterator[agent_pb2.PullModelProgress]:
        progress = self._agent.pull_model(request.name)
        async with aclosing(progress):
            async for step in progress:
                yield agent_pb2.PullModelProgress(
                    status=step.status, completed=step.completed, total=step.total
                )
