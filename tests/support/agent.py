"""Helpers for the AgentService tests: scripted fake LLM servers, database peeks."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from fakes import Exchange, RecordedRequest
from fakes.ollama_server import FakeOllama
from fakes.openai_server import FakeOpenAI
from opengovfood.db.models import ConversationMessage, InspectionAnalysis, Item
from support.rpc_errors import field_violations

# A valid analysis as a model would return it.
# What a large model answers for an analysis (services/narrative.py): the rules cite.
GOOD_ANALYSIS: dict[str, Any] = {
    "summary": "Cold holding and cross-contamination problems in the kitchen.",
    "public_health_narrative": "Warm storage and raw-over-ready food can spread Salmonella.",
    "proposed_violations": [],
}


class _Scripted:
    """Mixin: ``turns`` is a list of attribute dicts applied one per chat request
    (streamed or not), so one RPC can see several different model answers."""

    turns: list[dict[str, Any]]

    def _next_turn(self) -> None:
        if self.turns:
            for key, value in self.turns.pop(0).items():
                setattr(self, key, value)


class ScriptedOllama(_Scripted, FakeOllama):
    def __init__(self) -> None:
        super().__init__()
        self.turns = []

    async def handle(self, request: RecordedRequest, ex: Exchange) -> None:
        if request.path == "/api/chat":
            self._next_turn()
        await super().handle(request, ex)


class ScriptedOpenAI(_Scripted, FakeOpenAI):
    def __init__(self) -> None:
        super().__init__()
        self.turns = []

    async def handle(self, request: RecordedRequest, ex: Exchange) -> None:
        if request.path == "/v1/chat/completions":
            self._next_turn()
        await super().handle(request, ex)


_KEEP = {"port", "_server", "_tasks"}


def reset(fake: Any, kind: type) -> None:
    """Put a session-long fake back to its initial script (and forget requests)."""
    fresh = kind()
    for key, value in vars(fresh).items():
        if key not in _KEEP:
            setattr(fake, key, value)


async def add_item(sessions: Any, owner_id: int, title: str = "Kitchen inspection") -> int:
    async with sessions() as session, session.begin():
        item = Item(title=title, description="", status="pending", owner_id=owner_id)
        session.add(item)
        await session.flush()
        return int(item.id)


async def stored_messages(sessions: Any, conversation_id: int) -> list[ConversationMessage]:
    async with sessions() as session:
        rows = await session.execute(
            select(ConversationMessage)
            .where(ConversationMessage.conversation_id == conversation_id)
            .order_by(ConversationMessage.id)
        )
        return list(rows.scalars())


async def analyses_of(sessions: Any, owner_id: int) -> list[InspectionAnalysis]:
    async with sessions() as session:
        rows = await session.execute(
            select(InspectionAnalysis).where(InspectionAnalysis.owner_id == owner_id)
        )
        return list(rows.scalars())


def dumps(obj: Any) -> str:
    return json.dumps(obj)


def bad_fields(error: Any) -> set[str]:
    """Fields named by the google.rpc.BadRequest detail of a failed call."""
    return set(field_violations(error))
