"""Sentence-encoder figures: load time, memory, and encode() latency on realistic notes.

    .venv/bin/python scripts/embedding_figures.py [--runs 20]

Each configuration runs in a fresh subprocess: numpy's BLAS threads are fixed when numpy
loads, and a fresh process gives honest load-time and RSS figures.

- load: importing numpy and the module, then building the shared encoder (tokenizer,
  weights read from the package's safetensors), and RSS before/after; the first encode
  (which touches the embedding pages it needs) separately.
- encode: p50 (and min, p90) of the wall time, and p50 of the process CPU time (less
  sensitive to other load on the machine), over --runs of ``encode()`` for a note of 30 sentences of
  10-40 tokens and a report of 150 sentences (~10,000 characters), sentences taken from
  the shipped Chicago comments (inspection/data/); one BLAS thread (the encoder's default)
  and one per core (numpy's default).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _rss_mb() -> tuple[float, float]:
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def _texts() -> tuple[list[str], list[str]]:
    from opengovfood.inspection.chicago import load_inspections
    from opengovfood.inspection.embedding import default_encoder
    from opengovfood.inspection.text import sentences

    tokenizer = default_encoder().tokenizer
    pool: list[str] = []
    seen = set()
    for inspection in load_inspections():
        for entry in inspection.entries:
            for sentence in sentences(entry.comment):
                text = sentence.text.strip()
                if text.lower() not in seen and 10 <= len(tokenizer.tokens(text)) <= 40:
                    seen.add(text.lower())
                    pool.append(text)
    pool.sort()  # deterministic
    step = max(1, len(pool) // 150)
    report = pool[::step][:150]
    note = report[::5][:30]
    return note, report


def child(runs: int) -> dict[str, object]:
    start = time.perf_counter()
    rss0, _ = _rss_mb()
    import numpy as np

    from opengovfood.inspection import embedding

    imported = time.perf_counter()
    rss_import, _ = _rss_mb()
    encoder = embedding.default_encoder()
    loaded = time.perf_counter()
    rss_loaded, _ = _rss_mb()
    encoder.encode(["The walk-in cooler was at 45 F."])
    first = time.perf_counter() - loaded
    note, report = _texts()
    figures: dict[str, object] = {
        "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
        "numpy": np.__version__,
        "import_s": imported - start,
        "load_s": loaded - imported,
        "first_encode_s": first,
        "rss_before_mb": rss0,
        "rss_after_import_mb": rss_import,
        "rss_after_load_mb": rss_loaded,
        "note": {"sentences": len(note), "chars": sum(len(s) + 1 for s in note)},
        "report": {"sentences": len(report), "chars": sum(len(s) + 1 for s in report)},
    }
    for name, texts in (("note", note), ("report", report)):
        encoder.encode(texts)  # warm
        times, cpu = [], []
        for _ in range(runs):
            began, began_cpu = time.perf_counter(), time.process_time()
            encoder.encode(texts)
            times.append(time.perf_counter() - began)
            cpu.append(time.process_time() - began_cpu)
        times.sort()
        tokens = sum(len(ids) for ids in encoder.token_ids(texts))
        tokenize_began = time.perf_counter()
        encoder.tokenizer._word_cache.clear()
        encoder.token_ids(texts)
        tokenize = time.perf_counter() - tokenize_began
        entry = figures[name]
        assert isinstance(entry, dict)
        entry.update(
            tokens=tokens,
            p50_ms=1000 * statistics.median(times),
            min_ms=1000 * times[0],
            p90_ms=1000 * times[int(0.9 * (len(times) - 1))],
            cpu_p50_ms=1000 * statistics.median(cpu),
            tokenize_cold_ms=1000 * tokenize,
        )
    rss_end, peak = _rss_mb()
    figures["rss_end_mb"] = rss_end
    figures["rss_peak_mb"] = peak
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.path.insert(0, str(ROOT / "server"))
        print(json.dumps(child(args.runs)))
        return 0
    # The encoder sets one BLAS thread unless the environment says otherwise: "default"
    # is numpy's own choice, one thread per core.
    for threads in ("1", str(os.cpu_count() or 1)):
        env = dict(os.environ)
        env.pop("OMP_NUM_THREADS", None)
        env["OPENBLAS_NUM_THREADS"] = threads
        done = subprocess.run(
            [sys.executable, __file__, "--child", "--runs", str(args.runs)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        print(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
