"""Access tokens (JWT, pyjwt) and opaque refresh-token material.

Access tokens carry sub, exp, iat, nbf, iss, aud, jti, `token_type: access`, `scope`
and, for a user's sign-in, `sid`: the session id, which is the id of the refresh-token
family the sign-in started (services/authn.py refuses the token once that family is
revoked), `dept` and `role`: the user's department and role when it was issued (authn
refuses it once either changed). Only the configured algorithm is accepted (no `none`,
no confusion between HMAC and public keys). Decoded tokens are cached until they expire
so verification costs a dict lookup on the hot path.
"""

from __future__ import annotations

import errno
import hashlib
import hmac
import os
import re
import secrets
import stat
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt

from opengovfood.config import MIN_SECRET_KEY_BYTES, Settings
from opengovfood.errors import Unauthenticated
from opengovfood.reasons import Reason

ACCESS_TOKEN_TYPE = "access"
SERVICE_SUBJECT_PREFIX = "service:"
_LEEWAY_SECONDS = 5
# A user id (a positive int64) or `service:NAME`.
_MAX_USER_ID = 2**63 - 1
_MAX_SESSION_ID = 64  # refresh-token family ids are UUIDs (36 characters)
SERVICE_NAME_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"
_VALID_SUBJECT = re.compile(rf"[1-9][0-9]{{0,18}}|{SERVICE_SUBJECT_PREFIX}{SERVICE_NAME_PATTERN}")


@dataclass(frozen=True, slots=True)
class AccessClaims:
    """What the server trusts from a verified access token."""

    subject: str
    scopes: frozenset[str]
    expires_at: float
    token_id: str
    issued_at: float = 0.0
    session_id: str | None = None  # the sign-in (refresh-token family); None for services
    department_id: int | None = None  # the user's department when issued (`dept`)
    role: str | None = None  # the user's role when issued (`role`)

    @property
    def user_id(self) -> int | None:
        if self.subject.startswith(SERVICE_SUBJECT_PREFIX):
            return None
        return int(self.subject)

    @property
    def service_name(self) -> str | None:
        if self.subject.startswith(SERVICE_SUBJECT_PREFIX):
            return self.subject[len(SERVICE_SUBJECT_PREFIX) :]
        return None


class KeyConfigError(ValueError):
    """The configured key files are unusable (wrong type, too weak, mismatched)."""


def _private_file_problem(path: Path, info: os.stat_result) -> str | None:
    """Why a secret file must not be trusted, with the fix; None when it is fine."""
    if not stat.S_ISREG(info.st_mode):
        return f"secret key file {path} is not a regular file; remove it to generate a new one"
    if info.st_uid != os.geteuid():
        return (
            f"secret key file {path} belongs to uid {info.st_uid}, not to the user running "
            f"the server (uid {os.geteuid()}); chown it to that user, or delete it to "
            "generate a new one"
        )
    if info.st_mode & 0o077:
        return (
            f"secret key file {path} can be read or written by others (mode "
            f"{stat.S_IMODE(info.st_mode):04o}); run `chmod 600 {path}`"
        )
    return None


def _read_dev_secret(path: Path) -> str:
    """The key in an existing file, refused unless it is a regular file (not a symlink)
    of the current user with mode 0600: anyone who could read or swap it could sign
    tokens as anyone."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise KeyConfigError(
                f"secret key file {path} is a symbolic link; replace it with a regular "
                "file of mode 0600, or delete it to generate a new one"
            ) from None
        raise KeyConfigError(f"cannot read the secret key file {path}: {exc.strerror}") from None
    with os.fdopen(fd) as handle:
        problem = _private_file_problem(path, os.fstat(handle.fileno()))
        if problem:
            raise KeyConfigError(problem)
        key = ""
        for _ in range(50):
            key = handle.read().strip()
            if key:
                break
            time.sleep(0.02)  # another process is writing it right now
            handle.seek(0)
    if len(key.encode()) < MIN_SECRET_KEY_BYTES:
        raise KeyConfigError(f"secret key file {path} holds a key that is too short")
    return key


def load_or_create_dev_secret(path: Path) -> str:
    """Development signing key kept in a 0600 file so restarts and workers agree.

    Created with O_EXCL (and O_NOFOLLOW): when several workers start at once, one
    writes and the others read the same key. An existing file is used only if it is
    the current user's, mode 0600 and not a symlink (a clear error says the fix).
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        return _read_dev_secret(path)
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key


