"""The rules pass: measurements and phrase rules over each sentence of the notes.

Pure functions over text; no model. Findings carry the sentence (or, for a measurement, the
clause) they rest on as verbatim evidence, and whether the notes say the problem was
corrected on site or is a repeat.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from typing import Final

from .findings import Finding
from .form_items import designation_of
from .measurements import FOOD_WORDS, check_sentence, readings
from .negation import (
    conditional_spans,
    is_advisory,
    is_allegation,
    is_compliance_statement,
    is_declared_no_finding,
    is_negated,
    is_procedure,
    is_rule_statement,
    is_standalone_verdict,
    mentions_correction,
    mentions_repeat,
)
from .phrases import PHRASE_RULES, PhraseRule
from .prefilter import LiteralIndex, Prefilter
from .text import Sentence, expand_abbreviations, lower_view
from .timeline import check_times, inspection_day

__all__ = [
    "SentenceFindings",
    "earlier_items",
    "reports_nothing",
    "rule_findings",
    "sentence_findings",
]

_SELF_NEGATING: Final = re.compile(
    r"^(?:no|not|without|missing|lack|absent|out\s+of|empty|none|zero|never|un|non|did\s+not|"
    r"didn't|does\s+not|doesn't|failed|fail)\b"
)
_DIRECTIVE_START: Final = re.compile(
    r"^(?:must|instructed|instruct|need|needs|needed|shall|should|required|ordered|advised|"
    r"told|to\s+be|request)"
)


# Literal pre-checks: a rule is tried only when its subject's and its problem's literals
# occur in the sentence (filter 2n is rule n's subject, 2n + 1 its problem).
_LITERALS: Final = LiteralIndex(
    [f for rule in PHRASE_RULES for f in (Prefilter(rule.subject), Prefilter(rule.problem))]
)


@dataclass(frozen=True, slots=True)
class SentenceFindings:
    sentence: Sentence
    findings: tuple[Finding, ...]
    # False for a sentence that restates an earlier inspection's item (see earlier_items):
    # neither the rules nor the classifier read a finding into it.
    reports: bool = True


def _rule_applies(rule: PhraseRule, sentence: Sentence, advisory: bool, notes_view: str) -> bool:
    view = sentence.lower
    if rule.requires_note is not None and rule.requires_note.search(notes_view) is None:
        return False
    if rule.subject is not None and rule.subject.search(view) is None:
        return False
    if rule.unless is not None and rule.unless.search(view) is not None:
        return False
    hypothetical = conditional_spans(view)
    for match in rule.problem.finditer(view):
        text = match.group().strip()
        if advisory and _DIRECTIVE_START.match(text):
            continue
        if any(a <= match.start() < b for a, b in hypothetical):
            continue
        start = match.start() + (len(match.group()) - len(match.group().lstrip()))
        if is_negated(view, start, match.end(), self_negating=bool(_SELF_NEGATING.match(text))):
            continue
        return True
    return False


_HISTORY: Final = re.compile(
    r"\b(?:previous(?:ly)?|prior|last|earlier|routine|original)\s+(?:[\w']+\s+){0,3}?"
    r"(?:inspection|visit|report)\b(?:,?\s+[\w/-]+){0,4}?\s+(?:cited|noted|found|documented|"
    r"recorded|identified|had|listed)|\bwhich\s+cited\b|\bwere\s+cited\s+(?:on|at|during)\b|"
    r"\b(?:all|each|every)\s+(?:\w+\s+){0,3}?(?:items?|violations?)\s+(?:\w+\s+){0,2}?"
    r"(?:corrected|resolved|addressed|fixed)\b"
    # "the previous violation for the blocked hand sink has been corrected"
    r"|\b(?:previous(?:ly)?|prior|last|earlier)\s+(?:[\w']+\s+){0,3}?(?:violations?|items?|"
    r"citations?|deficienc\w+|issues?|findings?|inspection|visit|report|notes?|write[-\s]?up)\b[^.;]{0,80}?\b(?:has|have|"
    r"had|was|were|is|are|now)\s+(?:been\s+)?(?:\w+\s+)?(?:corrected|resolved|addressed|fixed|"
    r"abated|repaired|replaced|removed|in\s+compliance)\b"
    r"|\b(?:corrected|resolved|addressed|fixed|abated|repaired)\s+since\s+(?:the\s+|my\s+)?"
    r"(?:last|previous|prior)\b"
    # "the dish machine was broken last month and was repaired"
    r"|\b(?:last|past|previous)\s+(?:week|month|year|summer|winter|spring|fall)\b[^.;]{0,60}?"
    r"\b(?:has\s+been\s+|have\s+been\s+|was\s+|were\s+|and\s+)?(?:repaired|replaced|fixed|"
    r"corrected|resolved|serviced)\b"
)
_STILL: Final = re.compile(
    r"\b(?:still|again|remains?|remained|not\s+(?:yet\s+)?corrected|uncorrected|repeat|"
    r"continues?|persists?|outstanding)\b"
)


# Rules that read dirt on a kind of surface: food-contact (16), non-food-contact (49),
# floors/walls/ceilings (55).
_MOULD: Final = re.compile(r"\bmou?ld")
_SOILED_SURFACE_RULES: Final = frozenset(
    {"food_contact_dirty", "nonfood_contact_dirty", "facility_clean"}
)
# Rules that read disrepair: of equipment (47) or of floors, walls and ceilings (55).
_REPAIR_RULES: Final = frozenset({"equipment_repair", "facility_repair"})
# A checklist line that only names an item ("38 Insects, rodents, animals ......"), with
# nothing or a pass mark after its leader dots, reports nothing.
_CHECKLIST_HEADING: Final = re.compile(
    r"^\s*\d{1,2}[.)]?\s+[^.]{3,90}?\.{3,}\s*(?:ok|okay|in|n/?a|yes|c|compliant|good|"
    r"satisfactory|pass(?:ed)?|\W)?\s*$"
)


# An earlier inspection named, and the sentence saying its finding has been put right:
# "Previously cited: hand sink blocked - now corrected", "Items cited on 6/2 (no soap) were
# corrected", "the walk-in that was 50F at the last inspection now holds 37F".
_EARLIER: Final = re.compile(
    r"\b(?:previous(?:ly)?|prior|earlier)\b|\blast\s+(?:inspection|visit|time|report|routine|"
    r"year|month)|\b(?:inspection|visit|report)\s+(?:of|on|from)\s+\d|\bcited\s+(?:on|in)\s+"
    r"\d|\bfrom\s+(?:the\s+)?(?:last|previous|prior)\b|\b(?:in|from|since|on)\s+(?:january|"
    r"february|march|april|may|june|july|august|september|october|november|december)\b"
)
_PUT_RIGHT: Final = re.compile(
    r"\b(?:corrected|resolved|fixed|repaired|replaced|addressed|abated|in\s+compliance)\b"
    r"|\bnow\s+(?:holds?|reads?|at|is|are|has|have|full|stocked|in|ok|clear|clean|posted|"
    r"provided|available|on\s+site)\b|\b(?:none|nothing)\s+(?:\w+\s+){0,2}?(?:today|now)\b"
    r"|\b(?:is|are)\s+(?:\w+\s+)?(?:clear|clean|fixed|ok|fine|stocked|working|repaired)\s+now\b"
    r"|\bno\s+\w+\s+(?:today|now)\b|\btoday\s+(?:\w+\s+){0,3}?(?:in\s+compliance|ok|fine)\b"
)
_STILL_WRONG: Final = re.compile(
    r"\b(?:still|again|remains?|remained|not\s+(?:yet\s+)?(?:corrected|resolved|fixed)|"
    r"uncorrected|continues?|persists?|outstanding)\b"
)


def is_history(view: str) -> bool:
    """A sentence that reports what an earlier inspection cited (now corrected), rather
    than what this one found."""
    if _HISTORY.search(view) is not None and _STILL.search(view) is None:
        return True
    return (
        _EARLIER.search(view) is not None
        and _PUT_RIGHT.search(view) is not None
        and _STILL_WRONG.search(view) is None
    )


# A follow-up's list of the earlier inspection's items, under a heading line ending in ":"
# ("Re-check of the items from 2/20:", "Earlier items:", "Items re-checked:"), runs until a
# heading for this visit's findings ("New today:", "New observations:", "Additional:").
_PAST_HEADING: Final = re.compile(
    r"(?:\b(?:items?|violations?|findings?|citations?|deficienc\w+|orders?)\s+"
    r"(?:re-?checked|re-?inspected|reviewed|verified|from\s+(?:the\s+)?(?:last|previous|prior|"
    r"earlier|\d|routine|original))"
    r"|\b(?:re-?check(?:ed)?|review(?:ed)?|status|follow[-\s]?up|verification)\s+(?:of|on)\s+"
    r"(?:the\s+|all\s+)?(?:\w+\s+){0,2}?(?:items?|violations?|findings?|citations?|orders?)"
    r"|\b(?:earlier|previous(?:ly)?|prior|last|outstanding|old|original)\s+(?:\w+\s+){0,3}?"
    r"(?:items?|violations?|findings?|citations?|deficienc\w+|orders?|cited)"
    # "Items cited on 3/2 rechecked."
    r"|\b(?:items?|violations?|findings?|citations?|deficienc\w+|orders?)\s+(?:cited|written|"
    r"noted|found)\s+(?:on|at|during|in)\s+[^:.;]{1,30}?\s+(?:re-?checked|re-?inspected|"
    r"reviewed|verified|checked))"
    r"[^:.;]{0,40}(?P<end>[:.])\s*$"
)
_NEW_HEADING: Final = re.compile(
    r"^\W{0,3}(?:new|today'?s?|additional|other|current|further|this\s+visit|observations?)\b"
    r"[^:.;]{0,40}:"
)
_ENTRY_START: Final = re.compile(r"^\s*(?:[-*\u2022]|\(?\d{1,2}[.)]|#\d{1,2}\b|\(?[a-h]\)\s)")


def _line_spans(notes: str) -> list[tuple[int, int]]:
    spans, at = [], 0
    for line in notes.split("\n"):
        spans.append((at, at + len(line)))
        at += len(line) + 1
    return spans


def earlier_items(found: list[Sentence], notes: str) -> frozenset[int]:
    """The sentences (by index) that restate an earlier inspection's item in a follow-up's
    list of them: each entry's first sentence, unless the entry says the problem is still
    there ("still", "repeat", "not corrected"), in which case the entry is this visit's
    finding too. What the entry says of today ("Today the cooler reads 47F") is kept."""
    if not found:
        return frozenset()
    view = lower_view(notes)
    silent: set[int] = set()
    in_block = False
    # A heading written as a sentence ("Checking the five items from the routine of the
    # 3rd.") opens a list only of marked entries ("(a) …", "1. …"): the first unmarked line
    # after a blank one is this visit's own text again.
    marked_only = False
    entries: list[tuple[int, int]] = []
    entry_start: int | None = None
    previous_blank = False
    lines = _line_spans(view)
    for number, (start, end) in enumerate(lines):
        line = view[start:end]
        if not line.strip():
            previous_blank = True
            continue
        if (
            _NEW_HEADING.match(line)
            or (in_block and line.rstrip().endswith(":"))
            or (
                in_block
                and marked_only
                and (entry_start is None or previous_blank)
                and not _ENTRY_START.match(line)
            )
        ):
            if entry_start is not None:
                entries.append((entry_start, start))
            in_block = False
            entry_start = None
        heading = _PAST_HEADING.search(line)
        if heading is not None:
            following = next((view[a:b] for a, b in lines[number + 1 :] if view[a:b].strip()), "")
            if heading.group("end") == ":" or _ENTRY_START.match(following):
                in_block = True
                marked_only = heading.group("end") != ":"
                entry_start = None
                previous_blank = False
                continue
        if in_block and (entry_start is None or previous_blank or _ENTRY_START.match(line)):
            if entry_start is not None:
                entries.append((entry_start, start))
            entry_start = start
        previous_blank = False
    if in_block and entry_start is not None:
        entries.append((entry_start, len(view)))
    for begin, stop in entries:
        inside = [i for i, s in enumerate(found) if begin <= s.start < stop]
        if inside and _STILL.search(view[begin:stop]) is None:
            silent.add(inside[0])
    return frozenset(silent)


_CORRECTION_LABEL: Final = re.compile(r"^\s*(?:corrected|c\.?o\.?s\.?)\s*[:\u2014-]")


_QUESTION: Final = re.compile(r"\?\s*[\"')]*\s*$")
_SEEN_IN_QUESTION: Final = re.compile(r"\b(?:observed|found|noted|saw|seen)\b")


def is_question(view: str) -> bool:
    """A question the inspector asks or writes down ("Any bare hand contact?"): it reports
    nothing; the answer, in its own sentence, does."""
    return _QUESTION.search(view) is not None and _SEEN_IN_QUESTION.search(view) is None


def reports_nothing(view: str) -> bool:
    """A sentence that reports no finding of this inspection, whatever its words: an earlier
    inspection's corrected finding, a complaint's allegation, a checklist heading, or a
    remark labelled as the correction made ("CORRECTED: slicer broken down and washed")."""
    return (
        is_history(view)
        or is_allegation(view)
        or is_rule_statement(view)
        or is_procedure(view)
        or is_question(view)
        or is_declared_no_finding(view)
        or _CHECKLIST_HEADING.match(view) is not None
        or _CORRECTION_LABEL.match(view) is not None
    )


_FOLLOW_UP_VISIT: Final = re.compile(
    r"\b(?:re-?inspection|follow[-\s]?up|re-?check|re-?visit|compliance\s+(?:visit|check))\b"
)
_HAS_BEEN_PUT_RIGHT: Final = re.compile(
    r"\b(?:(?:has|have)\s+(?:now\s+|since\s+)?been|was|were)\s+(?:\w+\s+)?(?:repaired|replaced|fixed|"
    r"corrected|resolved|removed|installed|provided|posted|re-?sealed|sealed|serviced|"
    r"re-?stocked|unblocked|cleared|abated)\b"
    # a re-check's list: "Hand sink blocked - cleared.", "Bleach over bread - moved, now ..."
    r"|\s[-:\u2014]\s*(?:now\s+)?(?:moved|relocated|corrected|cleared|fixed|repaired|replaced|"
    r"removed|resolved|done|ok|okay)\b"
)
_TODAY_FIX: Final = re.compile(r"\b(?:during|c\.?o\.?s\.?|on[-\s]site|while\s+i)\b")


# A sentence set at an earlier inspection ("At last inspection the walk-in was 45F", "Last
# time the hand sink was blocked", "Roaches cited on the prior inspection", "Previously there
# were fruit flies at the bar") ...
_THEN: Final = re.compile(
    r"\b(?:at|during|on|in)\s+(?:the\s+|my\s+|our\s+|your\s+)?(?:last|previous|prior|earlier)\s+"
    r"(?:inspection|visit|routine|check)|\blast\s+(?:time|visit|inspection|routine)\b|"
    r"\bpreviously\s+(?:there|the|it|they|we|i|a|an)\b|^\W*previously\b|"
    r"\b(?:cited|noted|found|written|documented|observed)\s+(?:on|at|during|in)\s+(?:the\s+|my\s+)?"
    r"(?:last|previous|prior|earlier)\b|\b(?:cited|noted|found|written)\s+last\s+"
    r"(?:inspection|visit|time)"
)
# ... followed on its line by what this visit found ("; today 36F", ". Today: strips
# present.", "; none observed today") reports the earlier finding, not today's.
_NOW: Final = re.compile(
    r"\b(?:today|now|this\s+(?:visit|time|inspection|morning)|currently|at\s+this\s+time)\b"
)
_STILL_THERE: Final = re.compile(
    r"\b(?:still|again|also|same|repeat\w*|remains?|remained|continues?|persists?|"
    r"not\s+(?:yet\s+)?(?:corrected|resolved|fixed)|uncorrected|outstanding)\b"
)


def _then_and_now(sentences: list[Sentence], notes: str) -> frozenset[int]:
    """The sentences (by index) that describe an earlier inspection's finding and are
    answered, on the same line, by what this visit found."""
    out = set()
    for index in range(len(sentences) - 1):
        then, now = sentences[index], sentences[index + 1]
        if "\n" in notes[then.end : now.start]:
            continue
        if (
            _THEN.search(then.lower)
            and not _NOW.search(then.lower)
            and not _STILL_THERE.search(then.lower)
            and _NOW.search(now.lower)
            and not _STILL_THERE.search(now.lower)
        ):
            out.add(index)
    return frozenset(out)


def _judged_fine(sentences: list[Sentence], notes: str) -> frozenset[int]:
    """The sentences (by index) followed, on the same line, by a sentence that is only a
    verdict on them ("14:20 Meatballs 43°F. Fine.", "Walk-in 40F. OK.", "... Conforms.")."""
    return frozenset(
        index
        for index in range(len(sentences) - 1)
        if "\n" not in notes[sentences[index].end : sentences[index + 1].start]
        and is_standalone_verdict(sentences[index + 1].lower)
    )


# "Previously: cooler at 46F — today 38F", "Last inspection: no soap - soap present": an
# entry labelled as the earlier inspection's, then what this visit found after a dash.
_PAST_LABEL: Final = re.compile(
    r"^\W{0,3}(?:previously(?:\s+(?:cited|noted))?|last\s+(?:inspection|visit|time|routine)|"
    r"prior\s+(?:inspection|visit)|previous\s+(?:inspection|visit|violation|item))\s*[:\u2014\u2013-]"
)
_THEN_NOW_BREAK: Final = re.compile(r"\s[\u2014\u2013-]+\s|[\u2014\u2013]|;")


def _today_part(sentence: Sentence, following: str = "") -> Sentence:
    """What a labelled earlier-inspection entry says of today: the part after its dash (none
    when there is no dash), unless the entry (or the sentence after it) says the problem is
    still there."""
    label = _PAST_LABEL.match(sentence.lower)
    if label is None or _STILL_THERE.search(sentence.lower + " " + following):
        return sentence
    cut = _THEN_NOW_BREAK.search(sentence.lower, label.end())
    at = cut.end() if cut is not None else len(sentence.lower)
    return Sentence(sentence.start + at, sentence.end, sentence.text[at:], sentence.lower[at:])


def _put_right_since(view: str, notes_view: str) -> bool:
    """On a follow-up visit, "the torn gasket has been replaced" reports the earlier
    inspection's item as put right since, not a fault found today."""
    return (
        _HAS_BEEN_PUT_RIGHT.search(view) is not None
        and _FOLLOW_UP_VISIT.search(notes_view) is not None
        and _STILL_WRONG.search(view) is None
        and _TODAY_FIX.search(view) is None
    )


