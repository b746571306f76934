"""Runs analysers over the corpora: Chicago leave-one-day-out, narrative dev and test."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from opengovfood.inspection.chicago import load_inspections
from opengovfood.inspection.classifier import BaselineNB
from opengovfood.inspection.engine import InspectionEngine, build_engine
from opengovfood.inspection.findings import Finding

from .corpora import Case
from .metrics import Outcome, Predicted

__all__ = [
    "PROVIDERS",
    "Analyser",
    "BaselineAnalyser",
    "EngineAnalyser",
    "run_cases",
    "run_leave_one_day_out",
]


class Analyser(Protocol):
    """Reads notes, returns the violations it finds."""

    def analyse(self, notes: str) -> Sequence[Predicted]: ...


def from_finding(finding: Finding) -> Predicted:
    return Predicted(
        form_item=finding.form_item,
        designation=finding.designation,
        section=finding.food_code_section,
        evidence=finding.evidence,
        corrected_on_site=finding.corrected_on_site,
        repeat=finding.repeat,
    )


@dataclass(frozen=True, slots=True)
class EngineAnalyser:
    engine: InspectionEngine

    def analyse(self, notes: str) -> Sequence[Predicted]:
        return [from_finding(f) for f in self.engine.analyse(notes)]


@dataclass(frozen=True, slots=True)
class BaselineAnalyser:
    model: BaselineNB

    def analyse(self, notes: str) -> Sequence[Predicted]:
        return [Predicted(item, None) for item in sorted(self.model.predict_items(notes))]


# `--provider NAME`: the full analysis through a configured LLM provider (the model writes
# the narrative and may add violations). The agent service registers a factory here when
# it is wired; the harness itself stays free of network code.
PROVIDERS: dict[str, Callable[[], Analyser]] = {}


def run_cases(analyser: Analyser, cases: Sequence[Case]) -> list[Outcome]:
    outcomes = []
    for case in cases:
        started = time.perf_counter()
        predicted = tuple(analyser.analyse(case.notes))
        outcomes.append(Outcome(case, predicted, time.perf_counter() - started))
    return outcomes


@dataclass(frozen=True, slots=True)
class FoldRun:
    engine: list[Outcome]
    rules_only: list[Outcome]
    baseline: list[Outcome]
    thresholds: list[tuple[str, float, float]]  # (held-out day, threshold, stay)
    train_seconds: list[float]


def run_leave_one_day_out(cases: Sequence[Case]) -> FoldRun:
    """Train on three days, test on the fourth, for each day; pool the four test folds.

    The classifier (and its threshold, tuned by cross-validation inside the training days)
    and the baseline never see the day they are tested on.
    """
    inspections = load_inspections()
    rules_only = EngineAnalyser(build_engine(with_classifier=False))
    engine_out: list[Outcome] = []
    rules_out: list[Outcome] = []
    baseline_out: list[Outcome] = []
    thresholds: list[tuple[str, float, float]] = []
    train_seconds: list[float] = []
    for day in sorted({c.group for c in cases}):
        training = [i for i in inspections if i.date != day]
        started = time.perf_counter()
        engine = build_engine(training)
        train_seconds.append(time.perf_counter() - started)
        assert engine.classifier is not None
        thresholds.append((day, engine.classifier.threshold, engine.classifier.stay))
        held_out = [c for c in cases if c.group == day]
        engine_out += run_cases(EngineAnalyser(engine), held_out)
        rules_out += run_cases(rules_only, held_out)
        baseline_out += run_cases(BaselineAnalyser(BaselineNB(training)), held_out)
    return FoldRun(engine_out, rules_out, baseline_out, thresholds, train_seconds)
