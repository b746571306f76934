"""Generate the synchronous client from the asyncio one (as httpcore does):
src/opengovfood_client/_async/client.py -> src/opengovfood_client/_sync/client.py.

    python clients/python/tools/unasync.py           # write
    python clients/python/tools/unasync.py --check   # fail if the generated file is stale

Line by line, token-level substitutions: `async`/`await` go, async protocols become
their sync twins, and `AsyncX` names become `X`. What really differs between grpc.aio
and grpc (channel, lock, cancellation) lives in the hand-written `_transport.py` twins.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "opengovfood_client"
SOURCE = PACKAGE / "_async" / "client.py"
TARGET = PACKAGE / "_sync" / "client.py"

SUBSTITUTIONS = [
    (r"\basync def\b", "def"),
    (r"\basync for\b", "for"),
    (r"\basync with\b", "with"),
    (r"\bawait ", ""),
    (r"\b__aenter__\b", "__enter__"),
    (r"\b__aexit__\b", "__exit__"),
    (r"\b__aiter__\b", "__iter__"),
    (r"\bAsyncIterator\b", "Iterator"),
    (r"\bAsync([A-Z]\w*)", r"\1"),  # AsyncClient -> Client, AsyncStream -> Stream, ...
]
HEADER = "# Generated from _async/client.py by tools/unasync.py (make client-sync): do not edit.\n"
# The module docstring speaks of asyncio; the sync face gets its own.
DOCSTRING = re.compile(r'\A"""(.*?)"""\n', re.DOTALL)
SYNC_DOCSTRING = (
    '"""The synchronous client: `Client(address)`, then `client.items.list()` and friends.\n'
    + '''
    with Client("127.0.0.1:50051") as client:
        client.login("ann@example.org", "a long passphrase")
        item = client.items.create(title="Walk-in cooler at 9 C")
        for item in client.items.list(filter="status = ITEM_STATUS_PENDING"):
            print(item.id, item.title)

Thread-safe: one Client can serve many threads (it shares one HTTP/2 connection).
"""
'''
)


def unasync(text: str) -> str:
    text = DOCSTRING.sub(lambda _m: SYNC_DOCSTRING, text, count=1)
    lines = []
    for line in text.splitlines(keepends=True):
        for pattern, replacement in SUBSTITUTIONS:
            line = re.sub(pattern, replacement, line)
        lines.append(line)
    return HEADER + "".join(lines)


def formatted(text: str) -> str:
    """As `make fmt` would leave it (imports sorted, lines wrapped)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "client.py"
        path.write_text(text)
        ruff = [sys.executable, "-m", "ruff"]
        config = ["--config", str(PACKAGE.parents[3] / "pyproject.toml")]
        subprocess.run([*ruff, "check", "--fix", "--quiet", *config, str(path)], check=False)
        subprocess.run([*ruff, "format", "--quiet", *config, str(path)], check=True)
        return path.read_text()


def main(argv: list[str]) -> int:
    generated = formatted(unasync(SOURCE.read_text()))
    if "--check" in argv:
        if not TARGET.exists() or TARGET.read_text() != generated:
            print(f"{TARGET} is stale: run 'make client-sync' and commit", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(generated)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
