"""Tokens and how they reach the server.

The bearer token is attached by gRPC *call credentials* (an AuthMetadataPlugin
composed into the channel credentials), so no method call hand-builds metadata
and the raw generated stubs on `client.channel` are authenticated too. gRPC only
sends call credentials over a channel it considers secure:

- TLS (`tls=TLSConfig(...)`): ssl channel credentials + the plugin.
- plaintext to loopback or a unix socket (development, sidecars): local channel
  credentials, which are plaintext on the wire but count as secure because the
  traffic never leaves the host.
- plaintext to another host: gRPC refuses to send call credentials there, and
  so do we by default, because tokens and passwords would cross the network in
  the clear. `insecure=True` opts in (e.g. a private network without TLS); only
  then a client interceptor adds the same header, reading the same token state.

The plugin never does I/O: it runs on a gRPC thread per call and only reads the
current token. Refreshing (a RefreshToken RPC) happens in the caller's own thread
or event loop before the call, and once more after an UNAUTHENTICATED answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import grpc

from opengovfood_client.config import PUBLIC_METHODS, TLSConfig, is_local_address
from opengovfood_client.v1 import users_pb2

AUTHORIZATION = "authorization"
# Refresh this long before expiry: a tenth of the lifetime, at most a minute.
MAX_REFRESH_MARGIN = 60.0


@dataclass(frozen=True, slots=True)
class TokenPair:
    """An access token with its refresh token, as Login/RefreshToken answer them."""

    access_token: str
    refresh_token: str
    expires_at: float  # UNIX time the access token expires
    issued_at: float

    @classmethod
    def from_response(
        cls, response: users_pb2.TokenResponse, now: float | None = None
    ) -> TokenPair:
        issued = time.time() if now is None else now
        return cls(
            access_token=response.access_token,
            refresh_token=response.refresh_token,
            expires_at=issued + response.expires_in,
            issued_at=issued,
        )

    @property
    def refresh_at(self) -> float:
        margin = min(MAX_REFRESH_MARGIN, max(0.0, self.expires_at - self.issued_at) / 10)
        return self.expires_at - margin

    def needs_refresh(self, now: float | None = None) -> bool:
        return (time.time() if now is None else now) >= self.refresh_at

    def to_dict(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at,
            "issued_at": self.issued_at,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TokenPair:
        return cls(
            access_token=str(data["access_token"]),
            refresh_token=str(data["refresh_token"]),
            expires_at=float(data["expires_at"]),
            issued_at=float(data.get("issued_at", 0.0)),
        )


TokenListener = Callable[[TokenPair | None], None]


class TokenState:
    """The client's current credentials. Reads are lock-free (one reference read);
    `generation` tells callers whether someone else refreshed in the meantime."""

    def __init__(
        self,
        token: str | None = None,
        tokens: TokenPair | None = None,
        on_tokens: TokenListener | None = None,
    ) -> None:
        if token is not None and tokens is not None:
            raise ValueError("pass either token= (a service token) or tokens=, not both")
        self._static = token
        self._pair = tokens
        self._on_tokens = on_tokens
        self.generation = 0

    @property
    def pair(self) -> TokenPair | None:
        return self._pair

    @property
    def refreshable(self) -> bool:
        return self._pair is not None

    def bearer(self) -> str | None:
        if self._static is not None:
            return self._static
        pair = self._pair
        return pair.access_token if pair is not None else None

    def needs_refresh(self) -> bool:
        pair = self._pair
        return pair is not None and pair.needs_refresh()

    def set_pair(self, pair: TokenPair | None) -> None:
        self._static = None
        self._pair = pair
        self.generation += 1
        if self._on_tokens is not None:
            self._on_tokens(pair)

    def set_static(self, token: str | None) -> None:
        self._static = token
        self._pair = None
        self.generation += 1


def _is_public(service_url: str, method_name: str) -> bool:
    service = service_url.rstrip("/").rpartition("/")[2]
    return (service, method_name) in PUBLIC_METHODS


class BearerPlugin(grpc.AuthMetadataPlugin):
    """Call credentials: `authorization: Bearer <current token>` on non-public methods."""

    def __init__(self, state: TokenState) -> None:
        self._state = state

    def __call__(
        self, context: grpc.AuthMetadataContext, callback: grpc.AuthMetadataPluginCallback
    ) -> None:
        token = (
            None if _is_public(context.service_url, context.method_name) else self._state.bearer()
        )
        callback(((AUTHORIZATION, f"Bearer {token}"),) if token else (), None)


def channel_credentials(
    address: str, state: TokenState, tls: TLSConfig | None, insecure: bool
) -> grpc.ChannelCredentials | None:
    """Credentials for a secure channel, or None when the insecure interceptor path applies."""
    bearer = grpc.metadata_call_credentials(BearerPlugin(state), name="opengovfood-bearer")
    if tls is not None:
        transport = grpc.ssl_channel_credentials(
            root_certificates=tls.root_certificates,
            private_key=tls.private_key,
            certificate_chain=tls.certificate_chain,
        )
        return grpc.composite_channel_credentials(transport, bearer)
    if is_local_address(address):
        kind = (
            grpc.LocalConnectionType.UDS
            if address.startswith(("unix:", "unix-abstract:"))
            else grpc.LocalConnectionType.LOCAL_TCP
        )
        return grpc.composite_channel_credentials(grpc.local_channel_credentials(kind), bearer)
    if insecure:
        return None
    raise ValueError(
        f"{address} is not a loopback address: use TLS (tls=TLSConfig(...)), or pass "
        "insecure=True to send passwords and tokens over plaintext"
    )


class _CallDetails(NamedTuple):
    method: str
    timeout: float | None
    metadata: Any
    credentials: grpc.CallCredentials | None
    wait_for_ready: bool | None
    compression: grpc.Compression | None


def _with_bearer(details: Any, state: TokenState) -> Any:
    service, _, method = str(details.method).lstrip("/").partition("/")
    token = None if (service, method) in PUBLIC_METHODS else state.bearer()
    if not token:
        return details
    metadata = [*(details.metadata or ()), (AUTHORIZATION, f"Bearer {token}")]
    return _CallDetails(
        details.method,
        details.timeout,
        metadata,
        details.credentials,
        details.wait_for_ready,
        getattr(details, "compression", None),
    )


class InsecureBearerInterceptor(
    grpc.UnaryUnaryClientInterceptor,  # type: ignore[type-arg]
    grpc.UnaryStreamClientInterceptor,  # type: ignore[type-arg]
):
    """Sync client, plaintext to a remote host with insecure=True only (see module doc)."""

    def __init__(self, state: TokenState) -> None:
        self._state = state

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(_with_bearer(details, self._state), request)

    def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(_with_bearer(details, self._state), request)


class _AioCallDetails(grpc.aio.ClientCallDetails):
    pass


def _aio_with_bearer(details: Any, state: TokenState) -> Any:
    service, _, method = str(details.method).lstrip("/").partition("/")
    token = None if (service, method) in PUBLIC_METHODS else state.bearer()
    if not token:
        return details
    metadata = grpc.aio.Metadata(*(details.metadata or ()))
    metadata.add(AUTHORIZATION, f"Bearer {token}")
    return _AioCallDetails(
        details.method, details.timeout, metadata, details.credentials, details.wait_for_ready
    )


class AioInsecureBearerUnary(grpc.aio.UnaryUnaryClientInterceptor):  # type: ignore[type-arg]
    def __init__(self, state: TokenState) -> None:
        self._state = state

    async def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(_aio_with_bearer(details, self._state), request)


class AioInsecureBearerStream(grpc.aio.UnaryStreamClientInterceptor):  # type: ignore[type-arg]
    def __init__(self, state: TokenState) -> None:
        self._state = state

    async def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(_aio_with_bearer(details, self._state), request)
