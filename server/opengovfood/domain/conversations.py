"""Stored chat conversations and their messages (no ORM rows)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

MessageRole = Literal["system", "user", "assistant", "tool"]


@dataclass(frozen=True, slots=True)
class ConversationRecord:
    id: int
    owner_id: int
    provider: str
    model: str
    create_time: datetime
    update_time: datetime


@dataclass(frozen=True, slots=True)
class MessageRecord:
    """One stored message. `tool_calls` (assistant) is the stored JSON list of
    `{"id", "name", "arguments"}` objects; a tool result names its call."""

    id: int
    conversation_id: int
    role: str
    content: str
    tool_calls: tuple[Any, ...]
    tool_call_id: str | None
    tool_name: str | None
    incomplete: bool
    create_time: datetime


@dataclass(frozen=True, slots=True)
class TurnStart:
    """Where a chat turn's first stored message went."""

    conversation_id: int
    first_message_id: int
    created: bool  # the turn started a new conversation
