"""Who is calling: access token -> Principal, with a short per-process cache.

A user's active/superuser state is cached for at most `principal_cache_ttl`
seconds (<= 5), so a deactivation made on another worker or instance takes
effect within that time, and the process that deactivates calls `invalidate`
for an immediate effect. A cached RPC costs no database round trip.
"""

from __future__ import annotations

import time

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from opengovfood.context import Principal
from opengovfood.errors import Unauthenticated
from opengovfood.repositories import users as users_repo
from opengovfood.services.tokens import TokenService


class Authenticator:
    def __init__(
        self,
        tokens: TokenService,
        session_factory: async_sessionmaker[AsyncSession],
        cache_ttl: float = 5.0,
    ) -> None:
        self._tokens = tokens
        self._sessions = session_factory
        self._ttl = cache_ttl
        self._users: dict[int, tuple[Principal | None, float]] = {}

    async def authenticate(self, token: str) -> Principal:
        claims = self._tokens.verify_access_token(token)
        user_id = claims.user_id
        if user_id is None:
            name = claims.service_name or ""
            return Principal(kind="service", user_id=None, name=name, scopes=claims.scopes)
        now = time.monotonic()
        cached = self._users.get(user_id)
        if cached is not None and cached[1] > now:
            principal = cached[0]
        else:
            principal = await self._load(user_id)
            if len(self._users) > 100_000:
                self._users.clear()
            self._users[user_id] = (principal, now + self._ttl)
        if principal is None:
            raise Unauthenticated("user is inactive or no longer exists")
        return principal

    async def _load(self, user_id: int) -> Principal | None:
        async with self._sessions() as session:
            state = await users_repo.get_auth_state(session, user_id)
        if state is None:
            return None
        email, is_active, is_superuser = state
        if not is_active:
            return None
        return Principal(kind="user", user_id=user_id, name=email, is_superuser=is_superuser)

    def invalidate(self, user_id: int) -> None:
        """Forget a user's cached state (after deactivation, role or email change)."""
        self._users.pop(user_id, None)
