"""Tables for the terminal and the JSON result file."""

from __future__ import annotations

from typing import Any

from opengovfood.inspection.form_items import item_title

from .metrics import CorpusMetrics, ItemCounts

__all__ = ["as_json", "item_table", "summary_table"]


def _f(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def summary_table(rows: list[tuple[str, CorpusMetrics]]) -> str:
    header = (
        f"{'analyser':<22}{'notes':>6}{'P':>7}{'R':>7}{'F1':>7}{'macroP':>8}{'macroR':>8}"
        f"{'sev.ok':>8}{'P/Pf on clean':>15}{'score gap':>11}{'grounded':>10}"
        f"{'COS ok':>8}{'p50 ms':>8}{'p95 ms':>8}"
    )
    lines = [header, "-" * len(header)]
    for name, m in rows:
        clean = f"{m.clean_with_priority}/{m.clean_cases} ({m.priority_on_clean})"
        cos = (m.corrected_right / m.marks_compared) if m.marks_compared else None
        lines.append(
            f"{name:<22}{m.cases:>6}{_f(m.micro.precision):>7}{_f(m.micro.recall):>7}"
            f"{_f(m.micro.f1):>7}{_f(m.macro_precision):>8}{_f(m.macro_recall):>8}"
            f"{_f(m.severity_accuracy):>8}{clean:>15}{_f(m.score_gap, 1):>11}"
            f"{_f(m.grounded_share):>10}{_f(cos):>8}{m.latency_p50_ms:>8.1f}"
            f"{m.latency_p95_ms:>8.1f}"
        )
    return "\n".join(lines)


def _counts_line(label: str, c: ItemCounts) -> str:
    return (
        f"{label:<8}{c.tp + c.fn:>6}{c.tp:>5}{c.fp:>5}{c.fn:>5}"
        f"{_f(c.precision, 2):>7}{_f(c.recall, 2):>7}"
    )


def item_table(m: CorpusMetrics) -> str:
    lines = [f"{'item':<8}{'gold':>6}{'tp':>5}{'fp':>5}{'fn':>5}{'P':>7}{'R':>7}  title"]
    for item in sorted(m.per_item):
        c = m.per_item[item]
        lines.append(
            f"{_counts_line(str(item), c)}  {item_title(item)[:60] if 1 <= item <= 56 else ''}"
        )
    lines.append("per severity (item counted under its most severe designation):")
    for designation, c in m.per_severity.items():
        lines.append(_counts_line(designation, c))
    if m.confusions:
        pairs = ", ".join(f"{g}->{p} ({n})" for g, p, n in m.confusions)
        lines.append(f"most frequent (missed item -> extra item in the same note): {pairs}")
    return "\n".join(lines)


def _counts(c: ItemCounts) -> dict[str, Any]:
    return {
        "tp": c.tp,
        "fp": c.fp,
        "fn": c.fn,
        "precision": c.precision,
        "recall": c.recall,
        "f1": c.f1,
    }


def as_json(m: CorpusMetrics, *, per_item: bool = True) -> dict[str, Any]:
    """The metrics as JSON; without `per_item` (held-out splits) only the summary figures:
    no per-item counts, per-severity counts or confusions to tune to."""
    summary = {
        "notes": m.cases,
        "clean_notes": m.clean_cases,
        "micro": _counts(m.micro),
        "macro_precision": m.macro_precision,
        "macro_recall": m.macro_recall,
        "severity_accuracy": m.severity_accuracy,
        "clean_notes_with_priority_finding": m.clean_with_priority,
        "priority_findings_on_clean_notes": m.priority_on_clean,
        "mean_score_clean": m.mean_score_clean,
        "mean_score_with_violations": m.mean_score_violations,
        "score_gap": m.score_gap,
        "grounded_share": m.grounded_share,
        "corrected_on_site_agreement": (
            m.corrected_right / m.marks_compared if m.marks_compared else None
        ),
        "repeat_agreement": m.repeat_right / m.marks_compared if m.marks_compared else None,
        "latency_p50_ms": m.latency_p50_ms,
        "latency_p95_ms": m.latency_p95_ms,
    }
    if not per_item:
        return summary
    return {
        **summary,
        "per_item": {str(k): _counts(v) for k, v in sorted(m.per_item.items())},
        "per_severity": {k: _counts(v) for k, v in m.per_severity.items()},
        "confusions": [{"missed": g, "extra": p, "notes": n} for g, p, n in m.confusions],
    }
