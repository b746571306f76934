"""Client commands that save files from the server: `export lives`, `items report`.

    opengov-food export lives --out feed/ [--filter 'result = INSPECTION_RESULT_FAIL']
    opengov-food items report 42 --out inspection-42.pdf

They connect like the other client commands (client_commands.connect: --address, TLS,
the saved session or OPENGOVFOOD_TOKEN) and exit with the same codes.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
from pathlib import Path, PurePath
from typing import Any, BinaryIO

from opengovfood.cli import render
from opengovfood.cli.client_commands import (
    EXIT_USAGE,
    CliError,
    client_command,
    connect,
    connection_options,
    json_option,
    positive_id,
)

Subparsers = Any  # argparse's _SubParsersAction is private


def _subcommands(commands: Subparsers, name: str, help_text: str) -> Subparsers:
    """The sub-command table of `name`, created if no other module made it yet."""
    parser = commands.choices.get(name)
    if parser is None:
        parser = commands.add_parser(name, help=help_text)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return parser.add_subparsers(dest=f"{name}_command", metavar="COMMAND", required=True)


def _bare_name(file_name: str) -> str:
    """A file name from the server, never a path: no directories, no '..'."""
    name = PurePath(file_name.replace("\\", "/")).name
    if name in ("", ".", ".."):
        raise CliError(f"the server sent an unusable file name {file_name!r}")
    return name


@client_command
def cmd_export_lives(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise CliError(f"--out {out} is a file; give a directory", EXIT_USAGE)
    out.mkdir(parents=True, exist_ok=True)
    sizes: dict[str, int] = {}
    with contextlib.ExitStack() as files, connect(args) as client:
        current: BinaryIO | None = None
        for chunk in client.items.export_lives(args.filter):
            if chunk.file_name not in sizes:
                if current is not None:
                    current.close()
                current = files.enter_context((out / _bare_name(chunk.file_name)).open("wb"))
                sizes[chunk.file_name] = 0
            assert current is not None
            current.write(chunk.data)
            sizes[chunk.file_name] += len(chunk.data)
    if args.json:
        render.print_json({"directory": str(out), "files": {k: str(v) for k, v in sizes.items()}})
    else:
        console = render.stderr()
        for name, size in sizes.items():
            console.print(f"{out / name}  {size:,} bytes")
    return 0


@client_command
def cmd_items_report(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.is_dir():
        out = out / f"inspection-{args.id}.pdf"
    with connect(args) as client:
        pdf = client.items.report(args.id)
    # Written next to the target and renamed: a failed call leaves no half file.
    handle, temporary = tempfile.mkstemp(dir=out.parent or Path("."), suffix=".part")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(pdf)
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    if args.json:
        render.print_json({"file": str(out), "bytes": str(len(pdf))})
    else:
        render.stderr().print(f"{out}  {len(pdf):,} bytes")
    return 0


def register(commands: Subparsers) -> None:
    conn = connection_options()
    js = json_option()

    export = _subcommands(commands, "export", "open-data exports of your inspections")
    lives = export.add_parser(
        "lives",
        parents=[conn, js],
        help="write the LIVES feed (businesses, inspections, violations, feed_info, legend)",
    )
    lives.add_argument("--out", required=True, help="directory to write the CSV files into")
    lives.add_argument(
        "--filter",
        default="",
        help="which inspections, as in `items list --filter` "
        "(e.g. 'inspect_time >= \"2026-01-01T00:00:00Z\"')",
    )
    lives.set_defaults(handler=cmd_export_lives)

    items = _subcommands(commands, "items", "inspections, complaints and reviews")
    report = items.add_parser(
        "report", parents=[conn, js], help="save an inspection's report as a PDF"
    )
    report.add_argument("id", type=positive_id)
    report.add_argument(
        "--out", required=True, help="the PDF file to write (or a directory for inspection-ID.pdf)"
    )
    report.set_defaults(handler=cmd_items_report)
