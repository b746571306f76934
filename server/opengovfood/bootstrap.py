"""Startup bootstrap: the first superuser from OPENGOVFOOD_FIRST_SUPERUSER_EMAIL/_PASSWORD.

A startup hook of the composition root (it tells a database outage from a refusal),
not a service."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.exc import DBAPIError

from opengovfood.config import Settings
from opengovfood.errors import NotFound
from opengovfood.services.users import UserService

logger = logging.getLogger("opengovfood.bootstrap")

RETRY_SECONDS = 5.0


class FirstSuperuser:
    """Create the configured superuser if the database has no user yet. Safe with
    several workers starting at once: the unique email lets exactly one win.

    A database that is down at startup does not stop the server (health reports
    it); the creation is retried in the background until it succeeds.
    """

    def __init__(self, settings: Settings, users: UserService) -> None:
        email, password = settings.first_superuser_email, settings.first_superuser_password
        self._credentials = (
            (email, password.get_secret_value()) if email and password is not None else None
        )
        self._users = users
        self._retry: asyncio.Task[None] | None = None

    async def _attempt(self, email: str, password: str) -> bool:
        try:
            created = await self._users.create_first_superuser(email, password)
        # NotFound: the default department is not there yet (a migration under way).
        except (DBAPIError, OSError, NotFound) as error:
            logger.warning(
                "cannot create the first superuser yet: database unavailable or not migrated",
                extra={"error": type(error).__name__, "retry_seconds": RETRY_SECONDS},
            )
            return False
        if created is not None:
            logger.info("first superuser created", extra={"user_id": created.id})
        return True

    async def _retry_until_done(self, email: str, password: str) -> None:
        while True:
            await asyncio.sleep(RETRY_SECONDS)
            if await self._attempt(email, password):
                return

    async def start(self) -> None:
        if self._credentials is None:
            return
        if not await self._attempt(*self._credentials):
            self._retry = asyncio.create_task(self._retry_until_done(*self._credentials))

    async def stop(self) -> None:
        if self._retry is not None:
            self._retry.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._retry