def sentence_findings(
    sentence: Sentence, hint: str = "", notes_view: str = "", today: date | None = None
) -> tuple[Finding, ...]:
    """Findings of one sentence (before correction/repeat marks and merging)."""
    if reports_nothing(sentence.lower):
        return ()
    found: list[Finding] = []
    for violation in check_sentence(sentence, hint):
        start = sentence.start + violation.clause_start
        sentence.start + violation.clause_end
        text = sentence.text[violation.clause_start : violation.clause_end]
        stripped = text.strip(" ,;")
        start += len(text) - len(text.lstrip(" ,;"))
        found.append(
            Finding(
                food_code_section=violation.section,
                form_item=violation.form_item,
                designation=designation_of(violation.section),
                description=violation.description,
                evidence=stripped,
                start=start,
                end=start + len(stripped),
                source="rule",
                concept=f"measure:{violation.section}",
            )
        )
    for late in check_times(sentence.lower, today, hint):
        found.append(
            Finding(
                food_code_section=late.section,
                form_item=late.form_item,
                designation=designation_of(late.section),
                description=late.description,
                evidence=sentence.text,
                start=sentence.start,
                end=sentence.end,
                source="rule",
                concept=f"time:{late.section}",
            )
        )
    compliance = is_compliance_statement(sentence.lower)
    if compliance and not found:
        return ()
    advisory = is_advisory(sentence.lower)
    # phrase rules read the shorthand spelt out; the evidence stays the sentence as written
    view = expand_abbreviations(sentence.lower)
    sentence = Sentence(sentence.start, sentence.end, sentence.text, view)
    passing = _LITERALS.passing(view)
    # (where its subject is named, rule) of the soiled-surface and the disrepair families
    surfaces: list[tuple[int, str]] = []
    repairs: list[tuple[int, str]] = []
    for number, rule in enumerate(PHRASE_RULES):
        if 2 * number + 1 not in passing or 2 * number not in passing:
            continue
        if _rule_applies(rule, sentence, advisory, notes_view):
            if rule.subject is not None and rule.name in _SOILED_SURFACE_RULES | _REPAIR_RULES:
                named = rule.subject.search(view)
                family = surfaces if rule.name in _SOILED_SURFACE_RULES else repairs
                family.append((named.start() if named else 0, rule.name))
            found.append(
                Finding(
                    food_code_section=rule.section,
                    form_item=rule.form_item,
                    designation=designation_of(rule.section),
                    description=rule.description,
                    evidence=sentence.text,
                    start=sentence.start,
                    end=sentence.end,
                    source="rule",
                    concept=rule.name,
                )
            )
    if any(f.concept == "food_unsafe" for f in found) and _MOULD.search(view):
        # mould on the bread is the food's condition (item 13), not a soiled surface
        found = [f for f in found if f.concept not in _SOILED_SURFACE_RULES]
        surfaces = []
    for family, names in ((surfaces, _SOILED_SURFACE_RULES), (repairs, _REPAIR_RULES)):
        if len(family) > 1:
            # One soiled or damaged thing read as two kinds of surface ("floor under the
            # fryers has grease": the floor, not the fryer): the one named first is the subject.
            first = min(family)[1]
            found = [f for f in found if f.concept not in names or f.concept == first]
    return tuple(found)


