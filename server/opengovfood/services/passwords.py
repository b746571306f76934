"""Password policy and bcrypt hashing, off the event loop."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import bcrypt

from opengovfood.domain.accounts import (
    MAX_PASSWORD_BYTES,
    password_length_violations,
    password_violations,
    utf8_or_none,
)
from opengovfood.errors import InvalidArgument, ResourceExhausted
from opengovfood.reasons import Reason

__all__ = ["PasswordHasher", "hash_cost", "password_length_violations", "password_violations"]

BCRYPT_THREAD_NICENESS = 10
_COST = re.compile(r"^\$2[aby]\$(\d\d)\$")
_T = TypeVar("_T")


def _lower_thread_priority() -> None:
    """Runs in each bcrypt thread. On Linux setpriority on a thread id renices just that
    thread: when logins and other RPCs compete for the CPU, the event loop wins, and
    logins still use every idle cycle."""
    # Not Linux, or not permitted: the threads keep the normal priority.
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BCRYPT_THREAD_NICENESS)


def hash_cost(hashed: str) -> int | None:
    match = _COST.match(hashed)
    return int(match.group(1)) if match else None


class PasswordHasher:
    """bcrypt in a small dedicated thread pool: a burst of logins never blocks the loop
    and never takes the threads other work (e.g. aiosqlite) needs. bcrypt releases the
    GIL while it works, so other RPCs keep running.

    At most `max_pending` hash jobs wait or run at once; beyond that callers get
    RESOURCE_EXHAUSTED at once instead of queueing minutes of work behind a storm.
    """

    def __init__(self, rounds: int = 12, max_threads: int = 2, max_pending: int = 64) -> None:
        self._rounds = rounds
        self._executor = ThreadPoolExecutor(
            max_workers=max_threads,
            thread_name_prefix="bcrypt",
            initializer=_lower_thread_priority,
        )
        self._dummy_hash: bytes | None = None
        self._pending = 0
        self._max_pending = max_pending

    @property
    def rounds(self) -> int:
        return self._rounds

    async def _run(self, fn: Callable[..., _T], *args: object) -> _T:
        if self._pending >= self._max_pending:
            raise ResourceExhausted(
                "the server is busy checking passwords; retry shortly",
                1.0,
                reason=Reason.SERVER_BUSY,
            )
        self._pending += 1
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._executor, fn, *args)
        finally:
            self._pending -= 1

    def _hash_sync(self, encoded: bytes) -> str:
        salt = bcrypt.gensalt(rounds=self._rounds)
        return bcrypt.hashpw(encoded, salt).decode("ascii")

    @staticmethod
    def _check_sync(encoded: bytes, hashed: bytes) -> bool:
        try:
            return bcrypt.checkpw(encoded, hashed)
        except ValueError:  # malformed stored hash
            return False

    async def hash(self, password: str) -> str:
        """Hash a password that passed `password_violations` (checked again here: bcrypt
        raises on more than 72 bytes, and that must never become a crash)."""
        violations = password_length_violations(password)
        if violations:
            raise InvalidArgument.for_fields(violations)
        return await self._run(self._hash_sync, password.encode("utf-8"))

    async def warm(self) -> None:
        """Make the dummy hash now, so the first unknown-email login costs the same as
        any other."""
        if self._dummy_hash is None:
            dummy = await self._run(self._hash_sync, b"dummy-password-for-timing")
            self._dummy_hash = dummy.encode("ascii")

    async def verify(self, password: str, hashed: str | None) -> bool:
        """Check `password`; with `hashed=None` (unknown or unusable user) check against
        a dummy hash of the same cost so both answers take the same time."""
        encoded = utf8_or_none(password)
        if encoded is None or len(encoded) > MAX_PASSWORD_BYTES:
            return False
        if hashed is None:
            await self.warm()
            assert self._dummy_hash is not None
            await self._run(self._check_sync, encoded, self._dummy_hash)
            return False
        return await self._run(self._check_sync, encoded, hashed.encode("ascii"))

    def needs_rehash(self, hashed: str) -> bool:
        """True when a stored hash was made at another cost than the configured one."""
        return hash_cost(hashed) != self._rounds

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
