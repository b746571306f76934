"""A City of Chicago "Food Inspections" CSV (data portal dataset 4ijn-s7e5) read as
establishments, inspections and cited violations, ready to store.

Columns used: `ID`, `Date` (MM/DD/YYYY), `DBA`, `Address`, `FacilityType`, `InspType`, `Risk`,
`Results`, `Violations` (and `City`, `State`, `Zip`, `License #` when the export has them;
the shipped sample has not). Per row:

- the **establishment** is the DBA at its address (compared without case or extra spaces;
  the licence number too when the file has one). Chicago's `Risk 1 (High)`, `Risk 2
  (Medium)`, `Risk 3 (Low)` become the Food Code Annex 5 risk categories 3, 2 and 1
  (category 4 is kept for specialised processes and highly susceptible populations, which
  the file does not tell apart; `All` stays unknown).
- the **inspection** has the row's `ID` (the import's key: importing a file again skips the
  rows it has seen), the date (kept at 12:00 UTC so it reads as the same day in every US time
  zone), a kind from `InspType` (Canvass: routine; `... Re-Inspection`: follow-up; complaints
  and suspected food poisoning: complaint; License: pre-opening), and a result from
  `Results` (Pass, Pass w/ Conditions, Fail, No Entry; `Out of Business` and `Not Ready` have
  no counterpart: no result, the item is cancelled and its description says which).
- each entry of `Violations` ("N. TITLE - Comments: words", separated by " | ") is one
  **violation**: the Form 3-A item N (Chicago's own items 57-64 have none: form item 0 and
  code `CHICAGO-N`), the designation the inspector wrote ("PRIORITY VIOLATION" is P, "PRIORITY
  FOUNDATION VIOLATION" Pf, neither C), the catalogue's Food Code section of that item and
  designation and its corrective action, the inspector's comment as the evidence, and
  corrected-on-site when the comment says so.
- the **score** and grade follow from the violations by the scoring scheme (Chicago publishes
  none); rows without a result get none.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import Final, TextIO

from opengovfood.inspection.catalogue import catalogue
from opengovfood.inspection.chicago import FORM_ITEMS
from opengovfood.inspection.engine import InspectionEngine, build_engine
from opengovfood.inspection.form_items import section_for
from opengovfood.inspection.negation import mentions_correction
from opengovfood.inspection.scoring import Citation, score_violations

__all__ = [
    "REQUIRED_COLUMNS",
    "ChicagoFormatError",
    "ImportedEstablishment",
    "ImportedInspection",
    "ImportedViolation",
    "RowProblem",
    "read_chicago",
    "sample",
]

SOURCE: Final = "chicago"
# The shipped sample with every column (data/README.md: source and attribution).
SAMPLE: Final = "chicago-food-inspections-2020-03-full.csv"
REQUIRED_COLUMNS: Final = (
    "ID",
    "Date",
    "DBA",
    "Address",
    "FacilityType",
    "InspType",
    "Risk",
    "Results",
    "Violations",
)
TITLE_MAX: Final = 100

_RISK: Final = {"risk 1 (high)": 3, "risk 2 (medium)": 2, "risk 3 (low)": 1}
_RESULTS: Final = {
    "pass": "pass",
    "pass w/ conditions": "pass_with_conditions",
    "fail": "fail",
    "no entry": "no_entry",
}
_ENTRY = re.compile(r"^\s*(\d{1,2})\.\s*(.*?)(?:\s+-\s+Comments:\s*(.*))?$", re.S)
_PRIORITY_FOUNDATION = re.compile(r"PRIO\w*TY\s+FOUNDATION", re.I)
_PRIORITY = re.compile(r"PRIO\w*TY", re.I)
_SPACES = re.compile(r"\s+")


class ChicagoFormatError(ValueError):
    """The file is not a Chicago inspections export (its header lacks columns)."""


@dataclass(frozen=True, slots=True)
class ImportedEstablishment:
    key: str  # identity within the import: licence, else name and address, normalised
    name: str
    street: str
    city: str
    state: str
    postal_code: str
    license_number: str
    facility_type: str
    risk_category: int | None  # Food Code Annex 5, 1-4


@dataclass(frozen=True, slots=True)
class ImportedViolation:
    form_item: int  # FDA Form 3-A item 1-56; 0 for Chicago's own items
    chicago_item: int
    food_code_section: str
    designation: str  # "P", "Pf", "C"
    title: str
    evidence: str  # the inspector's comment
    corrective_action: str
    corrected_on_site: bool

    @property
    def code(self) -> str:
        """The code published for it: the Food Code section, else Chicago's item."""
        return self.food_code_section or f"CHICAGO-{self.chicago_item}"


