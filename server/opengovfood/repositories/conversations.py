"""Conversation and conversation-message rows."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from opengovfood.db.models import Conversation, ConversationMessage, utcnow

_conversations = cast(Table, Conversation.__table__)
_messages = cast(Table, ConversationMessage.__table__)


# Built once: a chat turn's writes are on its first chunk's path, and a statement
# built per call (insert().values(...)) cost ~0.5 ms of SQLAlchemy work each.
_INSERT_CONVERSATION = insert(_conversations).returning(_conversations.c.id)
_INSERT_MESSAGE = insert(_messages).returning(_messages.c.id)
_TOUCH = (
    update(_conversations)
    .where(_conversations.c.id == bindparam("conversation_id"))
    .values(provider=bindparam("provider"), model=bindparam("model"), update_time=bindparam("now"))
)

Executor = AsyncSession | AsyncConnection


async def insert_conversation(db: Executor, owner_id: int, provider: str, model: str) -> int:
    """A new conversation's id."""
    now = utcnow()
    values = {
        "owner_id": owner_id,
        "provider": provider,
        "model": model,
        "create_time": now,
        "update_time": now,
    }
    return int((await db.execute(_INSERT_CONVERSATION, values)).scalar_one())


async def insert_message(
    db: Executor,
    conversation_id: int,
    role: str,
    content: str,
    *,
    tool_calls: list[dict[str, Any]] | None = None,
    tool_call_id: str | None = None,
    tool_name: str | None = None,
    incomplete: bool = False,
) -> int:
    """A new message's id."""
    values = {
        "conversation_id": conversation_id,
        "role": role,
        "content": content,
        "tool_calls": tool_calls,
        "tool_call_id": tool_call_id,
        "tool_name": tool_name,
        "incomplete": incomplete,
        "create_time": utcnow(),
    }
    if tool_calls is None:
        del values["tool_calls"]  # SQL NULL; a JSON column stores a given None as 'null'
    return int((await db.execute(_INSERT_MESSAGE, values)).scalar_one())


async def get_owned(
    session: AsyncSession, owner_id: int, conversation_id: int
) -> Conversation | None:
    return (
        await session.execute(
            select(Conversation).where(
                Conversation.id == conversation_id, Conversation.owner_id == owner_id
            )
        )
    ).scalar_one_or_none()


async def touch(db: Executor, conversation_id: int, provider: str, model: str) -> None:
    """Record the provider/model of the latest turn and bump ``update_time``."""
    values = {"conversation_id": conversation_id, "provider": provider, "model": model}
    await db.execute(_TOUCH, {**values, "now": utcnow()})


async def delete_conversation(session: AsyncSession, conversation_id: int) -> None:
    await session.execute(
        delete(ConversationMessage).where(ConversationMessage.conversation_id == conversation_id)
    )
    await session.execute(delete(Conversation).where(Conversation.id == conversation_id))


async def recent_messages(
    session: AsyncSession, conversation_id: int, limit: int
) -> list[ConversationMessage]:
    """The newest ``limit`` messages, returned oldest first."""
    rows = (
        await session.execute(
            select(ConversationMessage)
            .where(ConversationMessage.conversation_id == conversation_id)
            .order_by(ConversationMessage.id.desc())
            .limit(limit)
        )
    ).scalars()
    return list(reversed(list(rows)))


async def delete_messages_from(session: AsyncSession, conversation_id: int, first_id: int) -> None:
    """Delete the messages of one conversation from ``first_id`` on (a failed turn)."""
    await session.execute(
        delete(ConversationMessage).where(
            ConversationMessage.conversation_id == conversation_id,
            ConversationMessage.id >= first_id,
        )
    )
