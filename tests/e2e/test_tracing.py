"""OpenTelemetry tracing, end to end: spans arrive at a real OTLP/gRPC receiver."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.proto.trace.v1 import trace_pb2

from opengovfood.config import Settings
from opengovfood.logs import JsonFormatter
from opengovfood_client.v1 import users_pb2, users_pb2_grpc
from support.server import UserFactory, make_settings, start_server, stop_server


class Receiver(trace_service_pb2_grpc.TraceServiceServicer):
    """The trace half of an OpenTelemetry collector: keeps what it is sent."""

    def __init__(self) -> None:
        self.spans: list[trace_pb2.Span] = []
        self.resources: list[dict[str, str]] = []

    async def Export(
        self, request: trace_service_pb2.ExportTraceServiceRequest, context: Any
    ) -> trace_service_pb2.ExportTraceServiceResponse:
        for resource_spans in request.resource_spans:
            self.resources.append(
                {a.key: a.value.string_value for a in resource_spans.resource.attributes}
            )
            for scope_spans in resource_spans.scope_spans:
                self.spans.extend(scope_spans.spans)
        return trace_service_pb2.ExportTraceServiceResponse()


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, int]]:
    servicer = Receiver()
    server = grpc.aio.server()
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    yield servicer, port
    await server.stop(0)


def attributes(span: trace_pb2.Span) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for attribute in span.attributes:
        kind = attribute.value.WhichOneof("value")
        out[attribute.key] = getattr(attribute.value, kind) if kind else None
    return out


async def test_rpc_and_sql_spans_join_the_callers_trace(
    settings: Settings, tmp_path: Path, receiver: tuple[Receiver, int]
) -> None:
    collector, port = receiver
    running = await start_server(
        make_settings(
            settings.database_url,
            tmp_path,
            otel_endpoint=f"http://127.0.0.1:{port}",
            otel_service_name="opengovfood-test",
        )
    )
    lines = io.StringIO()
    handler = logging.StreamHandler(lines)
    handler.setFormatter(JsonFormatter())
    access = logging.getLogger("opengovfood.access")
    access.addHandler(handler)
    level = access.level
    access.setLevel(logging.INFO)
    trace_id, parent_id = os.urandom(16).hex(), os.urandom(8).hex()
    try:
        user = await UserFactory(running.app)()
        metadata = (*user.metadata, ("traceparent", f"00-{trace_id}-{parent_id}-01"))
        async with grpc.aio.insecure_channel(running.address) as channel:
            # Authenticating the user reads the database: a SQL span inside the RPC's.
            call = users_pb2_grpc.UserServiceStub(channel).GetMe(
                users_pb2.GetMeRequest(), metadata=metadata, timeout=5
            )
            code = await call.code()
        # UNIMPLEMENTED where the users service is not built yet; past auth either way.
        assert code in (grpc.StatusCode.OK, grpc.StatusCode.UNIMPLEMENTED)
    finally:
        access.removeHandler(handler)
        access.setLevel(level)
        await stop_server(running)  # flushes the span queue to the receiver

    ours = [s for s in collector.spans if s.trace_id.hex() == trace_id]
    rpc = [s for s in ours if s.kind == trace_pb2.Span.SPAN_KIND_SERVER]
    assert len(rpc) == 1, [s.name for s in ours]
    server_span = rpc[0]
    assert server_span.name == "opengovfood.v1.UserService/GetMe"
    assert server_span.parent_span_id.hex() == parent_id
    assert attributes(server_span)["rpc.system"] == "grpc"
    assert "rpc.grpc.status_code" in attributes(server_span)
    sql = [s for s in ours if s.kind == trace_pb2.Span.SPAN_KIND_CLIENT]
    assert sql, "no SQL span in the RPC's trace"
    assert all(s.parent_span_id == server_span.span_id for s in sql)
    assert attributes(sql[0])["db.system"] in ("sqlite", "postgresql")
    assert attributes(sql[0])["db.operation"] == "SELECT"
    assert {"service.name": "opengovfood-test"}.items() <= collector.resources[0].items()

    logged = [json.loads(line) for line in lines.getvalue().splitlines()]
    get_me = [e for e in logged if e.get("rpc_method") == "/opengovfood.v1.UserService/GetMe"]
    assert get_me
    assert get_me[0]["trace_id"] == trace_id
    assert get_me[0]["request_id"] != "-"


def _python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("OPENGOVFOOD_")}
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_tracing_off_never_imports_opentelemetry(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from opengovfood.app import build_server\n"
        "from opengovfood.config import Settings\n"
        "build_server(Settings())\n"
        "print(sorted(m for m in sys.modules if m.startswith('opentelemetry')))\n"
    )
    done = _python(code, {"OPENGOVFOOD_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_tracing_without_the_extra_fails_with_one_line(tmp_path: Path) -> None:
    # sys.modules[name] = None makes `import name...` fail as if it were not installed.
    code = (
        "import sys\n"
        "sys.modules['opentelemetry'] = None\n"
        "from opengovfood.cli import main\n"
        "raise SystemExit(main(['serve']))\n"
    )
    done = _python(
        code,
        {
            "OPENGOVFOOD_ADDRESS": "127.0.0.1:0",
            "OPENGOVFOOD_OTEL_ENDPOINT": "http://127.0.0.1:4317",
            "OPENGOVFOOD_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db",
            "OPENGOVFOOD_SECRET_KEY_FILE": str(tmp_path / "secret"),
        },
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "configuration error: OPENGOVFOOD_OTEL_ENDPOINT needs the otel extra: "
        "pip install 'opengov-food[otel]'"
    ]
