"""Account commands: `users create`, `token issue`, `db seed`.

Passwords are never taken as arguments (they would show in `ps` and shell
history): `users create` prompts for one, or reads one line from standard input
with `--password-stdin`.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import re
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError

from opengovfood.config import Settings, get_settings
from opengovfood.domain.principal import KNOWN_SCOPES
from opengovfood.errors import InvalidArgument, ServiceError
from opengovfood.services.tokens import SERVICE_NAME_PATTERN, SERVICE_SUBJECT_PREFIX

Subparsers = Any  # argparse's _SubParsersAction is private
_T = TypeVar("_T")

MAX_SERVICE_TOKEN_TTL = timedelta(days=30)
_DURATION = re.compile(r"(\d+)([smhd]?)")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


class CommandError(Exception):
    """A problem to print as one line; exit status 1."""


def parse_duration(text: str) -> timedelta:
    """`90`, `90s`, `30m`, `1h`, `7d`."""
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise argparse.ArgumentTypeError(f"'{text}' is not a duration like 30m, 1h or 7d")
    seconds = int(match.group(1)) * _UNITS[match.group(2)]
    if seconds <= 0:
        raise argparse.ArgumentTypeError("the duration must be positive")
    return timedelta(seconds=seconds)


def _run_with_container(settings: Settings, work: Callable[[Any], Awaitable[_T]]) -> _T:
    from opengovfood.app import build_container

    async def run() -> _T:
        container = build_container(settings)
        try:
            return await work(container)
        finally:
            await container.aclose()

    try:
        return asyncio.run(run())
    except InvalidArgument as error:
        raise CommandError(
            "; ".join(f"{v.field.removeprefix('user.')}: {v.description}" for v in error.violations)
            or error.message
        ) from None
    except ServiceError as error:
        raise CommandError(error.message) from None
    except DBAPIError as error:
        raise CommandError(
            "the database is not reachable or not migrated; run 'opengov-food db upgrade' "
            f"first ({type(error.orig).__name__})"
        ) from None


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise CommandError("no password on standard input")
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise CommandError("no terminal to prompt for the password; use --password-stdin")
    password = getpass.getpass("Password: ")
    if getpass.getpass("Repeat password: ") != password:
        raise CommandError("the passwords do not match")
    return password


def cmd_users_create(args: argparse.Namespace) -> int:
    from opengovfood.services.users import UserInput

    settings = get_settings()
    password = _read_password(args.password_stdin)
    fields = UserInput(
        email=args.email, full_name=args.full_name, is_active=True, is_superuser=args.superuser
    )
    user = _run_with_container(settings, lambda c: c.users.create_user(fields, password))
    role = "superuser" if user.is_superuser else "user"
    print(f"created {role} {user.email} (id {user.id})")
    return 0


def cmd_token_issue(args: argparse.Namespace) -> int:
    from opengovfood.services.tokens import TokenService

    if not re.fullmatch(SERVICE_NAME_PATTERN, args.service):
        raise CommandError(
            "--service must be 1-64 letters, digits, '.', '_' or '-', starting with a "
            "letter or digit"
        )
    unknown = sorted(set(args.scope) - KNOWN_SCOPES)
    if unknown:
        raise CommandError(
            f"unknown scope {', '.join(unknown)}; known: {', '.join(sorted(KNOWN_SCOPES))}"
        )
    if args.ttl > MAX_SERVICE_TOKEN_TTL:
        raise CommandError(f"--ttl may be at most {MAX_SERVICE_TOKEN_TTL.days} days")
    tokens = TokenService(get_settings())
    token, expires_in = tokens.issue_access_token(
        SERVICE_SUBJECT_PREFIX + args.service,
        frozenset(args.scope),
        int(args.ttl.total_seconds()),
    )
    print(token)
    print(f"service token for '{args.service}', expires in {expires_in} s", file=sys.stderr)
    return 0


def cmd_db_seed(args: argparse.Namespace) -> int:
    from opengovfood.app import build_import_service
    from opengovfood.services.seed import seed

    settings = get_settings()
    result = _run_with_container(
        settings, lambda c: seed(c.users, c.items, build_import_service(c))
    )
    if not result.users:
        print("the demo users already exist; nothing added")
        return 0
    print("created demo users (the passwords are shown only this once):")
    width = max(len(user.email) for user in result.users)
    for user in result.users:
        role = "superuser" if user.is_superuser else "user"
        print(f"  {user.email:<{width}}  {role:<9}  {user.password}")
    print(f"added {result.items} demo items")
    if result.inspections:
        print(
            f"imported {result.inspections} City of Chicago inspections (March 2020, with "
            "their establishments and violations) for inspector@example.org"
        )
    return 0


def _guarded(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except CommandError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1

    return run


def _subcommands(commands: Subparsers, name: str, help_text: str) -> Subparsers:
    """The sub-command table of `name`, created if no other module made it yet."""
    parser = commands.choices.get(name)
    if parser is None:
        parser = commands.add_parser(name, help=help_text)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return parser.add_subparsers(dest=f"{name}_command", metavar="COMMAND", required=True)


def register(commands: Subparsers) -> None:
    users = _subcommands(commands, "users", "user accounts")
    create = users.add_parser(
        "create", help="create a user; the password is prompted for (or --password-stdin)"
    )
    create.add_argument("--email", required=True, help="the new user's email")
    create.add_argument("--full-name", default="", help="display name")
    create.add_argument("--superuser", action="store_true", help="make an administrator")
    create.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input instead of a prompt",
    )
    create.set_defaults(handler=_guarded(cmd_users_create))

    token = _subcommands(commands, "token", "service tokens")
    issue = token.add_parser("issue", help="print an access token for a service principal")
    issue.add_argument("--service", required=True, help="the service's name, e.g. reports")
    issue.add_argument(
        "--scope",
        action="append",
        required=True,
        help=f"a scope to grant; repeat for more (known: {', '.join(sorted(KNOWN_SCOPES))})",
    )
    issue.add_argument(
        "--ttl",
        type=parse_duration,
        default=timedelta(hours=1),
        help="lifetime like 30m, 1h, 7d (default 1h, at most 30d)",
    )
    issue.set_defaults(handler=_guarded(cmd_token_issue))

    db = _subcommands(commands, "db", "database schema and data")
    seed = db.add_parser("seed", help="add demo users and items; prints their passwords once")
    seed.set_defaults(handler=_guarded(cmd_db_seed))
