"""The LIVES export of many inspections: time and peak memory (issue 15's closing figures).

Seeds a throwaway database straight through SQLAlchemy Core (one user; N inspections
over N/5 establishments, each with an analysis citing `--violations` violations), starts
`opengov-food serve`, exports everything through ExportInspections with the Python client
(`items.export_lives`, written to files as `opengov-food export lives` does) and reports the
wall time, the files' sizes and rows, and the server's resident memory: before, peak
during the export (sampled every 20 ms, and the kernel's high-water mark VmHWM) and
after. Run it at two sizes to see that memory does not grow with the export.

    .venv/bin/python bench/extra/export_lives.py --inspections 100000
    .venv/bin/python bench/extra/export_lives.py --inspections 100000 \\
        --db postgresql+asyncpg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import bcrypt
from sqlalchemy import Table, func, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.database import _pg_admin  # noqa: E402
from bench.processes import Managed, free_port, rss_mb, wait_serving  # noqa: E402
from opengovfood.db.models import (  # noqa: E402
    Establishment,
    InspectionAnalysis,
    Item,
    User,
)
from opengovfood_client import Client  # noqa: E402

PASSWORD = "export benchmark 1"
EMAIL = "exporter@example.org"
CLI = str(Path(sys.executable).parent / "opengov-food")
BATCH = 5000
KINDS = ("routine_inspection", "follow_up", "complaint", "pre_opening")
RESULTS = ("pass", "pass_with_conditions", "fail", "no_entry")
VIOLATIONS = (
    ("3-501.16(A)(2)", 22, "P", "Proper cold holding temperatures", "Potato salad at 47F"),
    ("5-205.11(A)", 10, "Pf", "Handwashing sink accessible", "Hand sink blocked by a bucket"),
    ("6-501.12", 55, "C", "Physical facilities clean", "Grease build-up under the fryer"),
    ("4-601.11(A)", 16, "Pf", "Food-contact surfaces clean", "Slicer with old food debris"),
)


def _table(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


def _violations(count: int) -> list[dict[str, Any]]:
    return [
        {
            "code": section,
            "description": title,
            "severity": designation,
            "food_code_section": section,
            "form_item": item,
            "evidence": evidence,
            "source": "inspector",
            "corrected_on_site": False,
            "repeat": False,
            "corrective_action": "",
        }
        for section, item, designation, title, evidence in VIOLATIONS[:count]
    ]


async def seed(url: str, inspections: int, violations: int) -> None:
    engine = create_async_engine(url)
    now = datetime.now(UTC)
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
    places = max(1, inspections // 5)
    cited = _violations(violations)
    try:
        async with engine.begin() as connection:
            user_id = (
                await connection.execute(
                    insert(_table(User)).returning(User.__table__.c.id),
                    {
                        "email": EMAIL,
                        "hashed_password": hashed,
                        "full_name": "Export Bench",
                        "is_active": True,
                        "is_superuser": False,
                        "create_time": now,
                        "update_time": now,
                    },
                )
            ).scalar_one()
        for start in range(0, places, BATCH):
            rows = [
                {
                    "owner_id": user_id,
                    "name": f"Establishment {n}",
                    "name_folded": f"establishment {n}",
                    "street": f"{n} Main St",
                    "city": "Springfield",
                    "state": "IL",
                    "postal_code": f"6{n % 10000:04d}",
                    "license_number": f"L{n:08d}",
                    "license_scope": user_id,
                    "facility_type": "Restaurant",
                    "risk_category": 1 + n % 3,
                    "create_time": now,
                    "update_time": now,
                    "version": 1,
                }
                for n in range(start, min(places, start + BATCH))
            ]
            async with engine.begin() as connection:
                await connection.execute(insert(_table(Establishment)), rows)
        async with engine.connect() as connection:
            first_place = (
                await connection.execute(select(func.min(Establishment.__table__.c.id)))
            ).scalar_one()
        for start in range(0, inspections, BATCH):
            numbers = range(start, min(inspections, start + BATCH))
            items = [
                {
                    "title": f"Inspection {n}",
                    "description": "",
                    "status": "completed",
                    "owner_id": user_id,
                    "establishment_id": first_place + n % places,
                    "kind": KINDS[n % len(KINDS)],
                    "result": RESULTS[n % len(RESULTS)],
                    "score": 100 - n % 40,
                    "inspect_time": now - timedelta(days=n % 730),
                    "create_time": now,
                    "update_time": now,
                    "version": 1,
                }
                for n in numbers
            ]
            async with engine.begin() as connection:
                ids = (
                    (
                        await connection.execute(
                            insert(_table(Item)).returning(Item.__table__.c.id), items
                        )
                    )
                    .scalars()
                    .all()
                )
                await connection.execute(
                    insert(_table(InspectionAnalysis)),
                    [
                        {
                            "owner_id": user_id,
                            "item_id": item_id,
                            "notes": "",
                            "summary": "",
                            "violations": cited,
                            "corrective_actions": [],
                            "compliance_score": 0.7,
                            "score": 70,
                            "grade": "Needs improvement",
                            "scoring_scheme": "standard",
                            "public_health_narrative": "",
                            "provider": "bench",
                            "model": "bench",
                            "create_time": now,
                            "update_time": now,
                            "version": 1,
                        }
                        for item_id in ids
                    ],
                )
    finally:
        await engine.dispose()


def save_feed(client: Client, directory: Path, filter: str = "") -> dict[str, int]:
    """The feed's files into `directory`, as `opengov-food export lives` writes them."""
    directory.mkdir(parents=True, exist_ok=True)
    sizes: dict[str, int] = {}
    for chunk in client.items.export_lives(filter):
        mode = "ab" if chunk.file_name in sizes else "wb"
        with (directory / chunk.file_name).open(mode) as file:
            file.write(chunk.data)
        sizes[chunk.file_name] = sizes.get(chunk.file_name, 0) + len(chunk.data)
    return sizes