@dataclass(frozen=True, slots=True)
class ImportedInspection:
    external_id: str
    line: int
    establishment: ImportedEstablishment
    inspect_time: datetime
    kind: str  # routine_inspection | follow_up | complaint | pre_opening | other
    result: str | None  # pass | pass_with_conditions | fail | no_entry; None: no counterpart
    source_type: str
    source_result: str
    violations: tuple[ImportedViolation, ...]
    score: int | None
    grade: str
    scoring_scheme: str

    @property
    def title(self) -> str:
        return _fit(f"{self.source_type or 'Inspection'}: {self.establishment.name}", TITLE_MAX)

    @property
    def description(self) -> str:
        return (
            f"City of Chicago inspection {self.external_id} ({self.source_type}), "
            f"result: {self.source_result or 'none'}. Imported from the Chicago Department of "
            "Public Health's Food Inspections data (data portal dataset 4ijn-s7e5)."
        )

    @property
    def summary(self) -> str:
        if not self.violations:
            return f"{self.source_result or 'No result'}; no violations cited."
        counts = {d: sum(v.designation == d for v in self.violations) for d in ("P", "Pf", "C")}
        return (
            f"{self.source_result or 'No result'}; {len(self.violations)} violation(s) cited "
            f"({counts['P']} Priority, {counts['Pf']} Priority Foundation, {counts['C']} Core)."
        )


@dataclass(frozen=True, slots=True)
class RowProblem:
    line: int
    message: str


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def _norm(text: str | None) -> str:
    return _SPACES.sub(" ", text or "").strip()


def _kind(inspection_type: str) -> str:
    lowered = inspection_type.lower()
    if "re-insp" in lowered or "reinsp" in lowered:
        return "follow_up"
    if "complaint" in lowered or "food poisoning" in lowered:
        return "complaint"
    if lowered.startswith("canvass"):
        return "routine_inspection"
    if lowered.startswith("license"):
        return "pre_opening"
    return "other"


def _designation(comment: str) -> str:
    if _PRIORITY_FOUNDATION.search(comment):
        return "Pf"
    if _PRIORITY.search(comment):
        return "P"
    return "C"


@functools.cache
def _rules() -> InspectionEngine:
    return build_engine(with_classifier=False)  # the rules only: fast, and no training


def _section_from_comment(comment: str, form_item: int, designation: str) -> str:
    found = [f for f in _rules().analyse(comment) if f.form_item == form_item]
    same = [f for f in found if f.designation == designation]
    chosen = (same or found)[:1]
    return (
        chosen[0].food_code_section
        if chosen and catalogue().is_known(chosen[0].food_code_section)
        else ""
    )


def _violation(raw: str) -> ImportedViolation | None:
    match = _ENTRY.match(raw)
    if match is None:
        return None
    number = int(match.group(1))
    title = _norm(match.group(2))
    comment = _norm(match.group(3))
    designation = _designation(comment)
    section, corrective = "", ""
    form_item = number if number in FORM_ITEMS else 0
    if form_item:
        # The item and designation stay the inspector's. The section is the one the rules
        # read in the comment for that item (the faucet, the signage, the soap...), else
        # the item's section of that designation, else the item's primary section.
        section = _section_from_comment(comment, form_item, designation)
        if not section:
            section, _ = section_for(form_item, designation)
        corrective = catalogue().get(section).corrective_action
    return ImportedViolation(
        form_item=form_item,
        chicago_item=number,
        food_code_section=section,
        designation=designation,
        title=title.capitalize() if title.isupper() else title,
        evidence=comment,
        corrective_action=corrective,
        corrected_on_site=designation != "C" and mentions_correction(comment.lower()),
    )


