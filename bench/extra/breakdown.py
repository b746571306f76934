"""One layer per py-spy sample: where a server's RPC time goes, by layer.

    .venv/bin/python bench/extra/breakdown.py RAW_PYSPY_FILE...

A sample's stack is read from its innermost frame outwards; the first frame that a
rule below recognises names the layer (so a protobuf setter called by item_to_pb is
"record -> protobuf", the same setter called by grpc's serializer "serialisation", and
SQLite's VM under the fast read path "database driver"). Native frames (py-spy
--native) let grpc core, upb and the drivers be told apart from the Python above them.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections import Counter
from pathlib import Path

IDLE = "(idle: waiting)"
# (layer, pattern on "function (file)"); the first rule that matches a frame wins.
RULES: tuple[tuple[str, str], ...] = (
    ("garbage collection", r"gc_collect|collect_generations|gc_collect_main|\(gcmodule"),
    ("logging", r"\(logging/|\(structlog/|opengovfood/logs?\.py"),
    ("metrics", r"interceptors/metrics\.py|prometheus_client/"),
    (
        "serialisation",
        r"SerializeToString|FromString|ParseFromString|Serialize|_safe_deserializer"
        r"|\bserialize|deserialize|upb_Encode|upb_Decode|_upb_Decoder|encode_message",
    ),
    ("record -> protobuf", r"\(opengovfood/rpc/|opengovfood/rpc/timestamps"),
    (
        "row -> record",
        r"_raw_record|_mapped_record|_fast_record|_record \(|_violation \(|"
        r"violations_from_json|_decoded|_utc \(|_made \(",
    ),
    (
        "database driver",
        r"asyncpg|sqlite3|_sqlite|libsqlite|opengovfood/db/fast_reads|"
        r"opengovfood/db/sqlite_inline|opengovfood/db/pg_direct|opengovfood/db/read_paths",
    ),
    ("repository (statement, parameters)", r"opengovfood/repositories/|sqlalchemy/"),
    ("auth", r"services/authn\.py|services/tokens\.py|interceptors/auth\.py|\(jwt/"),
    ("interceptors", r"opengovfood/interceptors/|opengovfood/rpc/input_limits"),
    ("service", r"opengovfood/services/|opengovfood/domain/"),
    ("grpc (core and Cython)", r"cygrpc|grpc_core|grpc_|libgrpc|\(grpc/|gpr_|absl"),
    ("event loop", r"asyncio/|selectors\.py|epoll|_run_once|run_forever|uvloop"),
)
_COMPILED = tuple((layer, re.compile(pattern)) for layer, pattern in RULES)
# A thread blocked in one of these (its innermost frames) is waiting, not working:
# the event loop in epoll, grpc's poller, idle pool threads on their queue's lock.
_IDLE = re.compile(
    r"epoll_wait|epoll_pwait|PyThread_acquire_lock_timed|pthread_cond_(timed)?wait|sem_wait"
    r"|__futex|select \(|poll \("
)


def py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(found).exists():
        raise SystemExit("needs py-spy: .venv/bin/pip install py-spy")
    return found


def layer_of(frames: list[str]) -> str:
    if any(_IDLE.search(frame) for frame in frames[-3:]):
        return IDLE
    for frame in reversed(frames):
        for layer, pattern in _COMPILED:
            if pattern.search(frame):
                return layer
    return "other"


def _frame(raw: str) -> str:
    name, _, where = raw.partition(" (")
    if not where:
        return name
    path = where.rstrip(")").split(":")[0]
    parts = path.split("/")
    short = "/".join(parts[-2:]) if parts[-2:-1] in (["rpc"], ["db"]) else "/".join(parts[-3:])
    return f"{name} ({short})"


def report(*paths: Path, top: int = 25) -> str:
    layers: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    own: dict[str, Counter[str]] = {}
    total = 0
    for path in paths:
        for line in Path(path).read_text().splitlines():
            stack, _, count_text = line.rpartition(" ")
            if not count_text.isdigit():
                continue
            count = int(count_text)
            frames = stack.split(";")
            # py-spy's idle threads (grpc's poller waiting) are not samples of work.
            layer = layer_of(frames)
            total += count
            layers[layer] += count
            leaf = _frame(frames[-1])
            if layer != IDLE:
                leaves[leaf] += count
            own.setdefault(layer, Counter())[leaf] += count
    idle = layers.pop(IDLE, 0)
    total -= idle
    if not total:
        return "no samples"
    lines = [
        f"{total} samples at work ({idle} idle ones left out: threads waiting),"
        " by layer (innermost recognised frame):"
    ]
    lines += [f"  {n * 100 / total:5.1f}%  {layer}" for layer, n in layers.most_common()]
    lines.append(f"top {top} innermost frames:")
    lines += [f"  {n * 100 / total:5.1f}%  {leaf}" for leaf, n in leaves.most_common(top)]
    for layer, n in layers.most_common(8):
        lines.append(f"{layer} ({n * 100 / total:.1f}%), its innermost frames:")
        lines += [f"  {c * 100 / total:5.1f}%  {leaf}" for leaf, c in own[layer].most_common(6)]
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(*(Path(p) for p in sys.argv[1:])))
