"""The harness's arithmetic on a tiny fixture, and the floor check."""

from __future__ import annotations

import pytest

from eval.corpora import Case, GoldViolation
from eval.floors import Floor, check_floors
from eval.metrics import Outcome, Predicted, compute, percentile


def _case(cid: str, notes: str, *violations: tuple[int, str]) -> Case:
    return Case(cid, notes, tuple(GoldViolation(i, s) for i, s in violations))


def test_item_precision_recall_severity_and_clean_notes() -> None:
    a = _case("a", "salad 47F; no soap", (22, "P"), (10, "Pf"))
    b = _case("b", "all fine")
    c = _case("c", "floors dirty", (55, "C"))
    outcomes = [
        Outcome(
            a,
            (
                Predicted(22, "P", "3-501.16(A)(2)", "salad 47F"),
                Predicted(38, "Pf", "6-501.111", "x"),
            ),
            0.010,
        ),
        Outcome(b, (Predicted(10, "Pf", "6-301.11", "all fine"),), 0.020),
        Outcome(c, (Predicted(55, "P", "6-501.12", "floors dirty"),), 0.030),
    ]
    m = compute(outcomes, known_section=lambda s: s != "6-501.111")
    assert (m.micro.tp, m.micro.fp, m.micro.fn) == (2, 2, 1)
    assert m.micro.precision == pytest.approx(0.5)
    assert m.micro.recall == pytest.approx(2 / 3)
    assert m.per_item[10].fp == 1
    assert m.per_item[10].fn == 1
    assert m.severity_labelled == 2
    assert m.severity_right == 1
    assert m.clean_cases == 1
    assert m.clean_with_priority == 1
    assert m.priority_on_clean == 1
    # grounded: a real section and evidence quoted from the notes
    assert m.findings == 4
    assert m.grounded == 3
    assert m.latency_p50_ms == pytest.approx(20.0)
    assert m.macro_recall == pytest.approx((1.0 + 0.0 + 1.0) / 3)


def test_items_of_one_note_collapse_to_the_most_severe() -> None:
    a = _case("a", "n", (38, "Pf"), (38, "C"))
    m = compute([Outcome(a, (Predicted(38, "C"), Predicted(38, "Pf")), 0.0)])
    assert (m.micro.tp, m.micro.fp, m.micro.fn) == (1, 0, 0)
    assert m.severity_right == 1


def test_score_gap() -> None:
    clean = _case("clean", "n")
    dirty = _case("dirty", "n", (22, "P"))
    outcomes = [Outcome(clean, (), 0.0), Outcome(dirty, (Predicted(22, "P"),), 0.0)]
    m = compute(outcomes, score=lambda found: 100 - 20 * len(found))
    assert m.score_gap == pytest.approx(20.0)


def test_percentile_nearest_rank() -> None:
    assert percentile([], 50) == 0.0
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 95) == 4.0


def test_floor_check_fails_below_and_passes_above() -> None:
    good = compute([Outcome(_case("a", "n", (22, "P")), (Predicted(22, "P"),), 0.0)])
    bad = compute([Outcome(_case("a", "n", (22, "P")), (Predicted(10, "P"),), 0.0)])
    floors = (Floor("x", "recall", minimum=0.9), Floor("x", "clean_with_priority", maximum=0.0))
    assert check_floors({"x": good}, floors) == []
    broken = check_floors({"x": bad}, floors)
    assert broken == ["x recall 0.000 < floor 0.9"]
    assert check_floors({}, floors) == []  # a corpus not run is skipped


def test_scorer_follows_scoring_module() -> None:
    import importlib.util

    from eval.scores import default_scorer

    scorer = default_scorer()
    if importlib.util.find_spec("opengovfood.inspection.scoring") is None:
        assert scorer is None
        return
    assert scorer is not None
    assert scorer([]) == 100
    assert scorer([Predicted(22, "P", "3-501.16(A)(2)", "salad 47F")]) < 100
