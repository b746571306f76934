"""Refresh-token rows (hashes only): issue, consume atomically, revoke."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from opengovfood.db.models import RefreshToken


@dataclass(frozen=True, slots=True)
class TokenState:
    id: int
    user_id: int
    family_id: str
    expire_time: datetime
    used_time: datetime | None
    revoked_time: datetime | None


async def add(
    session: AsyncSession,
    *,
    user_id: int,
    family_id: str,
    token_hash: str,
    now: datetime,
    expire_time: datetime,
) -> None:
    session.add(
        RefreshToken(
            user_id=user_id,
            family_id=family_id,
            token_hash=token_hash,
            create_time=now,
            expire_time=expire_time,
        )
    )
    await session.flush()


async def consume(session: AsyncSession, token_hash: str, now: datetime) -> bool:
    """Mark a live token used, in one conditional UPDATE: of two concurrent calls with
    the same token exactly one sees a row change (PostgreSQL re-checks the WHERE after
    the row lock; SQLite serialises writers)."""
    result = await session.execute(
        update(RefreshToken)
        .where(
            RefreshToken.token_hash == token_hash,
            RefreshToken.used_time.is_(None),
            RefreshToken.revoked_time.is_(None),
            RefreshToken.expire_time > now,
        )
        .values(used_time=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def get_state(session: AsyncSession, token_hash: str) -> TokenState | None:
    row = (
        await session.execute(
            select(
                RefreshToken.id,
                RefreshToken.user_id,
                RefreshToken.family_id,
                RefreshToken.expire_time,
                RefreshToken.used_time,
                RefreshToken.revoked_time,
            ).where(RefreshToken.token_hash == token_hash)
        )
    ).one_or_none()
    return None if row is None else TokenState(*row)


async def revoke_family(session: AsyncSession, family_id: str, now: datetime) -> int:
    result = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_time.is_(None))
        .values(revoked_time=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def revoke_all_for_user(session: AsyncSession, user_id: int, now: datetime) -> int:
    result = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_time.is_(None))
        .values(revoked_time=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def delete_expired_for_user(session: AsyncSession, user_id: int, now: datetime) -> None:
    """Housekeeping at sign-in: a user's expired tokens are of no use to anyone."""
    await session.execute(
        delete(RefreshToken).where(
            and_(RefreshToken.user_id == user_id, RefreshToken.expire_time <= now)
        )
    )
