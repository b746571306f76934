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
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache
from typing import Final

from .catalogue import catalogue
from .chicago import ChicagoInspection, load_inspections
from .classifier import CommentClassifier, Prediction
from .findings import DESIGNATION_RANK, Finding
from .form_items import item_title, section_for
from .negation import (
    conditional_spans,
    is_advisory,
    is_compliance_statement,
    is_negated,
    mentions_correction,
    mentions_repeat,
)
from .rules import SentenceFindings, reports_nothing, rule_findings, sentence_findings
from .text import Sentence, bound, lower_view, sentences

__all__ = ["InspectionEngine", "analyse_notes", "build_engine", "default_engine", "merge"]

# A rule family that agrees with the inspectors' item on fewer than this share of its
# training firings yields to the classifier, but only for an item the inspectors filed at
# least RELABEL_SHARE of that family's findings under (their established practice, not a
# guess on text the training comments never resembled).
_MIN_AGREEMENT: Final = 0.5
RELABEL_SHARE: Final = 0.25
_MIN_FIRINGS: Final = 6  # fewer firings say too little about inspectors' practice
# The classifier adds an item in a sentence where rules fired only when all those rule
# families agreed with the inspectors' item on fewer than this share of training firings.
# Zero: where a rule speaks, the classifier adds nothing (measured best on notes unlike the
# training comments; see eval/README.md).
TRUSTED_AGREEMENT: Final = 0.0
# An order right after a finding ("Instructed to…") starts a new finding only when the
# classifier is at least this sure of another item.
FOLLOW_UP_CONFIDENCE: Final = 0.95
# A rule's finding yields to the classifier's other item only when the classifier is this
# sure: on wording unlike the training comments its posterior is a guess.
YIELD_CONFIDENCE: Final = 0.9
# The classifier alone adds a Priority or Priority Foundation finding only when this sure, and
# only in a sentence in its training comments' style (see `_in_training_style`): a Priority
# violation that is not there is the worst error an inspector can be shown.
PRIORITY_CONFIDENCE: Final = 0.9

# The classifier speaks only where a sentence reads as a problem: a deficiency word, an
# order, or the absence of something required ("no soap"). Compliance wording ("hand sink
# stocked with soap and towels", "no evidence of pests", "floors clean") never is: absences
# of bad things are removed before looking.
_BAD_THINGS: Final = (
    r"(?:evidence|signs?|pests?|roach\w*|cockroach\w*|mice|mouse|rats?|rodents?|insects?|flies|"
    r"fl(?:y|ys)|gnats?|droppings|activity|issues?|problems?|concerns?|violations?|deficienc\w+|"
    r"debris|leaks?|leaking|mold|mould|gaps?|bare[-\s]?hand\w*|build[-\s]?up|odou?rs?|damage|"
    r"cracks?|holes?|condensation|dripping|grease|residue|ice\s+build[-\s]?up|"
    r"contact|jewelry|illness|ill|sick|symptoms?|vomit\w*|diarrh\w+|fever|smoking|eating|"
    r"drinking|clutter|standing\s+water|sewage|backup|overflow|trash|garbage|litter|dust|"
    r"dirt|soil|stains?|rust|chips?|peeling|cross[-\s]?contamination|expired|outdated)"
)
_COMPLIANT: Final = re.compile(
    rf"\b(?:no|not|none|without|free\s+of|zero|nor|never)\s+(?:\w+\s+){{0,3}}?{_BAD_THINGS}\b"
    rf"(?:\s*(?:,|or|and|nor)\s+(?:\w+\s+){{0,2}}?{_BAD_THINGS}\b)*[^,;:.()]*"
    r"|\b(?:not|none|nothing)\s+(?:\w+\s+)?(?:observed|seen|noted|found|present|evident|"
    r"blocked|obstructed|dirty|soiled|damaged|broken|expired|exceeded)\b"
    r"|\bin\s+good\s+(?:repair|condition|order)|\bno\s+(?:other\s+)?(?:violations?|issues?)"
)
_PROBLEM_CUE: Final = re.compile(
    r"\b(?:dirty|soiled|filthy|unclean|unsanitary|debris|build[-\s]?up|buildup|greasy|"
    r"grease(?!\s+(?:trap|bins?|containers?|barrels?|drums?|interceptor))|"
    r"grime|mold|mould|slime|residue|dust\w*|broken|damaged|torn|cracked|chipped|leak\w*|"
    r"drip\w*|clogged|rust\w*|peeling|holes?|(?<!air\s)(?<!air-)gaps?|stain\w*|accumulat\w*|excess\w*|"
    r"inadequate\w*|improper\w*|insufficient|missing|lack\w*|unlabell?ed|uncovered|unwrapped|"
    r"undated|expired|blocked|obstructed|inaccessible|overflow\w*|clutter\w*|unused|poor|"
    r"droppings|roach\w*|cockroach\w*|flies|gnats?|rodent\w*|mice|mouse|insects?|"
    r"must|instruct\w*|instd|need(?:s|ed)?\s+(?:to|an?|new|more|proper)|shall|required\s+to|repair|replace|install|"
    r"elevate|violation\w*|cited|failed|fail\w*|exceed\w*|"
    r"unapproved|bare[-\s]?hand\w*|not\s+(?:\w+\s+)?(?:clean|cleaned|maintained|labell?ed|"
    r"dated|covered|stored|provided|available|posted|working|functioning|accurate|calibrated|"
    r"protected|sanitized|washed|shielded|sealed|accessible|stocked|supplied|present|on\s+site|"
    r"in\s+use|used|followed|kept|marked|approved|restrained|wearing|changed)"
    r"|(?:no|without|out\s+of|empty)\s+(?:\w+\s+){0,2}?(?:soap|paper|towels?|drying|signs?|"
    r"signage|thermometers?|test|strips?|kits?|labels?|date|dates|lids?|covers?|hair|beard|"
    r"restraints?|gloves?|sanitizer|hot\s+water|water|certificat\w+|cfpm|manager|policy|plan|"
    r"procedures?|advisory|disclosure|records?|logs?|tags?|receptacles?|screens?|sweeps?|"
    r"shields?|lights?|lighting|ventilation|backflow|air\s+gap|vacuum\s+breaker|probe|"
    r"variance|haccp|handwashing|hand\s+sink|sink|invoices?|receipts?|time|stoppers?))\b"
)


