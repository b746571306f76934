"""`make lint`'s `buf breaking --against api/released.binpb` catches a change that
breaks clients of the released API, and lets additive changes through."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
MAKEFILE = (ROOT / "Makefile").read_text()
BUF = re.search(r"^BUF := (.*)$", MAKEFILE, re.MULTILINE)
BASELINE = ROOT / "api" / "released.binpb"

pytestmark = pytest.mark.skipif(
    shutil.which("npx") is None, reason="buf runs through npx (Node.js), as in make lint"
)


def _breaking(
    tmp_path: Path, edit: tuple[str, str, str] | None
) -> subprocess.CompletedProcess[str]:
    """buf breaking on a copy of the protos, with one edit (file, old, new) applied."""
    shutil.copytree(ROOT / "protos", tmp_path / "protos")
    shutil.copy(ROOT / "buf.yaml", tmp_path / "buf.yaml")
    if edit is not None:
        name, old, new = edit
        path = tmp_path / "protos" / "opengovfood" / "v1" / name
        text = path.read_text()
        assert old in text, f"the edit no longer applies: {old!r}"
        path.write_text(text.replace(old, new, 1))
    assert BUF is not None
    return subprocess.run(
        [*BUF.group(1).split(), "breaking", "--against", str(BASELINE)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_lint_runs_buf_breaking_against_the_baseline() -> None:
    assert "$(BUF) breaking --against $(API_BASELINE)" in MAKEFILE
    assert "API_BASELINE := api/released.binpb" in MAKEFILE
    assert BASELINE.stat().st_size > 1000


def test_the_protos_as_they_are_do_not_break_the_release(tmp_path: Path) -> None:
    done = _breaking(tmp_path, None)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    "edit",
    [
        ("items.proto", "string title = 2;", "string name = 2;"),  # renamed field
        ("items.proto", "string title = 2;", "string title = 12;"),  # renumbered
        (
            "users.proto",
            "  rpc GetMe(GetMeRequest) returns (User)",
            "  rpc WhoAmI(GetMeRequest) returns (User)",
        ),
    ],
    ids=["renamed-field", "renumbered-field", "renamed-method"],
)
def test_a_breaking_change_fails(tmp_path: Path, edit: tuple[str, str, str]) -> None:
    done = _breaking(tmp_path, edit)
    assert done.returncode != 0
    assert "opengovfood/v1/" in done.stdout + done.stderr


def test_an_additive_change_passes(tmp_path: Path) -> None:
    added = (
        "items.proto",
        "message Item {",
        "message ItemNote {\n  string text = 1;\n}\n\nmessage Item {",
    )
    done = _breaking(tmp_path, added)
    assert done.returncode == 0, done.stdout + done.stderr
