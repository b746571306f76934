"""`opengov-food serve --workers N`: processes sharing a port, restarts, graceful stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from support.server import SECRET

if TYPE_CHECKING:  # imported here, pytest would try to collect the class
    from support.databases import TestDatabase

pytestmark = pytest.mark.slow

SERVE = str(Path(sys.executable).parent / "opengov-food")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def workers_of(pid: int) -> list[int]:
    found: list[int] = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as handle:
            found += [int(c) for c in handle.read().split()]
    return found


def socket_inodes(pid: int) -> set[int]:
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    return inodes


def established_inodes(port: int) -> set[int]:
    """Inodes of ESTABLISHED TCP sockets whose local port is `port` (server side)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as handle:
            next(handle)
            for line in handle:
                fields = line.split()
                local_port = int(fields[1].rsplit(":", 1)[1], 16)
                if local_port == port and fields[3] == "01":
                    inodes.add(int(fields[9]))
    return inodes


# Channels in one process share a connection unless each has its own subchannel pool.
OWN_CONNECTION = [("grpc.use_local_subchannel_pool", 1)]


def health_check(address: str, timeout: float = 10.0) -> int:
    with grpc.insecure_channel(address) as channel:
        reply = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(), timeout=timeout, wait_for_ready=True
        )
    return int(reply.status)


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


class Supervised:
    def __init__(self, proc: subprocess.Popen[str], address: str, port: int) -> None:
        self.proc, self.address, self.port = proc, address, port

    def workers(self) -> list[int]:
        return workers_of(self.proc.pid)

    def kill(self) -> None:
        if self.proc.poll() is None:
            for pid in self.workers():
                os.kill(pid, signal.SIGKILL)
            self.proc.kill()
            self.proc.wait()


def launch(database_url: str, cwd: Path, **env: str) -> Supervised:
    port = free_port()
    address = f"127.0.0.1:{port}"
    proc = subprocess.Popen(
        [SERVE, "serve", "--address", address],
        env={
            **os.environ,
            "OPENGOVFOOD_DATABASE_URL": database_url,
            "OPENGOVFOOD_SECRET_KEY": SECRET,
            "OPENGOVFOOD_ACCESS_LOG": "false",
            "OPENGOVFOOD_LOG_FORMAT": "console",
            "OPENGOVFOOD_GRACE_PERIOD": "2",
            "OPENGOVFOOD_WORKERS": "2",
            **env,
        },
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    running = Supervised(proc, address, port)
    try:
        wait_for(lambda: len(running.workers()) == 2)
        assert health_check(address, timeout=30) == health_pb2.HealthCheckResponse.SERVING
    except BaseException:
        running.kill()
        raise
    return running


@pytest.fixture
def supervised(test_database: TestDatabase, tmp_path: Path) -> Iterator[Supervised]:
    running = launch(test_database.url, tmp_path)
    try:
        yield running
    finally:
        running.kill()


def test_two_workers_share_the_port(supervised: Supervised) -> None:
    channels = [grpc.insecure_channel(supervised.address, OWN_CONNECTION) for _ in range(24)]
    try:
        for channel in channels:
            health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
        connections = established_inodes(supervised.port)
        served = {pid: socket_inodes(pid) & connections for pid in supervised.workers()}
        # 24 connections spread by the kernel: each worker holds some (odds of not: 2^-23).
        assert len(served) == 2
        assert all(served.values()), served
    finally:
        for channel in channels:
            channel.close()


def test_a_killed_worker_is_replaced_and_clients_recover(supervised: Supervised) -> None:
    channels = [grpc.insecure_channel(supervised.address, OWN_CONNECTION) for _ in range(8)]
    stubs = [health_pb2_grpc.HealthStub(channel) for channel in channels]
    try:
        for stub in stubs:
            stub.Check(health_pb2.HealthCheckRequest(), timeout=10)
        before = supervised.workers()
        victim = before[0]
        os.kill(victim, signal.SIGKILL)
        wait_for(lambda: len(supervised.workers()) == 2 and victim not in supervised.workers())
        # Every existing channel reconnects (to whichever worker the kernel picks).
        for stub in stubs:
            reply = stub.Check(health_pb2.HealthCheckRequest(), timeout=15, wait_for_ready=True)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
        assert supervised.proc.poll() is None
    finally:
        for channel in channels:
            channel.close()


def test_sigterm_stops_every_worker_and_exits_zero(supervised: Supervised) -> None:
    workers = supervised.workers()
    supervised.proc.send_signal(signal.SIGTERM)
    output, _ = supervised.proc.communicate(timeout=30)
    assert supervised.proc.returncode == 0, output
    # The supervisor reaped them all before exiting.
    assert not [pid for pid in workers if os.path.exists(f"/proc/{pid}")]


def test_address_in_use_fails_at_once(test_database: TestDatabase, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [SERVE, "serve", "--workers", "2", "--address", f"127.0.0.1:{port}"],
            env={
                **os.environ,
                "OPENGOVFOOD_DATABASE_URL": test_database.url,
                "OPENGOVFOOD_SECRET_KEY": SECRET,
            },
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 1
    assert "address in use" in result.stderr


def test_workers_must_be_a_positive_count(tmp_path: Path) -> None:
    result = subprocess.run(
        [SERVE, "serve", "--workers", "0"], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "between 1 and 64" in result.stderr


def test_metrics_add_up_across_workers(test_database: TestDatabase, tmp_path: Path) -> None:
    metrics_port = free_port()
    running = launch(
        test_database.url, tmp_path, OPENGOVFOOD_METRICS_ADDRESS=f"127.0.0.1:{metrics_port}"
    )
    try:
        channels = [grpc.insecure_channel(running.address, OWN_CONNECTION) for _ in range(12)]
        for channel in channels:
            health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
            channel.close()
        # Whichever worker answers the scrape sums every worker's samples.
        with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10) as r:
            text = r.read().decode()
        line = next(
            row
            for row in text.splitlines()
            if row.startswith("grpc_server_handled_total{")
            and 'grpc_method="Check"' in row
            and 'grpc_code="OK"' in row
        )
        # 12 here plus the launch's readiness check.
        assert float(line.rsplit(" ", 1)[1]) == 13
    finally:
        running.kill()
