"""The inspectors' chat: stored conversations, streamed answers, tools over their items.

* Conversations are their owner's: another user's answers NOT_FOUND.
* A turn stores the user's message before asking the model, then the assistant's
  answer (and any tool calls and their results) as they complete. A turn that fails
  or is cancelled before the client saw anything is removed again; one that fails or
  is cancelled mid-answer keeps the partial answer, marked incomplete.
* No database transaction is held open while a model generates.
* The history is trimmed to the provider's window (llm.ModelLimits): nothing here
  asks which provider it is.
* Grounding: a provider that calls tools gets the tools (services/chat_tools.py). One
  that cannot (the local model) gets the caller's records another way: when the
  question is about them, a deterministic "From your records:" block
  (services/chat_context.py) is streamed first and put in the model's prompt, and the
  model continues after it, briefly. The stored answer is the block and the model's
  text together. A model failure after the block is reported as any mid-answer failure
  (the block is kept, marked incomplete).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any, Protocol

from opengovfood.domain.conversations import ConversationRecord, MessageRecord, TurnStart
from opengovfood.domain.principal import Principal
from opengovfood.domain.scopes import Scope
from opengovfood.errors import InvalidArgument, NotFound, PermissionDenied
from opengovfood.llm import (
    ChatMessage,
    LLMError,
    Provider,
    ProviderRegistry,
    TextDelta,
    ToolCall,
    ToolCallsRequested,
    ToolSpec,
)
from opengovfood.reasons import Reason
from opengovfood.services.chat_context import BLOCK_HEADING
from opengovfood.services.llm_errors import service_error
from opengovfood.services.models import check_model_name, estimate_tokens, pick_provider

MAX_CHAT_MESSAGE = 20_000
# Tool rounds per chat turn; after the last one the model must answer in text.
MAX_TOOL_ROUNDS = 4
MAX_TOOL_CALLS_PER_ROUND = 8
# Stored messages looked at when continuing a conversation (then trimmed to fit).
HISTORY_LIMIT = 200
_SAVE_TIMEOUT = 5.0

CHAT_SYSTEM_PROMPT = (
    "You are the OpenGov-Food assistant for food-safety inspectors. Answer clearly and briefly."
)
CHAT_RECORDS_PROMPT = (
    " Use only the facts the user gives from their records; never invent items, dates, "
    "findings or numbers."
)
# Tokens the model may add after a records block: the block already answers.
RECORDS_REPLY_TOKENS = 64


def records_question(block: str, question: str) -> str:
    """The user's message as the model sees it when a records block answers it (the
    stored message stays the user's own words)."""
    facts = block.removeprefix(BLOCK_HEADING).strip()
    return f"Facts from my records:\n{facts}\n\nQuestion: {question}\nAnswer in one short sentence."


CHAT_TOOLS_PROMPT = (
    " You can list, read, create and update the status of the user's inspection items "
    "with the tools provided; use them when the user asks about their items, and never "
    "invent item data."
)


class ConversationRepository(Protocol):
    async def get(self, conversation_id: int, scope: Scope) -> ConversationRecord | None: ...
    async def recent_messages(self, conversation_id: int, limit: int) -> list[MessageRecord]: ...
    async def begin_turn(
        self, owner_id: int, conversation_id: int | None, provider: str, model: str, text: str
    ) -> TurnStart:
        """Store the user's message. It may be committed without waiting for durability
        (on the first chunk's path); the turn's next write makes it durable, and every
        way a turn ends writes again (`ChatService.chat`)."""
        ...

    async def add_message(
        self,
        conversation_id: int,
        role: str,
        content: str,
        *,
        tool_calls: list[dict[str, Any]] | None = None,
        tool_call_id: str | None = None,
        tool_name: str | None = None,
        incomplete: bool = False,
    ) -> int: ...
    async def delete_conversation(self, conversation_id: int) -> None: ...
    async def delete_messages_from(self, conversation_id: int, first_id: int) -> None: ...


class ChatTools(Protocol):
    """Tools the model may call during a chat; they run as the calling principal."""

    @property
    def specs(self) -> Sequence[ToolSpec]: ...

    async def run(self, principal: Principal, call: ToolCall) -> str:
        """The result for the model (JSON text); refusals are results, not exceptions."""
        ...


class ChatContext(Protocol):
    """The caller's records for a question, as text (services/chat_context.py)."""

    async def block(self, principal: Principal, text: str) -> str:
        """The "From your records" block, or "" when the question is not about them."""
        ...


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


def _message_tokens(message: ChatMessage) -> int:
    size = estimate_tokens(message.content) + 4
    for call in message.tool_calls:
        size += estimate_tokens(call.name + json.dumps(call.arguments)) + 4
    return size


def history_messages(rows: Sequence[MessageRecord]) -> list[ChatMessage]:
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
                for c in row.tool_calls
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


