"""`make eval` / `python -m eval [--quick] [--provider NAME] [--out FILE]`.

`--provider local|ollama|openai` also runs the narrative splits through the whole
analysis (AnalysisService: rules, score, the model's narrative and proposals) on that
provider, configured by the usual OPENGOVFOOD_* settings (eval/service.py).

Chicago: leave-one-day-out over the four days of the sample, pooled; the engine (rules and
the classifier trained on the other three days), the rules alone and the issue's naive
Bayes baseline. Narrative: each split (`dev`, `dev2`, `dev3`, `dev4`, `dev5`, `test`, `test2`,
`test4`) reported separately, by the engine trained on the whole Chicago sample and by the
rules alone. Per-item tables are printed and stored for the development splits only: the
held-out splits (`test*`) are reported as summary figures, so nobody tunes to them item by
item. `--splits dev,dev2` runs only those (while developing, leave the held-out splits out).
Exits 1 when the default engine falls below a floor (eval/floors.py), 2 on a usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from opengovfood.inspection.catalogue import catalogue
from opengovfood.inspection.engine import build_engine, default_engine

from .corpora import (
    NARRATIVE_DIR,
    Case,
    bank_cases,
    chicago_cases,
    narrative_cases,
    paraphrase_cases,
)
from .floors import check_floors
from .metrics import CorpusMetrics, compute
from .report import as_json, item_table, summary_table
from .runner import PROVIDERS, EngineAnalyser, run_cases, run_leave_one_day_out
from .scores import default_scorer
from .service import register

RESULTS_DIR = Path(__file__).resolve().parent / "results"
# --quick: at most this many inspections of each held-out day, picked by ID (deterministic).
QUICK_PER_DAY = 30
# Narrative splits in report order; `test*` are held out (summary figures only).
SPLITS = ("dev", "dev2", "dev3", "dev4", "dev5", "test", "test2", "test4")


def held_out(split: str) -> bool:
    return split.startswith("test")


def _quick_sample(cases: Sequence[Case]) -> list[Case]:
    kept: list[Case] = []
    for day in sorted({c.group for c in cases}):
        kept += sorted((c for c in cases if c.group == day), key=lambda c: c.id)[:QUICK_PER_DAY]
    return kept


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="bounded Chicago sample (CI)")
    parser.add_argument("--provider", help="also run the analysis through this LLM provider")
    parser.add_argument("--out", type=Path, help="JSON result file (default eval/results/)")
    parser.add_argument(
        "--narrative", type=Path, default=NARRATIVE_DIR, help="narrative corpus folder"
    )
    parser.add_argument(
        "--splits",
        default=",".join(SPLITS),
        help="narrative splits to run, comma-separated (default: all present)",
    )
    args = parser.parse_args(argv)
    register()
    splits = [s for s in args.splits.split(",") if s]
    unknown_splits = [s for s in splits if s not in SPLITS]
    if unknown_splits:
        print(f"unknown split(s) {unknown_splits} (known: {', '.join(SPLITS)})", file=sys.stderr)
        return 2
    if args.provider and args.provider not in PROVIDERS:
        known = ", ".join(sorted(PROVIDERS)) or "none registered yet"
        print(f"unknown provider {args.provider!r} (registered: {known})", file=sys.stderr)
        return 2

    started = time.perf_counter()
    results: dict[str, CorpusMetrics] = {}
    extra: dict[str, Any] = {}

    chicago = chicago_cases()
    if args.quick:
        chicago = _quick_sample(chicago)
    folds = run_leave_one_day_out(chicago)
    in_catalogue = catalogue().is_known
    score = default_scorer()
    extra["scoring"] = "scoring.py default scheme" if score else "scoring.py absent: no scores"
    results["chicago"] = compute(folds.engine, known_section=in_catalogue, score=score)
    results["chicago-rules-only"] = compute(
        folds.rules_only, known_section=in_catalogue, score=score
    )
    results["chicago-baseline-nb"] = compute(folds.baseline, known_section=in_catalogue)
    extra["chicago_folds"] = [
        {"held_out_day": d, "threshold": t, "stay": s, "train_seconds": round(sec, 3)}
        for (d, t, s), sec in zip(folds.thresholds, folds.train_seconds, strict=True)
    ]

    warm = time.perf_counter()
    engine = EngineAnalyser(default_engine())
    extra["warm_up_seconds"] = round(time.perf_counter() - warm, 3)
    rules_only = EngineAnalyser(build_engine(with_classifier=False))
    analysers: list[tuple[str, Any]] = [("", engine), ("-rules-only", rules_only)]
    if args.provider:
        analysers.append((f"-{args.provider}", PROVIDERS[args.provider]()))
    paraphrases = paraphrase_cases()
    for suffix, analyser in analysers[:2]:
        results[f"paraphrase{suffix}"] = compute(
            run_cases(analyser, paraphrases), known_section=in_catalogue, score=score
        )
    results["bank"] = compute(
        run_cases(engine, bank_cases()), known_section=in_catalogue, score=score
    )
    for split in splits:
        cases = narrative_cases(split, args.narrative)
        if not cases:
            continue
        for suffix, analyser in analysers:
            results[f"narrative-{split}{suffix}"] = compute(
                run_cases(analyser, cases), known_section=in_catalogue, score=score
            )
    if args.provider:
        with_model = analysers[-1][1]
        extra["narratives_missing"] = with_model.narratives_missing
        with_model.close()

    print(
        "== Chicago: comments as one paragraph, leave-one-day-out "
        f"({results['chicago'].cases} inspections{', --quick sample' if args.quick else ''}) =="
    )
    print(summary_table([
        ("engine (rules+clf)", results["chicago"]),
        ("rules only", results["chicago-rules-only"]),
        ("baseline NB", results["chicago-baseline-nb"]),
    ]))  # fmt: skip
    for fold in extra["chicago_folds"]:
        print(
            f"  held out {fold['held_out_day']}: threshold {fold['threshold']}, "
            f"stay {fold['stay']}, trained in {fold['train_seconds']} s"
        )
    print("\nengine per Form 3-A item (Chicago):")
    print(item_table(results["chicago"]))
    for split in splits:
        rows = [(k.removeprefix(f"narrative-{split}") or "-engine", v) for k, v in results.items()
                if k == f"narrative-{split}" or k.startswith(f"narrative-{split}-")]  # fmt: skip
        if not rows:
            print(f"\n(narrative {split} split absent)")
            continue
        print(f"\n== narrative {split} ==")
        print(summary_table([(name.lstrip("-"), m) for name, m in rows]))
        if not held_out(split):
            print(f"\nengine per Form 3-A item (narrative {split}):")
            print(item_table(results[f"narrative-{split}"]))

    print(
        "\n== paraphrase sets: one sentence a note, worded unlike the narrative corpus "
        "(eval/corpora/paraphrase) =="
    )
    print(summary_table([
        ("engine", results["paraphrase"]),
        ("rules-only", results["paraphrase-rules-only"]),
    ]))  # fmt: skip
    print("\nengine per Form 3-A item (paraphrase sets):")
    print(item_table(results["paraphrase"]))

    print(
        "\n== sentence bank: one sentence a note, two authors' training sentences "
        "(server/opengovfood/inspection/data/sentences-*.tsv) =="
    )
    print(summary_table([("engine", results["bank"])]))
    print("\nengine per Form 3-A item (sentence bank):")
    print(item_table(results["bank"]))

    broken = check_floors(results)
    out = args.out or RESULTS_DIR / ("quick.json" if args.quick else "full.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "mode": "quick" if args.quick else "full",
        "seconds": round(time.perf_counter() - started, 1),
        **extra,
        "floors_broken": broken,
        "splits": splits,
        "results": {
            name: as_json(m, per_item=not held_out(name.removeprefix("narrative-")))
            for name, m in results.items()
        },
    }
    out.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"\nresults written to {out} ({document['seconds']} s)")
    if broken:
        print("FLOORS BROKEN:\n  " + "\n  ".join(broken), file=sys.stderr)
        return 1
    print("floors: all hold")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
