"""Client commands for people: login, whoami, items, agent, llm, status.

They talk to a running server at `--address` (default OPENGOVFOOD_ADDRESS, else
127.0.0.1:50051) through the Python client (`opengovfood_client`). `login`
keeps the session in the user's config directory (see credentials.py);
OPENGOVFOOD_TOKEN, when set, is used instead (e.g. a service token in CI).

Output is a table for people and JSON with `--json`. A failed call prints one
line on stderr and exits non-zero (never a traceback):
  1 the server refused or failed the request, 2 usage, 3 not signed in / not
  allowed, 4 not found, 5 server unreachable or too slow.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import getpass
import os
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from opengovfood.cli import render
from opengovfood.cli.credentials import CredentialStore
from opengovfood_client import (
    ChannelSettings,
    Client,
    DeadlineExceededError,
    NotFoundError,
    OpenGovFoodError,
    PermissionDeniedError,
    RateLimitedError,
    TLSConfig,
    UnauthenticatedError,
    UnavailableError,
    inspection_result,
    item_kind,
    item_status,
)
from opengovfood_client.v1 import items_pb2

Subparsers = Any  # argparse's _SubParsersAction is private
Handler = Callable[[argparse.Namespace], int]

DEFAULT_ADDRESS = "127.0.0.1:50051"
ENV_ADDRESS = "OPENGOVFOOD_ADDRESS"
ENV_TOKEN = "OPENGOVFOOD_TOKEN"

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_NOT_FOUND = 4
EXIT_UNAVAILABLE = 5


class CliError(Exception):
    def __init__(self, message: str, exit_code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


# --- connection ----------------------------------------------------------------


def target(args: argparse.Namespace) -> str:
    address: str = args.address or os.environ.get(ENV_ADDRESS) or DEFAULT_ADDRESS
    # The server's OPENGOVFOOD_ADDRESS may be a bind-all address; as a target that is us.
    host, sep, port = address.rpartition(":")
    if sep and host in ("0.0.0.0", ""):
        return f"127.0.0.1:{port}"
    if sep and host in ("[::]", "::"):
        return f"[::1]:{port}"
    return address


def tls_config(args: argparse.Namespace) -> TLSConfig | None:
    if not (args.tls or args.tls_ca or args.tls_cert or args.tls_key):
        return None
    try:
        return TLSConfig.from_files(
            args.tls_ca, args.tls_cert, args.tls_key, server_name=args.tls_server_name
        )
    except OSError as error:
        raise CliError(f"cannot read {error.filename}: {error.strerror}", EXIT_USAGE) from None
    except ValueError as error:
        raise CliError(str(error), EXIT_USAGE) from None


def connect(args: argparse.Namespace, *, signed_in: bool = True, retry: bool = True) -> Client:
    """A client for the chosen server; with `signed_in`, carrying the saved session.
    `retry=False` reports an unreachable server at once instead of riding out a restart."""
    address = target(args)
    tls = tls_config(args)
    store = CredentialStore()
    try:
        if not signed_in:
            settings = None if retry else ChannelSettings(retry=None)
            return Client(address, tls=tls, insecure=args.insecure, settings=settings)
        if token := os.environ.get(ENV_TOKEN):
            return Client(address, token=token, tls=tls, insecure=args.insecure)
        session = store.get(address)
        if session is None:
            raise CliError(f"not signed in to {address}: run `opengov-food login`", EXIT_AUTH)
        client = Client(
            address,
            tokens=session.tokens,
            on_tokens=lambda pair: store.update_tokens(address, pair),
            tls=tls,
            insecure=args.insecure,
        )
    except ValueError as error:  # e.g. plaintext to a remote host without --insecure
        raise CliError(str(error), EXIT_USAGE) from None
    _refresh_if_due(client, store, address)
    return client


def _refresh_if_due(client: Client, store: CredentialStore, address: str) -> None:
    """Refresh under a cross-process lock, re-reading the file first: another command
    may have rotated the refresh token a moment ago."""
    pair = client.tokens
    if pair is None or not pair.needs_refresh():
        return
    with store.refresh_lock():
        session = store.get(address)
        if session is None:
            raise CliError(f"not signed in to {address}: run `opengov-food login`", EXIT_AUTH)
        if session.tokens != pair:
            client.use_tokens(session.tokens)
        current = client.tokens
        if current is not None and current.needs_refresh():
            try:
                client.refresh()
            except UnauthenticatedError:
                raise CliError(
                    f"your session on {address} has ended: run `opengov-food login`", EXIT_AUTH
                ) from None


# --- errors ----------------------------------------------------------------------


def _exit_code(error: OpenGovFoodError) -> int:
    if isinstance(error, UnauthenticatedError | PermissionDeniedError):
        return EXIT_AUTH
    if isinstance(error, NotFoundError):
        return EXIT_NOT_FOUND
    if isinstance(error, UnavailableError | DeadlineExceededError):
        return EXIT_UNAVAILABLE
    return EXIT_ERROR


def _error_line(error: OpenGovFoodError, args: argparse.Namespace) -> str:
    # gRPC's words for "no connection": pick_first says "failed to connect to all
    # addresses", round_robin "connections to all backends failing".
    connecting = ("failed to connect", "connections to all backends failing")
    if isinstance(error, UnavailableError) and any(
        words in error.message.lower() for words in connecting
    ):
        if "Connection refused" in error.message:
            return f"cannot reach the server at {target(args)} (is it running?)"
        # gRPC's own words, e.g. a TLS handshake that failed.
        reason = error.message.rpartition("last error: ")[2] or error.message
        hint = " (check the --tls options)" if tls_config(args) is not None else ""
        return f"cannot connect to {target(args)}: {reason}{hint}"
    if isinstance(error, DeadlineExceededError):
        return f"no answer from {target(args)} in time (DEADLINE_EXCEEDED)"
    line = f"{error.message} ({error.code.name})"
    if isinstance(error, UnauthenticatedError):
        line += ": run `opengov-food login`"
    if isinstance(error, RateLimitedError) and error.retry_after is not None:
        line += f"; try again in {error.retry_after:.0f} s"
    return line


def _fail(message: str) -> None:
    render.err_stream().write(f"error: {message}\n")
    render.err_stream().flush()


def client_command(handler: Handler) -> Handler:
    """Runs a command: server errors become one line on stderr and an exit code."""

    @functools.wraps(handler)
    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except CliError as error:
            _fail(error.message)
            return error.exit_code
        except OpenGovFoodError as error:
            _fail(_error_line(error, args))
            return _exit_code(error)
        except BrokenPipeError:  # `... | head`: the reader has gone; that is fine
            render.err_stream().close()
            return 0

    return run


# --- argument types ----------------------------------------------------------------


def _status_arg(value: str) -> items_pb2.ItemStatus.ValueType:
    try:
        return item_status(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _kind_arg(value: str) -> str:
    try:
        item_kind(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return value


def _result_arg(value: str) -> str:
    try:
        inspection_result(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return value


def _time_arg(value: str) -> datetime:
    """RFC 3339 (`2026-03-01T09:30:00Z`), or a date or local time without a zone: local."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a time: {value!r} (e.g. 2026-03-01T09:30:00Z or 2026-03-01)"
        ) from None
    return moment if moment.tzinfo is not None else moment.astimezone()


