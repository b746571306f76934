"""User rows: lookups, writes, and filtered keyset listing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, exists, false, func, not_, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from opengovfood.db.models import RefreshToken, User


# --- the filter language ListUsers' parser produces ------------------------------
@dataclass(frozen=True, slots=True)
class FlagIs:
    field: Literal["is_active", "is_superuser"]
    value: bool


@dataclass(frozen=True, slots=True)
class TextIs:
    """Exact match (emails are compared normalised)."""

    field: Literal["email", "full_name"]
    value: str


@dataclass(frozen=True, slots=True)
class TextHas:
    """Case-insensitive substring match."""

    field: Literal["email", "full_name"]
    value: str


@dataclass(frozen=True, slots=True)
class Not:
    operand: UserFilter


@dataclass(frozen=True, slots=True)
class And:
    operands: tuple[UserFilter, ...]


@dataclass(frozen=True, slots=True)
class Or:
    operands: tuple[UserFilter, ...]


UserFilter = FlagIs | TextIs | TextHas | Not | And | Or


def _clause(node: UserFilter) -> ColumnElement[bool]:
    if isinstance(node, FlagIs):
        column = User.is_active if node.field == "is_active" else User.is_superuser
        return column.is_(true()) if node.value else column.is_(false())
    if isinstance(node, TextIs):
        text_column = User.email if node.field == "email" else User.full_name
        return text_column == node.value
    if isinstance(node, TextHas):
        # Bound parameter with LIKE wildcards escaped: the user's text is never SQL.
        text_column = User.email if node.field == "email" else User.full_name
        return func.lower(text_column).contains(node.value.lower(), autoescape=True)
    if isinstance(node, Not):
        return not_(_clause(node.operand))
    if isinstance(node, And):
        return and_(*(_clause(child) for child in node.operands))
    return or_(*(_clause(child) for child in node.operands))


async def get_auth_state(
    session: AsyncSession, user_id: int
) -> tuple[str, bool, bool, datetime | None] | None:
    """(email, is_active, is_superuser, sessions_valid_after) of a user, or None if there
    is no such user."""
    row = (
        await session.execute(
            select(User.email, User.is_active, User.is_superuser, User.sessions_valid_after).where(
                User.id == user_id
            )
        )
    ).one_or_none()
    return None if row is None else (row[0], row[1], row[2], row[3])


async def get_session_state(
    session: AsyncSession, user_id: int, session_id: str
) -> tuple[str, bool, bool, datetime | None, bool] | None:
    """`get_auth_state` plus whether the sign-in `session_id` (a refresh-token family)
    is still live: one of its tokens is not revoked. One round trip."""
    live = (
        select(RefreshToken.id)
        .where(
            RefreshToken.family_id == session_id,
            RefreshToken.user_id == user_id,
            RefreshToken.revoked_time.is_(None),
        )
        .exists()
    )
    row = (
        await session.execute(
            select(
                User.email,
                User.is_active,
                User.is_superuser,
                User.sessions_valid_after,
                live.label("live"),
            ).where(User.id == user_id)
        )
    ).one_or_none()
    return None if row is None else (row[0], row[1], row[2], row[3], bool(row[4]))


async def get_by_id(
    session: AsyncSession, user_id: int, *, for_update: bool = False
) -> User | None:
    statement = select(User).where(User.id == user_id)
    if for_update:
        statement = statement.with_for_update()
    return (await session.execute(statement)).scalar_one_or_none()


async def get_by_email(session: AsyncSession, email: str) -> User | None:
    """`email` must be normalised (trimmed, lower-cased): that is how it is stored."""
    return (await session.execute(select(User).where(User.email == email))).scalar_one_or_none()


async def email_taken(session: AsyncSession, email: str, except_id: int | None = None) -> bool:
    condition = User.email == email
    if except_id is not None:
        condition = and_(condition, User.id != except_id)
    return bool(await session.scalar(select(exists().where(condition))))


async def any_user_exists(session: AsyncSession) -> bool:
    return bool(await session.scalar(select(exists().where(User.id.is_not(None)))))


async def add(session: AsyncSession, user: User) -> User:
    session.add(user)
    await session.flush()
    return user


async def set_password_hash(
    session: AsyncSession, user_id: int, hashed: str, sessions_valid_after: datetime | None = None
) -> None:
    values: dict[str, object] = {"hashed_password": hashed}
    if sessions_valid_after is not None:
        values["sessions_valid_after"] = sessions_valid_after
    await session.execute(update(User).where(User.id == user_id).values(**values))


async def list_page(
    session: AsyncSession, where: UserFilter | None, after_id: int, limit: int
) -> Sequence[User]:
    """Users matching `where` with id > after_id, by id (keyset: stable under inserts)."""
    statement = select(User).where(User.id > after_id).order_by(User.id).limit(limit)
    if where is not None:
        statement = statement.where(_clause(where))
    return (await session.execute(statement)).scalars().all()


async def count(session: AsyncSession, where: UserFilter | None) -> int:
    statement: Any = select(func.count()).select_from(User)
    if where is not None:
        statement = statement.where(_clause(where))
    return int(await session.scalar(statement) or 0)
