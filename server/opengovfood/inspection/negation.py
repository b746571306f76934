"""How inspectors say that something is fine, was fixed on the spot, or was cited before.

- Negation: "no evidence of pests", "no droppings observed", "not blocked", "free of debris".
  A problem phrase preceded by a negator in its clause (or followed by "not observed") is
  not a violation, unless the phrase itself is the absence ("no soap").
- Compliance statements: "all temperatures in range", "in compliance", "no violations".
- Advisory sentences ("reminded the PIC that…", "discussed date marking") describe no
  observed problem: a directive alone in them is not a violation.
- Corrected on site: "COS", "corrected on site", "voluntarily discarded", "PIC moved…".
- Repeat: "repeat", "previously cited", "not corrected from the last inspection".
"""

from __future__ import annotations

import re
from typing import Final

__all__ = [
    "is_advisory",
    "is_compliance_statement",
    "is_negated",
    "mentions_correction",
    "mentions_repeat",
]

_NEGATOR: Final = re.compile(
    r"\b(?:no|not|never|none|without|nor|free\s+of|absence\s+of|lack\s+of\s+any|"
    r"zero|nothing|neither|n't)\b(?![-\s]*(?:longer|only|later|less|more))|n't\b"
)
# A clause break ends a negation's reach: "no droppings, but live roaches" keeps the roaches.
_CLAUSE_BREAK: Final = re.compile(r"[,;:()]|\b(?:but|however|although|though|except|yet)\b")
_TRAILING_NEGATION: Final = re.compile(
    r"^[^.;,]{0,40}?\b(?:(?:was|were|is|are)\s+)?(?:not|none|never)\s+"
    r"(?:observed|seen|noted|found|present|evident|detected|visible|identified)\b"
    r"|^[^.;,]{0,12}?:\s*(?:none|no|n/?a|ok|okay)\b"
)

_COMPLIANCE: Final = re.compile(
    r"\b(?:no\s+(?:other\s+)?(?:violations?|issues|concerns|problems|deficiencies)"
    r"(?:\s+(?:were\s+)?(?:observed|noted|found|cited))?"
    r"|all\s+(?:\w+\s+){0,3}(?:temps?|temperatures)\s+(?:were\s+|are\s+)?(?:in\s+range|within|"
    r"compliant|in\s+compliance|ok|acceptable|correct|good|satisfactory|proper)"
    r"|in\s+(?:full\s+)?compliance|satisfactory\s+inspection|passed\s+inspection"
    r"|no\s+(?:priority|core|critical)\s+(?:foundation\s+)?(?:items?|violations?)"
    r"|nothing\s+(?:to\s+)?(?:note|cite|report)d?)\b"
)
_ADVISORY: Final = re.compile(
    r"^(?:[\w'-]+\s+){0,3}?(?:reminded|discussed|reviewed|educated|recommend(?:ed|s)?|"
    r"suggest(?:ed|s)?|encouraged|explained|advised\s+(?:the\s+)?\w+\s+(?:on|about|of)|"
    r"talked|went\s+over|provided\s+(?:education|information|guidance)|education\s+provided)\b"
)
_CORRECTED: Final = re.compile(
    r"\bc\.?o\.?s\.?\b|\bcorrected\s+(?:on[-\s]?site|at\s+(?:the\s+)?time|immediately|during)"
    r"|\bcorrected\b(?!\s+(?:by|within|before|from))|\bon[-\s]site\s+correct"
    r"|\b(?:voluntar(?:il)?y|immediately|promptly)\s+(?:\w+\s+){0,2}?"
    r"(?:discarded|disposed|destroyed|removed|moved|relocated|reheated|corrected|cleaned|"
    r"emptied|replaced|remade|re-?set|adjusted)"
    r"|\b(?:discarded|disposed\s+of|destroyed|denatured|thrown\s+(?:out|away)|dumped|tossed)"
    r"|\bvoluntary\s+(?:disposal|destruction|discard)"
    r"|\b(?:pic|manager|mgr|owner|operator|staff|employee|cook|chef)\s+(?:\w+\s+){0,2}?"
    r"(?:moved|relocated|removed|discarded|reheated|re-?heated|rearranged|re-?stocked|stocked|"
    r"refilled|replaced|cleared|emptied|labeled|labelled|dated|washed|re-?set|adjusted|"
    r"provided|installed|corrected|fixed|filled|put|placed|changed|turned)\b"
    r"|\b(?:was|were|has\s+been|have\s+been)\s+(?:immediately\s+)?(?:moved|relocated|removed|"
    r"discarded|reheated|re-?stocked|restocked|refilled|replaced|cleared|emptied|labell?ed|"
    r"dated|rearranged|corrected)\b(?!\s+(?:to\s+)?(?:by|before|within))"
    r"|\bupon\s+(?:my\s+)?request\b|\bat\s+(?:my|the\s+inspector'?s?)\s+request\b"
)
_REPEAT: Final = re.compile(
    r"\brepeat(?:ed)?\b(?!\s+(?:the\s+)?(?:process|steps?|test|testing|temp))"
    r"|\b(?:previously|prior|last)\s+(?:\w+\s+){0,2}?(?:cited|noted|written|documented|"
    r"inspection|visit|report)"
    r"|\bnot\s+corrected\s+(?:from|since)|\bstill\s+(?:not|no|present|observed|has|have)\b"
    r"|\bsecond\s+(?:consecutive|time)\b|\bagain\s+(?:observed|noted|found)\b"
    r"|\bcontinued\s+non[-\s]?compliance\b|\bongoing\b"
)


def is_negated(clause_view: str, match_start: int, match_end: int, *, self_negating: bool) -> bool:
    """Whether the problem phrase at [match_start, match_end) of the clause is denied.

    `self_negating` phrases carry their own "no" ("no soap"): only a negator before that
    ("not … no soap" is rare) or "… not observed" after them flips them.
    """
    after = clause_view[match_end : match_end + 60]
    if _TRAILING_NEGATION.search(after):
        return True
    if self_negating:
        return False
    before = clause_view[max(0, match_start - 70) : match_start]
    breaks = list(_CLAUSE_BREAK.finditer(before))
    if breaks:
        before = before[breaks[-1].end() :]
    return _NEGATOR.search(before) is not None


def is_compliance_statement(view: str) -> bool:
    return _COMPLIANCE.search(view) is not None


def is_advisory(view: str) -> bool:
    return _ADVISORY.search(view) is not None


def mentions_correction(view: str) -> bool:
    return _CORRECTED.search(view) is not None


def mentions_repeat(view: str) -> bool:
    return _REPEAT.search(view) is not None