def _add_inspection_options(parser: argparse.ArgumentParser, *, updating: bool) -> None:
    group = parser.add_argument_group("inspection record")
    group.add_argument(
        "--establishment",
        type=int,
        metavar="ID",
        help="the establishment inspected" + (" (0: none)" if updating else ""),
    )
    group.add_argument(
        "--kind", type=_kind_arg, help="routine, follow_up, complaint, pre_opening, other"
    )
    group.add_argument(
        "--result", type=_result_arg, help="pass, pass_with_conditions, fail, no_entry"
    )
    group.add_argument("--score", type=int, help="0-100")
    group.add_argument(
        "--inspect-time",
        dest="inspect_time",
        type=_time_arg,
        help="when it took place (default: when created), e.g. 2026-03-01T09:30:00Z",
    )


def positive_id(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an id: {value!r}") from None
    if number <= 0:
        raise argparse.ArgumentTypeError(f"not an id: {value!r}")
    return number


# --- account -------------------------------------------------------------------------


@client_command
def cmd_login(args: argparse.Namespace) -> int:
    address = target(args)
    email = args.email or render.ask("Email: ").strip()
    if args.password_stdin:
        password = render.in_stream().readline().rstrip("\r\n")
    elif render.in_stream() is sys.stdin:
        password = getpass.getpass("Password: ")
    else:
        password = render.ask("Password: ")
    if not email or not password:
        raise CliError("an email and a password are needed", EXIT_USAGE)
    store = CredentialStore()
    previous = store.get(address)
    with connect(args, signed_in=False) as client:
        pair = client.login(email, password)
        store.put(address, email, pair)
        user = client.users.me()
        if previous is not None and previous.tokens.refresh_token != pair.refresh_token:
            # Revoke the session this login replaces, so it can't be used again.
            client.use_tokens(previous.tokens)
            with contextlib.suppress(OpenGovFoodError):  # best effort: it expires anyway
                client.logout()
    name = f"{user.full_name} <{user.email}>" if user.full_name else user.email
    render.stderr().print(f"Signed in to {address} as {name}.")
    return 0


@client_command
def cmd_logout(args: argparse.Namespace) -> int:
    address = target(args)
    store = CredentialStore()
    session = store.get(address)
    if session is None:
        render.stderr().print(f"Not signed in to {address}.")
        return 0
    client = Client(address, tokens=session.tokens, tls=tls_config(args), insecure=args.insecure)
    with client:
        try:
            client.logout()
        except (UnavailableError, DeadlineExceededError):
            store.remove(address)
            _fail(
                f"signed out here, but {address} could not be told; the session expires on its own"
            )
            return EXIT_UNAVAILABLE
    store.remove(address)
    render.stderr().print(f"Signed out of {address}.")
    return 0


@client_command
def cmd_whoami(args: argparse.Namespace) -> int:
    with connect(args) as client:
        user = client.users.me()
    if args.json:
        render.print_json(user)
    else:
        render.stdout().print(render.user_details(user))
    return 0


# --- items ---------------------------------------------------------------------------


@client_command
def cmd_items_list(args: argparse.Namespace) -> int:
    limit = None if args.all else args.limit
    page_size = args.page_size or (min(limit, 1000) if limit else 1000)
    found: list[items_pb2.Item] = []
    total = 0
    with connect(args) as client:
        token = ""
        while True:
            page = client.items.list_page(
                filter=args.filter, order_by=args.order_by, page_size=page_size, page_token=token
            )
            total = page.total_size
            found.extend(page.items)
            token = page.next_page_token
            if not token or (limit is not None and len(found) >= limit):
                break
    if limit is not None:
        found = found[:limit]
    if args.json:
        render.print_json(found)
        return 0
    console = render.stdout()
    if not found:
        console.print("No items." if not args.filter else "No items match.")
        return 0
    console.print(render.items_table(found))
    if total > len(found):
        console.print(f"{len(found)} of {total} items (use --limit N or --all for more)")
    return 0


@client_command
def cmd_items_get(args: argparse.Namespace) -> int:
    with connect(args) as client:
        item = client.items.get(args.id)
    _show_item(item, args)
    return 0


def _show_item(item: items_pb2.Item, args: argparse.Namespace) -> None:
    if args.json:
        render.print_json(item)
    else:
        render.stdout().print(render.item_details(item))


def inspection_options(args: argparse.Namespace) -> dict[str, Any]:
    """The inspection fields a create/update command was given (None: not given)."""
    return {
        "establishment_id": args.establishment,
        "kind": args.kind,
        "result": args.result,
        "score": args.score,
        "inspect_time": args.inspect_time,
    }


@client_command
def cmd_items_create(args: argparse.Namespace) -> int:
    with connect(args) as client:
        item = client.items.create(
            args.title,
            args.description,
            args.status,
            request_id=args.request_id,
            **inspection_options(args),
        )
    _show_item(item, args)
    return 0


@client_command
def cmd_items_update(args: argparse.Namespace) -> int:
    inspection = inspection_options(args)
    given = [args.title, args.description, args.status, *inspection.values()]
    if all(value is None for value in given):
        raise CliError("nothing to update: give at least one field option", EXIT_USAGE)
    with connect(args) as client:
        item = client.items.update(
            args.id,
            title=args.title,
            description=args.description,
            status=args.status,
            etag=args.etag,
            **inspection,
        )
    _show_item(item, args)
    return 0


@client_command
def cmd_items_delete(args: argparse.Namespace) -> int:
    with connect(args) as client:
        client.items.delete(args.id, etag=args.etag)
    if args.json:
        render.print_json({"deleted": str(args.id)})
    else:
        render.stderr().print(f"Deleted item {args.id}.")
    return 0


@client_command
def cmd_items_watch(args: argparse.Namespace) -> int:
    console = render.stdout()
    seen = 0
    with connect(args) as client, client.items.watch(args.filter) as events:
        if not args.json:
            render.stderr().print("Watching items; Ctrl-C to stop.", style="dim")
        try:
            for event in events:
                if args.json:
                    render.print_json_line(event)
                else:
                    console.print(render.event_line(event))
                seen += 1
                if args.count and seen >= args.count:
                    break
        except KeyboardInterrupt:
            pass
    return 0


# --- agent ---------------------------------------------------------------------------


def _read_notes(args: argparse.Namespace) -> str:
    if args.file:
        if args.file == "-":
            return render.in_stream().read()
        try:
            return Path(args.file).read_text()
        except OSError as error:
            raise CliError(f"cannot read {args.file}: {error.strerror}", EXIT_USAGE) from None
    if args.notes:
        return " ".join(args.notes)
    if not render.in_stream().isatty():
        return render.in_stream().read()
    raise CliError("give the notes as text, with --file PATH, or on stdin", EXIT_USAGE)


@client_command
def cmd_agent_analyze(args: argparse.Namespace) -> int:
    notes = _read_notes(args)
    if not notes.strip():
        raise CliError("the notes are empty", EXIT_USAGE)
    # A spinner only for a person at a terminal (rich's live display also swaps
    # sys.stdout while it runs, which is no business of a pipe).
    console = render.stderr()
    spinner = (
        console.status("Analysing the notes...")
        if console.is_terminal and not args.json
        else contextlib.nullcontext()
    )
    with connect(args) as client, spinner:
        analysis = client.agent.analyze(
            notes, item_id=args.item, model=args.model, provider=args.provider
        )
    if args.json:
        render.print_json(analysis)
        return 0
    out = render.stdout()
    for part in render.analysis_view(analysis):
        out.print(part)
    return 0


def _chat_once(
    client: Client, args: argparse.Namespace, message: str, conversation: int | None
) -> int | None:
    out = render.out_stream()
    stream = client.agent.chat(
        message, conversation_id=conversation, model=args.model, provider=args.provider
    )
    with stream:
        for delta in stream:
            out.write(delta)
            out.flush()
    out.write("\n")
    out.flush()
    return stream.conversation_id or conversation


@client_command
def cmd_agent_chat(args: argparse.Namespace) -> int:
    conversation: int | None = args.conversation
    with connect(args) as client:
        if args.message:
            conversation = _chat_once(client, args, " ".join(args.message), conversation)
        elif not render.in_stream().isatty():
            conversation = _chat_once(client, args, render.in_stream().read(), conversation)
        else:
            render.stderr().print(
                "Chat with the assistant; an empty line or Ctrl-D ends.", style="dim"
            )
            while True:
                try:
                    message = render.ask("you> ").strip()
                except (EOFError, KeyboardInterrupt):
                    render.err_stream().write("\n")
                    break
                if not message:
                    break
                try:
                    conversation = _chat_once(client, args, message, conversation)
                except KeyboardInterrupt:
                    render.out_stream().write("\n")
    if conversation:
        render.stderr().print(
            f"conversation {conversation} (continue with --conversation {conversation})",
            style="dim",
        )
    return 0


# --- llm -----------------------------------------------------------------------------


@client_command
def cmd_llm_list(args: argparse.Namespace) -> int:
    with connect(args) as client:
        models = client.agent.models()
    if args.json:
        render.print_json(models)
    elif not models:
        render.stdout().print("No models: no configured provider answered.")
    else:
        render.stdout().print(render.models_table(models))
    return 0


@client_command
def cmd_agent_violation_types(args: argparse.Namespace) -> int:
    with connect(args) as client:
        types = client.agent.violation_types(form_item=args.item or 0)
    if args.json:
        render.print_json(types)
    else:
        render.stdout().print(render.violation_types_table(types))
    return 0


@client_command
def cmd_llm_pull(args: argparse.Namespace) -> int:
    last_status = ""
    with connect(args) as client, client.agent.pull(args.name) as stream:
        if args.json:
            for progress in stream:
                render.print_json_line(progress)
            return 0
        console = render.stderr()
        if not console.is_terminal:
            for progress in stream:
                if progress.status != last_status:
                    console.print(progress.status)
                    last_status = progress.status
            console.print(f"Pulled {args.name}.")
            return 0
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
        )
        with Progress(*columns, console=console, transient=False) as bar:
            task = bar.add_task(f"pulling {args.name}", total=None)
            for progress in stream:
                bar.update(
                    task,
                    description=progress.status,
                    completed=progress.completed,
                    total=progress.total or None,
                )
                last_status = progress.status
    render.stderr().print(f"Pulled {args.name}: {last_status or 'done'}.")
    return 0


