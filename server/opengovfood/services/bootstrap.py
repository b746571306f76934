"""Startup bootstrap: the first superuser from OPENGOVFOOD_FIRST_SUPERUSER_EMAIL/_PASSWORD."""

from __future__ import annotations

import logging

from opengovfood.config import Settings
from opengovfood.services.users import UserService

logger = logging.getLogger("opengovfood.bootstrap")


async def ensure_first_superuser(settings: Settings, users: UserService) -> None:
    """Create the configured superuser if the database has no user yet. Safe with
    several workers starting at once: the unique email lets exactly one win."""
    email = settings.first_superuser_email
    password = settings.first_superuser_password
    if email is None or password is None:
        return
    created = await users.create_first_superuser(email, password.get_secret_value())
    if created is not None:
        logger.info("first superuser created", extra={"user_id": created.id})