_REMARKS_AHEAD: Final = 3


def _remarks_after(
    sentences: list[Sentence], raw: list[tuple[Finding, ...]], index: int, notes: str
) -> list[Sentence]:
    """The sentences after a finding that only remark on it ("PIC discarded it, COS."): up
    to three, on the same line, until a sentence with findings of its own."""
    remarks: list[Sentence] = []
    for later in range(index + 1, min(len(sentences), index + 1 + _REMARKS_AHEAD)):
        gap = notes[sentences[later - 1].end : sentences[later].start]
        if raw[later] or "\n" in gap:
            break
        remarks.append(sentences[later])
    return remarks


_UNIT_AIR: Final = "measure:4-301.11"
# "Ham and turkey inside.", "Stored in it: cut melon": a sentence that says what a unit
# holds, without a reading of its own.
_HOLDS: Final = re.compile(
    r"\b(?:inside|in\s+(?:it|there|the\s+unit|this\s+unit)|stored|holding|holds|held|contain\w*|"
    r"with|full\s+of|loaded|stocked)\b"
)


def _names_contents(sentence: Sentence) -> bool:
    view = sentence.lower
    return (
        FOOD_WORDS.search(view) is not None
        and _HOLDS.search(view) is not None
        and not any(r.kind == "temperature" for r in readings(view))
        and not reports_nothing(view)
    )


