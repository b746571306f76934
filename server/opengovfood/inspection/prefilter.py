"""Cheap pre-checks for the phrase rules: literals a regex's every match must contain.

Python's `re` tries a long alternation at every position of a sentence, and the rules are
many; most never match a given sentence. For each pattern we derive, from its parsed form,
a set of literal strings at least one of which occurs in any match (a "necessary factor"
set). `str.__contains__` over those few strings rules out most sentences at C speed; the
regex runs only on the rest. When no such set can be derived the pattern always runs.
"""

from __future__ import annotations

import re
import re._parser as _sre_parse  # type: ignore[import-not-found]  # parsed patterns (3.11+)
from re._constants import (  # type: ignore[import-not-found]
    ASSERT,
    ASSERT_NOT,
    AT,
    BRANCH,
    IN,
    LITERAL,
    MAX_REPEAT,
    MIN_REPEAT,
    SUBPATTERN,
)
from typing import Any, Final

__all__ = ["LiteralIndex", "Prefilter", "necessary_literals"]

_MIN_USEFUL: Final = 2  # a one-letter factor rules out nothing


def _sequence(items: list[tuple[Any, Any]]) -> frozenset[str] | None:
    """Factors of a concatenation: the most selective of its runs and its children's sets."""
    candidates: list[frozenset[str]] = []
    run: list[str] = []

    def flush() -> None:
        if len(run) >= _MIN_USEFUL:
            candidates.append(frozenset({"".join(run)}))
        run.clear()

    for op, arg in items:
        if op is LITERAL:
            run.append(chr(arg))
            continue
        if op is AT:  # \b, ^, $: zero-width, the run goes on
            continue
        if op in (ASSERT, ASSERT_NOT):  # look-arounds consume nothing
            flush()
            continue
        flush()
        child = _node(op, arg)
        if child is not None:
            candidates.append(child)
    flush()
    if not candidates:
        return None
    # Prefer the set whose shortest literal is longest (fewest false passes).
    return max(candidates, key=lambda s: (min(len(x) for x in s), -len(s)))


def _node(op: Any, arg: Any) -> frozenset[str] | None:
    if op is SUBPATTERN:
        return _sequence(list(arg[-1]))
    if op is BRANCH:
        union: set[str] = set()
        for branch in arg[1]:
            child = _sequence(list(branch))
            if child is None:
                return None
            union |= child
        return frozenset(union)
    if op in (MAX_REPEAT, MIN_REPEAT):
        low, _high, body = arg
        return _sequence(list(body)) if low >= 1 else None
    if op is IN:
        return None
    return None


def necessary_literals(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Literals one of which every match of `pattern` contains, or None if unknown."""
    try:
        parsed = _sre_parse.parse(pattern.pattern, pattern.flags)
    except (re.error, TypeError, ValueError):  # pragma: no cover - compiled patterns parse
        return None
    found = _sequence(list(parsed))
    if found is None or any(len(x) < _MIN_USEFUL for x in found):
        return None
    return found


class Prefilter:
    """`may_match(present)` is False only when the pattern cannot match the text whose
    literals (from a `LiteralIndex`) are `present`."""

    __slots__ = ("literals",)

    def __init__(self, pattern: re.Pattern[str] | None) -> None:
        self.literals = necessary_literals(pattern) if pattern is not None else None

    def may_match(self, present: frozenset[str] | set[str]) -> bool:
        return self.literals is None or not self.literals.isdisjoint(present)


class LiteralIndex:
    """Which of many prefilters a text passes, found in one pass.

    Each literal is filed under its first two characters; the text's two-character windows
    select the few candidate literals, only those are searched, and a filter passes when any
    of its literals is found. Checking every rule's literals one by one would cost
    thousands of substring searches a sentence.
    """

    __slots__ = ("_by_head", "_owners", "always")

    def __init__(self, filters: list[Prefilter]) -> None:
        owners: dict[str, list[int]] = {}
        always: list[int] = []
        for number, prefilter in enumerate(filters):
            if prefilter.literals is None:
                always.append(number)
                continue
            for literal in prefilter.literals:
                owners.setdefault(literal, []).append(number)
        by_head: dict[str, list[str]] = {}
        for literal in sorted(owners):
            by_head.setdefault(literal[:2], []).append(literal)
        self._by_head = {head: tuple(found) for head, found in by_head.items()}
        self._owners = {literal: tuple(numbers) for literal, numbers in owners.items()}
        self.always = frozenset(always)

    def passing(self, text: str) -> set[int]:
        """The numbers (positions in the list given) of the filters `text` passes."""
        heads = {text[i : i + 2] for i in range(len(text) - 1)}
        passed = set(self.always)
        for head in heads.intersection(self._by_head):
            for literal in self._by_head[head]:
                if len(literal) == 2 or literal in text:
                    passed.update(self._owners[literal])
        return passed
