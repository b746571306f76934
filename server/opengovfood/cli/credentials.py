"""Where `opengov-food login` keeps its session: one token pair per server address.

File: `$XDG_CONFIG_HOME/opengovfood/credentials.json` (default `~/.config/...`),
mode 0600 in a 0700 directory, replaced atomically. Tokens are kept per address
so a refresh token is only ever sent to the server that issued it.

Refresh tokens rotate (single use), so two commands refreshing the same token
at once would have the second one present a used token and revoke the session.
`refresh_lock()` (flock on a side file) serialises the read-refresh-write step
across processes.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opengovfood_client import TokenPair

FILE_NAME = "credentials.json"


def config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "opengovfood"


@dataclass(frozen=True)
class Session:
    email: str
    tokens: TokenPair


class CredentialStore:
    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or config_dir()
        self.path = self.directory / FILE_NAME

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {"servers": {}}
        except (OSError, ValueError):
            return {"servers": {}}  # unreadable or corrupt: behave as signed out
        if not isinstance(data, dict) or not isinstance(data.get("servers"), dict):
            return {"servers": {}}
        return data

    def _write(self, data: dict[str, Any]) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".credentials-", suffix=".tmp")
        try:
            os.fchmod(fd, 0o600)  # mkstemp already uses 0600; be explicit, it's a secret
            with os.fdopen(fd, "w") as handle:
                json.dump(data, handle, indent=2)
                handle.write("\n")
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    def get(self, address: str) -> Session | None:
        entry = self._read()["servers"].get(address)
        if not isinstance(entry, dict):
            return None
        try:
            return Session(email=str(entry.get("email", "")), tokens=TokenPair.from_dict(entry))
        except (KeyError, TypeError, ValueError):
            return None

    def put(self, address: str, email: str, tokens: TokenPair) -> None:
        data = self._read()
        data["servers"][address] = {"email": email, **tokens.to_dict()}
        self._write(data)

    def update_tokens(self, address: str, tokens: TokenPair | None) -> None:
        """Save a rotated pair (or forget the session when None)."""
        if tokens is None:
            self.remove(address)
            return
        session = self.get(address)
        self.put(address, session.email if session else "", tokens)

    def remove(self, address: str) -> bool:
        data = self._read()
        if data["servers"].pop(address, None) is None:
            return False
        self._write(data)
        return True

    @contextlib.contextmanager
    def refresh_lock(self) -> Iterator[None]:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.directory / ".credentials.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock
