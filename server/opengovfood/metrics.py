"""Prometheus metrics: every metric the service exports is defined here, once.

Other modules import the metric objects (or the small helpers) and update them;
nothing else creates metrics, so names and labels stay in one reviewable place.

Single process: metrics live in prometheus-client's default registry and the
endpoint serves it; database pool gauges are read at scrape time by a collector.

Several processes (`--workers`): prometheus-client's multiprocess mode. It is
chosen when `PROMETHEUS_MULTIPROC_DIR` is in the environment *before this module
is first imported* (prometheus-client decides at import time), so the process
that starts the workers sets it (and empties the directory with
`reset_multiprocess_dir`) before it imports anything of ours. Every worker then
writes its samples to files in that directory; one endpoint, started with
`start_endpoint` by the supervising process, aggregates them with a
`MultiProcessCollector`; the supervisor calls `mark_worker_dead(pid)` when a
worker exits so its live gauges disappear. Pool gauges are then kept up to date by
pool events instead of a scrape-time collector (a collector would only see the
process serving the endpoint).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    make_wsgi_app,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import ThreadingWSGIServer
from prometheus_client.registry import Collector
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import Pool

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

# `_created` series double the output and no dashboard for these metrics reads them.
disable_created_metrics()  # type: ignore[no-untyped-call]


def multiprocess_dir() -> Path | None:
    value = os.environ.get(MULTIPROC_ENV) or os.environ.get(MULTIPROC_ENV.lower())
    return Path(value) if value else None


MULTIPROCESS = multiprocess_dir() is not None

# --- gRPC server metrics (the names and labels of go-grpc-prometheus) ---------------
_GRPC_LABELS = ("grpc_type", "grpc_service", "grpc_method")

GRPC_STARTED = Counter("grpc_server_started", "RPCs started on the server.", _GRPC_LABELS)
GRPC_HANDLED = Counter(
    "grpc_server_handled",
    "RPCs completed on the server, regardless of success or failure.",
    (*_GRPC_LABELS, "grpc_code"),
)
GRPC_MSG_RECEIVED = Counter(
    "grpc_server_msg_received", "Stream messages received by the server.", _GRPC_LABELS
)
GRPC_MSG_SENT = Counter("grpc_server_msg_sent", "Stream messages sent by the server.", _GRPC_LABELS)
GRPC_HANDLING_SECONDS = Histogram(
    "grpc_server_handling_seconds",
    "Time from the start of an RPC to its end (streams: until the last message).",
    _GRPC_LABELS,
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)

# --- rate limits ---------------------------------------------------------------------
RATE_LIMIT_REJECTIONS = Counter(
    "opengovfood_rate_limit_rejections",
    "Requests refused with RESOURCE_EXHAUSTED by a rate limit.",
    ("limit",),
)


def rate_limit_rejected(limit: str) -> None:
    """Count one refusal by the named limit (`login`, `register`, `rpc`, ...)."""
    RATE_LIMIT_REJECTIONS.labels(limit).inc()


# --- agent / LLM ---------------------------------------------------------------------
LLM_GENERATIONS = Counter(
    "opengovfood_llm_generations",
    "LLM generations by provider and outcome (ok, error, timeout, cancelled, invalid).",
    ("provider", "outcome"),
)
LLM_GENERATION_SECONDS = Histogram(
    "opengovfood_llm_generation_seconds",
    "Wall time of one LLM generation, from request to the last token.",
    ("provider",),
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300),
)
LLM_TOKENS = Counter(
    "opengovfood_llm_tokens",
    "Tokens processed by LLM providers; kind is `prompt` or `completion`.",
    ("provider", "kind"),
)


def record_generation(
    provider: str,
    outcome: str,
    seconds: float,
    prompt_tokens: int = 0,
    completion_tokens: int = 0,
) -> None:
    """Record one finished (or failed) generation."""
    LLM_GENERATIONS.labels(provider, outcome).inc()
    LLM_GENERATION_SECONDS.labels(provider).observe(seconds)
    if prompt_tokens:
        LLM_TOKENS.labels(provider, "prompt").inc(prompt_tokens)
    if completion_tokens:
        LLM_TOKENS.labels(provider, "completion").inc(completion_tokens)


# --- database pool -------------------------------------------------------------------
_POOL_HELP = {
    "opengovfood_db_pool_checked_out": "Database connections in use.",
    "opengovfood_db_pool_size": "Configured size of the database connection pool.",
    "opengovfood_db_pool_overflow": "Database connections open above the pool size.",
}


def _pool_numbers(pool: Pool) -> tuple[int, int, int]:
    """(checked out, size, overflow) for a QueuePool-like pool; zeros otherwise."""
    checked_out: Callable[[], int] | None = getattr(pool, "checkedout", None)
    size: Callable[[], int] | None = getattr(pool, "size", None)
    overflow: Callable[[], int] | None = getattr(pool, "overflow", None)
    if checked_out is None or size is None or overflow is None:
        return 0, 0, 0
    # QueuePool counts overflow from -size upwards; only the part above zero is real.
    return checked_out(), size(), max(0, overflow())


class PoolCollector(Collector):
    """Reads the pools of the tracked engines at scrape time (no per-query cost)."""

    def __init__(self) -> None:
        self._pools: weakref.WeakSet[Pool] = weakref.WeakSet()
        self._lock = threading.Lock()

    def track(self, pool: Pool) -> Callable[[], None]:
        with self._lock:
            self._pools.add(pool)

        def untrack() -> None:
            with self._lock:
                self._pools.discard(pool)

        return untrack

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self._lock:
            pools = list(self._pools)
        totals = [0, 0, 0]
        for pool in pools:
            for i, value in enumerate(_pool_numbers(pool)):
                totals[i] += value
        for (name, help_text), value in zip(_POOL_HELP.items(), totals, strict=True):
            yield GaugeMetricFamily(name, help_text, value=value)


_POOL_GAUGES: tuple[Gauge, Gauge, Gauge] | None = None
_POOL_COLLECTOR: PoolCollector | None = None
if MULTIPROCESS:
    # livesum: the endpoint adds the values of the workers that are still alive.
    _checked_out, _size, _overflow = (
        Gauge(name, help_text, multiprocess_mode="livesum")
        for name, help_text in _POOL_HELP.items()
    )
    _POOL_GAUGES = (_checked_out, _size, _overflow)
else:
    _POOL_COLLECTOR = PoolCollector()
    REGISTRY.register(_POOL_COLLECTOR)

_POOL_EVENTS = ("connect", "checkout", "checkin", "close", "close_detached", "invalidate")


def track_pool(engine: AsyncEngine) -> Callable[[], None]:
    """Export `engine`'s pool gauges; returns the function that stops it."""
    pool = engine.sync_engine.pool
    if _POOL_COLLECTOR is not None:
        return _POOL_COLLECTOR.track(pool)
    gauges = _POOL_GAUGES
    assert gauges is not None

    def sample(*_args: Any) -> None:
        for gauge, value in zip(gauges, _pool_numbers(pool), strict=True):
            gauge.set(value)

    for name in _POOL_EVENTS:
        event.listen(pool, name, sample)
    sample()

    def untrack() -> None:
        for name in _POOL_EVENTS:
            event.remove(pool, name, sample)
        for gauge in gauges:
            gauge.set(0)

    return untrack


