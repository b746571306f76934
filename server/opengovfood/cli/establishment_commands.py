"""`opengov-food establishments create|list|show|update|delete`: the places inspected.

Connection, sign-in, errors and exit codes as every client command
(cli/client_commands.py); a table for people, proto3 JSON with `--json`.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable

from rich.table import Table
from rich.text import Text

from opengovfood.cli import render
from opengovfood.cli.client_commands import (
    EXIT_USAGE,
    CliError,
    Subparsers,
    client_command,
    connect,
    connection_options,
    json_option,
    positive_id,
)
from opengovfood_client.v1 import establishments_pb2

_ADDRESS_PARTS = ("street", "city", "state", "postal_code")


def risk_text(value: int) -> str:
    """`RISK_CATEGORY_3` -> `3`; empty when not assessed."""
    if not value:
        return ""
    return establishments_pb2.RiskCategory.Name(value).removeprefix("RISK_CATEGORY_")  # type: ignore[arg-type]


def _address_line(address: establishments_pb2.Address) -> str:
    place = " ".join(p for p in (address.state, address.postal_code) if p)
    return ", ".join(p for p in (address.street, address.city, place) if p)


def establishments_table(places: Iterable[establishments_pb2.Establishment]) -> Table:
    table = Table()
    table.add_column("ID", justify="right", no_wrap=True)
    table.add_column("Name", overflow="fold")
    table.add_column("Address", overflow="fold")
    table.add_column("Licence", no_wrap=True)
    table.add_column("Type", overflow="fold")
    table.add_column("Risk", justify="right", no_wrap=True)
    for place in places:
        table.add_row(
            str(place.id),
            place.name,
            _address_line(place.address),
            place.license_number,
            place.facility_type,
            risk_text(place.risk_category),
        )
    return table


def establishment_details(place: establishments_pb2.Establishment) -> Table:
    dash = Text("-", style="dim")
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    table.add_row("ID", str(place.id))
    table.add_row("Name", place.name)
    table.add_row("Address", _address_line(place.address) or dash)
    table.add_row("Licence", place.license_number or dash)
    table.add_row("Type", place.facility_type or dash)
    table.add_row("Risk category", risk_text(place.risk_category) or dash)
    table.add_row("Owner", str(place.owner_id))
    table.add_row("Created", render.when(place.create_time))
    table.add_row("Updated", render.when(place.update_time))
    table.add_row("Etag", place.etag)
    return table


def _show(place: establishments_pb2.Establishment, args: argparse.Namespace) -> None:
    if args.json:
        render.print_json(place)
    else:
        render.stdout().print(establishment_details(place))


@client_command
def cmd_create(args: argparse.Namespace) -> int:
    with connect(args) as client:
        place = client.establishments.create(
            args.name,
            street=args.street or "",
            city=args.city or "",
            state=args.state or "",
            postal_code=args.postal_code or "",
            license_number=args.license_number or "",
            facility_type=args.facility_type or "",
            risk_category=args.risk_category,
            request_id=args.request_id,
        )
    _show(place, args)
    return 0


@client_command
def cmd_list(args: argparse.Namespace) -> int:
    limit = None if args.all else args.limit
    page_size = min(limit, 1000) if limit else 1000
    found: list[establishments_pb2.Establishment] = []
    total = 0
    with connect(args) as client:
        token = ""
        while True:
            page = client.establishments.list_page(
                filter=args.filter, order_by=args.order_by, page_size=page_size, page_token=token
            )
            total = page.total_size
            found.extend(page.establishments)
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
        console.print("No establishments." if not args.filter else "No establishments match.")
        return 0
    console.print(establishments_table(found))
    if total > len(found):
        console.print(f"{len(found)} of {total} establishments (use --limit N or --all for more)")
    return 0


@client_command
def cmd_show(args: argparse.Namespace) -> int:
    with connect(args) as client:
        place = client.establishments.get(args.id)
    _show(place, args)
    return 0


@client_command
def cmd_update(args: argparse.Namespace) -> int:
    changes = {
        name: getattr(args, name)
        for name in (
            "name",
            *_ADDRESS_PARTS,
            "license_number",
            "facility_type",
            "risk_category",
        )
        if getattr(args, name) is not None
    }
    if not changes:
        raise CliError("nothing to update: give at least one field option", EXIT_USAGE)
    with connect(args) as client:
        place = client.establishments.update(args.id, etag=args.etag, **changes)
    _show(place, args)
    return 0


@client_command
def cmd_history(args: argparse.Namespace) -> int:
    with connect(args) as client:
        client.establishments.get(args.id)  # NOT_FOUND (exit 4) for an unknown id
        found = client.items.history(args.id, last=args.last)
    if args.json:
        render.print_json(found)
        return 0
    if not found:
        render.stdout().print(f"No inspections of establishment {args.id} yet.")
        return 0
    render.stdout().print(render.inspections_table(found))
    return 0


@client_command
def cmd_delete(args: argparse.Namespace) -> int:
    with connect(args) as client:
        client.establishments.delete(args.id, etag=args.etag)
    if args.json:
        render.print_json({"deleted": str(args.id)})
    else:
        render.stderr().print(f"Deleted establishment {args.id}.")
    return 0


def _risk_arg(value: str) -> str:
    if value.strip().upper().removeprefix("RISK_CATEGORY_") not in ("0", "1", "2", "3", "4"):
        raise argparse.ArgumentTypeError(f"risk category is 1, 2, 3 or 4 (0: none), not {value!r}")
    return value


def _field_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--street")
    parser.add_argument("--city")
    parser.add_argument("--state")
    parser.add_argument("--postal-code", dest="postal_code")
    parser.add_argument("--license-number", dest="license_number", help="licence or permit")
    parser.add_argument("--facility-type", dest="facility_type", help='e.g. "Restaurant"')
    parser.add_argument(
        "--risk-category",
        dest="risk_category",
        type=_risk_arg,
        help="Food Code Annex 5 category 1-4 (0: not assessed)",
    )


def register(commands: Subparsers) -> None:
    conn, js = connection_options(), json_option()
    group = commands.add_parser("establishments", help="the places inspected")
    sub = group.add_subparsers(dest="establishments_command", metavar="COMMAND", required=True)

    create = sub.add_parser("create", parents=[conn, js], help="create an establishment")
    create.add_argument("--name", required=True)
    _field_options(create)
    create.add_argument("--request-id", help="idempotency key (default: a fresh UUID)")
    create.set_defaults(handler=cmd_create)

    listing = sub.add_parser("list", parents=[conn, js], help="list establishments")
    listing.add_argument(
        "--filter", default="", help="e.g. 'name:\"cafe\" AND risk_category >= RISK_CATEGORY_3'"
    )
    listing.add_argument("--order-by", default="", help="e.g. 'create_time desc' (default: name)")
    listing.add_argument("--limit", type=int, default=50, help="show at most N (default 50)")
    listing.add_argument("--all", action="store_true", help="show every match")
    listing.set_defaults(handler=cmd_list)

    show = sub.add_parser("show", parents=[conn, js], help="show one establishment")
    show.add_argument("id", type=positive_id)
    show.set_defaults(handler=cmd_show)

    update = sub.add_parser("update", parents=[conn, js], help="change an establishment")
    update.add_argument("id", type=positive_id)
    update.add_argument("--name")
    _field_options(update)
    update.add_argument("--etag", help="only if unchanged since this etag was read")
    update.set_defaults(handler=cmd_update)

    history = sub.add_parser(
        "history", parents=[conn, js], help="the last inspections of one, newest first"
    )
    history.add_argument("id", type=positive_id)
    history.add_argument("--last", type=int, default=3, help="how many (default 3)")
    history.set_defaults(handler=cmd_history)

    delete = sub.add_parser(
        "delete", parents=[conn, js], help="delete one (refused while inspections name it)"
    )
    delete.add_argument("id", type=positive_id)
    delete.add_argument("--etag", help="only if unchanged since this etag was read")
    delete.set_defaults(handler=cmd_delete)
