"""`opengov-food config`: the effective configuration, and the generated reference."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from opengovfood.config import get_settings
from opengovfood.config_reference import effective, reference_markdown, replace_section


def cmd_config(args: argparse.Namespace) -> int:
    if args.reference:
        table = reference_markdown()
        if args.write is None:
            sys.stdout.write(table)
            return 0
        path: Path = args.write
        path.write_text(replace_section(path.read_text(encoding="utf-8"), table), "utf-8")
        print(f"updated the configuration reference in {path}")
        return 0
    rows = effective(get_settings())  # an invalid setting fails here, one line
    if args.json:
        print(json.dumps({name: value for name, value, _ in rows}, indent=2))
        return 0
    for name, value, explicit in rows:
        print(f"{name}={value}" if explicit else f"{name}={value}  # default")
    return 0


def register(commands: Any) -> None:
    config = commands.add_parser(
        "config", help="print the effective configuration (secrets masked) or the reference"
    )
    config.add_argument("--json", action="store_true", help="as one JSON object")
    config.add_argument(
        "--reference", action="store_true", help="print every setting as a Markdown table"
    )
    config.add_argument(
        "--write",
        type=Path,
        metavar="FILE",
        help="with --reference: replace the config-reference section of FILE (README.md)",
    )
    config.set_defaults(handler=cmd_config)
