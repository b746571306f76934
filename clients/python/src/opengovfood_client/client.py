"""The synchronous client: `Client(address)`, then `client.items.list()` and friends.

    with Client("127.0.0.1:50051") as client:
        client.login("ann@example.org", "a long passphrase")
        item = client.items.create(title="Walk-in cooler at 9 C")
        for item in client.items.list(filter="status = ITEM_STATUS_PENDING"):
            print(item.id, item.title)

Thread-safe: one Client can serve many threads (it shares one HTTP/2 connection).
The code is generated from the asyncio client (`_async/client.py` -> `_sync/client.py`).
"""

from opengovfood_client._sync.client import (
    Agent,
    ChatStream,
    Client,
    Health,
    Items,
    Stream,
    Users,
)
from opengovfood_client.config import DEFAULT_ADDRESS, resolve_timeout

__all__ = [
    "DEFAULT_ADDRESS",
    "Agent",
    "ChatStream",
    "Client",
    "Health",
    "Items",
    "Stream",
    "Users",
    "resolve_timeout",
]
