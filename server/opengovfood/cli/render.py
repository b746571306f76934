"""Output of the client commands: rich tables for people, JSON for scripts.

JSON is the canonical proto3 JSON mapping (field names as in the .proto, int64
as strings, enums by name, timestamps RFC 3339): the same as grpcurl prints.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any, TextIO

from google.protobuf import json_format
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from rich.console import Console
from rich.table import Table
from rich.text import Text

from opengovfood_client import status_name
from opengovfood_client.v1 import agent_pb2, items_pb2, users_pb2

STATUS_STYLES = {
    "pending": "yellow",
    "in_progress": "cyan",
    "completed": "green",
    "cancelled": "dim",
}
SEVERITY_STYLES = {
    "P": "bold red",
    "Pf": "red",
    "C": "yellow",
    "critical": "bold red",
    "major": "red",
    "minor": "yellow",
}
# The Food Code's own abbreviations; legacy values by name.
SEVERITY_LABELS: dict[int, str] = {
    agent_pb2.VIOLATION_SEVERITY_PRIORITY: "P",
    agent_pb2.VIOLATION_SEVERITY_PRIORITY_FOUNDATION: "Pf",
    agent_pb2.VIOLATION_SEVERITY_CORE: "C",
}


def severity_label(severity: int) -> str:
    label = SEVERITY_LABELS.get(severity)
    if label is not None:
        return label
    name: str = agent_pb2.ViolationSeverity.Name(severity)  # type: ignore[arg-type]
    return name.removeprefix("VIOLATION_SEVERITY_").lower()


# The streams the client commands use: sys.std* unless `redirect()` names others for
# this context (a thread running `main()` for a caller that wants the output, e.g.
# tests; immune to other code swapping sys.stdout meanwhile).
_streams: ContextVar[tuple[TextIO, TextIO, TextIO] | None] = ContextVar(
    "opengovfood_cli_streams", default=None
)


@contextmanager
def redirect(stdin: TextIO, stdout: TextIO, stderr: TextIO) -> Iterator[None]:
    token = _streams.set((stdin, stdout, stderr))
    try:
        yield
    finally:
        _streams.reset(token)


def in_stream() -> TextIO:
    streams = _streams.get()
    return streams[0] if streams else sys.stdin


def out_stream() -> TextIO:
    streams = _streams.get()
    return streams[1] if streams else sys.stdout


def err_stream() -> TextIO:
    streams = _streams.get()
    return streams[2] if streams else sys.stderr


def ask(prompt: str) -> str:
    """input() at a terminal (line editing); a plain read from a redirected stream."""
    stream = in_stream()
    if stream is sys.stdin:
        return input(prompt)
    out_stream().write(prompt)
    out_stream().flush()
    line = stream.readline()
    if not line:
        raise EOFError
    return line.rstrip("\r\n")


def stdout() -> Console:
    return Console(file=out_stream(), highlight=False, soft_wrap=False)


def stderr() -> Console:
    return Console(file=err_stream(), highlight=False)


def to_dict(message: Message) -> dict[str, Any]:
    return json_format.MessageToDict(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )


def print_json(value: Message | Sequence[Message] | dict[str, Any] | list[Any]) -> None:
    if isinstance(value, Message):
        data: Any = to_dict(value)
    elif isinstance(value, list | tuple) and all(isinstance(v, Message) for v in value):
        data = [to_dict(v) for v in value]
    else:
        data = value
    out_stream().write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    out_stream().flush()


def print_json_line(message: Message) -> None:
    out_stream().write(json.dumps(to_dict(message), ensure_ascii=False) + "\n")
    out_stream().flush()


def when(stamp: Timestamp) -> str:
    if not stamp.seconds and not stamp.nanos:
        return ""
    return datetime.fromtimestamp(stamp.seconds).astimezone().strftime("%Y-%m-%d %H:%M")


def status_text(value: int) -> Text:
    name = status_name(value)
    return Text(name, style=STATUS_STYLES.get(name, ""))


def items_table(items: Iterable[items_pb2.Item], title: str | None = None) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("ID", justify="right", no_wrap=True)
    table.add_column("Title", overflow="fold")
    table.add_column("Status", no_wrap=True)
    table.add_column("Owner", justify="right", no_wrap=True)
    table.add_column("Updated", no_wrap=True)
    for item in items:
        table.add_row(
            str(item.id),
            item.title,
            status_text(item.status),
            str(item.owner_id),
            when(item.update_time),
        )
    return table


def item_details(item: items_pb2.Item) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    table.add_row("ID", str(item.id))
    table.add_row("Title", item.title)
    table.add_row("Status", status_text(item.status))
    table.add_row("Description", item.description or Text("-", style="dim"))
    table.add_row("Owner", str(item.owner_id))
    if item.establishment_id or item.kind or item.result:
        table.add_row("Establishment", str(item.establishment_id or "-"))
        table.add_row("Kind", enum_text(items_pb2.ItemKind, item.kind, "ITEM_KIND_"))
        table.add_row(
            "Result", enum_text(items_pb2.InspectionResult, item.result, "INSPECTION_RESULT_")
        )
        table.add_row("Score", str(item.score))
        table.add_row("Inspected", when(item.inspect_time))
    table.add_row("Created", when(item.create_time))
    table.add_row("Updated", when(item.update_time))
    table.add_row("Etag", item.etag)
    return table


def enum_text(enum: Any, value: int, prefix: str) -> str:
    """`ITEM_KIND_FOLLOW_UP` -> `follow_up`; "-" when unspecified."""
    return enum.Name(value).removeprefix(prefix).lower() if value else "-"


def inspections_table(items: Iterable[items_pb2.Item]) -> Table:
    """An establishment's history: when, kind, result, score."""
    table = Table()
    table.add_column("ID", justify="right", no_wrap=True)
    table.add_column("Inspected", no_wrap=True)
    table.add_column("Kind", no_wrap=True)
    table.add_column("Result", no_wrap=True)
    table.add_column("Score", justify="right", no_wrap=True)
    table.add_column("Title", overflow="fold")
    for item in items:
        table.add_row(
            str(item.id),
            when(item.inspect_time),
            enum_text(items_pb2.ItemKind, item.kind, "ITEM_KIND_"),
            enum_text(items_pb2.InspectionResult, item.result, "INSPECTION_RESULT_"),
            str(item.score),
            item.title,
        )
    return table


