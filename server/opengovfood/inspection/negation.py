"""How inspectors say that something is fine, was fixed on the spot, or was cited before.

- Negation: "no evidence of pests", "no droppings observed", "not blocked", "free of debris".
  A problem phrase preceded by a negator in its clause (or followed by "not observed") is
  not a violation, unless the phrase itself is the absence ("no soap").
- Compliance statements: "all temperatures in range", "in compliance", "no violations".
- Advisory sentences ("reminded the PIC that…", "discussed date marking") describe no
  observed problem: a directive alone in them is not a violation.
- Corrected on site: "COS", "corrected on site", "voluntarily discarded", "PIC moved…".
- Repeat: "repeat", "previously cited", "not corrected from the last inspection".
- Allegations: what a complaint says ("complaint regarding flies at the entrance") is not
  what the inspector saw, unless the sentence also says it was observed or confirmed.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = [
    "conditional_spans",
    "is_advisory",
    "is_allegation",
    "is_compliance_statement",
    "is_declared_no_finding",
    "is_negated",
    "is_procedure",
    "is_rule_statement",
    "is_standalone_verdict",
    "mentions_correction",
    "mentions_repeat",
]

_NEGATOR: Final = re.compile(
    r"\b(?:no|not|never|none|without|nor|free\s+of|absence\s+of|lack\s+of\s+any|"
    r"zero|nothing|neither|nowhere|n't)\b(?![-\s]*(?:longer|only|later|less|more))|n't\b"
)
# A clause break ends a negation's reach: "no droppings, but live roaches" keeps the roaches.
_CLAUSE_BREAK: Final = re.compile(
    r"[,;:()/]|\s-+\s|\b(?:but|however|although|though|except|yet|whereas|while)\b"
)
_LIST_ITEM: Final = re.compile(r"^\s*(?:[\w'-]+\s+){0,3}?(?:or|and|nor)?\s*(?:[\w'-]+\s*)?$")
_TRAILING_NEGATION: Final = re.compile(
    r"^[^.;,]{0,40}?\b(?:(?:was|were|is|are)\s+)?(?:not|none|never)\s+"
    r"(?:observed|seen|noted|found|present|evident|detected|visible|identified)\b"
    r"|^[^.;,]{0,12}?:\s*(?:none|no|n/?a|ok|okay)\b"
    # a dish the menu does not have: "Soft-boiled eggs are not offered"
    r"|^[^.;,]{0,40}?\b(?:is|are|was|were)\s+(?:not|never)\s+(?:\w+\s+)?(?:offered|served|sold)\b"
    # "rodent activity in the alley, none inside": what the establishment holds is denied
    r"|^[^.;]{0,60}?\bnone\s+(?:inside|indoors|in\s+the\s+(?:kitchen|building|facility|"
    r"establishment|restaurant|store|premises))\b"
)

# "no hand sink obstruction", "no thermometer issues": the absence names a problem noun.
_PROBLEM_NOUN: Final = re.compile(
    r"\s*(?:obstruct\w*|blockages?|blocking|issues?|problems?|concerns?|violations?|"
    r"deficienc\w+|complaints?)\b"
)
# A clause whose subject is denied ("No one working while sick", "Nobody eating in the
# kitchen", "No employee was seen touching ...") denies all it goes on to say, up to a
# contrast or another clause. A leading label, source or time may come first ("Staff:",
# "Per the log,", "According to the manager,", "Today,").
_LEADING_PHRASE = (
    r"(?:[\w\s]{0,40}:\s*"
    r"|(?:per|as\s+per|according\s+to|based\s+on|from|going\s+by|judging\s+by)\s+"
    r"[\w\s'-]{1,40},\s*"
    r"|(?:today|tonight|currently|at\s+present|so\s+far|this\s+(?:morning|afternoon|evening|"
    r"week|shift)|at\s+the\s+time\s+of\s+(?:the\s+|my\s+)?(?:inspection|visit)|"
    r"during\s+(?:the|my|this)\s+(?:inspection|visit))\s*,?\s*)"
)
_NO_ONE: Final = re.compile(
    rf"^\W*{_LEADING_PHRASE}?(?:no\s+(?:one|employees?|staff(?:\s+members?)?|workers?|"
    r"food\s+(?:handlers?|employees?|workers?)|cooks?|personnel|persons?)|nobody|"
    r"none\s+of\s+the\s+(?:\w+\s+)?(?:staff|employees|workers|cooks|handlers))\b"
    r"(?![^,;]*\b(?:but|however|except|although|though|yet)\b)[^,;()]*$"
)
_NOT_NEEDED: Final = re.compile(
    r"^[^.;,]{0,40}?\b(?:(?:is|are|was|were)\s+(?:not\s+)?(?:needed|required|necessary)\b|"
    # "no date needed." but not "no procedure and required equipment"
    r"(?:not\s+)?(?:needed|required|necessary)(?=\s*(?:$|[.,;:)])|\s+(?:for|here|today|since|"
    r"because|as|by|per|with)\b))"
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
# The writer's own verdict on what a short sentence just described ("..., which is fine";
# "almond milk made in house, dated, day 2, ok"). A long run-on sentence (dictated notes)
# holds other things too, so the verdict counts only in a short one.
_VERDICT: Final = re.compile(
    r"\b(?:which|that|this)\s+is\s+(?:fine|acceptable|allowed|approved|correct|compliant|ok|"
    r"okay)\b|,\s*(?:ok|okay|fine|good|compliant|acceptable)\s*[.;]?$"
    # a verdict after a colon or dash: "Hand basin without paper towels: dispenser full today"
    r"|[:\u2014-]\s*(?:(?:\w+\s+){0,2}?(?:full|stocked|refilled|restocked|replaced|repaired|"
    r"fixed|corrected|resolved)\s+(?:today|now)|not\s+tcs|acceptable|compliant|in\s+compliance|"
    r"ok|okay|fine)\b"
    # a template's mark after its heading: "SEWAGE - IN.", "Cooling: N/O", "Toxics: yes"
    r"|^[^:\u2014-]{0,40}[:\u2014-]\s*(?:in|n/?o|n/?a|yes|good|satisfactory|pass(?:ed)?|"
    r"in\s+compliance)\s*[.;]?\s*$"
)
_SHORT_SENTENCE: Final = 160
# A sentence that is only a verdict ("Fine.", "OK.", "Conforms.", "Within limits.", "No
# issue."): the writer's judgement of what the sentence just before it described.
_STANDALONE_VERDICT: Final = re.compile(
    r"^\W*(?:(?:that(?:'s|\s+is)|which\s+is|this\s+is|all|it\s+is|it's)\s+)?"
    r"(?:fine|ok|okay|good|acceptable|accepted|satisfactory|compliant|conforms?|conforming|"
    r"correct|in\s+compliance|complies|passe?d?|"
    r"within\s+(?:the\s+)?(?:limits?|range|spec(?:ification)?s?|tolerance)|in\s+range|"
    r"meets\s+(?:the\s+)?(?:code|limits?|requirements?|standard)|"
    r"no\s+(?:issues?|problems?|concerns?|findings?|action\s+(?:needed|required))|"
    r"not\s+an?\s+(?:issue|problem|finding|violation|concern))"
    r"(?:\s+(?:here|then|now|today))?\W*$"
)
# A sentence that says in its own words that what it describes is no finding: "refused on
# arrival - correct action, not a finding", "a gap in the log, not a violation", "noted, not
# cited". Not in someone else's mouth ("the manager said it was not a violation").
_NO_FINDING: Final = re.compile(
    r"\b(?:not\s+an?\s+(?:finding|violation|infraction|citable\s+\w+)|no\s+finding\b"
    r"(?!\s+(?:of|for|on)\b)|not\s+(?:cited|citable|written\s+up)\b"
    r"(?!\s+(?:at|on|during|in)\s+(?:the\s+)?(?:last|previous|prior|earlier))|"
    r"(?:was|is|were|the)\s+(?:the\s+)?correct\s+(?:action|response|call|thing\s+to\s+do))\b"
)
_SOMEONE_ELSES: Final = re.compile(
    r"\b(?:said|says|stated|states|claimed|claims|argued|insisted|thought|thinks|believed|"
    r"believes|felt|feels|told\s+(?:me|us))\b"
)
_ADVISORY: Final = re.compile(
    r"^(?:[\w'-]+\s+){0,3}?(?:reminded|discussed|reviewed|educated|recommend(?:ed|s)?|"
    r"suggest(?:ed|s)?|encouraged|explained|advised\s+(?:the\s+)?\w+\s+(?:on|about|of)|"
    r"talked|went\s+over|provided\s+(?:education|information|guidance)|education\s+provided|"
    # "Manager instructed on date marking": taught, not ordered to fix something
    r"instructed\s+(?:on|about|in|regarding))\b"
)
# Past participles that say something was put right. The strong ones say it on their own
# ("discarded", "reheated"); the weak ones also describe a state ("hand sink stocked",
# "bins labeled") and count only after an agent or "was/were/then" ("PIC stocked the sink").
_STRONG_FIX = (
    r"(?:discarded|disposed(?:\s+of)?|destroyed|denatured|thrown\s+(?:out|away)|dumped|tossed|"
    r"poured\s+out|moved|relocated|removed|re-?heated|rearranged|re-?stocked|refilled|replaced|"
    r"cleared|emptied|re-?labell?ed|re-?dated|re-?washed|re-?sanitized|adjusted|re-?set|"
    r"re-?calibrated|corrected|fixed|unblocked|sent\s+(?:\w+\s+)?home|excluded|set\s+aside|"
    r"pulled|transferred|re-?made|re-?trained|hung|elevated|lowered|raised|"
    r"turned\s+(?:on|up|down)|plugged\s+in|drained|separated)"
)
_WEAK_FIX = (
    r"(?:washed|cleaned|sanitized|labell?ed|dated|stocked|covered|provided|installed|posted|"
    r"filled|changed|put\s+(?:on|in|into|away)|set\s+up|calibrated|returned\s+to|restricted|"
    r"brought|placed)"
)
_AGENT = (
    r"(?:pic|manager|mgr|owner|operator|staff|employees?|cooks?|chef|he|she|they|cashier|"
    r"director|receiver|server|workers?|person\s+in\s+charge|management|baker|dishwasher)"
)
_CORRECTED: Final = re.compile(
    r"\bc\.?o\.?s\.?\b|\bcorrected\s+(?:on[-\s]?site|at\s+(?:the\s+)?time|immediately|during)"
    r"|\bon[-\s]site\s+correct|\bvoluntary\s+(?:disposal|destruction|discard)"
    r"|\bupon\s+(?:my\s+)?request\b|\bat\s+(?:my|the\s+inspector'?s?)\s+request\b"
    r"|\bwhen\s+asked\b|\bbefore\s+(?:i|the\s+inspector)\s+left\b"
    rf"|\b{_STRONG_FIX}\b"
    rf"|\b(?:{_AGENT}|was|were|has\s+been|have\s+been|then|immediately|promptly|now)\s+"
    rf"(?:\w+\s+){{0,2}}?{_WEAK_FIX}\b"
)
# An order, a promise or a negation is not a correction: "must be discarded", "will replace
# by Friday", "not labeled", "being washed".
_NOT_YET: Final = re.compile(
    r"\b(?:will|must|shall|should|to\s+be|to|needs?|need\s+to|required|instructed|"
    r"asked\s+to|advised|until|once|if|when\s+(?!asked)|no|not|never|without|being|n't)\s+"
    r"(?:\w+\s+){0,2}?$"
)
_LATER: Final = re.compile(r"^[^.;]{0,40}?\b(?:by|before|within|next|tomorrow)\b\s+\w")
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
        # "no HACCP plan is needed": the absence is allowed, not observed as a lack;
        # "no hand sink obstruction": what is absent is the problem, not the thing
        return _NOT_NEEDED.search(after) is not None or _PROBLEM_NOUN.match(after) is not None
    if _NO_ONE.match(clause_view[:match_start]):
        return True
    before = clause_view[max(0, match_start - 90) : match_start]
    breaks = list(_CLAUSE_BREAK.finditer(before))
    cut = len(breaks)
    # A list keeps its head's negation: "no droppings, roaches or flies" denies the flies.
    while (
        cut > 0
        and _LIST_ITEM.match(before[breaks[cut - 1].end() :])
        and (breaks[cut - 1].group() == ",")
    ):
        cut -= 1
    if cut:
        before = before[breaks[cut - 1].end() :]
    return _NEGATOR.search(before) is not None


def is_compliance_statement(view: str) -> bool:
    return _COMPLIANCE.search(view) is not None or (
        len(view) <= _SHORT_SENTENCE and _VERDICT.search(view) is not None
    )


def is_standalone_verdict(view: str) -> bool:
    return _STANDALONE_VERDICT.match(view) is not None


def is_declared_no_finding(view: str) -> bool:
    match = _NO_FINDING.search(view)
    return match is not None and _SOMEONE_ELSES.search(view, 0, match.start()) is None


def is_advisory(view: str) -> bool:
    return _ADVISORY.search(view) is not None


# What a rule says, not what was seen: "I reminded staff that bare hand contact with
# ready-to-eat food is not allowed", "explained it must be accessible at all times".
_RULE_WORDS: Final = re.compile(
    r"\b(?:must|should|shall|not\s+(?:allowed|permitted)|(?:is|are)\s+(?:required|prohibited)|"
    r"needs?\s+to|has\s+to|have\s+to|(?:is|are)\s+to\s+be)\b"
)
_SEEN: Final = re.compile(
    r"\b(?:observed|found|noted|saw|seen|measured|probed|temped|read|reading|was|were)\b"
)


def is_rule_statement(view: str) -> bool:
    """An advisory sentence that states a rule and reports nothing seen."""
    return is_advisory(view) and _RULE_WORDS.search(view) is not None and _SEEN.search(view) is None


# A standing practice, not an observation: "Expired milk is pulled by the vendor each week",
# "Any food past 7 days is discarded according to their written procedure".
_PROCEDURE: Final = re.compile(
    r"\b(?:is|are|gets?)\s+(?:\w+\s+)?(?:discarded|pulled|thrown\s+(?:out|away)|removed|returned|"
    r"rotated|dumped|tossed|set\s+aside)\b(?:\s+\w+){0,8}?\s+(?:each|every|daily|weekly|nightly|"
    r"routinely|always|according\s+to|per\s+(?:the\s+|their\s+|its\s+)?(?:written\s+)?(?:policy|"
    r"procedure|sop|schedule|plan))\b"
    r"|^(?:any|all)\s+(?:[\w-]+\s+){0,6}?(?:is|are)\s+(?:always\s+)?(?:discarded|thrown\s+"
    r"(?:out|away)|pulled|removed|set\s+aside)\b"
)


def is_procedure(view: str) -> bool:
    return _PROCEDURE.search(view) is not None and _SEEN.search(view) is None


# A hypothetical: "in case of a sewage backup they close", "what to do if the hand sink is
# blocked". Problem words inside it describe no observation.
_CONDITIONAL: Final = re.compile(
    r"\b(?:if|in\s+case\s+(?:of|that)|in\s+the\s+event\s+(?:of|that)|whenever|unless|"
    r"should\s+(?:a|an|any|the)\s+\w+\s+(?:become|be|get)|what\s+to\s+do\s+(?:if|when|about))"
    r"\b[^,;.]*"
)


def conditional_spans(view: str) -> list[tuple[int, int]]:
    return [m.span() for m in _CONDITIONAL.finditer(view)]


def mentions_correction(view: str) -> bool:
    """The sentence says the problem was fixed during the inspection."""
    for match in _CORRECTED.finditer(view):
        before = view[max(0, match.start() - 40) : match.start()]
        if _NOT_YET.search(before) or _LATER.search(view[match.end() : match.end() + 50]):
            continue
        return True
    return False


def mentions_repeat(view: str) -> bool:
    return _REPEAT.search(view) is not None


# Who complains and how a complaint reaches the office: "a customer said", "the caller told
# us", "a shopper e-mailed", "a neighbour phoned", "a member of the public wrote".
_COMPLAINANT = (
    r"(?:customers?|patrons?|callers?|guests?|shoppers?|diners?|clients?|residents?|parents?|"
    r"neighbou?rs?|visitors?|member\s+of\s+the\s+public|members\s+of\s+the\s+public)"
)
_REPORTING_VERB = (
    r"(?:reported|stated|claimed|complained|said|alleged|e-?mailed|wrote|phoned|rang|called(?:\s+in)?|"
    r"told\s+(?:us|me|the\s+\w+)|posted|mentioned|messaged|tweeted)"
)
_ALLEGATION: Final = re.compile(
    r"\b(?:complaint|complaints|complainant|alleg\w+|reportedly|"
    rf"{_COMPLAINANT}(?:'s)?\s+(?:\w+\s+){{0,2}}?{_REPORTING_VERB})\b"
)
# The complainant's own account: "a customer said she saw a cockroach", "the caller told us
# he found a hair". Their words follow the reporting verb; a perception verb in them, with a
# third party as its subject, is what they say they saw, not what the inspector confirmed.
_REPORTED: Final = re.compile(
    rf"\b(?:{_COMPLAINANT}|complainant)(?:'s)?\s+(?:\w+\s+){{0,2}}?{_REPORTING_VERB}\b"
)
_PERCEPTION: Final = re.compile(r"\b(?:observed|found|noted|seen|saw|noticed|spotted)\b")
_THIRD_PARTY_SUBJECT: Final = re.compile(
    r"\b(?:she|he|they|her\s+\w+|his\s+\w+|their\s+\w+|someone|somebody)\s+"
    r"(?:had\s+|has\s+|have\s+|had\s+been\s+|also\s+|then\s+|just\s+)?$"
)
# The inspector speaking again ("a customer said she saw mice; I found droppings").
_INSPECTOR_VOICE: Final = re.compile(
    r"[;]|\b(?:i|we|inspector|this\s+officer|upon\s+inspection|on\s+inspection|"
    r"during\s+(?:the|my|this)\s+(?:inspection|visit))\b"
)
_CONFIRMED: Final = re.compile(
    r"\b(?:observed|found|confirmed|verified|substantiated|noted|seen|saw|documented|"
    r"detected|identified|present)\b"
)


def _complainant_perceived(view: str, start: int) -> bool:
    """Whether the perception verb at `start` is inside a complainant's reported words."""
    if _PERCEPTION.match(view, start) is None:
        return False
    told = [m for m in _REPORTED.finditer(view, 0, start)]
    if not told:
        return False
    between = view[told[-1].end() : start]
    return (
        _INSPECTOR_VOICE.search(between) is None
        and _THIRD_PARTY_SUBJECT.search(between) is not None
    )


def is_allegation(view: str) -> bool:
    """A sentence that only reports what a complaint alleged: nothing in it says the
    inspector saw it (or it says the inspector did not: "not substantiated")."""
    if _ALLEGATION.search(view) is None:
        return False
    for match in _CONFIRMED.finditer(view):
        if _complainant_perceived(view, match.start()):
            continue
        before = view[max(0, match.start() - 40) : match.start()]
        if not re.search(r"\b(?:not|no|never|un|nothing|none)\b[^,;]*$|n't\s+(?:\w+\s+)?$", before):
            return False
    return True
