"""`make bench`: our server against a no-op grpc.aio reference, same run, same load generator.

    python -m bench [--quick] [--db sqlite|postgresql|both] [--duration S] [--only KEY,...]

Per database backend: make a throwaway database, migrate it and seed it with bulk
SQL, start the reference server and `opengov-food serve` (each pinned to core 0),
start the load generator (pinned to core 1), run every scenario, and write
bench/results/<date>-<db>[-quick].json, a PNG chart next to it, and a table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import grpc
from sqlalchemy.engine import make_url

from bench import growth, report
from bench import provider as bench_provider
from bench.database import Database, add_analyses, add_sign_ins, prepare, throwaway_database
from bench.processes import (
    ROOT,
    LoadGenerator,
    Managed,
    available_cores,
    free_port,
    process_tree,
    rss_mb,
    wait_serving,
)
from bench.scenarios import Context, NotAvailable, Scenario, scenarios

SECRET = "bench-secret-key-0123456789-0123456789-abcdef"
DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
RESULTS = ROOT / "bench" / "results"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="CI smoke mode: < 1 minute")
    parser.add_argument(
        "--db",
        choices=("sqlite", "postgresql", "both"),
        help="backend(s); default: both (sqlite with --quick)",
    )
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG))
    parser.add_argument("--duration", type=float, help="recorded seconds per scenario")
    parser.add_argument("--warmup", type=float, help="unrecorded seconds per scenario")
    parser.add_argument("--concurrency", type=int, default=32, help="callers in closed loops")
    parser.add_argument("--large-rows", type=int, help="rows of the large item set (1M)")
    parser.add_argument("--only", help="comma-separated scenario keys (the references always run)")
    parser.add_argument("--workers", type=int, default=1, help="server processes (serve --workers)")
    parser.add_argument("--no-scaling", action="store_true", help="skip the 1 vs 2 workers run")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results directory")
    parser.add_argument(
        "--profile", action="store_true", help="py-spy the server in each server scenario"
    )
    parser.add_argument(
        "--no-growth",
        action="store_true",
        help="skip how cost grows (1k/100k/1M items, 1/100/1000 watchers; bench/growth.py)",
    )
    return parser.parse_args(argv)


def server_env(db: Database, address: str, tmp: Path, workers: int) -> dict[str, str]:
    return {
        "OPENGOVFOOD_ENV": "development",
        "OPENGOVFOOD_ADDRESS": address,
        "OPENGOVFOOD_DATABASE_URL": db.url,
        "OPENGOVFOOD_SECRET_KEY": SECRET,
        "OPENGOVFOOD_SECRET_KEY_FILE": str(tmp / "secret"),
        # The access log is measured separately (it writes one line per RPC).
        "OPENGOVFOOD_ACCESS_LOG": os.environ.get("OPENGOVFOOD_ACCESS_LOG", "false"),
        "OPENGOVFOOD_LOG_LEVEL": "WARNING",
        "OPENGOVFOOD_LOG_FORMAT": "console",
        "OPENGOVFOOD_ACCESS_TOKEN_TTL": "PT2H",
        "OPENGOVFOOD_BCRYPT_ROUNDS": "12",
        # The bench logs in on purpose, many times a second, from one address.
        "OPENGOVFOOD_LOGIN_RATE_PER_MINUTE": "10000000",
        "OPENGOVFOOD_LOGIN_BURST": "10000000",
        "OPENGOVFOOD_WORKERS": str(workers),
    }


def sign_tokens(db: Database) -> dict[str, str]:
    from opengovfood.config import Settings
    from opengovfood.services.tokens import TokenService

    settings = Settings(
        database_url=db.url,
        secret_key=SECRET,
        access_token_ttl=dt.timedelta(hours=2),
    )
    tokens = TokenService(settings)
    sign_ins = add_sign_ins(db)
    return {
        name: tokens.issue_access_token(str(uid), session_id=sign_ins[name])[0]
        for name, uid in db.user_ids.items()
    }


def git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        return "unknown"


class Runner:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.quick: bool = args.quick
        self.duration = args.duration or (1.0 if self.quick else 8.0)
        self.warmup = args.warmup if args.warmup is not None else (0.3 if self.quick else 2.0)
        self.small_rows = 1000
        self.large_rows = args.large_rows or (5_000 if self.quick else 1_000_000)
        self.backend = ""
        self.db_name: str | None = None
        cores = available_cores()
        # Server on one core, load generator on another, when there are two.
        self.server_cores: list[int] | None = [cores[0]] if len(cores) >= 2 else None
        self.client_cores: list[int] | None = [cores[1]] if len(cores) >= 2 else None

    def use_database(self, db: Database) -> None:
        self.backend = db.backend
        self.db_name = make_url(db.url).database if db.backend == "postgresql" else None

    def run_backend(self, backend: str) -> dict[str, Any]:
        with tempfile.TemporaryDirectory(prefix="ogf-bench-") as tmp_name:
            tmp = Path(tmp_name)
            with throwaway_database(backend, tmp, self.args.pg_url) as db:
                return self._run(db, tmp)

    def _run(self, db: Database, tmp: Path) -> dict[str, Any]:
        self.use_database(db)
        started = time.perf_counter()
        users = {
            "reader": self.small_rows,
            "big": self.large_rows,
            "writer": 0,
            "login": 0,
            "watcher": 0,
            "boss": 0,  # the default department's supervisor: reads every item in it
        }
        print(
            f"[{db.backend}] migrating and seeding {self.large_rows:,} + {self.small_rows:,} items"
        )
        prepare(
            db, users, establishments={"reader": self.small_rows}, supervisors=frozenset({"boss"})
        )
        add_analyses(db, "reader", self.small_rows)
        seed_seconds = time.perf_counter() - started

        ref_port, port = free_port(), free_port()
        address = f"127.0.0.1:{port}"
        reference = Managed(
            "reference",
            [sys.executable, "-m", "bench.reference", str(ref_port)],
            tmp,
            cores=self.server_cores,
        )
        provider = Managed(
            "provider",
            [sys.executable, "-m", "bench.provider", "0"],
            tmp,
            cores=self.client_cores,
            stdout_pipe=True,
        )
        assert provider.proc.stdout is not None
        provider_port = int(provider.proc.stdout.readline())
        serve = str(Path(sys.executable).parent / "opengov-food")
        env = server_env(db, address, tmp, self.args.workers)
        env.update(
            OPENGOVFOOD_LLM_PROVIDER="openai",
            OPENGOVFOOD_OPENAI_BASE_URL=f"http://127.0.0.1:{provider_port}/v1",
            OPENGOVFOOD_LLM_MODEL=bench_provider.MODEL,
            OPENGOVFOOD_LLM_WARM_UP="false",
        )
        server = Managed("server", [serve, "serve"], tmp, env=env, cores=self.server_cores)
        loadgen: LoadGenerator | None = None
        rows: list[report.Row] = []
        try:
            wait_serving(f"127.0.0.1:{ref_port}", proc=reference.proc, any_answer=True)
            try:
                wait_serving(address, proc=server.proc)
            except RuntimeError as exc:
                raise RuntimeError(f"{exc}\n{server.log_tail()}") from None
            time.sleep(1.0)
            server_pids = process_tree(server.pid)
            idle_rss = sum(rss_mb(p) for p in server_pids)
            ref_rss = rss_mb(reference.pid)
            print(
                f"[{db.backend}] serving; idle RSS {idle_rss:.0f} MB (reference {ref_rss:.0f} MB)"
            )
            loadgen = LoadGenerator(tmp, self.client_cores)
            direct = sorted(bench_provider.first_chunk_seconds(provider_port) for _ in range(50))
            ctx = Context(
                server=address,
                quick=self.quick,
                concurrency=self.args.concurrency,
                latency_rate=200.0,
                small_rows=self.small_rows,
                large_rows=self.large_rows,
                tokens=sign_tokens(db),
                user_ids=db.user_ids,
                provider_first_chunk_ms=direct[len(direct) // 2] * 1000,
            )
            targets = {
                "reference": (f"127.0.0.1:{ref_port}", [reference.pid]),
                "server": (address, server_pids),
            }
            only = set(self.args.only.split(",")) if self.args.only else None
            for scenario in scenarios(self.small_rows, self.large_rows):
                if only and scenario.target == "server" and scenario.key not in only:
                    continue
                row = self._scenario(scenario, ctx, loadgen, targets)
                rows.append(row)
                print(f"[{db.backend}] {report.table([row]).splitlines()[-1]}", flush=True)
            loaded_rss = sum(rss_mb(p) for p in process_tree(server.pid))
        finally:
            if loadgen is not None:
                loadgen.stop()
            ref_exit = reference.stop()
            server_exit = server.stop()
            provider.stop()
        if server_exit != 0:
            print(f"[{db.backend}] server exited {server_exit}:\n{server.log_tail()}")
        by_key = {r["key"]: r for r in rows}
        base = {
            "ref": report.mean_row([r for r in rows if r["key"] in ("ref", "ref_mid", "ref_end")]),
            "ref_rate": by_key.get("ref_rate", {}),
        }
        for row in rows:
            if not row.get("note"):
                report.add_ratios(row, base[row["baseline"]])
        goals = report.evaluate_goals(by_key, idle_rss, db.backend)
        scaling = [] if self.args.no_scaling or self.quick else self._scaling(db, tmp, ctx)
        return {
            "backend": db.backend,
            "seed_seconds": round(seed_seconds, 1),
            "idle_rss_mb": round(idle_rss, 1),
            "loaded_rss_mb": round(loaded_rss, 1),
            "reference_rss_mb": round(ref_rss, 1),
            "server_exit_code": server_exit,
            "reference_exit_code": ref_exit,
            "reference_drift": (
                by_key["ref_end"]["rps"] / by_key["ref"]["rps"]
                if "ref_end" in by_key and by_key["ref"]["rps"]
                else None
            ),
            "rows": rows,
            "goals": goals,
            "scaling": scaling,
        }

    def _scaling(self, db: Database, tmp: Path, ctx: Context) -> list[report.Row]:
        """GetItem (or Health.Check) with 1 and 2 workers, nothing pinned: the server's
        workers and the load generator share both cores."""
        rows: list[report.Row] = []
        for workers in (1, 2):
            address = f"127.0.0.1:{free_port()}"
            serve = str(Path(sys.executable).parent / "opengov-food")
            server = Managed(
                f"server-{workers}w",
                [serve, "serve"],
                tmp,
                env=server_env(db, address, tmp, workers),
            )
            loadgen: LoadGenerator | None = None
            try:
                wait_serving(address, proc=server.proc)
                deadline = time.monotonic() + 20
                while len(process_tree(server.pid)) < (1 if workers == 1 else workers + 1):
                    if time.monotonic() > deadline:
                        raise RuntimeError("workers did not start")
                    time.sleep(0.1)
                time.sleep(1.5)  # let every worker finish starting
                loadgen = LoadGenerator(tmp, None)
                wctx = Context(
                    server=address,
                    quick=self.quick,
                    concurrency=self.args.concurrency,
                    latency_rate=ctx.latency_rate,
                    small_rows=ctx.small_rows,
                    large_rows=ctx.large_rows,
                    tokens=ctx.tokens,
                    user_ids=ctx.user_ids,
                )
                for scenario in scenarios(self.small_rows, self.large_rows):
                    if scenario.key not in ("health", "get_item"):
                        continue
                    targets = {"server": (address, process_tree(server.pid))}
                    row = self._scenario(scenario, wctx, loadgen, targets)
                    row["title"] = f"{scenario.title} [{workers}w]"
                    row["workers"] = workers
                    rows.append(row)
                    print(f"[{db.backend}] {report.table([row]).splitlines()[-1]}", flush=True)
            finally:
                if loadgen is not None:
                    loadgen.stop()
                code = server.stop()
                if code != 0:
                    print(f"[{db.backend}] {workers}-worker server exited {code}")
        return rows

    def _scenario(
        self,
        scenario: Scenario,
        ctx: Context,
        loadgen: LoadGenerator,
        targets: dict[str, tuple[str, list[int]]],
    ) -> report.Row:
        row: report.Row = {
            "key": scenario.key,
            "title": scenario.title,
            "target": scenario.target,
            "baseline": scenario.baseline,
            "fixed_rate": scenario.fixed_rate,
        }
        try:
            job = scenario.build(ctx)
        except NotAvailable as exc:
            row["note"] = str(exc)
            return row
        except (RuntimeError, grpc.RpcError) as exc:
            row["note"] = f"error: {exc}"
            return row
        address, pids = targets[scenario.target]
        job.setdefault("channels", 4)
        if self.db_name is not None:
            job["database"] = self.db_name
        job.update(target=address, server_pids=pids, warmup=self.warmup, duration=self.duration)
        sampler = None
        if self.args.profile and scenario.target == "server":
            from bench.profile import Sampler

            out = self.args.out / "profiles" / f"{self.backend}-{scenario.key}.txt"
            sampler = Sampler(pids[0], self.warmup + 0.3, self.duration - 0.5, out)
        result = loadgen.run(job)
        if sampler is not None:
            from bench.profile import summary

            sampler.wait()
            print(summary(sampler.out))
        if "error" in result:
            row["note"] = f"error: {result['error']}"
            return row
        row.update(report.summarize(result))
        if scenario.key == "watch":
            row["extra_label"] = "CreateItem reply -> event (<0: event first)"
        elif scenario.key == "chat":
            row["extra_label"] = "whole stream"
            if row.get("p50_ms") is not None and ctx.provider_first_chunk_ms is not None:
                row["provider_first_chunk_ms"] = ctx.provider_first_chunk_ms
                row["overhead_ms"] = row["p50_ms"] - ctx.provider_first_chunk_ms
        if len(result["workloads"]) > 1:
            row["background"] = report.summarize(result, 1)
        return row


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    backends = {
        "sqlite": ["sqlite"],
        "postgresql": ["postgresql"],
        "both": ["sqlite", "postgresql"],
    }[args.db or ("sqlite" if args.quick else "both")]
    runner = Runner(args)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = dt.date.today().isoformat()
    meta = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "quick": args.quick,
        "duration_s": runner.duration,
        "warmup_s": runner.warmup,
        "concurrency": args.concurrency,
        "channels": 4,
        "workers": args.workers,
        "server_cores": runner.server_cores,
        "client_cores": runner.client_cores,
        "python": platform.python_version(),
        "grpcio": grpc.__version__,
        "machine": f"{platform.machine()}, {os.cpu_count()} cpus",
        "loadavg_start": os.getloadavg(),
    }
    status = 0
    only = set(args.only.split(",")) if args.only else set()
    with_growth = not args.no_growth and (not only or "growth" in only)
    grown: dict[str, dict[str, Any]] = {}
    for backend in backends:
        started = time.perf_counter()
        try:
            result = runner.run_backend(backend)
            if with_growth:
                result["growth"] = grown[backend] = growth.run(runner, backend)
        except OSError as exc:  # PostgreSQL not running (connection refused)
            print(f"error: {backend}: {exc}; start it or use --db sqlite", file=sys.stderr)
            return 2
        result["meta"] = {**meta, "loadavg_end": os.getloadavg()}
        result["elapsed_s"] = round(time.perf_counter() - started, 1)
        # Smoke and partial runs never overwrite the day's full results.
        suffix = "-quick" if args.quick else "-partial" if args.only else ""
        name = f"{stamp}-{backend}{suffix}"
        json_path = args.out / f"{name}.json"
        json_path.write_text(json.dumps(result, indent=1, default=float) + "\n")
        title = f"OpenGov-Food vs no-op grpc.aio, {backend}, {meta['date'][:10]} ({meta['commit']})"
        png = args.out / f"{name}.png"
        charted = report.chart(result["rows"], title, png)
        print()
        print(f"== {backend}: ratios are to the no-op grpc.aio reference in the same run ==")
        print(report.table(result["rows"]))
        print()
        chat: report.Row = next((r for r in result["rows"] if r["key"] == "chat"), {})
        if chat.get("overhead_ms") is not None:
            print(
                f"Chat first chunk p50 {chat['p50_ms']:.2f} ms - the test provider alone "
                f"{chat['provider_first_chunk_ms']:.2f} ms = overhead {chat['overhead_ms']:.2f} ms"
            )
        print(report.goals_table(result["goals"]))
        if result["scaling"]:
            print("\nscaling (server workers and load generator share both cores):")
            print(report.table(result["scaling"]))
        print(
            f"\nidle RSS {result['idle_rss_mb']} MB, after load {result['loaded_rss_mb']} MB; "
            f"seeding {result['seed_seconds']} s; reference drift end/start "
            f"{result['reference_drift'] or 0:.2f}; {result['elapsed_s']} s in all"
        )
        print(f"wrote {json_path}" + (f" and {png}" if charted else " (no matplotlib: no chart)"))
        if result.get("growth"):
            print(f"\nhow cost grows ({backend}):")
            print(report.growth_markdown(result["growth"], backend))
            if backend == "postgresql":
                print(report.instances_estimate(result["growth"]))
        if result["server_exit_code"] != 0:
            status = 1
        if any(r.get("note", "").startswith("error") for r in result["rows"]):
            status = 1
    if grown and not args.quick and args.out == RESULTS:
        write_readme_growth(grown, meta)
    return status


README = ROOT / "bench" / "README.md"
GROWTH_START, GROWTH_END = "<!-- growth:start -->", "<!-- growth:end -->"


def write_readme_growth(grown: dict[str, dict[str, Any]], meta: dict[str, Any]) -> None:
    """Replace the "how cost grows" tables in bench/README.md with this run's."""
    parts = [
        f"Generated by `make bench` on {meta['date']} (commit {meta['commit']},"
        f" load average at start {meta['loadavg_start'][0]:.2f})."
    ]
    for backend, result in grown.items():
        parts += ["", report.growth_markdown(result, backend)]
        if backend == "postgresql":
            parts += ["", report.instances_estimate(result)]
    text = README.read_text()
    head, found, rest = text.partition(GROWTH_START)
    _, found_end, tail = rest.partition(GROWTH_END)
    if not found or not found_end:
        print("bench/README.md has no growth markers: tables not written", file=sys.stderr)
        return
    README.write_text(f"{head}{GROWTH_START}\n" + "\n".join(parts) + f"\n{GROWTH_END}{tail}")
    print(f"wrote the how-cost-grows tables into {README}")
