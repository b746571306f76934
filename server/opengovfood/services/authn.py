"""Who is calling: access token -> Principal, with a short per-process cache.

A user's access token names its sign-in (`sid`, the refresh-token family the Login
started). The token is honoured while the user is active and that sign-in is live:
Logout, a reused refresh token, deactivation, reactivation and a password change
revoke the family, and the token stops working — at once on the process that made
the change (`end_session` / `invalidate`), within `principal_cache_ttl` seconds
(<= 5) on every other worker and instance. A user token without `sid` (none is
issued since sign-ins carry one) is refused. Service tokens have no sign-in and are
checked by signature, expiry and scope only.

The user's active/superuser state and the sign-in's state are read in one query and
cached together per (user, sign-in) for the TTL: a cached RPC costs no database round
trip; concurrent RPCs of one sign-in whose state is not cached share one lookup.

A user's access tokens issued before their `sessions_valid_after` (set when the
password changes) are refused, with the same cache delay on other processes.

The principal carries the user's department and role as the database has them now. A
token also names the department and role it was issued for (`dept`, `role`): one that
no longer matches is refused (ROLE_CHANGED). A change of either also revokes every
sign-in of the user (services/users.py), like a deactivation.
A service token's `department:<id>` scope confines it to that department.
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

_MAX_CACHED_SESSIONS = 100_000
_INACTIVE = "user is inactive or no longer exists"
_ENDED = "this sign-in has ended (signed out, revoked or the account changed); sign in again"


class _SessionState:
    """What a lookup found for one (user, sign-in): the principal to use, or why not."""

    __slots__ = ("principal", "refusal", "valid_after")

    def __init__(self, principal: Principal | None, valid_after: float, refusal: str) -> None:
        self.principal = principal
        self.valid_after = valid_after  # epoch seconds tokens must be issued at or after
        self.refusal = refusal  # the message when principal is None


_Key = tuple[int, str]


class AuthStates(Protocol):
    """Where a user's current state and a sign-in's are read (the user repository)."""

    async def session_state(self, user_id: int, session_id: str) -> AuthState | None: ...


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
        # user id -> sign-in id -> (state, expiry on the monotonic clock)
        self._cache: dict[int, dict[str, tuple[_SessionState, float]]] = {}
        self._cached = 0
        self._loading: dict[_Key, asyncio.Future[_SessionState]] = {}
        # Bumped by every invalidation: a lookup that started before it must not refill
        # the cache with what it read (it may predate the change).
        self._epoch = 0

    async def authenticate(self, token: str) -> Principal:
        claims = self._tokens.verify_access_token(token)
        user_id = claims.user_id
        if user_id is None:
            name = claims.service_name or ""
            return Principal.service(name, claims.scopes)
        session_id = claims.session_id
        if session_id is None:
            raise Unauthenticated(
                "access token belongs to no sign-in; sign in again", reason=Reason.TOKEN_REVOKED
            )
        cached = self._cache.get(user_id, {}).get(session_id)
        if cached is not None and cached[1] > time.monotonic():
            state = cached[0]
        else:
            state = await self._lookup((user_id, session_id))
        if claims.issued_at < state.valid_after:  # the likely reason a sign-in ended
            raise Unauthenticated(
                "access token was issued before the password was changed; sign in again",
                reason=Reason.TOKEN_REVOKED,
            )
        if state.principal is None:
            reason = Reason.ACCOUNT_INACTIVE if state.refusal == _INACTIVE else Reason.TOKEN_REVOKED
            raise Unauthenticated(state.refusal, reason=reason)
        principal = state.principal
        if (
            claims.department_id is not None and claims.department_id != principal.department_id
        ) or (claims.role is not None and claims.role != principal.role.value):
            raise Unauthenticated(
                "your role or department changed since this token was issued; sign in again",
                reason=Reason.ROLE_CHANGED,
            )
        return principal

    async def _lookup(self, key: _Key) -> _SessionState:
        future = self._loading.get(key)
        if future is None:
            future = asyncio.ensure_future(self._load_and_cache(key))
            self._loading[key] = future
            future.add_done_callback(lambda done: self._loaded(key, done))
        # shield: one caller giving up (cancelled RPC) must not cancel the others' lookup.
        return await asyncio.shield(future)

    def _loaded(self, key: _Key, future: asyncio.Future[_SessionState]) -> None:
        if self._loading.get(key) is future:
            del self._loading[key]
        if not future.cancelled():
            future.exception()  # retrieved here, so an unawaited failure is not reported

    async def _load_and_cache(self, key: _Key) -> _SessionState:
        epoch = self._epoch
        state = await self._load(*key)
        if epoch == self._epoch:
            if self._cached >= _MAX_CACHED_SESSIONS:
                self._cache.clear()
                self._cached = 0
            by_session = self._cache.setdefault(key[0], {})
            if key[1] not in by_session:
                self._cached += 1
            by_session[key[1]] = (state, time.monotonic() + self._ttl)
        return state

    async def _load(self, user_id: int, session_id: str) -> _SessionState:
        found = await self._states.session_state(user_id, session_id)
        if found is None or not found.is_active:
            return _SessionState(None, 0.0, _INACTIVE)
        valid_after = found.sessions_valid_after
        after = 0.0 if valid_after is None else valid_after.timestamp()
        if not found.session_live:
            return _SessionState(None, after, _ENDED)
        principal = Principal(
            kind="user",
            user_id=user_id,
            name=found.email,
            is_superuser=found.is_superuser,
            department_id=found.department_id,
            role=found.role,
        )
        return _SessionState(principal, after, "")

    def invalidate(self, user_id: int) -> None:
        """Forget everything cached about a user (after deactivation, reactivation, a
        role, email or password change). Call it after the change is committed: the next
        RPC reads the new state."""
        self._epoch += 1
        dropped = self._cache.pop(user_id, None)
        self._cached -= len(dropped or ())
        # A lookup in flight may have read the old state; later callers start afresh.
        for key in [k for k in self._loading if k[0] == user_id]:
            self._loading.pop(key, None)

    def end_session(self, user_id: int, session_id: str) -> None:
        """Forget one sign-in's cached state (after Logout or reuse revoked it)."""
        self._epoch += 1
        by_session = self._cache.get(user_id)
        if by_session is not None and by_session.pop(session_id, None) is not None:
            self._cached -= 1
        self._loading.pop((user_id, session_id), None)
