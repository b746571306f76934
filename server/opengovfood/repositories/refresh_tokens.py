"""RefreshTokenRepository: refresh tokens (hashes only): issue, rotate atomically,
revoke. Each method is one transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Row, Table, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from opengovfood.db.models import RefreshToken, User
from opengovfood.domain.users import Rotation, TokenState

_tokens = cast(Table, RefreshToken.__table__)
_users = cast(Table, User.__table__)
_c = _tokens.c
AnyRow = Row[*tuple[Any, ...]]
_STATE = (_c.id, _c.user_id, _c.family_id, _c.expire_time, _c.used_time, _c.revoked_time)


def _state(row: AnyRow) -> TokenState:
    return TokenState(
        id=row.id,
        user_id=row.user_id,
        family_id=row.family_id,
        expire_time=row.expire_time,
        used_time=row.used_time,
        revoked_time=row.revoked_time,
    )


async def _add(
    connection: AsyncConnection,
    user_id: int,
    family_id: str,
    token_hash: str,
    now: datetime,
    expire_time: datetime,
) -> None:
    await connection.execute(
        insert(_tokens).values(
            user_id=user_id,
            family_id=family_id,
            token_hash=token_hash,
            create_time=now,
            expire_time=expire_time,
        )
    )


async def _get_state(connection: AsyncConnection, token_hash: str) -> TokenState | None:
    row = (
        await connection.execute(select(*_STATE).where(_c.token_hash == token_hash))
    ).one_or_none()
    return None if row is None else _state(row)


class _Rollback(Exception):
    pass


class RefreshTokenRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def issue(
        self,
        user_id: int,
        family_id: str,
        token_hash: str,
        now: datetime,
        expire_time: datetime,
        drop_expired: bool = False,
    ) -> None:
        """Store a new token; `drop_expired`: also delete the user's expired tokens
        (housekeeping at sign-in: they are of no use to anyone)."""
        async with self._engine.begin() as connection:
            if drop_expired:
                await connection.execute(
                    delete(_tokens).where(_c.user_id == user_id, _c.expire_time <= now)
                )
            await _add(connection, user_id, family_id, token_hash, now, expire_time)

    async def rotate(
        self, token_hash: str, new_hash: str, now: datetime, expire_time: datetime
    ) -> Rotation:
        """Mark a live token used and store its successor in the same family, in one
        transaction. The mark is one conditional UPDATE: of two concurrent calls with
        the same token exactly one sees a row change (PostgreSQL re-checks the WHERE
        after the row lock; SQLite serialises writers). A live token of an inactive or
        deleted user changes nothing."""
        consume = (
            update(_tokens)
            .where(
                _c.token_hash == token_hash,
                _c.used_time.is_(None),
                _c.revoked_time.is_(None),
                _c.expire_time > now,
            )
            .values(used_time=now)
        )
        try:
            async with self._engine.begin() as connection:
                consumed = (await connection.execute(consume)).rowcount == 1
                state = await _get_state(connection, token_hash)
                if state is None or not consumed:
                    return Rotation(state, rotated=False)
                active = await connection.scalar(
                    select(_users.c.is_active).where(_users.c.id == state.user_id)
                )
                if not active:
                    raise _Rollback  # the token stays unused
                await _add(connection, state.user_id, state.family_id, new_hash, now, expire_time)
        except _Rollback:
            return Rotation(state, rotated=False, user_inactive=True)
        return Rotation(state, rotated=True)

    async def state(self, token_hash: str) -> TokenState | None:
        async with self._engine.connect() as connection:
            return await _get_state(connection, token_hash)

    async def revoke_family(self, family_id: str, now: datetime) -> int:
        """Revoke every live token of one sign-in; how many."""
        async with self._engine.begin() as connection:
            result = await connection.execute(
                update(_tokens)
                .where(_c.family_id == family_id, _c.revoked_time.is_(None))
                .values(revoked_time=now)
            )
        return int(getattr(result, "rowcount", 0) or 0)