def _carry_food_over(
    sentences: list[Sentence], raw: list[tuple[Finding, ...]], notes: str
) -> list[tuple[Finding, ...]]:
    """A unit read warm in one sentence and its food named in the next ("Walk-in cooler:
    47F. Ham and turkey inside.") or the one before: the food is cold held above 41 °F,
    as if the two were one sentence (item 22, not the unit's own item 33)."""
    out = list(raw)
    for index, findings in enumerate(raw):
        if not any(f.concept == _UNIT_AIR for f in findings):
            continue
        neighbours = []
        for other in (index + 1, index - 1):
            if not 0 <= other < len(sentences):
                continue
            a, b = sorted((sentences[index], sentences[other]), key=lambda s: s.start)
            if "\n\n" in notes[a.end : b.start] or "\n" in notes[a.end : b.start].strip(" "):
                continue  # another paragraph or list entry speaks of something else
            neighbours.append(sentences[other])
        if not any(_names_contents(n) for n in neighbours):
            continue
        out[index] = tuple(
            replace(
                f,
                food_code_section="3-501.16(A)(2)",
                form_item=22,
                designation=designation_of("3-501.16(A)(2)"),
                description=f.description.replace("Cold-holding equipment", "TCS food held"),
                concept="measure:3-501.16(A)(2)",
            )
            if f.concept == _UNIT_AIR
            else f
            for f in findings
        )
    return out


