"""The Python client's connection: retries across a server restart, deadlines, TLS/mTLS,
and how the bearer token travels (call credentials; the opt-in plaintext interceptor)."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

import opengovfood_client.auth
from opengovfood_client import (
    ChannelSettings,
    Client,
    DeadlineExceededError,
    TLSConfig,
    UnauthenticatedError,
    UnavailableError,
)
from opengovfood_client.aio import AsyncClient
from opengovfood_client.config import RETRYABLE_METHODS, service_config
from support import databases
from support.certs import CertAuthority
from support.server import RunningServer, UserFactory, make_settings, start_server, stop_server


def test_service_config_retries_only_idempotent_methods() -> None:
    config = service_config()
    (method_config,) = config["methodConfig"]
    names = {(n["service"], n["method"]) for n in method_config["name"]}
    assert names == set(RETRYABLE_METHODS)
    assert ("opengovfood.v1.ItemService", "CreateItem") in names  # safe: request_id
    for unsafe in ("RefreshToken", "Login", "Register", "UpdateItem", "DeleteItem", "Logout"):
        assert not any(method == unsafe for _, method in names), unsafe
    assert method_config["retryPolicy"]["retryableStatusCodes"] == ["UNAVAILABLE"]
    # What goes on the channel is valid JSON gRPC accepts (the channel would fail otherwise).
    options = dict(ChannelSettings().options(None))
    assert json.loads(options["grpc.service_config"]) == config


async def test_calls_ride_out_a_server_restart_on_the_same_port(
    test_database: databases.TestDatabase, tmp_path: Path
) -> None:
    settings = make_settings(test_database.url, tmp_path)
    running = await start_server(settings)
    same_port = settings.model_copy(update={"address": running.address})
    client = AsyncClient(running.address)
    no_retries = AsyncClient(running.address, settings=ChannelSettings(retry=None))
    restarted: list[RunningServer] = []
    try:
        assert await client.health.check() == "SERVING"
        assert await no_retries.health.check() == "SERVING"
        await stop_server(running, grace=0.1)

        # Down: without retries the call fails at once.
        with pytest.raises(UnavailableError):
            await no_retries.health.check()

        async def restart_soon() -> None:
            await asyncio.sleep(0.5)
            restarted.append(await start_server(same_port))

        restart = asyncio.create_task(restart_soon())
        started = time.monotonic()
        # Down now, up in 0.5 s: the service config's retryPolicy carries the call over.
        assert await client.health.check() == "SERVING"
        assert time.monotonic() - started >= 0.4
        await restart
        # ...and the sync client, in a sequence of calls around another restart.
        sync_client = Client(restarted[0].address)
        assert await asyncio.to_thread(sync_client.health.check) == "SERVING"
        await stop_server(restarted.pop(), grace=0.1)
        restart = asyncio.create_task(restart_soon())
        assert await asyncio.to_thread(sync_client.health.check) == "SERVING"
        await restart
        sync_client.close()
    finally:
        await client.close()
        await no_retries.close()
        for server in restarted:
            await stop_server(server)


async def test_default_and_per_call_deadlines(server: RunningServer) -> None:
    # A blackhole: a listening socket that never speaks HTTP/2.
    hang = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = hang.sockets[0].getsockname()[1]
    try:
        client = AsyncClient(f"127.0.0.1:{port}", timeouts={"Check": 0.3})
        started = time.monotonic()
        with pytest.raises((DeadlineExceededError, UnavailableError)):
            await client.health.check()
        assert time.monotonic() - started < 3
        started = time.monotonic()
        with pytest.raises((DeadlineExceededError, UnavailableError)):
            await client.health.check(timeout=0.2)
        assert time.monotonic() - started < 3
        await client.close()
    finally:
        hang.close()


async def test_token_travels_as_call_credentials(server: RunningServer) -> None:
    anonymous = AsyncClient(server.address)
    with pytest.raises(UnauthenticatedError, match="missing"):
        await anonymous.users.me()
    # A wrong token is sent (and rejected as such): the plugin attached it.
    with_token = AsyncClient(server.address, token="not-a-jwt")
    with pytest.raises(UnauthenticatedError) as caught:
        await with_token.users.me()
    assert "missing" not in caught.value.message
    await anonymous.close()
    await with_token.close()


def test_plaintext_to_a_remote_host_needs_an_explicit_opt_in() -> None:
    with pytest.raises(ValueError, match="not a loopback address"):
        Client("198.51.100.7:50051")
    Client("198.51.100.7:50051", insecure=True).close()  # builds; connects lazily
    Client("198.51.100.7:50051", tls=TLSConfig()).close()


async def test_insecure_opt_in_sends_the_token_through_an_interceptor(
    server: RunningServer, make_user: UserFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = await make_user()
    # Pretend the loopback server is remote, so the interceptor path is taken.
    monkeypatch.setattr(opengovfood_client.auth, "is_local_address", lambda address: False)
    client = AsyncClient(server.address, token=user.token, insecure=True)
    assert (await client.users.me()).id == user.id
    await client.close()
    sync_client = Client(server.address, token=user.token, insecure=True)
    assert (await asyncio.to_thread(sync_client.users.me)).id == user.id
    sync_client.close()


# --- TLS (the server's own TLS: OPENGOVFOOD_TLS_CERT / _KEY / _CLIENT_CA) ----------------


@dataclass
class Pki:
    directory: Path
    ca: CertAuthority
    ca_file: Path
    server_cert: Path
    server_key: Path


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    ca = CertAuthority()
    cert, key = ca.issue_server().write(tmp_path, "server")
    return Pki(tmp_path, ca, ca.write(tmp_path), cert, key)


async def test_tls_with_a_private_ca(
    pki: Pki, test_database: databases.TestDatabase, make_user: UserFactory
) -> None:
    settings = make_settings(
        test_database.url, pki.directory, tls_cert=pki.server_cert, tls_key=pki.server_key
    )
    running = await start_server(settings)
    user = await make_user()
    try:
        # The certificate names "localhost"; we dial 127.0.0.1 and say which name to expect.
        tls = TLSConfig.from_files(pki.ca_file, server_name="localhost")
        async with AsyncClient(running.address, tls=tls, token=user.token) as client:
            assert await client.health.check() == "SERVING"
            # The bearer rides on TLS (composite channel + call credentials).
            assert (await client.users.me()).id == user.id

        untrusted = TLSConfig(
            root_certificates=CertAuthority("other").cert_pem, server_name="localhost"
        )
        async with AsyncClient(running.address, tls=untrusted) as client:
            # A failed handshake is UNAVAILABLE, retried until the deadline.
            with pytest.raises((UnavailableError, DeadlineExceededError)):
                await client.health.check(timeout=2)
    finally:
        await stop_server(running)


async def test_mutual_tls(pki: Pki, test_database: databases.TestDatabase) -> None:
    settings = make_settings(
        test_database.url,
        pki.directory,
        tls_cert=pki.server_cert,
        tls_key=pki.server_key,
        tls_client_ca=pki.ca_file,
    )
    running = await start_server(settings)
    try:
        cert, key = pki.ca.issue("inspector-app").write(pki.directory, "client")
        with_cert = Client(
            running.address, tls=TLSConfig.from_files(pki.ca_file, cert, key, "localhost")
        )
        assert await asyncio.to_thread(with_cert.health.check) == "SERVING"
        with_cert.close()

        without_cert = AsyncClient(
            running.address, tls=TLSConfig.from_files(pki.ca_file, server_name="localhost")
        )
        with pytest.raises((UnavailableError, DeadlineExceededError)):
            await without_cert.health.check(timeout=2)
        await without_cert.close()
    finally:
        await stop_server(running)


def test_tls_config_needs_both_halves_of_a_client_certificate(tmp_path: Path) -> None:
    cert = tmp_path / "cert.pem"
    cert.write_text("x")
    with pytest.raises(ValueError, match="both"):
        TLSConfig.from_files(cert_file=cert)
