"""`opengov-food`: the server's operator commands and the client commands for people."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence

from pydantic import ValidationError
from pydantic_settings import SettingsError

from opengovfood import __version__
from opengovfood.cli import (
    client_commands,
    config_commands,
    establishment_commands,
    export_commands,
    import_commands,
    server_commands,
    user_commands,
)


def config_error_line(error: ValidationError) -> str:
    """One clear line naming the first bad setting."""
    first = error.errors()[0]
    # loc[0] is the setting; deeper parts (dict keys, list indexes) are not env names.
    name = "OPENGOVFOOD_" + str(first["loc"][0]).upper() if first["loc"] else ""
    message = first["msg"].removeprefix("Value error, ")
    return f"configuration error: {name + ': ' if name else ''}{message}"


def settings_error_line(error: SettingsError) -> str:
    """One line for a value the environment source could not decode (bad JSON)."""
    match = re.search(r'field "([^"]+)"', str(error))
    name = f"OPENGOVFOOD_{match.group(1).upper()}: " if match else ""
    return f"configuration error: {name}not valid JSON"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="opengov-food", description="OpenGov-Food gRPC service for food-safety inspections."
    )
    parser.add_argument("--version", action="version", version=f"opengov-food {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    server_commands.register(commands)
    config_commands.register(commands)
    user_commands.register(commands)
    client_commands.register(commands)
    establishment_commands.register(commands)
    export_commands.register(commands)  # after client_commands: adds to `items`
    import_commands.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result: int = args.handler(args)
    except ValidationError as error:
        print(config_error_line(error), file=sys.stderr)
        return 2
    except SettingsError as error:
        print(settings_error_line(error), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return result


if __name__ == "__main__":
    raise SystemExit(main())
