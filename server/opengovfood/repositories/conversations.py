"""Conversation and conversation-message rows."""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from opengovfood.db.models import Conversation, ConversationMessage, utcnow


async def create(session: AsyncSession, owner_id: int, provider: str, model: str) -> Conversation:
    conversation = Conversation(owner_id=owner_id, provider=provider, model=model)
    session.add(conversation)
    await session.flush()
    return conversation


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


async def touch(session: AsyncSession, conversation_id: int, provider: str, model: str) -> None:
    """Record the provider/model of the latest turn and bump ``update_time``."""
    await session.execute(
        update(Conversation)
        .where(Conversation.id == conversation_id)
        .values(provider=provider, model=model, update_time=utcnow())
    )


async def delete_conversation(session: AsyncSession, conversation_id: int) -> None:
    await session.execute(
        delete(ConversationMessage).where(ConversationMessage.conversation_id == conversation_id)
    )
    await session.execute(delete(Conversation).where(Conversation.id == conversation_id))


async def add_message(session: AsyncSession, message: ConversationMessage) -> ConversationMessage:
    session.add(message)
    await session.flush()
    return message


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


async def all_messages(session: AsyncSession, conversation_id: int) -> list[ConversationMessage]:
    return list(
        (
            await session.execute(
                select(ConversationMessage)
                .where(ConversationMessage.conversation_id == conversation_id)
                .order_by(ConversationMessage.id)
            )
        ).scalars()
    )


async def delete_messages_from(session: AsyncSession, conversation_id: int, first_id: int) -> None:
    """Delete the messages of one conversation from ``first_id`` on (a failed turn)."""
    await session.execute(
        delete(ConversationMessage).where(
            ConversationMessage.conversation_id == conversation_id,
            ConversationMessage.id >= first_id,
        )
    )
