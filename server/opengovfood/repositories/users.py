"""UserRepository: user rows as UserRecords; ListUsers' filters and keyset pages."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Row, Table, exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from opengovfood.db.models import Department, RefreshToken, User, utcnow
from opengovfood.domain.listing import ListQuery
from opengovfood.domain.principal import ROLES
from opengovfood.domain.scopes import Scope
from opengovfood.domain.users import (
    AuthState,
    Credentials,
    DepartmentMissing,
    EmailTaken,
    NewUser,
    UserChanges,
    UserRecord,
)
from opengovfood.repositories import scoping, sql_lists

users = cast(Table, User.__table__)
_tokens = cast(Table, RefreshToken.__table__)
_departments = cast(Table, Department.__table__)
_c = users.c
AnyRow = Row[*tuple[Any, ...]]

_PUBLIC = (
    _c.id,
    _c.email,
    _c.full_name,
    _c.is_active,
    _c.is_superuser,
    _c.create_time,
    _c.update_time,
    _c.department_id,
    _c.role,
)

# ListUsers' filter and order fields (services/users.py) -> columns.
LIST_COLUMNS: Mapping[str, ColumnElement[Any]] = {
    "is_active": _c.is_active,
    "is_superuser": _c.is_superuser,
    "email": _c.email,
    "full_name": _c.full_name,
    "department_id": _c.department_id,
    "role": _c.role,
    "id": _c.id,
}


def _record(row: AnyRow) -> UserRecord:
    return UserRecord(
        id=row.id,
        email=row.email,
        full_name=row.full_name,
        is_active=bool(row.is_active),
        is_superuser=bool(row.is_superuser),
        create_time=row.create_time,
        update_time=row.update_time,
        department_id=row.department_id,
        role=ROLES[row.role],
    )


_ALL = Scope.everything()


async def _department_exists(connection: AsyncConnection, department_id: int) -> bool:
    return bool(await connection.scalar(select(exists().where(_departments.c.id == department_id))))


async def revoke_all_tokens(connection: AsyncConnection, user_id: int, now: datetime) -> int:
    """Revoke every live refresh token of a user (in the caller's transaction)."""
    result = await connection.execute(
        update(_tokens)
        .where(_tokens.c.user_id == user_id, _tokens.c.revoked_time.is_(None))
        .values(revoked_time=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


class UserRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._dialect = engine.dialect.name

    async def get(self, user_id: int) -> UserRecord | None:
        async with self._engine.connect() as connection:
            row = (await connection.execute(select(*_PUBLIC).where(_c.id == user_id))).one_or_none()
        return None if row is None else _record(row)

    async def _credentials(self, condition: ColumnElement[bool]) -> Credentials | None:
        async with self._engine.connect() as connection:
            row = (
                await connection.execute(select(*_PUBLIC, _c.hashed_password).where(condition))
            ).one_or_none()
        return None if row is None else Credentials(_record(row), row.hashed_password)

    async def credentials_by_email(self, email: str) -> Credentials | None:
        """`email` must be normalised (trimmed, lower-cased): that is how it is stored."""
        return await self._credentials(_c.email == email)

    async def credentials(self, user_id: int) -> Credentials | None:
        return await self._credentials(_c.id == user_id)

    async def auth_state(self, user_id: int) -> AuthState | None:
        statement = select(
            _c.email,
            _c.is_active,
            _c.is_superuser,
            _c.sessions_valid_after,
            _c.department_id,
            _c.role,
        ).where(_c.id == user_id)
        async with self._engine.connect() as connection:
            row = (await connection.execute(statement)).one_or_none()
        if row is None:
            return None
        return AuthState(
            row.email,
            bool(row.is_active),
            bool(row.is_superuser),
            row.sessions_valid_after,
            department_id=row.department_id,
            role=ROLES[row.role],
        )

    async def session_state(self, user_id: int, session_id: str) -> AuthState | None:
        """`auth_state` plus whether the sign-in `session_id` (a refresh-token family)
        is still live: one of its tokens is not revoked. One round trip."""
        live = (
            select(_tokens.c.id)
            .where(
                _tokens.c.family_id == session_id,
                _tokens.c.user_id == user_id,
                _tokens.c.revoked_time.is_(None),
            )
            .exists()
        )
        statement = select(
            _c.email,
            _c.is_active,
            _c.is_superuser,
            _c.sessions_valid_after,
            _c.department_id,
            _c.role,
            live.label("live"),
        ).where(_c.id == user_id)
        async with self._engine.connect() as connection:
            row = (await connection.execute(statement)).one_or_none()
        if row is None:
            return None
        return AuthState(
            row.email,
            bool(row.is_active),
            bool(row.is_superuser),
            row.sessions_valid_after,
            bool(row.live),
            row.department_id,
            ROLES[row.role],
        )

    async def email_taken(self, email: str) -> bool:
        async with self._engine.connect() as connection:
            return bool(await connection.scalar(select(exists().where(_c.email == email))))

    async def any_user(self) -> bool:
        async with self._engine.connect() as connection:
            return bool(await connection.scalar(select(exists().where(_c.id.is_not(None)))))

    async def add(self, new: NewUser) -> UserRecord:
        """The new user; EmailTaken when the unique email index refuses it,
        DepartmentMissing when its department does not exist."""
        now = utcnow()
        values = {
            "email": new.email,
            "hashed_password": new.hashed_password,
            "full_name": new.full_name,
            "is_active": new.is_active,
            "is_superuser": new.is_superuser,
            "department_id": new.department_id,
            "role": new.role.value,
            "create_time": now,
            "update_time": now,
        }
        try:
            async with self._engine.begin() as connection:
                if not await _department_exists(connection, new.department_id):
                    raise DepartmentMissing(new.department_id)
                row = (
                    await connection.execute(insert(users).values(**values).returning(*_PUBLIC))
                ).one()
        except IntegrityError:
            raise EmailTaken(new.email) from None
        return _record(row)

    async def update(
        self,
        user_id: int,
        changes: UserChanges,
        revoke_tokens: Callable[[UserRecord], bool] = lambda _before: False,
        within: int | None = None,
    ) -> UserRecord | None:
        """Apply `changes` to the locked row (None: no such user, or one outside `within`,
        a department); EmailTaken when the new email is another user's,
        DepartmentMissing when the new department does not exist. `revoke_tokens` sees the
        state before the change: True revokes all the user's refresh tokens in the same
        transaction."""
        now = utcnow()
        try:
            async with self._engine.begin() as connection:
                row = (
                    await connection.execute(
                        select(*_PUBLIC).where(_c.id == user_id).with_for_update()
                    )
                ).one_or_none()
                if row is None or (within is not None and row.department_id != within):
                    return None
                before = _record(row)
                values: dict[str, Any] = {"update_time": now}
                if changes.email is not None and changes.email != before.email:
                    taken = await connection.scalar(
                        select(exists().where(_c.email == changes.email, _c.id != user_id))
                    )
                    if taken:
                        raise EmailTaken(changes.email)
                    values["email"] = changes.email
                for name in ("full_name", "is_active", "is_superuser", "hashed_password"):
                    value = getattr(changes, name)
                    if value is not None:
                        values[name] = value
                if changes.sessions_valid_after is not None:
                    values["sessions_valid_after"] = changes.sessions_valid_after
                if changes.role is not None:
                    values["role"] = changes.role.value
                if changes.department_id is not None:
                    if not await _department_exists(connection, changes.department_id):
                        raise DepartmentMissing(changes.department_id)
                    values["department_id"] = changes.department_id
                row = (
                    await connection.execute(
                        update(users).where(_c.id == user_id).values(**values).returning(*_PUBLIC)
                    )
                ).one()
                if revoke_tokens(before):
                    await revoke_all_tokens(connection, user_id, now)
        except IntegrityError:
            raise EmailTaken(changes.email or "") from None
        return _record(row)

    async def set_password_hash(
        self,
        user_id: int,
        hashed: str,
        sessions_valid_after: datetime | None = None,
        revoke_tokens: bool = False,
    ) -> None:
        """A new hash (and the time before which access tokens are refused); with
        `revoke_tokens`, every refresh token of the user is revoked in the same
        transaction."""
        values: dict[str, Any] = {"hashed_password": hashed}
        if sessions_valid_after is not None:
            values["sessions_valid_after"] = sessions_valid_after
        async with self._engine.begin() as connection:
            await connection.execute(update(users).where(_c.id == user_id).values(**values))
            if revoke_tokens:
                await revoke_all_tokens(connection, user_id, utcnow())

    def _where(self, query: ListQuery, scope: Scope) -> list[ColumnElement[bool]]:
        where = [
            *scoping.where(scope, users),
            *sql_lists.where(query.filter, LIST_COLUMNS, self._dialect),
        ]
        if scope.department_id is not None:  # superusers stand above departments
            where.append(_c.is_superuser.is_(False))
        return where

    async def page(self, query: ListQuery, scope: Scope = _ALL) -> list[UserRecord]:
        """Up to page_size + 1 users (of the scope's department) after the query's
        keyset position."""
        where = self._where(query, scope)
        if query.after is not None:
            where.append(sql_lists.after(query.ordering, LIST_COLUMNS, query.after))
        statement = (
            select(*_PUBLIC)
            .where(*where)
            .order_by(*sql_lists.order_by(query.ordering, LIST_COLUMNS))
            .limit(query.page_size + 1)
        )
        async with self._engine.connect() as connection:
            rows = (await connection.execute(statement)).all()
        return [_record(row) for row in rows]

    async def count(self, query: ListQuery, scope: Scope = _ALL) -> int:
        statement = select(func.count()).select_from(users).where(*self._where(query, scope))
        async with self._engine.connect() as connection:
            return int((await connection.execute(statement)).scalar_one())
