"""What starting and stopping a server process share, below both `app` and `serve`."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable

logger = logging.getLogger("opengovfood.lifecycle")

Hook = Callable[[], Awaitable[None]]


class BindError(RuntimeError):
    """The configured address cannot be bound (in use, or not a local address)."""


async def run_all(hooks: Iterable[Hook], what: str) -> None:
    """Run every hook, even when one fails (each failure is logged): a cleanup that
    fails must not leave the next resource open."""
    for hook in hooks:
        try:
            await hook()
        except Exception:
            logger.exception("%s failed", what)
