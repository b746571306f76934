"""Forged, stale and misused tokens: every one answers UNAUTHENTICATED with a clear message."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import grpc
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from opengovfood.config import Settings
from opengovfood_client.v1 import users_pb2, users_pb2_grpc
from support.auth import bearer, login
from support.rpc_errors import rpc_error
from support.server import (
    SECRET,
    RunningServer,
    UserFactory,
    make_settings,
    start_server,
    stop_server,
)

Stub = users_pb2_grpc.UserServiceStub
UNAUTHENTICATED = grpc.StatusCode.UNAUTHENTICATED


def claims(user_id: int, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    values: dict[str, Any] = {
        "sub": str(user_id),
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "iss": "opengovfood",
        "aud": "opengovfood",
        "jti": uuid.uuid4().hex,
        "token_type": "access",
        "scope": "",
    }
    for key, value in changes.items():
        if value is None:
            values.pop(key, None)
        else:
            values[key] = value
    return values


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hand_signed(header: dict[str, Any], payload: dict[str, Any], key: bytes) -> str:
    """HS256 by hand: pyjwt (rightly) refuses to HMAC with a PEM public key."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def unsigned(header: dict[str, Any], payload: dict[str, Any]) -> str:
    """The classic `alg: none` token: no signature at all."""
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}."


async def get_me(stub: Stub, token: str) -> grpc.aio.AioRpcError:
    return await rpc_error(
        stub.GetMe(users_pb2.GetMeRequest(), metadata=bearer(token)), UNAUTHENTICATED
    )


def sign_in_of(token: str) -> str:
    """The sign-in (`sid`) a real access token names: user tokens must name a live one."""
    sid: str = jwt.decode(token, options={"verify_signature": False})["sid"]
    return sid


async def test_a_genuine_token_works(users_stub: Stub, make_user: UserFactory) -> None:
    user = await make_user()
    token = jwt.encode(claims(user.id, sid=sign_in_of(user.token)), SECRET, algorithm="HS256")
    assert (await users_stub.GetMe(users_pb2.GetMeRequest(), metadata=bearer(token))).id == user.id


@pytest.mark.parametrize(
    ("forge", "message"),
    [
        (lambda c: jwt.encode(c, None, algorithm="none"), "disallowed algorithm"),
        (lambda c: unsigned({"alg": "none", "typ": "JWT"}, c), "disallowed algorithm"),
        (lambda c: unsigned({"alg": "NONE", "typ": "JWT"}, c), "disallowed algorithm"),
        (
            lambda c: jwt.encode(c, "another-key-that-is-also-long-enough!!", algorithm="HS256"),
            "signature is invalid",
        ),
        (lambda c: jwt.encode(c, SECRET, algorithm="HS512"), "disallowed algorithm"),
        (lambda c: jwt.encode(c, SECRET, algorithm="HS384"), "disallowed algorithm"),
    ],
    ids=["alg-none", "alg-none-hand-made", "alg-NONE", "wrong-key", "hs512", "hs384"],
)
# HS384/HS512 with the real (32+ byte) secret: pyjwt warns the key is short for them.
@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
async def test_forged_signatures(
    users_stub: Stub,
    make_user: UserFactory,
    forge: Callable[[dict[str, Any]], str],
    message: str,
) -> None:
    user = await make_user()
    error = await get_me(users_stub, forge(claims(user.id)))
    assert message in (error.details() or "")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"exp": int(time.time()) - 60}, "access token has expired"),
        ({"nbf": int(time.time()) + 86_400}, "access token is not valid yet"),
        ({"aud": "another-service"}, "access token has the wrong audience"),
        ({"iss": "someone-else"}, "access token has the wrong issuer"),
        ({"token_type": "refresh"}, "token is not an access token"),
        ({"token_type": None}, "token is not an access token"),
        ({"sub": "²"}, "invalid subject"),
        ({"sub": "0"}, "invalid subject"),
        ({"sub": "99999999999999999999999"}, "invalid subject"),
        ({"sub": "service:"}, "invalid subject"),
        ({"scope": ["items:read"]}, "invalid scope claim"),
    ],
    ids=[
        "expired",
        "future-nbf",
        "wrong-aud",
        "wrong-iss",
        "refresh-type",
        "no-type",
        "unicode-digit-sub",
        "zero-sub",
        "huge-sub",
        "empty-service",
        "scope-list",
    ],
)
async def test_bad_claims(
    users_stub: Stub, make_user: UserFactory, changes: dict[str, Any], message: str
) -> None:
    user = await make_user()
    error = await get_me(users_stub, jwt.encode(claims(user.id, **changes), SECRET, "HS256"))
    assert message in (error.details() or "")


@pytest.mark.parametrize("claim", ["exp", "iat", "nbf", "iss", "aud", "sub", "jti"])
async def test_missing_claims(users_stub: Stub, make_user: UserFactory, claim: str) -> None:
    user = await make_user()
    error = await get_me(users_stub, jwt.encode(claims(user.id, **{claim: None}), SECRET, "HS256"))
    assert error.details() == f"access token lacks the '{claim}' claim"


async def test_tampered_payload(users_stub: Stub, make_user: UserFactory) -> None:
    user, admin = await make_user(), await make_user(superuser=True)
    header, _, signature = user.token.split(".")
    forged_payload = b64(json.dumps(claims(admin.id)).encode())
    error = await get_me(users_stub, f"{header}.{forged_payload}.{signature}")
    assert error.details() == "access token signature is invalid"


