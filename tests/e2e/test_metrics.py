"""Prometheus metrics scraped over HTTP from a real server after real RPCs."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
import urllib.request
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client.parser import text_string_to_metric_families

from opengovfood import metrics
from opengovfood.config import Settings
from opengovfood.rpc import policy
from opengovfood_client.v1 import items_pb2, items_pb2_grpc
from support.server import RunningServer, make_settings, start_server, stop_server

SERVICE = "opengovfood.test.Metered"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(port: int) -> tuple[str, Samples]:
    def get() -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as reply:
            body: bytes = reply.read()
            return body.decode()

    text = await asyncio.to_thread(get)
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return text, samples


async def scrape_until(port: int, ready: Callable[[Samples], bool]) -> Samples:
    """Scrape until `ready` (the server side of a cancelled RPC ends a moment later)."""
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        _, samples = await scrape(port)
        if ready(samples) or asyncio.get_running_loop().time() > deadline:
            return samples
        await asyncio.sleep(0.05)


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def delta(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


# --- a test service with every kind of RPC --------------------------------------
async def echo(request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]) -> bytes:
    return request


async def missing(request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]) -> bytes:
    await context.abort(grpc.StatusCode.NOT_FOUND, "no such thing")
    raise AssertionError("unreachable")


async def slow(request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]) -> bytes:
    await asyncio.sleep(10)
    return request


async def three(
    request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]
) -> AsyncIterator[bytes]:
    for _ in range(3):
        yield request


async def written(request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]) -> None:
    """A streaming handler that answers with context.write, as grpc's Health.Watch does."""
    await context.write(request)
    await context.write(request)


async def gather(
    requests: AsyncIterator[bytes], context: grpc.aio.ServicerContext[bytes, bytes]
) -> bytes:
    return b"".join([r async for r in requests])


async def ping_pong(
    requests: AsyncIterator[bytes], context: grpc.aio.ServicerContext[bytes, bytes]
) -> AsyncIterator[bytes]:
    async for request in requests:
        yield request


HANDLERS = {
    "Echo": grpc.unary_unary_rpc_method_handler(echo),
    "Missing": grpc.unary_unary_rpc_method_handler(missing),
    "Slow": grpc.unary_unary_rpc_method_handler(slow),
    "Three": grpc.unary_stream_rpc_method_handler(three),
    "Written": grpc.unary_stream_rpc_method_handler(written),
    "Gather": grpc.stream_unary_rpc_method_handler(gather),
    "PingPong": grpc.stream_stream_rpc_method_handler(ping_pong),
}


