"""The AIP-160 filter subset every list in the API speaks, parsed once into a syntax
tree and used twice: turned into SQL by the repositories (repositories/sql_lists.py)
and evaluated in Python here (WatchItems).

Language (what a `filter` field accepts):

    filter      := [expression]
    expression  := factor { "AND" factor }
    factor      := term { "OR" term }
    term        := ["NOT" | "-"] term | "(" expression ")" | comparison
    comparison  := FIELD OP VALUE
    OP          := "=" | "!=" | "<" | "<=" | ">" | ">=" | ":"
    VALUE       := "double quoted" | 'single quoted' | bare-word

- As in AIP-160, OR binds tighter than AND: `a AND b OR c` is `a AND (b OR c)`.
- AND, OR and NOT are upper-case keywords. Conditions must be joined with AND or OR
  (AIP-160's implicit-AND "sequence" is not supported: it hides typos).
- A bare value runs to the next space or parenthesis; quote values containing spaces.
  Inside quotes, `\\"`, `\\'` and `\\\\` escape.
- Which fields exist, which operators each accepts and how values parse is defined by
  a `FilterSpec` built from `Field`s (integer, timestamp, enum, text, string, boolean),
  so every list (items, users, analyses) reuses this parser with its own field table;
  each repository maps the field names to its columns.
- `:` is the has-operator: a case-insensitive substring match on text fields (no
  wildcards; `%` and `_` are literal). Case folding is Unicode-aware on both backends
  (SQLite via the `ogf_icontains` function of db/sqlite_functions.py).
- Timestamps are RFC 3339 with a time zone (`2025-01-31T08:00:00Z`).
- Errors are INVALID_ARGUMENT on the `filter` field, naming the problem and the column
  (1-based) where it was found.

Usage::

    spec = FilterSpec([integer_field("owner_id"), ...])
    parsed = spec.parse(request.filter)     # raises InvalidArgument
    parsed.matches(record)                  # what the SQL form selects, in Python

Evaluation in Python follows SQL's three-valued logic for missing (None) values, so a
watch predicate and a list query agree on nullable columns too.
"""

from __future__ import annotations

import enum
import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from opengovfood.domain import bounds
from opengovfood.errors import InvalidArgument, excerpt
from opengovfood.reasons import Reason

MAX_FILTER_LENGTH = 2000
MAX_DEPTH = 16
MAX_COMPARISONS = 50
INT64_MIN, INT64_MAX = bounds.INT64_MIN, bounds.INT64_MAX

COMPARISONS = ("=", "!=", "<", "<=", ">", ">=")
ORDERED = frozenset(COMPARISONS)
EQUALITY = frozenset({"=", "!="})
HAS = frozenset({":"})

_FIELD_CHARS = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_KEYWORDS = ("AND", "OR", "NOT")


class Kind(enum.Enum):
    INTEGER = "integer"
    TIMESTAMP = "timestamp"
    ENUM = "enum"
    TEXT = "text"
    BOOLEAN = "boolean"


@dataclass(frozen=True, eq=False)
class Field:
    """One filterable field: its name in the filter and how values parse. `attribute`
    names the attribute a record carries for it (repositories map `name` to a column)."""

    name: str
    kind: Kind
    operators: frozenset[str]
    parse: Callable[[str], Any]  # raises ValueError with a message for the caller
    attribute: str
    # ENUM only: the stored values in their declared order (for < <= > >=).
    order: tuple[Any, ...] = ()
    expects: str = ""  # how to describe a valid value in errors


def integer_field(name: str, attribute: str | None = None) -> Field:
    def parse(text: str) -> int:
        if not re.fullmatch(r"[+-]?[0-9]{1,19}", text):
            raise ValueError(f"{name} expects an integer, got {excerpt(text)}")
        return bounds.int64(int(text), name)

    return Field(name, Kind.INTEGER, ORDERED, parse, attribute or name, (), "an integer")


