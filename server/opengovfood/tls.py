"""TLS and mTLS for the gRPC port: certificates from files, reloaded without a restart.

gRPC calls the fetcher of `dynamic_ssl_server_credentials` at the start of every
new connection's handshake. It stats the files (a few microseconds) and reads
them again only when one changed or after SIGHUP (`request_reload`), so a
renewed certificate is served on the next connection; connections already open
keep the certificate they were made with. A new pair that does not load (half
written, key not matching the certificate) is refused with a warning and the
current one stays in use.

With a client CA, every client must present a certificate it signed. A verified
client certificate can stand for a service principal with scopes
(OPENGOVFOOD_TLS_CLIENT_PRINCIPALS): see `PeerPrincipals`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from opengovfood.config import Settings
from opengovfood.domain.principal import Principal

logger = logging.getLogger("opengovfood.tls")


class TlsConfigError(ValueError):
    """The certificate files cannot be used."""


@dataclass(frozen=True)
class _Material:
    cert_chain: bytes
    key: bytes
    client_ca: bytes | None

    def configuration(self) -> grpc.ServerCertificateConfiguration:
        return grpc.ssl_server_certificate_configuration(
            [(self.key, self.cert_chain)], root_certificates=self.client_ca
        )


def _check_pair(cert_chain: bytes, key: bytes, client_ca: bytes | None) -> None:
    """Fail early and clearly instead of at every handshake."""
    try:
        leaf = x509.load_pem_x509_certificates(cert_chain)[0]
    except ValueError as exc:
        raise TlsConfigError("OPENGOVFOOD_TLS_CERT holds no PEM certificate") from exc
    try:
        private_key = serialization.load_pem_private_key(key, password=None)
    except (ValueError, TypeError) as exc:
        raise TlsConfigError("OPENGOVFOOD_TLS_KEY holds no unencrypted PEM private key") from exc
    raw = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if private_key.public_key().public_bytes(*raw) != leaf.public_key().public_bytes(*raw):
        raise TlsConfigError("OPENGOVFOOD_TLS_KEY does not match OPENGOVFOOD_TLS_CERT")
    if client_ca is not None:
        try:
            x509.load_pem_x509_certificates(client_ca)
        except ValueError as exc:
            raise TlsConfigError("OPENGOVFOOD_TLS_CLIENT_CA holds no PEM certificate") from exc


def _stamp(path: Path | None) -> tuple[int, int, int] | None:
    if path is None:
        return None
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size, stat.st_ino


class ServerTls:
    """The server's certificate material, kept in step with its files."""

    def __init__(self, cert: Path, key: Path, client_ca: Path | None = None) -> None:
        self._paths = (cert, key, client_ca)
        self._lock = threading.Lock()
        self._reload_requested = False
        self._stamps = self._stat()
        self._material = self._load()
        self.reloads = 0  # certificate changes taken up since start

    @classmethod
    def from_settings(cls, settings: Settings) -> ServerTls | None:
        if settings.tls_cert is None or settings.tls_key is None:
            return None
        return cls(settings.tls_cert, settings.tls_key, settings.tls_client_ca)

    @property
    def mutual(self) -> bool:
        return self._paths[2] is not None

    def credentials(self) -> grpc.ServerCredentials:
        return grpc.dynamic_ssl_server_credentials(
            self._material.configuration(),
            # The stubs forget that the fetcher returns None for "unchanged".
            self._fetch,  # type: ignore[arg-type]
            require_client_authentication=self.mutual,
        )

    def request_reload(self) -> None:
        """Read the files again at the next handshake, changed or not (SIGHUP)."""
        self._reload_requested = True
        logger.info("TLS reload requested")

    def _stat(self) -> tuple[tuple[int, int, int] | None, ...]:
        return tuple(_stamp(path) for path in self._paths)

    def _load(self) -> _Material:
        cert, key, client_ca = self._paths
        material = _Material(
            cert.read_bytes(), key.read_bytes(), client_ca.read_bytes() if client_ca else None
        )
        _check_pair(material.cert_chain, material.key, material.client_ca)
        return material

    def _fetch(self) -> grpc.ServerCertificateConfiguration | None:
        # Runs in a gRPC thread during a handshake: must be quick and never raise.
        try:
            stamps = self._stat()
            if stamps == self._stamps and not self._reload_requested:
                return None
            with self._lock:
                self._reload_requested = False
                # Remember the attempt even if it fails: retry on the next change or SIGHUP,
                # not on every handshake.
                self._stamps = stamps
                material = self._load()
                if material == self._material:
                    return None
                self._material = material
                self.reloads += 1
        except (OSError, TlsConfigError) as exc:
            logger.warning("TLS reload failed; keeping the current certificate: %s", exc)
            return None
        logger.info("TLS certificates reloaded")
        return material.configuration()


# auth_context keys of a verified peer certificate, most specific first: the SANs
# (DNS names, URIs such as SPIFFE ids, e-mail addresses, IPs), then the subject CN.
_IDENTITY_KEYS = ("x509_subject_alternative_name", "x509_common_name")


class PeerPrincipals:
    """Client-certificate identity -> service principal, for the auth interceptor.

    Only meaningful with OPENGOVFOOD_TLS_CLIENT_CA: then gRPC has verified the
    certificate against the CA before any RPC runs. The first identity of the
    certificate that is configured wins (SANs in certificate order, then the CN).
    """

    def __init__(self, mapping: Mapping[str, Sequence[str]]) -> None:
        self._principals = {
            identity: Principal.service(identity, frozenset(scopes))
            for identity, scopes in mapping.items()
        }

    @classmethod
    def from_settings(cls, settings: Settings) -> PeerPrincipals | None:
        if settings.tls_client_ca is None or not settings.tls_client_principals:
            return None
        return cls(settings.tls_client_principals)

    def __call__(self, context: grpc.aio.ServicerContext[Any, Any]) -> Principal | None:
        auth = context.auth_context()
        for key in _IDENTITY_KEYS:
            for value in auth.get(key, ()):
                principal = self._principals.get(value.decode("utf-8", "replace"))
                if principal is not None:
                    return principal
        return None
