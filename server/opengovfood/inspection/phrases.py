"""Phrase rules for the violations notes show in words, one family per Food Code concept.

A rule fires on a sentence when its *problem* phrase occurs (not negated) and, if it has one,
its *subject* (what the problem is about: "hand sink", "floors") occurs in the same sentence.
Problems are written in inspectors' vocabulary: what was seen ("droppings", "blocked",
"no soap", "torn gasket") and, as Chicago-style reports put it, what was ordered ("must
repair", "instructed to clean"). Each rule carries the Food Code section (with the
paragraph where designation differs within a section), the Form 3-A item and a short
description; the designation comes from the catalogue entry of that section.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from .findings import Designation

__all__ = ["PHRASE_RULES", "PhraseRule"]


@dataclass(frozen=True, slots=True)
class PhraseRule:
    name: str
    form_item: int
    section: str
    designation: Designation
    description: str
    problem: re.Pattern[str]
    subject: re.Pattern[str] | None = None
    # When the subject is present but also one of these, the rule does not apply (the
    # sentence is about another concept: "gap under the door" is pests, not floors).
    unless: re.Pattern[str] | None = None
    # Words the whole notes must contain (e.g. that the establishment serves a highly
    # susceptible population): a note-level condition.
    requires_note: re.Pattern[str] | None = None


# Shared vocabulary (lower-case views).
ABSENT = r"(?:no|not|without|missing|lack(?:ing|s)?(?:\s+of)?|absent|out\s+of|empty|none|zero)"
_DIRECTIVE = (
    r"(?:must|instructed(?:\s+[\w/]+){0,3}?\s+to|instruct(?:ed)?\s+to|need(?:s|ed)?\s+to|needs|"
    r"shall|should|required\s+to|ordered\s+to|advised\s+to|told\s+to|to\s+be|request(?:ed)?\s+to|"
    # a sentence that starts with the order itself: "Clean the interior of the microwave."
    r"^(?=(?:detail\s+)?(?:clean|repair|replace|seal|install|provide|remove|label|elevate|"
    r"cover|post|store|discard)\s+(?:the|all|and|a|an|interior|exterior|inside|under|behind)\b))"
)


def _directive(verbs: str) -> str:
    return rf"{_DIRECTIVE}\s*(?:\w+\s+){{0,3}}?(?:{verbs})\b"


_DIRTY = (
    r"(?:dirty|soiled|unclean|not\s+clean(?:ed)?|filthy|grimy|greasy|sticky|dusty|"
    r"(?:food\s+)?debris|(?:heavy\s+)?(?:grease|dust|dirt|grime|ice|food|mold|mould|slime|"
    r"residue|soil|scale|lime|carbon)\s*(?:build[-\s]?up|accumulation|deposits?|residue|"
    r"encrust\w*)|build[-\s]?up|buildup|accumulat\w+|residue|encrusted|caked|crusted|"
    r"mold(?:[-\s]like)?|mould|mildew|black\s+(?:substance|residue|growth)|slime|slimy|"
    r"stain(?:ed|s)?|splatter\w*|spills?|spilled|(?:covered|coated|filled|caked)\s+(?:with|in)\s+"
    r"(?:grease|dirt|debris|food|dust|grime|old\s+\w+|mold|residue|\w+\s+(?:debris|residue))|"
    r"fly\s+specks?|cobwebs?|(?:crust|film|layer|coating|ring)\s+of\s+(?:dried|old|built[-\s]up|"
    r"\w+\s+)?(?:\w+\s+)?(?:milk|food|grease|residue|batter|sauce|egg|debris|grime|dirt|syrup|"
    r"sugar|flour|dough|blood|gunk)|dried-on|(?<!air[-\s])dried\s+on\s+(?:food|grease|residue|"
    r"milk|batter|sauce|egg|debris)|"
    + _directive(r"(?:detail[-\s]?)?clean|wash|degrease|scrub|wipe")
    + ")"
)
_DISREPAIR = (
    r"(?:\b(?:torn|broken|damaged|cracked|chipped|missing|worn|rust(?:y|ed|ing)?|corroded|peeling|"
    r"split(?!\s+(?:into|between|among|in\s+half))|deteriorat\w+|dilapidated|in\s+(?:poor\s+)?(?:disrepair|poor\s+(?:repair|condition))|"
    r"(?:poor|bad)\s+(?:repair|condition)|disrepair|not\s+(?:working|functioning|operational|"
    r"in\s+good\s+repair|maintained)|out\s+of\s+order|inoperable|non[-\s]?functional|"
    r"duct[-\s]?tape\w*|taped(?!\s+(?:to|on|onto|inside|above|next|beside))|loose|falling|"
    r"holes?|(?<!air\s)gaps?|missing|unsealed|not\s+sealed|"
    r"exposed\s+(?:wood|insulation)|bare\s+wood|unfinished|"
    # kept together by a makeshift: "held shut with a bungee cord", "zip-tied closed"
    r"held\s+(?:shut|closed|together|on)\s+(?:\w+\s+){0,2}?with|bungee[-\s]?cords?|zip[-\s]?tie[sd]?)\b|"
    + _directive(
        r"repair|replace|fix|seal|patch|re-?caulk|caulk|refinish|resurface|re-?paint|"
        r"paint|reinstall|re-?secure|secure|tighten|maintain\s+in\s+good\s+repair"
    )
    + ")"
)
_FOOD_NOUN = (
    r"(?:food|foods|tcs|phf|rte|ready[-\s]to[-\s]eat|products?|ingredients?|produce|meats?|"
    r"chicken|poultry|beef|pork|fish|seafood|shrimp|rice|sauces?|soups?|salads?|vegetables?|"
    r"cheese|eggs|milk|bread|flour|sugar|onions?|lettuce|tomato\w*|fruits?|items|stock|"
    r"containers?\s+of\s+\w+|bags?\s+of\s+\w+|boxes\s+of\s+\w+|cases?\s+of\s+\w+)"
)
# What a chemical must not be stored above or beside: food, and what touches it.
_STORED_FOOD = (
    r"(?:food|foods|produce|prep\s+(?:tables?|surfaces?|counters?|sinks?)|utensils?|"
    r"single[-\s](?:service|use)|clean\s+(?:dishes|equipment|utensils|pans|plates|cups|"
    r"glasses|linens?)|dishes|plates|cups|glasses|lids|to-?go\s+\w+|ice|spices?|seasonings?|"
    r"ingredients?|bread|buns|rolls|tortillas|dry\s+goods|cutting\s+boards?|drinks?|"
    r"beverages?|sodas?|juices?|flour|sugar|salt|rice|beans|pasta|noodles|cereal|oil|"
    r"cooking\s+oil|onions?|potato\w*|vegetables?|fruits?|melons?|lettuce|tomato\w*|"
    r"milk|cheese|butter|eggs?|meats?|chicken|beef|pork|fish|seafood|shrimp|deli|"
    r"snacks?|chips|candy|canned\s+\w+|cans\s+of\s+\w+|boxes\s+of\s+\w+|bags\s+of\s+\w+|"
    r"cases\s+of\s+\w+|containers\s+of\s+\w+|bins?\s+of\s+\w+|sauces?|condiments?|"
    r"bakery|pastr(?:y|ies)|baked\s+goods|coffee|tea|syrups?|garnish\w*|limes?|lemons?|"
    r"cut\s+\w+|sliced\s+\w+|raw\s+\w+|cooked\s+\w+|ready[-\s]to[-\s]eat|tcs)\b"
)
# The major food allergens as labels and notes name them.
_ALLERGEN = (
    r"(?:(?:major\s+)?(?:food\s+)?allergens?(?:\s+(?:statement|declaration|info\w*|"
    r"labell?ing|warning|list|information))?|contains\s+statement|(?:tree\s+)?nuts?|"
    r"peanuts?|walnuts?|almonds?|pecans?|cashews?|pistachios?|hazelnuts?|macadamias?|sesame|"
    r"soy(?:beans?)?|wheat|gluten|milk|dairy|eggs?|fish|shellfish|crustaceans?|shrimp|crab|"
    r"lobster)\b"
)
# Rice held at room temperature because it is acidified (sushi rice): a specialised process
# that needs a variance (item 32, not the HACCP item 29 of reduced-oxygen packaging).
_ACIDIFIED_RICE = (
    r"\bsushi\s+rice|\brice\s+(?:\w+\s+)?(?:for|used\s+for|in)\s+(?:the\s+)?(?:sushi|nigiri|"
    r"rolls?|maki)|\bshari\b|\bacidified\s+rice|\brice\s+(?:\w+\s+){0,3}?acidif\w*|\bhangiri|"
    r"\bsu-?meshi"
)
# A test that found nothing: "showed none", "read zero", "no color change on the strip".
_READS_NONE = (
    r"\b(?:showed|shows|showing|read|reads|reading|registered|registers|registering|tested|"
    r"tests|testing|measured|measures|came\s+(?:up|back|out)|turned\s+up|indicated|gave|"
    r"was|is|at)\s+(?:as\s+|at\s+)?(?:none|nil|zero|nothing)\b"
    r"|\bno\s+(?:colou?r\s+change|reading|detectable\s+(?:sanitiz\w+|chlorine|quat\w*|"
    r"residual|concentration))\b"
    r"|\b(?:did\s+not|didn't|does\s+not|doesn't|failed\s+to|would\s+not|won't|wouldn't)\s+"
    r"(?:even\s+)?(?:register|change\s+colou?r|turn|react|change)\b"
    r"|\b(?:strips?|papers?)\s+(?:stayed|stays|remained|remains)\s+(?:white|blank|unchanged|"
    r"the\s+same)"
)
_SANITIZER_TESTED = (
    r"\b(?:sanitiz\w+|chlorine|bleach|quat\w*|iodine|test\s+(?:strips?|papers?|kits?)|strips?|"
    r"3[-\s]?(?:comp\w*|bay|vat)|three[-\s](?:comp\w*|bay|vat)|third\s+(?:compartment|bay|sink|"
    r"vat)|dish\s?(?:machine|washer)|ppm)\b"
)
_HAND_SINK = (
    r"(?:hand[-\s]?(?:wash(?:ing)?[-\s]?)?(?:sinks?|stations?|basins?|lavator(?:y|ies))|"
    r"handsinks?|hand[-\s]?wash(?:ing)?\s+facilit\w+|hws|hand\s+wash\b|hand\s+washing\s+bowl|"
    r"wash\s?bowls?)"
)
_EQUIPMENT = (
    r"(?:gaskets?|shel(?:f|ves|ving)|racks?|cutting\s+boards?|coolers?|freezers?|refrigerat\w+|"
    r"fridges?|reach[-\s]?ins?|walk[-\s]?ins?|prep\s+(?:tables?|units?|coolers?)|tables?|"
    r"equipment|door\s+handles?|handles?|hinges?|drawers?|carts?|dollies|bins?|lids?|"
    r"containers?|pans?|pots?|utensils?|knobs?|microwaves?|ovens?|fryers?|stoves?|ranges?|"
    r"grills?|griddles?|ice\s+(?:machines?|makers?|bins?|chutes?)|slicers?|can\s+openers?|"
    r"mixers?|blenders?|dish\s?machines?|dish\s?washers?|steam\s+tables?|hot\s+holding\s+units?|"
    r"cabinets?|counters?|countertops?|make[-\s]?(?:lines?|tables?)|units?|hoods?\s+filters?|"
    r"fans?\s+guards?|machines?|dispensers?|nozzles?|soda\s+guns?|trays?|sheet\s+pans?|"
    r"storage\s+(?:racks?|shelves)|wire\s+(?:racks?|shelves)|casters|wheels|legs|exterior|"
    r"interior|insulation|door\s+seals?|seals?|baskets?|scoops?|knives|spatulas?|tongs?)"
)
_FACILITY = (
    r"(?:floors?|flooring|walls?|ceilings?|ceiling\s+(?:tiles?|panels?)|(?:floor|wall|ceiling)\s+"
    r"(?:tiles?|panels?|surfaces?)|tiles?|baseboards?|coving|cove\s+base|wall\s+base|grout|"
    r"floor\s+drains?|corners|door\s?frames?|doors?|windows?|window\s+sills?|vents?|"
    r"premises|building|stairs?|stairways?|thresholds?|pipes?|ducts?|electrical\s+\w+|outlets?|"
    r"light\s+switch\w*|junction\s+box\w*|under\s+(?:and\s+)?(?:behind|around)?\s*equipment)"
)


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _rule(
    name: str,
    item: int,
    section: str,
    designation: Designation,
    description: str,
    problem: str,
    subject: str | None = None,
    unless: str | None = None,
    requires_note: str | None = None,
) -> PhraseRule:
    return PhraseRule(
        name,
        item,
        section,
        designation,
        description,
        _rx(problem),
        _rx(subject) if subject else None,
        _rx(unless) if unless else None,
        _rx(requires_note) if requires_note else None,
    )


_PEST = (
    r"(?:roach(?:es)?|cockroach(?:es)?|mice|mouse|rats?|rodents?|vermin|insects?|flies|"
    r"(?:fruit|drain|house|small)\s+fl(?:y|ys|ies)|flys|gnats?|ants|beetles?|weevils?|moths?|"
    r"silverfish|pests?|bats?|birds?|pigeons?|sparrows?|bed\s?bugs?|spiders?|larvae|maggots?)"
)

_WORDED_RULES: Final[tuple[PhraseRule, ...]] = (
    # --- 1-2 supervision ---------------------------------------------------------------
    _rule(
        "pic_absent",
        1,
        "2-101.11",
        "Pf",
        "No person in charge present",
        rf"\b{ABSENT}\s+(?:designated\s+)?(?:person\s+in\s+charge|pic)\b|\b(?:person\s+in\s+"
        r"charge|pic)\s+(?:was\s+|is\s+)?(?:not\s+(?:present|on\s+site|designated|available)|absent)",
    ),
    _rule(
        "pic_knowledge",
        1,
        "2-102.11",
        "Pf",
        "Person in charge does not demonstrate food-safety knowledge",
        r"\b(?:person\s+in\s+charge|pic|manager|management|owner|operator|supervisor|she|he|shift\s+"
        r"(?:lead|leader|manager|supervisor)|lead\s+cook|kitchen\s+manager|chef)\s+"
        r"(?:[\w()]+\s+){0,3}?(?:unable|cant|can't|cannot|"
        r"could\s+not|couldn't|did\s+not|didn't|does\s+not|doesn't|not\s+able|failed|lacks?|"
        r"lacking|unaware|not\s+aware|not\s+knowledgeable|no\s+knowledge)\s+(?:\w+\s+){0,4}?"
        r"(?:knowledge|answer|explain|describe|demonstrate|aware|know|knew|identify|recite|state|"
        r"name|tell|list|provide)"
        r"|\b(?:person\s+in\s+charge|pic)\s+(?:[\w()]+\s+){0,2}?not\s+(?:demonstrat\w+|"
        r"knowledgeable|able\s+to\s+(?:answer|demonstrate|explain))"
        r"|\black\s+of\s+(?:food\s+safety\s+)?knowledge\b|\bnot\s+(?:knowledgeable|aware)\s+of\s+"
        r"(?:the\s+)?(?:food\s+code|requirements?|procedures?|cooling|cooking|temperatures?|"
        r"date\s+marking|symptoms?)",
    ),
    _rule(
        "cfpm_missing",
        2,
        "2-102.12",
        "C",
        "No certified food protection manager",
        rf"\b{ABSENT}\s+(?:valid\s+|current\s+)?(?:certified\s+food\s+(?:protection\s+|service\s+)?"
        r"managers?|cfpm|cfm|food\s+(?:protection\s+|safety\s+)?manager(?:'s)?\s+"
        r"(?:certificat\w+|certification|card)|(?:food\s+service\s+)?sanitation\s+(?:manager\s+)?"
        r"certificat\w+|servsafe|manager\s+certificat\w+|certified\s+(?:food\s+)?manager)"
        r"|\b(?:cfpm|cfm|food\s+manager|manager(?:'s)?|servsafe|sanitation)\s+(?:certificat\w+|"
        r"certification|card)\s+(?:\w+\s+){0,2}?(?:expired|not\s+(?:available|on\s+site|posted|"
        r"present|current|valid))|\b(?:cfpm|certified\s+(?:food\s+)?manager)\s+(?:\w+\s+){0,2}?"
        r"(?:not\s+(?:present|on\s+(?:site|duty)|available)|absent|expired)",
    ),
    # --- 3-7 employee health and hygiene -----------------------------------------------
    _rule(
        "health_policy",
        3,
        "2-103.11(O)",
        "Pf",
        "No employee health policy or illness-reporting agreement",
        rf"\b{ABSENT}\s+(?:proof\s+of\s+|copy\s+of\s+)?(?:written\s+|signed\s+)?(?:employees?'?s?\s+)?"
        r"(?:health|illness)\s+(?:policy|"
        r"policies|reporting|agreement|plan)|\bnever\s+(?:been\s+)?(?:informed|told|trained|made\s+"
        r"aware|instructed)\s+(?:\w+\s+){0,4}?(?:report\w*|duty|illness\w*|symptoms?|exclusion)|"
        r"\b(?:employee\s+)?(?:health|illness)\s+(?:policy|"
        r"reporting\s+agreement|agreements?)\s+(?:\w+\s+){0,2}?(?:not\s+(?:available|on\s+site|"
        r"signed|provided)|missing|unsigned)|\bnot\s+(?:been\s+)?(?:informed|told|trained|made\s+"
        r"aware|instructed)\s+(?:\w+\s+){0,8}?(?:report\w*|duty|illness\w*|symptoms?|exclusion)|\b(?:employees?|staff|food\s+handlers?)\s+(?:\w+\s+)"
        r"{0,2}?(?:not\s+aware|unaware|not\s+informed)\s+(?:of|that)\s+(?:\w+\s+){0,4}?(?:report|symptoms?|illness)",
    ),
    _rule(
        "ill_worker",
        4,
        "2-201.12",
        "P",
        "Ill food employee working (exclusion/restriction)",
        r"\b(?:vomit\w*|diarrh\w+|fever(?:ish)?|jaundice\w*|sore\s+throat|sick|ill\b|illness|"
        # "threw up", and its sound-alike "through up" in dictated notes
        r"(?:threw|throwing|throws|thrown|through)\s+up\b(?!\s+(?:the|a|an|to|into|onto|on|in)\b)|"
        r"stomach\s+(?:flu|bug)|norovirus|salmonella|shigella|hepatitis|e\.?\s?coli)\b",
        r"\b(?:working|handling|preparing|prepping|serving|on\s+duty|at\s+work|reported\s+to\s+work|"
        r"continued|still|cooking|making|came\s+in|come\s+in|showed\s+up|on\s+shift|in\s+today|"
        r"short[-\s]?staffed|worked|works)\b",
        r"\b(?:vomit\w*|diarrh\w+)\s+(?:and\s+diarrh\w+\s+)?(?:clean[-\s]?up|kit|events?|"
        r"procedures?|policy|plan|supplies)|\bbodily\s+fluid|\bpolicy\b|\bexclusion\s+list|"
        # what staff know or were taught about illness is not an ill worker
        r"\bknow\w*|\baware\w*|\btrain\w*|\beducat\w*|\breporting\s+(?:requirements?|"
        r"procedures?|duties|obligations?)"
        # the ill employee kept away from work, as the rule requires
        r"|(?:\bcalled\s+(?:in\s+)?(?:out\s+)?sick|\b(?:stayed|stays|staying)\s+home|\b(?:has|have|had)\s+"
        r"not\s+(?:worked|been\s+(?:in|at\s+work|working))|\bsymptom[-\s]free|\bnot\s+(?:at\s+work|"
        r"scheduled|working)\s+(?:until|since|while))(?![^.]*\b(?:but|still|anyway|however)\b)",
    ),
    _rule(
        "vomit_plan",
        5,
        "2-501.11",
        "Pf",
        "No procedures or supplies for vomiting and diarrheal events",
        rf"\b{ABSENT}\s+(?:\w+\s+){{0,3}}?(?:(?:vomit\w*|diarrh\w+|bodily\s+fluids?|body\s+"
        r"fluids?|norovirus)\s+(?:\w+\s+){0,4}?(?:clean[-\s]?up|kit|plan|procedures?|policy|"
        r"supplies|response)|clean[-\s]?up\s+(?:kit|procedures?|plan|supplies)|spill\s+kit|"
        r"(?:written\s+)?(?:procedures?|plan|policy)\s+(?:\w+\s+){0,3}?(?:vomit\w*|diarrh\w+|"
        r"bodily\s+fluids?)|(?:procedures?|plan|supplies|kit)\s+(?:\w+\s+){0,3}?(?:for\s+)?"
        r"clean(?:ing)?[-\s]?up\s+(?:\w+\s+){0,7}?(?:vomit\w*|diarrh\w+|bodily\s+fluids?))"
        r"|\b(?:vomit\w*|diarrh\w+|bodily\s+fluids?|body\s+fluids?)\s+(?:\w+\s+){0,4}?(?:kit|"
        r"plan|procedures?|policy|supplies)\s+(?:\w+\s+){0,3}?(?:not\s+(?:available|on\s+site|"
        r"provided|complete)|missing|incomplete|expired|lacking|unavailable)"
        r"|\b(?:clean[-\s]?up\s+kit|spill\s+kit)\s+(?:\w+\s+){0,2}?(?:not\s+(?:available|"
        r"complete|on\s+site)|missing|incomplete|expired)"
        # asked for it, and "they dont have one"
        r"|\b(?:procedures?|plan|kit|policy)\s+(?:for\s+)?(?:[\w-]+\s+){0,6}?(?:vomit\w*|diarrh\w+|"
        r"bodily\s+fluids?|body\s+fluids?)\b[^.]{0,40}?\b(?:they|he|she|the\s+\w+)\s+(?:do\s+not|"
        r"don'?t|dont|did\s+not|didn'?t|didnt|does\s+not|doesn'?t|doesnt|could\s+not|couldn'?t|"
        r"couldnt)\s+(?:have|find|produce|show)\s+(?:one|any|it|them)\b",
    ),
    _rule(
        "eating_drinking",
        6,
        "2-401.11",
        "C",
        "Employee eating, drinking or using tobacco in a food area",
        r"\b(?:employees?|workers?|cooks?|staff|food\s+handlers?|chef|server)\s+(?:\w+\s+){0,3}?"
        r"(?:eating|drinking|smoking|vaping|chewing\s+(?:gum|tobacco)|using\s+tobacco)"
        r"|\b(?:personal|employee(?:'s|s')?|open|uncovered|lidless)\s+(?:drinks?|beverages?|cups?|"
        r"food|meals?|coffee|soda|water\s+bottles?)\s+(?:[\w(),-]+\s+){0,7}?(?:on|over|above|in|at|"
        r"next\s+to|stored\s+(?:on|with|in))\s+(?:the\s+)?(?:\w+\s+){0,2}?(?:prep|food|cutting|"
        r"cooking|make|work|line|counter|table|station)"
        r"|\b(?:cigarettes?|ashtrays?|cigarette\s+butts?)\s+(?:\w+\s+){0,4}?(?:in|on|near)\s+"
        r"(?:the\s+)?(?:kitchen|prep|food)",
        None,
        r"\b(?:covered\s+(?:cup|container|drink)|(?:lid|lidded)\s+(?:and|with)\s+(?:a\s+)?straw|"
        r"with\s+a\s+(?:lid|straw)|away\s+from|designated\s+(?:area|break))",
    ),
    _rule(
        "discharge",
        7,
        "2-401.12",
        "C",
        "Employee with discharges from eyes, nose or mouth working with food",
        # not the guard over a buffet ("sneeze guards in place")
        r"\b(?:sneez\w+(?!\s+(?:guards?|shields?|glass|protectors?|screens?))|cough\w+|"
        r"runny\s+nose|nasal\s+discharge|wiping\s+(?:his|her|their)\s+nose)\b",
        r"\b(?:employees?|workers?|cooks?|staff|food\s+handlers?|chef|server|bartender|cashier|"
        r"dishwasher|he|she|while\s+(?:plating|preparing|prepping|serving|cooking|handling))\b",
    ),
    # --- 8-10 hands ----------------------------------------------------------------------
    _rule(
        "handwash_missed",
        8,
        "2-301.14",
        "P",
        "Employees not washing hands when required",
        r"\b(?:did\s+not|didn't|does\s+not|doesn't|do\s+not|don't|failed\s+to|fail\s+to|not|"
        r"never|without|no)\s+(?:properly\s+)?(?:wash(?:ing)?|wash\s+(?:their|his|her)|"
        r"handwash\w*|hand\s+wash\w*)\s*(?:their\s+|his\s+|her\s+)?(?:hands)?\s*(?:between|"
        r"after|before|prior|when|upon|following|and|then)"
        r"|\b(?:without|no|not)\s+(?:first\s+)?(?:washing|hand\s?wash\w*|hand\s+washing|washing\s+"
        r"(?:their|his|her)\s+hands)\b(?![-\s]+(?:set[-\s]?up|stations?|sinks?|facilit\w*|areas?|"
        r"basins?|signs?|signage|supplies|tanks?|units?|containers?|cleansers?|soap|towels?|"
        r"paper|dispensers?|liquid|detergent))"
        r"|\b(?:without|no|never|not)\s+(?:[\w-]+\s+){0,4}?(?:or|and|nor)\s+(?:washing|wash)\s+"
        r"(?:their\s+|his\s+|her\s+)?hands\b"
        r"|\b(?:did\s+not|didn't|never|does\s+not|doesn't)\s+(?:even\s+)?(?:go\s+(?:near|to)|use|"
        r"visit|stop\s+at|approach|touch)\s+(?:a|the|any)\s+hand\s?(?:wash(?:ing)?\s+)?sink"
        r"|\b(?:did\s+not|didn't|failed\s+to|not\s+observed\s+to)\s+wash\s+(?:their|his|her)?\s*"
        r"hands\b|\bhands\s+(?:were\s+)?not\s+washed\b|\bno\s+hand\s?washing\s+observed\b"
        # "he had not washed his hands between the two jobs", "she hasn't washed her hands"
        r"|\b(?:had|has|have)(?:\s+not|n't|\s+never)\s+(?:yet\s+|even\s+|once\s+|properly\s+)?"
        r"washed\s+(?:their\s+|his\s+|her\s+|the\s+)?hands\b"
        r"|\b(?:gloves?)\s+(?:\w+\s+){0,3}?(?:changed|donned|put\s+on|replaced)\s+(?:\w+\s+){0,2}?"
        r"without\s+(?:\w+\s+){0,2}?wash",
        unless=r"\b(?:produce|vegetables|fruits?|lettuce)\s+(?:not\s+)?washed|\bsign"
        # a board or knife not washed between uses is a food-contact surface (item 16)
        r"|\b(?:boards?|knife|knives|slicers?|surfaces?|utensils?|pans?|bowls?|equipment)\b"
        r"(?![^.]*\bhands?\b)[^.]*\bno\s+wash\w*\s+between",
    ),
    _rule(
        "handwash_wrong_sink",
        8,
        "2-301.15",
        "Pf",
        "Hands washed in a sink not meant for handwashing",
        r"\b(?:wash(?:ed|ing)?|rins(?:ed|ing))\s+(?:\w+\s+){0,2}?hands\s+(?:\w+\s+){0,2}?(?:in|at)\s+"
        r"(?:the\s+)?(?:3|three|prep|food\s+prep|dish|mop|utility|service|bar|compartment)"
        r"[-\s]?(?:comp\w*\s+)?sink",
    ),
    _rule(
        "bare_hand",
        9,
        "3-301.11(B)",
        "P",
        "Bare-hand contact with ready-to-eat food",
        r"\bbare[-\s]?hand\w*|\bwith\s+(?:their\s+|his\s+|her\s+)?(?:bare\s+)?hands\b|"
        r"\bwithout\s+(?:using\s+)?(?:gloves?|utensils?|tongs|deli\s+(?:tissue|paper))|"
        r"\b(?:no|not\s+wearing)\s+gloves?\b|\bungloved\b|\bby\s+hand\b",
        r"\b(?:rte|ready[-\s]to[-\s]eat|lettuce|tomato\w*|sandwich\w*|bread|buns?|toast|"
        r"garnish\w*|fruit|salad|sushi|rice|tortillas?|chips|cheese|deli|ice|herbs|cilantro|"
        r"onions?|pickles?|cooked|fries|bagels?|pastr\w+|cake|wraps?|tacos?|burritos?|"
        r"lemons?|limes?|cucumbers?|peppers?|olives|jalape\w+|pizza|toppings|food)\b",
        r"\b(?:raw\s+(?:chicken|beef|pork|meat|fish|poultry))|\bhand\s+sinks?|\bwash\w*\s+hands",
    ),
    _rule(
        "hand_sink_access",
        10,
        "5-205.11(A)",
        "Pf",
        "Handwashing sink blocked or used for other purposes",
        r"\b(?:blocked|obstructed|inaccessible|not\s+(?:easily\s+)?accessible|access\w*\s+"
        r"(?:blocked|obstructed)|used\s+(?:for|as)\s+(?:\w+\s+){0,2}?(?:storage|dump\w*|other|"
        r"(?:food\s+)?prep\w*|wash\w*|rins\w*|dish\w*|thaw\w*|draining|disposal|ice)|"
        r"(?:stored|storing|placed|sitting|found|left|stacked|kept|piled|soaking|being\s+stored)\s+"
        r"(?:in|inside|on|in\s+front\s+of|under)|"
        r"filled\s+with|full\s+of|contain(?:ed|s|ing)|with\s+(?:\w+\s+){0,2}?(?:dishes|utensils|"
        r"pans|pots|buckets?|food|ice|bottles|boxes|rags|towels|cups|pitchers?|containers?|"
        r"equipment|items)\s+(?:in|inside|stored|on)|blocking|(?:stored|placed|boxes|cases|"
        r"items|equipment|carts?|buckets?|trash\s+cans?|garbage\s+cans?|chairs?|tables?|"
        r"ladders?)\s+(?:\w+\s+){0,2}?in\s+front\s+of|"
        r"dump\w*|(?:food|ice|coffee|grease)\s+(?:debris|residue)|not\s+used\s+for\s+hand\w*|"
        + _directive(
            r"remove\s+(?:all\s+)?(?:items|articles|\w+)|keep\s+(?:\w+\s+)?(?:clear|"
            r"accessible)|make\s+accessible|unblock"
        )
        + r")",
        _HAND_SINK,
        # a sink's supplies named, and no blocking word anywhere in the sentence ("blocked by
        # a mop bucket - cleared, soap and towels present" is still blocked)
        r"^(?!.*\b(?:blocked|obstructed|inaccessible|stored|filled|dishes)\b).*"
        r"\b(?:sign|signage|poster|soap|paper\s+towels?)\b",
    ),
    _rule(
        "hand_sink_soap",
        10,
        "6-301.11",
        "Pf",
        "No hand cleanser at the handwashing sink",
        rf"\b{ABSENT}\s+(?:\w+\s+){{0,2}}?(?:hand\s+)?(?:soap|cleanser|hand\s+cleaner)"
        r"|\b(?:soap|cleanser)\s+(?:\w+\s+){0,2}?(?:dispenser\s+)?(?:empty|not\s+(?:available|"
        r"provided|stocked|working)|missing|out|ran\s+out)",
        unless=r"\bdish\s?(?:soap|detergent|washing\s+(?:soap|liquid))|\bsanitiz|\bdetergent",
    ),
    _rule(
        "hand_sink_towels",
        10,
        "6-301.12",
        "Pf",
        "No hand-drying provision at the handwashing sink",
        rf"\b{ABSENT}\s+(?:\w+\s+){{0,2}}?(?:paper\s+towels?|(?:hand[-\s]?)?(?:drying|dryer)|"
        r"towels?|hand\s+towels)|\b(?:paper\s+)?towels?\s+(?:\w+\s+){0,2}?(?:dispenser\s+)?"
        r"(?:empty|not\s+(?:available|provided|stocked)|missing|out)|\b(?:hand\s+)?dryer\s+"
        r"(?:\w+\s+){0,2}?(?:not\s+working|broken|inoperable)",
        _HAND_SINK + r"|\bwash\s?rooms?|\brest\s?rooms?|\btoilet|\bbathrooms?|\bdispenser"
        r"|\bhands?\b",
        r"\bwiping|\bsingle[-\s]service",
    ),
    _rule(
        "hand_sink_not_stocked",
        10,
        "6-301.11",
        "Pf",
        "Handwashing sink not supplied",
        r"\bnot\s+(?:properly\s+|fully\s+)?(?:stocked|supplied|equipped)|\bunstocked|"
        r"\blacking\s+(?:supplies|soap|towels)",
        _HAND_SINK,
    ),
    _rule(
        "hand_sink_missing",
        10,
        "5-204.11",
        "Pf",
        "No handwashing sink where required",
        rf"\b{ABSENT}\s+(?:\w+\s+){{0,2}}?{_HAND_SINK}|\b{_HAND_SINK}\s+(?:\w+\s+){{0,2}}?"
        r"(?:not\s+(?:provided|installed|available|conveniently\s+located)|missing|removed|"
        r"disconnected|inoperable|out\s+of\s+(?:order|service)|not\s+(?:working|functional))"
        r"|\b(?:install|provide)\s+(?:an?\s+)?(?:additional\s+|exposed\s+)?"
        + _HAND_SINK
        + r"|\b"
        + _HAND_SINK
        + r"\s+(?:\w+\s+){0,2}?(?:needed|required)\b"
        # "no handwashing set-up", "lacks a hand-washing station" (a stall, a market, a truck)
        + rf"|\b(?:{ABSENT}|lacks?|lacking)\s+(?:\w+\s+){{0,2}}?(?:hand[-\s]?wash(?:ing)?|"
        r"hand[-\s]?washing)\s+(?:set[-\s]?ups?|stations?|facilit\w*|areas?|units?|tanks?|"
        r"provisions?|capabilit\w*|means)\b",
        unless=r"\b(?:soap|towels?|sign|signage|poster|drying|cleanser|water)\b",
    ),
    _rule(
        "hand_sink_sign",
        10,
        "6-301.14",
        "C",
        "No handwashing signage",
        # "no sign of pests" is "no evidence of", not a missing sign
        rf"\b{ABSENT}\s+(?:\w+\s+){{0,3}}?(?:sign|signs|signage|posters?)\b(?!\s+of\b)|"
        r"\b(?:signs?|signage|"
        r"posters?)\b[^.;]{0,20}?\bnone\s+(?:posted|provided|present)|\b(?:signs?|signage|"
        r"posters?)\s+(?:\w+\s+){0,3}?(?:not\s+(?:posted|provided)|missing|needed|required)|"
        + _directive(r"post|provide\s+(?:\w+\s+){0,2}?(?:signs?|signage)"),
        r"\bhand\s?wash\w*|\bhand\s?sinks?|\bwash\s+(?:their\s+)?hands|\bhws\b",
    ),
    # --- 11-14 approved source --------------------------------------------------------------
    _rule(
        "unapproved_source",
        11,
        "3-201.11(A)",
        "P",
        "Food from an unapproved source",
        r"\b(?:unapproved|unlicensed|uninspected|unknown|non[-\s]?approved|not\s+(?:from\s+)?an?\s+"
        r"approved|not\s+approved)\s+(?:food\s+)?(?:source|supplier|vendor|establishment|"
        r"facility|kitchen)|\b(?:home[-\s]?(?:made|prepared|cooked|canned|baked)|prepared\s+"
        r"(?:at|in\s+(?:a\s+)?private)\s+(?:home|residence)|private\s+(?:home|residence)|"
        r"from\s+(?:a\s+|the\s+)?(?:home|residence|private\s+kitchen)|(?:made|prepared|cooked|"
        r"baked|canned)\s+(?:\w+\s+){0,3}?(?:at\s+home|(?:at|in)\s+(?:the|a|an|his|her|their|my|"
        r"someone's|[\w]+'s)\s+(?:[\w']+\s+)?(?:home|house|residence|apartment))\b(?!\s+(?:made|"
        r"style)))\b|\b(?:no|without|lacking)\s+"
        r"(?:receipts?|invoices?|proof\s+of\s+(?:purchase|source))\b|\bwild[-\s]?(?:harvested|"
        r"caught|game|mushrooms?)\b|\b(?:game|venison|deer)\s+(?:meat\s+)?(?:not|without)\s+"
        r"(?:inspected|approved)|\bnot\s+(?:usda|state|federally)\s+inspected|\b(?:from|by)\s+"
        r"(?:a\s+)?(?:local\s+)?hunters?\b",
    ),
    _rule(
        "food_unsafe",
        13,
        "3-101.11",
        "P",
        "Food not in good condition, unsafe or adulterated",
        r"\b(?:spoiled|rotten|rotting|putrid|moldy|mouldy|slimy|decomposed|adulterated|"
        r"(?:visible\s+)?mou?ld\s+(?:growth|growing|spots?|on\s+(?:the\s+)?(?:\w+\s+)?(?:bread|"
        r"buns|loaves|cheese|fruit|berries|tortillas|bagels|produce))|(?:green|white|black|blue|"
        r"grey|gray|fuzzy|visible)?\s*mou?ld\s+(?:\w+\s+){0,2}?(?:on|in|through|across|covering)\s+"
        r"(?:them|it|the\s+(?:\w+\s+)?(?:bread|buns|loaves|slices|cheese|fruit|berries|crust|"
        r"tortillas|bagels|rind|surface|top))|(?:had|has|have|with|showing|showed)\s+(?:visible\s+|"
        r"some\s+|spots\s+of\s+)?mou?ld\b|(?:green|white|black|blue|"
        r"grey|gray|fuzzy)\s+(?:and\s+\w+\s+)?mou?ld|"
        r"contaminated|spoilage|off[-\s]odou?r|rancid|(?:severely\s+|badly\s+)?dented|"
        r"(?:with\s+(?:\w+\s+)?dents|dents\s+(?:along|in|on|at))|"
        r"swollen|bulging|bloated|rusted\s+cans?|leaking\s+cans?|rodent[-\s]gnawed|gnawed|"
        r"chewed|gnaw\s+(?:marks|holes)|(?:rodent|mouse|rat)\s+(?:damage|damaged|chew\w*)|pest[-\s]damaged|insect[-\s]infested|infested|torn\s+(?:bags?|packages?)|"
        r"damaged\s+(?:cans?|packages?|packaging)|(?:broken|missing)\s+seals?)\b",
        r"\b(?:food|cans?|canned|products?|produce|meat|chicken|fish|fruit|vegetables|bread|"
        r"buns|loaves|tortillas|bagels|rolls|cheese|rice|flour|bags?|packages?|boxes|items|milk|eggs|lettuce|tomato\w*|onions?|"
        r"potato\w*|\w*berries|herbs|goods)\b",
        r"\b(?:shelv\w+|walls?|floors?|ceilings?|gaskets?|interior\s+of|ice\s+machine|surfaces?|"
        r"cutting\s+boards?|equipment|wood|tiles?|doors?|coolers?)\b"
        r"|\b(?:return|returns|damaged[-\s]goods|reject\w*|credit)\s+(?:box|bin|area|shelf|pile|"
        r"cart|tote)|\bset\s+aside|\bsegregated|\bheld\s+for\s+(?:return|credit|the\s+vendor)|"
        r"\bmarked\s+(?:for\s+)?(?:return|credit|discard)",
    ),
    _rule(
        "shellstock_parasite",
        14,
        "3-203.12",
        "Pf",
        "Shellstock tags or parasite-destruction records not kept",
        rf"\b{ABSENT}\s+(?:\w+\s+){{0,3}}?(?:shellstock|shellfish|oyster|clam|mussel)\s+"
        r"(?:tags?|labels?|records?)|\b(?:shellstock|shellfish)\s+tags?\s+(?:\w+\s+){0,4}?"
        r"(?:not\s+(?:kept|retained|maintained|available|on\s+(?:file|site))|missing|discarded|"
        r"thrown\s+away|less\s+than\s+90\s+days)|\btags?\s+(?:\w+\s+){0,3}?(?:not\s+(?:kept|"
        r"retained)|discarded)\s+(?:\w+\s+){0,3}?90\s+days",
    ),
    _rule(
        "parasite_records",
        14,
        "3-402.12",
        "Pf",
        "No parasite-destruction records for raw fish",
        rf"\b{ABSENT}\s+(?:\w+\s+){{0,3}}?(?:parasite\s+destruction|freezing)\s+(?:records?|"
        r"letter|documentation|logs?)|\b(?:parasite\s+destruction|freezing)\s+(?:records?|"
        r"letter|documentation|logs?)\s+(?:\w+\s+){0,2}?(?:not\s+(?:available|kept|on\s+site)|"
        r"missing)|\bparasite\s+destruction\b(?:\s+[\w()°-]+){0,10}?\s+(?:not\s+(?:on\s+file|"
        r"available|kept|documented|provided)|missing|no\s+(?:records?|documentation|letter))",
    ),
    # --- 15-17 protection from contamination ----------------------------------------------------
    _rule(
        "raw_over_rte",
        15,
        "3-302.11(A)(1)",
        "P",
        "Raw animal food stored over or with ready-to-eat food (cross-contamination)",
        r"\b(?:above|over|on\s+top\s+of|atop|dripping\s+(?:on|onto)|touching|next\s+to|"
        r"beside|in\s+contact\s+with|mixed\s+with|(?:stored|kept|placed|packed)\s+(?:together\s+)?"
        r"with|in\s+(?:the\s+)?same\s+(?:container|bin|tub|pan|box|bag|drawer|tray|bucket|bowl)\s+"
        r"(?:as|with))"
        r"\s+(?:the\s+|an?\s+)?(?:[\w-]+\s+){0,6}?(?:rte|ready[-\s]to[-\s]eat|produce|vegetables?|"
        r"veggies|lettuce|romaine|spinach|cabbage|herbs|cilantro|berries|garnish\w*|"
        r"greens|fruits?|salads?|cooked\s+\w+|cheese|bread|tortillas|sauces?|"
        r"beverages?|desserts?|cakes?|tomato\w*|onions?|peppers?|cut\s+\w+|sliced\s+\w+|"
        r"deli\s+\w+|dairy)",
        r"\b(?:raw|uncooked)\s+(?:\w+\s+)?(?:chicken|poultry|beef|pork|meats?|eggs|shell\s?eggs|fish|"
        r"seafood|shrimp|fish|sausages?|bacon|steaks?|hamburger|ground\s+\w+|turkey|lamb|"
        r"ribs|wings|animal\s+foods?)|\b(?:raw\s+)?(?:shell\s?eggs|raw\s+\w+)\s+(?:stored|placed"
        r"|kept)|\bcross[-\s]?contaminat",
        r"\b(?:properly\s+(?:stored|separated)|stored\s+(?:below|beneath|under)\s+(?:the\s+)?"
        r"(?:\w+\s+){0,2}?(?:rte|ready))",
    ),
    _rule(
        "cross_contamination",
        15,
        "3-302.11(A)(1)",
        "P",
        "Food not separated and protected",
        r"\bcross[-\s]?contaminat\w*|\b(?:same|shared)\s+(?:cutting\s+board|knife|utensils?|"
        r"gloves?|surface)\s+(?:\w+\s+){0,3}?(?:for|between)\s+raw|\b(?:cut(?:ting)?|prepar\w+|"
        r"prepp\w+)\s+raw\s+\w+\s+(?:\w+\s+){0,3}?(?:then|and\s+then)\s+(?:\w+\s+){0,3}?"
        r"(?:rte|ready|lettuce|vegetables|produce|cooked)",
    ),
    _rule(
        "food_contact_dirty",
        16,
        "4-601.11(A)",
        "Pf",
        "Food-contact surfaces not clean",
        _DIRTY,
        r"\b(?:slicers?|cutting\s+boards?|can\s+openers?|(?:ice\s+(?:machine|maker|bin)s?\s+"
        r"(?:interior|chute|bin|deflector|panel|plate))|interior\s+(?:\w+\s+){0,2}?of\s+(?:the\s+)?"
        r"ice\s+(?:machine|maker|bin)|inside\s+(?:of\s+)?(?:the\s+)?ice\s+(?:machine|maker|bin)|"
        r"food[-\s]contact\s+surfaces?|utensils?|knives|knife|blades?|mixer\s+(?:bowls?|"
        r"attachments?|paddles?)|(?:soda|beverage)\s+(?:nozzles?|guns?)|nozzles?|"
        r"(?:steam|milk|frothing)\s+wands?|"
        r"clean\s+(?:dishes|plates|pans|utensils)|(?:stored\s+)?(?:dishes|plates|bowls|cups|"
        r"glasses)\s+(?:stored\s+)?(?:as\s+)?clean|food\s+(?:containers?|bins|pans)|"
        r"prep\s+(?:table|surface)\s+(?:tops?|surfaces?)|blenders?|tongs|ladles?|scoops?|"
        r"grinders?|food\s+processors?|(?:coffee|espresso|juice|smoothie)\s+(?:machine|maker)s?)\b",
        r"\b(?:exterior|outside|handles?|gaskets?|legs|shelves|sides)\b",
    ),
    _rule(
        "not_sanitized",
        16,
        "4-602.11(A)",
        "P",
        "Food-contact surfaces not cleaned and sanitized",
        r"\bnot\s+(?:being\s+)?(?:properly\s+)?(?:cleaned\s+and\s+)?sanitiz\w+|\bwithout\s+"
        r"(?:being\s+)?sanitiz\w+|\b(?:no|without)\s+sanitiz\w+\s+(?:step|compartment|used|"
        r"solution\s+(?:in|at)\s+(?:the\s+)?(?:3|three|third|dish))|\b(?:wash\w*|rins\w*)\s+"
        r"(?:\w+\s+){0,3}?(?:but|and)\s+not\s+sanitiz\w+|\bsanitiz\w+\s+(?:step|compartment)\s+"
        r"(?:\w+\s+){0,2}?(?:skipped|not\s+used|empty|missing)|\bdish\s?machine\s+(?:\w+\s+){0,3}?"
        r"not\s+(?:sanitizing|dispensing)|\bno\s+(?:detectable\s+)?(?:sanitizer|chlorine|quat\w*)"
        r"\s+(?:\w+\s+){0,3}?(?:detected|in|at|dispens\w+|residual)",
        unless=r"\bwiping\s+cloths?|\btest\s+(?:strips?|kits?)",
    ),
    _rule(
        "reserved_food",
        17,
        "3-306.14",
        "P",
        "Returned or previously served food re-served",
        r"\b(?:re-?serv\w+|re-?us\w+|served\s+again|returned\s+to\s+(?:the\s+)?(?:bulk|"
        r"container|bin)|back\s+(?:in|into|to)\s+(?:the\s+)?(?:\w+\s+){0,2}?(?:for|to\s+serve)\s+"
        r"(?:the\s+|a\s+|another\s+)?(?:next|another|other)\s+(?:tables?|customers?|guests?|"
        r"part(?:y|ies)|patrons?|diners?)|(?:topped\s+up|tipped|poured|dumped|added|mixed|put|"
        r"combined|returned)\s+(?:\w+\s+){0,2}?(?:back\s+)?(?:into|in\s+with|with)\s+(?:the\s+)?"
        r"(?:[\w-]+\s+){0,3}?(?:with\s+(?:the\s+)?)?(?:next|new|fresh)\s+(?:batch|\w+))\b",
        r"\b(?:previously\s+served|returned|left\s?overs?|uneaten|customers?'?\s+(?:plates?|tables?)|"
        r"buffet|served|from\s+the\s+(?:tables?|dining\s+room|line)|"
        r"bread|rolls|chips|salsa|butter|condiments?|garnish\w*|unwrapped\s+\w+|left\s+on\s+"
        r"(?:a\s+|the\s+)?tables?)\b",
        # a container reused to store food is item 45, not food re-served
        r"\b(?:tubs?|jars?|cans?|jugs?|containers?|bottles?|buckets?|pails?|bags?|boxes)\s+"
        r"(?:\w+\s+){0,3}?re-?us\w+\s+(?:\w+\s+){0,2}?(?:for|to|as)\b",
    ),
    _rule(
        "unsafe_food_kept",
        17,
        "3-701.11",
        "P",
        "Unsafe or contaminated food not discarded",
        r"\b(?:not\s+discarded|kept\s+for\s+(?:sale|service)|still\s+(?:offered|served|for\s+sale))"
        r"\b",
        r"\b(?:contaminated|unsafe|expired|spoiled|adulterated|recalled)\b",
    ),
    # --- 18-24 time/temperature (numbers are in measurements.py) --------------------------------
    _rule(
        "undercooked",
        18,
        "3-401.11(A)(1)",
        "P",
        "Food not cooked to the required temperature",
        r"\bundercooked\b|\bnot\s+(?:\w+\s+)?cooked\s+to\s+(?:the\s+)?(?:required|proper|minimum|"
        r"safe)|\bnot\s+(?:\w+\s+)?(?:reaching|reach)\s+(?:the\s+)?(?:required\s+|minimum\s+)?"
        r"(?:internal\s+)?cook",
        unless=r"\b(?:advisory|menu|disclosure|reminder|consumer)\b",
    ),
    _rule(
        "reheat_improper",
        19,
        "3-403.11(A)",
        "P",
        "Food not reheated properly for hot holding",
        r"\b(?:not\s+(?:\w+\s+)?re-?heated\s+to|re-?heat\w*\s+(?:\w+\s+){0,4}?(?:in|on|using)\s+"
        r"(?:the\s+)?(?:steam\s+table|hot\s+(?:well|holding)|warmer|bain\s?marie|holding\s+unit)|"
        r"re-?heat\w*\s+(?:\w+\s+){0,3}?(?:slowly|over\s+\d+\s+hours?|more\s+than\s+2\s+hours?))",
    ),
    _rule(
        "cooling_time_missed",
        20,
        "3-501.14(A)",
        "P",
        "Cooked food not cooled within the required time",
        r"\b(?:did\s+not|didn't|does\s+not|not|failed\s+to|never|unable\s+to)\s+(?:\w+\s+){0,3}?"
        r"(?:reach|get|drop|cool\w*|fall|come\s+down)\b[^.;]{0,60}?\b(?:within|in|after|by)\s+"
        r"(?:the\s+)?(?:required\s+|first\s+)?(?:2|two|6|six|4|four)\s*(?:h\b|hours?|hrs?)",
        r"\b(?:cool\w*|70|21|41|5)\b",
    ),
    _rule(
        "cooling_improper",
        20,
        "3-501.14(A)",
        "P",
        "Cooked food not cooled within the required time",
        r"\b(?:not\s+(?:\w+\s+)?cooled\s+(?:\w+\s+){0,2}?(?:within|properly|in\s+time|rapidly)|"
        r"(?:improper(?:ly)?|slow)\s+cool\w*|cool\w*\s+(?:\w+\s+){0,3}?(?:overnight|too\s+slow\w*|"
        r"exceed\w*\s+(?:the\s+)?(?:\d|two|six)))",
        unless=r"\b(?:method|ice\s+bath|shallow|room\s+temp\w*|deep|covered|lids?|stock\s?pots?|"
        r"container)\b",
    ),
    _rule(
        "cooling_method",
        33,
        "3-501.15(A)",
        "Pf",
        "Improper cooling method",
        r"\bcool(?:ed|ing)\s+(?:\w+\s+){0,4}?(?:at\s+room\s+temp\w*|on\s+(?:the\s+)?(?:counter|"
        r"stove|floor|prep\s+table|shelf)|in\s+(?:a\s+|the\s+)?(?:deep|large|big|covered|"
        r"tightly\s+covered|\d+[-\s]?(?:gallon|quart|qt|l|litres?|liters?)\b|(?:(?:two|three|four|"
        r"\d)\s+)?(?:[4-9]|1\d)[-\s]?(?:inch|in)\b|stock\s?pot|pot|"
        r"bucket|cambro|tub)|(?:tightly\s+)?covered|with\s+(?:a\s+|the\s+)?lids?\s+on|(?:in|on)\s+(?:the\s+)?(?:\w+\s+)?"
        r"(?:rack|speed\s+rack)\s+at\s+room)|\bimproper\s+cooling\s+method|\b(?:deep|large|big|"
        r"covered)\s+(?:\w+\s+){0,2}?(?:pots?|containers?|pans?|buckets?|cambros?)\s+(?:\w+\s+)"
        r"{0,4}?cool\w*|\b(?:\d+[-\s]?(?:qt|quart|gallon|gal)\s+)?(?:stock\s?pots?|deep\s+(?:pots?|"
        r"containers?)|(?:\d+[-\s]?(?:qt|quart|gallon|gal)|large|big)\s+(?:pots?|containers?|"
        r"buckets?|cambros?))\b[^.;]{0,80}?\b(?:lids?\s+on|covered|no\s+ice\s+bath|without\s+(?:an\s+)?"
        r"ice\s+bath|not\s+(?:in\s+(?:an\s+)?ice|vented|stirred)|no\s+shallow)",
    ),
    _rule(
        "cold_holding_words",
        22,
        "3-501.16(A)(2)",
        "P",
        "TCS food not held at 41°F (5°C) or below",
        r"\b(?:improper(?:ly)?\s+(?:cold\s+)?(?:held|holding|stored)\s+(?:\w+\s+){0,2}?"
        r"(?:cold|temp\w*)|improper\s+cold[-\s]holding|(?:at|held\s+at|left\s+at|sitting\s+at|"
        r"stored\s+at)\s+room\s+temperature|out\s+of\s+temp\w*(?:\s+control)?|(?:left|sitting|"
        r"stored|held|kept|thawing|holding)\s+(?:\w+\s+){0,2}?(?:out\s+)?on\s+(?:the\s+)?"
        r"(?:counter|prep\s+table|table|shelf)\s+(?:\w+\s+){0,3}?(?:without|at\s+room|not\s+"
        r"(?:under|in)|for\s+\d|since|\(?\d+\s*(?:°|f\b|deg))|not\s+(?:\w+\s+)?(?:held|kept|"
        r"maintained)\s+(?:cold|at\s+41|at\s+or\s+below\s+41|under\s+refrigeration)|"
        # "in the unrefrigerated display case", "been out since 10am", "sitting out for hours"
        r"unrefrigerated|not\s+refrigerated|(?:left|sitting|been|sat|kept)\s+out\s+(?:\w+\s+){0,3}?"
        r"(?:since\s+(?:\d|this|the|early|breakfast|lunch|open\w*|last|yesterday|morning)|"
        r"for\s+(?:\d|over|more|several|hours?|the\s+(?:morning|day|afternoon))|all\s+"
        r"(?:day|morning|afternoon|night)))",
        r"\b(?:tcs|phf|potentially\s+hazardous|milk|cream|cheese|dairy|meat|chicken|fish|"
        r"flan|custard|cheesecake|cream\s+pies?|tres\s+leches|pudding|queso|fillings?|"
        r"cut\s+melons?|cooked\s+\w+|"
        r"seafood|eggs?|salads?|cut\s+\w+|sliced\s+\w+|tofu|sushi|rice|beans|sauces?|"
        r"mayo\w*|deli|ham|turkey|food|foods|items?|products?)\b",
        r"\b(?:hot\s+holding|steam\s+table|135|thaw\w*|acidified|sushi\s+rice|hangiri|"
        r"shelf[-\s]stable|whole\s+(?:fruit|produce)|uncut|not\s+tcs|non[-\s]?tcs|ferment\w*|"
        # aged hard cheeses need no temperature control
        r"(?<!cream\s)(?<!soft\s)hard\s+(?:aged\s+)?cheeses?|aged\s+(?:hard\s+)?cheeses?|"
        # a utensil kept in a bowl of water is in-use utensil storage (item 43), not food
        r"(?:stored|kept|left|sitting|held)\s+in\s+(?:a\s+)?(?:bowl|container|pitcher|bucket|cup|"
        r"jar|pan)\s+of\s+(?:standing\s+|still\s+|tepid\s+)?water|"
        r"time\s+as\s+a\s+public\s+health\s+control|tphc|time\s+control|under\s+time|"
        # held out of temperature on purpose, by a time limit: "sold within 4 hours under
        # the written time policy"
        r"(?<!no\s)(?<!without\s)(?<!not\s)(?<!no\swritten\s)(?<!without\sa\s)"
        r"(?<!no\sa\s)time\s+(?:policy|procedures?|plan)|(?:sold|served|used|discarded)\s+within\s+(?:4|four)"
        r"\s+h(?:ou)?rs?|(?:4|four)[-\s]hour\s+(?:rule|limit|discard))\b",
    ),
    _rule(
        "hot_holding_words",
        21,
        "3-501.16(A)(1)",
        "P",
        "TCS food not held at 135°F (57°C) or above",
        r"\bimproper(?:ly)?\s+(?:hot\s+)?(?:held|holding)\s+(?:\w+\s+){0,2}?(?:hot|temp\w*)|"
        r"\bimproper\s+hot[-\s]holding|\bnot\s+(?:\w+\s+)?(?:held|kept|maintained)\s+(?:hot|at\s+135"
        r"|at\s+or\s+above\s+135)|\b(?:steam\s+table|hot\s+(?:well|holding\s+unit)|warmer|"
        r"bain\s?marie)\s+(?:\w+\s+){0,2}?(?:not\s+(?:turned\s+on|on|working|heating|holding)|off|"
        r"turned\s+off|unplugged)",
    ),
    _rule(
        "date_marking_missing",
        23,
        "3-501.17",
        "Pf",
        "Ready-to-eat TCS food not date marked",
        r"\b(?:not|no|without|missing|lack(?:ing|s)?|improper(?:ly)?|unmarked|undated|never|"
        # "nothing past date" says nothing is expired, not that dates are missing
        r"nothing|none)\s+(?!(?:(?!date)\w+\s+)?(?:past|beyond|out\s+of)\s)"
        r"(?:\w+\s+){0,2}?(?:date[-\s]?mark\w*|dated|date\s+label\w*|labell?ed\s+with\s+(?:a\s+|"
        r"the\s+)?(?:\w+\s+)?dates?|(?:prep(?:aration)?|discard|use[-\s]by|expiration|"
        r"disposition|open(?:ed|ing)?)\s+dates?|dates?\b(?!\s+(?:of|on)\s+(?:the\s+)?(?:last|"
        r"previous|inspection)))|\bundated\b|\bdate\s+mark\w*\s+(?:\w+\s+){0,2}?(?:missing|"
        r"not\s+(?:provided|present|done|used)|incomplete|improper)|"
        # "none of them had a date on them", "none of the containers carried any date"
        r"\bnone\s+of\s+(?:them|these|those|the\s+(?:[\w-]+\s+){0,5}?[\w-]+)\s+(?:had|has|have|"
        r"carried|bore|showed|was|were)\s+(?:a\s+|any\s+)?(?:\w+\s+)?(?:date|dates|date\s+marks?|"
        r"dated)\b(?!\s+(?:past|older|beyond|over|earlier|before|that\s+(?:was|had)))|"
        + _directive(
            r"date[-\s]?mark|date\s+label|label\s+(?:\w+\s+){0,3}?with\s+(?:a\s+|the\s+)?"
            r"(?:\w+\s+)?dates?|provide\s+(?:proper\s+)?date"
        ),
        unless=r"\b(?:shellstock|shellfish)\s+tags?|\bconsumer\s+advisory|"
        r"\bcertificat\w*|\bpermit|\blicen[cs]e|\bcalibrat",
    ),
    _rule(
        "date_marking_expired",
        23,
        "3-501.18",
        "P",
        "Ready-to-eat TCS food held past its 7-day discard date",
        r"\b(?:past|beyond|exceed\w*|over|older\s+than|more\s+than|longer\s+than)\s+(?:the\s+|"
        r"its\s+)?(?:7|seven)[-\s]?days?|\b(?:past|beyond|exceed\w*)\s+(?:the\s+|its\s+)?"
        r"(?:discard|use[-\s]?by|expiration|disposition|sell[-\s]by)\s+date|\b(?:expired|"
        r"out[-\s]of[-\s]date)\s+(?:\w+\s+){0,2}?(?:food|product|items?|milk|deli|meat|salads?|"
        r"sauces?|cheese|ham|turkey|dairy|tcs|rte)|\b(?:food|product|items?|milk|deli|meat|"
        r"salads?|sauces?|cheese|ham|dairy|tcs|rte)\s+(?:\w+\s+){0,3}?(?:expired|past\s+date)|"
        r"\b(?:8|9|1\d|eight|nine|ten|eleven|twelve)\s+days?\s+old|\b(?:made|prepared|prepped|"
        r"opened|cooked|dated|labell?ed|marked)\s+(?:\w+\s+)?(?:8|9|[1-3]\d|eight|nine|ten|eleven|twelve|two\s+weeks)"
        r"\s+days?\s+(?:ago|earlier|prior|before)|\bdated\s+(?:\w+\s+){0,2}?"
        r"(?:8|9|1\d|eight|nine|ten)\s+days",
        # a date on paperwork, not on food: "pest control invoice dated 9 days ago",
        # "the cleaning log dated 12 days back"
        unless=r"\b(?:certificat\w*|permit|licen[cs]e|card|test\s+strips?|calibrat\w*|"
        r"fire\s+extinguisher|report)\b|\b(?:invoices?|receipts?|logs?|records?|letters?|"
        r"contracts?|statements?|bills?|sheets?|forms?|checklists?|notices?|e-?mails?|"
        r"delivery\s+notes?|service\s+(?:visit|call)s?|samples?|paperwork|documents?)\s+"
        r"(?:(?:is|was|were|are)\s+)?(?:dated|signed|issued|written)\b",
    ),
    # No time marked on food held under time control is a problem on its own; any other
    # mention of time control needs a problem word of its own (4 hours exceeded, not
    # discarded), which negation can deny ("none past their discard time").
    _rule(
        "tphc",
        24,
        "3-501.19(B)(2)",
        "Pf",
        "Food held under time as a public health control not marked with a time",
        r"\b(?:no|without|missing)\s+(?:a\s+|the\s+|any\s+)?(?:discard\s+|start\s+|removal\s+)?"
        r"(?:times?|time\s+stamps?|time\s+labels?)\s+(?:\w+\s+)?(?:written|marked|recorded|"
        r"labell?ed|noted|documented|indicated)|\b(?:discard\s+|start\s+|removal\s+)?times?\s+"
        r"(?:\w+\s+)?not\s+(?:written|marked|recorded|labell?ed|documented|indicated)"
        # "none of the pans had a time written on them"
        r"|\bnone\s+of\s+(?:them|these|those|the\s+(?:[\w-]+\s+){0,5}?[\w-]+)\s+(?:had|has|have|"
        r"carried|bore|showed)\s+(?:a\s+|any\s+)?(?:discard\s+|start\s+|removal\s+)?"
        r"(?:times?|time\s+stamps?|time\s+labels?)\s+(?:\w+\s+)?(?:written|marked|recorded|"
        r"labell?ed|noted|on)|\bnot\s+"
        r"(?:\w+\s+)?(?:marked|labell?ed)\s+with\s+(?:a\s+|the\s+|any\s+)?(?:discard\s+|"
        r"start\s+|removal\s+)?times?\b",
    ),
    _rule(
        "tphc_misuse",
        24,
        "3-501.19(A)",
        "Pf",
        "Time as a public health control not properly used",
        r"\b(?:exceed\w*|beyond|over|more\s+than|past|longer\s+than|after)\s+(?:the\s+|its\s+)?"
        r"(?:4|four)[-\s]?(?:hours?|hrs?|h)\b|\b(?:past|beyond|exceed\w*)\s+(?:the\s+|its\s+)?"
        r"(?:discard|removal)\s+times?|\bimproper(?:ly)?\b|\bnot\s+(?:\w+\s+)?(?:discarded|"
        r"followed|tracked|logged|documented)|\bno\s+(?:\w+\s+)?(?:logs?|records?|procedures?)",
        r"\b(?:time\s+as\s+(?:a\s+)?public\s+health\s+control|tphc|time\s+control|"
        r"(?:discard|removal)\s+times?)\b",
        # "discarded after 4 hours per the log": the control followed, not broken
        r"(?<!not\s)(?<!never\s)(?<!n't\s)\b(?:discarded|thrown\s+(?:out|away)|tossed|dumped|"
        r"removed)\s+(?:\w+\s+){0,2}?(?:after|at|by|within|before)\s+(?:the\s+)?(?:4|four)",
    ),
    # --- 25-29 ------------------------------------------------------------------------------
    _rule(
        "consumer_advisory",
        25,
        "3-603.11",
        "Pf",
        "No consumer advisory for raw or undercooked animal food",
        rf"\b{ABSENT}\s+(?:\w+\s+){{0,3}}?(?:consumer\s+advisory|advisory|disclosure|reminder|"
        r"asterisk\w*)|\b(?:consumer\s+)?advisory\s+(?:\w+\s+){0,3}?(?:missing|not\s+(?:\w+\s+)?"
        r"(?:provided|posted|on|present|available|complete)|incomplete|lacks?|lacking)|"
        r"\b(?:disclosure|reminder)\s+(?:\w+\s+){0,3}?(?:missing|not\s+(?:provided|posted|on)|"
        r"incomplete)|"
        # "nothing at the counter or on the labels tells the customer it is raw"
        r"\b(?:nothing|no\s+(?:sign|signage|notice|note|statement|wording|label|menu\s+note))\s+"
        r"(?:[\w']+\s+){0,7}?(?:tells?|warns?|informs?|advises?|says?|notif(?:y|ies)|discloses?|"
        r"lets?)\s+(?:the\s+)?(?:customers?|consumers?|guests?|diners?|patrons?|public|buyers?|"
        r"shoppers?|people)\b(?:\s+[\w']+){0,5}?\s+(?:raw|undercooked|uncooked|rare)\b|"
        + _directive(r"provide\s+(?:\w+\s+){0,3}?(?:advisory|disclosure|reminder)"),
    ),
    _rule(
        "hsp",
        26,
        "3-801.11",
        "P",
        "Prohibited food served to a highly susceptible population",
        r"\b(?:unpasteuri[sz]ed|runny|soft[-\s]?(?:cooked|boiled)|sunny[-\s]side|over[-\s]easy|"
        r"(?:raw|alfalfa|bean|clover|radish)\s+(?:seed\s+)?sprouts|raw\s+(?:shell\s+)?eggs?|"
        r"undercooked|rare|raw\s+(?:oysters?|fish|meat|beef|seafood|animal\s+food))\b",
        r"\b(?:served|serving|offered|offer|given|on\s+(?:the\s+)?(?:menu|tray|breakfast|line)|"
        r"residents?|patients?|children|kids|labell?ed|label|jug|made|prepared|used|menu)\b",
        r"\b(?:pasteuri[sz]ed\s+(?:shell\s+)?eggs?\s+(?:are\s+|were\s+)?used|no\s+(?:raw|"
        r"undercooked))\b",
        requires_note=r"\b(?:nursing\s+homes?|day\s?cares?|child\s?care|pre-?schools?|"
        r"hospitals?|assisted\s+living|highly\s+susceptible|hsp|senior\s+(?:center|living|"
        r"home)|long[-\s]term\s+care|elementary|kindergarten|residents|patients|in-?patients?|"
        r"medical\s+cent(?:re|er)s?|wards|infirmary|hospices?|care\s+homes?|retirement\s+homes?)\b",
    ),
    _rule(
        "additives",
        27,
        "3-302.14",
        "P",
        "Unapproved food or color additive",
        r"\b(?:unapproved|not\s+approved|prohibited)\s+(?:food\s+|color\s+)?additives?|"
        r"\b(?:sodium\s+|potassium\s+)?(?:meta)?bisulfite|\bsulfiting\s+agents?|"
        r"\bsulfites?\s+(?:\w+\s+){0,3}?(?:added|applied|used)\s+(?:\w+\s+){0,2}?(?:on|to)\s+"
        r"(?:fresh|raw)",
    ),
    _rule(
        "toxic_storage",
        28,
        "7-201.11",
        "P",
        "Toxic materials stored above or next to food or food-contact items",
        r"\b(?:above|over(?!\s+(?:the\s+)?(?:weekend|night|time))|overhead\s+of|next\s+to|"
        r"adjacent\s+to|beside|besides|alongside|along\s+with|near|nearby|close\s+to|right\s+by|"
        r"by|with|among|amongst|touching|against|mixed\s+(?:in\s+)?with|in\s+contact\s+with|"
        r"on\s+(?:the\s+)?(?:same\s+)?(?:shelf|shelves|rack|table|counter|cart)\s+(?:with|as)|"
        r"on\s+top\s+of|in\s+the\s+same|stored\s+(?:on|in))\s+(?:the\s+|a\s+|an\s+)?"
        r"(?:[\w-]+\s+){0,4}?"
        + _STORED_FOOD
        # plain "on"/"in" only right before what it holds: "bleach in the ice bin"
        + r"|\b(?:on|in|into)\s+(?:the\s+|a\s+|an\s+)?(?:\w+\s+){0,2}?"
        + _STORED_FOOD,
        r"\b(?:chemicals?|cleaners?|cleaning\s+(?:supplies|products|agents?|solutions?|chemicals?|"
        r"sprays?|bottles?)|degreasers?|bleach|(?:chlorine|quat|bleach|ammonia)\s+(?:bottles?|jugs?|"
        r"containers?|buckets?|tablets?)|sanitizers?\s+(?:bottles?|buckets?|containers?|jugs?|pails?|"
        r"concentrate|tablets?)|spray\s+bottles?|pesticides?|insecticides?|raid|"
        r"(?:bug|insect|roach|ant|fly|wasp)\s+(?:spray|killer)|rodenticide|toxic\w*|windex|"
        r"(?:oven|glass|floor|drain|stainless|grill|toilet|bowl)\s+cleaner|lye|detergents?|"
        r"(?:dish\s+)?soaps?\s+(?:bottles?|jugs?)|disinfectants?|ammonia|lighter\s+fluid|fuel|"
        r"paint\s+(?:cans?|thinner|buckets?)|cans?\s+of\s+paint|"
        r"wd-?40|poisons?|ant\s+(?:bait|spray)|lubricants?|solvents?|polish|caustic|"
        r"descaler|delimer|de-?liming\s+\w+|rinse\s+aid)\b",
        r"\b(?:properly\s+stored|(?:stored|kept|placed|located|housed)\s+(?:\w+\s+){0,2}?"
        r"(?:below|beneath|under(?:neath)?|away|separately|apart|on\s+(?:a\s+|the\s+)?(?:separate|"
        r"designated|dedicated|lower|bottom|own))|(?:nowhere|not|never)\s+(?:\w+\s+)?(?:near|next\s+to|"
        r"above|over|beside|by)|far\s+from|away\s+from\s+(?:all\s+|any\s+)?(?:food|"
        r"prep)|separate[dly]*\s+from|apart\s+from|segregated)\b"
        r"|\b(?:below|beneath|under(?:neath)?)\s+(?:the\s+|all\s+|any\s+)?(?:\w+\s+)?(?:food|produce|"
        r"prep|ready)"
        # a sanitizer in use (its strength, what it sanitizes) is not one stored by food
        r"|\b\d+\s*(?:ppm|mg/l)\b|\bsanitiz(?:e|es|ed|ing)\s+(?:the\s+)?(?:\w+\s+)?(?:dishes|plates|"
        r"utensils|glasses|cups|surfaces|boards|ware|equipment)\b|\bused\s+(?:to|for)\s+(?:sanitiz|"
        r"clean|wip)"
        r"|\b(?:wiping\s+)?(?:cloths?|towels?|rags?)\b",
    ),
    _rule(
        "toxic_unlabelled",
        28,
        "7-102.11",
        "Pf",
        "Chemical working container not labeled",
        r"\b(?:unlabell?ed|not\s+labell?ed|no\s+labels?|without\s+(?:a\s+|any\s+)?labels?|"
        r"unmarked|missing\s+labels?|lacks?\s+(?:a\s+)?labels?|not\s+marked)\b|\b"
        + _directive(r"label"),
        r"\b(?:chemicals?|spray\s+bottles?|(?:bottles?|containers?|jugs?|buckets?|pails?|"
        r"jars?|cups?)\s+of\s+(?:\w+\s+)?(?:cleaner|sanitizer|chemical|degreaser|bleach|quat|"
        r"detergent|disinfectant|chlorine)|cleaners?|sanitizers?\s+(?:\w+\s+)?(?:bottles?|buckets?|"
        r"containers?)|degreaser|bleach|toxic|squeeze\s+bottles?\s+of\s+(?:\w+\s+)?"
        r"(?:cleaner|sanitizer|chemical)|pesticides?|detergents?|solutions?)\b",
        r"\b(?:food|foods|bins?\s+of\s+(?:flour|sugar|rice|salt)|spices?|oil|sauces?)\b"
        r"(?!.*\b(?:chemical|cleaner|spray\s+bottle|sanitizer\s+bottle))",
    ),
    _rule(
        "pesticide_use",
        28,
        "7-202.12",
        "P",
        "Pesticide or toxic material used improperly",
        r"\b(?:raid|(?:bug|insect|roach|ant|fly|wasp|flea)\s+(?:spray|killer|fogger|bomb)|"
        r"insecticides?|pesticides?|rodenticides?|(?:rodent|rat|mouse|"
        r"mice)\s+(?:bait|poison)|ant\s+(?:bait|traps?|spray)|bait\s+stations?|fly\s+(?:spray|"
        r"bait))\b",
        r"\b(?:used|using|applied|sprayed|spraying|found|observed|stored|placed|on\s+site|in\s+"
        r"(?:the\s+)?(?:kitchen|prep|food|storage)|over|near|open|not\s+(?:approved|labell?ed)|"
        r"household|consumer)\b",
        r"\b(?:licensed\s+(?:\w+\s+)?(?:pest\s+control|exterminator|contractor|operator|applicator|"
        r"company|professional)|pest\s+control\s+(?:company|operator|service|contractor)|"
        # "pesticides not used on site": the use is denied
        r"(?:not|never)\s+(?:\w+\s+)?(?:used|applied|sprayed)\b(?![^.;]*\b(?:but|however)\b)|"
        r"by\s+(?:a\s+|"
        r"the\s+)?(?:\w+\s+)?(?:licensed|professional|contractor))\b",
    ),
    _rule(
        "medicine_storage",
        28,
        "7-207.11(B)",
        "P",
        "Medicines or first aid supplies stored improperly",
        r"\b(?:medicines?|medications?|pills|tylenol|aspirin|ibuprofen|first[-\s]aid\s+(?:kit|"
        r"supplies))\b",
        r"\b(?:above|over|with|next\s+to|on|in|among|near)\s+(?:the\s+)?(?:\w+\s+){0,2}?(?:food|"
        r"prep|shelf|shelves|cooler|utensils?|single[-\s]service|ingredients?|spices?)\b",
        r"\b(?:stored\s+(?:properly|separately|away|below))\b",
    ),
    _rule(
        "haccp_no_plan",
        29,
        "3-502.12",
        "P",
        "Reduced-oxygen packaging or specialized process without a HACCP plan",
        rf"\b{ABSENT}\s+(?:\w+\s+){{0,2}}?haccp\s+(?:plan|procedures?)|\bhaccp\s+plan\s+"
        r"(?:\w+\s+){0,3}?(?:not\s+(?:on\s+file|available|provided|approved)|missing)",
        unless=_ACIDIFIED_RICE + r"|\bph\b",
    ),
    _rule(
        "haccp",
        29,
        "8-103.12(A)",
        "P",
        "Specialized process or HACCP plan not followed or records not kept",
        r"\b(?:not\s+(?:being\s+)?(?:follow\w*|maintain\w*|kept|monitor\w*|record\w*)|deviat\w+|"
        r"incomplete|outdated|missing|no\s+(?:\w+\s+)?(?:records?|logs?|monitoring))\b",
        r"\b(?:haccp|reduced\s+oxygen\s+packag\w*|\brop\b|vacuum[-\s]?(?:pack\w*|seal\w*)|"
        r"sous[-\s]?vide|cook[-\s]?chill|curing|cured\s+meats?\s+made|acidif\w+|ferment\w+|"
        r"smok(?:ing|ed)\s+(?:meat|fish)\s+(?:on\s+site|in[-\s]house)|specialized\s+process\w*)\b",
        r"\bno\s+(?:\w+\s+)?haccp\s+plan|\bph\b|" + _ACIDIFIED_RICE,
    ),
    _rule(
        "acidified_rice",
        32,
        "3-502.11",
        "Pf",
        "Sushi rice held by acidification without a variance or its records",
        r"\bun-?(?:acidified|tested|checked|monitored|logged|recorded)\b|"
        rf"\b(?:{ABSENT}|never)\s+(?:[\w-]+\s+){{0,3}}?(?:acidif\w+|ph\b|p\.h\.|"
        r"variance|haccp|time\s+(?:as\s+a\s+public\s+health\s+)?(?:control|stamps?|marks?|"
        r"labels?|logs?)|records?|logs?|tested|testing|measured|checked|monitored|logged)"
        r"|\bph\s+(?:\w+\s+){0,2}?(?:not|never)\s+(?:\w+\s+)?(?:measured|checked|tested|"
        r"recorded|monitored|logged|verified|taken)",
        _ACIDIFIED_RICE,
        r"\b(?:approved|has\s+an?|have\s+an?|with\s+an?|under\s+(?:an?|the|its|their))\s+"
        r"(?:\w+\s+){0,2}?(?:variance|haccp)|\b(?:variance|haccp\s+plan)\s+(?:is\s+)?(?:on\s+file|"
        r"approved|in\s+place)",
    ),
    # --- 30-36 ------------------------------------------------------------------------------
    _rule(
        "pasteurized_eggs",
        30,
        "3-302.13",
        "P",
        "Raw shell eggs used where pasteurized eggs are required",
        r"\b(?:unpasteuri[sz]ed|raw|non[-\s]?pasteuri[sz]ed)\s+(?:shell\s+)?eggs?\b",
        r"\b(?:caesar|aioli|mayo\w*|eggnog|hollandaise|tiramisu|mousse|meringue|dressing|"
        r"uncooked|not\s+cooked|undercooked|raw\s+egg\s+\w+|sabayon|zabaglione|royal\s+icing)\b",
        r"\b(?:cooked\s+to|stored\s+(?:above|over|below)|over\s+(?:rte|ready)|hospital|nursing|"
        r"day\s?care|school|child|assisted|elderly|susceptible)\b",
    ),
    _rule(
        "water_ice_source",
        31,
        "5-101.11",
        "P",
        "Water or ice not from an approved source",
        r"\b(?:private|home|residential|untested)\s+wells?\b|\bwell\s+water\b|\b(?:well|private|"
        r"untested|unapproved|non[-\s]?potable)\s+water\b(?:\s+\w+){0,4}?\s+(?:not|no|untested|"
        r"without)|\bice\s+(?:\w+\s+){0,3}?(?:from|made\s+(?:at|in))\s+(?:a\s+)?"
        r"(?:home|residence|unapproved|grocery\s+bags?)|\bnon[-\s]?potable\s+water\s+(?:used|"
        r"for)|\bwater\s+(?:\w+\s+){0,2}?(?:from|via)\s+(?:a\s+)?(?:garden\s+)?hose\s+(?:for|to)\s+"
        r"(?:drinking|food|ice|cooking)|\bno\s+(?:\w+\s+)?water\s+(?:test|testing|sample|analysis)|"
        r"\bno\s+approval\s+for\s+(?:the\s+|that\s+|this\s+)?(?:water\s+)?source",
        unless=r"(?<!not )(?<!never )\b(?:tested|sampled|approved)\b|\breport\s+on\s+file",
    ),
    _rule(
        "variance_missing",
        32,
        "3-502.11",
        "Pf",
        "Specialized processing without a variance",
        rf"\b{ABSENT}\s+(?:\w+\s+){{0,2}}?variance|\bvariance\s+(?:\w+\s+){{0,3}}?(?:not\s+"
        r"(?:obtained|approved|on\s+(?:file|site))|required|needed|missing|expired)|"
        + _directive(r"obtain\s+(?:a\s+)?variance"),
    ),
    _rule(
        "equipment_temperature",
        33,
        "4-301.11",
        "Pf",
        "Cold- or hot-holding equipment unable to keep food at safe temperatures",
        r"\b(?:(?:unable\s+to|cannot|can't|could\s+not|does\s+not|doesn't|not\s+able\s+to)\s+"
        r"(?:maintain|hold|keep)\s+(?:\w+\s+){0,3}?(?:temp\w*|cold|41|5|proper|food)|"
        r"not\s+(?:\w+\s+)?(?:maintaining|holding|keeping)\s+(?:\w+\s+){0,3}?(?:temp\w*|cold|"
        r"41|proper)|not\s+(?:cooling|working|functioning|operating)\s+(?:properly|correctly)?|"
        r"(?:broken|malfunction\w*|inoperable|out\s+of\s+order|not\s+cold)|held\s+for\s+inspection|"
        r"(?:too\s+)?warm\b(?!\s+(?:and\s+cold\s+)?(?:running\s+)?water)|(?:un|in)?capable\s+of|insufficient\s+(?:cold\s+holding|refrigeration)"
        r"\s+capacity|overloaded|over[-\s]?stocked|overfilled)",
        r"\b(?:coolers?|refrigerat\w+|fridges?|reach[-\s]?ins?|walk[-\s]?ins?|prep\s+(?:coolers?|"
        r"units?|tables?)|make[-\s]?(?:lines?|tables?)|cold\s+(?:holding\s+)?(?:units?|wells?|"
        r"tables?)|freezers?|compressor|cooling\s+units?|display\s+cases?|hot\s+holding\s+units?|"
        r"steam\s+tables?|low[-\s]?boys?)\b",
        r"\b(?:gaskets?|doors?\s+(?:handles?|hinges?)|hinges?|latch\w*|held\s+shut|bungee|shelves|"
        r"light|thermometers?|drain\w*|leak\w*|ice\s+build|clean|dirty|debris|condensat\w+)\b",
    ),
    _rule(
        "plant_food",
        34,
        "3-401.13",
        "Pf",
        "Plant food for hot holding not cooked to 135°F",
        r"\b(?:vegetables?|beans|plant\s+foods?|fruits?|grains?|rice)\s+(?:\w+\s+){0,4}?not\s+"
        r"(?:\w+\s+)?cooked\s+to\s+135",
    ),
    _rule(
        "thawing",
        35,
        "3-501.13",
        "C",
        "Improper thawing method",
        r"\bthaw(?:ed|ing|s)?\s+(?:\w+\s+){0,5}?(?:at\s+room\s+temp\w*|on\s+(?:the\s+)?(?:\w+\s+)?"
        r"(?:counter|floor|table|shelf|stove|speed\s+rack)|in\s+(?:standing|stagnant|still|warm|"
        r"hot)\s+water|in\s+(?:a\s+|the\s+)?(?:\w+\s+)?(?:sink|bucket|basin|container|tub|bin|pan|"
        r"pot|tray|cooler|bowl)\s+(?:of\s+"
        r"|with\s+)?(?:\w+\s+){0,2}?(?:standing|stagnant|still|warm|hot)\s+water|without\s+running\s+"
        r"water|outside|in\s+(?:the\s+)?(?:hand|mop)\s+sink)"
        # the place first, the purpose after: "left on the counter to thaw", "sitting out
        # overnight to defrost"
        r"|\b(?:left|sitting|set|placed|put|kept|out)\s+(?:\w+\s+){0,2}?(?:on\s+(?:the\s+)?(?:\w+\s+)?"
        r"(?:counter|floor|table|shelf|stove|speed\s+rack|cart)|out|at\s+room\s+temp\w*|in\s+"
        r"(?:a\s+|the\s+)?(?:\w+\s+)?(?:sink|bucket|tub|bin)(?:\s+of\s+(?:standing\s+|still\s+)?"
        r"water)?)\s+(?:[\w-]+\s+){0,5}?(?:to|for)\s+thaw"
        # frozen food in a tub of still water, no water running
        r"|\bfrozen\s+(?:[\w-]+\s+){0,4}?(?:was|were|is|are|sat|sitting|left|kept|placed|put)\s+"
        r"(?:\w+\s+){0,5}?in\s+(?:a\s+|the\s+)?(?:\w+\s+)?(?:tub|sink|bucket|basin|container|bin|pan|"
        r"pot|bowl)\s+(?:full\s+)?of\s+(?:standing|stagnant|still|warm|hot|lukewarm|tepid)\s+water"
        r"|\b(?:standing|stagnant|still|lukewarm|tepid)\s+water[,;]?\s+(?:with\s+|and\s+)?(?:no\s+"
        r"(?:cold\s+)?(?:running\s+)?water\s+running|no\s+running\s+water|(?:the\s+)?(?:tap|faucet)\s+"
        r"(?:was\s+|is\s+)?(?:not\s+running|off|turned\s+off))"
        r"|\b(?:improper(?:ly)?|incorrect(?:ly)?)\s+thaw\w*|\bthaw(?:ed|ing)\s+(?:\w+\s+){0,3}?"
        r"(?:in|under)\s+(?:\w+\s+)?water\s+(?:that\s+is\s+)?not\s+running",
    ),
    _rule(
        "thermometer_unit",
        36,
        "4-204.112",
        "C",
        "No accurate temperature-measuring device in a cold- or hot-holding unit",
        rf"\b{ABSENT}\s+(?:\w+\s+){{0,3}}?thermometers?|\bthermometers?\s+(?:\w+\s+){{0,3}}?"
        r"(?:missing|broken|inaccurate|not\s+(?:working|functioning|accurate|calibrated|present|"
        r"provided|available|visible|readable)|reads?\s+(?:incorrect|inaccurate)|out\s+of\s+"
        r"calibration)|\b(?:broken|inaccurate|non[-\s]?working|damaged)\s+thermometers?|"
        + _directive(
            r"provide\s+(?:\w+\s+){0,4}?thermometers?|install\s+(?:\w+\s+){0,3}?thermometers?"
            r"|equip\s+(?:\w+\s+){0,4}?thermometers?|calibrate"
        ),
        unless=r"\b(?:probe|stem|food|metal[-\s]stem|digital\s+probe|bi-?metal\w*|thin[-\s]probe|"
        r"tip)\s+thermometers?|\bthermometers?\s+(?:to\s+)?(?:check|measure|monitor|take)\s+"
        r"(?:the\s+)?(?:internal\s+)?(?:food|product)|\bfood\s+temp|\bdish\s?machine|"
        r"\btest\s+strips|\birreversible",
    ),
    _rule(
        "thermometer_inaccurate",
        36,
        "4-502.11(B)",
        "Pf",
        "Food temperature-measuring device not accurate or not calibrated",
        # a stated number of degrees is weighed against the accuracy limit (measurements)
        r"\bthermometers?\b[^.;]{0,30}?\b(?:read|reads|reading|was|is|measured)\s+(?:"
        r"several|a\s+few|many)\s*(?:°|degrees?)?\s*(?:[fc]\s+)?(?:off|high|low|too)|"
        r"\bthermometers?\s+(?:\w+\s+){0,3}?(?:inaccurate|out\s+of\s+calibration|not\s+calibrated)",
        None,
        r"\b(?:in\s+the\s+)?(?:cooler|refrigerator|reach[-\s]?in|walk[-\s]?in|freezer)\s+"
        r"thermometer",
    ),
    _rule(
        "thermometer_probe",
        36,
        "4-302.12",
        "Pf",
        "No food temperature-measuring device (probe)",
        rf"\b{ABSENT}\s+(?:\w+\s+){{0,3}}?(?:probe|stem|food|metal[-\s]stem|digital\s+probe|"
        r"bi-?metal\w*|thin[-\s]probe|tip)\s+(?:temp\w*\s+)?thermometers?|\b(?:probe|stem|food)\s+"
        r"thermometers?\s+(?:\w+\s+){0,2}?(?:missing|broken|inaccurate|not\s+(?:available|"
        r"accurate|calibrated|working|provided))|\b(?:no|without)\s+(?:a\s+)?thermometers?\s+"
        r"(?:to\s+)?(?:check|measure|monitor|take)\s+(?:the\s+)?(?:internal\s+)?(?:food|product)",
    ),
    # --- 37-46 ------------------------------------------------------------------------------
    _rule(
        "food_label",
        37,
        "3-302.12",
        "C",
        "Food or working container not labeled",
        r"\b(?:unlabell?ed|unmarked|not\s+(?:properly\s+)?labell?ed|no\s+labels?|without\s+(?:a\s+|any\s+|"
        r"proper\s+)?(?:labels?|labeling|labelling|common\s+name|name)|missing\s+labels?|"
        r"lacks?\s+(?:a\s+)?labels?|unidentified|not\s+identified|improperly\s+labell?ed)\b|\b"
        + _directive(r"label|provide\s+(?:\w+\s+){0,3}?labels?|identify"),
        r"\b(?:food|foods|bins?|containers?|squeeze\s+bottles?|shakers?|ingredients?|flour|"
        r"sugar|salt|spices?|rice|bulk|oils?|sauces?|products?|items|packages?|packaged|"
        r"grab[-\s]and[-\s]go|baked\s+goods|storage)\b",
        r"\b(?:chemicals?|spray\s+bottles?|cleaners?|sanitizer|degreaser|bleach|toxic|"
        r"date[-\s]?mark\w*|dates?|dated|discard|expiration|consumer\s+advisory|shellstock|"
        r"pesticides?|detergents?|test\s+strips)\b",
    ),
    _rule(
        "allergen_label",
        37,
        "3-602.11(B)(5)",
        "Pf",
        "Major food allergen not declared on the label",
        # the absence said before the allergen ("no allergen statement", "do not list
        # walnuts", "omit the milk") or after it ("sesame not declared", "peanuts left off")
        rf"\b(?:{ABSENT}|lacks?|lacking|omit(?:s|ted|ting)?|leaves?\s+out|left\s+out|"
        r"undeclared|fails?\s+to\s+(?:list|declare|identify|include|show)|(?:never|nowhere)\s+"
        r"(?:mention|list|declare|name|show|include|identif|state|disclose)\w*|"
        r"(?:do|does|did)\s+not\s+(?:list|declare|identify|include|show|state|mention|disclose|"
        r"name|contain|carry|have|bear)|not\s+(?:list|declar)\w*)\s+(?:[\w-]+\s+){0,4}?"
        + _ALLERGEN
        + r"|"
        + _ALLERGEN
        + r"\s+(?:[\w,-]+\s+){0,4}?(?:(?:is|are|was|were)\s+)?(?:not\s+(?:declared|listed|"
        r"identified|shown|included|stated|disclosed|named|mentioned|on\s+(?:the\s+)?labels?)|"
        r"omitted|left\s+off|undeclared)|\ballergen\w*\s+(?:\w+\s+){0,2}?(?:missing|absent)",
        r"\blabel\w*|\bpackag\w*|\bingredient\s+(?:list|statement|panel|declaration)s?|"
        r"\bgrab[-\s]and[-\s]go|\bdeclar\w*|\bpre-?packed|\bsold\b",
        r"\b(?:training|trained|certificat\w*|course|awareness|poster|menu|servers?\s+"
        r"(?:know|knew|aware))\b"
        # an allergen the place does not use at all: "no peanuts on site", "nut-free kitchen"
        r"|\b(?:nut|peanut|allergen|gluten|dairy|egg|sesame)[-\s]free\b|\b(?:no|without)\s+(?:\w+\s+)?"
        r"(?:peanuts?|nuts?|tree\s+nuts?|sesame|shellfish|fish|soy)\s+(?:are\s+|is\s+)?(?:used|"
        r"on\s+(?:site|the\s+premises)|in\s+the\s+(?:facility|building|kitchen|bakery|store)|"
        r"products?|ingredients?\s+(?:used|on\s+site))",
    ),
    _rule(
        "pests_present",
        38,
        "6-501.111(C)",
        "Pf",
        "Evidence of insects or rodents",
        r"\b(?:droppings|feces|fecal|excreta|urine\s+stains?|gnaw\s+marks|gnawed|nest(?:s|ing)?|"
        r"infestation|infested|activity|evidence|live\b|crawling|flying|alive|"
        r"present|sighted|(?:\d+|several|numerous|many|multiple|few|a\s+few|some|one|two|three)"
        r"\s+(?!no\b|not\b|zero\b)(?:\w+\s+)?"
        + _PEST
        + r"|"
        + _PEST
        + r"\s+(?:\w+\s+){0,2}?(?:around|near|in|on|at|"
        r"under|behind|inside|throughout|by|landing|crawling|flying|breeding)\b(?!\s+control))",
        r"\b" + _PEST + r"\b|\bdroppings\b",
        r"\b(?:dead|pest\s+control\s+(?:log|records?|service|company|report)|licensed\s+"
        r"(?:pest|exterminator)|outer\s+openings?|gaps?|door\s+sweeps?|screens?|tight[-\s]?fitting"
        r"|rodent[-\s]?proof\w*)\b(?!.*\b(?:droppings|live|crawling|activity)\b)"
        r"|\bprevent\w*\s+(?:\w+\s+)?(?:pests?|rodents?|insects?|vermin)\b"
        r"|\b(?:insect|bug|roach|ant|fly|wasp|pest)\s+(?:spray|killer|repellent)\b"
        r"(?!.*\b(?:droppings|live|crawling|activity)\b)"
        # a trap or monitor checked and found empty ("mouse traps: no catches")
        r"|\b(?:mouse|mice|rat|rodent|roach|insect|fly|flies|snap|glue|sticky)\s+(?:traps?|motels?|"
        r"boards?|monitors?|stations?)\b(?=[^.;]*\b(?:empty|no\s+(?:catch\w*|captures?|"
        r"activity|pests?|insects?|rodents?)|nothing|none|clean|clear)\b)"
        r"(?!.*\b(?:droppings|live|crawling|activity\s+(?:observed|found|noted))\b)",
    ),
    _rule(
        "pest_records",
        38,
        "6-501.111(C)",
        "Pf",
        "No pest-control records",
        rf"\b{ABSENT}\s+(?:\w+\s+){{0,3}}?(?:pest\s+control|exterminator|extermination)\s+"
        r"(?:log|records?|reports?|service|contract|invoices?|documents?|book)|\bpest\s+control\s+"
        r"(?:log\s*book|log|records?|reports?)\s+(?:\w+\s+){0,3}?(?:missing|not\s+(?:available|"
        r"on\s+site|maintained|kept)|incomplete|outdated)",
    ),
    _rule(
        "dead_pests",
        38,
        "6-501.112",
        "C",
        "Dead pests not removed",
        r"\bdead\s+(?:\w+\s+){0,2}?(?:roach(?:es)?|cockroach(?:es)?|mice|mouse|rats?|rodents?|"
        r"insects?|flies|bugs?|pests?|birds?|gnats?|beetles?|moths?)",
    ),
    _rule(
        "outer_openings",
        38,
        "6-202.15",
        "C",
        "Outer openings not protected against pests",
        r"\b(?:(?<!air\s)gaps?|openings?|holes?|spaces?|light\s+(?:visible|coming|seen)|daylight|not\s+"
        r"(?:tight[-\s]?fitting|self[-\s]closing|closing|sealed|rodent[-\s]?proof\w*|pest[-\s]?"
        r"proof\w*)|(?:torn|missing|damaged|broken|worn|no)\s+(?:door\s+)?(?:sweeps?|screens?|"
        r"weather\s?strip\w*|strips?|air\s+curtains?|thresholds?)|propped\s+open|left\s+open|"
        r"(?:kept|was|were|is|are)\s+open|open\s+to\s+(?:the\s+)?outside|"
        + _directive(
            r"(?:make\s+)?(?:\w+\s+){0,2}?(?:tight[-\s]?fitting|rodent[-\s]?proof|pest[-\s]?proof)|"
            r"seal\s+(?:\w+\s+){0,3}?(?:gaps?|openings?|holes?)|install\s+(?:a\s+)?(?:door\s+)?sweep"
        )
        + r")",
        r"\b(?:(?:exterior|outer|rear|back|front|side|entrance|entry|exit|delivery|service|"
        r"screen|receiving)\s+doors?|doors?\s+(?:to|leading\s+to)\s+(?:the\s+)?(?:outside|"
        r"exterior|alley)|door\s+sweeps?|screens?|windows?|outer\s+openings?|exterior\s+walls?|"
        r"pipe\s+penetrations?|utility\s+penetrations?|rodent[-\s]?proof\w*|pest\s+entry)\b",
        r"\b(?:toilet|restroom|washroom|bathroom|walk[-\s]?in|cooler|freezer|oven|cabinet)\s+"
        r"doors?\b|\bdoors?\s+(?:gaskets?|handles?)"
        # a bin's lid left open by the back door is garbage (item 54), not the door
        r"|\b(?:lids?|covers?)\s+(?:\w+\s+){0,2}?(?:propped|left|kept|standing|was|were|is|are)\s+"
        r"(?:wide\s+)?open\b",
    ),
    _rule(
        "animals",
        38,
        "6-501.115(A)",
        "Pf",
        "Live animals in the food establishment",
        r"\b(?:dogs?|cats?|kittens?|puppy|puppies|pets?|parrots?|birds?)\b",
        r"\b(?:in|inside|present|observed|roaming|kept|living|on|lying|laying|sitting|sleeping|"
        r"walking|wandering|under|behind|near|next\s+to)\s+(?:\w+\s+){0,3}?(?:kitchen|prep|"
        r"food|establishment|facility|premises|store|restaurant|storage|area)\b|\b(?:kitchen|prep|"
        r"food)\s+area\b",
        r"\b(?:service\s+(?:dogs?|animals?)|dog\s+food|cat\s+food|pet\s+food|hot\s+dogs?|"
        r"birds?\s+nests?)\b",
    ),
    _rule(
        "food_on_floor",
        39,
        "3-305.11",
        "C",
        "Food stored on the floor or unprotected",
        r"\b(?:stored|placed|sitting|kept|found|left)?\s*(?:directly\s+)?on\s+(?:the\s+)?"
        r"(?:[\w-]+\s+){0,2}?floors?\b|"
        r"\bnot\s+(?:\w+\s+)?(?:6|six)\s+inch\w*\s+(?:off|above)|\b"
        + _directive(r"elevate|(?:store|keep)\s+(?:\w+\s+){0,3}?(?:off|above)\s+(?:the\s+)?floor"),
        _FOOD_NOUN.replace("items|", "").replace(
            "(?:food|foods|",
            r"(?:food(?!\s+(?:prep\w*|service|contact|debris|residue|areas?|handlers?|"
            r"employees?|establishment|safety|grade))|foods|",
        )
        + r"|\b(?:cases|boxes|sacks|bags|buckets|crates|stock|cans|kegs)\b",
        r"\b(?:single[-\s]service|single[-\s]use|cups|lids|plates|utensils|equipment|dishes|pans|"
        r"pots|chemicals?|garbage|trash|mops?|droppings|debris|grease|water|dead|clutter|"
        r"linens?|paper\s+towels?|napkins|take[-\s]?out|to[-\s]go|(?<!food\s)containers|foam|"
        r"styrofoam|clamshells?|straws)\b(?!.*\b(?:food|produce|meat|lettuce|onions?|potato\w*|rice|flour|"
        r"sugar|buns|bread|chicken|beef|pork)\b)",
    ),
    _rule(
        "food_uncovered",
        39,
        "3-302.11(A)(4)",
        "C",
        "Food stored uncovered or unprotected",
        r"\b(?:uncovered|unwrapped|not\s+(?:properly\s+)?(?:covered|wrapped|protected)|"
        r"without\s+(?:a\s+|any\s+|proper\s+)?(?:covers?|covering|coverage|lids?|wrap\w*)|"
        r"(?:left\s+)?open\s+(?:bags?|boxes|cases|containers?)|exposed\s+to\s+(?:\w+\s+)?"
        r"contamination|" + _directive(r"cover") + r")",
        _FOOD_NOUN + r"|\b(?:bins?|containers?)\b",
        r"\b(?:trash|garbage|waste|receptacles?|dumpsters?|lights?|bulbs?|toilet|drains?|"
        r"ice\s+(?:bin|machine)|single[-\s]service|cups|utensils?|outlets?|advisory|"
        r"menu|thermometer|policy)\b"
        # left uncovered to cool (in shallow pans, an ice bath, a blast chiller) is how
        # cooling is done, not food left unprotected
        r"|\bcool(?:ing|s|ed)?\b|\bice[-\s]baths?\b|\bblast[-\s]chill\w*",
    ),
    _rule(
        "ice_scoop_or_bin",
        39,
        "3-305.11",
        "C",
        "Ice or food not protected from contamination",
        rf"\b{ABSENT}\s+(?:\w+\s+){{0,2}}?(?:cover|lid|door)\s+(?:\w+\s+){{0,2}}?(?:for\s+|on\s+)?"
        r"(?:the\s+)?ice\s+(?:bin|chest|machine|well)|\bice\s+(?:bin|chest|well)\s+(?:\w+\s+)"
        r"{0,2}?(?:uncovered|without\s+(?:a\s+)?(?:cover|lid)|no\s+(?:cover|lid))|\b(?:cans?|"
        r"bottles?|beverages?|drinks?|food|produce|items)\s+(?:\w+\s+){0,3}?(?:stored\s+)?in\s+"
        r"(?:the\s+)?ice\s+(?:used\s+for|for)\s+(?:drinks|beverages|consumption)",
    ),
    _rule(
        "contamination_other",
        39,
        "3-307.11",
        "C",
        "Food not protected from contamination",
        r"\b(?:no|without|missing|lack\w*|needs?|" + _directive(r"install|provide") + r")\s+"
        r"(?:\w+\s+){0,2}?(?:splash\s?guards?|sneeze\s?guards?|food\s+shields?|breath\s+guards?)\b"
        r"|\b(?:splash\s?guards?|sneeze\s?guards?|food\s+shields?|breath\s+guards?)\s+(?:\w+\s+)"
        r"{0,2}?(?:missing|needed|required|not\s+(?:provided|installed|present))",
    ),
    _rule(
        "food_storage_container",
        39,
        "3-305.11",
        "C",
        "Food stored in unapproved containers or locations",
        r"\b(?:stored|kept|placed|held)\s+(?:\w+\s+){0,2}?in\s+(?:\w+\s+){0,2}?(?:grocery|"
        r"shopping|plastic\s+shopping|garbage|trash|t-?shirt|non[-\s]?food[-\s]?grade)\s+"
        r"(?:bags?|containers?|bins?)|\b(?:under|below)\s+(?:\w+\s+){0,2}?(?:sewer|waste\s?water|"
        r"drain)\s+(?:lines?|pipes?)|\b(?:sewer|sewage|waste\s?water|drain(?:age)?)\s+(?:\w+\s+){0,2}?"
        r"(?:pipes?|lines?)\s+(?:\w+\s+){0,3}?(?:above|over)|\bin\s+(?:the\s+)?(?:toilet\s+room|restroom|washroom|locker\s+"
        r"room|garage|mop\s+closet)",
        _FOOD_NOUN,
        # what is kept in the mop closet is the cleaning gear, not food
        r"^(?:\w+\s+){0,2}?(?:chemicals?|cleaners?|cleaning\s+\w+|mops?|brooms?|toxic\w*|"
        r"pesticides?|sanitizers?)\b",
    ),
    _rule(
        "hair_restraint",
        40,
        "2-402.11",
        "C",
        "Food employees without effective hair restraints",
        rf"\b{ABSENT}\s+(?:\w+\s+){{0,3}}?(?:hair\s*nets?|hair\s+restraints?|hats?|caps?|beard\s+"
        r"(?:nets?|restraints?|guards?|covers?)|hair\s+cover\w*|head\s+cover\w*)|\b(?:not|without)"
        r"\s+(?:\w+\s+){0,2}?(?:wearing|using)\s+(?:\w+\s+){0,2}?(?:hair|beard|hats?|caps?)"
        r"|\bhair\s+(?:\w+\s+)?(?:not\s+restrained|unrestrained|not\s+(?:properly\s+)?(?:covered|"
        r"tied))|\bunrestrained\s+hair|\b"
        + _directive(
            r"(?:wear|use|provide)\s+(?:\w+\s+){0,2}?(?:hair|beard)|(?:effective(?:ly)?\s+)?"
            r"restrain"
        ),
    ),
    _rule(
        "jewelry_clothing",
        40,
        "2-303.11",
        "C",
        "Food employee wearing jewelry while preparing food",
        r"\b(?:jewelry|jewellery|rings?|bracelets?|watch(?:es)?|wristwatch\w*)\b",
        r"\b(?:employees?|workers?|cooks?|staff|food\s+handlers?|chef|wearing|worn|hands?|wrists?|"
        r"arms?)\b",
        r"\b(?:plain\s+(?:wedding\s+)?band|o-?rings?|ring\s+binder|onion\s+rings?)\b",
    ),
    _rule(
        "dirty_clothing",
        40,
        "2-304.11",
        "C",
        "Food employee in dirty outer clothing",
        r"\b(?:dirty|soiled|stained|filthy)\s+(?:\w+\s+)?(?:aprons?|uniforms?|clothes|clothing|"
        r"shirts?|jackets?|garments?)",
    ),
    _rule(
        "fingernails",
        40,
        "2-302.11",
        "C",
        "Fingernails not trimmed, or polished without gloves",
        r"\b(?:long|painted|polished|artificial|acrylic|false|dirty|unkempt)\s+(?:finger)?nails\b|"
        r"\bnail\s+polish\b",
    ),
    # "test strip showed none", "quat read zero", "no color change on the strip": nothing
    # in the solution that should sanitize
    _rule(
        "sanitizer_reads_none",
        16,
        "4-501.114(A)",
        "P",
        "Sanitizing solution with no sanitizer in it",
        _READS_NONE,
        _SANITIZER_TESTED,
        r"\b(?:wiping|cloths?|rags?|towels?|buckets?|pails?|hand\s+sanitiz\w*)\b",
    ),
    # "the test strip showed it was far too weak", "sanitizer watered down": under strength
    _rule(
        "sanitizer_weak",
        16,
        "4-501.114(A)",
        "P",
        "Sanitizing solution below the required concentration",
        r"\b(?:(?:far|much|way|too|very|rather|really)\s+)*(?:weak|under[-\s]?strength|"
        r"watered[-\s]down|over[-\s]?diluted|too\s+dilute[d]?)\b",
        _SANITIZER_TESTED,
        r"\b(?:wiping|cloths?|rags?|towels?|buckets?|pails?|hand\s+sanitiz\w*)\b"
        r"|\bwater\s+pressure|\bweak\s+(?:spot|point|link)",
    ),
    # Tags thrown out when the bag is used up, not kept 90 days: "they throw the tag away
    # when the bag is empty", in notes about shellfish.
    _rule(
        "shellstock_tag_discarded",
        14,
        "3-203.12",
        "Pf",
        "Shellstock tags not kept for 90 days",
        r"\b(?:throw\w*|threw|toss\w*|discard\w*|bin\w*|dump\w*)\s+(?:out\s+|away\s+)?(?:the\s+|"
        r"their\s+|its\s+)?tags?\s+(?:away\s+|out\s+)?(?:when|once|after|as\s+soon\s+as)\b"
        r"|\btags?\s+(?:are|is|get|gets|were|was)\s+(?:\w+\s+)?(?:thrown|tossed|discarded|binned|"
        r"dumped)\s+(?:away\s+|out\s+)?(?:when|once|after|as\s+soon\s+as)\b",
        None,
        r"\b(?:price|name|luggage|hang|swing)\s+tags?\b",
        requires_note=r"\b(?:oysters?|clams?|mussels?|shellstock|shellfish|cockles?|scallops?)\b",
    ),
    _rule(
        "wiping_solution_none",
        41,
        "3-304.14",
        "C",
        "Wiping-cloth solution with no sanitizer in it",
        _READS_NONE,
        r"\b(?:wiping|cloths?|rags?|towels?|buckets?|pails?)\b",
    ),
    _rule(
        "wiping_cloths",
        41,
        "3-304.14",
        "C",
        "Wiping cloths not properly used or stored",
        r"\b(?:stored|left|lying|laying|sitting|hanging|placed|found|kept|used|draped)\s+(?:\w+\s+)"
        r"{0,3}?(?:on|over|across|around|from)\s+(?:the\s+)?(?:\w+\s+){0,2}?(?:counters?|tables?|"
        r"cutting\s+boards?|prep|surfaces?|shoulders?|aprons?|pockets?|coolers?|equipment|handles?|"
        r"sinks?|oven|stove|line|shelf|shelves|rails?|door|bins?|lids?|make\s+\w+)|in\s+(?:the\s+)?"
        r"(?:\w+\s+)?(?:pockets?|aprons?)|\bnot\s+(?:\w+\s+){0,2}?(?:stored|kept|held|"
        r"placed|maintained)\s+in\s+(?:\w+\s+){0,2}?(?:sanitiz\w+|solution|buckets?)|\bnot\s+in\s+"
        r"(?:\w+\s+)?(?:sanitiz\w*|solution|buckets?)|\b(?:no|"
        r"without)\s+(?:\w+\s+){0,2}?(?:sanitiz\w+\s+)?(?:buckets?|solution)|\bsoiled\b|\bdirty\b|"
        r"\bwet\b|\b" + _directive(r"store|keep|place|maintain"),
        r"\b(?:wiping\s+(?:cloths?|towels?|rags?)|(?:wet|damp|soiled|dirty|used|kitchen|dish|"
        r"cleaning|cloth|bar)\s+(?:cloths?|towels?|rags?)|rags?)\b",
        r"\b(?:paper\s+towels?|hand\s+(?:drying|towels?)|towel\s+dispensers?)\b",
    ),
    _rule(
        "produce_unwashed",
        42,
        "3-302.15",
        "C",
        "Raw fruits and vegetables not washed",
        r"\b(?:not|un|without\s+being|without)\s*(?:properly\s+)?(?:washed|rinsed|washing|rinsing)"
        r"\b",
        r"\b(?:produce|vegetables?|veggies|fruits?|lettuce|greens|tomato\w*|herbs|cilantro|"
        r"berries|apples?|cucumbers?|peppers?|spinach|sprouts|potato\w*|onions?|carrots?|"
        r"celery|melons?|avocados?|lemons?|limes?)\b",
        r"\bhands\b",
    ),
    _rule(
        "in_use_utensils",
        43,
        "3-304.12",
        "C",
        "In-use utensils improperly stored",
        r"\b(?:handles?\s+(?:\w+\s+){0,2}?(?:touching|buried\s+in|down\s+in|submerged\s+in|in\s+"
        r"contact\s+with|in|lying\s+in)\s+(?:the\s+)?(?:\w+\s+)?(?:food|ice|product|flour|sugar|rice|"
        r"beans|sauce|salsa|bins?|containers?)|handles?\s+buried\b|dipper\s?wells?\b[^.;]{0,30}?\b(?:turned\s+off|"
        r"off|not\s+(?:running|on|working)|without\s+(?:running\s+)?water|no\s+water)|"
        r"stored\s+(?:\w+\s+){0,3}?in\s+(?:\w+\s+){0,3}?(?:stagnant|standing|still|warm|room\s+"
        r"temperature|dirty|tepid)\s+water|in\s+(?:stagnant|standing|still|tepid)\s+water|"
        r"(?:stored|left|kept|sitting|placed)\s+(?:\w+\s+){0,2}?(?:in|inside|on\s+top\s+of)\s+"
        r"(?:the\s+)?(?:\w+\s+){0,2}?(?:food|product|bins?|flour|sugar|rice|ice|containers?|"
        r"sauces?|beans|salsa|bulk)|(?:in|on)\s+(?:a\s+)?(?:dirty|unsanitary|soiled)\s+"
        r"(?:\w+\s+)?(?:surface|container|area)|dipper\s?wells?\s+(?:\w+\s+){0,2}?(?:not|off|"
        r"without)|between\s+(?:the\s+)?(?:equipment|wall|cooler))",
        r"\b(?:scoops?|ladles?|spoons?|tongs|knives|knife|utensils?|cups?|bowls?|spatulas?|"
        r"scrapers?|measuring\s+cups?|dippers?|whisks?)\b",
        r"\b(?:clean\s+utensils?\s+stored|single[-\s]service|bare\s+hand)\b",
    ),
    _rule(
        "utensil_storage",
        44,
        "4-901.11",
        "C",
        "Clean equipment and utensils not properly dried or stored",
        r"\b(?:wet[-\s]?nest\w*|wet[-\s]?stack\w*|(?:nested|stacked|stored)\s+(?:while\s+)?"
        r"(?:still\s+)?wet|not\s+air[-\s]?dried|towel[-\s]?dried|dried\s+with\s+(?:a\s+)?(?:towel|cloth|rag)|"
        # what sits on the floor: "a stack of clean pans sat directly on the floor"
        r"(?:sat|sits|sitting|stacked|left|set|lying|lay|resting|rested)\s+(?:\w+\s+){0,2}?on\s+"
        r"(?:the\s+)?floor\b|"
        r"(?:stored|kept|placed)\s+"
        r"(?:\w+\s+){0,2}?(?:on\s+(?:the\s+)?floor|under\s+(?:\w+\s+){0,2}"
        r"?(?:sink|drain|pipes?)|uncovered|not\s+inverted|face\s+up|upright|in\s+(?:the\s+)?"
        r"(?:hand\s+sink|toilet|restroom)|wet))",
        r"\b(?:utensils?|dishes|plates|pans|pots|equipment|cups|glasses|bowls|trays|sheet\s+pans|"
        r"containers?|cutting\s+boards?|linens?|silverware|cutlery|lids|cambros?|hotel\s+pans)\b",
        r"\b(?:single[-\s]service|single[-\s]use|food\s+items|raw|to[-\s]?go|take[-\s]?out|"
        r"disposable|containers?\s+of|cooked|pans?\s+of)\b",
    ),
    _rule(
        "single_service",
        45,
        "4-904.11",
        "C",
        "Single-use or single-service articles not properly stored or used",
        r"\b(?:stored|kept|placed|found)\s+(?:\w+\s+){0,2}?(?:on\s+(?:the\s+)?(?:[\w-]+\s+){0,2}?"
        r"floors?\b|uncovered|"
        r"unprotected|not\s+inverted|face\s+up|under\s+(?:\w+\s+){0,2}?(?:sink|drain|pipes?)|"
        r"in\s+(?:the\s+)?(?:restroom|toilet|mop))|\b(?:re-?used|re-?using|re-?use|washed\s+and\s+"
        r"re-?used)\b|\bnot\s+(?:\w+\s+)?(?:inverted|protected|covered|in\s+(?:a\s+)?dispenser)|"
        r"\bexposed\b|\b(?:handled|held|picked\s+up|picking\s+up|grabbed|grabbing|touching|"
        r"touched|carried|carrying)\s+(?:\w+\s+){0,4}?by\s+(?:the\s+)?(?:food[-\s]contact|lips?|"
        r"rims?|eating|mouth|tines|bowls?|blades?)",
        r"\b(?:single[-\s]?(?:service|use)|to[-\s]?go|take[-\s]?out|disposable|paper|plastic|"
        r"foam|styrofoam)\s+(?:\w+\s+)?(?:cups?|containers?|articles?|items?|utensils?|plates?|"
        r"forks?|spoons?|lids?|straws?|bowls?|boxes|clamshells?|gloves?|buckets?|tubs?|bags?)|"
        r"\b(?:straws|lids|cups|napkins|take[-\s]?out\s+containers|pizza\s+boxes)\b",
        r"\bfood\s+items|\bsanitiz",
    ),
    _rule(
        "eating_end_handled",
        45,
        "4-904.11",
        "C",
        "Single-service articles or tableware handled by the food- or lip-contact end",
        r"\b(?:handled|held|picked\s+up|picking\s+up|picks\s+up|grabbed|grabbing|grabs|touching|"
        r"touched|touches|carried|carrying|carries|holding|holds)\s+(?:\w+\s+){0,4}?by\s+(?:the\s+)?"
        r"(?:food[-\s]contact|lips?|rims?|eating|mouth|tines|bowls?|blades?|business)(?:\s+(?:end|"
        r"part|surface|edge)s?)?\b",
        r"\b(?:forks?|spoons?|knives|cutlery|silverware|flatware|utensils?|cups?|glasses|straws?|"
        r"lids?|plates?|bowls?|mugs?)\b",
    ),
    _rule(
        "wet_nesting",
        44,
        "4-901.11",
        "C",
        "Equipment and utensils stacked wet, not air-dried",
        r"\b(?:stacked|nested|nesting|stacking|put\s+away|stored)\s+(?:[\w-]+\s+){0,5}?(?:while\s+)?"
        r"(?:still\s+)?(?:wet|damp|dripping)|\bwet[-\s](?:nest\w*|stack\w*)|\b(?:not|never)\s+"
        r"(?:\w+\s+)?(?:air[-\s]?dried|allowed\s+to\s+(?:air[-\s]?)?dry)|\b(?:towel|cloth)[-\s]dried",
        r"\b(?:pans?|pots?|containers?|inserts?|hotel\s+pans|sheet\s+pans|bowls?|plates?|dishes|"
        r"utensils?|cups?|lids?|trays?|cambros?|ladles?|knives|cutting\s+boards?|equipment|ware)\b",
        r"\b(?:wiping\s+cloths?|floors?|mops?)\b",
    ),
    _rule(
        "single_use_reused",
        45,
        "4-502.13",
        "C",
        "Single-service or single-use articles reused",
        r"\b(?:re-?used|re-?using|re-?uses?|re-?filled|re-?filling|re-?fills?|refill\w*|"
        r"used\s+(?:again|twice|more\s+than\s+once|a\s+second\s+time|repeatedly|over\s+and\s+over)|"
        r"(?:washed|rinsed|cleaned|run\s+through\s+the\s+dish\s?\w+)\s+(?:out\s+)?(?:and|to\s+be|for)\s+"
        r"(?:re-?)?(?:used|use)|saved\s+(?:and|for|to)\s+(?:\w+\s+)?(?:re-?)?use|second\s+use|"
        r"repurposed)\b",
        r"\b(?:single[-\s]?(?:service|use)|one[-\s]time[-\s]use|disposable|to[-\s]?go|take[-\s]?out|"
        r"takeaway|carry[-\s]?out|paper|plastic|foam|styrofoam|deli|customers?'?s?)\s+(?:[\w-]+\s+)?"
        r"(?:cups?|containers?|articles?|items?|utensils?|plates?|forks?|spoons?|knives|lids?|"
        r"straws?|bowls?|boxes|clamshells?|trays?|pans?|bags?|tubs?|ramekins?|souffl\w+)|"
        r"\b(?:(?:sour\s+cream|yogurt|mayo\w*|margarine|cream\s+cheese|butter|ricotta|salsa|"
        r"dressing|pickle|olive)\s+(?:tubs?|containers?|jars?|buckets?|pails?)|#?10\s+cans?|"
        r"(?:tin|food)\s+cans?|foil\s+(?:pans?|trays?)|(?:milk|juice|soda|water)\s+(?:jugs?|"
        r"bottles?|cartons?)|bread\s+bags?|original\s+(?:food\s+)?(?:containers?|packaging))\b",
        r"\bgloves?\b|\breusable\b|\bre-?usable\b|\bdishware\b",
    ),
    _rule(
        "gloves",
        46,
        "3-304.15(A)",
        "P",
        "Gloves not used properly",
        r"\b(?:not|never|did\s+not|didn't|failed\s+to|without)\s+(?:\w+\s+){0,2}?(?:chang\w+|"
        r"replac\w+|discard\w*)\s+(?:\w+\s+){0,2}?gloves?|\bgloves?\s+(?:\w+\s+){0,3}?(?:not\s+"
        r"(?:changed|replaced|discarded)|re-?used|torn|ripped|washed|rinsed)|\b(?:same|torn|"
        r"ripped|dirty|soiled|re-?used)\s+(?:pair\s+of\s+)?gloves?\b|\bgloves?\s+(?:used|worn)\s+"
        r"(?:\w+\s+){0,3}?(?:for|between|while)\s+(?:\w+\s+){0,3}?(?:raw|multiple|different|"
        r"both|money|cash|phone|trash|garbage)|\b(?:cloth|fabric|latex)\s+gloves?\s+(?:\w+\s+)"
        r"{0,3}?(?:used|worn)\s+(?:\w+\s+){0,3}?(?:rte|ready|food)",
        unless=r"\bwithout\s+(?:\w+\s+){0,2}?wash",
    ),
    # --- 47-49 equipment -------------------------------------------------------------------------
    _rule(
        "equipment_repair",
        47,
        "4-501.11",
        "C",
        "Equipment not in good repair",
        _DISREPAIR,
        r"\b" + _EQUIPMENT + r"\b",
        r"\b(?:hand\s?(?:wash\w*\s+)?sinks?|handsinks?|floors?|walls?|ceilings?|toilet|"
        r"faucets?|pipes?|drains?|plumbing|leak\w*|thermometers?|light\w*|vents?|hoods?|exhaust|"
        r"exterior\s+doors?|rear\s+doors?|front\s+doors?|screens?|door\s+sweeps?|dumpsters?|"
        r"garbage|trash|test\s+strips?)\b(?!.*\b(?:gaskets?|shelv\w+|cutting\s+boards?|"
        r"coolers?|racks?)\b)|\b(?:hair|caps?|hats?|beards?)\b",
    ),
    _rule(
        "cutting_board",
        47,
        "4-501.12",
        "C",
        "Cutting surfaces scored or stained beyond cleaning",
        r"\b(?:scored|scratched|grooved|gouged|stained|discolou?red|cut\s+marks|deeply\s+cut|"
        r"worn|pitted|" + _directive(r"resurface|replace|refinish|sand") + r")",
        r"\bcutting\s+(?:boards?|surfaces?)\b",
    ),
    _rule(
        "equipment_design",
        47,
        "4-201.11",
        "C",
        "Equipment or materials not approved, cleanable or food grade",
        r"\b(?:non[-\s]?(?:commercial|nsf|food[-\s]?grade)|not\s+(?:commercial|nsf|food[-\s]?"
        r"grade|approved|easily\s+cleanable|smooth|durable|non[-\s]?absorbent|designed)|"
        r"domestic|household|residential|unapproved\s+(?:equipment|containers?|materials?)|"
        r"(?:lined|lining|"
        r"covered)\s+(?:\w+\s+){0,2}?(?:with\s+)?(?:aluminum\s+foil|foil|cardboard|paper\s+towels?|"
        r"paper|plastic\s+wrap)|(?:aluminum\s+foil|foil|cardboard|paper\s+towels?)\s+(?:used\s+)?"
        r"(?:as\s+(?:a\s+)?)?(?:liners?|lining|to\s+line|on\s+(?:the\s+)?shel\w+)|wood(?:en)?\s+"
        r"(?:shelv\w+|pallets?|crates?|boxes|cutting|surfaces?|tables?)|milk\s+crates|pop\s+crates|"
        r"(?:bare|raw|unsealed|unfinished)\s+wood)",
        r"\b(?:" + _EQUIPMENT + r"|materials?|surfaces?|pallets?|crates?|shel\w+)\b",
        r"\b(?:floors?|walls?|ceilings?|hand\s?sinks?|food\s+source|approved\s+source|"
        r"additive|thermometer)\b",
    ),
    _rule(
        "warewash_test_kit",
        48,
        "4-302.14",
        "Pf",
        "No sanitizer test kit or strips",
        rf"\b{ABSENT}\s+(?:\w+\s+){{0,4}}?(?:test(?:ing)?\s+(?:strips?|kits?|papers?|devices?)|"
        r"test\s?strips?|(?:chemical|sanitizer|chlorine|quat\w*)\s+(?:test\s+)?(?:strips?|kits?)|"
        r"testing\s+(?:kit|device|equipment))|\b(?:test(?:ing)?\s+(?:strips?|kits?)|test\s?strips?)"
        r"\s+(?:\w+\s+){0,3}?(?:not\s+(?:available|provided|on\s+site)|missing|expired|"
        r"unavailable|empty|used\s+up)|" + _directive(r"provide\s+(?:\w+\s+){0,3}?test"),
        unless=r"\b(?:temperature\s+(?:test\s+)?strips?|irreversible|thermo[-\s]?labels?|heat\s+strips?)",
    ),
    _rule(
        "warewash_temp_device",
        48,
        "4-302.13",
        "Pf",
        "No irreversible registering temperature indicator for hot-water sanitizing",
        rf"\b{ABSENT}\s+(?:\w+\s+){{0,4}}?(?:irreversible\s+(?:registering\s+)?(?:temp\w*\s+)?"
        r"(?:indicators?|thermometers?)|(?:temperature|heat)\s+(?:test\s+)?(?:strips?|labels?|"
        r"indicators?)|thermo[-\s]?labels?|max(?:imum)?[-\s]registering\s+thermometers?)",
    ),
    _rule(
        "warewash_facilities",
        48,
        "4-301.12",
        "Pf",
        "Warewashing equipment not installed, maintained or used properly",
        r"\b(?:not\s+(?:\w+\s+)?(?:working|functioning|operating|set\s+up|used|maintained|"
        r"installed)|broken|leak\w*|inoperable|out\s+of\s+(?:order|service)|too\s+small|"
        r"(?:pots|pans|equipment|utensils)\s+(?:\w+\s+){0,3}?(?:too\s+large|not\s+fit|cannot\s+"
        r"fit|unable\s+to\s+(?:fit|be\s+submerged))|no\s+(?:\w+\s+)?(?:drain\s?boards?|stoppers?|"
        r"plugs?)|missing\s+(?:\w+\s+)?(?:drain\s?boards?|stoppers?|plugs?)|(?:dishes|utensils|"
        r"pots|pans|equipment)\s+(?:\w+\s+){0,2}?(?:washed|cleaned|rinsed)\s+(?:\w+\s+){0,2}?"
        r"(?:in|at)\s+(?:the\s+)?(?:hand|prep|mop|bar)\s+sink)",
        r"\b(?:3|three|two|2|4|four)[-\s]?comp(?:artment)?\s+sinks?|\bdish\s?(?:machines?|"
        r"washers?|washing\s+machines?)|\bware\s?wash\w*|\bdish\s?(?:washing\s+)?sinks?|"
        r"\bwashing\s+(?:\w+\s+)?(?:dishes|utensils)",
        r"\b(?:hand\s?sinks?|handsinks?|hand\s+wash\w*\s+sinks?|test\s+strips?|faucet|leak\w*\s+"
        r"(?:at|under|from)\s+(?:the\s+)?(?:faucet|drain|pipe))\b"
        # a leaking drain line or pipe under the sink is plumbing (item 51)
        r"|\b(?:drain(?:\s+line)?|pipes?|plumbing|p-?trap|waste\s+line)\s+(?:[\w-]+\s+){0,6}?leak\w*",
    ),
    _rule(
        "nonfood_contact_dirty",
        49,
        "4-602.13",
        "C",
        "Non-food-contact surfaces not clean",
        _DIRTY,
        r"\b(?:(?:exterior|outside|sides?|tops?|bottoms?|undersides?|legs|handles?|doors?|"
        r"gaskets?|interior|inside|shel(?:f|ves|ving)|racks?|wheels|casters|cabinets?|drawers?|"
        r"knobs|fans?|vents?|coils?|hoods?)\s+(?:\w+\s+){0,3}?(?:of\s+)?(?:the\s+)?(?:\w+\s+)?"
        r"(?:equipment|coolers?|freezers?|refrigerat\w+|reach[-\s]?ins?|walk[-\s]?ins?|units?|"
        r"ovens?|fryers?|stoves?|ranges?|grills?|microwaves?|machines?|tables?|carts?|"
        r"dish\s?machines?|steam\s+tables?|prep\s+tables?|shelving)|(?:coolers?|freezers?|"
        r"refrigerat\w+|reach[-\s]?ins?|walk[-\s]?ins?|prep\s+(?:coolers?|tables?|units?)|"
        r"make[-\s]?(?:lines?|tables?)|equipment|ovens?|fryers?|deep\s+fryers?|stoves?|ranges?|"
        r"grills?|griddles?|microwaves?|shel(?:f|ves|ving)|racks?|carts?|cabinets?|drawers?|"
        r"gaskets?|door\s+handles?|handles?|hot\s+holding\s+units?|steam\s+tables?|dish\s?"
        r"machines?|(?:soda|pop|beverage)\s+(?:machines?|dispensers?)|fountain|"
        r"ice\s+(?:machine|maker)\s+(?:exterior|top)|(?:storage|wire)\s+(?:racks?|shelves)|"
        r"sinks?|mixers?|toaster|holding\s+cabinets?|proof\w*\s+box\w*|bins?\s+exterior|"
        r"hood\s+(?:system)?|exhaust\s+hood|cooking\s+equipment|pizza\s+ovens?|"
        r"can\s+opener\s+(?:base|holder)|knife\s+(?:racks?|holders?)))\b",
        r"\b(?:slicers?|cutting\s+boards?|can\s+openers?\b(?!\s+(?:base|holder))|food[-\s]contact|"
        r"interior\s+of\s+(?:the\s+)?ice)\b(?!.*\b(?:equipment|coolers?|shelv\w+|gaskets?|racks?)\b)",
    ),
    # --- 50-56 physical facilities -------------------------------------------------------------
    _rule(
        "no_hot_water",
        50,
        "5-103.11",
        "Pf",
        "Hot water not available",
        rf"\b{ABSENT}\s+(?:\w+\s+){{0,2}}?(?:hot|running|potable)\s+water|\b(?:hot\s+)?water\s+"
        r"(?:\w+\s+){0,2}?(?:not\s+(?:available|working|hot|reaching)|unavailable|shut\s+off|"
        # "water came out at 104" is a reading, not an outage
        r"turned\s+off|cold\s+only|out(?!\s+(?:at|to)\b|\s+of\s+the\b))|\bwater\s+heater\s+(?:\w+\s+){0,5}?(?:not\s+working|"
        r"broken|out|inoperable|off|too\s+small|undersized)|\b(?:inadequate|insufficient)\s+"
        r"(?:supply\s+of\s+)?hot\s+water",
        unless=r"\b(?:compartment|sanitiz|wiping|in\s+use\s+utensils?|thaw|dipper)"
        # only hand sinks named: the hand sink's own provision (item 10)
        r"|^(?!.*\b(?:any|all|every|anywhere|building|facility|establishment|kitchen|heater|"
        r"compartment|prep\s+sinks?|mop)\b).*\bhand\s?(?:wash\w*\s+)?(?:sinks?|basins?|lavator\w+)\b",
    ),
    _rule(
        "water_pressure",
        50,
        "5-103.12",
        "Pf",
        "Inadequate water pressure",
        r"\b(?:low|inadequate|insufficient|poor|no)\s+(?:water\s+)?pressure\b|\bwater\s+pressure\s+"
        r"(?:\w+\s+){0,2}?(?:low|inadequate|insufficient)",
    ),
    _rule(
        "plumbing_repair",
        51,
        "5-205.15(B)",
        "C",
        "Plumbing not maintained in good repair",
        r"\b(?:leak(?:s|ing|ed|y|age)?|drip(?:s|ping)?|clogged|slow(?:ly)?\s+drain\w*|"
        r"(?<=drain\s)(?:\w+\s+){0,4}?(?:blocked|obstructed|plugged)|"
        r"not\s+draining|(?:broken|damaged|loose|missing|cracked)\s+(?:\w+\s+)?(?:faucets?|pipes?|"
        r"drains?|knobs?|handles?|valves?|fixtures?|drain\s+lines?|p-traps?|traps?)|"
        r"(?:faucets?|pipes?|drains?|valves?|fixtures?|plumbing)\s+(?:\w+\s+){0,3}?(?:broken|"
        r"damaged|loose|not\s+(?:working|functioning)|in\s+(?:poor\s+)?(?:disrepair|poor\s+repair)"
        r"|poor\s+repair|leak\w*|clogged|drip\w*)|"
        + _directive(r"repair\s+(?:\w+\s+){0,3}?(?:leak\w*|faucets?|pipes?|drains?|plumbing)")
        + r")",
        r"\b(?:faucets?|pipes?|piping|drains?|drain\s+lines?|sinks?|plumbing|valves?|fixtures?|"
        r"water\s+lines?|p-traps?|traps?|spigots?|hoses?|toilets?|urinals?|water\s+heaters?|"
        r"ice\s+machine|dish\s?machine|knobs?|handles?|under\s+the)\b",
        r"\b(?:gaskets?|roof|ceiling\s+tiles?|coolers?\s+(?:door|gasket))\b(?!.*\b(?:pipe|"
        r"plumbing|faucet|sink)\b)",
    ),
    # A demonstrated cross-connection (a hose in the water, a chemical dispenser or a drain
    # line plumbed straight in) is 5-203.14, Priority. A device the inspector could not find
    # or that "is needed" at a water line is what Chicago's inspectors cite under 5-204.12
    # (Core): the hazard is unverified, and a Priority mark would overstate it.
    _rule(
        "backflow",
        51,
        "5-203.14",
        "P",
        "No backflow prevention at a point of use (hose, chemical dispenser)",
        rf"\b{ABSENT}\s+(?:\w+\s+){{0,3}}?(?:backflow|back[-\s]?flow|back[-\s]?siphonage|air\s+gap|"
        r"air\s+break|vacuum\s+breaker|anti[-\s]?siphon|atmospheric\s+vacuum\s+breaker|avb|rpz|"
        r"check\s+valve)|\b(?:back[-\s]?flow|vacuum\s+breaker|air\s+gap)\s+(?:\w+\s+){0,3}?(?:missing|"
        r"not\s+(?:provided|installed|present|located|found)|needed|required|removed)|"
        r"\bunable\s+to\s+(?:locate|find)\s+(?:\w+\s+)?(?:back[-\s]?flow|vacuum\s+breaker)|"
        r"\bhoses?\s+(?:\w+\s+){0,4}?(?:submerged|below\s+(?:the\s+)?flood\s+(?:level\s+)?rim|"
        r"in\s+(?:the\s+)?(?:mop\s+)?(?:sink|bucket|water))|\b(?:direct(?:ly)?\s+(?:connect\w*|"
        r"plumbed)|hard[-\s]?plumbed)\s+(?:\w+\s+){0,4}?(?:to\s+)?(?:the\s+)?(?:sewer|drain)|"
        + _directive(
            r"install\s+(?:\w+\s+){0,3}?(?:backflow|vacuum\s+breaker|air\s+gap|air\s+break)"
        ),
        r"\b(?:hoses?|hose\s+bibbs?|submerged|flood\s+(?:level\s+)?rim|chemical\s+(?:dispens\w+|"
        r"proportion\w+|mix\w+)|dispens\w+\s+(?:\w+\s+)?chemicals?|direct(?:ly)?\s+(?:connect\w*|"
        r"plumbed)|hard[-\s]?plumbed|sewer|siphon\w*|cross[-\s]?connect\w*)\b",
    ),
    _rule(
        "backflow_device",
        51,
        "5-204.12",
        "C",
        "Backflow prevention device not found where required",
        rf"\b{ABSENT}\s+(?:\w+\s+){{0,3}}?(?:backflow|back[-\s]?flow|air\s+gap|air\s+break|"
        r"vacuum\s+breaker|anti[-\s]?siphon|avb|rpz|check\s+valve)|\b(?:back[-\s]?flow|vacuum\s+"
        r"breaker|air\s+gap)\s+(?:\w+\s+){0,3}?(?:missing|not\s+(?:provided|installed|present|"
        r"located|found|accessible)|needed|required|removed)|\b(?:unable|failed)\s+to\s+(?:locate|"
        r"find)\s+(?:\w+\s+)?(?:back[-\s]?flow|vacuum\s+breaker|air\s+gap)|"
        + _directive(
            r"(?:identify\s+(?:\w+\s+){0,2}?)?install\s+(?:\w+\s+){0,3}?(?:backflow|vacuum\s+"
            r"breaker|air\s+gap|air\s+break)"
        ),
        None,
        r"\b(?:hoses?|hose\s+bibbs?|submerged|flood\s+(?:level\s+)?rim|chemical\s+(?:dispens\w+|"
        r"proportion\w+|mix\w+)|dispens\w+\s+(?:\w+\s+)?chemicals?|direct(?:ly)?\s+(?:connect\w*|"
        r"plumbed)|hard[-\s]?plumbed|sewer|siphon\w*|cross[-\s]?connect\w*)\b",
    ),
    _rule(
        "service_sink",
        51,
        "5-203.13",
        "C",
        "No service (mop) sink",
        rf"\b{ABSENT}\s+(?:\w+\s+){{0,2}}?(?:mop|utility|service|janitor(?:ial)?|curbside)\s+"
        r"(?:sinks?|basins?)",
    ),
    _rule(
        "sewage",
        52,
        "5-403.11",
        "P",
        "Sewage or waste water not properly disposed",
        r"\b(?:sewage|sewer\s+(?:back\w*|overflow\w*|odou?r|leak\w*)|(?:back(?:ed|ing|s)?[-\s]?up|"
        r"overflow\w*|pooling|ponding|standing|leak\w*|draining)\s+(?:\w+\s+){0,3}?(?:sewage|"
        r"waste\s?water|grey\s?water|gray\s?water|onto\s+(?:the\s+)?(?:floor|ground))|(?:back(?:ed|"
        r"ing|s)?[-\s]?up|overflow\w*|pooling|ponding|standing)\s+(?:\w+\s+){0,3}?(?:floor\s+)?"
        r"drains?\b(?!\s*(?:pipes?|lines?))|(?:waste\s?water|grey\s?water|gray\s?water|condensate|drain\s+water)\s+"
        r"(?:\w+\s+){0,3}?(?:on\s+(?:the\s+)?(?:floor|ground)|back\w*\s+up|overflow\w*|pooling|"
        r"draining\s+(?:onto|on|to)\s+(?:the\s+)?(?:floor|ground))|(?:floor\s+)?drains?\s+"
        r"(?:[\w']+\s+){0,6}?(?:backed\s+up|backing\s+up|overflow\w*)|"
        # "grey water with food bits coming up out of it", "dirty water welling up"
        r"(?:waste\s?water|grey\s?water|gray\s?water|dirty\s+water|sewage)\s+(?:[\w']+\s+){0,4}?"
        r"(?:coming|came|comes|bubbling|bubbled|welling|welled|rising|rose|pushing|backing)\s+up|grease\s+trap\s+(?:\w+\s+){0,3}?"
        r"(?:overflow\w*|full|leak\w*|back\w*))"
        # waste water poured away outside: "empty the waste water tank into the storm drain",
        # "mop water dumped onto the gravel"
        r"|(?:waste\s?water|grey\s?water|gray\s?water|mop\s+water|dirty\s+water|used\s+water|"
        r"dish\s?water|water\s+from\s+(?:\w+\s+){0,4}?)\s*(?:\w+\s+){0,5}?(?:dumped|poured|"
        r"emptied|discharged|drained|tipped|thrown)\s+(?:\w+\s+){0,2}?(?:into|onto|on|in|down)\s+"
        r"(?:the\s+)?(?:\w+\s+)?(?:street|storm\s+drains?|ground|gravel|alley|parking|grass|"
        r"sidewalk|curb|gutter|soil|dirt|yard|lot)"
        r"|\b(?:dump|dumps|dumped|dumping|empty|empties|emptied|emptying|pour\w*|discharg\w+)\s+"
        r"(?:the\s+)?(?:[\w']+\s+){0,3}?(?:waste\s?water|grey\s?water|gray\s?water|mop\s+water|"
        r"dirty\s+water)(?:\s+tanks?)?\s+(?:into|onto|on|in|down)\s+(?:the\s+)?(?:\w+\s+)?"
        r"(?:street|storm\s+drains?|ground|gravel|alley|parking|grass|sidewalk|curb|gutter)"
        # poured away outside, what is poured named before ("... pour it onto the alley")
        r"|\b(?:pour\w*|dump\w*|empt(?:y|ies|ied|ying)|tip\w*|toss\w*|throw\w*)\s+(?:it|them|that|"
        r"this|(?:the\s+)?(?:\w+\s+)?(?:bucket|pail|tank|tub|water))\s+(?:out\s+)?(?:onto|into|on|"
        r"in|down|over|out\s+(?:on|in)(?:to)?)\s+(?:the\s+)?(?:[\w-]+\s+){0,2}?(?:alley|street|storm\s+"
        r"drains?|ground|gravel|parking|grass|sidewalk|curb|gutter|pavement|dirt|soil|yard|lot)\b",
        unless=r"\b(?:no\s+(?:sewage|sewer)|sewage\s+(?:pipes?|lines?)\s+(?:above|over))\b"
        # where the waste water goes, as it should: "sewage to the municipal system"
        r"|\b(?:public|municipal|city|sanitary|approved|county)\s+(?:sewer|sewage|system|"
        r"collection)|\bseptic\s+(?:system|tank)\s+(?:\w+\s+){0,2}?(?:approved|permitted|"
        r"pumped|serviced)",
    ),
    _rule(
        "toilet_room",
        53,
        "6-501.18",
        "C",
        "Toilet room not clean, supplied or maintained",
        r"\b(?:dirty|soiled|unclean|not\s+clean|filthy|stained|unsanitary|clogged|"
        r"not\s+(?:working|flushing|functioning|self[-\s]?closing|closing|closed|(?:fully\s+)?clos\w+)|"
        r"do(?:es)?\s+not\s+(?:fully\s+)?(?:self[-\s])?close|needs?\s+(?:a\s+)?(?:lid|cover)|"
        r"out\s+of\s+order|"
        r"broken|propped\s+open|left\s+open|open\b|no\s+(?:toilet\s+(?:paper|tissue)|"
        r"self[-\s]?clos\w+|(?:door\s+)?closer|(?:covered|lidded)\s+(?:waste\s+|trash\s+)?"
        r"(?:receptacle|can|container|bin)s?|lids?|covers?|(?:waste\s+|trash\s+|garbage\s+)?"
        r"(?:receptacles?|cans?|bins?)\s+(?:with\s+(?:a\s+)?)?(?:lids?|covers?))|without\s+"
        r"(?:a\s+)?(?:lid|cover|toilet\s+(?:paper|tissue))|uncovered\s+(?:\w+\s+)?(?:receptacle|"
        r"can|bin)|lids?\s+(?:missing|broken)|missing\s+(?:\w+\s+)?(?:lids?|covers?|toilet\s+"
        r"paper|tissue|seat)|"
        + _directive(
            r"(?:detail\s+)?clean|provide\s+(?:\w+\s+){0,3}?(?:lid|cover|receptacle|toilet\s+"
            r"(?:paper|tissue)|self[-\s]?clos\w+)|repair|install\s+(?:\w+\s+){0,2}?"
            r"(?:self[-\s]?clos\w+|door\s+closer)"
        )
        + r")",
        r"\b(?:toilets?|toilet\s+rooms?|rest\s?rooms?|bathrooms?|wash\s?rooms?|lavatory\s+room|"
        r"water\s+closets?|urinals?|men'?s\s+room|women'?s\s+room|employee\s+restroom)\b",
        r"^(?!.*\b(?:toilets?|urinals?|toilet\s+(?:paper|tissue)|tissue|lids?|self[-\s]?clos\w*|"
        r"receptacles?|bowls?|stalls?|doors?)\b).*\b(?:hand\s?(?:wash\w*\s+)?sinks?|soap|"
        r"paper\s+towels?|hand\s+drying|hand\s?wash\w*\s+signs?|signage|floors?|walls?|"
        r"ceilings?|ventilation|exhaust|fans?|lights?|leak\w*|faucets?)\b",
    ),
    _rule(
        "garbage",
        54,
        "5-501.113",
        "C",
        "Garbage and refuse not properly contained or maintained",
        r"\b(?:overflow\w*|over[-\s]?filled|full|(?:lids?|covers?)\s+(?:\w+\s+){0,2}?(?:open|"
        r"missing|broken|not\s+closed|left\s+open|propped)|(?:no|without|missing)\s+(?:tight[-\s]"
        r"fitting\s+)?(?:lids?|covers?)|uncovered|not\s+covered|open|dirty|soiled|leak\w*|"
        r"(?:debris|litter|trash|garbage|grease|refuse)\s+(?:\w+\s+){0,3}?(?:on|around|surround\w*"
        r"|near|beside|next\s+to)\s+(?:the\s+)?(?:ground|floor|area|dumpsters?|containers?|"
        r"receptacles?)|(?:on|around)\s+(?:the\s+)?ground|excessive|accumulat\w*|broken|"
        r"damaged|rusted|holes?|drain\s+plugs?|(?:no|not\s+(?:a\s+)?)\s*commercial|"
        r"non[-\s]?commercial|not\s+(?:rodent|pest)[-\s]proof|"
        + _directive(
            r"(?:detail\s+)?clean|cover|close|provide\s+(?:\w+\s+){0,2}?(?:lids?|covers?|"
            r"receptacles?|dumpsters?)|remove|replace|repair|empty"
        )
        + r")",
        r"\b(?:garbage|trash|refuse|rubbish|waste\s+(?:receptacles?|containers?|cans?|bins?)|"
        r"(?:external|outside|outdoor|exterior|wheelie|wheeled|rear|back|yard|alley)\s+bins?|"
        r"dumpsters?|recycl\w+|grease\s+(?:containers?|bins?|barrels?|drums?|receptacles?)|"
        r"compactors?|totes?|waste\s+oil)\b",
        r"\b(?:toilet|restroom|washroom|bathroom|hand\s?sinks?)\b",
    ),
    _rule(
        "waste_receptacle_handsink",
        54,
        "5-501.16",
        "C",
        "No waste receptacle at a handwashing sink",
        rf"\b{ABSENT}\s+(?:\w+\s+){{0,2}}?(?:waste|trash|garbage)\s+(?:receptacles?|cans?|bins?|"
        r"containers?)",
        _HAND_SINK,
    ),
    _rule(
        "facility_clean",
        55,
        "6-501.12",
        "C",
        "Floors, walls or ceilings not clean",
        _DIRTY,
        r"\b" + _FACILITY + r"\b",
    ),
    _rule(
        "facility_repair",
        55,
        "6-501.11",
        "C",
        "Floors, walls or ceilings not in good repair",
        _DISREPAIR + r"|\bwater[-\s]?(?:damaged|stained|damage)|\bpeeling\s+paint|\bstained\s+"
        r"ceiling|\bnot\s+(?:smooth|durable|easily\s+cleanable|non[-\s]?absorbent)",
        r"\b" + _FACILITY + r"\b",
        r"\b(?:(?:exterior|outer|rear|back|front|side|entrance|entry|exit|delivery|screen|service|"
        r"receiving|alley|loading)\s+(?:\w+\s+)?doors?|door\s+sweeps?|rodent|pests?|screens?|insects?|(?:walk[-\s]?in|cooler|freezer|"
        r"oven|cabinet|reach[-\s]?in)\s+(?:\w+\s+)?(?:doors?|floors?|walls?|ceilings?)|gaskets?|"
        r"hand\s?sinks?|faucets?|pipes?\s+leak\w*|leak\w*|toilet|restroom|washroom|bathroom|"
        r"hood|vent(?:ilation)?|exhaust|cutting\s+boards?)\b"
        r"(?!.*\b(?:floors?|walls?|ceilings?|tiles?|coving|baseboards?)\b)"
        # the door of a freezer is the freezer's (item 47)
        r"|\bdoors?\s+(?:of|on|to)\s+(?:the\s+|a\s+|an\s+)?(?:[\w-]+\s+){0,2}?(?:freezers?|coolers?|"
        r"reach[-\s]?ins?|walk[-\s]?ins?|refrigerators?|fridges?|ovens?|cabinets?|units?|"
        r"microwaves?|dish\s?machines?|ice\s+machines?|warmers?)\b|\b(?:light\s?bulbs?|"
        r"bulbs?|light\s+(?:fixtures?|shields?)|door\s+(?:handles?|gaskets?|hinges?)|\d[-\s]door|"
        r"shel(?:f|ves|ving))\b",
    ),
    _rule(
        "clutter",
        55,
        "6-501.114",
        "C",
        "Unnecessary items or litter on the premises",
        r"\b(?:clutter\w*|unused|unnecessary|broken|old|discarded|obsolete|non[-\s]?working|"
        r"inoperable|excess(?:ive)?)\s+(?:\w+\s+){0,2}?(?:items|articles|equipment|materials|"
        r"boxes|junk|stuff|appliances|furniture)|\b(?:cluttered|clutter)\b|\b"
        + _directive(
            r"remove\s+(?:all\s+)?(?:\w+\s+){0,2}?(?:unused|unnecessary|clutter|old|broken|"
            r"articles|items\s+not)|(?:de-?clutter|organize)"
        ),
        unless=r"\b(?:hand\s?sinks?|blocked)\b",
    ),
    _rule(
        "mops",
        55,
        "6-501.16",
        "C",
        "Mops not hung to air dry",
        r"\bmops?\s+(?:\w+\s+){0,5}?(?:not\s+(?:\w+\s+)?(?:hung|hanging|stored|air)|stored\s+"
        r"(?:\w+\s+){0,2}?(?:in\s+(?:the\s+)?(?:\w+\s+)?(?:bucket|water|sink)|on\s+(?:the\s+)?floor|"
        r"wet)|left\s+in|sitting\s+in|in\s+(?:dirty\s+)?(?:mop\s+)?(?:bucket|water))|\bmops?\s+"
        r"(?:\w+\s+){0,3}?(?:must|should|need\w*)\s+(?:\w+\s+){0,2}?(?:be\s+)?hung|"
        + _directive(r"hang\s+(?:\w+\s+){0,2}?mops?|store\s+(?:\w+\s+){0,2}?mops?"),
    ),
    _rule(
        "living_quarters",
        55,
        "6-501.114",
        "C",
        "Living or sleeping quarters in food areas",
        r"\b(?:mattress\w*|bedding|sleeping\s+(?:bags?|quarters|area)|cots?|living\s+"
        r"quarters|someone\s+(?:living|sleeping)|(?:living|sleeping)\s+in)\b",
        None,
        r"\bbed\s?bugs?\b|\bflower\s+beds?\b|\brice\s+beds?|\bbeds?\s+of\s+(?:lettuce|rice|ice)",
    ),
    _rule(
        "lighting",
        56,
        "6-303.11",
        "C",
        "Inadequate lighting",
        r"\b(?:inadequate|insufficient|poor|low|dim|not\s+(?:adequate|enough|sufficient|working)|"
        r"no)\s+(?:\w+\s+)?(?:light(?:s|ing)?|illumination)\b"
        # "no light showing under the door": a door-gap check passed, not the room's lighting
        r"(?!\s+(?:\w+\s+)?(?:showing|visible|seen|coming|shining|getting|through|under\w*|"
        r"around|beneath|at\s+the\s+(?:door|bottom|sill|threshold)))"
        r"|\b(?:light(?:s|ing)?|bulbs?|fixtures?)"
        r"\s+(?:\w+\s+){0,6}?(?:out|burn(?:t|ed)\s+out|not\s+(?:working|functioning|on)|broken|"
        r"missing|inadequate|insufficient|dim)|\b(?:burn(?:t|ed)[-\s]out|broken|missing)\s+"
        r"(?:light\s+)?bulbs?|\d+\s*foot[-\s]?candles?\b|\b"
        + _directive(
            r"(?:replace|provide|install)\s+(?:\w+\s+){0,3}?(?:light\s+bulbs?|lighting|lights?)|"
            r"increase\s+(?:\w+\s+)?light"
        ),
        unless=r"\b(?:shield\w*|cover(?:s|ed|ing)?|shatter\w*|guard)\b",
    ),
    _rule(
        "light_shield",
        56,
        "6-202.11",
        "C",
        "Light bulbs not shielded or shatter-resistant",
        r"\b(?:unshielded|not\s+(?:shielded|covered|shatter[-\s]?(?:proof|resistant)|protected)|"
        r"no\s+(?:\w+\s+)?(?:shields?|shielding|covers?|guards?|sleeves?)|without\s+(?:\w+\s+)?"
        r"(?:shields?|shielding|covers?|guards?)|missing\s+(?:\w+\s+)?(?:shields?|covers?|guards?|"
        r"end\s+caps?)|(?:broken|cracked|damaged)\s+(?:\w+\s+)?(?:shields?|covers?|diffusers?)|"
        r"exposed\s+(?:light\s+)?bulbs?|(?:shields?|covers?)\s+(?:\w+\s+){0,2}?(?:missing|broken|"
        r"cracked)|"
        + _directive(
            r"(?:provide|install)\s+(?:\w+\s+){0,4}?(?:shield\w*|covers?|shatter[-\s]?(?:proof|"
            r"resistant))"
        )
        + r")",
        r"\b(?:light(?:s|ing)?|bulbs?|fixtures?|lamps?|fluorescent\w*)\b",
        r"\bheat\s+lamps?\s+(?:on|over)",
    ),
    _rule(
        "ventilation",
        56,
        "6-304.11",
        "C",
        "Ventilation hood or system not adequate or clean",
        r"\b(?:grease|greasy|dust(?:y)?|dirty|soiled|build[-\s]?up|buildup|accumulat\w*|"
        r"dripping|not\s+(?:working|functioning|operating|adequate|on)|inadequate|insufficient|"
        # a bare "no" is a missing hood or fan; "no build-up", "no grease" is a clean one
        r"broken|missing|no\b(?!\s+(?:visible\s+|obvious\s+|grease\s+|dust\s+)?(?:grease|greasy|dust|"
        r"dirt|build[-\s]?up|buildup|accumulat\w*|residue|debris|drip\w*|condensation|soil\w*|"
        r"issues?|problems?|concerns?))|condensation|"
        + _directive(r"(?:detail\s+)?clean|degrease|provide|install|repair|replace|service")
        + r")",
        r"\b(?:hoods?|exhaust(?:\s+(?:fans?|systems?|hoods?))?|ventilation|vents?|hood\s+filters?"
        r"|filters?|fans?|baffles?|make[-\s]up\s+air)\b",
        r"\b(?:fans?\s+guards?|fan\s+in\s+(?:the\s+)?(?:walk[-\s]?in|cooler)|coolers?\s+fans?|"
        r"water\s+filters?|ice\s+machine\s+filters?)\b",
    ),
    _rule(
        "personal_items",
        56,
        "6-305.11",
        "C",
        "Employee personal items not in a designated area",
        r"\b(?:personal|employees?'?|staff|workers?'?|cooks?'?|crew)\s+(?:\w+\s+){0,2}?(?:items|"
        r"belongings|effects|phones?|cell\s+phones?|bags?|backpacks?|handbags?|purses?|coats?|"
        r"jackets?|hoodies|clothing|clothes|medications?|food|drinks?)\s+"
        r"(?:\w+\s+){0,4}?(?:stored|kept|placed|left|on|in|above|over|with|next\s+to)\s+"
        r"(?:\w+\s+){0,3}?(?:food|prep|shel\w+|coolers?|kitchen|storage|equipment|single[-\s]"
        r"service|utensils?|counter)"
        # the belongings named without their owner: "a backpack and two coats on the flour shelf"
        r"|\b(?:backpacks?|handbags?|purses?|(?:winter\s+)?coats|jackets|hoodies)\s+(?:\w+\s+){0,4}?"
        r"(?:stored|kept|placed|left|hung|hanging|piled|on|above|over)\s+(?:\w+\s+){0,4}?(?:food|"
        r"prep\s+\w+|shel(?:f|ves)\s+(?:of|with|above|over)\s+(?:\w+\s+){0,2}?(?:food|flour|"
        r"produce|bread|rice|sugar|spices|dry\s+goods|single[-\s]service|cans|boxes)|dry\s+storage|"
        r"storage\s+racks?|coolers?|walk[-\s]?ins?|single[-\s]service|clean\s+(?:dishes|utensils|"
        r"linens?|pans))",
        unless=r"\b(?:lockers?|away\s+from|designated|break\s+room|office|cubbies)\b",
    ),
    # --- wider wording, same concepts ------------------------------------------------------
    _rule(
        "pic_absent_words",
        1,
        "2-101.11",
        "Pf",
        "No person in charge present",
        r"\bno\s*(?:one|body|person)\s+(?:was\s+|is\s+)?in\s+charge|\bno\s+(?:\w+\s+)?(?:manager|"
        r"supervisor|person)\s+(?:was\s+|is\s+)?(?:designated|on\s+(?:site|duty)|present|in\s+charge)",
    ),
    _rule(
        "cfpm_none_holds",
        2,
        "2-102.12",
        "C",
        "No certified food protection manager",
        r"\b(?:none|nobody|no\s+one)\s+(?:(?:of|on|in|at)\s+(?:the\s+)?(?:[\w']+\s*){1,3}?)?"
        r"(?:,\s*(?:[\w']+\s+){1,3}?[\w']+,\s*)?(?:currently\s+|yet\s+|actually\s+|now\s+)?"
        r"(?:holds?|has|have|with)\s+(?:a\s+)?"
        r"(?:valid\s+|current\s+)?(?:certified\s+)?(?:food\s+(?:protection\s+|safety\s+)?manager|cfpm|"
        r"servsafe|manager\s+certif)",
    ),
    _rule(
        "hand_sink_used_to",
        10,
        "5-205.11(B)",
        "Pf",
        "Handwashing sink used for other purposes",
        r"\bused\s+to\s+(?:\w+\s+)?(?:thaw|wash|rinse|store|dump|prep|soak|fill|drain|cool|hold)\b",
        _HAND_SINK,
    ),
    _rule(
        "home_kitchen",
        11,
        "3-201.11(A)",
        "P",
        "Food from an unapproved source",
        r"\b(?:home|residential|private)\s+kitchens?\b|\b(?:made|prepared|cooked|baked|canned)\s+"
        r"(?:\w+\s+){0,3}?(?:at|in)\s+(?:\w+'?s?\s+)?(?:home|house|residence)\b",
        r"\b(?:sale|sold|served|serve|offered|menu|customers?|selling|display)\b",
    ),
    _rule(
        "shellfish_tags",
        14,
        "3-203.12",
        "Pf",
        "Shellstock tags not kept for 90 days",
        r"\b(?:oysters?|clams?|mussels?|shellfish|shellstock)\s+tags?\b[^.;]{0,40}?\b(?:thrown\s+"
        r"(?:away|out)|discarded|not\s+(?:kept|retained|saved|on\s+file)|missing|tossed)",
    ),
    # the shellfish named before, its tags in the next sentence: "Tags from sacks sold out
    # are thrown away when the sack empties; none kept."
    _rule(
        "shellfish_tags_discarded",
        14,
        "3-203.12",
        "Pf",
        "Shellstock tags not kept for 90 days",
        r"\b(?:thrown\s+(?:away|out|in(?:to)?\s+the\s+(?:trash|garbage|bin))|discarded|tossed|"
        r"binned|not\s+(?:kept|retained|saved|filed)|none\s+(?:are\s+)?(?:kept|retained|saved|on\s+file))",
        r"^(?:the\s+)?(?:\w+\s+)?tags?\b",
        r"\b(?:price|date|name|id|dog|gift|luggage)\s+tags?\b|\b90\s+days\s+(?:in|on)\b(?![^.]*\bnot\b)",
        requires_note=r"\b(?:oysters?|clams?|mussels?|shellfish|shellstock|scallops?|littlenecks?)\b",
    ),
    _rule(
        "sulfite_words",
        27,
        "3-302.14",
        "P",
        "Unapproved food or color additive",
        r"\bsulfit\w+\s+(?:\w+\s+){0,3}?(?:added|applied|used|sprayed)\b",
        r"\b(?:fresh|raw|produce|vegetables|fruits?|salad)\b",
    ),
    # a private supply's yearly sample overdue: "the last bacteriological sample was taken in
    # March 2023, and a sample is required every year", "annual well water test is overdue"
    _rule(
        "water_sample_overdue",
        31,
        "5-102.13",
        "Pf",
        "Private water supply not sampled",
        r"\b(?:water|well|bacteriological|bacteria|coliform|potability)\s+(?:\w+\s+){0,2}?"
        r"(?:samples?|tests?|testing|analys[ie]s|results?|reports?)\s+(?:\w+\s+){0,3}?(?:overdue|"
        r"out\s+of\s+date|expired|lapsed|past\s+due|not\s+(?:done|taken|submitted|current|up\s+to\s+"
        r"date)\s+(?:\w+\s+){0,2}?(?:this|in\s+the\s+last|since|for)\b)"
        r"|\b(?:last|latest|most\s+recent|only)\s+(?:\w+\s+){0,2}?(?:samples?|tests?|results?|"
        r"reports?)\s+(?:\w+\s+){0,5}?(?:from|in|on|dated|taken|done|collected)\s+(?:\w+\s+){0,3}?"
        r"(?:19|20)\d\d\b[^.]{0,60}?\b(?:required|needed|due|must\s+be\s+(?:taken|done|tested))\s+"
        r"(?:\w+\s+){0,2}?(?:every|each|once\s+a|per|a)\s+(?:year|twelve\s+months|12\s+months)\b"
        r"|\bannual\s+(?:\w+\s+){0,2}?(?:samples?|tests?)\s+(?:\w+\s+){0,2}?(?:overdue|missed|"
        r"not\s+(?:done|taken))",
        unless=r"\b(?:sanitiz\w+|test\s+strips?|chlorine|quat\w*|thermometers?|dish\s?machines?|"
        r"pest|backflow)\b",
        requires_note=r"\b(?:wells?|private\s+(?:water|supply|system)|non[-\s]?public|bore\s?holes?|"
        r"spring\s+water\s+supply)\b",
    ),
    _rule(
        "ice_from_home",
        31,
        "5-101.11",
        "P",
        "Water or ice not from an approved source",
        r"\bice\b[^.;]{0,40}?\b(?:made|bagged|brought|prepared|frozen)\s+(?:at|from)\s+(?:\w+\s+)?home",
    ),
    _rule(
        "water_pressure_words",
        50,
        "5-103.12",
        "Pf",
        "Inadequate water pressure",
        r"\bwater\s+pressure\b[^.;]{0,30}?\b(?:low|inadequate|insufficient|weak|poor)\b",
    ),
    _rule(
        "waste_water_floor",
        52,
        "5-403.11",
        "P",
        "Sewage or waste water not properly disposed",
        r"\b(?:waste\s?water|grey\s?water|gray\s?water|condensate|drain\s+water|dirty\s+water)\b"
        r"[^.;]{0,40}?\b(?:drain\w*|leak\w*|flow\w*|run\w*|spill\w*|pool\w*)\s+(?:onto|on|to|across)\s+"
        r"(?:the\s+)?(?:floor|ground)",
    ),
    _rule(
        "lighting_words",
        56,
        "6-303.11",
        "C",
        "Inadequate lighting",
        r"\b(?:light(?:s|ing)?|illumination)\b[^.;]{0,30}?\b(?:too\s+(?:dark|dim|low)|dim|"
        r"inadequate|insufficient|burn(?:t|ed)\s+out)\b",
    ),
)


# --- things the Code requires to be there, however their absence is worded ------------------
# One statement of absence for every required thing: "no X", "without X", "lacks X", "could
# not produce X", "does not have/employ X", "X not available / on file / posted", "X
# missing / expired / lapsed", "unable to locate X". Writers vary the verb far more than the
# noun, so the verb is said once here and each required thing names only its noun.
_ABSENT_BEFORE = (
    r"(?:no|without|missing|lack(?:s|ed|ing)?(?:\s+of)?|absence\s+of|absent|none\s+of\s+the|"
    r"(?:could|can|did|does|do|would)(?:\s+not|n't)\s+(?:\w+\s+)?(?:produce|provide|locate|"
    r"find|show|present|have|employ|keep|maintain|retain|post|use|supply)|"
    r"(?:unable|failed|fail)\s+to\s+(?:\w+\s+)?(?:produce|provide|locate|find|show|present|"
    r"have|keep|maintain|retain|post|supply)|(?:nobody|no\s+one|none)(?:\s+[\w']+){0,5}?\s+"
    r"(?:has|holds|have|had|possess\w*)|(?:has|have|had)\s+(?:no|not\s+(?:\w+\s+)?"
    r"(?:obtained|provided|posted|kept|signed|completed|received))|never\s+(?:had|received|"
    r"obtained|signed|completed|kept|posted|provided))"
)
_ABSENT_AFTER = (
    r"(?:(?:is|are|was|were|has\s+been|have\s+been)?\s*(?:not|n't|never)\s+(?:\w+\s+)?"
    r"(?:available|provided|present|on\s+(?:site|file|hand|the\s+premises|premises)|posted|"
    r"kept|maintained|retained|signed|found|located|in\s+place|current|valid|renewed|"
    r"obtained|produced|completed|supplied)|missing|expired|lapsed|out\s+of\s+date|"
    r"unavailable|absent|unsigned|could\s+not\s+be\s+(?:found|located|produced|provided)|"
    r"(?:is|was|are|were)\s+(?:empty|out)\b|ran\s+out)"
)


def _absent(
    name: str,
    item: int,
    section: str,
    designation: Designation,
    description: str,
    noun: str,
    unless: str | None = None,
) -> PhraseRule:
    problem = (
        rf"\b{_ABSENT_BEFORE}\s+(?:[\w'-]+\s+){{0,4}}?(?:{noun})\b"
        rf"|\b(?:{noun})\b(?:\s+[\w'()-]+){{0,5}}?\s+{_ABSENT_AFTER}"
        # a list's or a checklist's "Test strips: none", "soap - none on site", "strips none"
        rf"|\b(?:{noun})\b\s*(?::|-+|=)\s*(?:none|nil|zero|missing|absent)\b"
        rf"|\b(?:{noun})\b(?:\s+[\w'()-]+){{0,3}}?\s+(?:none|nil)\s*(?:on\s+(?:site|hand)|"
        r"available|present|provided|in\s+stock|found|seen)?\s*$"
    )
    return _rule(f"absent_{name}", item, section, designation, description, problem, unless=unless)


REQUIRED_THINGS: Final[tuple[PhraseRule, ...]] = (
    _absent(
        "cfpm",
        2,
        "2-102.12",
        "C",
        "No certified food protection manager",
        r"certified\s+(?:food\s+)?(?:protection\s+|safety\s+|service\s+)?managers?|cfpm|cfm|"
        r"(?:food\s+(?:protection|safety|service|handler)\s+)?manager(?:'s)?\s+(?:food\s+safety\s+)?"
        r"(?:certificat\w+|certification|card|license)|servsafe(?:\s+(?:manager\s+)?"
        r"certificat\w+)?|food\s+(?:protection|safety)\s+(?:manager\s+)?certificat\w+|"
        r"sanitation\s+certificat\w+",
        unless=r"\bfood\s+handler\s+(?:cards?|training|certificat)",
    ),
    _absent(
        "health_policy",
        3,
        "2-103.11(O)",
        "Pf",
        "No employee health policy or illness-reporting agreement",
        r"(?:employee\s+)?(?:health|illness)\s+(?:reporting\s+)?(?:policy|policies|agreements?|"
        r"forms?|acknowledg\w+)|reporting\s+(?:agreements?|policy|forms?)|"
        r"(?:health|illness)\s+reporting\s+(?:\w+\s+)?(?:policy|agreements?|forms?)",
    ),
    _absent(
        "vomit_kit",
        5,
        "2-501.11",
        "Pf",
        "No procedures or supplies for vomiting and diarrheal events",
        r"(?:vomit\w*|diarrh\w+|bodily\s+fluids?|body\s+fluids?)\s+(?:\w+\s+){0,3}?"
        r"(?:clean[-\s]?up\s+)?(?:kits?|plans?|procedures?|polic(?:y|ies)|supplies|response)|"
        r"(?:clean[-\s]?up|spill)\s+kits?|(?:procedures?|plan)\s+for\s+(?:\w+\s+){0,2}?"
        r"(?:vomit\w*|diarrh\w+|bodily\s+fluids?|body\s+fluids?)",
    ),
    _absent(
        "hand_soap",
        10,
        "6-301.11",
        "Pf",
        "No hand cleanser at the handwashing sink",
        r"(?:hand\s+)?soap|hand\s+cleanser|hand\s+cleaner",
        unless=r"\bdish\s?(?:soap|detergent)|\bsoap\s+(?:bottles?|jugs?)\s+(?:stored|above|on)",
    ),
    _absent(
        "hand_towels",
        10,
        "6-301.12",
        "Pf",
        "No hand-drying provision at the handwashing sink",
        r"paper\s+towels?|hand\s+towels?|(?:hand[-\s]?)?drying\s+(?:devices?|provisions?)|"
        r"hand\s+dryers?|towel\s+dispensers?",
        unless=r"\bwiping|\bsingle[-\s]service",
    ),
    _absent(
        "handwash_sign",
        10,
        "6-301.14",
        "C",
        "No handwashing signage",
        r"hand\s?wash(?:ing)?\s+(?:reminder\s+)?(?:signs?|signage|posters?|notices?)|"
        r"(?:signs?|signage|posters?|notices?)\s+(?:\w+\s+){0,3}?(?:hand\s?wash\w*|wash\s+hands)",
    ),
    _absent(
        "shellstock_tags",
        14,
        "3-203.12",
        "Pf",
        "Shellstock tags not kept for 90 days",
        r"(?:shellstock|shellfish|oysters?|clams?|mussels?|scallops?)\s+(?:identification\s+)?"
        r"(?:tags?|labels?|records?)",
    ),
    _absent(
        "parasite_records",
        14,
        "3-402.12",
        "Pf",
        "No parasite-destruction records for raw fish",
        r"parasite[-\s]destruction\s+(?:\w+\s+)?(?:records?|letters?|documentation|logs?|"
        r"certificat\w+|statements?)|(?:records?|documentation|letters?|proof|logs?)\s+of\s+"
        r"(?:\w+\s+)?(?:parasite\s+destruction|freezing)|freezing\s+(?:records?|logs?)",
    ),
    _absent(
        "tphc_procedures",
        24,
        "3-501.19(A)",
        "Pf",
        "Time as a public health control without written procedures",
        r"(?:written\s+)?(?:procedures?|plan|polic(?:y|ies))\s+(?:\w+\s+){0,2}?for\s+(?:\w+\s+)?"
        r"(?:time\s+(?:as\s+a\s+public\s+health\s+control|control|instead|in\s+place|rather)|"
        r"tphc)|(?:tphc|time\s+as\s+a\s+public\s+health\s+control|time\s+control)\s+"
        r"(?:written\s+)?(?:procedures?|plan|polic(?:y|ies))",
    ),
    _absent(
        "consumer_advisory",
        25,
        "3-603.11",
        "Pf",
        "No consumer advisory for raw or undercooked animal food",
        r"consumer\s+advisor(?:y|ies)|advisory\s+(?:\w+\s+){0,2}?(?:raw|undercooked)|"
        r"(?:raw|undercooked)\s+(?:\w+\s+){0,2}?(?:advisory|disclosure|reminder)|"
        r"(?:menu\s+)?(?:disclosure|reminder)\s+(?:statement|asterisk|for\s+(?:raw|undercooked))",
    ),
    _absent(
        "variance",
        32,
        "3-502.11",
        "Pf",
        "Specialized processing without a variance",
        r"variances?",
    ),
    _absent(
        "probe_thermometer",
        36,
        "4-302.12",
        "Pf",
        "No food temperature-measuring device (probe)",
        r"(?:probe|stem|food|metal[-\s]stem|digital|bi-?metal\w*|thin[-\s]probe|tip|"
        r"calibrated|working)\s+(?:temp\w*\s+)?thermometers?|(?:food\s+)?"
        r"temperature[-\s]measuring\s+devices?",
    ),
    _absent(
        "test_strips",
        48,
        "4-302.14",
        "Pf",
        "No sanitizer test kit or strips",
        r"(?:sanitizer|chlorine|quat\w*|chemical|bleach|iodine)?\s*test(?:ing)?\s*"
        r"(?:strips?|kits?|papers?|devices?)|(?:sanitizer|chlorine|quat\w*)\s+(?:test\s+)?strips?",
        unless=r"\b(?:temperature|heat|thermo)[-\s]?(?:test\s+)?(?:strips?|labels?)|\birreversible",
    ),
    _absent(
        "sanitizer",
        16,
        "4-702.11",
        "P",
        "Utensils and food-contact surfaces not sanitized (no sanitizer)",
        r"(?<!hand\s)sanitiz(?:er|ing)(?:\s+(?:solution|buckets?|compartment|step))?",
        unless=r"\bhand\s+sanitiz|\btest\s+strips?|\bwiping|\bdispens",
    ),
    _absent(
        "hand_sink_hot_water",
        10,
        "5-202.12(A)",
        "Pf",
        "No hot water at the handwashing sink",
        r"(?:hot|warm|tempered)\s+(?:running\s+)?water",
        unless=r"^(?!.*\bhand\s?(?:wash\w*\s+)?(?:sinks?|basins?|lavator\w+)\b)|\b(?:any|all|"
        r"every|anywhere|building|facility|establishment|heater)\b",
    ),
    _absent(
        "toilet_tissue",
        53,
        "6-501.18",
        "C",
        "Toilet room not supplied",
        r"toilet\s+(?:paper|tissue)",
    ),
    _absent(
        "hot_water",
        50,
        "5-103.11",
        "Pf",
        "Hot water not available",
        r"hot\s+(?:running\s+)?water",
        unless=r"\b(?:compartment|sanitiz|wiping|dipper|thaw)(?!.*\bhand\s?(?:wash\w*\s+)?sinks?)"
        r"|^(?!.*\b(?:any|all|every|anywhere|building|facility|establishment|kitchen|heater|"
        r"compartment|prep\s+sinks?|mop)\b).*\bhand\s?(?:wash\w*\s+)?(?:sinks?|basins?|lavator\w+)\b",
    ),
)

# Tasks in sequence: raw food, or the body, then ready-to-eat food, with no handwash between.
_TASK_SWITCH: Final[tuple[PhraseRule, ...]] = (
    _rule(
        "raw_then_rte_no_handwash",
        8,
        "2-301.14",
        "P",
        "Hands not washed between raw food and ready-to-eat food",
        r"\b(?:same\s+gloves?|(?:without|w/o|no|not|never|did\s+not|didn't)\s+(?:\w+\s+)?"
        r"(?:chang\w+|wash\w*|hand\s?wash\w*|glove\s+change|new\s+gloves))\b",
        r"\b(?:from|touched|touching|handled|handling|cutting|cut)\s+(?:\w+\s+){0,2}?raw\s+"
        r"(?:[\w-]+\s+){0,4}?(?:\w+\s+)?(?:to|then|and\s+then|before)\b",
    ),
    _rule(
        "body_then_food",
        8,
        "2-301.14",
        "P",
        "Hands not washed after touching the body",
        r"\b(?:went\s+back\s+to|returned\s+to|resumed|continued|then\s+(?:\w+\s+)?(?:sliced|"
        r"slicing|prepared|preparing|handled|handling|served|serving|plated|plating|cut|cutting|"
        r"made|making))\b",
        r"\b(?:wiped|touched|scratched|rubbed|blew)\s+(?:his|her|their|the)\s+(?:\w+\s+)?"
        r"(?:nose|face|hair|mouth|ears?|eyes?|head|skin)\b",
        r"\bwash\w*\s+(?:\w+\s+)?hands\s+(?:before|then|first)",
    ),
    _rule(
        "raw_over_raw",
        15,
        "3-302.11(A)(2)",
        "P",
        "Raw animal foods of different kinds stored so that one contaminates another",
        r"\b(?:raw\s+(?:\w+\s+){0,3}?(?:chicken|poultry|turkey|duck)\b[^.;]{0,60}?\b(?:above|over|"
        r"on\s+top\s+of|dripping\s+(?:on|onto))\s+(?:the\s+)?(?:\w+\s+){0,2}?(?:raw\s+)?(?:\w+\s+)?"
        r"(?:beef|pork|fish|seafood|shrimp|steaks?|ribs|lamb|eggs))",
    ),
)

PHRASE_RULES: Final[tuple[PhraseRule, ...]] = _WORDED_RULES + REQUIRED_THINGS + _TASK_SWITCH
