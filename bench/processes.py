"""Child processes of a benchmark run: pinning, ports, readiness, CPU and memory."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

ROOT = Path(__file__).resolve().parent.parent


def available_cores() -> list[int]:
    return sorted(os.sched_getaffinity(0))


def pinning(cores: Sequence[int] | None) -> Callable[[], None] | None:
    """A preexec_fn that pins the child (and every thread it makes) to `cores`."""
    if not cores:
        return None
    chosen = set(cores)

    def pin() -> None:
        with contextlib.suppress(OSError):  # not allowed here: run unpinned
            os.sched_setaffinity(0, chosen)

    return pin


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_serving(
    address: str,
    timeout: float = 60.0,
    proc: subprocess.Popen[Any] | None = None,
    any_answer: bool = False,
) -> None:
    """Until health says SERVING (or, with `any_answer`, until anything answers)."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    with grpc.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode} before serving")
            try:
                reply = stub.Check(health_pb2.HealthCheckRequest(), timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
                last = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
            except grpc.RpcError as exc:
                if any_answer and exc.code() == grpc.StatusCode.UNIMPLEMENTED:
                    return
                last = exc.code().name
            time.sleep(0.1)
    raise RuntimeError(f"{address} not SERVING after {timeout:.0f}s (last: {last})")


def children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found += [int(c) for c in handle.read().split()]
    except OSError:
        pass
    return found


def process_tree(pid: int) -> list[int]:
    tree = [pid]
    for child in children(pid):
        tree += process_tree(child)
    return tree


def rss_mb(pid: int) -> float:
    """Resident memory of one process, MiB."""
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class Managed:
    """A child process with its output in a log file, stopped with SIGTERM."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        log_dir: Path,
        env: dict[str, str] | None = None,
        cores: Sequence[int] | None = None,
        stdout_pipe: bool = False,
        stdin_pipe: bool = False,
    ) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log: TextIO = self.log_path.open("w")
        self.proc = subprocess.Popen(
            list(argv),
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stdin=subprocess.PIPE if stdin_pipe else subprocess.DEVNULL,
            stdout=subprocess.PIPE if stdout_pipe else self._log,
            stderr=self._log,
            text=True,
            preexec_fn=pinning(cores),
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_tail(self, lines: int = 20) -> str:
        if not self._log.closed:  # stop() closes it; the tail is still on disk
            self._log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, timeout: float = 20.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode


class LoadGenerator(Managed):
    """The persistent load generator process: one JSON job in, one JSON result out."""

    def __init__(self, log_dir: Path, cores: Sequence[int] | None) -> None:
        super().__init__(
            "loadgen",
            [sys.executable, "-m", "bench.loadgen"],
            log_dir,
            cores=cores,
            stdout_pipe=True,
            stdin_pipe=True,
        )

    def run(self, job: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"load generator died:\n{self.log_tail()}")
        result: dict[str, Any] = json.loads(line)
        return result

    def stop(self, timeout: float = 5.0) -> int:
        if self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
        return super().stop(timeout)
