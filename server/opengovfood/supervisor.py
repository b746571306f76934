"""`serve --workers N`: N server processes sharing one port through SO_REUSEPORT.

The supervisor forks the workers before any grpc object exists (gRPC's core is
not fork-safe once it runs threads), restarts a worker that dies (with backoff,
so a worker that cannot start does not spin), forwards SIGTERM/SIGINT so every
worker stops gracefully, and exits 0 only when every worker exited cleanly.

The supervisor keeps its own SO_REUSEPORT socket bound (never listening) on the
port for its lifetime: it resolves port 0 to one port all workers share, makes
"address in use" fail at once with a clear message, and keeps processes that do
not opt into SO_REUSEPORT from taking the port between restarts. A bound socket
that does not listen receives no connections.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import shutil
import signal
import socket
import tempfile
import time
from dataclasses import dataclass
from types import FrameType

from opengovfood.config import Settings

logger = logging.getLogger("opengovfood.supervisor")

EXIT_BIND_ERROR = 3  # a worker could not bind: restarting would not help
EXIT_CONFIG_ERROR = 4  # unusable TLS files, tracing unavailable: likewise
_FATAL = {EXIT_BIND_ERROR: 1, EXIT_CONFIG_ERROR: 2}  # worker exit code -> ours
POLL_SECONDS = 0.1
MIN_BACKOFF = 0.5
MAX_BACKOFF = 30.0
HEALTHY_AFTER = 10.0  # a worker that lived this long resets its backoff
_PR_SET_PDEATHSIG = 1


class SupervisorError(RuntimeError):
    """The supervisor cannot start (e.g. the address is in use)."""


def reserve_address(address: str) -> tuple[socket.socket, str]:
    """Bind (not listen) an SO_REUSEPORT socket on `address`; return it and host:port
    with port 0 resolved."""
    host, _, port_text = address.rpartition(":")
    bare = host.strip("[]")
    try:
        infos = socket.getaddrinfo(
            bare, int(port_text), type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except socket.gaierror as exc:
        raise SupervisorError(f"cannot bind {address}: {exc.strerror}") from None
    family, kind, proto, _, sockaddr = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(sockaddr)
    except OSError:
        sock.close()
        raise SupervisorError(f"cannot bind {address}: address in use or not available") from None
    port = sock.getsockname()[1]
    return sock, f"{host}:{port}"


def _die_with_parent() -> None:
    """Linux: a worker gets SIGTERM if the supervisor is killed, instead of living on."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _worker_main(settings: Settings) -> int:
    """Runs in the forked child; never returns to the supervisor's code."""
    from opengovfood import eventloop
    from opengovfood.lifecycle import BindError
    from opengovfood.serve import serve
    from opengovfood.tls import TlsConfigError
    from opengovfood.tracing import TracingUnavailable

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)
    _die_with_parent()
    try:
        eventloop.run(serve(settings, reuse_port=True))
    except BindError as error:
        logger.error("worker cannot bind: %s", error)
        return EXIT_BIND_ERROR
    except (TlsConfigError, TracingUnavailable) as error:
        logger.error("worker configuration error: %s", error)
        return EXIT_CONFIG_ERROR
    except Exception:
        logger.exception("worker failed")
        return 1
    return 0


@dataclass
class _Slot:
    index: int
    pid: int | None = None
    started: float = 0.0
    failures: int = 0
    restart_at: float | None = None


