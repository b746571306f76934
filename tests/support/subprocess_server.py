"""`opengov-food serve` as a subprocess (shutdown, soak): environment, start, wait."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from opengovfood.app import build_container
from opengovfood.config import Settings
from support.server import SECRET, UserFactory, make_settings

CLI = Path(sys.executable).with_name("opengov-food")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    address: str
    settings: Settings  # the same settings, for tokens and direct database checks
    log: Path

    def signal(self, sig: signal.Signals) -> None:
        self.process.send_signal(sig)

    def rss_kib(self) -> int:
        """Resident set size of the server process (Linux /proc)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def start_server_process(
    database_url: str,
    tmp: Path,
    extra_env: dict[str, str] | None = None,
    args: list[str] | None = None,
    start_within: float = 30,
) -> ServerProcess:
    port = free_port()
    env = {
        **os.environ,
        "OPENGOVFOOD_ADDRESS": f"127.0.0.1:{port}",
        "OPENGOVFOOD_DATABASE_URL": database_url,
        "OPENGOVFOOD_SECRET_KEY": SECRET,
        "OPENGOVFOOD_SECRET_KEY_FILE": str(tmp / "secret"),
        "OPENGOVFOOD_BCRYPT_ROUNDS": "4",
        "OPENGOVFOOD_ACCESS_LOG": "false",
        "OPENGOVFOOD_LOG_FORMAT": "console",
        "OPENGOVFOOD_HEALTH_CHECK_INTERVAL": "0.5",
        "OPENGOVFOOD_LLM_PROVIDER": "ollama",
        "OPENGOVFOOD_OLLAMA_URL": "http://127.0.0.1:9",
        **(extra_env or {}),
    }
    log = tmp / f"server-{uuid.uuid4().hex[:6]}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(CLI), "serve", *(args or [])], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    settings = make_settings(database_url, tmp)
    running = ServerProcess(process, f"127.0.0.1:{port}", settings, log)
    _wait_serving(running, start_within)
    return running


def _wait_serving(server: ServerProcess, within: float) -> None:
    deadline = time.monotonic() + within
    with grpc.insecure_channel(server.address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise RuntimeError(f"server exited: {server.log.read_text()[-2000:]}")
            try:
                reply = stub.Check(health_pb2.HealthCheckRequest(), timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"server not serving within {within}s: {server.log.read_text()[-2000:]}")


def user_factory(settings: Settings) -> tuple[UserFactory, Any]:
    """Users made straight in the database the subprocess uses, with tokens it accepts.
    Returns the factory and the container (`aclose()` it when done)."""
    container = build_container(settings)
    return UserFactory(SimpleNamespace(container=container)), container  # type: ignore[arg-type]
