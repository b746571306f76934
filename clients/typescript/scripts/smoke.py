"""Run the TypeScript smoke test against a real, throwaway server.

Starts `opengov-food serve` on a free loopback port with a temporary SQLite
database, waits until it reports SERVING, runs `npm test` in clients/typescript
with OPENGOVFOOD_ADDRESS pointing at it, and stops the server. Exits with the
test's status. Used by `make ts-smoke` (and so by CI).
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from opengovfood_client import Client, OpenGovFoodError

PACKAGE = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_serving(address: str, server: subprocess.Popen[bytes], within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    with Client(address) as client:
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise SystemExit(f"the server exited early with status {server.returncode}")
            try:
                if client.health.check(timeout=1.0) == "SERVING":
                    return
            except OpenGovFoodError:
                pass
            time.sleep(0.2)
    raise SystemExit(f"the server at {address} did not become SERVING within {within:.0f} s")


def main() -> int:
    npm = shutil.which("npm")
    if npm is None:
        print("ts-smoke: npm is not installed", file=sys.stderr)
        return 1
    installed = PACKAGE / "node_modules" / ".package-lock.json"
    lock = PACKAGE / "package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=PACKAGE, check=True)
    with tempfile.TemporaryDirectory(prefix="opengovfood-ts-smoke-") as tmp:
        address = f"127.0.0.1:{free_port()}"
        env = {
            **os.environ,
            "OPENGOVFOOD_ADDRESS": address,
            "OPENGOVFOOD_DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/smoke.db",
            "OPENGOVFOOD_SECRET_KEY": secrets.token_urlsafe(48),
            "OPENGOVFOOD_SECRET_KEY_FILE": f"{tmp}/secret",
            "OPENGOVFOOD_BCRYPT_ROUNDS": "4",
            "OPENGOVFOOD_LOG_FORMAT": "console",
            "OPENGOVFOOD_LOG_LEVEL": "WARNING",
        }
        subprocess.run([BIN / "opengov-food", "db", "upgrade"], env=env, check=True)
        log = open(Path(tmp) / "server.log", "wb")  # noqa: SIM115 - closed below
        server = subprocess.Popen(
            [BIN / "opengov-food", "serve"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            wait_serving(address, server)
            print(f"ts-smoke: server on {address}; running npm test", flush=True)
            result = subprocess.run([npm, "test"], cwd=PACKAGE, env=env)
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            log.close()
        if result.returncode != 0:
            print("ts-smoke: failed; server log follows", file=sys.stderr)
            sys.stderr.write((Path(tmp) / "server.log").read_text(errors="replace")[-5000:])
        return result.returncode


if __name__ == "__main__":
    raise SystemExit(main())