def _violations(cell: str) -> tuple[ImportedViolation, ...]:
    if _norm(cell) in ("", "NA"):
        return ()
    found = (_violation(raw) for raw in cell.split(" | "))
    return tuple(v for v in found if v is not None)


def _establishment(row: dict[str, str]) -> ImportedEstablishment:
    name, street = _norm(row["DBA"]), _norm(row["Address"])
    license_number = _norm(row.get("License #")).removesuffix(".0")
    if license_number in ("0", "NA"):
        license_number = ""
    key = f"license:{license_number}" if license_number else f"{name}|{street}".upper()
    return ImportedEstablishment(
        key=key,
        name=name,
        street=street,
        city=_norm(row.get("City")).title() or "Chicago",
        state=_norm(row.get("State")).upper() or "IL",
        postal_code=_norm(row.get("Zip")).removesuffix(".0"),
        license_number=license_number,
        facility_type=_norm(row["FacilityType"]),
        risk_category=_RISK.get(_norm(row["Risk"]).lower()),
    )


def _row(row: dict[str, str], line: int, scheme: str) -> ImportedInspection | RowProblem:
    external_id = _norm(row["ID"])
    if not external_id:
        return RowProblem(line, "ID is empty")
    try:
        day = datetime.strptime(_norm(row["Date"]), "%m/%d/%Y")
    except ValueError:
        return RowProblem(line, f"Date {row['Date']!r} is not MM/DD/YYYY")
    establishment = _establishment(row)
    if not establishment.name:
        return RowProblem(line, "DBA (the establishment's name) is empty")
    source_result = _norm(row["Results"])
    result = _RESULTS.get(source_result.lower())
    violations = _violations(row["Violations"] or "")
    score: int | None = None
    grade = ""
    if result in ("pass", "pass_with_conditions", "fail"):
        scored = score_violations(
            (
                Citation(
                    v.food_code_section, v.designation, v.corrected_on_site, False, v.form_item
                )
                for v in violations
                if v.food_code_section
            ),
            scheme,
        )
        score, grade, scheme = scored.score, scored.grade, scored.scheme
    return ImportedInspection(
        external_id=external_id,
        line=line,
        establishment=establishment,
        inspect_time=day.replace(hour=12, tzinfo=UTC),
        kind=_kind(_norm(row["InspType"])),
        result=result,
        source_type=_norm(row["InspType"]),
        source_result=source_result,
        violations=violations,
        score=score,
        grade=grade,
        scoring_scheme=scheme if score is not None else "",
    )


def read_chicago(
    lines: Iterable[str], scheme: str = "standard"
) -> Iterator[ImportedInspection | RowProblem]:
    """The file's rows, one at a time (a file of any size reads in constant memory).
    `lines`: an open text file (newline=""). Raises ChicagoFormatError for a header that
    lacks a required column; a bad row is a RowProblem (line numbers count the header)."""
    reader = csv.DictReader(lines)
    header = reader.fieldnames or []
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise ChicagoFormatError(
            "not a City of Chicago food inspections CSV: missing column(s) " + ", ".join(missing)
        )
    for row in reader:
        yield _row(row, reader.line_num, scheme)


@contextmanager
def sample() -> Iterator[TextIO]:
    """The shipped Chicago sample (342 inspections, March 2020), opened for read_chicago."""
    source = resources.files("opengovfood.inspection").joinpath("data", SAMPLE)
    with source.open("rb") as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as lines:
        yield lines
