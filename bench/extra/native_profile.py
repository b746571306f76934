"""Where one RPC's server CPU goes, counted in instructions (callgrind) or sampled with
native frames (py-spy --native), for single scenarios, the no-op reference alongside.

    .venv/bin/python bench/extra/native_profile.py --db sqlite --only get_item,list_first_small \
        [--tool callgrind|pyspy|cpu] [--duration 30] [--concurrency 8] [--out DIR]

Wall time is a poor measure on a shared machine; instruction counts are not:
callgrind counts every instruction the server executes while collection is on, so the
same build gives the same count per RPC whatever else the machine does (within ~1%:
calls in flight at the window's edges). Per scenario, in a throwaway database seeded
as `make bench` seeds it (1 k items for the reader, its establishments and analyses):

- callgrind: the server (and the reference) run under valgrind with collection off;
  after a warm-up, collection is switched on for `duration` seconds of the scenario's
  load (valgrind runs the server ~50x slower, hence fewer callers) and the count is
  divided by the RPCs completed. The summary groups the instructions by shared object
  (libpython: the interpreter running Python code; cygrpc: grpc core and its Cython
  layer; _message: protobuf's upb; _sqlite3 / libsqlite3; asyncpg; libc ...) and lists
  the top functions. Needs valgrind (apt-get install valgrind).
- pyspy: py-spy --native samples the server (not slowed) under the full 32 callers;
  the summary attributes each sample to one layer (bench/extra/breakdown.py). Needs
  py-spy (.venv/bin/pip install py-spy).
- cpu: no profiler; server CPU us per RPC from /proc (noisy on a shared machine).

Summaries (text) are written to `--out` (default bench/profiles/) as
<db>-<scenario>-<tool>.txt; raw profiles go to a temporary directory unless --keep.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench import run as bench_run  # noqa: E402
from bench.database import add_analyses, prepare, throwaway_database  # noqa: E402
from bench.extra import breakdown  # noqa: E402
from bench.loadgen import cpu_seconds  # noqa: E402
from bench.processes import LoadGenerator, Managed, free_port, wait_serving  # noqa: E402
from bench.scenarios import Context, scenarios  # noqa: E402

VALGRIND = ["valgrind", "--tool=callgrind", "--instr-atstart=no", "--dump-instr=no"]


def _settle(pid: int, limit: float = 900.0) -> None:
    """Until the process is idle (under 5% of a core in two 5 s windows running): the
    server warms things up on threads after it starts serving (the rules engine's
    classifier: a second of CPU, minutes under valgrind), and those instructions are
    no RPC's."""
    deadline = time.monotonic() + limit
    quiet = 0
    while time.monotonic() < deadline:
        before = cpu_seconds(pid)
        time.sleep(5.0)
        quiet = quiet + 1 if cpu_seconds(pid) - before < 0.25 else 0
        if quiet >= 2:
            return
    raise RuntimeError(f"process {pid} still busy after {limit:.0f} s")


def _callgrind_control(*args: str) -> None:
    subprocess.run(["callgrind_control", *args], check=True, capture_output=True)


