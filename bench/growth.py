"""How cost grows: the same server as the items table grows, and as watchers multiply.

In a throwaway database of its own, one user ("grow", an inspector) owns 1k, then
100k, then 1M items (bulk SQL between the stages, then ANALYZE); at each size GetItem,
the first and the 100th ListItems page (50 a page) and CreateItem are measured as in
the main run (32 callers, server pinned to one core). The first page is measured
twice: as "grow" (their own items: owner and department) and as "boss", the
department's supervisor (every item of the department: grow's and the writer's).
Then WatchItems' write->event latency with 1, 100 and 1,000 open watchers (every
one receives every event). `estimate` turns the figures into what N instances behind
a load balancer would serve on one PostgreSQL.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench import report
from bench.database import add_items, prepare, throwaway_database
from bench.processes import LoadGenerator, Managed, free_port, process_tree, wait_serving
from bench.scenarios import Context, Scenario, create_item, get_item_of, list_page, rows, watch_with

if TYPE_CHECKING:
    from bench.run import Runner

SIZES = (1_000, 100_000, 1_000_000)
QUICK_SIZES = (1_000, 5_000)
WATCHERS = (1, 100, 1_000)
QUICK_WATCHERS = (1, 10)
PAGE = 50


def stage_scenarios(size: int) -> list[Scenario]:
    at = rows(size)
    found = [
        Scenario(f"get_item@{at}", f"GetItem @{at}", "server", get_item_of("grow")),
        Scenario(f"list_first@{at}", f"ListItems first page @{at}", "server", list_page("grow", 1)),
        Scenario(
            f"list_first_department@{at}",
            f"ListItems first page, department @{at}",
            "server",
            list_page("boss", 1),
        ),
    ]
    if size >= 100 * PAGE:
        found.append(
            Scenario(
                f"list_100th@{at}", f"ListItems 100th page @{at}", "server", list_page("grow", 100)
            )
        )
    found.append(Scenario(f"create_item@{at}", f"CreateItem @{at}", "server", create_item))
    return found


def watch_scenarios(counts: tuple[int, ...]) -> list[Scenario]:
    return [
        Scenario(
            f"watch@{n}",
            f"WatchItems write->event, {n:,} watcher{'s' if n > 1 else ''}",
            "server",
            watch_with(n),
            fixed_rate=True,
        )
        for n in counts
    ]


def run(runner: Runner, backend: str) -> dict[str, Any]:
    sizes = QUICK_SIZES if runner.quick else SIZES
    watchers = QUICK_WATCHERS if runner.quick else WATCHERS
    from bench.run import server_env, sign_tokens

    with tempfile.TemporaryDirectory(prefix="ogf-growth-") as tmp_name:
        tmp = Path(tmp_name)
        with throwaway_database(backend, tmp, runner.args.pg_url) as db:
            runner.use_database(db)
            prepare(
                db,
                {"grow": 0, "writer": 0, "watcher": 0, "boss": 0},
                supervisors=frozenset({"boss"}),
            )
            address = f"127.0.0.1:{free_port()}"
            serve = str(Path(sys.executable).parent / "opengov-food")
            env = server_env(db, address, tmp, 1)
            server = Managed(
                "server-growth", [serve, "serve"], tmp, env=env, cores=runner.server_cores
            )
            loadgen: LoadGenerator | None = None
            out: list[report.Row] = []
            seeded = 0
            try:
                wait_serving(address, proc=server.proc)
                loadgen = LoadGenerator(tmp, runner.client_cores)
                ctx = Context(
                    server=address,
                    quick=runner.quick,
                    concurrency=runner.args.concurrency,
                    latency_rate=200.0,
                    small_rows=sizes[0],
                    large_rows=sizes[-1],
                    tokens=sign_tokens(db),
                    user_ids=db.user_ids,
                )
                targets = {"server": (address, process_tree(server.pid))}
                for size in sizes:
                    started = time.perf_counter()
                    add_items(db, "grow", seeded, size - seeded)
                    seeded = size
                    print(
                        f"[{backend}] growth: grow owns {size:,} items"
                        f" (+{time.perf_counter() - started:.1f} s seeding)",
                        flush=True,
                    )
                    for scenario in stage_scenarios(size):
                        row = runner._scenario(scenario, ctx, loadgen, targets)
                        row["rows"] = size
                        out.append(row)
                        print(f"[{backend}] {report.table([row]).splitlines()[-1]}", flush=True)
                for scenario in watch_scenarios(watchers):
                    row = runner._scenario(scenario, ctx, loadgen, targets)
                    row["watchers"] = int(scenario.key.split("@")[1])
                    out.append(row)
                    print(f"[{backend}] {report.table([row]).splitlines()[-1]}", flush=True)
            finally:
                if loadgen is not None:
                    loadgen.stop()
                code = server.stop()
                if code != 0:
                    print(f"[{backend}] growth server exited {code}:\n{server.log_tail()}")
    return {"sizes": list(sizes), "watchers": list(watchers), "rows": out}
