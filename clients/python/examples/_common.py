"""Shared by the examples: where the server is and who signs in.

Run `make run` first. Then, e.g.:
    OPENGOVFOOD_EMAIL=ann@example.org OPENGOVFOOD_PASSWORD='a long passphrase' \
        python clients/python/examples/items.py
The account is registered on first use (open registration is on by default).
"""

from __future__ import annotations

import contextlib
import os

from opengovfood_client import AlreadyExistsError, Client

ADDRESS = os.environ.get("OPENGOVFOOD_ADDRESS", "127.0.0.1:50051")
EMAIL = os.environ.get("OPENGOVFOOD_EMAIL", "example-inspector@example.org")
PASSWORD = os.environ.get("OPENGOVFOOD_PASSWORD", "example passphrase 1")


def signed_in_client() -> Client:
    client = Client(ADDRESS)
    with contextlib.suppress(AlreadyExistsError):
        client.users.register(EMAIL, PASSWORD, "Example Inspector")
    client.login(EMAIL, PASSWORD)
    return client
