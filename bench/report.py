"""Turning load-generator results into rows, ratios, goals, a table and a chart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

Row = dict[str, Any]


def percentile(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


def summarize(result: dict[str, Any], workload: int = 0) -> Row:
    """rps, p50/p99 (ms), server CPU use and CPU per RPC of one workload of a job."""
    wall = result["wall"]
    w = result["workloads"][workload]
    lat = sorted(w["latencies"])
    ok = w["ok"]
    total_ok = sum(x["ok"] for x in result["workloads"])
    p50, p99 = percentile(lat, 0.50), percentile(lat, 0.99)
    row: Row = {
        "rps": ok / wall if wall else 0.0,
        "p50_ms": None if p50 is None else p50 * 1000,
        "p99_ms": None if p99 is None else p99 * 1000,
        "ok": ok,
        "errors": w["errors"],
        "server_cpu": result["server_cpu"] / wall if wall else 0.0,
        "client_cpu": result["client_cpu"] / wall if wall else 0.0,
        # All workloads of the job share the server's CPU.
        "cpu_us_per_rpc": (result["server_cpu"] / total_ok * 1e6) if total_ok else None,
    }
    if result.get("db_cpu") is not None and total_ok:
        # PostgreSQL's own CPU (its backends serving the bench database) per RPC.
        row["db_us_per_rpc"] = result["db_cpu"] / total_ok * 1e6
    extra = sorted(w.get("extra", []))
    if extra:
        row["extra_p50_ms"] = (percentile(extra, 0.5) or 0.0) * 1000
        row["extra_p99_ms"] = (percentile(extra, 0.99) or 0.0) * 1000
    return row


def add_ratios(row: Row, base: Row) -> None:
    def ratio(a: float | None, b: float | None) -> float | None:
        return None if a is None or not b else a / b

    row["rps_ratio"] = ratio(row.get("rps"), base.get("rps"))
    row["p50_ratio"] = ratio(row.get("p50_ms"), base.get("p50_ms"))
    row["p99_ratio"] = ratio(row.get("p99_ms"), base.get("p99_ms"))
    # Efficiency: 1.0 = as little CPU per RPC as the no-op server.
    cpu = row.get("cpu_us_per_rpc")
    row["cpu_ratio"] = ratio(base.get("cpu_us_per_rpc"), cpu)


def mean_row(rows: list[Row]) -> Row:
    """The reference as the mean of its runs (start, middle, end) in this run."""
    out: Row = {}
    for key in ("rps", "p50_ms", "p99_ms", "cpu_us_per_rpc", "server_cpu"):
        values = [r[key] for r in rows if r.get(key) is not None]
        out[key] = sum(values) / len(values) if values else None
    return out


# Issue 17's goals: ratios of rps to the no-op reference in the same run, per backend.
RATIO_GOALS = {
    "postgresql": {"get_item": 0.60, "list_first_small": 0.30, "create_item": 0.35,
                   "update_item": 0.35},
    "sqlite": {"get_item": 0.80, "list_first_small": 0.35, "create_item": 0.35,
               "update_item": 0.35},
}  # fmt: skip
GOAL_NAMES = {
    "get_item": "GetItem rps / reference",
    "list_first_small": "ListItems(50) rps / reference",
    "create_item": "CreateItem rps / reference",
    "update_item": "UpdateItem rps / reference",
}


def evaluate_goals(
    rows: dict[str, Row], idle_rss_mb: float | None, backend: str = "sqlite"
) -> list[dict[str, Any]]:
    def get(key: str, field: str) -> float | None:
        row = rows.get(key)
        return None if row is None else row.get(field)

    goals: list[dict[str, Any]] = []

    def goal(name: str, value: float | None, target: str, ok: bool | None, unit: str = "") -> None:
        goals.append(
            {
                "goal": name,
                "value": None if value is None else round(value, 3),
                "target": target,
                "unit": unit,
                "met": ok,
            }
        )

    for key, floor in RATIO_GOALS.get(backend, RATIO_GOALS["sqlite"]).items():
        v = get(key, "rps_ratio")
        goal(GOAL_NAMES[key], v, f">= {floor:.2f}", None if v is None else v >= floor)
    a, b = get("list_first_large", "p50_ms"), get("list_first_small", "p50_ms")
    v = a / b if a is not None and b else None
    goal(
        "first page @large p50 / first page @small p50",
        v,
        "<= 1.5",
        None if v is None else v <= 1.5,
    )
    a, b = get("list_100th_large", "p50_ms"), get("list_first_small", "p50_ms")
    v = a / b if a is not None and b else None
    goal(
        "100th page @large p50 / first page @small p50",
        v,
        "<= 1.5",
        None if v is None else v <= 1.5,
    )
    a, b = get("getme_logins", "p99_ms"), get("getme_idle", "p99_ms")
    v = a / b if a is not None and b else None
    goal("GetMe p99 with 4 Logins / idle p99", v, "<= 2.0", None if v is None else v <= 2.0)
    v = get("chat", "overhead_ms")
    goal("Chat first-chunk overhead (p50)", v, "<= 3 ms", None if v is None else v <= 3.0, "ms")
    goal(
        "idle RSS",
        idle_rss_mb,
        "<= 150 MB",
        None if idle_rss_mb is None else idle_rss_mb <= 150,
        "MB",
    )
    return goals


def growth_markdown(growth: dict[str, Any], backend: str) -> str:
    """The "how cost grows" tables (bench/README.md) for one backend."""
    lines = [
        f"**{backend}**: one server core, 32 callers; `us/rpc` is the server's CPU per"
        " call"
        + (
            ", `db us/rpc` PostgreSQL's (its backends for the bench database)"
            if backend == "postgresql"
            else ""
        )
        + ".",
        "",
        "| scenario | items | rps | p50 ms | p99 ms | us/rpc |"
        + (" db us/rpc |" if backend == "postgresql" else ""),
        "|---|---:|---:|---:|---:|---:|" + ("---:|" if backend == "postgresql" else ""),
    ]
    for row in growth["rows"]:
        if "rows" not in row:
            continue
        title = row["title"].split(" @")[0]
        if row.get("note"):
            lines.append(f"| {title} | {row['rows']:,} | {row['note']} | | | |")
            continue
        line = (
            f"| {title} | {row['rows']:,} | {_fmt(row['rps'], 0)} | {_fmt(row['p50_ms'])} "
            f"| {_fmt(row['p99_ms'])} | {_fmt(row.get('cpu_us_per_rpc'), 0)} |"
        )
        if backend == "postgresql":
            line += f" {_fmt(row.get('db_us_per_rpc'), 0)} |"
        lines.append(line)
    lines += [
        "",
        "| open watchers | write->event p50 ms | p99 ms | server CPU |",
        "|---:|---:|---:|---:|",
    ]
    for row in growth["rows"]:
        if "watchers" not in row:
            continue
        if row.get("note"):
            lines.append(f"| {row['watchers']:,} | {row['note']} | | |")
            continue
        lines.append(
            f"| {row['watchers']:,} | {_fmt(row['p50_ms'])} | {_fmt(row['p99_ms'])} "
            f"| {row['server_cpu'] * 100:.0f}% |"
        )
    return "\n".join(lines)


def instances_estimate(growth: dict[str, Any], pg_cores: int = 8) -> str:
    """On paper, from the largest stage: one instance (one core) serves `rps`; each of
    its calls costs PostgreSQL `db us/rpc` of CPU, so a PostgreSQL with `pg_cores`
    cores runs out of CPU at pg_cores * 1e6 / db_us calls per second, i.e. after
    that many instances."""
    largest = max(growth["sizes"])
    lines = [
        f"| at {largest:,} items | one instance rps | PostgreSQL CPU us/call"
        f" | PostgreSQL ({pg_cores} cores) saturates at rps | instances until then |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in growth["rows"]:
        if row.get("rows") != largest or row.get("note") or not row.get("db_us_per_rpc"):
            continue
        ceiling = pg_cores * 1e6 / row["db_us_per_rpc"]
        lines.append(
            f"| {row['title'].split(' @')[0]} | {_fmt(row['rps'], 0)} "
            f"| {_fmt(row['db_us_per_rpc'], 0)} | {_fmt(ceiling, 0)} "
            f"| {ceiling / row['rps']:.0f} |"
        )
    return "\n".join(lines)


def _fmt(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:.0f}"
    return f"{value:.{digits}f}"


def _ratio(value: float | None) -> str:
    return "" if value is None else f"({value:.2f}x)"


def table(rows: list[Row]) -> str:
    header = (
        f"{'scenario':<42} {'rps':>8} {'(x ref)':>8} {'p50 ms':>8} {'(x ref)':>8} "
        f"{'p99 ms':>8} {'(x ref)':>8} {'srv cpu':>7} {'us/rpc':>7} {'eff':>5}  errors"
    )
    lines = [header, "-" * len(header)]
    for row in rows:
        if row.get("note"):
            lines.append(f"{row['title']:<42} {row['note']}")
            continue
        errors = ", ".join(f"{k}:{v}" for k, v in row.get("errors", {}).items())
        lines.append(
            f"{row['title']:<42} {_fmt(row['rps'], 1):>8} {_ratio(row.get('rps_ratio')):>8} "
            f"{_fmt(row['p50_ms']):>8} {_ratio(row.get('p50_ratio')):>8} "
            f"{_fmt(row['p99_ms']):>8} {_ratio(row.get('p99_ratio')):>8} "
            f"{row['server_cpu'] * 100:>6.0f}% {_fmt(row.get('cpu_us_per_rpc'), 0):>7} "
            f"{_fmt(row.get('cpu_ratio')):>5}  {errors}"
        )
        if row.get("extra_p50_ms") is not None:
            lines.append(
                f"{'  ' + row.get('extra_label', 'also'):<42} {'':>8} {'':>8} "
                f"{_fmt(row['extra_p50_ms']):>8} {'':>8} {_fmt(row['extra_p99_ms']):>8}"
            )
    return "\n".join(lines)


def goals_table(goals: list[dict[str, Any]]) -> str:
    lines = [f"{'goal':<48} {'value':>10} {'target':>10}  met"]
    for g in goals:
        met = "n/a" if g["met"] is None else ("yes" if g["met"] else "NO")
        value = (
            "-" if g["value"] is None else f"{g['value']}{(' ' + g['unit']) if g['unit'] else ''}"
        )
        lines.append(f"{g['goal']:<48} {value:>10} {g['target']:>10}  {met}")
    return "\n".join(lines)


def chart(rows: list[Row], title: str, path: Path) -> bool:
    """A PNG: throughput as a ratio to the reference, and p50/p99 latency."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    measured = [r for r in rows if not r.get("note")]
    saturated = [r for r in measured if not r.get("fixed_rate")]
    fig, (left, right) = plt.subplots(
        1, 2, figsize=(14, 0.45 * len(measured) + 2), gridspec_kw={"width_ratios": [1, 1.2]}
    )
    names = [r["title"] for r in saturated]
    ratios = [r.get("rps_ratio") or 0 for r in saturated]
    colors = ["#999999" if r["target"] == "reference" else "#2a7ab0" for r in saturated]
    left.barh(names, ratios, color=colors)
    left.axvline(0.5, color="#d62728", linestyle="--", linewidth=1, label="GetItem goal 0.50")
    left.axvline(0.2, color="#ff7f0e", linestyle="--", linewidth=1, label="ListItems goal 0.20")
    left.invert_yaxis()
    left.set_xlabel("throughput / no-op reference (same run, one server core)")
    left.legend(loc="lower right", fontsize=8)
    for y, value in enumerate(ratios):
        left.text(value, y, f" {value:.2f}", va="center", fontsize=8)
    lat_names = [r["title"] for r in measured]
    p50 = [r.get("p50_ms") or 0 for r in measured]
    p99 = [r.get("p99_ms") or 0 for r in measured]
    ys = list(range(len(measured)))
    right.barh([y - 0.2 for y in ys], p50, height=0.4, label="p50", color="#2a7ab0")
    right.barh([y + 0.2 for y in ys], p99, height=0.4, label="p99", color="#f0a030")
    right.set_yticks(ys, lat_names, fontsize=8)
    right.invert_yaxis()
    right.set_xscale("log")
    right.set_xlabel("latency, ms (log)")
    right.legend(loc="lower right", fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return True
