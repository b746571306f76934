"""TLS and mTLS on the gRPC port, client-certificate principals, certificate reload."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from cryptography import x509
from grpc_health.v1 import health_pb2, health_pb2_grpc

from opengovfood.cli import main as cli_main
from opengovfood.config import Settings
from opengovfood_client.v1 import items_pb2, items_pb2_grpc, users_pb2, users_pb2_grpc
from support.certs import CertAuthority, Issued
from support.server import RunningServer, make_settings, start_server, stop_server

SERVER_NAME = (("grpc.ssl_target_name_override", "localhost"),)
AUTH_REFUSALS = (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED)


@dataclass
class Pki:
    directory: Path
    ca: CertAuthority
    ca_file: Path
    server_cert: Path
    server_key: Path

    def client(self, common_name: str, sans: tuple[x509.GeneralName, ...] = ()) -> Issued:
        return self.ca.issue(common_name, sans)


def _write_padded(path: Path, pem: bytes, size: int) -> None:
    """PEM readers ignore text after the block: a fixed size makes rewrites look alike."""
    assert len(pem) <= size
    path.write_bytes(pem + b"\n" * (size - len(pem)))


def _write_server_pair(directory: Path, issued: Issued) -> tuple[Path, Path]:
    cert, key = directory / "server.crt", directory / "server.key"
    _write_padded(cert, issued.cert_pem, 2048)
    _write_padded(key, issued.key_pem, 1024)
    return cert, key


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    ca = CertAuthority()
    cert, key = _write_server_pair(tmp_path, ca.issue_server())
    return Pki(tmp_path, ca, ca.write(tmp_path), cert, key)


def credentials(ca_pem: bytes, client: Issued | None = None) -> grpc.ChannelCredentials:
    if client is None:
        return grpc.ssl_channel_credentials(ca_pem)
    return grpc.ssl_channel_credentials(ca_pem, client.key_pem, client.cert_pem)


async def check_health(address: str, creds: grpc.ChannelCredentials) -> int:
    """A fresh channel (so a fresh handshake): the Health.Check status."""
    async with grpc.aio.secure_channel(address, creds, options=SERVER_NAME) as channel:
        reply = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(), timeout=5
        )
    return int(reply.status)


async def refused(address: str, creds: grpc.ChannelCredentials) -> grpc.StatusCode:
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await check_health(address, creds)
    return info.value.code()


@pytest.fixture
async def tls_server(settings: Settings, pki: Pki) -> AsyncIterator[RunningServer]:
    running = await start_server(
        make_settings(
            settings.database_url, pki.directory, tls_cert=pki.server_cert, tls_key=pki.server_key
        )
    )
    yield running
    await stop_server(running)


@pytest.fixture
async def mtls_server(settings: Settings, pki: Pki) -> AsyncIterator[RunningServer]:
    running = await start_server(
        make_settings(
            settings.database_url,
            pki.directory,
            tls_cert=pki.server_cert,
            tls_key=pki.server_key,
            tls_client_ca=pki.ca_file,
            tls_client_principals={
                "reports-svc": ["items:read"],
                "spiffe://opengovfood.test/audit": ["items:read"],
            },
        )
    )
    yield running
    await stop_server(running)


async def test_tls_serves_and_refuses_plaintext(tls_server: RunningServer, pki: Pki) -> None:
    assert tls_server.app.tls is not None
    assert not tls_server.app.tls.mutual
    assert await check_health(tls_server.address, credentials(pki.ca.cert_pem)) == 1
    async with grpc.aio.insecure_channel(tls_server.address) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=5
            )
    assert info.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_tls_client_that_does_not_trust_the_ca_is_refused(
    tls_server: RunningServer,
) -> None:
    other = CertAuthority("Some Other CA")
    code = await refused(tls_server.address, credentials(other.cert_pem))
    assert code == grpc.StatusCode.UNAVAILABLE


async def test_health_command_speaks_tls(tls_server: RunningServer, pki: Pki) -> None:
    args = [
        "health",
        "--address",
        tls_server.address,
        "--tls-ca",
        str(pki.ca_file),
        "--tls-server-name",
        "localhost",
    ]
    # The CLI is synchronous; the server needs this event loop, so run it in a thread.
    assert await asyncio.to_thread(cli_main, args) == 0


async def test_mtls_accepts_a_client_certificate_from_the_ca(
    mtls_server: RunningServer, pki: Pki
) -> None:
    client = pki.client("any-client")
    assert await check_health(mtls_server.address, credentials(pki.ca.cert_pem, client)) == 1


async def test_mtls_refuses_a_client_without_a_certificate(
    mtls_server: RunningServer, pki: Pki
) -> None:
    code = await refused(mtls_server.address, credentials(pki.ca.cert_pem))
    assert code == grpc.StatusCode.UNAVAILABLE


async def test_mtls_refuses_a_certificate_from_another_ca(
    mtls_server: RunningServer, pki: Pki
) -> None:
    stranger = CertAuthority("Attacker CA").issue("reports-svc")  # even with a mapped name
    code = await refused(mtls_server.address, credentials(pki.ca.cert_pem, stranger))
    assert code == grpc.StatusCode.UNAVAILABLE


async def _list_items(
    address: str, creds: grpc.ChannelCredentials, metadata: tuple[tuple[str, str], ...] = ()
) -> grpc.StatusCode:
    async with grpc.aio.secure_channel(address, creds, options=SERVER_NAME) as channel:
        try:
            await items_pb2_grpc.ItemServiceStub(channel).ListItems(
                items_pb2.ListItemsRequest(), metadata=metadata, timeout=5
            )
        except grpc.aio.AioRpcError as error:
            return error.code()
    return grpc.StatusCode.OK


@pytest.mark.parametrize(
    ("common_name", "sans"),
    [
        ("reports-svc", ()),  # the subject CN
        (
            "audit-host-17",
            (
                x509.DNSName("audit.internal"),
                x509.UniformResourceIdentifier("spiffe://opengovfood.test/audit"),
            ),
        ),  # a URI SAN
    ],
)
async def test_mapped_client_certificate_is_a_service_principal(
    mtls_server: RunningServer,
    pki: Pki,
    common_name: str,
    sans: tuple[x509.GeneralName, ...],
) -> None:
    creds = credentials(pki.ca.cert_pem, pki.client(common_name, sans))
    # ListItems allows services with items:read: past auth (OK, or UNIMPLEMENTED
    # where the items service is not built yet), never refused by auth.
    assert await _list_items(mtls_server.address, creds) not in AUTH_REFUSALS
    async with grpc.aio.secure_channel(mtls_server.address, creds, options=SERVER_NAME) as ch:
        items = items_pb2_grpc.ItemServiceStub(ch)
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await items.CreateItem(items_pb2.CreateItemRequest(), timeout=5)
        assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await users_pb2_grpc.UserServiceStub(ch).GetMe(users_pb2.GetMeRequest(), timeout=5)
        assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_unmapped_client_certificate_still_needs_a_token(
    mtls_server: RunningServer, pki: Pki
) -> None:
    creds = credentials(pki.ca.cert_pem, pki.client("stranger-svc"))
    assert await _list_items(mtls_server.address, creds) == grpc.StatusCode.UNAUTHENTICATED


async def test_bearer_token_wins_over_the_client_certificate(
    mtls_server: RunningServer, pki: Pki
) -> None:
    creds = credentials(pki.ca.cert_pem, pki.client("reports-svc"))
    bad_token = (("authorization", "Bearer not-a-token"),)
    # The mapped certificate alone would pass; the (bad) token is what counts.
    code = await _list_items(mtls_server.address, creds, bad_token)
    assert code == grpc.StatusCode.UNAUTHENTICATED
    service = mtls_server.app.container.tokens.issue_access_token("service:other", frozenset())[0]
    code = await _list_items(mtls_server.address, creds, (("authorization", f"Bearer {service}"),))
    assert code == grpc.StatusCode.PERMISSION_DENIED  # the token's principal lacks items:read


def _replace_files(pki: Pki, issued: Issued, keep_mtime: bool = False) -> None:
    paths = (pki.server_cert, pki.server_key)
    before = [os.stat(p) for p in paths]
    _write_server_pair(pki.directory, issued)
    for path, stat in zip(paths, before, strict=True):
        # Coarse file-system clocks could hide a quick rewrite: make the change visible
        # (or, with keep_mtime, invisible) on purpose.
        mtime = stat.st_mtime_ns if keep_mtime else stat.st_mtime_ns + 1_000_000_000
        os.utime(path, ns=(stat.st_atime_ns, mtime))
    if keep_mtime:
        after = [os.stat(p) for p in paths]
        assert [(s.st_mtime_ns, s.st_size, s.st_ino) for s in after] == [
            (s.st_mtime_ns, s.st_size, s.st_ino) for s in before
        ]


async def test_certificate_change_is_picked_up_without_restart(
    tls_server: RunningServer, pki: Pki
) -> None:
    old_ca, new_ca = pki.ca, CertAuthority("Renewed CA")
    assert await check_health(tls_server.address, credentials(old_ca.cert_pem)) == 1
    _replace_files(pki, new_ca.issue_server())
    assert await check_health(tls_server.address, credentials(new_ca.cert_pem)) == 1
    assert await refused(tls_server.address, credentials(old_ca.cert_pem)) == (
        grpc.StatusCode.UNAVAILABLE
    )
    assert tls_server.app.tls is not None
    assert tls_server.app.tls.reloads == 1


async def test_reload_request_rereads_unchanged_looking_files(
    tls_server: RunningServer, pki: Pki
) -> None:
    """SIGHUP's handler: files rewritten with their old mtime are read after a request."""
    new_ca = CertAuthority("Renewed CA")
    _replace_files(pki, new_ca.issue_server(), keep_mtime=True)
    assert tls_server.app.tls is not None
    # Same mtime, size and inode: without a request the old certificate stays.
    assert await check_health(tls_server.address, credentials(pki.ca.cert_pem)) == 1
    tls_server.app.tls.request_reload()
    assert await check_health(tls_server.address, credentials(new_ca.cert_pem)) == 1
    assert tls_server.app.tls.reloads == 1


async def test_broken_new_pair_keeps_the_current_certificate(
    tls_server: RunningServer, pki: Pki, caplog: pytest.LogCaptureFixture
) -> None:
    other = CertAuthority("Other").issue_server()
    pki.server_key.write_bytes(other.key_pem)  # the key no longer matches the certificate
    with caplog.at_level(logging.WARNING, logger="opengovfood.tls"):
        assert await check_health(tls_server.address, credentials(pki.ca.cert_pem)) == 1
    assert any("does not match" in r.getMessage() for r in caplog.records)
    assert tls_server.app.tls is not None
    assert tls_server.app.tls.reloads == 0