def parse_timestamp(text: str, name: str = "timestamp") -> datetime:
    """RFC 3339 with a zone -> aware UTC datetime (years 1 to 9999 once in UTC: what
    the drivers can bind); ValueError otherwise."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{name} expects an RFC 3339 timestamp like 2025-01-31T08:00:00Z, got {excerpt(text)}"
        ) from None
    if value.tzinfo is None or "T" not in text.upper():
        raise ValueError(
            f"{name} expects a date, time and time zone like 2025-01-31T08:00:00Z, "
            f"got {excerpt(text)}"
        )
    return bounds.utc(value, name)


def timestamp_field(name: str, attribute: str | None = None) -> Field:
    return Field(
        name,
        Kind.TIMESTAMP,
        ORDERED,
        lambda text: parse_timestamp(text, name),
        attribute or name,
        (),
        "an RFC 3339 timestamp",
    )


def enum_field(
    name: str,
    values: Sequence[tuple[Sequence[str], Any]],
    attribute: str | None = None,
) -> Field:
    """`values`: in declared order, (accepted spellings, stored value). Spellings match
    case-insensitively; ordering operators compare by declared order."""
    lookup: dict[str, Any] = {}
    for spellings, stored in values:
        for spelling in spellings:
            lookup[spelling.upper()] = stored
    canonical = ", ".join(spellings[0] for spellings, _ in values)

    def parse(text: str) -> Any:
        try:
            return lookup[text.upper()]
        except KeyError:
            raise ValueError(
                f"{name} has no value {excerpt(text)}; use one of {canonical}"
            ) from None

    return Field(
        name,
        Kind.ENUM,
        ORDERED,
        parse,
        attribute or name,
        tuple(stored for _, stored in values),
        f"one of {canonical}",
    )


def text_field(name: str, attribute: str | None = None) -> Field:
    """Searchable text: only the has-operator (`title:"walk-in"`)."""

    def parse(text: str) -> str:
        return bounds.text(text, name, MAX_FILTER_LENGTH)  # lone surrogates cannot be bound

    return Field(name, Kind.TEXT, HAS, parse, attribute or name, (), "text")


def string_field(
    name: str, normalize: Callable[[str], str] | None = None, attribute: str | None = None
) -> Field:
    """Text compared whole (`=`, `!=`) or searched (`:`); `normalize` is applied to the
    value as stored values were (e.g. emails: trimmed, lower-cased)."""

    def parse(text: str) -> str:
        value = normalize(text) if normalize is not None else text
        bounds.text(value, name, MAX_FILTER_LENGTH)
        if not value:
            raise ValueError(f"{name} needs a non-empty value")
        return value

    return Field(name, Kind.TEXT, EQUALITY | HAS, parse, attribute or name, (), "text")


def boolean_field(name: str, attribute: str | None = None) -> Field:
    def parse(text: str) -> bool:
        lowered = text.lower()
        if lowered not in ("true", "false"):
            raise ValueError(f"{name} expects true or false, got {excerpt(text)}")
        return lowered == "true"

    return Field(name, Kind.BOOLEAN, EQUALITY, parse, attribute or name, (), "true/false")


# --- syntax tree ------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Comparison:
    field: Field
    op: str
    value: Any
    text: str  # the value as written, for the canonical form

    def canonical(self) -> str:
        value = self.value
        if isinstance(value, datetime):
            text = value.isoformat()
        elif isinstance(value, bool):
            text = "true" if value else "false"
        else:
            text = str(value)
        escaped = text.replace("\\", "\\\\").replace('"', '\\"')
        return f'{self.field.name} {self.op} "{escaped}"'


@dataclass(frozen=True, eq=False)
class And:
    parts: tuple[Node, ...]

    def canonical(self) -> str:
        return "(" + " AND ".join(p.canonical() for p in self.parts) + ")"


@dataclass(frozen=True, eq=False)
class Or:
    parts: tuple[Node, ...]

    def canonical(self) -> str:
        return "(" + " OR ".join(p.canonical() for p in self.parts) + ")"


@dataclass(frozen=True, eq=False)
class Not:
    part: Node

    def canonical(self) -> str:
        return f"NOT {self.part.canonical()}"


Node = Comparison | And | Or | Not


_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def enum_choices(node: Comparison) -> tuple[Any, ...] | None:
    """For `<`, `<=`, `>`, `>=` on an enum: the stored values it selects (declared
    order), so SQL can use a set (and the column's index); None for other comparisons."""
    if node.field.kind is not Kind.ENUM or node.op in EQUALITY:
        return None
    order = node.field.order
    index = order.index(node.value)
    return {
        "<": order[:index],
        "<=": order[: index + 1],
        ">": order[index + 1 :],
        ">=": order[index:],
    }[node.op]


def _compare(node: Comparison, actual: Any) -> bool | None:
    if actual is None:
        return None
    op, value = node.op, node.value
    if op == ":":
        return str(value).lower() in str(actual).lower()
    if node.field.kind is Kind.ENUM and op not in EQUALITY:
        order = node.field.order
        if actual not in order:
            return None
        actual, value = order.index(actual), order.index(value)
    return bool(_OPERATORS[op](actual, value))


def evaluate(node: Node, obj: object) -> bool | None:
    """Kleene logic, like SQL: None is 'unknown'."""
    if isinstance(node, Comparison):
        return _compare(node, getattr(obj, node.field.attribute))
    if isinstance(node, Not):
        inner = evaluate(node.part, obj)
        return None if inner is None else not inner
    results = [evaluate(p, obj) for p in node.parts]
    if isinstance(node, And):
        if False in results:
            return False
        return None if None in results else True
    if True in results:
        return True
    return None if None in results else False


@dataclass(frozen=True, eq=False)
class ParsedFilter:
    """A parsed filter; `node` is None for the empty filter (matches everything)."""

    node: Node | None

    @property
    def canonical(self) -> str:
        """Normalised text: equal for filters that differ only in spacing/quoting."""
        return "" if self.node is None else self.node.canonical()

    def matches(self, obj: object) -> bool:
        return self.node is None or evaluate(self.node, obj) is True


# --- parser -----------------------------------------------------------------------


class FilterSpec:
    """The fields one list may filter on."""

    def __init__(self, fields: Iterable[Field], argument: str = "filter") -> None:
        self.fields: Mapping[str, Field] = {f.name: f for f in fields}
        self.argument = argument

    def parse(self, text: str) -> ParsedFilter:
        if len(text) > MAX_FILTER_LENGTH:
            raise InvalidArgument.field(
                self.argument, f"is longer than {MAX_FILTER_LENGTH} characters"
            )
        return ParsedFilter(_Parser(self, text).parse())


class _Parser:
    def __init__(self, spec: FilterSpec, text: str) -> None:
        self.spec = spec
        self.text = text
        self.pos = 0
        self.depth = 0
        self.comparisons = 0

    # -- helpers

    def error(self, message: str, at: int | None = None) -> InvalidArgument:
        column = (self.pos if at is None else at) + 1
        return InvalidArgument.field(
            self.spec.argument, f"{message} (at column {column})", reason=Reason.FILTER_INVALID
        )

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def at_end(self) -> bool:
        self.skip_space()
        return self.pos >= len(self.text)

    def peek_keyword(self, keyword: str) -> bool:
        """True if the keyword is next, followed by a space, '(' or '-' (NOT only)."""
        self.skip_space()
        end = self.pos + len(keyword)
        if self.text[self.pos : end] != keyword:
            return False
        if end == len(self.text):
            return True
        following = self.text[end]
        return following.isspace() or following == "(" or (keyword == "NOT" and following == "-")

    def take_keyword(self, keyword: str) -> int:
        start = self.pos
        self.pos += len(keyword)
        return start

    def describe_here(self) -> str:
        if self.pos >= len(self.text):
            return "the end of the filter"
        match = re.compile(r"\S{1,20}").match(self.text, self.pos)
        return f"{match.group(0)!r}" if match else repr(self.text[self.pos])

    # -- grammar

    def parse(self) -> Node | None:
        if self.at_end():
            return None
        node = self.expression()
        if not self.at_end():
            if self.text[self.pos] == ")":
                raise self.error("unbalanced ')'")
            raise self.error(f"expected AND or OR before {self.describe_here()}")
        return node

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"is nested more than {MAX_DEPTH} levels deep")

    def expression(self) -> Node:
        self.enter()
        parts = [self.factor()]
        while self.peek_keyword("AND"):
            self.take_keyword("AND")
            parts.append(self.factor())
        self.depth -= 1
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def factor(self) -> Node:
        parts = [self.term()]
        while self.peek_keyword("OR"):
            self.take_keyword("OR")
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def term(self) -> Node:
        self.skip_space()
        if self.pos >= len(self.text):
            raise self.error("expected a condition but the filter ended")
        if self.peek_keyword("NOT"):
            self.take_keyword("NOT")
            self.enter()
            node: Node = Not(self.term())
            self.depth -= 1
            return node
        if self.text[self.pos] == "-":
            self.pos += 1
            if self.pos >= len(self.text) or self.text[self.pos].isspace():
                raise self.error("'-' must be directly followed by a condition", self.pos - 1)
            self.enter()
            node = Not(self.term())
            self.depth -= 1
            return node
        if self.text[self.pos] == "(":
            opened = self.pos
            self.pos += 1
            if self.at_end():
                raise self.error("'(' is never closed", opened)
            if self.text[self.pos] == ")":
                raise self.error("empty parentheses", opened)
            node = self.expression()
            if self.at_end() or self.text[self.pos] != ")":
                if self.pos >= len(self.text):
                    raise self.error("'(' is never closed", opened)
                raise self.error(f"expected AND, OR or ')' before {self.describe_here()}")
            self.pos += 1
            return node
        return self.comparison()

    def comparison(self) -> Comparison:
        start = self.pos
        match = _FIELD_CHARS.match(self.text, self.pos)
        if match is None:
            raise self.error(f"expected a field name, found {self.describe_here()}")
        name = match.group(0)
        if name in _KEYWORDS:
            raise self.error(f"expected a condition, found {name}")
        field = self.spec.fields.get(name)
        if field is None:
            hint = ""
            if name.upper() in _KEYWORDS:
                hint = f"; the keyword is written {name.upper()}"
            known = ", ".join(sorted(self.spec.fields))
            raise self.error(
                f"unknown field {excerpt(name)}{hint} (filterable fields: {known})", start
            )
        self.pos = match.end()
        self.skip_space()
        op_start = self.pos
        op = self.operator()
        if op is None:
            raise self.error(
                f"expected an operator (= != < <= > >= :) after {name}, "
                f"found {self.describe_here()}"
            )
        if op not in field.operators:
            allowed = " ".join(o for o in (*COMPARISONS, ":") if o in field.operators)
            raise self.error(f"{name} does not support '{op}' (use {allowed})", op_start)
        self.skip_space()
        value_start = self.pos
        raw = self.value()
        try:
            value = field.parse(raw)
        except ValueError as exc:
            raise self.error(str(exc), value_start) from None
        self.comparisons += 1
        if self.comparisons > MAX_COMPARISONS:
            raise self.error(f"has more than {MAX_COMPARISONS} conditions", start)
        return Comparison(field, op, value, raw)

    def operator(self) -> str | None:
        for op in ("<=", ">=", "!=", "=", "<", ">", ":"):
            if self.text.startswith(op, self.pos):
                self.pos += len(op)
                return op
        return None

    def value(self) -> str:
        if self.pos >= len(self.text):
            raise self.error("expected a value but the filter ended")
        quote = self.text[self.pos]
        if quote in ('"', "'"):
            opened = self.pos
            self.pos += 1
            chars: list[str] = []
            while True:
                if self.pos >= len(self.text):
                    raise self.error("string is never closed", opened)
                char = self.text[self.pos]
                if char == "\\":
                    if self.pos + 1 >= len(self.text):
                        raise self.error("string is never closed", opened)
                    chars.append(self.text[self.pos + 1])
                    self.pos += 2
                    continue
                self.pos += 1
                if char == quote:
                    break
                chars.append(char)
            text = "".join(chars)
        else:
            if quote in "=!<>:":
                raise self.error(f"expected a value, found {self.describe_here()}")
            start = self.pos
            while self.pos < len(self.text):
                char = self.text[self.pos]
                if char.isspace() or char in "()":
                    break
                if char in "\"'":
                    raise self.error("quotes must enclose the whole value", self.pos)
                self.pos += 1
            text = self.text[start : self.pos]
            if not text:
                raise self.error(f"expected a value, found {self.describe_here()}")
        if any(ord(c) < 32 and c not in "\t" for c in text):
            raise self.error("values may not contain control characters", self.pos - 1)
        return text
