"""`opengov-food establishments ...` and `items create --establishment --kind ...` against
a real server: the README's session, JSON for scripts, one-line errors with exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support.cli import Cli
from support.server import RunningServer


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


async def test_establishment_session(cli: Cli) -> None:
    await cli.login()
    code, out, err = await cli(
        "establishments",
        "create",
        "--name",
        "Café Olé",
        "--street",
        "2001 N Clark St",
        "--city",
        "Chicago",
        "--state",
        "IL",
        "--postal-code",
        "60614",
        "--license-number",
        "2589901",
        "--facility-type",
        "Restaurant",
        "--risk-category",
        "1",
        "--json",
    )
    assert code == 0, err
    place = json.loads(out)
    assert place["name"] == "Café Olé"
    assert place["risk_category"] == "RISK_CATEGORY_1"
    assert place["address"]["city"] == "Chicago"
    place_id = place["id"]

    code, out, _ = await cli("establishments", "list", "--filter", 'name:"cafe ole"')
    assert code == 0
    assert "Café Olé" in out
    assert "2589901" in out

    code, out, err = await cli(
        "establishments", "update", place_id, "--risk-category", "3", "--etag", place["etag"]
    )
    assert code == 0, err
    assert "Risk category" in out
    assert "3" in out
    code, _, err = await cli(
        "establishments", "update", place_id, "--name", "Stale", "--etag", place["etag"]
    )
    assert code == 1
    assert "ABORTED" in err

    for day, result, score in (("2026-01-10", "pass", 92), ("2026-02-14", "fail", 48)):
        code, out, err = await cli(
            "items",
            "create",
            "--title",
            f"Inspection {day}",
            "--establishment",
            place_id,
            "--kind",
            "routine",
            "--result",
            result,
            "--score",
            str(score),
            "--inspect-time",
            f"{day}T10:00:00Z",
            "--json",
        )
        assert code == 0, err
        item = json.loads(out)
        assert item["kind"] == "ITEM_KIND_ROUTINE_INSPECTION"
        assert item["establishment_id"] == place_id
    code, out, err = await cli("establishments", "history", place_id, "--json")
    assert code == 0, err
    history = json.loads(out)
    assert [i["score"] for i in history] == [48, 92]
    assert [i["result"] for i in history] == ["INSPECTION_RESULT_FAIL", "INSPECTION_RESULT_PASS"]
    code, out, _ = await cli("establishments", "history", place_id)
    assert code == 0
    assert "fail" in out
    assert "routine_inspection" in out

    # Refused while inspections name it: one line, exit 1.
    code, _, err = await cli("establishments", "delete", place_id)
    assert code == 1
    assert "FAILED_PRECONDITION" in err
    assert err.count("\n") == 1
    code, out, _ = await cli("establishments", "show", place_id, "--json")
    assert json.loads(out)["risk_category"] == "RISK_CATEGORY_3"


async def test_establishment_errors(cli: Cli) -> None:
    await cli.login()
    code, _, err = await cli("establishments", "show", "987654321")
    assert code == 4
    assert "NOT_FOUND" in err
    code, _, err = await cli("establishments", "create", "--name", " ")
    assert code == 1
    assert "establishment.name" in err
    code, _, err = await cli("establishments", "update", "1")
    assert code == 2
    assert "nothing to update" in err
    with pytest.raises(SystemExit) as usage:  # argparse: usage on stderr, exit 2
        await cli("items", "create", "--title", "x", "--kind", "banquet")
    assert usage.value.code == 2
    code, _, err = await cli("items", "create", "--title", "x", "--establishment", "987654321")
    assert code == 1
    assert "item.establishment_id" in err
