"""Metric arithmetic over (gold case, predicted violations) pairs. Pure functions.

Everything is counted per Form 3-A item per note: several findings of one item in one note
are one predicted item (with the most severe designation among them), as several gold
entries of one item are one gold item.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from opengovfood.inspection.findings import DESIGNATION_RANK

from .corpora import Case

__all__ = [
    "CorpusMetrics",
    "ItemCounts",
    "Outcome",
    "Predicted",
    "compute",
    "percentile",
]

DESIGNATIONS = ("P", "Pf", "C")


@dataclass(frozen=True, slots=True)
class Predicted:
    form_item: int
    designation: str | None  # None: the analyser gives no severity (the baseline)
    section: str = ""
    evidence: str = ""
    corrected_on_site: bool = False
    repeat: bool = False


@dataclass(frozen=True, slots=True)
class Outcome:
    case: Case
    predicted: tuple[Predicted, ...]
    seconds: float


@dataclass(slots=True)
class ItemCounts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        return (
            2 * self.tp / (2 * self.tp + self.fp + self.fn)
            if self.tp
            else (0.0 if self.fp + self.fn else None)
        )


@dataclass(slots=True)
class CorpusMetrics:
    cases: int = 0
    clean_cases: int = 0
    per_item: dict[int, ItemCounts] = field(default_factory=dict)
    per_severity: dict[str, ItemCounts] = field(default_factory=dict)
    micro: ItemCounts = field(default_factory=ItemCounts)
    macro_precision: float | None = None
    macro_recall: float | None = None
    severity_right: int = 0
    severity_labelled: int = 0
    clean_with_priority: int = 0  # clean notes with at least one P or Pf finding
    priority_on_clean: int = 0  # P/Pf findings on clean notes
    findings: int = 0
    grounded: int = 0  # real catalogue section and evidence quoted from the notes
    corrected_right: int = 0
    repeat_right: int = 0
    marks_compared: int = 0
    mean_score_clean: float | None = None
    mean_score_violations: float | None = None
    latency_p50_ms: float = 0.0
    latency_p95_ms: float = 0.0
    confusions: list[tuple[int, int, int]] = field(default_factory=list)  # (gold, got, n)

    @property
    def severity_accuracy(self) -> float | None:
        return self.severity_right / self.severity_labelled if self.severity_labelled else None

    @property
    def grounded_share(self) -> float | None:
        return self.grounded / self.findings if self.findings else None

    @property
    def score_gap(self) -> float | None:
        if self.mean_score_clean is None or self.mean_score_violations is None:
            return None
        return self.mean_score_clean - self.mean_score_violations

    @property
    def concept_recall(self) -> float | None:
        return self.micro.recall


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def _predicted_items(predicted: Sequence[Predicted]) -> dict[int, str | None]:
    items: dict[int, str | None] = {}
    for p in predicted:
        if not 1 <= p.form_item <= 56:
            continue
        seen = items.get(p.form_item)
        if p.form_item not in items or (
            p.designation is not None
            and (seen is None or DESIGNATION_RANK[p.designation] > DESIGNATION_RANK[seen])
        ):
            items[p.form_item] = p.designation
    return items


def compute(
    outcomes: Sequence[Outcome],
    *,
    known_section: Callable[[str], bool] | None = None,
    score: Callable[[Sequence[Predicted]], int] | None = None,
) -> CorpusMetrics:
    """The corpus metrics of these outcomes. `known_section` tells whether a section is in
    the catalogue (grounding); `score` turns findings into a 0-100 compliance score."""
    metrics = CorpusMetrics(cases=len(outcomes))
    clean_scores: list[int] = []
    violation_scores: list[int] = []
    confusion: Counter[tuple[int, int]] = Counter()
    for outcome in outcomes:
        case = outcome.case
        gold = case.items
        predicted = _predicted_items(outcome.predicted)
        got = set(predicted)
        for item in gold | got:
            counts = metrics.per_item.setdefault(item, ItemCounts())
            if item in gold and item in got:
                counts.tp += 1
            elif item in got:
                counts.fp += 1
            else:
                counts.fn += 1
        for missed in gold - got:
            for extra in got - gold:
                confusion[(missed, extra)] += 1
        for designation in DESIGNATIONS:
            counts = metrics.per_severity.setdefault(designation, ItemCounts())
            gold_d = {i for i in gold if case.item_severity(i) == designation}
            got_d = {i for i, d in predicted.items() if d == designation}
            counts.tp += len(gold_d & got_d)
            counts.fp += len(got_d - gold_d)
            counts.fn += len(gold_d - got_d)
        for item in gold & got:
            if predicted[item] is not None:
                metrics.severity_labelled += 1
                metrics.severity_right += predicted[item] == case.item_severity(item)
            marks = [v for v in case.violations if v.form_item == item]
            mine = [p for p in outcome.predicted if p.form_item == item]
            if marks and mine:
                metrics.marks_compared += 1
                metrics.corrected_right += any(v.corrected_on_site for v in marks) == any(
                    p.corrected_on_site for p in mine
                )
                metrics.repeat_right += any(v.repeat for v in marks) == any(p.repeat for p in mine)
        if case.clean:
            metrics.clean_cases += 1
            priority = [p for p in outcome.predicted if p.designation in ("P", "Pf")]
            metrics.priority_on_clean += len(priority)
            metrics.clean_with_priority += bool(priority)
        for p in outcome.predicted:
            metrics.findings += 1
            section_ok = bool(p.section) and (known_section is None or known_section(p.section))
            metrics.grounded += section_ok and bool(p.evidence) and p.evidence in case.notes
        if score is not None:
            (clean_scores if case.clean else violation_scores).append(score(outcome.predicted))
    for counts in metrics.per_item.values():
        metrics.micro.tp += counts.tp
        metrics.micro.fp += counts.fp
        metrics.micro.fn += counts.fn
    precisions = [c.precision for c in metrics.per_item.values() if c.precision is not None]
    recalls = [c.recall for c in metrics.per_item.values() if c.recall is not None]
    metrics.macro_precision = sum(precisions) / len(precisions) if precisions else None
    metrics.macro_recall = sum(recalls) / len(recalls) if recalls else None
    if clean_scores:
        metrics.mean_score_clean = sum(clean_scores) / len(clean_scores)
    if violation_scores:
        metrics.mean_score_violations = sum(violation_scores) / len(violation_scores)
    latencies = [o.seconds * 1000 for o in outcomes]
    metrics.latency_p50_ms = percentile(latencies, 50)
    metrics.latency_p95_ms = percentile(latencies, 95)
    metrics.confusions = [(g, p, n) for (g, p), n in confusion.most_common(12)]
    return metrics
