"""User rows: lookups and writes."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from opengovfood.db.models import User


async def get_auth_state(session: AsyncSession, user_id: int) -> tuple[str, bool, bool] | None:
    """(email, is_active, is_superuser) of a user, or None if there is no such user."""
    row = (
        await session.execute(
            select(User.email, User.is_active, User.is_superuser).where(User.id == user_id)
        )
    ).one_or_none()
    return None if row is None else (row[0], row[1], row[2])


async def get_by_id(session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id)


async def get_by_email(session: AsyncSession, email: str) -> User | None:
    return (
        await session.execute(select(User).where(User.email == email.lower()))
    ).scalar_one_or_none()


async def add(session: AsyncSession, user: User) -> User:
    session.add(user)
    await session.flush()
    return user