# "Instructed to…", "Must…": the order that goes with the observation just before it.
_DIRECTIVE_START: Final = re.compile(
    r"^(?:instruct\w*|instd|must|manager\s+(?:was\s+)?instructed|advised|ordered|told|"
    r"need(?:s|ed)?\s+to|shall|(?:all\s+)?\w+\s+must)\b"
)
_NOT_A_PROBLEM: Final = re.compile(
    r"\bpest\s+control\b[^,;.]*|\bbait\s+stations?\b"
    # "Must continue to monitor cooling": keep doing what is done, nothing wrong
    r"|\b(?:must|shall|instructed\s+to|needs?\s+to|should)\s+continue\b[^,;.]*"
)


# The task a hand wash comes after or before ("washed their hands after handling soiled
# trays"): its words describe the task, not a problem.
_TASK_CLAUSE: Final = re.compile(
    r"\b(?:after|before|when|while)\s+(?:handling|touching|cleaning|clearing|bus+ing|taking\s+"
    r"out|emptying|using|changing)\b[^,;.]*"
)
_OBSERVED: Final = re.compile(r"\b(?:observed|found|noted|saw|seen)\b")
_SELF_NEGATING_CUE: Final = re.compile(r"^(?:no|without|out\s+of|empty|not|un|lack|missing)\b")


def _problem_cue(view: str) -> bool:
    """Whether the sentence says something is wrong: a problem word that no negation in
    its clause denies ("no cracked or chipped utensils observed" says nothing is), in a
    sentence that reports what this inspection saw (not an earlier one's corrected
    finding, not a complaint's unconfirmed allegation)."""
    if is_advisory(view) and not re.search(r"\b(?:observed|found|noted|saw)\b", view):
        return False
    if reports_nothing(view) or (is_compliance_statement(view) and not _OBSERVED.search(view)):
        return False
    view = _NOT_A_PROBLEM.sub(lambda m: " " * len(m.group()), view)
    compliant = [
        *(m.span() for m in _COMPLIANT.finditer(view)),
        *conditional_spans(view),
        *(m.span() for m in _TASK_CLAUSE.finditer(view)),
    ]
    for match in _PROBLEM_CUE.finditer(view):
        if any(a <= match.start() < b for a, b in compliant):
            continue
        self_negating = _SELF_NEGATING_CUE.match(match.group()) is not None
        if not is_negated(view, match.start(), match.end(), self_negating=self_negating):
            return True
    return False


_CAPITALS_SHARE: Final = 0.8