# --- status --------------------------------------------------------------------------


@client_command
def cmd_status(args: argparse.Namespace) -> int:
    address = target(args)
    # A diagnosis of now: no retries, so a server that is down says so at once.
    with connect(args, signed_in=False, retry=False) as client:
        statuses = client.health.check_all(timeout=args.timeout)
    report: dict[str, Any] = {"address": address, "services": statuses}
    # Signed in: who, and which models the providers offer right now.
    store = CredentialStore()
    if os.environ.get(ENV_TOKEN) or store.get(address) is not None:
        try:
            with connect(args) as client:
                report["user"] = client.users.me().email
                models = client.agent.models()
                report["models"] = [{"provider": m.provider, "name": m.name} for m in models]
        except (CliError, OpenGovFoodError) as error:
            report["problem"] = error.message
    healthy = all(status == "SERVING" for status in statuses.values())
    if args.json:
        render.print_json(report)
        return 0 if healthy else EXIT_ERROR
    console = render.stdout()
    console.print(f"Server {address}")
    console.print(render.health_table(statuses))
    agent = statuses.get("opengovfood.v1.AgentService")
    console.print(
        "LLM provider: " + ("ready" if agent == "SERVING" else "not ready"),
        style="green" if agent == "SERVING" else "red",
    )
    if "user" in report:
        console.print(f"Signed in as {report['user']}")
        by_provider: dict[str, list[str]] = {}
        for model in report.get("models", []):
            by_provider.setdefault(model["provider"], []).append(model["name"])
        for provider, names in sorted(by_provider.items()):
            console.print(f"  {provider}: {', '.join(names)}")
    if "problem" in report:
        console.print(f"Account: {report['problem']}", style="yellow")
    return 0 if healthy else EXIT_ERROR


