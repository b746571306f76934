"""Run one server process: bind, start, serve until SIGTERM/SIGINT, stop gracefully.

`start` and `stop` are the one way a built App starts and stops; the tests' server
uses them too, so it drains exactly as production does."""

from __future__ import annotations

import asyncio
import logging
import signal

from opengovfood.app import App, build_server
from opengovfood.config import Settings
from opengovfood.db import migrate
from opengovfood.lifecycle import BindError, run_all
from opengovfood.tls import ServerTls

__all__ = ["BindError", "bind", "serve", "start", "stop", "stop_gracefully"]

logger = logging.getLogger("opengovfood.serve")


def bind(app: App) -> int:
    """Bind the configured address: TLS (or mTLS) when certificates are configured."""
    address = app.settings.address
    app.tls = ServerTls.from_settings(app.settings)  # TlsConfigError: unusable files
    try:
        if app.tls is not None:
            port = app.server.add_secure_port(address, app.tls.credentials())
        else:
            port = app.server.add_insecure_port(address)
    except RuntimeError as exc:
        raise BindError(f"cannot bind {address}: address in use or not available") from exc
    if port == 0:
        raise BindError(f"cannot bind {address}: address in use or not available")
    return port


async def start(app: App) -> None:
    """Run the startup hooks, then start serving (after `bind`)."""
    for hook in app.on_startup:
        await hook()
    await app.server.start()


async def stop_gracefully(app: App, grace: float) -> None:
    """Health NOT_SERVING, new calls refused (UNAVAILABLE), streams ended, and the calls
    in flight given `grace` seconds in all to finish; then the server stops."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace
    logger.info("shutting down", extra={"grace_seconds": grace})
    await app.health.shutdown()
    app.drain.begin()
    for hook in app.on_shutdown:
        await hook()
    # server.stop() drops the calls grpc core still queues (their clients get
    # CANCELLED): stop once they have all been answered (see interceptors/drain).
    if not await app.drain.wait(deadline):
        logger.warning("grace period over", extra={"in_flight": app.drain.in_flight})
    await app.server.stop(max(0.0, deadline - loop.time()))


async def cleanup(app: App) -> None:
    """Release every resource (after the server stopped, or when it failed to start)."""
    await run_all(app.on_cleanup, "cleanup")


async def stop(app: App, grace: float) -> None:
    """The whole stop: drain and stop the server, then release every resource."""
    try:
        await stop_gracefully(app, grace)
    finally:
        await cleanup(app)


async def serve(settings: Settings, reuse_port: bool = False) -> None:
    """Serve until a stop signal; health goes NOT_SERVING first, new calls are refused
    (UNAVAILABLE), and in-flight RPCs get `grace_period` seconds to finish."""
    app = build_server(settings, reuse_port=reuse_port)
    port = bind(app)
    stop_requested = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop_requested.set)
    if app.tls is not None:
        loop.add_signal_handler(signal.SIGHUP, app.tls.request_reload)
    try:
        # Once the configuration is known to be usable (TLS files, tracing), before
        # serving: on a schema older than this release calls would fail, not the start.
        await asyncio.to_thread(migrate.require_current, settings.database_url)
        await start(app)
        host = settings.address.rpartition(":")[0]
        tls = "off" if app.tls is None else "mutual" if app.tls.mutual else "on"
        logger.info("serving", extra={"address": f"{host}:{port}", "tls": tls})
        await stop_requested.wait()
        await stop_gracefully(app, settings.grace_period)
    finally:
        await cleanup(app)
    logger.info("stopped")
