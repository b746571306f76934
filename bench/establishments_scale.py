"""ListEstablishments first-page cost at 1 k vs 100 k establishments (one owner each,
each in a department of their own: a member lists the whole department's register).

    .venv/bin/python -m bench.establishments_scale                 # SQLite
    .venv/bin/python -m bench.establishments_scale --db postgresql # 127.0.0.1:5432
    .venv/bin/python -m bench.establishments_scale --rows 1000,100000 --calls 300

A throwaway database is seeded with bulk SQL (bench/database.py; PostgreSQL is then
VACUUMed, as autovacuum would be after so many inserts), `opengov-food serve`
starts on one core, and one client calls ListEstablishments sequentially (page_size 50,
so each call is one full first page plus its total_size) for each owner and query:
the default order (name), newest first, an equality filter on city, and the
accent-insensitive name search (a term in a tenth of the names, and a rare one). It
prints p50/p95 latency and the server's CPU microseconds per call (from /proc, so the
client's own work is not counted).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import grpc

from bench.database import prepare, throwaway_database
from bench.processes import Managed, available_cores, free_port, process_tree, wait_serving
from bench.run import server_env, sign_tokens
from opengovfood_client.v1 import establishments_pb2, establishments_pb2_grpc

QUERIES = {
    "default order (name)": {},
    "create_time desc": {"order_by": "create_time desc"},
    'city = "Chicago"': {"filter": 'city = "Chicago"'},
    'name:"cafe" (folded search)': {"filter": 'name:"cafe"'},
    'name:"12345" (a rare one)': {"filter": 'name:"12345"'},
}
CLOCK_TICKS = 100  # os.sysconf("SC_CLK_TCK") on Linux


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / CLOCK_TICKS


def measure(
    stub: establishments_pb2_grpc.EstablishmentServiceStub,
    metadata: tuple[tuple[str, str], ...],
    request: establishments_pb2.ListEstablishmentsRequest,
    calls: int,
    server_pid: int,
) -> tuple[float, float, float, int]:
    """(p50 ms, p95 ms, server CPU us per call, total_size)."""
    for _ in range(max(5, calls // 10)):  # warm the statement caches and the page cache
        reply = stub.ListEstablishments(request, metadata=metadata, timeout=60)
    pids = process_tree(server_pid)
    cpu_before = cpu_seconds(pids)
    times: list[float] = []
    for _ in range(calls):
        started = time.perf_counter()
        reply = stub.ListEstablishments(request, metadata=metadata, timeout=60)
        times.append((time.perf_counter() - started) * 1000)
    cpu = cpu_seconds(pids) - cpu_before
    times.sort()
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    return statistics.median(times), p95, cpu / calls * 1e6, reply.total_size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--rows", default="1000,100000", help="establishments per owner")
    parser.add_argument("--calls", type=int, default=200, help="measured calls per row")
    args = parser.parse_args(argv)
    sizes = [int(n) for n in args.rows.split(",")]
    owners = {f"owner{n}": 0 for n in sizes}
    cores = available_cores()
    with tempfile.TemporaryDirectory(prefix="ogf-estab-") as tmp_name:
        tmp = Path(tmp_name)
        with throwaway_database(args.db, tmp, args.pg_url) as db:
            started = time.perf_counter()
            prepare(
                db,
                owners,
                establishments={f"owner{n}": n for n in sizes},
                separate_departments=True,
                vacuum=True,
            )
            print(
                f"[{db.backend}] seeded {sum(sizes):,} establishments in "
                f"{time.perf_counter() - started:.1f} s"
            )
            tokens = sign_tokens(db)
            address = f"127.0.0.1:{free_port()}"
            server = Managed(
                "server",
                [str(Path(sys.executable).with_name("opengov-food")), "serve"],
                tmp,
                env=server_env(db, address, tmp, 1),
                cores=[cores[0]] if len(cores) >= 2 else None,
            )
            try:
                wait_serving(address, timeout=180, proc=server.proc)
                with grpc.insecure_channel(address) as channel:
                    stub = establishments_pb2_grpc.EstablishmentServiceStub(channel)
                    print(
                        f"{'query':32} {'rows':>8} {'total':>8} {'p50 ms':>8} "
                        f"{'p95 ms':>8} {'srv us/call':>12}"
                    )
                    for label, fields in QUERIES.items():
                        for n in sizes:
                            metadata = (("authorization", f"Bearer {tokens[f'owner{n}']}"),)
                            request = establishments_pb2.ListEstablishmentsRequest(
                                page_size=50, **fields
                            )
                            p50, p95, cpu_us, total = measure(
                                stub, metadata, request, args.calls, server.pid
                            )
                            print(
                                f"{label:32} {n:>8,} {total:>8,} {p50:>8.2f} "
                                f"{p95:>8.2f} {cpu_us:>12,.0f}"
                            )
            finally:
                server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