def _written_in_capitals(notes: str) -> bool:
    """Whether the notes as a whole are written in capitals, as Chicago's comments are; a
    form's capital headings ("COOLING:", "EMPLOYEE HEALTH:") over mixed-case text are not."""
    letters = [c for c in notes if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) >= _CAPITALS_SHARE * len(letters)


def _in_training_style(text: str) -> bool:
    """Whether a sentence is written as the classifier's training comments are (Chicago's
    inspectors write in capitals). Elsewhere (notes in mixed or lower case) the classifier may
    add only Core findings: on wording unlike its training its posterior is a guess, and a
    Priority or Priority Foundation finding must rest on a rule and its evidence."""
    return not any(c.islower() for c in text)


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

    def __init__(
        self,
        classifier: CommentClassifier | None = None,
        *,
        trusted_agreement: float = TRUSTED_AGREEMENT,
        follow_up_confidence: float = FOLLOW_UP_CONFIDENCE,
    ) -> None:
        self.classifier = classifier
        self.follow_up_confidence = follow_up_confidence
        self._yielding: frozenset[str] = frozenset()
        self._loose: frozenset[str] = frozenset()
        if classifier is not None:
            agreement = classifier.rule_agreement
            self._yielding = frozenset(
                c for c, (agree, fired) in agreement.items()
                if fired >= _MIN_FIRINGS and agree / fired < _MIN_AGREEMENT
            )  # fmt: skip
            # Rule families whose item inspectors often cite differently: the classifier
            # may add its own item next to theirs.
            self._loose = frozenset(
                c for c, (agree, fired) in agreement.items()
                if fired >= _MIN_FIRINGS and agree / fired < trusted_agreement
            )  # fmt: skip

    def _files_elsewhere(self, finding: Finding, item: int) -> bool:
        """Whether inspectors, on the training comments, filed this rule family's findings
        under `item` (the classifier's item for the sentence) often enough that the
        classifier's reading should replace the rule's: the family mostly disagreed with
        the cited item, and `item` took at least RELABEL_SHARE of its firings."""
        if self.classifier is None or finding.concept not in self._yielding:
            return False
        cited = self.classifier.rule_cited.get(finding.concept, {})
        fired = sum(cited.values())
        return (
            item != finding.form_item
            and fired > 0
            and cited.get(item, 0) / fired >= (RELABEL_SHARE)
        )

    def analyse(self, notes: str) -> list[Finding]:
        """The distinct violations in the notes, in the order they are first mentioned."""
        text = bound(notes)
        found = sentences(text, lower_view(text))
        per_sentence = rule_findings(found, text)
        predictions = (
            self.classifier.predict_sentences(found, [_concepts(s) for s in per_sentence])
            if self.classifier is not None
            else [None] * len(found)
        )
        chosen: list[Finding] = []
        previous_found = False
        capitals = _written_in_capitals(text)
        for index, (entry, prediction) in enumerate(zip(per_sentence, predictions, strict=True)):
            rule_items = {f.form_item for f in entry.findings}
            # "Instructed to…" right after a finding is that finding's order, not a new one.
            follows_up = previous_found and _DIRECTIVE_START.match(entry.sentence.lower) is not None
            previous_found = bool(entry.findings) or follows_up
            for finding in entry.findings:
                if (
                    prediction is not None
                    and prediction.probability >= YIELD_CONFIDENCE
                    and self._files_elsewhere(finding, prediction.item)
                    # on wording unlike its training comments the classifier's reading is a
                    # guess: there the rule's finding, resting on its evidence, stands
                    and capitals
                    and _in_training_style(entry.sentence.text)
                ):
                    continue
                chosen.append(finding)
            if (
                prediction is not None
                and entry.reports
                and prediction.item not in rule_items
                and all(f.concept in self._loose for f in entry.findings)
                and (not follows_up or prediction.probability >= self.follow_up_confidence)
                and _problem_cue(entry.sentence.lower)
                and (
                    prediction.severity not in ("P", "Pf")
                    or prediction.probability >= PRIORITY_CONFIDENCE
                )
            ):
                added = self._classifier_finding(found, index, prediction)
                if added.designation == "C" or (
                    capitals and _in_training_style(entry.sentence.text)
                ):
                    chosen.append(added)
                    previous_found = True
        return merge(_drop_subsumed(_apply_item_marks(chosen, text, found)))

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
            description=item_title(item),
            evidence=sentence.text,
            start=sentence.start,
            end=sentence.end,
            source="classifier",
            corrected_on_site=corrected,
            repeat=repeat,
            concept="classifier",
        )


