"""`serve` and the schema: it refuses a database its migrations have not reached,
and with OPENGOVFOOD_MIGRATE_ON_START it migrates first (the image's opt-in)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from opengovfood.db import migrate
from support.databases import create_test_database
from support.subprocess_server import CLI, free_port, start_server_process

BASE = os.environ.get("OPENGOVFOOD_TEST_DATABASE_URL", "sqlite")
ALL_REVISIONS = migrate.revisions()


def test_serve_refuses_a_schema_behind_this_release(tmp_path: Path) -> None:
    with create_test_database(BASE, tmp_path) as database:
        migrate.upgrade(database.url, "0001")
        done = subprocess.run(
            [str(CLI), "serve", "--address", f"127.0.0.1:{free_port()}"],
            env={**os.environ, "OPENGOVFOOD_DATABASE_URL": database.url},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 1
        later = ", ".join(ALL_REVISIONS[1:])
        assert f"lacks migrations {later}: run `opengov-food db upgrade` first" in done.stderr
        assert migrate.pending(database.url) == ALL_REVISIONS[1:]


def test_migrate_on_start_migrates_an_empty_database_then_serves(tmp_path: Path) -> None:
    with create_test_database(BASE, tmp_path) as database:
        assert migrate.pending(database.url) == ALL_REVISIONS
        # It migrates before it serves: more time than a plain start on a loaded machine.
        server = start_server_process(
            database.url, tmp_path, {"OPENGOVFOOD_MIGRATE_ON_START": "true"}, start_within=120
        )
        try:
            assert migrate.pending(database.url) == []
            applied = ", ".join(ALL_REVISIONS)
            assert f"database upgraded to head ({applied})" in server.log.read_text()
        finally:
            assert server.stop() == 0
