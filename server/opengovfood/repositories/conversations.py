"""ConversationRepository: chat conversations and their messages, as records.

The statements are built once: a chat turn's writes are on its first chunk's path,
and a statement built per call (insert().values(...)) cost ~0.5 ms of SQLAlchemy work
each. Every call runs on an engine connection (Core; no unit of work is needed),
except the first write of a new conversation's turn (`begin_turn`), which is on the
first chunk's path: on PostgreSQL one statement (the conversation and the message
in one INSERT ... with a CTE) on a raw connection (db/pg_direct); on SQLite one hop
to the write thread (db/sqlite_writes).

On PostgreSQL `begin_turn` commits asynchronously (synchronous_commit off for its own
transaction): its COMMIT does not wait for the WAL flush, which on the bench machine
was 3-6 ms of the first chunk's ~4 ms overhead. Nothing is lost when a turn ends: every
way a chat turn ends (services/chat.py) writes again after it (the answer, the partial
answer, the tool results, or the removal of a failed turn) with an ordinary commit,
and a synchronous commit flushes the WAL up to itself, the earlier asynchronous one
included. Only a PostgreSQL crash while the model is still answering can lose the
turn's user message, and that turn then fails anyway (its closing write cannot
commit). SQLite's commits are not flushed per transaction either (WAL,
synchronous=NORMAL)."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Row, Table, bindparam, delete, func, insert, literal, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from opengovfood.db.fast_reads import compile_read
from opengovfood.db.models import Conversation, ConversationMessage, utcnow
from opengovfood.db.pg_direct import PgDirect, compile_statement
from opengovfood.db.sqlite_writes import SqliteTransaction, SqliteWrites
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


_CONVERSATION_VALUES: dict[str, Any] = {
    name: bindparam(name, type_=_conversations.c[name].type)
    for name in ("owner_id", "provider", "model", "create_time")
}
# Typed: in INSERT ... SELECT PostgreSQL cannot infer a parameter's type from the column.
_USER_MESSAGE_VALUES: dict[str, Any] = {
    "role": literal("user", _messages.c.role.type),
    "content": bindparam("content", type_=_messages.c.content.type),
    "incomplete": literal(False, _messages.c.incomplete.type),
    "create_time": bindparam("message_time", type_=_messages.c.create_time.type),
}


# Evaluated in the statement's own (implicit) transaction: its COMMIT does not wait for
# the WAL flush (see the module docstring for why nothing is lost).
_ASYNC_COMMIT = func.set_config("synchronous_commit", "off", True).is_not(None)
_ASYNC_COMMIT_SQL = text("SET LOCAL synchronous_commit TO OFF")


def _new_conversation_pg() -> Any:
    """PostgreSQL: a new conversation and its first (user) message in one statement,
    committed asynchronously."""
    made = (
        insert(_conversations)
        .values(**_CONVERSATION_VALUES, update_time=bindparam("create_time"))
        .returning(_conversations.c.id)
        .cte("made")
    )
    return (
        insert(_messages)
        .from_select(
            ["conversation_id", *_USER_MESSAGE_VALUES],
            select(made.c.id, *_USER_MESSAGE_VALUES.values()).where(_ASYNC_COMMIT),
        )
        .returning(_messages.c.conversation_id, _messages.c.id)
    )


_INSERT_CONVERSATION_BOUND = (
    insert(_conversations)
    .values(**_CONVERSATION_VALUES, update_time=bindparam("create_time"))
    .returning(_conversations.c.id)
)
_INSERT_USER_MESSAGE_BOUND = (
    insert(_messages)
    .values(conversation_id=bindparam("conversation_id"), **_USER_MESSAGE_VALUES)
    .returning(_messages.c.id)
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
    def __init__(
        self,
        engine: AsyncEngine,
        direct: PgDirect | None = None,
        writes: SqliteWrites | None = None,
    ) -> None:
        self._engine = engine
        dialect = engine.dialect.name
        self._direct = direct if dialect == "postgresql" else None
        self._writer = writes if dialect == "sqlite" else None
        self._pg_new = compile_statement(_new_conversation_pg()) if self._direct else None
        self._lite_new = (
            (
                compile_read(cast(Any, _INSERT_CONVERSATION_BOUND)),
                compile_read(cast(Any, _INSERT_USER_MESSAGE_BOUND)),
            )
            if self._writer
            else None
        )

    async def _begin_new(
        self, owner_id: int, provider: str, model: str, text: str
    ) -> TurnStart | None:
        """A new conversation's first write on the fast paths; None: not available."""
        now = utcnow()
        values = {
            "owner_id": owner_id,
            "provider": provider,
            "model": model,
            "create_time": now,
            "content": text,
            "message_time": now,
        }
        if self._direct is not None and self._pg_new is not None:
            row = (await self._direct.fetch_once(self._pg_new, values))[0]
            return TurnStart(int(row["conversation_id"]), int(row["id"]), True)
        if self._writer is not None and self._lite_new is not None:
            conversation_stmt, message_stmt = self._lite_new
            if conversation_stmt is None or message_stmt is None:
                return None

            def work(tx: SqliteTransaction) -> TurnStart:
                conversation_id = int(tx.fetch(conversation_stmt, values)[0][0])
                message = tx.fetch(message_stmt, {**values, "conversation_id": conversation_id})
                return TurnStart(conversation_id, int(message[0][0]), True)

            return await self._writer.run(work)
        return None

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
        if conversation_id is None:
            started = await self._begin_new(owner_id, provider, model, text)
            if started is not None:
                return started
        now = utcnow()
        async with self._engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                await connection.execute(_ASYNC_COMMIT_SQL)
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
