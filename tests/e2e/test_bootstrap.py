"""Startup: the first superuser, refusing weak production keys, key files, the dev secret."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
from pathlib import Path

import grpc
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pydantic import ValidationError

from opengovfood import bootstrap
from opengovfood.config import Settings
from opengovfood.db import migrate
from opengovfood.services.tokens import KeyConfigError, TokenService
from opengovfood_client.v1 import users_pb2, users_pb2_grpc
from support.auth import bearer, login
from support.server import make_settings, start_server, stop_server

CLI = (sys.executable, "-c", "from opengovfood.cli import main; raise SystemExit(main())")


async def test_first_superuser_is_created_on_an_empty_database(
    fresh_database: str, tmp_path: Path
) -> None:
    first = make_settings(
        fresh_database,
        tmp_path,
        first_superuser_email=" Chief@Example.org ",
        first_superuser_password="chief password 1",
    )
    running = await start_server(first)
    try:
        async with grpc.aio.insecure_channel(running.address) as channel:
            stub = users_pb2_grpc.UserServiceStub(channel)
            tokens = await login(stub, "chief@example.org", "chief password 1")
            me = await stub.GetMe(users_pb2.GetMeRequest(), metadata=bearer(tokens.access_token))
            assert me.is_superuser
            assert me.is_active
    finally:
        await stop_server(running)
    # Restarted with other bootstrap values: users exist, so nothing is created.
    second = make_settings(
        fresh_database,
        tmp_path,
        first_superuser_email="another@example.org",
        first_superuser_password="another password",
    )
    running = await start_server(second)
    try:
        async with grpc.aio.insecure_channel(running.address) as channel:
            stub = users_pb2_grpc.UserServiceStub(channel)
            tokens = await login(stub, "chief@example.org", "chief password 1")
            page = await stub.ListUsers(
                users_pb2.ListUsersRequest(), metadata=bearer(tokens.access_token)
            )
            assert [u.email for u in page.users] == ["chief@example.org"]
    finally:
        await stop_server(running)


def test_production_refuses_to_start_without_a_strong_key(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY is required"):
        Settings(env="production")  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="at least 32 bytes"):
        Settings(env="production", secret_key="too-short")  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="BCRYPT_ROUNDS"):
        Settings(env="production", secret_key="k" * 32, bcrypt_rounds=4)  # type: ignore[call-arg]
    assert Settings(env="production", secret_key="k" * 32).env == "production"  # type: ignore[call-arg]


def test_serve_in_production_without_a_key_exits_with_a_clear_error(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("OPENGOVFOOD_")}
    env |= {"OPENGOVFOOD_ENV": "production", "OPENGOVFOOD_ADDRESS": "127.0.0.1:0"}
    result = subprocess.run(
        [*CLI, "serve"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "OPENGOVFOOD_SECRET_KEY is required when OPENGOVFOOD_ENV=production" in result.stderr
    assert not (tmp_path / ".opengovfood-secret").exists()  # no key was generated


def test_blank_first_superuser_settings_mean_unset() -> None:
    settings = Settings(first_superuser_email=" ", first_superuser_password="")  # type: ignore[call-arg]
    assert settings.first_superuser_email is None
    assert settings.first_superuser_password is None


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"first_superuser_email": "a@example.org"}, "must be set together"),
        (
            {"first_superuser_email": "nope", "first_superuser_password": "long enough"},
            "FIRST_SUPERUSER_EMAIL is not a valid email",
        ),
        (
            {"first_superuser_email": "a@example.org", "first_superuser_password": "short"},
            "FIRST_SUPERUSER_PASSWORD must be at least 8",
        ),
        ({"jwt_algorithm": "RS256"}, "JWT_PRIVATE_KEY_FILE is required for RS256"),
        ({"access_token_ttl": 0}, "at least one second"),
    ],
)
def test_bad_auth_settings_are_refused(values: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(secret_key="k" * 32, **values)  # type: ignore[arg-type]


def _pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _public_pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def test_unusable_key_files_are_startup_errors(tmp_path: Path) -> None:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other_rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (tmp_path / "rsa.pem").write_bytes(_pem(rsa_key))
    (tmp_path / "other.pub").write_bytes(_public_pem(other_rsa))
    (tmp_path / "ec.pem").write_bytes(_pem(ec.generate_private_key(ec.SECP384R1())))
    (tmp_path / "junk.pem").write_bytes(b"not a key")

    def tokens(algorithm: str, private: str, public: str | None = None) -> TokenService:
        return TokenService(
            Settings(  # type: ignore[call-arg]
                jwt_algorithm=algorithm,
                jwt_private_key_file=tmp_path / private,
                jwt_public_key_file=tmp_path / public if public else None,
            )
        )

    with pytest.raises(KeyConfigError, match="does not belong"):
        tokens("RS256", "rsa.pem", "other.pub")
    with pytest.raises(KeyConfigError, match="ES256 needs an EC private key on the P-256"):
        tokens("ES256", "ec.pem")
    with pytest.raises(KeyConfigError, match="ES256 needs"):
        tokens("ES256", "rsa.pem")
    with pytest.raises(KeyConfigError, match="RS256 needs an RSA"):
        tokens("RS256", "ec.pem")
    with pytest.raises(KeyConfigError, match="cannot load"):
        tokens("RS256", "junk.pem")
    with pytest.raises(KeyConfigError, match="cannot load"):
        tokens("RS256", "missing.pem")


def test_development_secret_is_generated_once_and_shared(tmp_path: Path) -> None:
    """Without OPENGOVFOOD_SECRET_KEY, development keeps a generated key in a 0600 file:
    a restart or another worker verifies tokens the first one signed."""
    settings = Settings(secret_key_file=tmp_path / "secret")  # type: ignore[call-arg]
    first = TokenService(settings)
    mode = stat.S_IMODE((tmp_path / "secret").stat().st_mode)
    assert mode == 0o600
    token, _ = first.issue_access_token("42")
    second = TokenService(settings)
    assert second.verify_access_token(token).user_id == 42
    elsewhere = TokenService(Settings(secret_key_file=tmp_path / "other"))  # type: ignore[call-arg]
    with pytest.raises(Exception, match="signature is invalid"):
        elsewhere.verify_access_token(token)


async def test_server_with_generated_secret_survives_a_restart(
    fresh_database: str, tmp_path: Path
) -> None:
    settings = make_settings(
        fresh_database,
        tmp_path,
        secret_key=None,
        first_superuser_email="boot@example.org",
        first_superuser_password="boot password",
    )
    running = await start_server(settings)
    try:
        async with grpc.aio.insecure_channel(running.address) as channel:
            tokens = await login(
                users_pb2_grpc.UserServiceStub(channel), "boot@example.org", "boot password"
            )
    finally:
        await stop_server(running)
    running = await start_server(settings)
    try:
        async with grpc.aio.insecure_channel(running.address) as channel:
            me = await users_pb2_grpc.UserServiceStub(channel).GetMe(
                users_pb2.GetMeRequest(), metadata=bearer(tokens.access_token)
            )
            assert me.email == "boot@example.org"
    finally:
        await stop_server(running)


async def test_first_superuser_waits_for_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not migrated yet at startup: the server starts anyway and creates the superuser
    once the schema is there."""
    monkeypatch.setattr(bootstrap, "RETRY_SECONDS", 0.1)
    url = f"sqlite+aiosqlite:///{tmp_path / 'late.db'}"
    running = await start_server(
        make_settings(
            url,
            tmp_path,
            first_superuser_email="late@example.org",
            first_superuser_password="late password",
        )
    )
    try:
        await asyncio.to_thread(migrate.upgrade, url)
        async with grpc.aio.insecure_channel(running.address) as channel:
            stub = users_pb2_grpc.UserServiceStub(channel)
            for _ in range(50):
                try:
                    await login(stub, "late@example.org", "late password")
                    break
                except grpc.aio.AioRpcError:
                    await asyncio.sleep(0.1)
            tokens = await login(stub, "late@example.org", "late password")
            me = await stub.GetMe(users_pb2.GetMeRequest(), metadata=bearer(tokens.access_token))
            assert me.is_superuser
    finally:
        await stop_server(running)