class ChatService:
    def __init__(
        self,
        conversations: ConversationRepository,
        registry: ProviderRegistry,
        tools: ChatTools | None = None,
        context: ChatContext | None = None,
    ) -> None:
        self._conversations = conversations
        self._registry = registry
        self._tools = tools
        self._context = context

    async def chat(
        self,
        principal: Principal,
        message: str,
        conversation_id: int,
        provider_name: str,
        model_name: str,
    ) -> AsyncGenerator[ChatChunk, None]:
        """Stream one chat turn; see the module docstring for what is stored when."""
        if principal.user_id is None:
            raise PermissionDenied(
                "this method is for signed-in users, not service principals",
                reason=Reason.PRINCIPAL_NOT_ALLOWED,
            )
        owner_id = principal.user_id
        text = message.strip()
        if not text:
            raise InvalidArgument.field("message", "is required")
        if len(text) > MAX_CHAT_MESSAGE:
            raise InvalidArgument.field("message", f"must be at most {MAX_CHAT_MESSAGE} characters")
        if conversation_id < 0:
            raise InvalidArgument.field("conversation_id", "must not be negative")
        model = check_model_name(model_name)

        rows: list[MessageRecord] = []
        conversation: ConversationRecord | None = None
        if conversation_id:
            conversation = await self._conversations.get(conversation_id, Scope.owned_by(owner_id))
            if conversation is None:
                raise NotFound(f"conversation {conversation_id} not found")
            rows = await self._conversations.recent_messages(conversation_id, HISTORY_LIMIT)
        # A continued conversation keeps its provider and model unless the request
        # names others (or its provider is no longer configured).
        if (
            not provider_name.strip()
            and conversation is not None
            and conversation.provider in self._registry
        ):
            provider_name = conversation.provider
            model = model or conversation.model
        provider = pick_provider(self._registry, provider_name)
        model_named = bool(model_name.strip())
        model = model or provider.default_model

        tools = list(self._tools.specs) if self._tools and provider.supports_tools else []
        system = CHAT_SYSTEM_PROMPT + (CHAT_TOOLS_PROMPT if tools else "")
        limits = provider.limits
        user_message = ChatMessage(role="user", content=text)
        fixed = (
            estimate_tokens(system)
            + sum(estimate_tokens(t.name + t.description + json.dumps(t.parameters)) for t in tools)
            + _message_tokens(user_message)
        )
        budget = limits.context_window - limits.reply_reserve - fixed
        if budget < 0 and limits.exact_window:
            room = budget + _message_tokens(user_message)
            raise InvalidArgument.field(
                "message",
                f"is too long for the model of LLM provider '{provider.name}' "
                f"(at most about {room * 3} characters)",
            )
        records = ""
        max_tokens = limits.chat_max_tokens
        if not tools and self._context is not None:
            records = await self._context.block(principal, text)
        if records:
            asked = ChatMessage(role="user", content=records_question(records, text))
            extra = (
                estimate_tokens(CHAT_RECORDS_PROMPT)
                + _message_tokens(asked)
                - _message_tokens(user_message)
            )
            if budget - extra >= 0 or not limits.exact_window:
                # The facts go to the model only where they fit; they are shown anyway.
                system += CHAT_RECORDS_PROMPT
                user_message = asked
                budget -= extra
            max_tokens = min(max_tokens or RECORDS_REPLY_TOKENS, RECORDS_REPLY_TOKENS)
        messages = [
            ChatMessage(role="system", content=system),
            *trim_history(history_messages(rows), budget),
            user_message,
        ]

        # Stored before the model is asked. (Storing it while asking was tried: on SQLite
        # the store's thread then waits for the GIL behind the HTTP client, and the first
        # chunk came later, not sooner; bench/, `--only chat`.)
        start = await self._conversations.begin_turn(
            owner_id, conversation.id if conversation else None, provider.name, model, text
        )
        turn = _Turn(start.conversation_id, start.first_message_id, start.created)
        try:
            rounds = self._rounds(
                principal, turn, provider, model, messages, tools, records, max_tokens
            )
            async with aclosing(rounds):
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
        principal: Principal,
        turn: _Turn,
        provider: Provider,
        model: str,
        messages: list[ChatMessage],
        tools: Sequence[ToolSpec],
        records: str,
        max_tokens: int | None,
    ) -> AsyncGenerator[ChatChunk, None]:
        for round_no in range(MAX_TOOL_ROUNDS + 1):
            offered = tools if round_no < MAX_TOOL_ROUNDS else ()
            calls: tuple[ToolCall, ...] = ()
            turn.parts = []
            if round_no == 0 and records:
                # The records first, a line per chunk: right whatever the model adds.
                for line in records.splitlines(keepends=True):
                    turn.parts.append(line)
                    turn.sent_text = True
                    yield ChatChunk(line, turn.conversation_id)
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
            await self._conversations.add_message(
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
                    result = await self._tools.run(principal, call)
                turn.ran_tools = True
                await self._conversations.add_message(
                    turn.conversation_id,
                    "tool",
                    result,
                    tool_call_id=call.id[:100],
                    tool_name=call.name[:100],
                )
                messages.append(
                    ChatMessage(role="tool", content=result, tool_call_id=call.id, name=call.name)
                )

    async def _end_turn_early(self, turn: _Turn) -> None:
        """A turn stops early: keep it (with the partial answer) if the client saw
        anything or a tool changed something, otherwise remove it."""
        partial = "".join(turn.parts)
        turn.parts = []
        if turn.sent_text or turn.ran_tools:
            if partial:
                await self._conversations.add_message(
                    turn.conversation_id, "assistant", partial, incomplete=True
                )
        elif turn.created:
            await self._conversations.delete_conversation(turn.conversation_id)
        else:
            await self._conversations.delete_messages_from(
                turn.conversation_id, turn.first_message_id
            )
