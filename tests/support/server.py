"""A real server for tests: settings, start/stop, users made straight in the database."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import grpc

from opengovfood.app import App, build_server
from opengovfood.config import Settings
from opengovfood.domain.departments import DEFAULT_DEPARTMENT_ID
from opengovfood.domain.principal import Role
from opengovfood.domain.users import NewUser
from opengovfood.repositories.departments import DepartmentRepository
from opengovfood.repositories.users import UserRepository
from opengovfood.serve import bind, start, stop

SECRET = "test-secret-key-that-is-long-enough-0123456789"


def make_settings(database_url: str, tmp: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "address": "127.0.0.1:0",
        "secret_key": SECRET,
        "secret_key_file": tmp / "secret",
        "bcrypt_rounds": 4,
        "health_check_interval": 0.5,
        "grace_period": 2.0,
        "log_format": "console",
        "login_rate_per_minute": 10_000,
        "login_burst": 10_000,
        "login_email_rate_per_minute": 10_000,
        "login_email_burst": 10_000,
        "refresh_rate_per_minute": 10_000,
        "refresh_burst": 10_000,
        # Tests load the local model only where they use it: loading swaps the
        # process's stdout/stderr for a moment (llama.cpp's logging), which would
        # race with output-capturing tests.
        "llm_warm_up": False,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@dataclass
class RunningServer:
    app: App
    address: str


async def start_server(
    settings: Settings, extra_handlers: Sequence[grpc.GenericRpcHandler] = ()
) -> RunningServer:
    app = build_server(settings)
    if extra_handlers:
        app.server.add_generic_rpc_handlers(tuple(extra_handlers))
    port = bind(app)  # TLS when the settings name certificates
    await start(app)
    return RunningServer(app=app, address=f"127.0.0.1:{port}")


async def stop_server(running: RunningServer, grace: float = 1.0) -> None:
    """The same stop as `serve`'s: drain, stop, release everything."""
    await stop(running.app, grace)


@dataclass
class TestUser:
    __test__ = False  # a helper, not a test class
    id: int
    email: str
    password: str
    token: str
    is_superuser: bool
    refresh_token: str = ""  # of the sign-in `token` belongs to
    department_id: int = DEFAULT_DEPARTMENT_ID
    role: Role = Role.INSPECTOR

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.token}"),)


class UserFactory:
    """Makes users straight in the database and signs access tokens for them."""

    def __init__(self, app: App) -> None:
        self._app = app

    async def __call__(
        self,
        *,
        superuser: bool = False,
        active: bool = True,
        password: str = "correct horse 1",
        department_id: int = DEFAULT_DEPARTMENT_ID,
        role: Role = Role.INSPECTOR,
    ) -> TestUser:
        container = self._app.container
        email = f"user-{uuid.uuid4().hex[:12]}@example.org"
        hashed = await container.passwords.hash(password)
        user = await UserRepository(container.engine).add(
            NewUser(
                email,
                hashed,
                "Test User",
                is_active=active,
                is_superuser=superuser,
                department_id=department_id,
                role=role,
            )
        )
        user_id = user.id
        if not active:  # no sign-in can start; a token naming a made-up one stands in
            token, _ = container.tokens.issue_access_token(str(user_id), session_id="none")
            return TestUser(user_id, email, password, token, superuser, "", department_id, role)
        pair = await container.users.start_session(user_id)
        return TestUser(
            user_id,
            email,
            password,
            pair.access_token,
            superuser,
            pair.refresh_token,
            department_id,
            role,
        )

    async def department(self, name: str | None = None) -> int:
        """A new department's id."""
        record = await DepartmentRepository(self._app.container.engine).add(
            name or f"Department {uuid.uuid4().hex[:8]}"
        )
        return record.id

    def service_token(self, name: str, scopes: frozenset[str]) -> tuple[tuple[str, str], ...]:
        token, _ = self._app.container.tokens.issue_access_token(f"service:{name}", scopes)
        return (("authorization", f"Bearer {token}"),)