# --- registration ----------------------------------------------------------------------


def connection_options() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("connection")
    group.add_argument(
        "--address", help=f"server host:port (default: ${ENV_ADDRESS} or {DEFAULT_ADDRESS})"
    )
    group.add_argument("--tls", action="store_true", help="use TLS with the system's CAs")
    group.add_argument(
        "--tls-ca",
        default=os.environ.get("OPENGOVFOOD_CLIENT_TLS_CA"),
        help="PEM CA that signed the server certificate; implies TLS",
    )
    group.add_argument(
        "--tls-cert",
        default=os.environ.get("OPENGOVFOOD_CLIENT_TLS_CERT"),
        help="PEM client certificate (mutual TLS)",
    )
    group.add_argument(
        "--tls-key",
        default=os.environ.get("OPENGOVFOOD_CLIENT_TLS_KEY"),
        help="PEM client key (mutual TLS)",
    )
    group.add_argument("--tls-server-name", help="name to verify the server certificate for")
    group.add_argument(
        "--insecure",
        action="store_true",
        help="allow plaintext to a non-loopback address (sends passwords and tokens unencrypted)",
    )
    return parent


def json_option() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--json", action="store_true", help="print JSON (for scripts)")
    return parent


def register(commands: Subparsers) -> None:
    conn = connection_options()
    js = json_option()

    login = commands.add_parser("login", parents=[conn], help="sign in and remember the session")
    login.add_argument("--email", help="account email (prompted when missing)")
    login.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin (scripts)"
    )
    login.set_defaults(handler=cmd_login)

    logout = commands.add_parser("logout", parents=[conn], help="end the saved session")
    logout.set_defaults(handler=cmd_logout)

    whoami = commands.add_parser("whoami", parents=[conn, js], help="show the signed-in user")
    whoami.set_defaults(handler=cmd_whoami)

    items = commands.add_parser("items", help="inspections, complaints and reviews")
    item_commands = items.add_subparsers(dest="items_command", metavar="COMMAND", required=True)

    listing = item_commands.add_parser("list", parents=[conn, js], help="list items")
    listing.add_argument(
        "--filter", default="", help="e.g. 'status = ITEM_STATUS_PENDING AND title:\"cooler\"'"
    )
    listing.add_argument(
        "--order-by", default="", help="e.g. 'update_time desc' (default: newest first)"
    )
    listing.add_argument("--limit", type=int, default=50, help="show at most N (default 50)")
    listing.add_argument("--all", action="store_true", help="show every matching item")
    listing.add_argument("--page-size", type=int, default=0, help=argparse.SUPPRESS)
    listing.set_defaults(handler=cmd_items_list)

    get = item_commands.add_parser("get", parents=[conn, js], help="show one item")
    get.add_argument("id", type=positive_id)
    get.set_defaults(handler=cmd_items_get)

    create = item_commands.add_parser("create", parents=[conn, js], help="create an item")
    create.add_argument("--title", required=True)
    create.add_argument("--description", default="")
    create.add_argument("--status", type=_status_arg, help="pending (default), in_progress, ...")
    create.add_argument("--request-id", help="idempotency key (default: a fresh UUID)")
    _add_inspection_options(create, updating=False)
    create.set_defaults(handler=cmd_items_create)

    update = item_commands.add_parser("update", parents=[conn, js], help="change an item")
    update.add_argument("id", type=positive_id)
    update.add_argument("--title")
    update.add_argument("--description")
    update.add_argument(
        "--status", type=_status_arg, help="pending, in_progress, completed, cancelled"
    )
    update.add_argument("--etag", help="only if unchanged since this etag was read")
    _add_inspection_options(update, updating=True)
    update.set_defaults(handler=cmd_items_update)

    delete = item_commands.add_parser("delete", parents=[conn, js], help="delete an item")
    delete.add_argument("id", type=positive_id)
    delete.add_argument("--etag", help="only if unchanged since this etag was read")
    delete.set_defaults(handler=cmd_items_delete)

    watch = item_commands.add_parser("watch", parents=[conn, js], help="print item changes live")
    watch.add_argument("--filter", default="", help="same language as `items list --filter`")
    watch.add_argument("--count", type=int, default=0, help="stop after N events")
    watch.set_defaults(handler=cmd_items_watch)

    agent = commands.add_parser("agent", help="the inspection assistant")
    agent_commands = agent.add_subparsers(dest="agent_command", metavar="COMMAND", required=True)

    analyze = agent_commands.add_parser(
        "analyze", parents=[conn, js], help="analyse inspection notes (text, --file, or stdin)"
    )
    analyze.add_argument("notes", nargs="*", help="the notes (or use --file / stdin)")
    analyze.add_argument("--file", help="read the notes from this file ('-' for stdin)")
    analyze.add_argument("--item", type=positive_id, help="attach the analysis to this item")
    analyze.add_argument("--model")
    analyze.add_argument("--provider", choices=["local", "ollama", "openai"])
    analyze.set_defaults(handler=cmd_agent_analyze)

    types = agent_commands.add_parser(
        "violation-types", parents=[conn, js], help="the Food Code catalogue (sections, items)"
    )
    types.add_argument("--item", type=positive_id, help="only this Form 3-A item (1-56)")
    types.set_defaults(handler=cmd_agent_violation_types)

    chat = agent_commands.add_parser(
        "chat", parents=[conn], help="chat with the assistant (interactive without a message)"
    )
    chat.add_argument("message", nargs="*")
    chat.add_argument("--conversation", type=positive_id, help="continue this conversation")
    chat.add_argument("--model")
    chat.add_argument("--provider", choices=["local", "ollama", "openai"])
    chat.set_defaults(handler=cmd_agent_chat)

    llm = commands.add_parser("llm", help="LLM models of the configured providers")
    llm_commands = llm.add_subparsers(dest="llm_command", metavar="COMMAND", required=True)
    llm_list = llm_commands.add_parser("list", parents=[conn, js], help="models on offer")
    llm_list.set_defaults(handler=cmd_llm_list)
    pull = llm_commands.add_parser(
        "pull", parents=[conn, js], help="pull a model into Ollama (superusers)"
    )
    pull.add_argument("name", help='e.g. "llama3.2:1b"')
    pull.set_defaults(handler=cmd_llm_pull)

    status = commands.add_parser(
        "status", parents=[conn, js], help="health of every service and the LLM provider"
    )
    status.add_argument("--timeout", type=float, default=5.0, help="seconds per check (default 5)")
    status.set_defaults(handler=cmd_status)
