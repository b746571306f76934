"""`--profile`: sample the server with py-spy during a scenario's recorded window.

py-spy is not a project dependency (`pip install py-spy` into the venv to use it).
The raw collapsed stacks go to bench/results/profiles/<db>-<scenario>.txt (feed them
to flamegraph.pl or speedscope); the console gets the top frames by inclusive and
self time.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path


def py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(found).exists():
        raise SystemExit("--profile needs py-spy: .venv/bin/pip install py-spy")
    return found


class Sampler:
    """Starts py-spy after `delay` seconds, for `duration` seconds, on `pid`."""

    def __init__(self, pid: int, delay: float, duration: float, out: Path) -> None:
        self.out = out
        out.parent.mkdir(parents=True, exist_ok=True)
        argv = [
            py_spy(), "record", "-p", str(pid), "-d", str(max(1, int(duration))),
            "-r", "250", "-f", "raw", "-o", str(out), "--nonblocking",
        ]  # fmt: skip
        argv += os.environ.get("BENCH_PYSPY_ARGS", "").split()  # e.g. --native
        self._proc: subprocess.Popen[bytes] | None = None

        def start() -> None:
            time.sleep(delay)
            self._proc = subprocess.Popen(
                argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )

        self._thread = threading.Thread(target=start, daemon=True)
        self._thread.start()

    def wait(self) -> None:
        self._thread.join()
        if self._proc is not None:
            self._proc.wait(timeout=60)


def _frame(raw: str) -> str:
    name, _, where = raw.partition(" (")
    return f"{name} ({where.split(':')[0].rsplit('/', 1)[-1]})" if where else name


def summary(path: Path, top: int = 25) -> str:
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        count = int(count_text)
        total += count
        frames = [_frame(f) for f in stack.split(";")]
        for frame in set(frames):
            inclusive[frame] += count
        own[frames[-1]] += count
    if not total:
        return "no samples"
    lines = [f"{total} samples; inclusive:"]
    lines += [f"  {n * 100 / total:5.1f}% {f}" for f, n in inclusive.most_common(top)]
    lines.append("self:")
    lines += [f"  {n * 100 / total:5.1f}% {f}" for f, n in own.most_common(top)]
    return "\n".join(lines)
