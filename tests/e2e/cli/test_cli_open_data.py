"""`opengov-food import chicago`, `export lives` and `items report`, run as people run them:
the Chicago sample imported into a fresh database of the backend under test (SQLite, or
PostgreSQL with OPENGOVFOOD_TEST_DATABASE_URL), twice, then exported and reported on
through a server."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import grpc
import pytest
from pypdf import PdfReader

from opengovfood.inspection.chicago_import import SAMPLE
from opengovfood.services.users import UserInput
from opengovfood_client.v1 import items_pb2, items_pb2_grpc
from support.auth import bearer
from support.cli import Cli, run_cli
from support.server import make_settings, start_server, stop_server

SAMPLE_FILE = Path(__file__).resolve().parents[3] / "server/opengovfood/inspection/data" / SAMPLE
PASSWORD = "correct horse battery 1"


@pytest.fixture(autouse=True)
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    monkeypatch.delenv("OPENGOVFOOD_TOKEN", raising=False)
    return home


def _import(fresh_database: str, tmp_path: Path, *args: str) -> tuple[int, str, str]:
    done = run_cli(fresh_database, tmp_path, "import", "chicago", *args)
    return done.returncode, done.stdout, done.stderr


async def test_import_twice_then_export_and_report(
    fresh_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    running = await start_server(make_settings(fresh_database, tmp_path))
    try:
        await running.app.container.users.create_user(
            UserInput(email="ana@example.org", full_name="Ana Inspector", is_active=True),
            PASSWORD,
        )
        other = tmp_path / "other.csv"
        other.write_text("name,address\nA,B\n")
        code, _, err = _import(fresh_database, tmp_path, str(other), "--owner", "ana@example.org")
        assert code == 1
        assert "not a City of Chicago food inspections CSV: missing column(s) ID, Date" in err
        code, out, err = _import(
            fresh_database, tmp_path, str(SAMPLE_FILE), "--owner", "ana@example.org"
        )
        assert code == 0, err
        assert out.splitlines()[0] == (
            f"{SAMPLE_FILE}: 342 rows; imported 342 inspections (313 new establishments), "
            "skipped 0 imported before, 0 rows with problems"
        )
        code, out, err = _import(
            fresh_database, tmp_path, str(SAMPLE_FILE), "--owner", "ana@example.org"
        )
        assert code == 0, err
        assert "imported 0 inspections (0 new establishments), skipped 342" in out

        cli = Cli(running)
        code, _, err = await cli(
            "login", "--email", "ana@example.org", "--password-stdin", stdin=PASSWORD
        )
        assert code == 0, err
        out_dir = tmp_path / "feed"
        code, _, err = await cli("export", "lives", "--out", str(out_dir))
        assert code == 0, err
        assert sorted(p.name for p in out_dir.iterdir()) == [
            "businesses.csv",
            "feed_info.csv",
            "inspections.csv",
            "legend.csv",
            "violations.csv",
        ]
        inspections = list(csv.DictReader(io.StringIO((out_dir / "inspections.csv").read_text())))
        assert len(inspections) == 342  # not 684: the second import added nothing
        assert len(list(csv.DictReader((out_dir / "businesses.csv").open()))) == 313

        code, _, err = await cli(
            "export",
            "lives",
            "--out",
            str(tmp_path / "fails"),
            "--filter",
            "result = INSPECTION_RESULT_FAIL",
        )
        assert code == 0, err
        fails = list(csv.DictReader((tmp_path / "fails" / "inspections.csv").open()))
        assert len(fails) == 63
        assert {row["description"] for row in fails} == {"Fail"}

        code, _, err = await cli("export", "lives", "--out", str(tmp_path), "--filter", "bad =")
        assert code == 1, err
        assert err.startswith("error:")
        assert "filter" in err

        async with grpc.aio.insecure_channel(running.address) as channel:
            stub = items_pb2_grpc.ItemServiceStub(channel)
            token = await running.app.container.users.login("ana@example.org", PASSWORD, "t")
            page = await stub.ListItems(
                items_pb2.ListItemsRequest(filter="result = INSPECTION_RESULT_FAIL", page_size=1),
                metadata=bearer(token.access_token),
            )
        item = page.items[0]
        pdf_path = tmp_path / "report.pdf"
        code, _, err = await cli("items", "report", str(item.id), "--out", str(pdf_path))
        assert code == 0, err
        text = " ".join(PdfReader(pdf_path).pages[0].extract_text().split())
        assert "Food Establishment Inspection Report" in text
        assert "Fail" in text
        assert "Ana Inspector" in text
        code, _, err = await cli("items", "report", "999999", "--out", str(tmp_path / "x.pdf"))
        assert code == 4, err
        assert not (tmp_path / "x.pdf").exists()
    finally:
        await stop_server(running)


async def test_import_refuses_other_files_and_unknown_owners(
    fresh_database: str, tmp_path: Path
) -> None:
    other = tmp_path / "other.csv"
    other.write_text("name,address\nA,B\n")
    code, _, err = _import(fresh_database, tmp_path, str(other), "--owner", "x@example.org")
    assert code == 1
    assert err.startswith("error: no active user")
    code, _, err = _import(
        fresh_database, tmp_path, str(tmp_path / "missing.csv"), "--owner", "x@example.org"
    )
    assert (code, err.strip()) == (1, f"error: {tmp_path / 'missing.csv'}: no such file")