# --- the HTTP endpoint ---------------------------------------------------------------
@dataclass
class MetricsEndpoint:
    """A running /metrics HTTP server (prometheus-client's WSGI app, in a daemon thread)."""

    server: ThreadingWSGIServer
    thread: threading.Thread

    @property
    def port(self) -> int:
        port: int = self.server.server_port
        return port

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def exposition_registry() -> CollectorRegistry:
    """What the endpoint serves: this process's registry, or every worker's files."""
    if not MULTIPROCESS:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes are not worth a log line each."""


class EndpointBindError(OSError):
    """The metrics address cannot be bound."""


def start_endpoint(address: str, reuse_port: bool = False) -> MetricsEndpoint:
    """Serve /metrics on host:port (port 0: an ephemeral one, see `.port`).

    `reuse_port`: workers sharing the gRPC port share this one too; in multiprocess
    mode each of them serves the same aggregated view, so any may answer a scrape.
    """
    host, _, port_text = address.rpartition(":")
    host, port = host.strip("[]"), int(port_text)
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        server_class = type(
            "MetricsServer",
            (ThreadingWSGIServer,),
            {"address_family": family, "allow_reuse_port": reuse_port},
        )
        server: ThreadingWSGIServer = make_server(
            host, port, make_wsgi_app(exposition_registry()), server_class, _QuietHandler
        )
    except OSError as exc:
        raise EndpointBindError(f"cannot bind metrics address {address}: {exc.strerror}") from exc
    thread = threading.Thread(target=server.serve_forever, name="metrics-endpoint", daemon=True)
    thread.start()
    return MetricsEndpoint(server, thread)


def reset_multiprocess_dir() -> None:
    """Empty the multiprocess directory: stale files from an earlier run would be summed."""
    directory = multiprocess_dir()
    if directory is None:
        return
    directory.mkdir(parents=True, exist_ok=True)
    for child in directory.iterdir():
        if child.is_dir():
            shutil.rmtree(child)
        else:
            child.unlink()


def mark_worker_dead(pid: int) -> None:
    """Drop a dead worker's live gauges (multiprocess mode; a no-op otherwise)."""
    if MULTIPROCESS:
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