_AIR: Final = re.compile(r"\b(?:ambient|air|thermometer)\b")
_COLD_HELD: Final = ("measure:4-301.11", "measure:3-501.16(A)(2)")


def _air_answered_by_food(
    sentences: list[Sentence], raw: list[tuple[Finding, ...]], notes: str
) -> list[tuple[Finding, ...]]:
    """A unit's air or dial thermometer read warm where the food in it, probed in the same
    sentence or the next on its line, is at 41 °F or below ("Walk-in thermometer 42F ambient
    but product probed at 38F", "Prep unit air 43F; ham and cheese inside at 39F"): the food
    decides, and it is held cold."""
    out = list(raw)
    for index, findings in enumerate(raw):
        air = [f for f in findings if f.concept in _COLD_HELD and _AIR.search(f.evidence.lower())]
        if not air:
            continue
        scope = [sentences[index].lower]
        if (
            index + 1 < len(sentences)
            and "\n" not in notes[sentences[index].end : sentences[index + 1].start]
        ):
            scope.append(sentences[index + 1].lower)
        food = [
            r
            for view in scope
            for r in readings(view)
            if r.kind == "temperature"
            and FOOD_WORDS.search(view[max(0, r.start - 40) : r.start])
            and not _AIR.search(view[max(0, r.start - 25) : r.end + 12])
        ]
        if food and all(r.high <= 41.05 for r in food):
            out[index] = tuple(f for f in findings if f not in air)
    return out


