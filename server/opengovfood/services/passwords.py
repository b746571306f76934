"""Password policy and bcrypt hashing, off the event loop."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import bcrypt

from opengovfood.errors import FieldViolation

MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_BYTES = 72  # bcrypt's limit; bcrypt 5 raises beyond it


def password_violations(password: str, field: str = "password") -> list[FieldViolation]:
    """Policy: 8 or more characters, at most 72 bytes of UTF-8."""
    if len(password) < MIN_PASSWORD_CHARS:
        return [FieldViolation(field, f"must be at least {MIN_PASSWORD_CHARS} characters")]
    if len(password.encode("utf-8", "surrogatepass")) > MAX_PASSWORD_BYTES:
        return [FieldViolation(field, f"must be at most {MAX_PASSWORD_BYTES} bytes in UTF-8")]
    return []


class PasswordHasher:
    """bcrypt in a small dedicated thread pool: a burst of logins never blocks the loop
    and never takes the threads other work (e.g. aiosqlite) needs."""

    def __init__(self, rounds: int = 12, max_threads: int = 2) -> None:
        self._rounds = rounds
        self._executor = ThreadPoolExecutor(max_workers=max_threads, thread_name_prefix="bcrypt")
        self._dummy_hash: bytes | None = None

    def _hash_sync(self, password: str) -> str:
        salt = bcrypt.gensalt(rounds=self._rounds)
        return bcrypt.hashpw(password.encode("utf-8"), salt).decode("ascii")

    @staticmethod
    def _check_sync(password: str, hashed: bytes) -> bool:
        encoded = password.encode("utf-8", "surrogatepass")
        if len(encoded) > MAX_PASSWORD_BYTES:
            return False
        try:
            return bcrypt.checkpw(encoded, hashed)
        except ValueError:  # malformed stored hash
            return False

    async def hash(self, password: str) -> str:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._hash_sync, password)

    async def verify(self, password: str, hashed: str | None) -> bool:
        """Check `password`; with `hashed=None` (unknown user) check against a dummy hash
        so both answers take the same time."""
        loop = asyncio.get_running_loop()
        if hashed is None:
            if self._dummy_hash is None:
                dummy = await self.hash("dummy-password-for-timing")
                self._dummy_hash = dummy.encode("ascii")
            await loop.run_in_executor(self._executor, self._check_sync, password, self._dummy_hash)
            return False
        return await loop.run_in_executor(
            self._executor, self._check_sync, password, hashed.encode("ascii")
        )

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