@pytest.fixture(scope="module")
async def metered(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[RunningServer]:
    with pytest.MonkeyPatch.context() as patch:
        for name in HANDLERS:
            patch.setitem(policy.RULES, f"/{SERVICE}/{name}", policy.PUBLIC)
        running = await start_server(
            make_settings(
                settings.database_url,
                tmp_path_factory.mktemp("metrics"),
                metrics_address="127.0.0.1:0",
            ),
            [grpc.method_handlers_generic_handler(SERVICE, HANDLERS)],
        )
        yield running
        await stop_server(running)


@pytest.fixture(scope="module")
def metrics_port(metered: RunningServer) -> int:
    assert metered.app.metrics is not None
    return metered.app.metrics.port


def labels(kind: str, method: str, service: str = SERVICE) -> dict[str, str]:
    return {"grpc_type": kind, "grpc_service": service, "grpc_method": method}


async def test_unary_outcomes_are_counted_with_their_codes(
    metered: RunningServer, metrics_port: int
) -> None:
    _, before = await scrape(metrics_port)
    async with grpc.aio.insecure_channel(metered.address) as channel:
        for _ in range(3):
            assert await channel.unary_unary(f"/{SERVICE}/Echo")(b"hi", timeout=5) == b"hi"
        with pytest.raises(grpc.aio.AioRpcError):
            await channel.unary_unary(f"/{SERVICE}/Missing")(b"", timeout=5)
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await channel.unary_unary(f"/{SERVICE}/Slow")(b"", timeout=0.2)
        assert info.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        call = channel.unary_unary(f"/{SERVICE}/Slow")(b"", timeout=5)
        await asyncio.sleep(0.2)
        call.cancel()
        # An unauthenticated call to a real method: refused by the auth interceptor.
        with pytest.raises(grpc.aio.AioRpcError):
            await items_pb2_grpc.ItemServiceStub(channel).ListItems(
                items_pb2.ListItemsRequest(), timeout=5
            )
    slow = labels("unary", "Slow")
    handled = "grpc_server_handled_total"
    after = await scrape_until(
        metrics_port,
        lambda now: (
            delta(before, now, handled, **slow, grpc_code="CANCELLED")
            + delta(before, now, handled, **slow, grpc_code="DEADLINE_EXCEEDED")
            == 2
        ),
    )

    echo = labels("unary", "Echo")
    assert delta(before, after, "grpc_server_started_total", **echo) == 3
    assert delta(before, after, "grpc_server_handled_total", **echo, grpc_code="OK") == 3
    assert delta(before, after, "grpc_server_msg_received_total", **echo) == 3
    assert delta(before, after, "grpc_server_msg_sent_total", **echo) == 3
    assert delta(before, after, "grpc_server_handling_seconds_count", **echo) == 3
    assert delta(before, after, "grpc_server_handling_seconds_bucket", **echo, le="+Inf") == 3

    missing = labels("unary", "Missing")
    assert delta(before, after, "grpc_server_handled_total", **missing, grpc_code="NOT_FOUND") == 1
    assert delta(before, after, "grpc_server_msg_sent_total", **missing) == 0

    assert delta(before, after, "grpc_server_started_total", **slow) == 2
    # The expired call counts as DEADLINE_EXCEEDED, or as CANCELLED when a loaded machine
    # delivers the deadline's cancellation before the server sees the time run out.
    assert delta(before, after, "grpc_server_handled_total", **slow, grpc_code="CANCELLED") >= 1

    items = labels("unary", "ListItems", "opengovfood.v1.ItemService")
    assert (
        delta(before, after, "grpc_server_handled_total", **items, grpc_code="UNAUTHENTICATED") == 1
    )


async def test_streams_count_messages_and_types(metered: RunningServer, metrics_port: int) -> None:
    _, before = await scrape(metrics_port)

    async def requests() -> AsyncIterator[bytes]:
        for part in (b"a", b"b", b"c", b"d"):
            yield part

    async with grpc.aio.insecure_channel(metered.address) as channel:
        assert [m async for m in channel.unary_stream(f"/{SERVICE}/Three")(b"x")] == [b"x"] * 3
        assert [m async for m in channel.unary_stream(f"/{SERVICE}/Written")(b"y")] == [b"y"] * 2
        assert await channel.stream_unary(f"/{SERVICE}/Gather")(requests()) == b"abcd"
        replies = [m async for m in channel.stream_stream(f"/{SERVICE}/PingPong")(requests())]
        assert len(replies) == 4
        watch = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest())
        await watch.read()
        watch.cancel()
    watch_labels = labels("server_stream", "Watch", "grpc.health.v1.Health")
    handled = "grpc_server_handled_total"
    after = await scrape_until(
        metrics_port,
        lambda now: delta(before, now, handled, **watch_labels, grpc_code="CANCELLED") > 0,
    )

    three = labels("server_stream", "Three")
    assert delta(before, after, "grpc_server_msg_sent_total", **three) == 3
    assert delta(before, after, "grpc_server_msg_received_total", **three) == 1
    assert delta(before, after, "grpc_server_handled_total", **three, grpc_code="OK") == 1
    written = labels("server_stream", "Written")
    assert delta(before, after, "grpc_server_msg_sent_total", **written) == 2
    gather = labels("client_stream", "Gather")
    assert delta(before, after, "grpc_server_msg_received_total", **gather) == 4
    assert delta(before, after, "grpc_server_msg_sent_total", **gather) == 1
    bidi = labels("bidi_stream", "PingPong")
    assert delta(before, after, "grpc_server_msg_received_total", **bidi) == 4
    assert delta(before, after, "grpc_server_msg_sent_total", **bidi) == 4
    assert delta(before, after, "grpc_server_handled_total", **bidi, grpc_code="OK") == 1
    watch = labels("server_stream", "Watch", "grpc.health.v1.Health")
    assert delta(before, after, "grpc_server_msg_sent_total", **watch) == 1
    assert delta(before, after, "grpc_server_handled_total", **watch, grpc_code="CANCELLED") == 1


async def test_pool_rate_limit_and_llm_metrics_are_exported(
    metered: RunningServer, metrics_port: int
) -> None:
    _, before = await scrape(metrics_port)
    metrics.rate_limit_rejected("login")
    metrics.record_generation("local", "ok", 1.5, prompt_tokens=12, completion_tokens=30)
    text, after = await scrape(metrics_port)

    assert delta(before, after, "opengovfood_rate_limit_rejections_total", limit="login") == 1
    assert (
        delta(before, after, "opengovfood_llm_generations_total", provider="local", outcome="ok")
        == 1
    )
    assert delta(before, after, "opengovfood_llm_generation_seconds_sum", provider="local") == 1.5
    tokens = "opengovfood_llm_tokens_total"
    assert delta(before, after, tokens, provider="local", kind="prompt") == 12
    assert delta(before, after, tokens, provider="local", kind="completion") == 30
    pool = metered.app.container.engine.sync_engine.pool
    assert value(after, "opengovfood_db_pool_size") >= pool.size()  # type: ignore[attr-defined]
    assert "# TYPE opengovfood_db_pool_checked_out gauge" in text
    assert "# TYPE opengovfood_db_pool_overflow gauge" in text
    assert "_created" not in text


