"""Files the server creates are private (issue 19, finding 6).

`db upgrade` and `serve` make the SQLite database and its -wal/-shm files mode 0600
whatever the umask (they hold password hashes, refresh-token hashes and chat text),
and the development secret file is used only if it is the current user's, mode 0600
and not a symlink; otherwise the server refuses to start with a message naming the fix.
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from opengovfood.services.tokens import KeyConfigError, load_or_create_dev_secret
from support.subprocess_server import CLI, start_server_process

KEY = "a development secret key that is long enough 0123456789\n"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _cli_env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENGOVFOOD_")}
    return {
        **env,
        "OPENGOVFOOD_DATABASE_URL": f"sqlite+aiosqlite:///{tmp / 'server.db'}",
        "OPENGOVFOOD_LLM_WARM_UP": "false",
        **extra,
    }


def _with_umask_022() -> None:
    os.umask(0o022)  # what a shell usually has: files 0644 unless made private


def test_db_upgrade_and_serve_make_the_sqlite_files_0600(tmp_path: Path) -> None:
    database = tmp_path / "server.db"
    subprocess.run(
        [str(CLI), "db", "upgrade"],
        env=_cli_env(tmp_path, OPENGOVFOOD_SECRET_KEY="x" * 40),
        check=True,
        capture_output=True,
        preexec_fn=_with_umask_022,
    )
    assert mode(database) == 0o600
    server = start_server_process(f"sqlite+aiosqlite:///{database}", tmp_path)
    try:
        wal, shm = Path(f"{database}-wal"), Path(f"{database}-shm")
        assert wal.exists()
        assert shm.exists()
        assert (mode(database), mode(wal), mode(shm)) == (0o600, 0o600, 0o600)
    finally:
        server.stop()


def test_an_existing_database_readable_by_others_is_made_private(tmp_path: Path) -> None:
    from opengovfood.db.engine import make_sqlite_file_private

    database = tmp_path / "old.db"
    database.write_bytes(b"")
    database.chmod(0o644)
    make_sqlite_file_private(f"sqlite+aiosqlite:///{database}")
    assert mode(database) == 0o600


def test_a_new_secret_file_is_0600(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    old = os.umask(0o000)
    try:
        key = load_or_create_dev_secret(path)
    finally:
        os.umask(old)
    assert mode(path) == 0o600
    assert load_or_create_dev_secret(path) == key


def test_a_secret_file_others_can_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    path.write_text(KEY)
    path.chmod(0o644)
    with pytest.raises(KeyConfigError, match=r"mode 0644.*chmod 600"):
        load_or_create_dev_secret(path)


def test_a_symlinked_secret_file_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "real-secret"
    real.write_text(KEY)
    real.chmod(0o600)
    link = tmp_path / "secret"
    link.symlink_to(real)
    with pytest.raises(KeyConfigError, match="symbolic link"):
        load_or_create_dev_secret(link)


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_a_secret_file_of_another_user_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    path.write_text(KEY)
    path.chmod(0o600)
    os.chown(path, 65534, 65534)
    with pytest.raises(KeyConfigError, match=r"belongs to uid 65534.*chown"):
        load_or_create_dev_secret(path)


def test_serve_refuses_a_bad_secret_file_with_the_fix(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text(KEY)
    secret.chmod(0o640)
    result = subprocess.run(
        [str(CLI), "serve", "--address", "127.0.0.1:0"],
        env=_cli_env(tmp_path, OPENGOVFOOD_SECRET_KEY_FILE=str(secret)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr[-2000:]
    assert f"run `chmod 600 {secret}`" in result.stderr
    assert "Traceback" not in result.stderr
