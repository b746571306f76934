"""The inspectors' LLM assistant: inspection analyses and stored, streamed chat.

Rules that live here:

* Everything is owner-scoped: analyses and conversations of other users answer
  NOT_FOUND, exactly as if they did not exist.
* An analysis is the model's JSON, validated (``analysis_schema``); invalid output
  gets one repair attempt, then a clear error. Nothing is ever made up.
* A chat turn stores the user's message before asking the model, then the
  assistant's answer (and any tool calls and their results) as they complete.
  A turn that fails or is cancelled before the client saw anything is removed
  again; one that fails or is cancelled mid-answer keeps the partial answer,
  marked incomplete.
* No database transaction is held open while a model generates.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from opengovfood.context import current_principal, current_user_id
from opengovfood.db.models import Conversation, ConversationMessage, InspectionAnalysis
from opengovfood.errors import (
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unavailable,
)
from opengovfood.llm import (
    ChatMessage,
    LLMError,
    LocalProvider,
    ModelInfo,
    Provider,
    ProviderRegistry,
    PullProgress,
    TextDelta,
    ToolCall,
    ToolCallsRequested,
    ToolSpec,
)
from opengovfood.repositories import analyses as analyses_repo
from opengovfood.repositories import conversations as conversations_repo
from opengovfood.services.analysis_query import ANALYSIS_FILTERS, ANALYSIS_ORDER
from opengovfood.services.analysis_schema import (
    ANALYSIS_SYSTEM_PROMPT,
    AnalysisInvalid,
    AnalysisResult,
    analysis_schema,
    parse_analysis,
    repair_prompt,
)
from opengovfood.services.llm_errors import service_error
from opengovfood.services.pagination import PageTokens, clamp_page_size, fingerprint

logger = logging.getLogger("opengovfood.agent")

MAX_NOTES = 20_000
MAX_CHAT_MESSAGE = 20_000
MAX_MODEL_NAME = 200
# Tool rounds per chat turn; after the last one the model must answer in text.
MAX_TOOL_ROUNDS = 4
MAX_TOOL_CALLS_PER_ROUND = 8
# Stored messages looked at when continuing a conversation (then trimmed to fit).
HISTORY_LIMIT = 200
# Local generation limits: a 135M model on a CPU; bounded output keeps turns short.
LOCAL_CHAT_MAX_TOKENS = 512
LOCAL_ANALYSIS_MAX_TOKENS = 1024
# Context windows assumed for remote models (Ollama's default num_ctx is 4096; it
# truncates longer prompts itself). Tokens are estimated, never counted exactly.
_REMOTE_CONTEXT = {"ollama": 4096, "openai": 16_384}
_REMOTE_REPLY_RESERVE = {"ollama": 1024, "openai": 2048}
_SAVE_TIMEOUT = 5.0

CHAT_SYSTEM_PROMPT = (
    "You are the OpenGov-Food assistant for food-safety inspectors. Answer clearly and briefly."
)
CHAT_TOOLS_PROMPT = (
    " You can list, read, create and update the status of the user's inspection items "
    "with the tools provided; use them when the user asks about their items, and never "
    "invent item data."
)

_MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/@+-]*")


class ChatTools(Protocol):
    """Tools the model may call during a chat; they run as the calling user."""

    @property
    def specs(self) -> Sequence[ToolSpec]: ...

    async def run(self, call: ToolCall) -> str:
        """The result for the model (JSON text); refusals are results, not exceptions."""
        ...


@dataclass(frozen=True, slots=True)
class AnalysisPage:
    analyses: list[InspectionAnalysis]
    next_page_token: str
    total_size: int


@dataclass(frozen=True, slots=True)
class ChatChunk:
    """One streamed piece of a chat answer; the last one has ``done`` set."""

    text: str
    conversation_id: int
    done: bool = False


@dataclass(slots=True)
class _Turn:
    """One chat turn in progress: what is stored and what the client has seen."""

    conversation_id: int
    first_message_id: int
    created: bool
    parts: list[str] = field(default_factory=list)  # the current round's unsaved text
    sent_text: bool = False
    ran_tools: bool = False


def estimate_tokens(text: str) -> int:
    """A deliberately high token estimate (about 3 characters per token)."""
    return len(text) // 3 + 1


def _message_tokens(message: ChatMessage) -> int:
    size = estimate_tokens(message.content) + 4
    for call in message.tool_calls:
        size += estimate_tokens(call.name + json.dumps(call.arguments)) + 4
    return size


def _check_model_name(model: str) -> str | None:
    model = model.strip()
    if not model:
        return None
    if len(model) > MAX_MODEL_NAME or not _MODEL_NAME.fullmatch(model):
        raise InvalidArgument.field(
            "model", f"must be a model name of at most {MAX_MODEL_NAME} characters"
        )
    return model


def history_messages(rows: Sequence[ConversationMessage]) -> list[ChatMessage]:
    """Stored messages as provider messages.

    Tool calls whose results were never stored (a turn cancelled while a tool ran)
    are left out, and so are results of calls that are not in the history: the
    OpenAI API rejects both.
    """
    answered = {r.tool_call_id for r in rows if r.role == "tool" and r.tool_call_id}
    known: set[str] = set()
    out: list[ChatMessage] = []
    for row in rows:
        if row.role == "user":
            out.append(ChatMessage(role="user", content=row.content))
        elif row.role == "assistant":
            calls = tuple(
                ToolCall(id=str(c["id"]), name=str(c["name"]), arguments=c.get("arguments") or {})
                for c in row.tool_calls or ()
                if isinstance(c, dict) and c.get("id") in answered
            )
            known.update(c.id for c in calls)
            if row.content or calls:
                out.append(ChatMessage(role="assistant", content=row.content, tool_calls=calls))
        elif row.role == "tool" and row.tool_call_id in known:
            out.append(
                ChatMessage(
                    role="tool",
                    content=row.content,
                    tool_call_id=row.tool_call_id,
                    name=row.tool_name,
                )
            )
    return out


def trim_history(history: Sequence[ChatMessage], budget: int) -> list[ChatMessage]:
    """The newest messages that fit ``budget`` tokens, starting at a user message."""
    kept: list[ChatMessage] = []
    used = 0
    for message in reversed(history):
        used += _message_tokens(message)
        if used > budget:
            break
        kept.append(message)
    kept.reverse()
    # Never start with a tool result or an assistant reply whose question was cut.
    while kept and kept[0].role != "user":
        kept.pop(0)
    return kept


class AgentService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        registry: ProviderRegistry,
        page_tokens: PageTokens,
        tools: ChatTools | None = None,
    ) -> None:
        self._sessions = sessions
        self._page_tokens = page_tokens
        self._engine: AsyncEngine = sessions.kw["bind"]
        self.registry = registry
        self._tools = tools

    # ----------------------------------------------------------------- helpers

    def _provider(self, name: str | None) -> Provider:
        try:
            return self.registry.get(name.strip() if name else None)
        except LLMError as exc:
            raise service_error(exc) from None

    @staticmethod
    def _context_window(provider: Provider) -> tuple[int, int]:
        """(context tokens, tokens reserved for the reply) of the provider's model."""
        if isinstance(provider, LocalProvider):
            return provider.n_ctx, LOCAL_CHAT_MAX_TOKENS
        return (
            _REMOTE_CONTEXT.get(provider.name, 4096),
            _REMOTE_REPLY_RESERVE.get(provider.name, 1024),
        )

    # --------------------------------------------------------------- analyses

    async def analyze(
        self, notes: str, item_id: int, provider_name: str, model_name: str
    ) -> InspectionAnalysis:
        owner_id = current_user_id()
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
        model = _check_model_name(model_name)
        provider = self._provider(provider_name)
        local = isinstance(provider, LocalProvider)
        max_tokens = LOCAL_ANALYSIS_MAX_TOKENS if local else None
        window, _ = self._context_window(provider)
        prompt_budget = window - (max_tokens or 0) - estimate_tokens(ANALYSIS_SYSTEM_PROMPT)
        # Only the local model's window is known for sure; remote servers answer for
        # themselves (and their operators may have configured larger windows).
        if local and estimate_tokens(notes) > prompt_budget:
            raise InvalidArgument.field(
                "notes",
                f"is too long for the model of LLM provider '{provider.name}' "
                f"(at most about {prompt_budget * 3} characters); shorten the notes or "
                "use a provider with a larger model",
            )
        if item_id:
            async with self._sessions() as session:
                if not await analyses_repo.item_owned_by(session, item_id, owner_id):
                    raise NotFound(f"item {item_id} not found")

        result = await self._generate_analysis(provider, model, notes, local, max_tokens)
        async with self._sessions() as session, session.begin():
            return await analyses_repo.add(
                session,
                InspectionAnalysis(
                    owner_id=owner_id,
                    item_id=item_id or None,
                    notes=notes,
                    summary=result.summary,
                    violations=[
                        {"code": v.code, "description": v.description, "severity": v.severity}
                        for v in result.violations
                    ],
                    corrective_actions=list(result.corrective_actions),
                    compliance_score=result.compliance_score,
                    public_health_narrative=result.public_health_narrative,
                    provider=provider.name,
                    model=model or provider.default_model,
                ),
            )

    async def _generate_analysis(
        self,
        provider: Provider,
        model: str | None,
        notes: str,
        bounded: bool,
        max_tokens: int | None,
    ) -> AnalysisResult:
        schema = analysis_schema(bounded=bounded)
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
                "was stored. Try again or use a larger model."
            ) from None

    async def get_analysis(self, analysis_id: int) -> InspectionAnalysis:
        owner_id = current_user_id()
        if analysis_id <= 0:
            raise InvalidArgument.field("id", "must be a positive analysis id")
        async with self._sessions() as session:
            found = await analyses_repo.get_owned(session, owner_id, analysis_id)
        if found is None:
            raise NotFound(f"analysis {analysis_id} not found")
        return found

    async def list_analyses(self, size: int, token: str, filter_text: str) -> AnalysisPage:
        principal = current_principal()
        owner_id = current_user_id()
        limit = clamp_page_size(size)
        parsed = ANALYSIS_FILTERS.parse(filter_text)
        order = ANALYSIS_ORDER
        query = fingerprint("analyses", principal.key, parsed.canonical, order.canonical)
        cursor = self._page_tokens.decode(token, order, query)
        after = None if cursor is None else cursor.key
        async with self._sessions() as session:
            where = [InspectionAnalysis.owner_id == owner_id]
            if parsed.node is not None:
                where.append(parsed.where(session.get_bind().dialect.name))
            page_where = [*where, order.after(after)] if after is not None else where
            rows = await analyses_repo.list_page(session, page_where, order.clauses(), limit + 1)
            total = await analyses_repo.count(session, where)
        next_token = (
            self._page_tokens.encode(order, rows[limit - 1], query) if len(rows) > limit else ""
        )
        return AnalysisPage(rows[:limit], next_token, total)

    # -------------------------------------------------------------------- chat

    async def chat(
        self, message: str, conversation_id: int, provider_name: str, model_name: str
    ) -> AsyncGenerator[ChatChunk, None]:
        """Stream one chat turn; see the module docstring for what is stored when."""
        owner_id = current_user_id()
        text = message.strip()
        if not text:
            raise InvalidArgument.field("message", "is required")
        if len(text) > MAX_CHAT_MESSAGE:
            raise InvalidArgument.field("message", f"must be at most {MAX_CHAT_MESSAGE} characters")
        if conversation_id < 0:
            raise InvalidArgument.field("conversation_id", "must not be negative")
        model = _check_model_name(model_name)

        rows: list[ConversationMessage] = []
        conversation: Conversation | None = None
        if conversation_id:
            async with self._sessions() as session:
                conversation = await conversations_repo.get_owned(
                    session, owner_id, conversation_id
                )
                if conversation is None:
                    raise NotFound(f"conversation {conversation_id} not found")
                rows = await conversations_repo.recent_messages(
                    session, conversation_id, HISTORY_LIMIT
                )
        # A continued conversation keeps its provider and model unless the request
        # names others (or its provider is no longer configured).
        if (
            not provider_name.strip()
            and conversation is not None
            and conversation.provider in self.registry
        ):
            provider_name = conversation.provider
            model = model or conversation.model
        provider = self._provider(provider_name)
        model_named = bool(model_name.strip())
        model = model or provider.default_model

        tools = list(self._tools.specs) if self._tools and provider.supports_tools else []
        system = CHAT_SYSTEM_PROMPT + (CHAT_TOOLS_PROMPT if tools else "")
        window, reserve = self._context_window(provider)
        user_message = ChatMessage(role="user", content=text)
        fixed = (
            estimate_tokens(system)
            + sum(estimate_tokens(t.name + t.description + json.dumps(t.parameters)) for t in tools)
            + _message_tokens(user_message)
        )
        budget = window - reserve - fixed
        if budget < 0 and isinstance(provider, LocalProvider):
            raise InvalidArgument.field(
                "message",
                f"is too long for the model of LLM provider '{provider.name}' "
                f"(at most about {(window - reserve - fixed + _message_tokens(user_message)) * 3}"
                " characters)",
            )
        messages = [
            ChatMessage(role="system", content=system),
            *trim_history(history_messages(rows), budget),
            user_message,
        ]

        # Stored before the model is asked. (Storing it while asking was tried: on SQLite
        # the store's thread then waits for the GIL behind the HTTP client, and the first
        # chunk came ~1 ms later, not sooner; bench/, `--only chat`.)
        turn = _Turn(
            *await self._begin_turn(
                owner_id, conversation.id if conversation else None, provider.name, model, text
            )
        )
        try:
            async with aclosing(self._rounds(turn, provider, model, messages, tools)) as rounds:
                async for chunk in rounds:
                    yield chunk
        except LLMError as exc:
            await self._end_turn_early(turn)
            raise service_error(exc, model_named=model_named) from None
        except BaseException:
            # Cancelled (client gone, deadline), closed, or a failure of ours: keep
            # what the client saw, drop what it did not. Shielded: a second
            # cancellation must not stop the bookkeeping half-way.
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(self._end_turn_early(turn)), _SAVE_TIMEOUT)
            raise
        yield ChatChunk("", turn.conversation_id, done=True)

    async def _rounds(
        self,
        turn: _Turn,
        provider: Provider,
        model: str,
        messages: list[ChatMessage],
        tools: Sequence[ToolSpec],
    ) -> AsyncGenerator[ChatChunk, None]:
        max_tokens = LOCAL_CHAT_MAX_TOKENS if isinstance(provider, LocalProvider) else None
        for round_no in range(MAX_TOOL_ROUNDS + 1):
            offered = tools if round_no < MAX_TOOL_ROUNDS else ()
            calls: tuple[ToolCall, ...] = ()
            turn.parts = []
            stream = provider.stream_chat(
                messages, model=model, tools=offered, max_tokens=max_tokens
            )
            async with aclosing(stream):
                async for event in stream:
                    if isinstance(event, TextDelta):
                        turn.parts.append(event.text)
                        turn.sent_text = True
                        yield ChatChunk(event.text, turn.conversation_id)
                    elif isinstance(event, ToolCallsRequested) and offered:
                        # Calls without offered tools (the last round) are ignored.
                        calls = event.calls
            content = "".join(turn.parts)
            await self._store(
                turn.conversation_id,
                "assistant",
                content,
                tool_calls=[{"id": c.id, "name": c.name, "arguments": c.arguments} for c in calls]
                or None,
            )
            turn.parts = []
            messages.append(ChatMessage(role="assistant", content=content, tool_calls=calls))
            if not calls:
                return
            for index, call in enumerate(calls):
                if self._tools is None or index >= MAX_TOOL_CALLS_PER_ROUND:
                    result = json.dumps(
                        {"error": {"code": "RESOURCE_EXHAUSTED", "message": "too many tool calls"}}
                    )
                else:
                    result = await self._tools.run(call)
                turn.ran_tools = True
                await self._store(
                    turn.conversation_id,
                    "tool",
                    result,
                    tool_call_id=call.id[:100],
                    tool_name=call.name[:100],
                )
                messages.append(
                    ChatMessage(role="tool", content=result, tool_call_id=call.id, name=call.name)
                )

    async def _begin_turn(
        self, owner_id: int, conversation_id: int | None, provider: str, model: str, text: str
    ) -> tuple[int, int, bool]:
        """Store the user's message: (conversation id, message id, conversation created)."""
        async with self._engine.begin() as connection:  # Core: no unit of work needed
            if conversation_id is None:
                conversation_id = await conversations_repo.insert_conversation(
                    connection, owner_id, provider, model
                )
                created = True
            else:
                await conversations_repo.touch(connection, conversation_id, provider, model)
                created = False
            first = await conversations_repo.insert_message(
                connection, conversation_id, "user", text
            )
        return conversation_id, first, created

    async def _store(self, conversation_id: int, role: str, content: str, **fields: Any) -> None:
        async with self._engine.begin() as connection:
            await conversations_repo.insert_message(
                connection, conversation_id, role, content, **fields
            )

    async def _end_turn_early(self, turn: _Turn) -> None:
        """A turn stops early: keep it (with the partial answer) if the client saw
        anything or a tool changed something, otherwise remove it."""
        partial = "".join(turn.parts)
        turn.parts = []
        async with self._sessions() as session, session.begin():
            if turn.sent_text or turn.ran_tools:
                if partial:
                    await conversations_repo.insert_message(
                        session, turn.conversation_id, "assistant", partial, incomplete=True
                    )
            elif turn.created:
                await conversations_repo.delete_conversation(session, turn.conversation_id)
            else:
                await conversations_repo.delete_messages_from(
                    session, turn.conversation_id, turn.first_message_id
                )

    # ------------------------------------------------------------------ models

    async def list_models(self) -> list[ModelInfo]:
        listing = await self.registry.list_all_models()
        if not listing.models and listing.failed:
            names = ", ".join(f"'{name}'" for name in listing.failed)
            raise Unavailable(f"no LLM provider answered (tried {names})")
        return listing.models

    async def pull_model(self, name: str) -> AsyncGenerator[PullProgress, None]:
        if not current_principal().is_superuser:
            raise PermissionDenied("this method is for superusers only")
        model = _check_model_name(name)
        if model is None:
            raise InvalidArgument.field("name", "is required")
        if "ollama" not in self.registry:
            raise FailedPrecondition(
                "PullModel downloads models into Ollama, and no Ollama server is configured "
                "(set OPENGOVFOOD_OLLAMA_URL). The local provider runs its bundled model "
                "and OpenAI-compatible servers manage their own models."
            )
        provider = self.registry.get("ollama")
        try:
            async with aclosing(provider.pull_model(model)) as progress:
                async for step in progress:
                    yield step
        except LLMError as exc:
            raise service_error(exc) from None