def user_details(user: users_pb2.User) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    table.add_row("ID", str(user.id))
    table.add_row("Email", user.email)
    table.add_row("Name", user.full_name or Text("-", style="dim"))
    role = "superuser" if user.is_superuser else "user"
    table.add_row("Role", role + ("" if user.is_active else " (deactivated)"))
    table.add_row("Since", when(user.create_time))
    return table


def event_line(event: items_pb2.ItemEvent) -> Text:
    kind = items_pb2.ItemEventType.Name(event.type).removeprefix("ITEM_EVENT_TYPE_").lower()
    style = {"created": "green", "updated": "cyan", "deleted": "red"}.get(kind, "")
    line = Text()
    line.append(datetime.now().strftime("%H:%M:%S") + " ", style="dim")
    line.append(f"{kind:<8}", style=style)
    line.append(f" #{event.item.id} ")
    line.append(event.item.title)
    line.append(" [")
    line.append_text(status_text(event.item.status))
    line.append("]")
    return line


def analysis_view(analysis: agent_pb2.InspectionAnalysis) -> list[Any]:
    """Renderables for one analysis, top to bottom."""
    parts: list[Any] = []
    head = Text()
    head.append(f"Analysis #{analysis.id}", style="bold")
    if analysis.item_id:
        head.append(f"  item #{analysis.item_id}")
    head.append(f"  score {analysis.score}", style=_score_style(analysis))
    if analysis.grade:
        head.append(f" {analysis.grade}", style=_score_style(analysis))
    if analysis.scoring_scheme:
        head.append(f" ({analysis.scoring_scheme})", style="dim")
    head.append(f"  {analysis.provider}/{analysis.model}", style="dim")
    parts.append(head)
    parts.append(Text(analysis.summary))
    if analysis.violations:
        table = Table(title="Violations", title_justify="left")
        table.add_column("", no_wrap=True)
        table.add_column("Section", no_wrap=True)
        table.add_column("Item", justify="right", no_wrap=True)
        table.add_column("Violation", overflow="fold")
        table.add_column("Evidence", overflow="fold", style="dim")
        for violation in analysis.violations:
            label = severity_label(violation.severity)
            description = violation.description
            marks = []
            if violation.corrected_on_site:
                marks.append("COS")
            if violation.repeat:
                marks.append("repeat")
            if violation.source == agent_pb2.VIOLATION_SOURCE_MODEL:
                marks.append("suggested, not scored")
            if marks:
                description += f" [{', '.join(marks)}]"
            table.add_row(
                Text(label, style=SEVERITY_STYLES.get(label, "")),
                violation.food_code_section or violation.code,
                str(violation.form_item or ""),
                description,
                violation.evidence,
            )
        parts.append(table)
    else:
        parts.append(Text("No violations found.", style="green"))
    if analysis.corrective_actions:
        parts.append(Text("Corrective actions", style="bold"))
        parts.extend(Text(f"  - {action}") for action in analysis.corrective_actions)
    if analysis.public_health_narrative:
        parts.append(Text("Public health", style="bold"))
        parts.append(Text(analysis.public_health_narrative))
    elif analysis.narrative_missing:
        parts.append(
            Text("The model gave no narrative (findings and score are complete).", style="dim")
        )
    return parts


def _score_style(analysis: agent_pb2.InspectionAnalysis) -> str:
    if analysis.compliance_score >= 0.85:
        return "green"
    if analysis.compliance_score >= 0.6:
        return "yellow"
    return "red"


def violation_types_table(types: Iterable[agent_pb2.ViolationType]) -> Table:
    table = Table()
    table.add_column("Section", no_wrap=True)
    table.add_column("Item", justify="right", no_wrap=True)
    table.add_column("", no_wrap=True)
    table.add_column("Title", overflow="fold")
    for entry in types:
        label = severity_label(entry.severity)
        table.add_row(
            entry.food_code_section,
            str(entry.form_item),
            Text(label, style=SEVERITY_STYLES.get(label, "")),
            entry.title,
        )
    return table


def models_table(models: Iterable[agent_pb2.Model]) -> Table:
    table = Table()
    table.add_column("Provider", no_wrap=True)
    table.add_column("Model", overflow="fold")
    for model in models:
        table.add_row(model.provider, model.name)
    return table


def health_table(statuses: dict[str, str]) -> Table:
    table = Table()
    table.add_column("Service", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    for name, status in statuses.items():
        style = "green" if status == "SERVING" else "red"
        table.add_row(name or "(server)", Text(status, style=style))
    return table
