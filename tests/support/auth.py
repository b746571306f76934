"""Small helpers for tests that sign in through the real UserService."""

from __future__ import annotations

import uuid

from opengovfood_client.v1 import users_pb2, users_pb2_grpc

Metadata = tuple[tuple[str, str], ...]


def bearer(token: str) -> Metadata:
    return (("authorization", f"Bearer {token}"),)


def unique_email(tag: str = "user") -> str:
    return f"{tag}-{uuid.uuid4().hex[:12]}@example.org"


async def login(
    stub: users_pb2_grpc.UserServiceStub, email: str, password: str
) -> users_pb2.TokenResponse:
    return await stub.Login(users_pb2.LoginRequest(email=email, password=password), timeout=10)