def load_key_pair(algorithm: str, private_file: Path, public_file: Path | None) -> tuple[Any, Any]:
    """Load and check the PEM key pair for RS256/ES256 at startup, so a wrong key is a
    clear startup error instead of a failure at the first Login."""
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        PublicFormat,
        load_pem_private_key,
        load_pem_public_key,
    )

    try:
        private = load_pem_private_key(private_file.read_bytes(), password=None)
        public = (
            load_pem_public_key(public_file.read_bytes())
            if public_file is not None
            else private.public_key()
        )
    except (OSError, ValueError, TypeError) as exc:
        raise KeyConfigError(f"cannot load the {algorithm} key files: {exc}") from None
    if algorithm == "RS256":
        if not isinstance(private, rsa.RSAPrivateKey) or private.key_size < 2048:
            raise KeyConfigError("RS256 needs an RSA private key of at least 2048 bits")
    elif not isinstance(private, ec.EllipticCurvePrivateKey) or not isinstance(
        private.curve, ec.SECP256R1
    ):
        raise KeyConfigError("ES256 needs an EC private key on the P-256 curve")
    pem = Encoding.PEM, PublicFormat.SubjectPublicKeyInfo
    if public.public_bytes(*pem) != private.public_key().public_bytes(*pem):
        raise KeyConfigError("the public key file does not belong to the private key")
    return private, public


