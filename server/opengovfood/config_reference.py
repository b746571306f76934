"""The configuration reference and the effective configuration, from the Settings class.

`reference_markdown()` is the table README.md holds between the config-reference
markers (a test fails when they differ; `opengov-food config --reference
--write README.md` updates it). `effective()` lists the values in force with
secrets masked, for `opengov-food config`.
"""

from __future__ import annotations

import json
import re
import typing
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import SecretStr, TypeAdapter
from pydantic.fields import FieldInfo

from opengovfood.config import Settings

START_MARKER = "<!-- config-reference:start -->"
END_MARKER = "<!-- config-reference:end -->"
MASK = "********"


def env_name(field: str) -> str:
    prefix = Settings.model_config.get("env_prefix", "")
    return f"{prefix}{field}".upper()


def _plain(value: Any) -> str:
    """A value the way it is written in the environment."""
    if value is None:
        return ""
    if isinstance(value, SecretStr):
        return MASK
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (str, int, float)):
        return str(value)
    dumped = TypeAdapter(type(value)).dump_python(value, mode="json")  # timedelta: ISO 8601
    return str(dumped)


def _choices(annotation: Any) -> tuple[str, ...]:
    """The allowed values of a Literal[...] (or Literal | None) setting."""
    if typing.get_origin(annotation) is Literal:
        return tuple(str(a) for a in typing.get_args(annotation))
    for arg in typing.get_args(annotation):
        if typing.get_origin(arg) is Literal:
            return tuple(str(a) for a in typing.get_args(arg))
    return ()


def _default(info: FieldInfo) -> Any:
    return info.get_default(call_default_factory=True)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def reference_markdown() -> str:
    lines = [
        "| Variable | Default | Description |",
        "| --- | --- | --- |",
    ]
    for name, info in Settings.model_fields.items():
        default = _plain(_default(info))
        shown = f"`{default}`" if default else "unset"
        description = info.description or ""
        choices = _choices(info.annotation)
        if choices and not all(f"`{c}`" in description for c in choices):
            description += " One of: " + ", ".join(f"`{c}`" for c in choices) + "."
        lines.append(f"| `{env_name(name)}` | {_cell(shown)} | {_cell(description)} |")
    return "\n".join(lines) + "\n"


def replace_section(document: str, table: str) -> str:
    """`document` with the text between the markers replaced by `table`."""
    pattern = re.compile(re.escape(START_MARKER) + r".*?" + re.escape(END_MARKER), re.DOTALL)
    if not pattern.search(document):
        raise ValueError(f"no {START_MARKER} ... {END_MARKER} section")
    return pattern.sub(lambda _: f"{START_MARKER}\n{table}{END_MARKER}", document, count=1)


def section_of(document: str) -> str | None:
    start = document.find(START_MARKER)
    end = document.find(END_MARKER)
    if start < 0 or end < start:
        return None
    return document[start + len(START_MARKER) : end].lstrip("\n")


def _mask_url(value: str) -> str:
    """Hide the password in a URL (database, Redis)."""
    try:
        parts = urlsplit(value)
    except ValueError:
        return value
    if not parts.password:
        return value
    userinfo = f"{parts.username}:{MASK}" if parts.username else f":{MASK}"
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{userinfo}@{host}"))


def effective(settings: Settings) -> list[tuple[str, str, bool]]:
    """(variable, value with secrets masked, set explicitly?) for every setting."""
    rows = []
    for name in Settings.model_fields:
        value = getattr(settings, name)
        text = _plain(value)
        if isinstance(value, str) and "://" in value:
            text = _mask_url(text)
        rows.append((env_name(name), text, name in settings.model_fields_set))
    return rows