@pytest.mark.parametrize(
    "header",
    ["", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc", "bearer not-a-jwt"],
)
async def test_malformed_authorization_metadata(users_stub: Stub, header: str) -> None:
    metadata = (("authorization", header),) if header else ()
    await rpc_error(users_stub.GetMe(users_pb2.GetMeRequest(), metadata=metadata), UNAUTHENTICATED)


async def test_refresh_token_is_not_an_access_token(
    users_stub: Stub, make_user: UserFactory
) -> None:
    user = await make_user()
    tokens = await login(users_stub, user.email, user.password)
    error = await get_me(users_stub, tokens.refresh_token)
    assert error.details() == "access token is malformed"


async def test_token_of_a_deleted_or_unknown_user(users_stub: Stub) -> None:
    token = jwt.encode(claims(2**60, sid="a-sign-in"), SECRET, algorithm="HS256")
    error = await get_me(users_stub, token)
    assert error.details() == "user is inactive or no longer exists"


async def test_revoked_and_reused_refresh_tokens(users_stub: Stub, make_user: UserFactory) -> None:
    user = await make_user()
    revoked = await login(users_stub, user.email, user.password)
    await users_stub.Logout(
        users_pb2.LogoutRequest(refresh_token=revoked.refresh_token), metadata=user.metadata
    )
    error = await rpc_error(
        users_stub.RefreshToken(users_pb2.RefreshTokenRequest(refresh_token=revoked.refresh_token)),
        UNAUTHENTICATED,
    )
    assert error.details() == "refresh token has been revoked"

    first = await login(users_stub, user.email, user.password)
    second = await users_stub.RefreshToken(
        users_pb2.RefreshTokenRequest(refresh_token=first.refresh_token)
    )
    await rpc_error(
        users_stub.RefreshToken(users_pb2.RefreshTokenRequest(refresh_token=first.refresh_token)),
        UNAUTHENTICATED,
    )
    error = await rpc_error(
        users_stub.RefreshToken(users_pb2.RefreshTokenRequest(refresh_token=second.refresh_token)),
        UNAUTHENTICATED,
    )
    assert error.details() == "refresh token has been revoked"


# --- asymmetric keys ---------------------------------------------------------------
def write_rsa_pair(directory: Path) -> tuple[Path, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return _write_pair(directory, key, "rsa")


def _write_pair(directory: Path, key: Any, name: str) -> tuple[Path, Path]:
    private = directory / f"{name}.pem"
    public = directory / f"{name}.pub.pem"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private, public


@pytest.fixture(scope="module")
async def rs256_server(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[RunningServer, Path]]:
    tmp = tmp_path_factory.mktemp("rs256")
    private, public = write_rsa_pair(tmp)
    running = await start_server(
        make_settings(
            settings.database_url,
            tmp,
            jwt_algorithm="RS256",
            jwt_private_key_file=private,
            jwt_public_key_file=public,
        )
    )
    yield running, public
    await stop_server(running)


async def test_rs256_tokens_verify_with_the_public_key(
    rs256_server: tuple[RunningServer, Path],
) -> None:
    running, public = rs256_server
    user = await UserFactory(running.app)()
    async with grpc.aio.insecure_channel(running.address) as channel:
        stub = users_pb2_grpc.UserServiceStub(channel)
        tokens = await login(stub, user.email, user.password)
        assert jwt.get_unverified_header(tokens.access_token)["alg"] == "RS256"
        # What another department service does with only the public key:
        verified = jwt.decode(
            tokens.access_token, public.read_bytes(), algorithms=["RS256"], audience="opengovfood"
        )
        assert verified["sub"] == str(user.id)
        me = await stub.GetMe(users_pb2.GetMeRequest(), metadata=bearer(tokens.access_token))
        assert me.id == user.id


async def test_hs256_signed_with_the_rs256_public_key_is_refused(
    rs256_server: tuple[RunningServer, Path],
) -> None:
    """The classic algorithm-confusion attack: the public key used as an HMAC secret."""
    running, public = rs256_server
    user = await UserFactory(running.app)()
    forged = hand_signed({"alg": "HS256", "typ": "JWT"}, claims(user.id), public.read_bytes())
    async with grpc.aio.insecure_channel(running.address) as channel:
        error = await get_me(users_pb2_grpc.UserServiceStub(channel), forged)
    assert error.details() == "access token uses a disallowed algorithm"


async def test_rs256_server_refuses_hs256_tokens_with_the_old_secret(
    rs256_server: tuple[RunningServer, Path],
) -> None:
    running, _ = rs256_server
    user = await UserFactory(running.app)()
    async with grpc.aio.insecure_channel(running.address) as channel:
        error = await get_me(
            users_pb2_grpc.UserServiceStub(channel), jwt.encode(claims(user.id), SECRET, "HS256")
        )
    assert error.details() == "access token uses a disallowed algorithm"


async def test_es256_server_signs_and_verifies(settings: Settings, tmp_path: Path) -> None:
    private, public = _write_pair(tmp_path, ec.generate_private_key(ec.SECP256R1()), "ec")
    running = await start_server(
        make_settings(
            settings.database_url, tmp_path, jwt_algorithm="ES256", jwt_private_key_file=private
        )
    )
    try:
        user = await UserFactory(running.app)()
        async with grpc.aio.insecure_channel(running.address) as channel:
            stub = users_pb2_grpc.UserServiceStub(channel)
            tokens = await login(stub, user.email, user.password)
            jwt.decode(
                tokens.access_token,
                public.read_bytes(),
                algorithms=["ES256"],
                audience="opengovfood",
            )
            assert (
                await stub.GetMe(users_pb2.GetMeRequest(), metadata=bearer(tokens.access_token))
            ).id == user.id
            other_key = ec.generate_private_key(ec.SECP256R1())
            forged = jwt.encode(claims(user.id), other_key, algorithm="ES256")
            error = await get_me(stub, forged)
            assert error.details() == "access token signature is invalid"
    finally:
        await stop_server(running)