# A sentence that goes on about the thing the one before named: "There is a bottle of bleach
# on the shelf. It sits above the rice.", "Hand sink by the fryer. Blocked by a rack."
_ANAPHOR: Final = re.compile(
    r"^(?:it|its|it's|they|they're|these|those|this|that|both|each|all\s+of\s+(?:them|it|these)|"
    r"the\s+same\s+\w+|which|there)\b(?!\s+(?:is|are|was|were)\s+(?:no|not|none)\b)"
)
_HEADING_WORDS: Final = 5
_PLACE: Final = re.compile(
    r"\b(?:sinks?|coolers?|freezers?|walk[-\s]?ins?|reach[-\s]?ins?|fridges?|refrigerators?|"
    r"units?|shel(?:f|ves)|racks?|storage|stations?|tables?|lines?|bar|kitchen|room|area|"
    r"counter|rail|well|case|cabinet|basement|closet|restrooms?|bathrooms?|toilets?|truck)\b"
)
_SAYS_SOMETHING: Final = re.compile(
    r"\b(?:is|are|was|were|has|have|had|no|not|none|ok|okay|good|clean|fine|must|shall|"
    r"instruct\w*|observed|found|noted|provide|repair|maintain|remove|need\w*)\b|\d"
)


def _is_heading(sentence: Sentence) -> bool:
    """A short label naming a place or a unit ("Hand sink by the fryer.", "Dry storage:"),
    with nothing said of it."""
    words = sentence.lower.split()
    return (
        0 < len(words) <= _HEADING_WORDS
        and _PLACE.search(sentence.lower) is not None
        and _SAYS_SOMETHING.search(sentence.lower) is None
    )