def _objects(path: Path, top: int) -> tuple[int, dict[str, int], list[tuple[int, str]]]:
    """callgrind_annotate's self cost per function, grouped by shared object."""
    text = subprocess.run(
        ["callgrind_annotate", "--threshold=100", "--inclusive=no", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    by_object: dict[str, int] = {}
    functions: list[tuple[int, str]] = []
    total = 0
    for line in text.splitlines():
        line = line.strip()
        if not line or not line[0].isdigit():
            continue
        count_text, _, rest = line.partition(" ")
        try:
            count = int(count_text.replace(",", ""))
        except ValueError:
            continue
        if "PROGRAM TOTALS" in rest:
            total = count
            continue
        rest = rest.split(")", 1)[-1].strip() if rest.startswith("(") else rest
        obj = rest.rsplit("[", 1)[-1].rstrip("]") if rest.endswith("]") else "?"
        name = Path(obj).name
        by_object[name] = by_object.get(name, 0) + count
        functions.append((count, rest))
    return total, by_object, sorted(functions, reverse=True)[:top]


class Target:
    def __init__(self, name: str, argv: list[str], tmp: Path, env: dict[str, str], tool: str):
        self.tool = tool
        self.out = tmp / f"{name}.callgrind"
        if tool == "callgrind":
            argv = [*VALGRIND, f"--callgrind-out-file={self.out}", *argv]
        self.managed = Managed(name, argv, tmp, env=env)

    @property
    def pid(self) -> int:
        return self.managed.pid


def _measure(
    target: Target,
    address: str,
    job: dict[str, Any],
    loadgen: LoadGenerator,
    args: argparse.Namespace,
    label: str,
    tmp: Path,
) -> str:
    _settle(target.pid)
    warm = dict(job, target=address, server_pids=[target.pid], warmup=0.0, duration=args.warmup)
    loadgen.run(warm)
    _settle(target.pid)
    measured = dict(
        job, target=address, server_pids=[target.pid], warmup=0.0, duration=args.duration
    )
    if args.tool == "callgrind":
        _callgrind_control("--zero", str(target.pid))
        _callgrind_control("--instr=on", str(target.pid))
        result = loadgen.run(measured)
        _callgrind_control("--instr=off", str(target.pid))
        _callgrind_control("--dump", str(target.pid))
        time.sleep(1.0)
        dumps = sorted(target.out.parent.glob(target.out.name + "*"), key=os.path.getmtime)
        path = dumps[-1]
        calls = sum(w["ok"] for w in result["workloads"])
        errors = sum(sum(w["errors"].values()) for w in result["workloads"])
        total, by_object, functions = _objects(path, args.top)
        lines = [
            f"{label}: {calls} RPCs ({errors} failed), {total:,} instructions,"
            f" {total / max(calls, 1):,.0f} per RPC",
            "by object (instructions per RPC, share):",
        ]
        for name, count in sorted(by_object.items(), key=lambda kv: -kv[1]):
            if count * 1000 >= total:
                lines.append(
                    f"  {count / max(calls, 1):>12,.0f}  {count * 100 / total:5.1f}%  {name}"
                )
        lines.append(f"top {args.top} functions (self, per RPC):")
        for count, name in functions:
            lines.append(f"  {count / max(calls, 1):>12,.0f}  {count * 100 / total:5.1f}%  {name}")
        if args.keep:
            shutil.copy(path, args.out / f"{label}.callgrind")
        for dump in dumps:
            dump.unlink()
        return "\n".join(lines)
    if args.tool == "pyspy":
        raw = tmp / f"{label}.pyspy"
        spy = subprocess.Popen(
            [
                breakdown.py_spy(), "record", "-p", str(target.pid), "-r", "250",
                "-d", str(max(1, int(args.duration - 1))), "-f", "raw", "-o", str(raw),
                "--native",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(0.5)
        result = loadgen.run(measured)
        spy.wait(timeout=120)
        calls = sum(w["ok"] for w in result["workloads"])
        wall = result["wall"]
        cpu = result["server_cpu"] / max(calls, 1) * 1e6
        head = (
            f"{label}: {calls / wall:,.0f} rps, server CPU {cpu:,.0f} us/RPC"
            " (py-spy running; 250 Hz --native)"
        )
        if args.keep:
            shutil.copy(raw, args.out / f"{label}.pyspy.txt")
        return head + "\n" + breakdown.report(raw)
    result = loadgen.run(measured)
    calls = sum(w["ok"] for w in result["workloads"])
    return (
        f"{label}: {calls / result['wall']:,.0f} rps, server CPU "
        f"{result['server_cpu'] / calls * 1e6:,.0f} us/RPC"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", bench_run.DEFAULT_PG))
    parser.add_argument("--only", default="get_item,list_first_small")
    parser.add_argument("--tool", choices=("callgrind", "pyspy", "cpu"), default="callgrind")
    parser.add_argument("--duration", type=float, help="measured seconds per scenario")
    parser.add_argument("--warmup", type=float, help="unmeasured seconds per scenario")
    parser.add_argument("--concurrency", type=int, help="callers (default 8 callgrind, else 32)")
    parser.add_argument("--no-reference", action="store_true")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="copy raw profiles to --out too")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "profiles")
    parser.add_argument("--tag", default="", help="suffix of the summary files' names")
    args = parser.parse_args(argv)
    slow = args.tool == "callgrind"
    args.duration = args.duration or (30.0 if slow else 8.0)
    args.warmup = args.warmup if args.warmup is not None else (15.0 if slow else 2.0)
    concurrency = args.concurrency or (8 if slow else 32)
    args.out.mkdir(parents=True, exist_ok=True)
    wanted = args.only.split(",")
    with tempfile.TemporaryDirectory(prefix="ogf-native-") as tmp_name:
        tmp = Path(tmp_name)
        with throwaway_database(args.db, tmp, args.pg_url) as db:
            users = {"reader": 1000, "big": 0, "writer": 0, "boss": 0}
            prepare(db, users, establishments={"reader": 1000}, supervisors=frozenset({"boss"}))
            add_analyses(db, "reader", 1000)
            port, ref_port = free_port(), free_port()
            address = f"127.0.0.1:{port}"
            env = bench_run.server_env(db, address, tmp, 1)
            if slow:
                # Its database check would time out under valgrind, and costs the same
                # in every build: out of the count.
                env["OPENGOVFOOD_HEALTH_CHECK_INTERVAL"] = "3600"
            serve = str(Path(sys.executable).parent / "opengov-food")
            server = Target("server", [sys.executable, serve, "serve"], tmp, env, args.tool)
            reference = None
            if not args.no_reference:
                reference = Target(
                    "reference",
                    [sys.executable, "-m", "bench.reference", str(ref_port)],
                    tmp,
                    {},
                    args.tool,
                )
            loadgen = None
            reports: list[tuple[str, str]] = []
            try:
                timeout = 600.0 if slow else 60.0
                wait_serving(address, timeout=timeout, proc=server.managed.proc)
                if reference is not None:
                    wait_serving(
                        f"127.0.0.1:{ref_port}",
                        timeout=timeout,
                        proc=reference.managed.proc,
                        any_answer=True,
                    )
                loadgen = LoadGenerator(tmp, None)
                ctx = Context(
                    server=address,
                    quick=False,
                    concurrency=concurrency,
                    latency_rate=200.0,
                    small_rows=1000,
                    large_rows=0,
                    tokens=bench_run.sign_tokens(db),
                    user_ids=db.user_ids,
                )
                by_key = {s.key: s for s in scenarios(1000, 0)}
                todo = [("ref", reference, f"127.0.0.1:{ref_port}")] if reference else []
                todo += [(key, server, address) for key in wanted]
                for key, target, where in todo:
                    assert target is not None
                    job = by_key[key].build(ctx)
                    job.setdefault("channels", 4)
                    if args.db == "postgresql" and target is server:
                        from sqlalchemy.engine import make_url

                        job["database"] = make_url(db.url).database
                    label = f"{args.db}-{key}-{args.tool}{args.tag}"
                    text = _measure(target, where, job, loadgen, args, label, tmp)
                    print(text, flush=True)
                    reports.append((label, text))
            except Exception:
                print(server.managed.log_tail(40), file=sys.stderr)
                raise
            finally:
                if loadgen is not None:
                    loadgen.stop()
                server.managed.stop(60)
                if reference is not None:
                    reference.managed.stop(60)
            header = (
                f"# {' '.join(sys.argv)}\n# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())},"
                f" load average {os.getloadavg()[0]:.1f}, concurrency {concurrency}\n"
            )
            for label, text in reports:
                (args.out / f"{label}.txt").write_text(header + text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
