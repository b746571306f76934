"""FDA Form 3-A items as the engine needs them: title and the Food Code sections it cites.

For each item, the sections the engine may cite, each with its designation, first the one
used when nothing in the text points to a particular paragraph. A classifier finding picks
among them by the designation its severity model predicts.
"""

from __future__ import annotations

from typing import Final

from .findings import Designation

__all__ = ["ITEM_SECTIONS", "ITEM_TITLES", "section_for"]

ITEM_TITLES: Final[dict[int, str]] = {
    1: "Person in charge present, demonstrates knowledge, and performs duties",
    2: "Certified food protection manager",
    3: (
        "Management, food employee and conditional employee; knowledge, responsibilities "
        "and reporting"
    ),
    4: "Proper use of restriction and exclusion",
    5: "Procedures for responding to vomiting and diarrheal events",
    6: "Proper eating, tasting, drinking, or tobacco use",
    7: "No discharge from eyes, nose, and mouth",
    8: "Hands clean & properly washed",
    9: (
        "No bare hand contact with RTE food or a pre-approved alternative procedure "
        "properly followed"
    ),
    10: "Adequate handwashing sinks properly supplied and accessible",
    11: "Food obtained from approved source",
    12: "Food received at proper temperature",
    13: "Food in good condition, safe, & unadulterated",
    14: "Required records available: shellstock tags, parasite destruction",
    15: "Food separated and protected",
    16: "Food-contact surfaces: cleaned & sanitized",
    17: "Proper disposition of returned, previously served, reconditioned & unsafe food",
    18: "Proper cooking time & temperatures",
    19: "Proper reheating procedures for hot holding",
    20: "Proper cooling time and temperatures",
    21: "Proper hot holding temperatures",
    22: "Proper cold holding temperatures",
    23: "Proper date marking and disposition",
    24: "Time as a public health control; procedures & records",
    25: "Consumer advisory provided for raw/undercooked food",
    26: "Pasteurized foods used; prohibited foods not offered",
    27: "Food additives: approved & properly used",
    28: "Toxic substances properly identified, stored, & used",
    29: "Compliance with variance/specialized process/HACCP",
    30: "Pasteurized eggs used where required",
    31: "Water & ice from approved source",
    32: "Variance obtained for specialized processing methods",
    33: "Proper cooling methods used; adequate equipment for temperature control",
    34: "Plant food properly cooked for hot holding",
    35: "Approved thawing methods used",
    36: "Thermometers provided & accurate",
    37: "Food properly labeled; original container",
    38: "Insects, rodents, & animals not present",
    39: "Contamination prevented during food preparation, storage & display",
    40: "Personal cleanliness",
    41: "Wiping cloths: properly used & stored",
    42: "Washing fruits & vegetables",
    43: "In-use utensils: properly stored",
    44: "Utensils, equipment & linens: properly stored, dried, & handled",
    45: "Single-use/single-service articles: properly stored & used",
    46: "Gloves used properly",
    47: "Food & non-food contact surfaces cleanable, properly designed, constructed, & used",
    48: "Warewashing facilities: installed, maintained, & used; test strips",
    49: "Non-food contact surfaces clean",
    50: "Hot & cold water available; adequate pressure",
    51: "Plumbing installed; proper backflow devices",
    52: "Sewage & waste water properly disposed",
    53: "Toilet facilities: properly constructed, supplied, & cleaned",
    54: "Garbage & refuse properly disposed; facilities maintained",
    55: "Physical facilities installed, maintained, & clean",
    56: "Adequate ventilation & lighting; designated areas used",
}

# item -> [(section, designation)], the default first.
ITEM_SECTIONS: Final[dict[int, tuple[tuple[str, Designation], ...]]] = {
    1: (("2-101.11", "Pf"), ("2-102.11", "Pf"), ("2-103.11", "Pf")),
    2: (("2-102.12", "C"),),
    3: (("2-103.11(O)", "Pf"), ("2-201.11", "P")),
    4: (("2-201.12", "P"),),
    5: (("2-501.11", "Pf"),),
    6: (("2-401.11", "C"),),
    7: (("2-401.12", "C"),),
    8: (("2-301.14", "P"), ("2-301.15", "Pf")),
    9: (("3-301.11", "P"),),
    10: (("5-205.11", "Pf"), ("6-301.14", "C")),
    11: (("3-201.11", "P"),),
    12: (("3-202.11", "P"),),
    13: (("3-101.11", "P"),),
    14: (("3-203.12", "Pf"),),
    15: (("3-302.11", "P"),),
    16: (("4-602.11", "P"), ("4-601.11(A)", "Pf"), ("4-501.114", "P"), ("4-602.13", "C")),
    17: (("3-701.11", "P"),),
    18: (("3-401.11", "P"),),
    19: (("3-403.11", "P"),),
    20: (("3-501.14", "P"),),
    21: (("3-501.16(A)(1)", "P"),),
    22: (("3-501.16(A)(2)", "P"),),
    23: (("3-501.17", "Pf"), ("3-501.18", "P")),
    24: (("3-501.19", "Pf"),),
    25: (("3-603.11", "Pf"),),
    26: (("3-801.11", "P"),),
    27: (("3-202.12", "P"),),
    28: (("7-201.11", "P"), ("7-102.11", "Pf")),
    29: (("8-103.12", "Pf"),),
    30: (("3-302.13", "P"),),
    31: (("5-101.11", "P"),),
    32: (("3-502.11", "Pf"), ("3-502.12", "C")),
    33: (("3-501.15", "Pf"), ("4-301.11", "Pf")),
    34: (("3-401.13", "Pf"),),
    35: (("3-501.13", "C"),),
    36: (("4-204.112", "C"), ("4-302.12", "Pf")),
    37: (("3-302.12", "C"), ("3-602.11", "Pf")),
    38: (("6-501.111", "Pf"), ("6-202.15", "C"), ("6-501.112", "C")),
    39: (("3-305.11", "C"), ("3-307.11", "C")),
    40: (("2-402.11", "C"), ("2-302.11", "Pf")),
    41: (("3-304.14", "C"),),
    42: (("3-302.15", "C"),),
    43: (("3-304.12", "C"),),
    44: (("4-901.11", "C"),),
    45: (("4-903.11", "C"),),
    46: (("3-304.15", "C"),),
    47: (("4-501.11", "C"),),
    48: (("4-302.14", "Pf"), ("4-501.11", "C")),
    49: (("4-602.13", "C"),),
    50: (("5-103.11", "Pf"), ("5-103.12", "C")),
    51: (("5-205.15", "C"), ("5-203.14", "P")),
    52: (("5-403.11", "P"),),
    53: (("6-501.18", "C"),),
    54: (("5-501.113", "C"),),
    55: (("6-501.12", "C"),),
    56: (("6-304.11", "C"),),
}


def section_for(item: int, designation: str | None) -> tuple[str, Designation]:
    """The item's section of that designation, else its default section."""
    sections = ITEM_SECTIONS[item]
    for section, marked in sections:
        if marked == designation:
            return section, marked
    return sections[0]
