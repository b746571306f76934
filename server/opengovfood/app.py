"""The composition root: builds every part once and wires the grpc.aio server."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, cast

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from opengovfood import metrics, tracing
from opengovfood.bootstrap import FirstSuperuser
from opengovfood.config import Settings
from opengovfood.db.engine import (
    create_engine,
    create_fast_reads,
    create_pg_direct,
    create_probe_engine,
    create_session_factory,
    create_sqlite_writes,
)
from opengovfood.db.fast_reads import SqliteFastReads
from opengovfood.db.pg_direct import PgDirect
from opengovfood.db.sqlite_writes import SqliteWrites
from opengovfood.domain.pagination import PAGE_TOKEN_KEY_LABEL, PageTokens
from opengovfood.interceptors.access_log import AccessLogInterceptor
from opengovfood.interceptors.auth import AuthInterceptor
from opengovfood.interceptors.base import chained
from opengovfood.interceptors.drain import Drain, DrainInterceptor
from opengovfood.interceptors.errors import ErrorInterceptor
from opengovfood.interceptors.input_limits import InputLimitInterceptor
from opengovfood.interceptors.metrics import MetricsInterceptor
from opengovfood.interceptors.rate_limit import PrincipalRateLimitInterceptor
from opengovfood.interceptors.request_id import RequestIdInterceptor
from opengovfood.lifecycle import BindError, Hook, run_all
from opengovfood.llm import LLMError, LocalProvider, ProviderRegistry
from opengovfood.metrics import MetricsEndpoint
from opengovfood.repositories.analyses import AnalysisRepository
from opengovfood.repositories.conversations import ConversationRepository
from opengovfood.repositories.departments import DepartmentRepository
from opengovfood.repositories.establishments import EstablishmentRepository
from opengovfood.repositories.exports import ExportRepository
from opengovfood.repositories.imports import ImportRepository
from opengovfood.repositories.item_events import OutboxNotifier, PostgresListener
from opengovfood.repositories.items import ItemRepository
from opengovfood.repositories.refresh_tokens import RefreshTokenRepository
from opengovfood.repositories.users import UserRepository
from opengovfood.rpc.agent import AgentServicer
from opengovfood.rpc.establishments import EstablishmentServicer
from opengovfood.rpc.health import (
    AGENT_SERVICE,
    ESTABLISHMENT_SERVICE,
    ITEM_SERVICE,
    USER_SERVICE,
    HealthMonitor,
    HealthServicer,
)
from opengovfood.rpc.items import ItemServicer
from opengovfood.rpc.method_table import MethodTable
from opengovfood.rpc.reflection import add_reflection
from opengovfood.rpc.users import UserServicer
from opengovfood.services.analyses import AnalysisService, RulesEngine
from opengovfood.services.authn import Authenticator
from opengovfood.services.chat import ChatService
from opengovfood.services.chat_context import RecordsContext
from opengovfood.services.chat_tools import ItemTools
from opengovfood.services.departments import DepartmentService
from opengovfood.services.establishments import EstablishmentService
from opengovfood.services.exports import ExportService, Publisher
from opengovfood.services.imports import ImportService
from opengovfood.services.items import ItemService
from opengovfood.services.models import ModelService
from opengovfood.services.passwords import PasswordHasher
from opengovfood.services.rate_limit import RateLimits, make_buckets
from opengovfood.services.reports import ReportService
from opengovfood.services.tokens import TokenService
from opengovfood.services.users import UserService
from opengovfood.services.watch import ItemEventHub
from opengovfood.tls import PeerPrincipals, ServerTls
from opengovfood_client.v1 import (
    agent_pb2_grpc,
    establishments_pb2_grpc,
    items_pb2_grpc,
    users_pb2_grpc,
)

logger = logging.getLogger("opengovfood.app")


@dataclass
class Container:
    """The long-lived parts every layer shares; built once per process."""

    settings: Settings
    engine: AsyncEngine
    # ORM sessions for tools and tests that inspect the database; the server's own code
    # goes through the repositories (Core, on engine connections).
    sessions: async_sessionmaker[AsyncSession]
    fast_reads: SqliteFastReads | None
    pg_direct: PgDirect | None
    sqlite_writes: SqliteWrites | None
    passwords: PasswordHasher
    tokens: TokenService
    authenticator: Authenticator
    item_events: ItemEventHub
    # PostgreSQL: announces committed item events (started by the server only; writes
    # made elsewhere, e.g. the CLI, are announced by a server's catch-up sweep).
    item_notifier: OutboxNotifier | None
    items: ItemService
    establishments: EstablishmentService
    limits: RateLimits
    page_tokens: PageTokens
    users: UserService
    departments: DepartmentService
    llm: ProviderRegistry

    async def aclose(self) -> None:
        """Release everything built here; the one teardown of `serve`, the CLI and the
        tests. Each part is closed even when another fails."""

        async def close_passwords() -> None:
            self.passwords.close()

        async def close_fast_reads() -> None:
            if self.fast_reads is not None:
                self.fast_reads.close()

        async def close_sqlite_writes() -> None:
            if self.sqlite_writes is not None:
                await self.sqlite_writes.close()

        async def close_pg_direct() -> None:
            if self.pg_direct is not None:
                await self.pg_direct.close()

        await run_all(
            (
                self.llm.aclose,
                close_passwords,
                self.limits.close,
                self.engine.dispose,
                close_fast_reads,
                close_pg_direct,
                close_sqlite_writes,
            ),
            "closing the container",
        )


def build_llm_registry(settings: Settings) -> ProviderRegistry:
    key = settings.openai_api_key
    return ProviderRegistry.from_options(
        default=settings.llm_provider,
        local_model_path=str(settings.local_model_path) if settings.local_model_path else None,
        ollama_url=settings.ollama_url,
        openai_base_url=settings.openai_base_url,
        openai_api_key=key.get_secret_value() if key else None,
        model=settings.llm_model,
        timeout=settings.llm_timeout,
    )


def build_container(settings: Settings) -> Container:
    engine = create_engine(settings)
    sessions = create_session_factory(engine)
    fast_reads = create_fast_reads(settings)
    pg_direct = create_pg_direct(settings)
    sqlite_writes = create_sqlite_writes(settings)
    tokens = TokenService(settings)
    item_events = ItemEventHub(settings.watch_queue_size, use_notify=not settings.is_sqlite)
    item_notifier = (
        None
        if settings.is_sqlite
        else OutboxNotifier(
            settings.database_url,
            settings.db_connect_timeout,
            catch_up_after=settings.watch_catch_up_after,
        )
    )
    passwords = PasswordHasher(rounds=settings.bcrypt_rounds)
    users = UserRepository(engine)
    authenticator = Authenticator(tokens, users, settings.principal_cache_ttl)
    limits = RateLimits(make_buckets(settings), settings)
    page_tokens = PageTokens(tokens.derive_key(PAGE_TOKEN_KEY_LABEL))
    establishments = EstablishmentRepository(engine, fast_reads, direct=pg_direct)
    return Container(
        settings=settings,
        engine=engine,
        sessions=sessions,
        fast_reads=fast_reads,
        pg_direct=pg_direct,
        sqlite_writes=sqlite_writes,
        passwords=passwords,
        tokens=tokens,
        authenticator=authenticator,
        item_events=item_events,
        item_notifier=item_notifier,
        items=ItemService(
            ItemRepository(
                engine,
                fast_reads,
                publish=item_events.dispatch,
                direct=pg_direct,
                writes=sqlite_writes,
                announce=item_notifier.announce if item_notifier is not None else None,
            ),
            item_events,
            page_tokens,
            members=users,
            establishments=establishments,
        ),
        establishments=EstablishmentService(establishments, page_tokens),
        limits=limits,
        page_tokens=page_tokens,
        users=UserService(
            settings,
            users,
            RefreshTokenRepository(engine),
            passwords,
            tokens,
            authenticator,
            limits,
            page_tokens,
        ),
        departments=DepartmentService(DepartmentRepository(engine), page_tokens),
        llm=build_llm_registry(settings),
    )


def publisher(settings: Settings) -> Publisher:
    """Who publishes the open-data export (feed_info.csv) and its score legend."""
    return Publisher(
        municipality_name=settings.lives_municipality_name,
        municipality_url=settings.lives_municipality_url,
        contact_email=settings.lives_contact_email,
        scoring_scheme=settings.scoring_scheme,
    )


def build_import_service(container: Container) -> ImportService:
    """`opengov-food import` and `db seed`: imports straight into the database."""
    return ImportService(
        ImportRepository(container.engine),
        UserRepository(container.engine),
        container.settings.scoring_scheme,
    )


@dataclass
class App:
    """A built server and what it needs at start and stop."""

    settings: Settings
    container: Container
    server: grpc.aio.Server
    health: HealthMonitor
    drain: Drain  # calls in flight; serve() refuses new ones and waits before stopping
    on_startup: list[Hook] = field(default_factory=list)
    # Run after health goes NOT_SERVING and before server.stop(grace): end streams.
    on_shutdown: list[Hook] = field(default_factory=list)
    # Run after the server stopped: release resources.
    on_cleanup: list[Hook] = field(default_factory=list)
    metrics: MetricsEndpoint | None = None  # set while the /metrics endpoint runs
    tls: ServerTls | None = None  # set by serve.bind when TLS is on


def server_options(settings: Settings, reuse_port: bool = False) -> list[tuple[str, int]]:
    options = [
        # One process owns its port: a second `serve` on the same port must fail, not share.
        ("grpc.so_reuseport", 1 if reuse_port else 0),
        ("grpc.max_receive_message_length", settings.max_message_bytes),
        ("grpc.max_send_message_length", settings.max_message_bytes),
        ("grpc.keepalive_time_ms", int(settings.keepalive_time * 1000)),
        ("grpc.keepalive_timeout_ms", int(settings.keepalive_timeout * 1000)),
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.max_pings_without_data", 0),
        # Keepalive enforcement: clients may ping idle connections at this interval or
        # slower (the Python client: 30 s); faster pingers get GOAWAY after two strikes.
        (
            "grpc.http2.min_ping_interval_without_data_ms",
            int(settings.keepalive_min_client_interval * 1000),
        ),
        ("grpc.http2.max_ping_strikes", 2),
    ]
    # HTTP/2 connections are long-lived: without an age, a client stays on the replica
    # it first reached, and replicas added later get no traffic from it.
    if settings.max_connection_age is not None:
        options.append(("grpc.max_connection_age_ms", int(settings.max_connection_age * 1000)))
    if settings.max_connection_age_grace is not None:
        options.append(
            ("grpc.max_connection_age_grace_ms", int(settings.max_connection_age_grace * 1000))
        )
    return options


def build_server(settings: Settings, reuse_port: bool = False) -> App:
    """Wire servicers, interceptors, health and reflection. Does not bind or start."""
    container = build_container(settings)
    interceptors: list[grpc.aio.ServerInterceptor[Any, Any]] = []
    if settings.metrics_address:
        interceptors.append(MetricsInterceptor())  # outermost: sees every outcome
    traces = tracing.setup(settings)  # None unless OPENGOVFOOD_OTEL_ENDPOINT is set
    if traces is not None:
        interceptors.append(traces.interceptor())
    interceptors.append(RequestIdInterceptor())
    if settings.access_log:
        interceptors.append(AccessLogInterceptor())
    auth = AuthInterceptor(
        container.authenticator.authenticate, PeerPrincipals.from_settings(settings)
    )
    drain = Drain()
    # Callers are known before their input is sized, and sized before anything reads it.
    interceptors += [ErrorInterceptor(), DrainInterceptor(drain), auth, InputLimitInterceptor()]
    if settings.rpc_rate_per_second is not None:
        interceptors.append(PrincipalRateLimitInterceptor(container.limits))
    server = grpc.aio.server(
        interceptors=chained(interceptors),
        options=server_options(settings, reuse_port),
        maximum_concurrent_rpcs=settings.max_concurrent_rpcs,
    )

    # The servicers go into one generic handler, not grpc core's registered methods
    # (rpc/method_table.py: grpc.aio does per-call work for each registered method).
    methods = MethodTable()
    table = cast(grpc.aio.Server, methods)  # what the generated add_* functions call
    users_pb2_grpc.add_UserServiceServicer_to_server(
        UserServicer(container.users, container.departments), table
    )
    exports = ExportRepository(container.engine)
    items_servicer = ItemServicer(
        container.items,
        ExportService(exports, publisher(settings)),
        ReportService(exports),
    )
    items_pb2_grpc.add_ItemServiceServicer_to_server(items_servicer, table)
    establishments_pb2_grpc.add_EstablishmentServiceServicer_to_server(
        EstablishmentServicer(container.establishments), table
    )
    # Chat tools and the chat's records block read as the caller through the same
    # services as the RPCs.
    rules = RulesEngine()
    analyses = AnalysisService(
        AnalysisRepository(container.engine, container.fast_reads, container.pg_direct),
        container.llm,
        container.page_tokens,
        rules,
        scheme=settings.scoring_scheme,
        model_timeout=settings.analysis_model_timeout,
        items=container.items,
    )
    agent = AgentServicer(
        analyses,
        ChatService(
            ConversationRepository(container.engine, container.pg_direct, container.sqlite_writes),
            container.llm,
            ItemTools(container.items, analyses),
            RecordsContext(container.items, analyses, container.establishments),
        ),
        ModelService(container.llm),
    )
    agent_pb2_grpc.add_AgentServiceServicer_to_server(agent, table)

    health_servicer = HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, table)

    async def default_provider_ready() -> bool:
        return await container.llm.get().ready()

    probe_engine = create_probe_engine(settings)
    monitor = HealthMonitor(
        health_servicer,
        probe_engine,
        settings.health_check_interval,
        agent_ready=default_provider_ready,
    )

    add_reflection(
        table,
        (
            USER_SERVICE,
            ITEM_SERVICE,
            AGENT_SERVICE,
            ESTABLISHMENT_SERVICE,
            health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
        ),
    )
    server.add_generic_rpc_handlers((methods,))

    app = App(settings=settings, container=container, server=server, health=monitor, drain=drain)
    app.on_startup.append(monitor.start)
    app.on_shutdown.append(monitor.close)
    app.on_cleanup.append(probe_engine.dispose)
    _wire_items(app)
    # The dummy hash makes the first unknown-email login cost the same as any other.
    app.on_startup.append(container.passwords.warm)
    first_superuser = FirstSuperuser(settings, container.users)
    app.on_startup.append(first_superuser.start)
    app.on_shutdown.append(first_superuser.stop)
    warm_up: list[asyncio.Task[None]] = []

    async def start_rules_warm_up() -> None:
        # Trains the comment classifier (under a second of CPU, on a thread) while the
        # server already answers; the first analysis waits for it if it comes sooner.
        warm_up.append(asyncio.create_task(rules.warm_up(), name="rules-warm-up"))

    app.on_startup.append(start_rules_warm_up)

    async def start_warm_up() -> None:
        # The first request would otherwise pay the model load; and llama.cpp
        # silences native logging by redirecting stdout/stderr while it loads,
        # which is best done before traffic.
        default = container.llm.get()
        if isinstance(default, LocalProvider) and await default.ready():
            warm_up.append(asyncio.create_task(_warm_up(default), name="llm-warm-up"))

    if settings.llm_warm_up:
        app.on_startup.append(start_warm_up)

    async def close_container() -> None:
        for task in warm_up:
            task.cancel()
        await container.aclose()

    app.on_cleanup.append(close_container)
    if settings.metrics_address:
        _install_metrics(app, settings.metrics_address, reuse_port)
    if traces is not None:
        _install_tracing(app, traces)
    return app


async def _warm_up(provider: LocalProvider) -> None:
    try:
        await provider.warm_up()
        logger.info("local LLM model loaded")
    except LLMError as exc:
        logger.warning("local LLM model could not be loaded: %s (%s)", exc, exc.detail)


def _install_tracing(app: App, traces: tracing.Tracing) -> None:
    untrack = traces.instrument(app.container.engine)

    async def stop() -> None:
        untrack()
        await asyncio.to_thread(traces.shutdown)  # flushes queued spans: blocking I/O

    app.on_cleanup.append(stop)


def _install_metrics(app: App, address: str, reuse_port: bool) -> None:
    async def start() -> None:
        if reuse_port and not metrics.MULTIPROCESS:
            logger.warning(
                "several workers without %s: each scrape sees one worker only",
                metrics.MULTIPROC_ENV,
            )
        try:
            app.metrics = metrics.start_endpoint(address, reuse_port=reuse_port)
        except metrics.EndpointBindError as error:
            raise BindError(str(error)) from error
        untrack = metrics.track_pool(app.container.engine)

        async def stop() -> None:
            untrack()
            if app.metrics is not None:
                app.metrics.stop()
                app.metrics = None

        app.on_cleanup.insert(0, stop)
        logger.info("metrics endpoint", extra={"address": address, "port": app.metrics.port})

    app.on_startup.append(start)


def _wire_items(app: App) -> None:
    """Item upkeep and live updates: the idempotency-record purge, the PostgreSQL
    LISTEN connection and event notifier, and ending watch streams before
    server.stop(grace). The notifier stops after the server has (cleanup): the writes
    still in flight during the grace period queue events, and it flushes them."""
    container = app.container
    app.on_startup.append(container.items.start)
    if container.item_events.use_notify:
        listener = PostgresListener(
            app.settings.database_url, container.item_events, app.settings.db_connect_timeout
        )
        app.on_startup.append(listener.start)
        app.on_cleanup.append(listener.stop)
    notifier = container.item_notifier
    if notifier is not None:
        app.on_startup.append(notifier.start)
        app.on_cleanup.insert(0, notifier.stop)
    app.on_shutdown.append(container.item_events.close)
    app.on_shutdown.append(container.items.stop)
    app.on_startup.append(container.establishments.start)
    app.on_shutdown.append(container.establishments.stop)
