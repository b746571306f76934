"""The scenarios: what each one sends, set up through the public API where it can be.

A scenario builds a load-generator job (see bench.loadgen) or raises NotAvailable
when the server does not implement what it needs yet (the row then says why).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.protobuf import empty_pb2
from google.protobuf.message import Message
from grpc_health.v1 import health_pb2

from bench.database import PASSWORD
from bench.reference import METHOD as NOOP_METHOD
from opengovfood_client.v1 import (
    agent_pb2,
    agent_pb2_grpc,
    items_pb2,
    items_pb2_grpc,
    users_pb2,
    users_pb2_grpc,
)

ITEMS = "/opengovfood.v1.ItemService/"
USERS = "/opengovfood.v1.UserService/"
AGENT = "/opengovfood.v1.AgentService/"
HEALTH_CHECK = "/grpc.health.v1.Health/Check"


class NotAvailable(Exception):
    """The server cannot run this scenario (yet); the message says why."""


@dataclass
class Context:
    server: str  # host:port of our server
    quick: bool
    concurrency: int
    latency_rate: float  # open-loop rate for latency scenarios (GetMe)
    small_rows: int
    large_rows: int
    tokens: dict[str, str]  # bench user name -> access token
    user_ids: dict[str, int]
    provider_first_chunk_ms: float | None = None  # the test provider alone, p50
    channel: grpc.Channel = field(init=False)

    def __post_init__(self) -> None:
        self.channel = grpc.insecure_channel(self.server)

    def auth(self, user: str) -> list[list[str]]:
        return [["authorization", f"Bearer {self.tokens[user]}"]]

    def md(self, user: str) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.tokens[user]}"),)

    def items(self) -> items_pb2_grpc.ItemServiceStub:
        return items_pb2_grpc.ItemServiceStub(self.channel)

    def users(self) -> users_pb2_grpc.UserServiceStub:
        return users_pb2_grpc.UserServiceStub(self.channel)


def b64(message: Message | bytes) -> str:
    raw = message if isinstance(message, bytes) else message.SerializeToString()
    return base64.b64encode(raw).decode()


def probe(what: str, method: Callable[..., Any], request: Message, **kwargs: Any) -> Any:
    """Run one setup call; UNIMPLEMENTED means the scenario cannot run yet."""
    try:
        return method(request, **kwargs)
    except grpc.RpcError as exc:
        if exc.code() == grpc.StatusCode.UNIMPLEMENTED:
            raise NotAvailable(f"n/a ({what} not implemented)") from None
        raise RuntimeError(f"setup {what}: {exc.code().name}: {exc.details()}") from None


Job = dict[str, Any]


@dataclass
class Scenario:
    key: str
    title: str
    target: str  # "reference" or "server"
    build: Callable[[Context], Job]
    # Which reference row the ratios use: the saturated one, or the fixed-rate one.
    baseline: str = "ref"
    fixed_rate: bool = False
    heavy: bool = False  # skipped in --quick? no: kept, but shorter


def closed(method: str, requests: list[str], metadata: list[list[str]], c: int) -> Job:
    return {
        "workloads": [
            {"method": method, "requests": requests, "metadata": metadata, "concurrency": c}
        ]
    }


def noop(ctx: Context) -> Job:
    return closed(NOOP_METHOD, [b64(empty_pb2.Empty())], [], ctx.concurrency)


def noop_rate(ctx: Context) -> Job:
    job = closed(NOOP_METHOD, [b64(empty_pb2.Empty())], [], 1)
    job["workloads"][0]["rate"] = ctx.latency_rate
    return job


def health(ctx: Context) -> Job:
    return closed(HEALTH_CHECK, [b64(health_pb2.HealthCheckRequest())], [], ctx.concurrency)


def _item_ids(ctx: Context, user: str, count: int) -> list[int]:
    """Ids of `user`'s newest items, read through ListItems."""
    stub = ctx.items()
    reply = probe(
        "ListItems",
        stub.ListItems,
        items_pb2.ListItemsRequest(page_size=min(count, 1000)),
        metadata=ctx.md(user),
        timeout=30,
    )
    return [item.id for item in reply.items]


def get_item_of(user: str) -> Callable[[Context], Job]:
    """GetItem over `user`'s newest (up to) 1000 items."""

    def build(ctx: Context) -> Job:
        ids = _item_ids(ctx, user, 1000)
        if not ids:
            raise RuntimeError(f"setup: {user} owns no items")
        probe(
            "GetItem",
            ctx.items().GetItem,
            items_pb2.GetItemRequest(id=ids[0]),
            metadata=ctx.md(user),
            timeout=10,
        )
        requests = [b64(items_pb2.GetItemRequest(id=i)) for i in ids]
        return closed(ITEMS + "GetItem", requests, ctx.auth(user), ctx.concurrency)

    return build


get_item = get_item_of("reader")