class Supervisor:
    def __init__(
        self, settings: Settings, workers: int, reserved: list[socket.socket] | None = None
    ) -> None:
        self._settings = settings
        self._reserved = reserved or []
        self._slots = [_Slot(i) for i in range(workers)]
        self._stopping = False
        self._exit_codes: list[int] = []
        self._fatal: int | None = None

    def _spawn(self, slot: _Slot) -> None:
        pid = os.fork()
        if pid == 0:  # the worker
            code = 1
            try:
                for sock in self._reserved:
                    sock.close()
                code = _worker_main(self._settings)
            finally:
                logging.shutdown()
                os._exit(code)
        slot.pid, slot.started, slot.restart_at = pid, time.monotonic(), None
        logger.info("worker started", extra={"worker": slot.index, "pid": pid})

    def _on_hangup(self, signum: int, _frame: FrameType | None) -> None:
        self._signal_all(signal.SIGHUP)  # workers reload their TLS certificates

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if not self._stopping:
            logger.info("stopping workers", extra={"signal": signal.Signals(signum).name})
        self._stopping = True
        self._signal_all(signal.SIGTERM)

    def _signal_all(self, sig: int) -> None:
        for slot in self._slots:
            if slot.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(slot.pid, sig)

    def _reap(self) -> bool:
        """Collect exited workers; False when a worker hit a fatal error."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return True
            if pid == 0:
                return True
            slot = next((s for s in self._slots if s.pid == pid), None)
            if slot is None:
                continue
            code = os.waitstatus_to_exitcode(status)
            slot.pid = None
            if self._settings.metrics_address:
                from opengovfood import metrics

                metrics.mark_worker_dead(pid)  # its live gauges leave the sums
            if self._stopping:
                self._exit_codes.append(code)
                continue
            if code in _FATAL:
                logger.error("worker cannot start; stopping", extra={"worker": slot.index})
                self._exit_codes.append(code)
                self._fatal = _FATAL[code]
                return False
            lived = time.monotonic() - slot.started
            slot.failures = 0 if lived >= HEALTHY_AFTER else slot.failures + 1
            delay = min(MAX_BACKOFF, MIN_BACKOFF * 2 ** max(0, slot.failures - 1))
            delay = 0.0 if slot.failures == 0 else delay
            slot.restart_at = time.monotonic() + delay
            logger.warning(
                "worker exited; restarting",
                extra={"worker": slot.index, "pid": pid, "exit_code": code, "delay_s": delay},
            )

    def run(self) -> int:
        previous = {
            sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)
        }
        previous[signal.SIGHUP] = signal.signal(signal.SIGHUP, self._on_hangup)
        try:
            for slot in self._slots:
                self._spawn(slot)
            while not self._stopping:
                if not self._reap():
                    self._stopping = True
                    self._signal_all(signal.SIGTERM)
                    break
                now = time.monotonic()
                for slot in self._slots:
                    if slot.pid is None and slot.restart_at is not None and slot.restart_at <= now:
                        self._spawn(slot)
                time.sleep(POLL_SECONDS)
            return self._wait_all()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _wait_all(self) -> int:
        deadline = time.monotonic() + self._settings.grace_period + 10.0
        while any(s.pid is not None for s in self._slots):
            self._reap()
            if time.monotonic() > deadline:
                logger.error("workers did not stop in time; killing them")
                self._signal_all(signal.SIGKILL)
                deadline = float("inf")
            time.sleep(POLL_SECONDS)
        # -SIGTERM: a worker stopped before it had installed its handlers (still
        # starting up, nothing in flight) ended by the signal's default action.
        clean = all(code in (0, -signal.SIGTERM) for code in self._exit_codes)
        logger.info("stopped", extra={"exit_codes": self._exit_codes})
        if self._fatal is not None:
            return self._fatal
        return 0 if clean else 1


def _metrics_multiprocess(settings: Settings) -> str | None:
    """Metrics across workers: prometheus-client's multiprocess mode needs its directory
    in the environment before opengovfood.metrics is first imported (see there). Returns
    a directory made here, to remove at exit."""
    if not settings.metrics_address:
        return None
    made = None
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        made = tempfile.mkdtemp(prefix="opengovfood-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = made
    from opengovfood import metrics

    metrics.reset_multiprocess_dir()
    return made


def run(settings: Settings, workers: int) -> int:
    """Serve with `workers` processes until SIGTERM/SIGINT; the process exit code."""
    reserved, address = reserve_address(settings.address)
    held = [reserved]
    made = None
    try:
        update = {"address": address}
        if settings.metrics_address:
            metrics_socket, update["metrics_address"] = reserve_address(settings.metrics_address)
            held.append(metrics_socket)
        settings = settings.model_copy(update=update)
        made = _metrics_multiprocess(settings)
        logger.info("supervising", extra={"address": address, "workers": workers})
        return Supervisor(settings, workers, held).run()
    finally:
        for sock in held:
            sock.close()
        if made is not None:
            shutil.rmtree(made, ignore_errors=True)
