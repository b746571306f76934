"""`opengov-food users create`, `token issue` and `db seed`, run as a user would."""

from __future__ import annotations

import io
import os
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import jwt
import pytest
from sqlalchemy import func, select

from opengovfood import cli
from opengovfood.config import get_settings
from opengovfood.db.models import Item
from opengovfood_client.v1 import items_pb2, items_pb2_grpc, users_pb2, users_pb2_grpc
from support.auth import bearer, login, unique_email
from support.cli import run_cli
from support.databases import TestDatabase as Database
from support.rpc_errors import rpc_error
from support.server import SECRET, RunningServer, make_settings, start_server, stop_server


async def test_users_create_reads_the_password_from_stdin(
    test_database: Database, tmp_path: Path, users_stub: users_pb2_grpc.UserServiceStub
) -> None:
    email = unique_email("cli")
    result = run_cli(
        test_database.url,
        tmp_path,
        "users",
        "create",
        "--email",
        email.upper(),
        "--full-name",
        "Cli Admin",
        "--superuser",
        "--password-stdin",
        stdin="cli password 1\n",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"created superuser {email} (id ")
    assert "cli password 1" not in result.stdout + result.stderr
    tokens = await login(users_stub, email, "cli password 1")
    me = await users_stub.GetMe(users_pb2.GetMeRequest(), metadata=bearer(tokens.access_token))
    assert me.is_superuser
    assert me.full_name == "Cli Admin"

    again = run_cli(
        test_database.url,
        tmp_path,
        "users",
        "create",
        "--email",
        email,
        "--password-stdin",
        stdin="cli password 1\n",
    )
    assert again.returncode == 1
    assert again.stderr.strip() == "error: a user with this email already exists"


def test_users_create_errors(
    cli_environment: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert cli.main(["users", "create", "--email", "nope", "--password-stdin"]) == 1
    err = capsys.readouterr().err
    assert "email: is not a valid email address" in err
    assert "password: must be at least 8 characters" in err
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # not a terminal
    assert cli.main(["users", "create", "--email", unique_email()]) == 1
    assert "use --password-stdin" in capsys.readouterr().err
    # There is no way to pass the password as an argument (it would show in `ps`).
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["users", "create", "--email", unique_email(), "--password", "x"])
    assert exit_info.value.code == 2
    assert "unrecognized arguments" in capsys.readouterr().err


def test_users_create_on_an_unmigrated_database(tmp_path: Path) -> None:
    result = run_cli(
        f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}",
        tmp_path,
        "users",
        "create",
        "--email",
        unique_email(),
        "--password-stdin",
        stdin="a fine password\n",
    )
    assert result.returncode == 1
    assert "run 'opengov-food db upgrade' first" in result.stderr


@pytest.fixture
def cli_environment(
    monkeypatch: pytest.MonkeyPatch, test_database: Database, tmp_path: Path
) -> Iterator[None]:
    for key in list(os.environ):
        if key.startswith("OPENGOVFOOD_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("OPENGOVFOOD_DATABASE_URL", test_database.url)
    monkeypatch.setenv("OPENGOVFOOD_SECRET_KEY", SECRET)
    monkeypatch.setenv("OPENGOVFOOD_BCRYPT_ROUNDS", "4")
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_users_create_prompts_twice_for_the_password(
    cli_environment: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Runs in this process (no terminal otherwise): prompt, confirm, mismatch."""
    answers = iter(["prompted pass 1", "prompted pass 1", "first answer", "second answer"])
    prompts: list[str] = []

    def fake_getpass(prompt: str) -> str:
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr("getpass.getpass", fake_getpass)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    email = unique_email("prompted")
    assert cli.main(["users", "create", "--email", email]) == 0
    assert prompts == ["Password: ", "Repeat password: "]
    assert f"created user {email}" in capsys.readouterr().out
    assert cli.main(["users", "create", "--email", unique_email()]) == 1
    assert "the passwords do not match" in capsys.readouterr().err


async def test_token_issue_mints_a_scoped_service_token(
    test_database: Database,
    tmp_path: Path,
    channel: grpc.aio.Channel,
) -> None:
    before = int(time.time())
    result = run_cli(
        test_database.url,
        tmp_path,
        "token",
        "issue",
        "--service",
        "reports",
        "--scope",
        "items:read",
        "--ttl",
        "2h",
    )
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert "expires in 7200 s" in result.stderr
    payload = jwt.decode(token, SECRET, algorithms=["HS256"], audience="opengovfood")
    assert payload["sub"] == "service:reports"
    assert payload["scope"] == "items:read"
    assert before + 7200 <= payload["exp"] <= int(time.time()) + 7200
    # The server accepts it for item reads and nothing else.
    users = users_pb2_grpc.UserServiceStub(channel)
    await rpc_error(
        users.GetMe(users_pb2.GetMeRequest(), metadata=bearer(token)),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    items = items_pb2_grpc.ItemServiceStub(channel)
    code = grpc.StatusCode.OK
    try:
        await items.ListItems(items_pb2.ListItemsRequest(), metadata=bearer(token))
    except grpc.aio.AioRpcError as error:  # the item service may not be built yet here
        code = error.code()
    assert code not in (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNAUTHENTICATED)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--service", "reports", "--scope", "users:admin"), "unknown scope users:admin"),
        (("--service", "bad name", "--scope", "items:read"), "--service must be"),
        (("--service", "reports", "--scope", "items:read", "--ttl", "31d"), "at most 30 days"),
        (("--service", "reports", "--scope", "items:read", "--ttl", "soon"), "not a duration"),
        (("--service", "reports", "--scope", "items:read", "--ttl", "0m"), "must be positive"),
    ],
)
def test_token_issue_errors(
    cli_environment: None, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    try:
        code = cli.main(["token", "issue", *args])
    except SystemExit as exit_info:  # argparse rejects bad --ttl values itself
        code = int(str(exit_info.code))
    assert code != 0
    output = capsys.readouterr()
    assert message in output.err
    assert output.out == ""


async def test_db_seed_adds_demo_data_once(fresh_database: str, tmp_path: Path) -> None:
    first = run_cli(fresh_database, tmp_path, "db", "seed")
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert lines[0] == "created demo users (the passwords are shown only this once):"
    accounts = [line.split() for line in lines[1:4]]
    assert [a[0] for a in accounts] == [
        "admin@example.org",
        "inspector@example.org",
        "analyst@example.org",
    ]
    assert [a[1] for a in accounts] == ["superuser", "user", "user"]
    assert lines[4] == "added 6 demo items"
    assert lines[5] == (
        "imported 342 City of Chicago inspections (March 2020, with their establishments "
        "and violations) for inspector@example.org"
    )
    second = run_cli(fresh_database, tmp_path, "db", "seed")
    assert second.returncode == 0
    assert second.stdout.strip() == "the demo users already exist; nothing added"

    running: RunningServer = await start_server(make_settings(fresh_database, tmp_path))
    try:
        async with grpc.aio.insecure_channel(running.address) as channel:
            stub = users_pb2_grpc.UserServiceStub(channel)
            for email, role, password in accounts:
                tokens = await login(stub, email, password)
                me = await stub.GetMe(
                    users_pb2.GetMeRequest(), metadata=bearer(tokens.access_token)
                )
                assert me.is_superuser == (role == "superuser")
        async with running.app.container.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(Item)) == 6 + 342
    finally:
        await stop_server(running)
