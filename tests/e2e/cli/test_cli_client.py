"""The client commands of `opengov-food` against a real server: output for people and
`--json` for scripts, the saved session, and clean one-line errors with exit codes."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from opengovfood.cli import main
from opengovfood.cli.credentials import CredentialStore
from opengovfood.config import Settings
from opengovfood_client import TokenPair
from opengovfood_client.aio import AsyncClient
from support.certs import CertAuthority
from support.cli import Cli
from support.clients import PASSWORD, unique_email
from support.server import RunningServer, UserFactory, make_settings, start_server, stop_server

CLI = Path(sys.executable).parent / "opengov-food"


@pytest.fixture(autouse=True)
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    monkeypatch.delenv("OPENGOVFOOD_TOKEN", raising=False)
    monkeypatch.delenv("OPENGOVFOOD_ADDRESS", raising=False)
    return home


@pytest.fixture
def cli(server: RunningServer) -> Cli:
    return Cli(server)


async def test_login_whoami_logout(cli: Cli, config_home: Path) -> None:
    email = await cli.login()
    path = config_home / "opengovfood" / "credentials.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    saved = json.loads(path.read_text())["servers"][cli.address]
    assert saved["email"] == email
    assert saved["refresh_token"]

    code, out, _ = await cli("whoami", "--json")
    assert code == 0
    assert json.loads(out)["email"] == email
    code, out, _ = await cli("whoami")
    assert code == 0
    assert email in out
    assert "Ins Pector" in out

    code, _, err = await cli("logout")
    assert code == 0
    assert "Signed out" in err
    assert cli.address not in json.loads(path.read_text())["servers"]
    code, _, err = await cli("whoami")
    assert code == 3
    assert err == f"error: not signed in to {cli.address}: run `opengov-food login`\n"
    # The refresh token was revoked on the server as well.
    async with AsyncClient(cli.address, tokens=TokenPair.from_dict(saved)) as client:
        with pytest.raises(Exception, match="UNAUTHENTICATED"):
            await client.refresh()


async def test_wrong_password_is_one_line_and_exit_3(cli: Cli) -> None:
    code, out, err = await cli(
        "login", "--email", unique_email(), "--password-stdin", stdin="wrong password 1"
    )
    assert code == 3
    assert out == ""
    assert err.startswith("error: ")
    assert err.count("\n") == 1


async def test_items_commands(cli: Cli) -> None:
    await cli.login()
    code, out, _ = await cli(
        "items", "create", "--title", "Walk-in cooler at 9 C", "--description", "milk", "--json"
    )
    assert code == 0
    item = json.loads(out)
    assert item["title"] == "Walk-in cooler at 9 C"
    assert item["status"] == "ITEM_STATUS_PENDING"
    item_id = item["id"]

    code, out, _ = await cli("items", "get", item_id)
    assert code == 0
    assert "Walk-in cooler at 9 C" in out
    assert "pending" in out

    code, out, _ = await cli("items", "list", "--json")
    assert code == 0
    assert [i["id"] for i in json.loads(out)] == [item_id]
    code, out, _ = await cli("items", "list")
    assert code == 0
    assert "Walk-in cooler" in out

    code, out, _ = await cli(
        "items", "update", item_id, "--status", "completed", "--etag", item["etag"], "--json"
    )
    assert code == 0
    assert json.loads(out)["status"] == "ITEM_STATUS_COMPLETED"
    # The old etag is stale now: a conditional change is refused.
    code, _, err = await cli("items", "update", item_id, "--title", "x", "--etag", item["etag"])
    assert code == 1
    assert "ABORTED" in err

    code, _, err = await cli("items", "create", "--title", "")
    assert code == 1
    assert "item.title" in err
    assert "INVALID_ARGUMENT" in err

    code, _, err = await cli("items", "delete", item_id)
    assert code == 0
    code, _, err = await cli("items", "get", item_id)
    assert code == 4
    assert "NOT_FOUND" in err


async def test_items_list_limits_and_says_so(cli: Cli) -> None:
    await cli.login()
    for i in range(4):
        code, _, _ = await cli("items", "create", "--title", f"item {i}")
        assert code == 0
    code, out, _ = await cli("items", "list", "--limit", "2")
    assert code == 0
    assert "2 of 4 items" in out
    code, out, _ = await cli("items", "list", "--all", "--json")
    assert len(json.loads(out)) == 4
    code, out, _ = await cli("items", "list", "--filter", 'title:"item 3"', "--json")
    assert [i["title"] for i in json.loads(out)] == ["item 3"]
    code, _, err = await cli("items", "list", "--filter", "nonsense ===")
    assert code == 1
    assert "INVALID_ARGUMENT" in err


async def test_items_watch_prints_events_as_json_lines(cli: Cli) -> None:
    await cli.login()
    session = CredentialStore().get(cli.address)
    assert session is not None
    watch = asyncio.create_task(cli("items", "watch", "--count", "1", "--json"))
    async with AsyncClient(cli.address, tokens=session.tokens) as writer:
        for _ in range(100):
            await writer.items.create("watched by the CLI")
            await asyncio.sleep(0.05)
            if watch.done():
                break
    code, out, _ = await asyncio.wait_for(watch, 10)
    assert code == 0
    (line,) = out.splitlines()
    event = json.loads(line)
    assert event["type"] == "ITEM_EVENT_TYPE_CREATED"
    assert event["item"]["title"] == "watched by the CLI"


async def test_status(cli: Cli) -> None:
    code, out, _ = await cli("status")
    assert code == 0
    assert "opengovfood.v1.ItemService" in out
    assert "SERVING" in out
    code, out, _ = await cli("status", "--json")
    report = json.loads(out)
    assert report["services"][""] == "SERVING"
    assert set(report["services"]) == {
        "",
        "opengovfood.v1.UserService",
        "opengovfood.v1.ItemService",
        "opengovfood.v1.AgentService",
        "opengovfood.v1.EstablishmentService",
    }
    email = await cli.login()
    code, out, _ = await cli("status", "--json")
    assert json.loads(out)["user"] == email


async def test_a_due_session_is_refreshed_and_the_new_token_saved(cli: Cli) -> None:
    await cli.login()
    store = CredentialStore()
    session = store.get(cli.address)
    assert session is not None
    due = TokenPair(
        session.tokens.access_token, session.tokens.refresh_token, time.time(), time.time() - 60
    )
    store.put(cli.address, session.email, due)
    code, _, _ = await cli("whoami")
    assert code == 0
    after = store.get(cli.address)
    assert after is not None
    assert after.tokens.refresh_token != session.tokens.refresh_token  # rotated and saved
    code, _, _ = await cli("whoami")  # and the saved one works
    assert code == 0


async def test_service_token_from_the_environment(
    cli: Cli, make_user: UserFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    ((_, bearer),) = make_user.service_token("reporting", frozenset({"items:read"}))
    monkeypatch.setenv("OPENGOVFOOD_TOKEN", bearer.removeprefix("Bearer "))
    code, out, err = await cli("items", "list", "--json")
    assert code == 0, err
    assert isinstance(json.loads(out), list)


async def test_usage_errors_exit_2(cli: Cli) -> None:
    await cli.login()
    code, _, err = await cli("items", "update", "1")
    assert code == 2
    assert "nothing to update" in err
    with pytest.raises(SystemExit) as caught:
        main(["items", "create", "--title", "x", "--status", "bogus"])
    assert caught.value.code == 2


def test_unreachable_server_is_one_line_and_exit_5(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path)}
    result = subprocess.run(
        [CLI, "status", "--address", "127.0.0.1:9", "--timeout", "1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 5
    assert result.stderr == "error: cannot reach the server at 127.0.0.1:9 (is it running?)\n"


def test_plaintext_to_a_remote_host_is_refused(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path)}
    result = subprocess.run(
        [CLI, "status", "--address", "198.51.100.7:50051"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 2
    assert "not a loopback address" in result.stderr
    assert "Traceback" not in result.stderr


async def test_login_prompts_when_run_by_a_person(server: RunningServer, tmp_path: Path) -> None:
    email = unique_email("prompt")
    async with AsyncClient(server.address) as client:
        await client.users.register(email, PASSWORD, "Prompted")
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path)}
    # No terminal here: getpass falls back to reading stdin (with a warning).
    process = await asyncio.create_subprocess_exec(
        CLI,
        "login",
        "--address",
        server.address,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    out, err = await asyncio.wait_for(process.communicate(f"{email}\n{PASSWORD}\n".encode()), 60)
    assert process.returncode == 0, err
    assert b"Email: " in out
    assert f"as Prompted <{email}>".encode() in err
    assert CredentialStore(tmp_path / "opengovfood").get(server.address) is not None


async def test_status_over_mutual_tls(settings: Settings, tmp_path: Path) -> None:
    ca = CertAuthority()
    server_cert, server_key = ca.issue_server().write(tmp_path, "server")
    client_cert, client_key = ca.issue("inspector-laptop").write(tmp_path, "client")
    ca_file = ca.write(tmp_path)
    running = await start_server(
        make_settings(
            settings.database_url,
            tmp_path,
            tls_cert=server_cert,
            tls_key=server_key,
            tls_client_ca=ca_file,
        )
    )
    try:
        cli = Cli(running)
        tls = ["--tls-ca", str(ca_file), "--tls-server-name", "localhost"]
        mtls = [*tls, "--tls-cert", str(client_cert), "--tls-key", str(client_key)]
        code, out, _ = await cli("status", "--json", *mtls)
        assert code == 0
        assert json.loads(out)["services"][""] == "SERVING"
        code, _, err = await cli("status", *tls, "--timeout", "2")  # no client certificate
        assert code == 5
        assert err.startswith(f"error: cannot connect to {running.address}: ")
        assert err.endswith("(check the --tls options)\n")
        code, _, err = await cli("status", "--tls-ca", str(tmp_path / "missing.pem"))
        assert code == 2
        assert "cannot read" in err
    finally:
        await stop_server(running)
