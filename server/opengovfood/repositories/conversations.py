"""ConversationRepository: chat conversations and their messages, as records.

The statements are built once: a chat turn's writes are on its first chunk's path,
and a statement built per call (insert().values(...)) cost ~0.5 ms of SQLAlchemy work
each. Every call runs on an engine connection (Core; no unit of work is needed)."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Row, Table, bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from opengovfood.db.models import Conversation, ConversationMessage, utcnow
from opengovfood.domain.conversations import (
    ConversationRecord,
    MessageRecord,
    TurnStart,
)
from opengovfood.domain.scopes import Scope
from opengovfood.repositories import scoping

_conversations = cast(Table, Conversation.__table__)
_messages = cast(Table, ConversationMessage.__table__)

_INSERT_CONVERSATION = insert(_conversations).returning(_conversations.c.id)
_INSERT_MESSAGE = insert(_messages).returning(_messages.c.id)
_TOUCH = (
    update(_conversations)
    .where(_conversations.c.id == bindparam("conversation_id"))
    .values(provider=bindparam("provider"), model=bindparam("model"), update_time=bindparam("now"))
)


def _conversation(row: Row[Any]) -> ConversationRecord:
    return ConversationRecord(
        id=row.id,
        owner_id=row.owner_id,
        provider=row.provider,
        model=row.model,
        create_time=row.create_time,
        update_time=row.update_time,
    )


def _message(row: Row[Any]) -> MessageRecord:
    return MessageRecord(
        id=row.id,
        conversation_id=row.conversation_id,
        role=row.role,
        content=row.content,
        tool_calls=tuple(row.tool_calls or ()),
        tool_call_id=row.tool_call_id,
        tool_name=row.tool_name,
        incomplete=bool(row.incomplete),
        create_time=row.create_time,
    )


async def _insert_message(
    connection: AsyncConnection,
    conversation_id: int,
    role: str,
    content: str,
    *,
    tool_calls: list[dict[str, Any]] | None = None,
    tool_call_id: str | None = None,
    tool_name: str | None = None,
    incomplete: bool = False,
) -> int:
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
    return int((await connection.execute(_INSERT_MESSAGE, values)).scalar_one())


class ConversationRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def get(self, conversation_id: int, scope: Scope) -> ConversationRecord | None:
        statement = select(*_conversations.c).where(
            _conversations.c.id == conversation_id, *scoping.where(scope, _conversations)
        )
        async with self._engine.connect() as connection:
            row = (await connection.execute(statement)).one_or_none()
        return None if row is None else _conversation(row)

    async def recent_messages(self, conversation_id: int, limit: int) -> list[MessageRecord]:
        """The newest `limit` messages, oldest first."""
        statement = (
            select(*_messages.c)
            .where(_messages.c.conversation_id == conversation_id)
            .order_by(_messages.c.id.desc())
            .limit(limit)
        )
        async with self._engine.connect() as connection:
            rows = (await connection.execute(statement)).all()
        return [_message(row) for row in reversed(rows)]

    async def begin_turn(
        self, owner_id: int, conversation_id: int | None, provider: str, model: str, text: str
    ) -> TurnStart:
        """Store the user's message: in a new conversation (`conversation_id` None), or
        in that one, recording the provider and model of this turn."""
        now = utcnow()
        async with self._engine.begin() as connection:
            if conversation_id is None:
                values = {
                    "owner_id": owner_id,
                    "provider": provider,
                    "model": model,
                    "create_time": now,
                    "update_time": now,
                }
                result = await connection.execute(_INSERT_CONVERSATION, values)
                conversation_id = int(result.scalar_one())
                created = True
            else:
                await connection.execute(
                    _TOUCH,
                    {
                        "conversation_id": conversation_id,
                        "provider": provider,
                        "model": model,
                        "now": now,
                    },
                )
                created = False
            first = await _insert_message(connection, conversation_id, "user", text)
        return TurnStart(conversation_id, first, created)

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
    ) -> int:
        """A new message's id."""
        async with self._engine.begin() as connection:
            return await _insert_message(
                connection,
                conversation_id,
                role,
                content,
                tool_calls=tool_calls,
                tool_call_id=tool_call_id,
                tool_name=tool_name,
                incomplete=incomplete,
            )

    async def delete_conversation(self, conversation_id: int) -> None:
        async with self._engine.begin() as connection:
            await connection.execute(
                delete(_messages).where(_messages.c.conversation_id == conversation_id)
            )
            await connection.execute(
                delete(_conversations).where(_conversations.c.id == conversation_id)
            )

    async def delete_messages_from(self, conversation_id: int, first_id: int) -> None:
        """Delete one conversation's messages from `first_id` on (a failed turn)."""
        async with self._engine.begin() as connection:
            await connection.execute(
                delete(_messages).where(
                    _messages.c.conversation_id == conversation_id, _messages.c.id >= first_id
                )
            )
