"""Channel configuration: deadlines, retries (gRPC service config), keepalive, TLS.

Retries are declared in the gRPC service config rather than coded as loops, so
gRPC itself re-sends an attempt that failed with UNAVAILABLE (server restarting,
connection refused, GOAWAY) with jittered exponential backoff, and never
retries once a response has started. Only idempotent methods are listed:
reads, watches, health, and CreateItem, which is safe because the client always
sends a `request_id` (the server returns the first result for a repeated one).
Never retried: RefreshToken (rotation: a retried refresh whose first attempt
reached the server would present a used token and revoke the whole family),
Login/Register (rate limited, not idempotent), writes without a request id.

Load spreading: the service config asks for `round_robin` over every address the
target resolves to — a multi-address target (`ipv4:10.0.0.1:50051,10.0.0.2:50051`),
`dns:///opengovfood-headless:50051` (a Kubernetes headless Service) or a plain
`host:port` — and for client-side health checking (gRFC A17) on the server's
`liveness` health status, which leaves SERVING only when the server begins to shut
down: that backend stops getting new calls at once, and an attempt it refused is
retried on another one. (Not `""`, which also follows the database: a slow health
probe would then stop calls that would have succeeded. A server without a
`liveness` status looks unhealthy: use `ChannelSettings(health_check_service=None)`.)
"""

from __future__ import annotations

import ipaddress
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opengovfood_client import __version__

PACKAGE = "opengovfood.v1"
USER_SERVICE = f"{PACKAGE}.UserService"
ITEM_SERVICE = f"{PACKAGE}.ItemService"
AGENT_SERVICE = f"{PACKAGE}.AgentService"
ESTABLISHMENT_SERVICE = f"{PACKAGE}.EstablishmentService"
HEALTH_SERVICE = "grpc.health.v1.Health"

# Methods safe to send twice. (service, method) pairs for the service config.
RETRYABLE_METHODS: tuple[tuple[str, str], ...] = (
    (USER_SERVICE, "GetMe"),
    (USER_SERVICE, "GetUser"),
    (USER_SERVICE, "ListUsers"),
    (ITEM_SERVICE, "GetItem"),
    (ITEM_SERVICE, "ListItems"),
    (ITEM_SERVICE, "WatchItems"),
    (ITEM_SERVICE, "CreateItem"),  # idempotent through request_id
    (ESTABLISHMENT_SERVICE, "GetEstablishment"),
    (ESTABLISHMENT_SERVICE, "ListEstablishments"),
    (ESTABLISHMENT_SERVICE, "CreateEstablishment"),  # idempotent through request_id
    (AGENT_SERVICE, "GetAnalysis"),
    (AGENT_SERVICE, "ListAnalyses"),
    (AGENT_SERVICE, "ListModels"),
    (HEALTH_SERVICE, "Check"),
    (HEALTH_SERVICE, "Watch"),
)

# Methods that need no token: the auth plugin attaches none to them.
PUBLIC_METHODS: frozenset[tuple[str, str]] = frozenset(
    {
        (USER_SERVICE, "Register"),
        (USER_SERVICE, "Login"),
        (USER_SERVICE, "RefreshToken"),
        (HEALTH_SERVICE, "Check"),
        (HEALTH_SERVICE, "Watch"),
    }
)

# Default deadline per method, in seconds; None = no deadline (long-lived streams).
# Anything not listed gets DEFAULT_TIMEOUT. Override per client (`timeouts=`) or
# per call (`timeout=`).
DEFAULT_TIMEOUT = 10.0
DEFAULT_TIMEOUTS: dict[str, float | None] = {
    "Register": 15.0,  # bcrypt on the server
    "Login": 15.0,
    "ChangePassword": 15.0,
    "CreateUser": 15.0,
    "UpdateUser": 15.0,
    "ListModels": 30.0,  # asks each configured LLM provider
    "AnalyzeInspection": 300.0,  # an LLM generation, on CPU by default
    "Chat": 600.0,  # the whole streamed answer
    "WatchItems": None,  # open until cancelled
    "PullModel": None,  # model downloads take as long as they take
    "ExportInspections": 900.0,  # a whole open-data feed, streamed
    "RenderInspectionReport": 60.0,
    "Watch": None,  # grpc.health.v1.Health/Watch
}


@dataclass(frozen=True)
class RetryPolicy:
    """gRPC retryPolicy for the idempotent methods (see module docstring).

    Backoff is jittered: attempt n waits uniform(0, min(initial * multiplier**(n-1), max)).
    gRPC caps max_attempts at 5. The defaults ride out a restart of a few seconds
    (the four waits add up to 3.75 s on average, 7.5 s at most).
    """

    max_attempts: int = 5
    initial_backoff: float = 0.5
    max_backoff: float = 4.0
    backoff_multiplier: float = 2.0
    retryable_status_codes: tuple[str, ...] = ("UNAVAILABLE",)


def service_config(
    retry: RetryPolicy | None = RetryPolicy(),
    load_balancing: str | None = "round_robin",
    health_check_service: str | None = "liveness",
) -> dict[str, Any]:
    """The service config JSON object: retries (gRPC A6), the load-balancing policy,
    and client-side health checking (A17; ignored by servers without health)."""
    config: dict[str, Any] = {}
    if load_balancing is not None:
        config["loadBalancingConfig"] = [{load_balancing: {}}]
    if health_check_service is not None:
        config["healthCheckConfig"] = {"serviceName": health_check_service}
    method_configs: list[dict[str, Any]] = []
    if retry is not None:
        method_configs.append(
            {
                "name": [{"service": s, "method": m} for s, m in RETRYABLE_METHODS],
                "retryPolicy": {
                    "maxAttempts": retry.max_attempts,
                    "initialBackoff": f"{retry.initial_backoff}s",
                    "maxBackoff": f"{retry.max_backoff}s",
                    "backoffMultiplier": retry.backoff_multiplier,
                    "retryableStatusCodes": list(retry.retryable_status_codes),
                },
            }
        )
    config["methodConfig"] = method_configs
    return config


