"""SQL functions our SQLite statements use, registered on every connection (the
engine's pool and the fast-read connection alike)."""

from __future__ import annotations

from typing import Any


def _icontains(haystack: str | None, needle: str | None) -> int | None:
    """SQLite's LIKE folds ASCII only; this folds like Python's str.lower (and ILIKE)."""
    if haystack is None or needle is None:
        return None
    return 1 if needle.lower() in haystack.lower() else 0


def register_functions(connection: Any) -> None:
    """On a sqlite3 or aiosqlite-adapted connection: `ogf_icontains(text, needle)`, the
    filter language's `:` operator."""
    connection.create_function("ogf_icontains", 2, _icontains, deterministic=True)