def _page_token(ctx: Context, user: str, page: int) -> str:
    stub = ctx.items()
    token = ""
    for _ in range(page - 1):
        reply = probe(
            "ListItems",
            stub.ListItems,
            items_pb2.ListItemsRequest(page_size=50, page_token=token),
            metadata=ctx.md(user),
            timeout=30,
        )
        token = reply.next_page_token
        if not token:
            raise RuntimeError(f"setup: {user} has fewer than {page} pages")
    return str(token)


def list_page(user: str, page: int) -> Callable[[Context], Job]:
    def build(ctx: Context) -> Job:
        token = _page_token(ctx, user, page)
        request = items_pb2.ListItemsRequest(page_size=50, page_token=token)
        reply = probe(
            "ListItems", ctx.items().ListItems, request, metadata=ctx.md(user), timeout=30
        )
        if len(reply.items) != 50:
            raise RuntimeError(f"setup: page {page} of {user} has {len(reply.items)} items")
        return closed(ITEMS + "ListItems", [b64(request)], ctx.auth(user), ctx.concurrency)

    return build


def create_item(ctx: Context) -> Job:
    request = items_pb2.CreateItemRequest(
        item=items_pb2.Item(title="Walk-in cooler check", description="Seeded by the benchmark")
    )
    probe("CreateItem", ctx.items().CreateItem, request, metadata=ctx.md("writer"), timeout=10)
    return closed(ITEMS + "CreateItem", [b64(request)], ctx.auth("writer"), ctx.concurrency)


def update_item(ctx: Context) -> Job:
    stub = ctx.items()
    chains = []
    for n in range(ctx.concurrency):
        item = probe(
            "CreateItem",
            stub.CreateItem,
            items_pb2.CreateItemRequest(item=items_pb2.Item(title=f"chain {n}")),
            metadata=ctx.md("writer"),
            timeout=10,
        )
        if not item.etag:
            raise NotAvailable("n/a (items carry no etag)")
        chains.append([item.id, item.etag])
    probe(
        "UpdateItem",
        stub.UpdateItem,
        items_pb2.UpdateItemRequest(
            item=items_pb2.Item(id=chains[0][0], title="chain 0", etag=chains[0][1])
        ),
        metadata=ctx.md("writer"),
        timeout=10,
    )
    # The probe changed item 0: fetch its new etag.
    chains[0][1] = stub.GetItem(
        items_pb2.GetItemRequest(id=chains[0][0]), metadata=ctx.md("writer"), timeout=10
    ).etag
    return {
        "workloads": [
            {
                "kind": "update_chain",
                "items": chains,
                "metadata": ctx.auth("writer"),
                "concurrency": ctx.concurrency,
            }
        ]
    }


ESTABLISHMENTS = "/opengovfood.v1.EstablishmentService/"


def list_establishments(ctx: Context) -> Job:
    """ListEstablishments, a page of 50 of the reader's 60 (made through the API)."""
    from opengovfood_client.v1 import establishments_pb2, establishments_pb2_grpc

    stub = establishments_pb2_grpc.EstablishmentServiceStub(ctx.channel)
    request = establishments_pb2.ListEstablishmentsRequest(page_size=50)
    have = probe(
        "ListEstablishments",
        stub.ListEstablishments,
        request,
        metadata=ctx.md("reader"),
        timeout=10,
    )
    for n in range(len(have.establishments), 60):
        stub.CreateEstablishment(
            establishments_pb2.CreateEstablishmentRequest(
                establishment=establishments_pb2.Establishment(
                    name=f"Bench Diner {n}", facility_type="Restaurant"
                )
            ),
            metadata=ctx.md("reader"),
            timeout=10,
        )
    return closed(
        ESTABLISHMENTS + "ListEstablishments", [b64(request)], ctx.auth("reader"), ctx.concurrency
    )


def list_analyses(ctx: Context) -> Job:
    """ListAnalyses, the first page of 50 of the reader's analyses (one per item, three
    violations each; seeded by bench.database.add_analyses)."""
    stub = agent_pb2_grpc.AgentServiceStub(ctx.channel)
    request = agent_pb2.ListAnalysesRequest(page_size=50)
    reply = probe("ListAnalyses", stub.ListAnalyses, request, metadata=ctx.md("reader"), timeout=30)
    if len(reply.analyses) != 50:
        raise RuntimeError(f"setup: the reader has {len(reply.analyses)} analyses on a page")
    return closed(AGENT + "ListAnalyses", [b64(request)], ctx.auth("reader"), ctx.concurrency)


def _login_request() -> users_pb2.LoginRequest:
    return users_pb2.LoginRequest(email="login@bench.example", password=PASSWORD)


def _login_workload(ctx: Context) -> dict[str, Any]:
    probe("Login", ctx.users().Login, _login_request(), timeout=30)
    return {
        "name": "login",
        "method": USERS + "Login",
        "requests": [b64(_login_request())],
        "metadata": [],
        "concurrency": 4,
    }


def login(ctx: Context) -> Job:
    return {"workloads": [_login_workload(ctx)]}