@dataclass(frozen=True)
class Keepalive:
    """HTTP/2 keepalive pings, so idle watch streams survive NATs and dead peers are noticed.

    The server accepts pings every 10 s or more, with or without active calls.
    """

    time: float = 30.0
    timeout: float = 10.0
    permit_without_calls: bool = True


@dataclass(frozen=True)
class TLSConfig:
    """TLS for the channel; with `certificate_chain` and `private_key`, mutual TLS.

    `root_certificates` None means the system's trust store.
    `server_name` overrides the name checked against the server's certificate.
    """

    root_certificates: bytes | None = None
    certificate_chain: bytes | None = None
    private_key: bytes | None = None
    server_name: str | None = None

    @classmethod
    def from_files(
        cls,
        ca_file: str | Path | None = None,
        cert_file: str | Path | None = None,
        key_file: str | Path | None = None,
        server_name: str | None = None,
    ) -> TLSConfig:
        if (cert_file is None) != (key_file is None):
            raise ValueError("a client certificate needs both cert_file and key_file")
        return cls(
            root_certificates=Path(ca_file).read_bytes() if ca_file else None,
            certificate_chain=Path(cert_file).read_bytes() if cert_file else None,
            private_key=Path(key_file).read_bytes() if key_file else None,
            server_name=server_name,
        )


@dataclass(frozen=True)
class ChannelSettings:
    """Everything about the connection, shared by `Client` and `AsyncClient`."""

    retry: RetryPolicy | None = field(default_factory=RetryPolicy)
    # "round_robin" spreads calls over every resolved address; "pick_first" (gRPC's
    # own default) keeps one connection. None leaves the choice to gRPC.
    load_balancing: str | None = "round_robin"
    # The grpc.health.v1 service whose status decides whether a backend gets calls
    # (the server's "liveness": SERVING until it begins to stop); None: no checks.
    health_check_service: str | None = "liveness"
    keepalive: Keepalive = field(default_factory=Keepalive)
    # Reconnect quickly after a server restart: the default first backoff (1 s,
    # growing to 120 s) would outlast the retry budget of a restart of a second or two.
    initial_reconnect_backoff: float = 0.1
    max_reconnect_backoff: float = 2.0
    max_message_bytes: int = 4 * 1024 * 1024
    extra_options: tuple[tuple[str, Any], ...] = ()

    def options(self, tls: TLSConfig | None) -> list[tuple[str, Any]]:
        options: list[tuple[str, Any]] = [
            ("grpc.enable_retries", 1),
            (
                "grpc.service_config",
                json.dumps(
                    service_config(self.retry, self.load_balancing, self.health_check_service)
                ),
            ),
            ("grpc.keepalive_time_ms", int(self.keepalive.time * 1000)),
            ("grpc.keepalive_timeout_ms", int(self.keepalive.timeout * 1000)),
            ("grpc.keepalive_permit_without_calls", int(self.keepalive.permit_without_calls)),
            ("grpc.http2.max_pings_without_data", 0),
            ("grpc.initial_reconnect_backoff_ms", int(self.initial_reconnect_backoff * 1000)),
            ("grpc.min_reconnect_backoff_ms", int(self.initial_reconnect_backoff * 1000)),
            ("grpc.max_reconnect_backoff_ms", int(self.max_reconnect_backoff * 1000)),
            ("grpc.max_receive_message_length", self.max_message_bytes),
            ("grpc.max_send_message_length", self.max_message_bytes),
            ("grpc.primary_user_agent", f"opengovfood-client-python/{__version__}"),
        ]
        if tls is not None and tls.server_name:
            options.append(("grpc.ssl_target_name_override", tls.server_name))
        options.extend(self.extra_options)
        return options


def multi_address_target(addresses: Iterable[str]) -> str:
    """One target for several `host:port` addresses (IP literals), balanced by
    round_robin: `ipv4:127.0.0.1:50051,127.0.0.1:50052` (`ipv6:` for IPv6)."""
    found = list(addresses)
    if not found:
        raise ValueError("no addresses")
    hosts = [address.rpartition(":")[0].strip("[]") for address in found]
    try:
        versions = {ipaddress.ip_address(host).version for host in hosts}
    except ValueError:
        raise ValueError("multi-address targets take IP addresses, not names") from None
    if len(versions) != 1:
        raise ValueError("all addresses must be IPv4, or all IPv6")
    return f"ipv{versions.pop()}:{','.join(found)}"


def is_local_address(target: str) -> bool:
    """True for unix sockets and loopback targets (plaintext is safe there); a
    multi-address target is local when every address is."""
    if target.startswith(("unix:", "unix-abstract:")):
        return True
    target = target.removeprefix("dns:///").removeprefix("ipv4:").removeprefix("ipv6:")
    return all(_is_loopback(address) for address in target.split(","))


def _is_loopback(address: str) -> bool:
    host = address.rpartition(":")[0] if ":" in address else address
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


DEFAULT_ADDRESS = "127.0.0.1:50051"


def resolve_timeout(
    overrides: Mapping[str, float | None], method: str, given: float | None
) -> float | None:
    """`given` wins (math.inf: no deadline); else the client's, else the default table."""
    if given is not None:
        return None if math.isinf(given) else given
    if method in overrides:
        return overrides[method]
    return DEFAULT_TIMEOUTS.get(method, DEFAULT_TIMEOUT)
