"""Who is calling: access token -> Principal, with a short per-process cache.

A user's active/superuser state is cached for at most `principal_cache_ttl`
seconds (<= 5), so a deactivation made on another worker or instance takes
effect within that time, and the process that deactivates calls `invalidate`
for an immediate effect. A cached RPC costs no database round trip; concurrent
RPCs of one user whose state is not cached share one lookup.

A user's access tokens issued before their `sessions_valid_after` (set when the
password changes) are refused, with the same cache delay on other processes.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol

from opengovfood.domain.principal import Principal
from opengovfood.domain.users import AuthState
from opengovfood.errors import Unauthenticated
from opengovfood.reasons import Reason
from opengovfood.services.tokens import TokenService

_MAX_CACHED_USERS = 100_000
# A user's principal and the time (epoch seconds) their access tokens must be issued at
# or after.
_UserState = tuple[Principal, float]


class AuthStates(Protocol):
    """Where a user's current state is read (the user repository)."""

    async def auth_state(self, user_id: int) -> AuthState | None: ...


class Authenticator:
    def __init__(
        self,
        tokens: TokenService,
        users: AuthStates,
        cache_ttl: float = 5.0,
    ) -> None:
        self._tokens = tokens
        self._states = users
        self._ttl = cache_ttl
        self._users: dict[int, tuple[_UserState | None, float]] = {}
        self._loading: dict[int, asyncio.Future[_UserState | None]] = {}
        # Bumped by every invalidate: a lookup that started before it must not refill
        # the cache with what it read (it may predate the change).
        self._epoch = 0

    async def authenticate(self, token: str) -> Principal:
        claims = self._tokens.verify_access_token(token)
        user_id = claims.user_id
        if user_id is None:
            name = claims.service_name or ""
            return Principal(kind="service", user_id=None, name=name, scopes=claims.scopes)
        cached = self._users.get(user_id)
        if cached is not None and cached[1] > time.monotonic():
            state = cached[0]
        else:
            state = await self._lookup(user_id)
        if state is None:
            raise Unauthenticated(
                "user is inactive or no longer exists", reason=Reason.ACCOUNT_INACTIVE
            )
        principal, valid_after = state
        if claims.issued_at < valid_after:
            raise Unauthenticated(
                "access token was issued before the password was changed; sign in again",
                reason=Reason.TOKEN_REVOKED,
            )
        return principal

    async def _lookup(self, user_id: int) -> _UserState | None:
        future = self._loading.get(user_id)
        if future is None:
            future = asyncio.ensure_future(self._load_and_cache(user_id))
            self._loading[user_id] = future
            future.add_done_callback(lambda done: self._loaded(user_id, done))
        # shield: one caller giving up (cancelled RPC) must not cancel the others' lookup.
        return await asyncio.shield(future)

    def _loaded(self, user_id: int, future: asyncio.Future[_UserState | None]) -> None:
        if self._loading.get(user_id) is future:
            del self._loading[user_id]
        if not future.cancelled():
            future.exception()  # retrieved here, so an unawaited failure is not reported

    async def _load_and_cache(self, user_id: int) -> _UserState | None:
        epoch = self._epoch
        principal = await self._load(user_id)
        if epoch == self._epoch:
            if len(self._users) >= _MAX_CACHED_USERS:
                self._users.clear()
            self._users[user_id] = (principal, time.monotonic() + self._ttl)
        return principal

    async def _load(self, user_id: int) -> _UserState | None:
        state = await self._states.auth_state(user_id)
        if state is None or not state.is_active:
            return None
        principal = Principal(
            kind="user", user_id=user_id, name=state.email, is_superuser=state.is_superuser
        )
        valid_after = state.sessions_valid_after
        return principal, 0.0 if valid_after is None else valid_after.timestamp()

    def invalidate(self, user_id: int) -> None:
        """Forget a user's cached state (after deactivation, role or email change).
        Call it after the change is committed: the next RPC reads the new state."""
        self._epoch += 1
        self._users.pop(user_id, None)
        # A lookup in flight may have read the old state; later callers start afresh.
        self._loading.pop(user_id, None)
