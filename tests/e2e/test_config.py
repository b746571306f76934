"""Configuration: the README reference is generated, `config` masks secrets, bad
settings stop `serve` at once with one line naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from opengovfood.config import Settings
from opengovfood.config_reference import (
    END_MARKER,
    START_MARKER,
    effective,
    reference_markdown,
    replace_section,
    section_of,
)
from support.certs import CertAuthority

ROOT = Path(__file__).resolve().parents[2]
SECRET = "a-real-production-secret-key-0123456789abcdef"


def test_readme_reference_is_in_sync() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert section_of(readme) == reference_markdown(), (
        "README.md's configuration reference is stale: run `make docs` and commit"
    )


def test_reference_names_every_setting_with_a_description() -> None:
    table = reference_markdown()
    for name, info in Settings.model_fields.items():
        assert f"| `OPENGOVFOOD_{name.upper()}` |" in table
        assert info.description, f"{name} has no description"


def test_replace_section_keeps_the_rest_of_the_document() -> None:
    document = f"# Title\n\nintro\n\n{START_MARKER}\nold table\n{END_MARKER}\n\nafter\n"
    updated = replace_section(document, "| new |\n")
    assert updated == f"# Title\n\nintro\n\n{START_MARKER}\n| new |\n{END_MARKER}\n\nafter\n"
    assert section_of(updated) == "| new |\n"
    with pytest.raises(ValueError, match="no <!-- config-reference:start -->"):
        replace_section("no markers", "x")


def test_effective_configuration_masks_secrets() -> None:
    settings = Settings(
        secret_key=SECRET,  # type: ignore[arg-type]
        openai_api_key="sk-very-secret",  # type: ignore[arg-type]
        database_url="postgresql+asyncpg://app:db-password@db:5432/opengovfood",
        redis_url="redis://:redis-password@cache:6379/0",
    )
    rows = {name: (text, explicit) for name, text, explicit in effective(settings)}
    printed = repr(rows)
    for secret in (SECRET, "sk-very-secret", "db-password", "redis-password"):
        assert secret not in printed
    assert rows["OPENGOVFOOD_SECRET_KEY"] == ("********", True)
    assert rows["OPENGOVFOOD_DATABASE_URL"] == (
        "postgresql+asyncpg://app:********@db:5432/opengovfood",
        True,
    )
    assert rows["OPENGOVFOOD_REDIS_URL"][0] == "redis://:********@cache:6379/0"
    assert rows["OPENGOVFOOD_ADDRESS"] == ("127.0.0.1:50051", False)
    assert rows["OPENGOVFOOD_FIRST_SUPERUSER_PASSWORD"] == ("", False)


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real console entry point in a fresh process with exactly these OPENGOVFOOD_*."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("OPENGOVFOOD_")}
    return subprocess.run(
        [str(Path(sys.executable).with_name("opengov-food")), *args],
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_config_command_prints_masked_configuration(tmp_path: Path) -> None:
    done = run_cli(
        "config",
        env={
            "OPENGOVFOOD_SECRET_KEY": SECRET,
            "OPENGOVFOOD_DATABASE_URL": "postgresql+asyncpg://app:db-password@db/x",
            "OPENGOVFOOD_SECRET_KEY_FILE": str(tmp_path / "secret"),
        },
    )
    assert done.returncode == 0, done.stderr
    assert SECRET not in done.stdout
    assert "db-password" not in done.stdout
    lines = done.stdout.splitlines()
    assert "OPENGOVFOOD_SECRET_KEY=********" in lines
    assert "OPENGOVFOOD_DATABASE_URL=postgresql+asyncpg://app:********@db/x" in lines
    assert "OPENGOVFOOD_ADDRESS=127.0.0.1:50051  # default" in lines
    assert len(lines) == len(Settings.model_fields)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"OPENGOVFOOD_DB_POOL_SIZE": "0"}, "OPENGOVFOOD_DB_POOL_SIZE: "),
        ({"OPENGOVFOOD_DB_POOL_SIZE": "lots"}, "OPENGOVFOOD_DB_POOL_SIZE: "),
        ({"OPENGOVFOOD_ADDRESS": "nowhere"}, "OPENGOVFOOD_ADDRESS: must be host:port"),
        ({"OPENGOVFOOD_TLS_CERT": "/no/such.crt"}, "OPENGOVFOOD_TLS_CERT: no such file"),
        (
            {"OPENGOVFOOD_TLS_CLIENT_PRINCIPALS": "{not json"},
            "OPENGOVFOOD_TLS_CLIENT_PRINCIPALS: not valid JSON",
        ),
        (
            {"OPENGOVFOOD_ENV": "production"},
            "OPENGOVFOOD_SECRET_KEY is required when OPENGOVFOOD_ENV=production",
        ),
    ],
)
def test_serve_with_a_bad_setting_fails_fast_with_one_line(
    env: dict[str, str], expected: str
) -> None:
    done = run_cli("serve", env={"OPENGOVFOOD_ADDRESS": "127.0.0.1:0", **env})
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("configuration error: ")
    assert expected in lines[0]


def test_tls_settings_are_checked_together(tmp_path: Path) -> None:
    ca = CertAuthority()
    cert, key = ca.issue_server().write(tmp_path, "server")
    principals = '{"reports-svc": ["items:read"]}'
    cases = [
        ({"OPENGOVFOOD_TLS_CERT": str(cert)}, "must be set together"),
        (
            {
                "OPENGOVFOOD_TLS_CERT": str(cert),
                "OPENGOVFOOD_TLS_KEY": str(key),
                "OPENGOVFOOD_TLS_CLIENT_PRINCIPALS": principals,
            },
            "OPENGOVFOOD_TLS_CLIENT_PRINCIPALS needs OPENGOVFOOD_TLS_CLIENT_CA",
        ),
        (
            {
                "OPENGOVFOOD_TLS_CERT": str(cert),
                "OPENGOVFOOD_TLS_KEY": str(key),
                "OPENGOVFOOD_TLS_CLIENT_CA": str(ca.write(tmp_path)),
                "OPENGOVFOOD_TLS_CLIENT_PRINCIPALS": '{"reports-svc": ["items:write-all"]}',
            },
            "OPENGOVFOOD_TLS_CLIENT_PRINCIPALS: unknown scope 'items:write-all'",
        ),
    ]
    for env, expected in cases:
        lines = run_cli("config", env=env).stderr.strip().splitlines()
        assert len(lines) == 1
        assert expected in lines[0]


def test_serve_refuses_a_key_that_does_not_match_the_certificate(tmp_path: Path) -> None:
    ca = CertAuthority()
    cert, _ = ca.issue_server().write(tmp_path, "server")
    _, other_key = ca.issue_server().write(tmp_path, "other")
    done = run_cli(
        "serve",
        env={
            "OPENGOVFOOD_ADDRESS": "127.0.0.1:0",
            "OPENGOVFOOD_TLS_CERT": str(cert),
            "OPENGOVFOOD_TLS_KEY": str(other_key),
            "OPENGOVFOOD_SECRET_KEY": SECRET,
            "OPENGOVFOOD_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'x.db'}",
        },
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "configuration error: OPENGOVFOOD_TLS_KEY does not match OPENGOVFOOD_TLS_CERT"
    ]
