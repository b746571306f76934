"""Operator command: `opengov-food import chicago FILE --owner EMAIL`.

Like `db seed`, it works on the database directly (OPENGOVFOOD_DATABASE_URL, migrated),
not through a server: an import is a department's one-off load of its history. What
it loads belongs to the `--owner` user (an existing, active account). Running it again
on the same file adds nothing (services/imports.py).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opengovfood.cli.user_commands import CommandError, _guarded, _run_with_container
from opengovfood.config import get_settings

if TYPE_CHECKING:
    from opengovfood.app import Container
    from opengovfood.services.imports import ImportSummary

Subparsers = Any  # argparse's _SubParsersAction is private
SHOWN_PROBLEMS = 10


def cmd_import_chicago(args: argparse.Namespace) -> int:
    from opengovfood.app import build_import_service

    path = Path(args.file)
    if not path.is_file():
        raise CommandError(f"{path}: no such file")

    # utf-8-sig: the portal's exports may start with a byte-order mark.
    with path.open(encoding="utf-8-sig", newline="") as lines:

        async def work(container: Container) -> ImportSummary:
            service = build_import_service(container)
            owner = await service.owner(args.owner)
            return await service.import_chicago(owner, lines)

        try:
            summary = _run_with_container(get_settings(), work)
        except UnicodeDecodeError:
            raise CommandError(f"{path}: not UTF-8 text") from None
    print(
        f"{path}: {summary.rows} rows; imported {summary.imported} inspections "
        f"({summary.establishments} new establishments), skipped {summary.skipped} "
        f"imported before, {len(summary.problems)} rows with problems"
    )
    for problem in summary.problems[:SHOWN_PROBLEMS]:
        print(f"  line {problem.line}: {problem.message}")
    if len(summary.problems) > SHOWN_PROBLEMS:
        print(f"  ... and {len(summary.problems) - SHOWN_PROBLEMS} more")
    return 0


def register(commands: Subparsers) -> None:
    parser = commands.add_parser("import", help="load past inspections from a city's open data")
    sources = parser.add_subparsers(dest="import_command", metavar="SOURCE", required=True)
    chicago = sources.add_parser(
        "chicago",
        help="a City of Chicago 'Food Inspections' CSV (data portal dataset 4ijn-s7e5)",
    )
    chicago.add_argument("file", help="the CSV file")
    chicago.add_argument(
        "--owner", required=True, help="email of the user the inspections will belong to"
    )
    chicago.set_defaults(handler=_guarded(cmd_import_chicago))
