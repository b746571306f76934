"""Operator commands: serve, db, health."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from opengovfood.config import Settings, get_settings
from opengovfood.logs import configure_logging

Subparsers = Any  # argparse's _SubParsersAction is private


def _settings() -> Settings:
    return get_settings()


def _worker_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError("must be between 1 and 64")
    return value


def _private_files() -> None:
    """Files the server makes (database, -wal/-shm, secret, metrics) are the user's only."""
    os.umask(0o077)


def cmd_serve(args: argparse.Namespace) -> int:
    _private_files()
    overrides: dict[str, Any] = {}
    if args.address:
        overrides["address"] = args.address
    if args.workers is not None:
        overrides["workers"] = args.workers
    settings = _settings().model_copy(update=overrides) if overrides else _settings()
    configure_logging(settings.log_format, settings.log_level)
    from opengovfood.services.tokens import KeyConfigError, TokenService

    try:  # a bad key or secret file is a clear startup error, before any worker starts
        TokenService(settings)
    except KeyConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2

    from opengovfood.db.migrate import SchemaBehind, require_current

    if settings.migrate_on_start:
        _migrate_first(settings)
    if settings.workers > 1:
        # Fork before anything creates a grpc object (opengovfood.supervisor).
        from opengovfood.supervisor import SupervisorError, run

        try:
            require_current(settings.database_url)  # once, not in every worker
        except SchemaBehind as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        try:
            return run(settings, settings.workers)
        except SupervisorError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
    from opengovfood import eventloop
    from opengovfood.lifecycle import BindError
    from opengovfood.serve import serve
    from opengovfood.tls import TlsConfigError
    from opengovfood.tracing import TracingUnavailable

    try:
        eventloop.run(serve(settings))
    except (BindError, SchemaBehind) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except (TlsConfigError, TracingUnavailable) as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    return 0


def _migrate_first(settings: Settings) -> None:
    """OPENGOVFOOD_MIGRATE_ON_START: migrate before any worker forks (safe with several
    replicas on PostgreSQL: an advisory lock)."""
    from opengovfood.db import migrate

    applied = migrate.upgrade(settings.database_url)
    print(_migration_outcome("head", applied, "upgraded"), file=sys.stderr)


def _migration_outcome(target: str, steps: list[str], verb: str) -> str:
    if not steps:
        return f"database already at {target}: nothing to do"
    return f"database {verb} to {target} ({', '.join(steps)})"


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from opengovfood.db import migrate

    _private_files()
    settings = _settings()
    configure_logging(settings.log_format, "WARNING")
    applied = migrate.upgrade(settings.database_url, args.revision)
    print(_migration_outcome(args.revision, applied, "upgraded"))
    return 0


def cmd_db_downgrade(args: argparse.Namespace) -> int:
    from opengovfood.db import migrate

    settings = _settings()
    configure_logging(settings.log_format, "WARNING")
    reverted = migrate.downgrade(settings.database_url, args.revision)
    print(_migration_outcome(args.revision, reverted, "downgraded"))
    return 0


def _health_channel(address: str, args: argparse.Namespace, settings: Settings) -> grpc.Channel:
    """Plaintext, or TLS when the server serves TLS (or a --tls-* option is given)."""
    files = (args.tls_ca, args.tls_cert, args.tls_key)
    if settings.tls_cert is None and not any(files):
        return grpc.insecure_channel(address)
    root, cert, key = (path.read_bytes() if path else None for path in files)
    options = []
    if args.tls_server_name:
        options.append(("grpc.ssl_target_name_override", args.tls_server_name))
    return grpc.secure_channel(
        address, grpc.ssl_channel_credentials(root, key, cert), options=options
    )


def cmd_health(args: argparse.Namespace) -> int:
    settings = _settings()
    address = args.address or settings.address
    try:
        with _health_channel(address, args, settings) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            reply = stub.Check(
                health_pb2.HealthCheckRequest(service=args.service), timeout=args.timeout
            )
    except grpc.RpcError as error:
        print(f"{address}: {error.code().name}: {error.details()}", file=sys.stderr)
        return 1
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    print(f"{address} {args.service or '(server)'}: {status}")
    return 0 if reply.status == health_pb2.HealthCheckResponse.SERVING else 1


def register(commands: Subparsers) -> None:
    serve = commands.add_parser("serve", help="run the gRPC server")
    serve.add_argument("--address", help="host:port to bind (default: OPENGOVFOOD_ADDRESS)")
    serve.add_argument(
        "--workers",
        type=_worker_count,
        help="server processes sharing the port (default: OPENGOVFOOD_WORKERS, 1)",
    )
    serve.set_defaults(handler=cmd_serve)

    db = commands.add_parser("db", help="database schema and data")
    db_commands = db.add_subparsers(dest="db_command", metavar="COMMAND", required=True)
    upgrade = db_commands.add_parser("upgrade", help="apply migrations (default: to head)")
    upgrade.add_argument("revision", nargs="?", default="head")
    upgrade.set_defaults(handler=cmd_db_upgrade)
    downgrade = db_commands.add_parser("downgrade", help="revert migrations (default: to base)")
    downgrade.add_argument("revision", nargs="?", default="base")
    downgrade.set_defaults(handler=cmd_db_downgrade)

    health = commands.add_parser("health", help="exit 0 only if the server reports SERVING")
    health.add_argument("--address", help="server host:port (default: OPENGOVFOOD_ADDRESS)")
    health.add_argument("--service", default="", help="service name; default: the server")
    health.add_argument("--timeout", type=float, default=3.0, help="seconds (default 3)")
    health.add_argument("--tls-ca", type=Path, help="PEM CA that signed the server certificate")
    health.add_argument("--tls-cert", type=Path, help="PEM client certificate (mTLS)")
    health.add_argument("--tls-key", type=Path, help="PEM client key (mTLS)")
    health.add_argument("--tls-server-name", help="name to verify the server certificate for")
    health.set_defaults(handler=cmd_health)
