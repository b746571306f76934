"""The inspection engine: rules and the trained comment classifier, combined per sentence.

    engine = build_engine()              # once, at warm-up (trains in well under a second)
    findings = engine.analyse(notes)     # pure, no I/O; or analyse_notes(notes)

Per sentence: the rules' findings (measurements, phrases) stand, except a rule family that
on the training comments mostly disagrees with the inspectors' item, when the classifier is
confident of another item. The classifier adds its item when no rule found that item in the
sentence and the sentence reads as a problem (see `_problem_cue`); its section is the item's
section of the designation its severity model predicts. Findings are merged per section
(one finding per distinct violation; corrected-on-site and repeat marks are kept if any
mention has them).
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from collections.abc import Sequence
from dataclasses import replace
from typing import Final

from .chicago import ChicagoInspection, load_inspections
from .classifier import CommentClassifier, Prediction
from .findings import DESIGNATION_RANK, Finding
from .form_items import ITEM_TITLES, section_for
from .negation import mentions_correction, mentions_repeat
from .rules import SentenceFindings, rule_findings, sentence_findings
from .text import Sentence, bound, lower_view, sentences

__all__ = ["InspectionEngine", "analyse_notes", "build_engine", "default_engine", "merge"]

# A rule family that agrees with the inspectors' item on fewer than this share of its
# training firings yields to a confident classifier.
_MIN_AGREEMENT: Final = 0.5
_MIN_FIRINGS: Final = 3

# The classifier speaks only where a sentence reads as a problem: a deficiency word or an
# order. Compliance wording alone ("hand sink stocked with soap and towels") never is.
_PROBLEM_CUE: Final = re.compile(
    r"\b(?:no|not|none|never|without|missing|lack\w*|inadequate\w*|improper\w*|insufficient|"
    r"dirty|soiled|filthy|unclean|debris|build[-\s]?up|buildup|grease|greasy|mold|mould|"
    r"slime|residue|dust\w*|broken|damaged|torn|cracked|chipped|leak\w*|drip\w*|clogged|"
    r"rust\w*|worn|peeling|holes?|gaps?|stain\w*|accumulat\w*|excess\w*|must|instruct\w*|"
    r"instd|need\w*|require\w*|shall|should|repair|replace|provide|install|discard\w*|"
    r"remove|clean|detail|seal|label|elevate|store|obtain|droppings|roach\w*|flies|gnats?|"
    r"rodent\w*|mice|mouse|insects?|pests?|blocked|obstructed|inaccessible|expired|"
    r"unlabell?ed|uncovered|unwrapped|empty|open|overflow\w*|violation\w*|cited|corrected|"
    r"cos|failed|fail\w*|out\s+of|exceed\w*|above|below|observed\s+(?:an?\s+)?(?:employee|"
    r"food\s+handler|cook|worker)|improperly|unapproved|bare|clutter\w*|unused|poor|low)\b"
)
_COMPLIANCE_WORDS: Final = re.compile(
    r"\b(?:no\s+(?:evidence|signs?|sign|activity|issues?|problems?|concerns?|violations?)|"
    r"not\s+(?:observed|seen|noted|found|present)|free\s+of|in\s+good\s+(?:repair|condition)|"
    r"no\s+\w+\s+(?:observed|seen|noted|found)|none\s+(?:observed|seen|noted|found))\b"
)


def _problem_cue(view: str) -> bool:
    return _PROBLEM_CUE.search(_COMPLIANCE_WORDS.sub(" ", view)) is not None


def _rule_concepts(sentence: Sentence) -> tuple[tuple[str, int], ...]:
    return _concepts_of_text(sentence.text)


@lru_cache(maxsize=16_384)
def _concepts_of_text(text: str) -> tuple[tuple[str, int], ...]:
    # Training sees each comment sentence twice (alone and in its paragraph) and again in
    # every cross-validation fold: the rules run once per distinct sentence.
    sentence = Sentence(0, len(text), text, lower_view(text))
    return tuple((f.concept, f.form_item) for f in sentence_findings(sentence))


class InspectionEngine:
    """Rules, optionally with a trained comment classifier."""

    def __init__(self, classifier: CommentClassifier | None = None) -> None:
        self.classifier = classifier
        self._yielding: frozenset[str] = frozenset()
        if classifier is not None:
            self._yielding = frozenset(
                concept
                for concept, (agree, fired) in classifier.rule_agreement.items()
                if fired >= _MIN_FIRINGS and agree / fired < _MIN_AGREEMENT
            )

    def analyse(self, notes: str) -> list[Finding]:
        """The distinct violations in the notes, in the order they are first mentioned."""
        text = bound(notes)
        found = sentences(text, lower_view(text))
        per_sentence = rule_findings(found)
        predictions = (
            self.classifier.predict_sentences(found, [_concepts(s) for s in per_sentence])
            if self.classifier is not None
            else [None] * len(found)
        )
        chosen: list[Finding] = []
        for index, (entry, prediction) in enumerate(zip(per_sentence, predictions, strict=True)):
            rule_items = {f.form_item for f in entry.findings}
            for finding in entry.findings:
                if (
                    finding.concept in self._yielding
                    and prediction is not None
                    and prediction.item != finding.form_item
                ):
                    continue
                chosen.append(finding)
            if (
                prediction is not None
                and prediction.item not in rule_items
                and _problem_cue(entry.sentence.lower)
            ):
                chosen.append(self._classifier_finding(found, index, prediction))
        return merge(chosen)

    @staticmethod
    def _classifier_finding(
        found: Sequence[Sentence], index: int, prediction: Prediction
    ) -> Finding:
        item = prediction.item
        sentence = found[index]
        section, designation = section_for(item, prediction.severity)
        follow = found[index + 1] if index + 1 < len(found) else None
        corrected = mentions_correction(sentence.lower) or (
            follow is not None and mentions_correction(follow.lower)
        )
        repeat = mentions_repeat(sentence.lower)
        return Finding(
            food_code_section=section,
            form_item=item,
            designation=designation,
            description=ITEM_TITLES[item],
            evidence=sentence.text,
            start=sentence.start,
            end=sentence.end,
            source="classifier",
            corrected_on_site=corrected,
            repeat=repeat,
            concept="classifier",
        )


def _concepts(entry: SentenceFindings) -> list[tuple[str, int]]:
    return [(f.concept, f.form_item) for f in entry.findings]


def merge(findings: Sequence[Finding]) -> list[Finding]:
    """One finding per section, in first-mention order; marks kept if any mention has them.
    A classifier finding whose item a rule finding already covers adds nothing."""
    rule_items = {f.form_item for f in findings if f.source == "rule"}
    merged: dict[str, Finding] = {}
    for finding in findings:
        if finding.source == "classifier" and finding.form_item in rule_items:
            continue
        seen = merged.get(finding.food_code_section)
        if seen is None:
            merged[finding.food_code_section] = finding
            continue
        merged[finding.food_code_section] = replace(
            seen,
            corrected_on_site=seen.corrected_on_site or finding.corrected_on_site,
            repeat=seen.repeat or finding.repeat,
            designation=max(
                (seen.designation, finding.designation), key=DESIGNATION_RANK.__getitem__
            ),
        )
    return list(merged.values())


def build_engine(
    training: Sequence[ChicagoInspection] | None = None, *, with_classifier: bool = True
) -> InspectionEngine:
    """An engine whose classifier is trained on `training` (default: the shipped sample)."""
    if not with_classifier:
        return InspectionEngine()
    inspections = load_inspections() if training is None else training
    return InspectionEngine(CommentClassifier(inspections, rule_concepts=_rule_concepts))


_default: InspectionEngine | None = None
_default_lock = threading.Lock()


def default_engine() -> InspectionEngine:
    """The engine trained on the shipped sample, built once (call it at warm-up, off the
    event loop: training takes a fraction of a second of CPU)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = build_engine()
        return _default


def analyse_notes(notes: str) -> list[Finding]:
    """The violations in `notes`, by the default engine (rules and the trained classifier)."""
    return default_engine().analyse(notes)