class TokenService:
    def __init__(self, settings: Settings, cache_size: int = 10_000) -> None:
        self._algorithm = settings.jwt_algorithm
        self._issuer = settings.jwt_issuer
        self._audience = settings.jwt_audience
        self._access_ttl = int(settings.access_token_ttl.total_seconds())
        self._signing_key: Any
        self._verify_key: Any
        if self._algorithm == "HS256":
            secret = (
                settings.secret_key.get_secret_value()
                if settings.secret_key is not None
                else load_or_create_dev_secret(settings.secret_key_file)
            )
            self._signing_key = self._verify_key = secret.encode()
        else:
            assert settings.jwt_private_key_file is not None  # the settings validator says so
            self._signing_key, self._verify_key = load_key_pair(
                self._algorithm, settings.jwt_private_key_file, settings.jwt_public_key_file
            )
        self._cache: OrderedDict[str, AccessClaims] = OrderedDict()
        self._cache_size = cache_size
        # The root of keys for other purposes (page tokens): what only this server knows.
        if self._algorithm == "HS256":
            self._root_key: bytes = self._signing_key
        else:
            from cryptography.hazmat.primitives.serialization import (
                Encoding,
                NoEncryption,
                PrivateFormat,
            )

            self._root_key = self._signing_key.private_bytes(
                Encoding.DER, PrivateFormat.PKCS8, NoEncryption()
            )

    def derive_key(self, label: bytes) -> bytes:
        """A 32-byte key for one purpose, HMAC-SHA256(root, label): the root is the HS256
        secret or the RS256/ES256 private key, so only the server can compute it, and
        distinct labels give unrelated keys (a page-token key never signs a JWT)."""
        return hmac.new(self._root_key, label, hashlib.sha256).digest()

    def issue_access_token(
        self,
        subject: str,
        scopes: frozenset[str] = frozenset(),
        ttl_seconds: int | None = None,
        session_id: str | None = None,
        department_id: int | None = None,
        role: str | None = None,
    ) -> tuple[str, int]:
        """Sign an access token; returns (token, seconds until expiry). A user's token
        names its sign-in (`session_id`, the refresh-token family), department and role."""
        ttl = self._access_ttl if ttl_seconds is None else ttl_seconds
        if ttl <= 0:
            raise ValueError("token lifetime must be positive")
        now = int(time.time())
        claims = {
            "sub": subject,
            "iat": now,
            "nbf": now,
            "exp": now + ttl,
            "iss": self._issuer,
            "aud": self._audience,
            "jti": uuid.uuid4().hex,
            "token_type": ACCESS_TOKEN_TYPE,
            "scope": " ".join(sorted(scopes)),
        }
        if session_id is not None:
            claims["sid"] = session_id
        if department_id is not None:
            claims["dept"] = department_id
        if role is not None:
            claims["role"] = str(role)
        return jwt.encode(claims, self._signing_key, algorithm=self._algorithm), ttl

    def verify_access_token(self, token: str) -> AccessClaims:
        """Verify signature and claims; raise Unauthenticated with a clear reason."""
        cached = self._cache.get(token)
        if cached is not None:
            if cached.expires_at + _LEEWAY_SECONDS > time.time():
                return cached
            self._cache.pop(token, None)
            raise Unauthenticated("access token has expired", reason=Reason.TOKEN_EXPIRED)
        claims = self._decode(token)
        if len(self._cache) >= self._cache_size:
            self._cache.popitem(last=False)
        self._cache[token] = claims
        return claims

    def _decode(self, token: str) -> AccessClaims:
        try:
            payload = jwt.decode(
                token,
                self._verify_key,
                algorithms=[self._algorithm],
                audience=self._audience,
                issuer=self._issuer,
                leeway=_LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "nbf", "iss", "aud", "sub", "jti"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("access token has expired", reason=Reason.TOKEN_EXPIRED) from None
        except jwt.ImmatureSignatureError:
            raise Unauthenticated("access token is not valid yet") from None
        except jwt.InvalidAudienceError:
            raise Unauthenticated("access token has the wrong audience") from None
        except jwt.InvalidIssuerError:
            raise Unauthenticated("access token has the wrong issuer") from None
        except jwt.MissingRequiredClaimError as exc:
            raise Unauthenticated(f"access token lacks the '{exc.claim}' claim") from None
        except jwt.InvalidAlgorithmError:
            raise Unauthenticated("access token uses a disallowed algorithm") from None
        except jwt.InvalidSignatureError:
            raise Unauthenticated("access token signature is invalid") from None
        except jwt.PyJWTError:
            raise Unauthenticated("access token is malformed") from None
        if payload.get("token_type") != ACCESS_TOKEN_TYPE:
            raise Unauthenticated("token is not an access token")
        subject = payload["sub"]
        if (
            not isinstance(subject, str)
            or not _VALID_SUBJECT.fullmatch(subject)
            or (subject.isdigit() and int(subject) > _MAX_USER_ID)
        ):
            raise Unauthenticated("access token has an invalid subject")
        scope = payload.get("scope", "")
        if not isinstance(scope, str):
            raise Unauthenticated("access token has an invalid scope claim")
        session_id = payload.get("sid")
        if session_id is not None and (
            not isinstance(session_id, str) or not 0 < len(session_id) <= _MAX_SESSION_ID
        ):
            raise Unauthenticated("access token has an invalid session claim")
        department = payload.get("dept")
        if department is not None and (
            not isinstance(department, int) or not 0 < department <= _MAX_USER_ID
        ):
            raise Unauthenticated("access token has an invalid department claim")
        role = payload.get("role")
        if role is not None and (not isinstance(role, str) or len(role) > 16):
            raise Unauthenticated("access token has an invalid role claim")
        return AccessClaims(
            subject=subject,
            scopes=frozenset(scope.split()),
            expires_at=float(payload["exp"]),
            token_id=str(payload["jti"]),
            issued_at=float(payload["iat"]),
            session_id=session_id,
            department_id=department,
            role=role,
        )


def new_refresh_token() -> tuple[str, str]:
    """An opaque refresh token and the SHA-256 hash that is all the database keeps."""
    token = secrets.token_urlsafe(32)
    return token, hash_refresh_token(token)


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
