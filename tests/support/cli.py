"""Running `opengov-food` client commands in-process against a test server."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
from pathlib import Path

from opengovfood.cli import main, render
from opengovfood_client.aio import AsyncClient
from support.clients import PASSWORD, unique_email
from support.server import SECRET, RunningServer

# Operator commands (db, users, token, import) in a child process, as an operator runs them.
CLI = (sys.executable, "-c", "from opengovfood.cli import main; raise SystemExit(main())")


def run_cli(
    database_url: str, cwd: Path, *args: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("OPENGOVFOOD_")}
    env |= {
        "OPENGOVFOOD_DATABASE_URL": database_url,
        "OPENGOVFOOD_SECRET_KEY": SECRET,
        "OPENGOVFOOD_BCRYPT_ROUNDS": "4",
        "OPENGOVFOOD_LOG_FORMAT": "console",
    }
    return subprocess.run(
        [*CLI, *args],
        env=env,
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


class Cli:
    """Runs `opengov-food ARGS --address ...` in a worker thread (the server shares the
    test's event loop). Output goes to the command's own streams (render.redirect), not
    through sys.stdout: other code in this process may swap that meanwhile (llama.cpp
    does while it loads a model)."""

    def __init__(self, server: RunningServer) -> None:
        self.address = server.address

    async def __call__(self, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
        """Returns the exit code, stdout and stderr."""
        argv = [*args, "--address", self.address]
        out, err = io.StringIO(), io.StringIO()

        def run() -> int:
            with render.redirect(io.StringIO(stdin or ""), out, err):
                return main(argv)

        code = await asyncio.to_thread(run)
        assert "Traceback" not in err.getvalue()
        return code, out.getvalue(), err.getvalue()

    async def login(self) -> str:
        email = unique_email("cli")
        async with AsyncClient(self.address) as client:
            await client.users.register(email, PASSWORD, "Ins Pector")
        code, _, err = await self("login", "--email", email, "--password-stdin", stdin=PASSWORD)
        assert code == 0, err
        return email
