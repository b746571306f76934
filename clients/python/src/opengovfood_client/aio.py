"""The asyncio client (grpc.aio): the same API as `Client`, with `await` and `async for`.

    async with AsyncClient("127.0.0.1:50051") as client:
        await client.login("ann@example.org", "a long passphrase")
        async for item in client.items.list():
            print(item.title)
        async for delta in client.agent.chat("What temperature must a walk-in hold?"):
            print(delta, end="", flush=True)

Create it inside the event loop that uses it. Written once in `_async/client.py`; the
synchronous `Client` is generated from it.
"""

from opengovfood_client._async.client import (
    AsyncAgent,
    AsyncChatStream,
    AsyncClient,
    AsyncHealth,
    AsyncItems,
    AsyncStream,
    AsyncUsers,
)

__all__ = [
    "AsyncAgent",
    "AsyncChatStream",
    "AsyncClient",
    "AsyncHealth",
    "AsyncItems",
    "AsyncStream",
    "AsyncUsers",
]