def _read_on(
    sentences: list[Sentence],
    raw: list[tuple[Finding, ...]],
    notes: str,
    notes_view: str,
    today: date | None,
    earlier: frozenset[int] = frozenset(),
) -> list[tuple[Finding, ...]]:
    """Phrase rules over a sentence read together with the one before, where it refers back
    to it (a pronoun) or the one before only names what it speaks of (a heading): the thing
    and its fault are in two sentences. Only findings neither sentence gives alone count;
    the evidence quotes both."""
    if not notes:
        return raw
    out = list(raw)
    for index in range(1, len(sentences)):
        if index in earlier or index - 1 in earlier:
            continue  # an earlier inspection's item, or one put right since
        before, current = sentences[index - 1], sentences[index]
        gap = notes[before.end : current.start]
        if "\n" in gap.strip(" .") or len(gap) > 4:
            continue
        if not (_ANAPHOR.match(current.lower) or _is_heading(before)):
            continue
        if reports_nothing(before.lower) or reports_nothing(current.lower):
            continue
        joined = Sentence(
            before.start,
            current.end,
            notes[before.start : current.end],
            before.lower + gap.lower() + current.lower,
        )
        if len(joined.lower) != len(joined.text):
            continue
        known = {f.concept for f in raw[index - 1]} | {f.concept for f in raw[index]}
        added = tuple(
            f
            for f in sentence_findings(joined, "", notes_view, today)
            if f.concept not in known
            and not f.concept.startswith(("measure:", "time:"))
            and f.form_item not in {g.form_item for g in raw[index - 1]}
        )
        if added:
            out[index] = out[index] + added
    return out


