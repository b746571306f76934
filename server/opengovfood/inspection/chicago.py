"""The City of Chicago inspection sample: parsing, and the answer-free comment text.

Each inspection's `Violations` cell lists the cited items, "N. TITLE - Comments: words".
The gold labels are the item numbers and the severity the inspector wrote into the comment
("PRIORITY VIOLATION", "PRIORITY FOUNDATION VIOLATION"; neither means Core). Those give the
answer away, so `clean_comment` strips them, with the municipal-code citation and the
"citation issued" phrase that go with them, and any "#47" / "violation 47" item reference.
What remains is the inspector's own description of what was seen and ordered.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Final, Literal

__all__ = [
    "FORM_ITEMS",
    "ChicagoEntry",
    "ChicagoInspection",
    "clean_comment",
    "join_comments",
    "load_inspections",
]

GoldSeverity = Literal["P", "Pf", "C"]

# Items 1-56 are FDA Form 3-A's; 57-64 are Chicago's own (training, previous violations...).
FORM_ITEMS: Final = range(1, 57)
_FIXTURE: Final = "chicago-food-inspections-2020-03.csv"

_ENTRY = re.compile(r"^\s*(\d{1,2})\.\s*(.*?)(?:\s+-\s+Comments:\s*(.*))?$", re.S)
_PRIORITY_FOUNDATION = re.compile(r"PRIO\w*TY\s+FOUNDATION", re.I)
_PRIORITY = re.compile(r"PRIO\w*TY", re.I)

# Severity labels, with the municipal-code citation and citation phrase around them.
_CITY_CODE = r"#?\s*7-\d{2}[-.]\d{3}(?:\s*-?\s*\(\s*\w\s*\))?"
_LABEL_PATTERNS: Final = (
    re.compile(
        r"\(?\s*\b(?:PRIO\w*TY\s+FOUNDATION|PRIO\w*TY|CORE)\b(?:\s+VIOLATIONS?)?"
        r"(?:\s+(?:CITATION\s+)?ISSUED)?\s*[:#-]*\s*(?:" + _CITY_CODE + r")?\s*\)?",
        re.I,
    ),
    re.compile(_CITY_CODE, re.I),
    re.compile(
        r"\b(?:NO\s+)?CITATIONS?(?:\s+(?:ISSUE[DS]?|IS+UED|CONSOLIDATED(?:\s+WITH\s+ABOVE(?:\s+VIOLATION)?)?))?\b",
        re.I,
    ),
    re.compile(r"\(\s*(?:P|PF|C)\s*\)", re.I),
    re.compile(r"(?<![\w-])PF\b\.?", re.I),
    # Item references: "#47", "VIOLATION # 10", "VIO #60", "VIOLATION 58".
    re.compile(r"\b(?:VIO(?:LATION)?S?\s*(?:#|NO\.?|NUMBER)?\s*)\d{1,2}\b\s*[:.-]?", re.I),
    re.compile(r"#\s*\d{1,2}\b\s*[:-]?"),
)
_SPACES = re.compile(r"[ \t]{2,}")
_EMPTY_PUNCT = re.compile(r"\s+([.,;:])")
_REPEATED_PUNCT = re.compile(r"([.,;:])(?:\s*[.,;:])+")


@dataclass(frozen=True, slots=True)
class ChicagoEntry:
    """One cited item of an inspection: its number, its labelled severity, its comment."""

    item: int
    severity: GoldSeverity
    comment: str  # cleaned: no item number, title or severity label


@dataclass(frozen=True, slots=True)
class ChicagoInspection:
    id: str
    date: str  # MM/DD/YYYY as in the source
    inspection_type: str
    result: str
    entries: tuple[ChicagoEntry, ...]

    @property
    def paragraph(self) -> str:
        """All comments joined into one paragraph, as the engine is fed them."""
        return join_comments(entry.comment for entry in self.entries)

    @property
    def form_items(self) -> frozenset[int]:
        """Gold: the Form 3-A items (1-56) cited, Chicago's own items left out."""
        return frozenset(e.item for e in self.entries if e.item in FORM_ITEMS)

    def item_severity(self, item: int) -> GoldSeverity | None:
        """The highest severity the inspector gave the item in this inspection."""
        found = {e.severity for e in self.entries if e.item == item}
        severities: tuple[GoldSeverity, ...] = ("P", "Pf", "C")
        return next((s for s in severities if s in found), None)


def clean_comment(comment: str) -> str:
    """The comment without severity labels, code citations and item references."""
    text = comment
    for pattern in _LABEL_PATTERNS:
        text = pattern.sub(" ", text)
    text = text.replace("Violation Codes:", " ").replace("Inspector Comments:", " ")
    text = _SPACES.sub(" ", text)
    text = _EMPTY_PUNCT.sub(r"\1", text)
    text = _REPEATED_PUNCT.sub(r"\1", text)
    return text.strip(" -,;:\t\n")


def join_comments(comments: object) -> str:
    """One paragraph: each comment ends as a sentence, then the next begins."""
    parts: list[str] = []
    for comment in comments:  # type: ignore[attr-defined]
        text = str(comment).strip()
        if not text:
            continue
        if text[-1] not in ".!?":
            text += "."
        parts.append(text)
    return " ".join(parts)


def _severity(comment: str) -> GoldSeverity:
    if _PRIORITY_FOUNDATION.search(comment):
        return "Pf"
    if _PRIORITY.search(comment):
        return "P"
    return "C"


def parse_violations(cell: str) -> tuple[ChicagoEntry, ...]:
    if cell.strip() in ("", "NA"):
        return ()
    entries = []
    for raw in cell.split(" | "):
        match = _ENTRY.match(raw)
        if match is None:
            continue
        comment = match.group(3) or ""
        entries.append(
            ChicagoEntry(
                item=int(match.group(1)),
                severity=_severity(comment),
                comment=clean_comment(comment),
            )
        )
    return tuple(entries)


@cache
def load_inspections() -> tuple[ChicagoInspection, ...]:
    """Every inspection of the shipped sample, in file order (those without violations too)."""
    source = resources.files("opengovfood.inspection").joinpath("data", _FIXTURE)
    text = source.read_text(encoding="utf-8")
    return tuple(
        ChicagoInspection(
            id=row["ID"],
            date=row["Date"],
            inspection_type=row["InspType"],
            result=row["Results"],
            entries=parse_violations(row["Violations"]),
        )
        for row in csv.DictReader(io.StringIO(text, newline=""))
    )
