"""ListUsers `filter`: a small AIP-160 subset, parsed into the repository's filter tree.

    filter     := and_expr
    and_expr   := or_expr { [AND] or_expr }       (juxtaposition means AND)
    or_expr    := unary { OR unary }               (OR binds tighter, as in AIP-160)
    unary      := (NOT | "-") unary | "(" and_expr ")" | comparison
    comparison := FIELD ("=" | "!=" | ":") value

Fields: `is_active`, `is_superuser` (`=`/`!=` with true/false); `email`,
`full_name` (`:` case-insensitive substring, `=`/`!=` exact). Values are bare
words or "double"/'single' quoted strings with backslash escapes. The tree is
turned into bound SQL expressions by the repository; no text ever becomes SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from opengovfood.errors import InvalidArgument, excerpt
from opengovfood.repositories.users import And, FlagIs, Not, Or, TextHas, TextIs, UserFilter
from opengovfood.services.user_fields import normalize_email

MAX_FILTER_CHARS = 1000
MAX_DEPTH = 20
_FLAG_FIELDS = ("is_active", "is_superuser")
_TEXT_FIELDS = ("email", "full_name")

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<lparen>\()|(?P<rparen>\))|(?P<op>!=|=|:)|(?P<minus>-(?=[\s(A-Za-z]))
        |(?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
        |(?P<word>[^\s()=!:"']+)
    )""",
    re.VERBOSE,
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class _Token:
    kind: Literal["lparen", "rparen", "op", "minus", "string", "word", "end"]
    text: str
    position: int


def _bad(description: str) -> InvalidArgument:
    return InvalidArgument.field("filter", description)


def _tokens(text: str) -> list[_Token]:
    found: list[_Token] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None or match.lastgroup is None:
            raise _bad(f"unexpected character at position {position + 1}")
        kind = match.lastgroup
        start = match.start(kind)
        found.append(_Token(kind, match.group(kind), start))  # type: ignore[arg-type]
        position = match.end()
    found.append(_Token("end", "", len(text)))
    return found


def _unquote(token: _Token) -> str:
    if token.kind == "word":
        return token.text
    body = token.text[1:-1]
    return re.sub(r"\\(.)", r"\1", body)


class _Parser:
    def __init__(self, text: str) -> None:
        self._tokens = _tokens(text)
        self._index = 0

    def _peek(self) -> _Token:
        return self._tokens[self._index]

    def _next(self) -> _Token:
        token = self._tokens[self._index]
        if token.kind != "end":
            self._index += 1
        return token

    def parse(self) -> UserFilter:
        tree = self._and(0)
        token = self._peek()
        if token.kind != "end":
            raise _bad(f"unexpected {excerpt(token.text)} at position {token.position + 1}")
        return tree

    def _is_keyword(self, token: _Token, word: str) -> bool:
        return token.kind == "word" and token.text == word

    def _starts_term(self, token: _Token) -> bool:
        return token.kind in ("lparen", "minus", "word") and not self._is_keyword(token, "OR")

    def _and(self, depth: int) -> UserFilter:
        operands = [self._or(depth)]
        while True:
            token = self._peek()
            if self._is_keyword(token, "AND"):
                self._next()
                operands.append(self._or(depth))
            elif self._starts_term(token):
                operands.append(self._or(depth))
            else:
                break
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def _or(self, depth: int) -> UserFilter:
        operands = [self._unary(depth)]
        while self._is_keyword(self._peek(), "OR"):
            self._next()
            operands.append(self._unary(depth))
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def _unary(self, depth: int) -> UserFilter:
        if depth > MAX_DEPTH:
            raise _bad(f"is nested more than {MAX_DEPTH} levels deep")
        token = self._peek()
        if self._is_keyword(token, "NOT") or token.kind == "minus":
            self._next()
            return Not(self._unary(depth + 1))
        if token.kind == "lparen":
            self._next()
            inner = self._and(depth + 1)
            closing = self._next()
            if closing.kind != "rparen":
                raise _bad(f"expected ')' at position {closing.position + 1}")
            return inner
        return self._comparison()

    def _comparison(self) -> UserFilter:
        field = self._next()
        if field.kind == "end":
            raise _bad("ends where a comparison was expected")
        if field.kind != "word" or field.text in ("AND", "OR", "NOT"):
            raise _bad(f"expected a field name at position {field.position + 1}")
        if field.text not in _FLAG_FIELDS + _TEXT_FIELDS:
            known = ", ".join(_FLAG_FIELDS + _TEXT_FIELDS)
            raise _bad(f"unknown field {excerpt(field.text)} (known: {known})")
        operator = self._next()
        if operator.kind != "op":
            found = f", found {excerpt(operator.text)}" if operator.text else ""
            raise _bad(f"expected =, != or : after {excerpt(field.text)}{found}")
        value_token = self._next()
        if value_token.kind not in ("word", "string"):
            raise _bad(f"expected a value after '{field.text} {operator.text}'")
        value = _unquote(value_token)
        if field.text in _FLAG_FIELDS:
            return self._flag(field.text, operator.text, value)
        return self._text(field.text, operator.text, value)

    @staticmethod
    def _flag(field: str, operator: str, value: str) -> UserFilter:
        if operator == ":":
            raise _bad(f"'{field}' takes = or !=, not :")
        if value.lower() not in ("true", "false"):
            raise _bad(f"'{field}' compares with true or false, not {excerpt(value)}")
        wanted = (value.lower() == "true") == (operator == "=")
        return FlagIs(field, wanted)  # type: ignore[arg-type]

    @staticmethod
    def _text(field: str, operator: str, value: str) -> UserFilter:
        if field == "email":
            value = normalize_email(value) if operator != ":" else value.strip()
        if operator == ":":
            if not value:
                raise _bad(f"'{field}:' needs a non-empty text")
            return TextHas(field, value)  # type: ignore[arg-type]
        node = TextIs(field, value)  # type: ignore[arg-type]
        return node if operator == "=" else Not(node)


def parse_user_filter(text: str) -> UserFilter | None:
    """The filter tree, None for an empty filter; INVALID_ARGUMENT naming the problem."""
    if not text.strip():
        return None
    if len(text) > MAX_FILTER_CHARS:
        raise _bad(f"must be at most {MAX_FILTER_CHARS} characters")
    if _CONTROL.search(text):
        raise _bad("must not contain control characters")
    return _Parser(text).parse()