def _getme_workload(ctx: Context) -> dict[str, Any]:
    probe(
        "GetMe", ctx.users().GetMe, users_pb2.GetMeRequest(), metadata=ctx.md("login"), timeout=10
    )
    return {
        "name": "getme",
        "method": USERS + "GetMe",
        "requests": [b64(users_pb2.GetMeRequest())],
        "metadata": ctx.auth("login"),
        "rate": ctx.latency_rate,
    }


def getme_idle(ctx: Context) -> Job:
    return {"workloads": [_getme_workload(ctx)]}


def getme_with_logins(ctx: Context) -> Job:
    return {"workloads": [_getme_workload(ctx), _login_workload(ctx)]}


def watch_with(watchers: int) -> Callable[[Context], Job]:
    """CreateItem at 20/s and the time to its event on one of `watchers` streams."""

    def build(ctx: Context) -> Job:
        stub = ctx.items()
        stream = stub.WatchItems(
            items_pb2.WatchItemsRequest(), metadata=ctx.md("watcher"), timeout=0.5
        )
        try:
            for _ in stream:
                break
        except grpc.RpcError as exc:
            if exc.code() == grpc.StatusCode.UNIMPLEMENTED:
                raise NotAvailable("n/a (WatchItems not implemented)") from None
            if exc.code() != grpc.StatusCode.DEADLINE_EXCEEDED:
                raise RuntimeError(
                    f"setup WatchItems: {exc.code().name}: {exc.details()}"
                ) from None
        workload = {
            "kind": "watch",
            "metadata": ctx.auth("watcher"),
            "rate": 20.0,
            "watchers": watchers,
        }
        # About 100 streams per connection, as HTTP/2 servers commonly allow.
        return {"workloads": [workload], "channels": max(4, watchers // 100 + 1)}

    return build


watch = watch_with(1)


CHAT_REQUEST = agent_pb2.ChatRequest(message="Is a walk-in cooler at 41F compliant?")


def chat(ctx: Context) -> Job:
    """One Chat at a time against the local test provider (bench/provider.py)."""
    if ctx.provider_first_chunk_ms is None:
        raise NotAvailable("n/a (no test provider)")
    stub = agent_pb2_grpc.AgentServiceStub(ctx.channel)
    try:
        for _ in stub.Chat(CHAT_REQUEST, metadata=ctx.md("watcher"), timeout=30):
            pass
    except grpc.RpcError as exc:
        if exc.code() == grpc.StatusCode.UNIMPLEMENTED:
            raise NotAvailable("n/a (Chat not implemented)") from None
        raise RuntimeError(f"setup Chat: {exc.code().name}: {exc.details()}") from None
    return {
        "workloads": [
            {
                "kind": "stream_first",
                "method": AGENT + "Chat",
                "requests": [b64(CHAT_REQUEST)],
                "metadata": ctx.auth("watcher"),
                "concurrency": 1,
            }
        ]
    }


def rows(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 else f"{n // 1000}k"


def scenarios(small_rows: int, large_rows: int) -> list[Scenario]:
    s, big = rows(small_rows), rows(large_rows)
    return [
        Scenario("ref", "no-op grpc.aio reference (start)", "reference", noop),
        Scenario(
            "ref_rate", "no-op reference @ fixed rate", "reference", noop_rate, fixed_rate=True
        ),
        Scenario("health", "Health.Check (full interceptor chain)", "server", health),
        Scenario("get_item", "GetItem (authenticated)", "server", get_item),
        Scenario(
            "list_first_small",
            f"ListItems page of 50, first page @{s}",
            "server",
            list_page("reader", 1),
        ),
        Scenario("list_first_large", f"ListItems first page @{big}", "server", list_page("big", 1)),
        Scenario(
            "list_first_department",
            "ListItems first page, department supervisor",
            "server",
            list_page("boss", 1),
        ),
        Scenario(
            "list_100th_large", f"ListItems 100th page @{big}", "server", list_page("big", 100)
        ),
        Scenario(
            "list_establishments",
            "ListEstablishments page of 50",
            "server",
            list_establishments,
        ),
        Scenario("list_analyses", "ListAnalyses page of 50", "server", list_analyses),
        Scenario("create_item", "CreateItem", "server", create_item),
        Scenario("update_item", "UpdateItem with etag", "server", update_item),
        Scenario("ref_mid", "no-op grpc.aio reference (middle)", "reference", noop),
        Scenario("login", "Login (bcrypt cost 12), 4 concurrent", "server", login),
        Scenario(
            "getme_idle", "GetMe alone", "server", getme_idle, baseline="ref_rate", fixed_rate=True
        ),
        Scenario(
            "getme_logins",
            "GetMe while 4 Logins run",
            "server",
            getme_with_logins,
            baseline="ref_rate",
            fixed_rate=True,
        ),
        Scenario(
            "watch",
            "WatchItems write->event",
            "server",
            watch,
            baseline="ref_rate",
            fixed_rate=True,
        ),
        Scenario("chat", "Chat first chunk (test provider)", "server", chat, fixed_rate=True),
        Scenario("ref_end", "no-op grpc.aio reference (end)", "reference", noop),
    ]