async def test_pool_checked_out_is_read_at_scrape_time(
    metered: RunningServer, metrics_port: int
) -> None:
    engine = metered.app.container.engine
    # The health monitor may hold one connection for a moment: allow for it.
    async with engine.connect(), engine.connect(), engine.connect():
        _, during = await scrape(metrics_port)
        assert 3 <= value(during, "opengovfood_db_pool_checked_out") <= 4
    for _ in range(50):
        _, after = await scrape(metrics_port)
        if value(after, "opengovfood_db_pool_checked_out") == 0:
            break
        await asyncio.sleep(0.05)
    else:
        pytest.fail("checked-out connections never went back to 0")


async def test_metrics_address_in_use_fails_start(
    settings: Settings, tmp_path: Path, metrics_port: int
) -> None:
    from opengovfood.lifecycle import BindError

    with pytest.raises(BindError, match="cannot bind metrics address"):
        await start_server(
            make_settings(
                settings.database_url, tmp_path, metrics_address=f"127.0.0.1:{metrics_port}"
            )
        )


MULTIPROCESS_SCRIPT = textwrap.dedent(
    """
    import json, subprocess, sys, urllib.request
    from prometheus_client.parser import text_string_to_metric_families

    WORKER = '''
    import sys, time
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import AsyncAdaptedQueuePool
    from opengovfood import metrics
    metrics.GRPC_STARTED.labels("unary", "s.S", "M").inc(int(sys.argv[1]))
    engine = create_async_engine("sqlite+aiosqlite://", poolclass=AsyncAdaptedQueuePool,
                                 pool_size=int(sys.argv[2]), max_overflow=0)
    metrics.track_pool(engine)
    '''

    from opengovfood import metrics
    assert metrics.MULTIPROCESS
    metrics.reset_multiprocess_dir()
    pids = []
    for started, pool in ((2, 3), (5, 4)):
        worker = subprocess.Popen([sys.executable, "-c", WORKER, str(started), str(pool)])
        assert worker.wait() == 0
        pids.append(worker.pid)
    endpoint = metrics.start_endpoint("127.0.0.1:0")

    def scrape():
        url = f"http://127.0.0.1:{endpoint.port}/metrics"
        text = urllib.request.urlopen(url, timeout=5).read().decode()
        out = {}
        for family in text_string_to_metric_families(text):
            for s in family.samples:
                if s.name in ("grpc_server_started_total", "opengovfood_db_pool_size"):
                    out[s.name] = out.get(s.name, 0) + s.value
        return out

    result = {"both": scrape()}
    metrics.mark_worker_dead(pids[0])
    result["one_dead"] = scrape()
    print(json.dumps(result))
    endpoint.stop()
    """
)


@pytest.mark.slow
def test_multiprocess_mode_aggregates_workers(tmp_path: Path) -> None:
    """PROMETHEUS_MULTIPROC_DIR: the endpoint sums what every worker process recorded."""
    directory = tmp_path / "prom"
    directory.mkdir()
    (directory / "counter_999.db").write_bytes(b"stale file of an earlier run")
    env = {**os.environ, metrics.MULTIPROC_ENV: str(directory)}
    done = subprocess.run(
        [sys.executable, "-c", MULTIPROCESS_SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["both"] == {"grpc_server_started_total": 7, "opengovfood_db_pool_size": 7}
    # A dead worker's counts stay (they happened); its live gauges go.
    assert result["one_dead"] == {
        "grpc_server_started_total": 7,
        "opengovfood_db_pool_size": 4,
    }


async def test_workers_can_share_the_metrics_port() -> None:
    """Workers sharing the gRPC port (SO_REUSEPORT) share the metrics port the same way."""
    first = metrics.start_endpoint("127.0.0.1:0", reuse_port=True)
    try:
        second = metrics.start_endpoint(f"127.0.0.1:{first.port}", reuse_port=True)
        second.stop()
        with pytest.raises(metrics.EndpointBindError):
            metrics.start_endpoint(f"127.0.0.1:{first.port}")  # without reuse_port: refused
    finally:
        first.stop()
