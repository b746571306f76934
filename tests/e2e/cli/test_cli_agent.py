"""`opengov-food agent ...`, `llm ...` and `status` against a server whose LLM provider
is the fake Ollama."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fakes.ollama_server import FakeOllama
from support import databases
from support.agent_server import ANALYSIS, NOTES, agent_settings, script
from support.cli import Cli
from support.server import RunningServer, UserFactory, start_server, stop_server


@pytest.fixture(autouse=True)
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    monkeypatch.delenv("OPENGOVFOOD_TOKEN", raising=False)
    monkeypatch.delenv("OPENGOVFOOD_ADDRESS", raising=False)
    return home


@pytest.fixture(scope="module")
async def ollama() -> AsyncIterator[FakeOllama]:
    async with FakeOllama() as fake:
        yield fake


@pytest.fixture(scope="module")
async def agent_server(
    test_database: databases.TestDatabase,
    tmp_path_factory: pytest.TempPathFactory,
    ollama: FakeOllama,
) -> AsyncIterator[RunningServer]:
    settings = agent_settings(test_database.url, tmp_path_factory.mktemp("agent-cli"), ollama)
    running = await start_server(settings)
    yield running
    await stop_server(running)


@pytest.fixture
def cli(agent_server: RunningServer) -> Cli:
    return Cli(agent_server)


async def test_analyze_from_text_file_and_stdin(
    cli: Cli, ollama: FakeOllama, tmp_path: Path
) -> None:
    await cli.login()
    script(ollama)
    code, out, _ = await cli("agent", "analyze", NOTES, "--json")
    assert code == 0
    result = json.loads(out)
    assert result["summary"] == ANALYSIS["summary"]
    assert "VIOLATION_SEVERITY_PRIORITY" in {v["severity"] for v in result["violations"]}
    assert {v["source"] for v in result["violations"]} == {"VIOLATION_SOURCE_RULE"}

    notes = tmp_path / "notes.txt"
    notes.write_text(NOTES)
    code, out, _ = await cli("agent", "analyze", "--file", str(notes))
    assert code == 0
    for text in ("Violations", "3-501.16", "Corrective actions", "score", "Public health"):
        assert text in out

    code, out, _ = await cli("agent", "analyze", "--json", stdin=NOTES)
    assert code == 0
    result = json.loads(out)
    assert result["compliance_score"] == pytest.approx(result["score"] / 100)
    assert NOTES in ollama.requests_to("/api/chat")[-1].json["messages"][-1]["content"]

    code, out, _ = await cli("agent", "violation-types", "--item", "22")
    assert code == 0
    assert "3-501.16" in out
    assert "Shell eggs held above 45" in out


async def test_analyze_usage_and_server_errors(cli: Cli, tmp_path: Path) -> None:
    await cli.login()
    code, _, err = await cli("agent", "analyze", "--file", str(tmp_path / "missing.txt"))
    assert code == 2
    assert "cannot read" in err
    code, _, err = await cli("agent", "analyze", "   ")
    assert code == 2
    code, _, err = await cli("agent", "analyze", NOTES, "--item", "999999999")
    assert code in (1, 4)  # INVALID_ARGUMENT or NOT_FOUND for an item that isn't ours
    assert err.startswith("error: ")
    assert err.count("\n") == 1


async def test_chat_streams_to_stdout_and_continues(cli: Cli, ollama: FakeOllama) -> None:
    await cli.login()
    script(ollama, chunks=["Cold ", "food ", "at ", "41F."])
    code, out, err = await cli("agent", "chat", "How", "cold?")
    assert code == 0
    assert out == "Cold food at 41F.\n"
    conversation = err.split("conversation ")[1].split()[0]
    code, out, _ = await cli("agent", "chat", "--conversation", conversation, "And hot food?")
    assert code == 0
    assert out == "Cold food at 41F.\n"
    code, _, err = await cli("agent", "chat", "--conversation", "999999999", "Hello?")
    assert code in (1, 4)
    assert err.count("\n") == 1


async def test_llm_list_and_pull(
    cli: Cli, make_user: UserFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    await cli.login()
    code, out, _ = await cli("llm", "list", "--json")
    assert code == 0
    assert {"name": "llama3.2:latest", "provider": "ollama"} in json.loads(out)
    code, out, _ = await cli("llm", "list")
    assert "qwen2.5:0.5b" in out

    code, _, err = await cli("llm", "pull", "qwen2.5:1.5b")
    assert code == 3
    assert "PERMISSION_DENIED" in err

    admin = await make_user(superuser=True)
    monkeypatch.setenv("OPENGOVFOOD_TOKEN", admin.token)
    code, _, err = await cli("llm", "pull", "qwen2.5:1.5b")
    assert code == 0
    assert "pulling manifest" in err  # no terminal here: one line per step
    assert "Pulled qwen2.5:1.5b" in err
    code, out, _ = await cli("llm", "pull", "qwen2.5:1.5b", "--json")
    assert code == 0
    steps = [json.loads(line) for line in out.splitlines()]
    assert steps[0]["status"] == "pulling manifest"


async def test_status_reports_provider_readiness_and_models(cli: Cli) -> None:
    email = await cli.login()
    code, out, _ = await cli("status")
    assert code == 0
    assert "LLM provider: ready" in out
    assert f"Signed in as {email}" in out
    assert "ollama: llama3.2:latest" in out
    code, out, _ = await cli("status", "--json")
    report = json.loads(out)
    assert report["services"]["opengovfood.v1.AgentService"] == "SERVING"
    assert {"provider": "ollama", "name": "llama3.2:latest"} in report["models"]
