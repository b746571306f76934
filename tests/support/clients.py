"""Helpers for tests of the Python client and the CLI: accounts made through the API."""

from __future__ import annotations

import uuid

from opengovfood_client import Client
from opengovfood_client.aio import AsyncClient

PASSWORD = "correct horse battery 1"


def unique_email(prefix: str = "client") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}@example.org"


async def signed_in(address: str, **options: object) -> AsyncClient:
    """A new account, registered and signed in through the async client."""
    client = AsyncClient(address, **options)  # type: ignore[arg-type]
    email = unique_email()
    await client.users.register(email, PASSWORD, "Client Test")
    await client.login(email, PASSWORD)
    return client


def signed_in_sync(address: str, **options: object) -> Client:
    """The same with the sync client; call it from a worker thread (asyncio.to_thread)."""
    client = Client(address, **options)  # type: ignore[arg-type]
    email = unique_email()
    client.users.register(email, PASSWORD, "Client Test")
    client.login(email, PASSWORD)
    return client
