"""The compliance score of predicted violations, by scoring.py's default scheme.

Imported by name at run time: the harness measures score ordering as soon as the scoring
module is on the branch, and says so plainly (the figure is "-") while it is not.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence

from .metrics import Predicted

__all__ = ["default_scorer"]


def default_scorer() -> Callable[[Sequence[Predicted]], int] | None:
    """A function from violations to the 0-100 score, or None without scoring.py."""
    try:
        scoring = importlib.import_module("opengovfood.inspection.scoring")
    except ModuleNotFoundError:
        return None

    def score(found: Sequence[Predicted]) -> int:
        citations = [
            scoring.Citation(
                section=p.section,
                designation=p.designation or "C",
                corrected_on_site=p.corrected_on_site,
                repeat=p.repeat,
                form_item=p.form_item,
            )
            for p in found
            if p.section
        ]
        return int(scoring.score_violations(citations).score)

    return score