def rule_findings(sentences: list[Sentence], notes: str = "") -> list[SentenceFindings]:
    """Per-sentence findings with corrected-on-site and repeat marks.

    A correction or repeat remark counts for the sentence it is in and for the finding
    before it when the remark follows on the same line ("COS.", "Product was discarded by
    the manager.").
    """
    raw: list[tuple[Finding, ...]] = []
    hint = ""
    notes_view = " ".join(s.lower for s in sentences)
    today = inspection_day(notes_view)
    earlier = earlier_items(sentences, notes) if notes else frozenset()
    earlier = earlier | _then_and_now(sentences, notes)
    earlier = earlier | _judged_fine(sentences, notes)
    # on a follow-up, what has been put right since the last visit reports nothing either
    earlier = earlier | frozenset(
        i for i, s in enumerate(sentences) if _put_right_since(s.lower, notes_view)
    )
    for index, sentence in enumerate(sentences):
        if index in earlier:
            raw.append(())
        else:
            after = sentences[index + 1].lower if index + 1 < len(sentences) else ""
            raw.append(sentence_findings(_today_part(sentence, after), hint, notes_view, today))
        hint = sentence.lower
    raw = _carry_food_over(sentences, raw, notes)
    raw = _air_answered_by_food(sentences, raw, notes)
    raw = _read_on(sentences, raw, notes, notes_view, today, earlier)
    out: list[SentenceFindings] = []
    for index, (sentence, findings) in enumerate(zip(sentences, raw, strict=True)):
        if not findings:
            out.append(SentenceFindings(sentence, findings, reports=index not in earlier))
            continue
        remarks = _remarks_after(sentences, raw, index, notes)
        corrected = mentions_correction(sentence.lower) or any(
            mentions_correction(r.lower) for r in remarks
        )
        repeat = mentions_repeat(sentence.lower) or any(mentions_repeat(r.lower) for r in remarks)
        marked = tuple(replace(f, corrected_on_site=corrected, repeat=repeat) for f in findings)
        out.append(SentenceFindings(sentence, marked))
    return out
