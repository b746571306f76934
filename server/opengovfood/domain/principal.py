"""Who is calling, and the scopes a service principal may hold."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# Lets a service principal read every item (GetItem, ListItems, WatchItems).
SCOPE_ITEMS_READ = "items:read"
KNOWN_SCOPES = frozenset({SCOPE_ITEMS_READ})


@dataclass(frozen=True, slots=True)
class Principal:
    """A signed-in user or a service with scopes. Services take it as an argument."""

    kind: Literal["user", "service"]
    user_id: int | None
    name: str
    is_superuser: bool = False
    scopes: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_service(self) -> bool:
        return self.kind == "service"

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def key(self) -> str:
        """Stable identity for rate limits, idempotency keys and page tokens."""
        return f"user:{self.user_id}" if self.kind == "user" else f"service:{self.name}"