# A checklist line that marks a Form 3-A item by its number: "#44 OUT - clean knives in a
# bin with crumbs", "5  Vomit/diarrhea procedure ...... OUT  no clean-up kit", "22 IN (milk
# 37F)". The inspector has said which item the line is about and whether it is in compliance.
_ITEM_MARK: Final = re.compile(
    r"^[ \t]*(?:#|[Ii][Tt][Ee][Mm]\s+|[Nn]o\.\s*)?"
    r"(?P<item>[1-9]|[1-4]\d|5[0-6])(?![\d.,:/-]\d)[.)]?"
    r"(?:[ \t]+[^\n]{0,60}?(?:\.{3,}|\u2026+)[ \t]*|[ \t]*[-:][ \t]*|[ \t]+)"
    r"(?P<mark>OUT|IN|N/?O|N/?A|N\.O\.|N\.A\.)(?![\w/])"
    r"(?P<flags>(?:[ \t,/]+(?:COS|R|REPEAT|CORRECTED))*)",
    re.MULTILINE,
)
_LEADERS: Final = re.compile(r"\.{3,}|\u2026")


def _item_marks(notes: str) -> list[tuple[int, int, int, bool, bool, bool]]:
    """(line start, line end, item, out, corrected, repeat) of each item-mark line. The mark
    counts in capitals ("OUT", "IN"), or in any case after a checklist's leader dots."""
    marks = []
    for match in _ITEM_MARK.finditer(notes):
        mark = match.group("mark")
        if mark != mark.upper() and not _LEADERS.search(match.group()):
            continue
        end = notes.find("\n", match.end())
        end = len(notes) if end < 0 else end
        flags = match.group("flags").upper()
        marks.append(
            (
                match.start(),
                end,
                int(match.group("item")),
                mark.upper() == "OUT",
                "COS" in flags or "CORRECTED" in flags,
                bool(re.search(r"\b(?:R|REPEAT)\b", flags)),
            )
        )
    return marks


def _apply_item_marks(
    findings: list[Finding], notes: str, found: Sequence[Sentence]
) -> list[Finding]:
    """On a line that marks an item, the mark decides: an IN / N.O. / N.A. line holds no
    finding, an OUT line holds its own item's (added from the line when nothing else read
    it) and no other item's."""
    marks = _item_marks(notes)
    if not marks:
        return findings
    kept = []
    for finding in findings:
        line = next((m for m in marks if m[0] <= finding.start < m[1]), None)
        if line is None or (line[3] and finding.form_item == line[2]):
            kept.append(finding)
    for start, end, item, out, corrected, repeat in marks:
        if not out:
            continue
        own = [i for i, f in enumerate(kept) if f.form_item == item and start <= f.start < end]
        for i in own:
            kept[i] = replace(
                kept[i],
                corrected_on_site=kept[i].corrected_on_site or corrected,
                repeat=kept[i].repeat or repeat,
            )
        if own:
            continue
        on_line = [s for s in found if start <= s.start < end]
        evidence = on_line[-1] if on_line else None
        if evidence is None:
            continue
        section, designation = section_for(item, None)
        kept.append(
            Finding(
                food_code_section=section,
                form_item=item,
                designation=designation,
                description=item_title(item),
                evidence=evidence.text,
                start=evidence.start,
                end=evidence.end,
                source="rule",
                corrected_on_site=corrected or mentions_correction(evidence.lower),
                repeat=repeat or mentions_repeat(evidence.lower),
                concept="item_mark",
            )
        )
    return sorted(kept, key=lambda f: f.start)


def _concepts(entry: SentenceFindings) -> list[tuple[str, int]]:
    return [(f.concept, f.form_item) for f in entry.findings]


def _drop_subsumed(findings: list[Finding]) -> list[Finding]:
    """Readings that restate a finding already made: a wrong cooling method where the
    cooling time was missed (cited as item 20), the air of a unit holding warm food
    (cited as the food's cold holding, item 22), and the water of each sink where the notes
    say there is no hot water at all (cited once, item 50)."""
    items = {f.form_item for f in findings}
    sections = {f.food_code_section for f in findings if not f.concept.startswith("measure:")}
    kept = []
    for finding in findings:
        if finding.concept == "cooling_method" and 20 in items:
            continue  # the cooling time was missed: cited as item 20, not the method
        if finding.concept == "measure:4-301.11" and 22 in items:
            continue
        if (
            finding.concept in ("measure:5-202.12(A)", "measure:5-103.11")
            and "5-103.11" in sections
        ):
            continue
        kept.append(finding)
    return kept


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
    catalogue()  # read and validated here, at warm-up, not on the first analysis
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
