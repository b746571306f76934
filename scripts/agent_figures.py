"""Agent figures: the local model's speed and memory, and Chat's streaming overhead.

    .venv/bin/python scripts/agent_figures.py [--runs N] [--skip-local]

1. Local model (SmolLM2-135M through llama.cpp, in this process): load time,
   first-token latency, tokens/s while streaming, RSS after loading and peak RSS.
2. Streaming overhead: a fake Ollama (in this process) streams chunks to a real
   server (`opengov-food serve` in a subprocess, SQLite), a gRPC client (here)
   reads Chat. The overhead is the time from the fake writing a chunk to the
   client receiving the matching ChatResponse (CLOCK_MONOTONIC is shared by the
   processes). Goal: first chunk <= 5 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import grpc

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fakes import Exchange, unused_port  # noqa: E402
from fakes.ollama_server import FakeOllama  # noqa: E402

SECRET = "figures-secret-key-that-is-long-enough-0123456789"


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _ms(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
    return (
        f"median {statistics.median(values) * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms, "
        f"max {values[-1] * 1000:.2f} ms (n={len(values)})"
    )


async def local_figures(runs: int) -> None:
    from opengovfood.llm import ChatMessage, LocalProvider, StreamEnd, TextDelta

    provider = LocalProvider()
    rss_before = _status_kb("VmRSS")
    started = time.monotonic()
    await provider.warm_up()
    load = time.monotonic() - started
    rss_loaded = _status_kb("VmRSS")
    prompt = [ChatMessage(role="user", content="Describe a safe restaurant kitchen in detail.")]
    firsts: list[float] = []
    rates: list[float] = []
    for _ in range(runs):
        started = time.monotonic()
        first: float | None = None
        tokens = 0
        async for event in provider.stream_chat(prompt, max_tokens=128):
            if isinstance(event, TextDelta):
                if first is None:
                    first = time.monotonic()
            elif isinstance(event, StreamEnd) and event.usage:
                tokens = event.usage.completion_tokens
        end = time.monotonic()
        assert first is not None
        firsts.append(first - started)
        if tokens > 1:
            rates.append((tokens - 1) / (end - first))
    await provider.aclose()
    print("local model (SmolLM2-135M Q4_1, llama.cpp, this machine):")
    print(
        f"  load {load:.2f} s; RSS {rss_before / 1024:.0f} MB before, "
        f"{rss_loaded / 1024:.0f} MB loaded, peak {_status_kb('VmHWM') / 1024:.0f} MB"
    )
    print(f"  first token: {_ms(firsts)}")
    print(
        f"  tokens/s while streaming: median {statistics.median(rates):.1f} "
        f"(min {min(rates):.1f}, max {max(rates):.1f})"
    )


class TimedOllama(FakeOllama):
    """Records when each chat text chunk is written."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[float] = []

    async def _line(self, ex: Exchange, obj: dict[str, Any]) -> bool:
        message = obj.get("message")
        if isinstance(message, dict) and message.get("content") and not obj.get("done"):
            self.sent.append(time.monotonic())
        return await super()._line(ex, obj)


async def _make_user_token(database_url: str) -> str:
    from opengovfood.config import Settings
    from opengovfood.db.engine import create_engine, create_session_factory
    from opengovfood.db.models import User, utcnow
    from opengovfood.repositories.refresh_tokens import RefreshTokenRepository
    from opengovfood.services.tokens import TokenService, new_refresh_token

    settings = Settings(database_url=database_url, secret_key=SECRET)  # type: ignore[arg-type]
    engine = create_engine(settings)
    sign_in = str(uuid.uuid4())  # user tokens name a sign-in (a refresh-token family)
    async with create_session_factory(engine)() as session, session.begin():
        user = User(email="figures@example.org", hashed_password="x", full_name="Figures")
        session.add(user)
        await session.flush()
        user_id = user.id
    now = utcnow()
    await RefreshTokenRepository(engine).issue(
        user_id, sign_in, new_refresh_token()[1], now, now + datetime.timedelta(days=1)
    )
    await engine.dispose()
    token, _ = TokenService(settings).issue_access_token(str(user_id), session_id=sign_in)
    return token


async def overhead_figures(runs: int) -> None:
    from opengovfood.db import migrate
    from opengovfood_client.v1 import agent_pb2, agent_pb2_grpc

    with tempfile.TemporaryDirectory() as tmp:
        database_url = f"sqlite+aiosqlite:///{tmp}/figures.db"
        await asyncio.to_thread(migrate.upgrade, database_url)
        token = await _make_user_token(database_url)
        async with TimedOllama() as fake:
            fake.chunks = [f"word{i} " for i in range(8)]
            fake.chunk_delay = 0.02
            port = unused_port()
            env = {
                **os.environ,
                "OPENGOVFOOD_DATABASE_URL": database_url,
                "OPENGOVFOOD_ADDRESS": f"127.0.0.1:{port}",
                "OPENGOVFOOD_SECRET_KEY": SECRET,
                "OPENGOVFOOD_LLM_PROVIDER": "ollama",
                "OPENGOVFOOD_OLLAMA_URL": fake.url,
                "OPENGOVFOOD_ACCESS_LOG": "false",
                "OPENGOVFOOD_LOG_LEVEL": "WARNING",
            }
            server = await asyncio.create_subprocess_exec(
                str(ROOT / ".venv/bin/opengov-food"), "serve", env=env, cwd=tmp
            )
            try:
                await _measure(port, token, fake, runs, agent_pb2, agent_pb2_grpc)
            finally:
                server.terminate()
                await asyncio.wait_for(server.wait(), 15)


async def _measure(
    port: int, token: str, fake: TimedOllama, runs: int, agent_pb2: Any, agent_pb2_grpc: Any
) -> None:
    metadata = (("authorization", f"Bearer {token}"),)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        await asyncio.wait_for(channel.channel_ready(), 20)
        stub = agent_pb2_grpc.AgentServiceStub(channel)
        firsts: list[float] = []
        others: list[float] = []
        for run in range(runs + 3):
            fake.sent = []
            received: list[float] = []
            async for response in stub.Chat(
                agent_pb2.ChatRequest(message="Hello"), metadata=metadata, timeout=10
            ):
                if response.text:
                    received.append(time.monotonic())
            if run < 3:
                continue  # warm-up: connections, caches
            delays = [r - s for s, r in zip(fake.sent, received, strict=True)]
            firsts.append(delays[0])
            others.extend(delays[1:])
    print("Chat streaming overhead (fake Ollama -> server subprocess -> gRPC client, loopback):")
    print(f"  first chunk: {_ms(firsts)}")
    print(f"  later chunks: {_ms(others)}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--skip-local", action="store_true")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    await overhead_figures(args.runs)
    if not args.skip_local:
        await local_figures(max(3, args.runs // 10))


if __name__ == "__main__":
    asyncio.run(main())
