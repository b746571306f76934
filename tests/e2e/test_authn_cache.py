"""The principal cache: one lookup per user per TTL, shared by concurrent RPCs, and
invalidation that cannot be undone by a lookup already in flight."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, update

from opengovfood.db.models import User
from opengovfood.errors import Unauthenticated
from opengovfood.repositories.users import UserRepository
from opengovfood.services.authn import Authenticator
from support.server import RunningServer, UserFactory


@contextmanager
def counting_user_lookups(server: RunningServer) -> Iterator[list[str]]:
    statements: list[str] = []
    engine = server.app.container.engine.sync_engine

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM users" in statement:
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def fresh_authenticator(server: RunningServer, ttl: float = 5.0) -> Authenticator:
    container = server.app.container
    return Authenticator(container.tokens, UserRepository(container.engine), ttl)


async def test_cached_principal_costs_no_query(
    server: RunningServer, make_user: UserFactory
) -> None:
    user = await make_user()
    authn = fresh_authenticator(server)
    with counting_user_lookups(server) as lookups:
        for _ in range(20):
            principal = await authn.authenticate(user.token)
    assert principal.user_id == user.id
    assert len(lookups) == 1


async def test_concurrent_first_calls_share_one_lookup(
    server: RunningServer, make_user: UserFactory
) -> None:
    user = await make_user()
    authn = fresh_authenticator(server)
    with counting_user_lookups(server) as lookups:
        principals = await asyncio.gather(*(authn.authenticate(user.token) for _ in range(10)))
    assert {p.user_id for p in principals} == {user.id}
    assert len(lookups) == 1


async def test_state_is_reread_after_the_ttl(server: RunningServer, make_user: UserFactory) -> None:
    user = await make_user()
    authn = fresh_authenticator(server, ttl=0.2)
    await authn.authenticate(user.token)
    async with server.app.container.sessions() as session, session.begin():
        await session.execute(update(User).where(User.id == user.id).values(is_active=False))
    await authn.authenticate(user.token)  # still cached: allowed within the TTL
    await asyncio.sleep(0.25)
    with pytest.raises(Unauthenticated):
        await authn.authenticate(user.token)


async def test_invalidate_beats_a_lookup_in_flight(
    server: RunningServer, make_user: UserFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lookup that read the old state before the change must not refill the cache."""
    user = await make_user()
    authn = fresh_authenticator(server)
    original = authn._load
    read_done = asyncio.Event()
    release = asyncio.Event()

    async def slow_load(user_id: int, session_id: str) -> Any:
        state = await original(user_id, session_id)
        read_done.set()
        await release.wait()
        return state

    monkeypatch.setattr(authn, "_load", slow_load)
    in_flight = asyncio.create_task(authn.authenticate(user.token))
    await read_done.wait()  # it has read "active"
    async with server.app.container.sessions() as session, session.begin():
        await session.execute(update(User).where(User.id == user.id).values(is_active=False))
    authn.invalidate(user.id)
    monkeypatch.setattr(authn, "_load", original)
    # A call that starts after the invalidation does not join the stale lookup.
    with pytest.raises(Unauthenticated):
        await authn.authenticate(user.token)
    release.set()
    await in_flight  # began before the change: may still pass
    with pytest.raises(Unauthenticated):
        await authn.authenticate(user.token)


async def test_service_tokens_need_no_lookup(server: RunningServer) -> None:
    authn = fresh_authenticator(server)
    token, _ = server.app.container.tokens.issue_access_token(
        "service:reports", frozenset({"items:read"})
    )
    with counting_user_lookups(server) as lookups:
        principal = await authn.authenticate(token)
    assert principal.is_service
    assert principal.scopes == frozenset({"items:read"})
    assert lookups == []