class PeakSampler:
    """The server's resident memory every 20 ms while the export runs."""

    def __init__(self, pid: int) -> None:
        self._pid = pid
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mb(self._pid))
            time.sleep(0.02)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def high_water_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def run(url: str, inspections: int, violations: int, tmp: Path) -> dict[str, Any]:
    env = {
        "OPENGOVFOOD_DATABASE_URL": url,
        "OPENGOVFOOD_SECRET_KEY": "export-benchmark-secret-key-0123456789abcdef",
        "OPENGOVFOOD_BCRYPT_ROUNDS": "4",
        "OPENGOVFOOD_ACCESS_LOG": "false",
        "OPENGOVFOOD_LLM_WARM_UP": "false",
    }
    subprocess.run(
        [CLI, "db", "upgrade"], env={**os.environ, **env}, check=True, capture_output=True
    )
    started = time.perf_counter()
    asyncio.run(seed(url, inspections, violations))
    seeded = time.perf_counter() - started
    port = free_port()
    env["OPENGOVFOOD_ADDRESS"] = f"127.0.0.1:{port}"
    server = Managed("server", [CLI, "serve"], tmp, env=env)
    try:
        address = f"127.0.0.1:{port}"
        wait_serving(address, proc=server.proc)
        with Client(address) as client:
            client.login(EMAIL, PASSWORD)
            save_feed(client, tmp / "warm", 'title:"Inspection 1"')  # warm up
            before = rss_mb(server.pid)
            with PeakSampler(server.pid) as sampler:
                began = time.perf_counter()
                sizes = save_feed(client, tmp / "feed")
                took = time.perf_counter() - began
            after = rss_mb(server.pid)
            hwm = high_water_mb(server.pid)
    finally:
        server.stop()
    rows = {name: sum(1 for _ in (tmp / "feed" / name).open()) - 1 for name in sorted(sizes)}
    return {
        "database": make_url(url).get_backend_name(),
        "inspections": inspections,
        "violations_per_inspection": violations,
        "seed_seconds": round(seeded, 1),
        "export_seconds": round(took, 2),
        "rows": rows,
        "megabytes": round(sum(sizes.values()) / 1e6, 1),
        "server_rss_mb": {
            "before": round(before, 1),
            "peak_sampled": round(sampler.peak, 1),
            "after": round(after, 1),
            "high_water_mark": round(hwm, 1),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inspections", type=int, default=100_000)
    parser.add_argument("--violations", type=int, default=3, choices=range(5))
    parser.add_argument(
        "--db", default="sqlite", help="sqlite (a temp file) or a PostgreSQL server URL"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if args.db == "sqlite":
            result = run(
                f"sqlite+aiosqlite:///{tmp / 'export.db'}", args.inspections, args.violations, tmp
            )
        else:
            name = f"ogf_export_{uuid.uuid4().hex[:12]}"
            asyncio.run(_pg_admin(args.db, f'CREATE DATABASE "{name}"'))
            try:
                url = make_url(args.db).set(drivername="postgresql+asyncpg", database=name)
                result = run(
                    url.render_as_string(hide_password=False),
                    args.inspections,
                    args.violations,
                    tmp,
                )
            finally:
                asyncio.run(_pg_admin(args.db, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
