"""The evaluation cases: Chicago inspections and the narrative field notes, one shape."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Final

from opengovfood.inspection.chicago import ChicagoInspection, load_inspections
from opengovfood.inspection.findings import DESIGNATION_RANK

__all__ = [
    "NARRATIVE_DIR",
    "PARAPHRASE_DIR",
    "Case",
    "GoldViolation",
    "bank_cases",
    "chicago_cases",
    "narrative_cases",
    "paraphrase_cases",
]

NARRATIVE_DIR: Final = Path(__file__).resolve().parent / "corpora" / "narrative"
PARAPHRASE_DIR: Final = Path(__file__).resolve().parent / "corpora" / "paraphrase"
# The sentence bank: training data for a learned component (its README says so); until one
# trains on it, `make eval` uses it to measure the engine sentence by sentence.
BANK_DIR: Final = Path(str(resources.files("opengovfood.inspection").joinpath("data")))


@dataclass(frozen=True, slots=True)
class GoldViolation:
    form_item: int
    severity: str  # "P" | "Pf" | "C"
    section: str = ""
    corrected_on_site: bool = False
    repeat: bool = False


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    notes: str
    violations: tuple[GoldViolation, ...]
    group: str = ""  # Chicago: the inspection day (the leave-one-day-out fold)

    @property
    def clean(self) -> bool:
        return not self.violations

    @property
    def items(self) -> frozenset[int]:
        return frozenset(v.form_item for v in self.violations)

    def item_severity(self, item: int) -> str | None:
        """The most severe designation gold gives the item (entries of one item collapse)."""
        marks = [v.severity for v in self.violations if v.form_item == item]
        return max(marks, key=DESIGNATION_RANK.__getitem__) if marks else None


def _chicago_case(inspection: ChicagoInspection) -> Case:
    return Case(
        id=f"chicago-{inspection.id}",
        notes=inspection.paragraph,
        violations=tuple(
            GoldViolation(e.item, e.severity) for e in inspection.entries if 1 <= e.item <= 56
        ),
        group=inspection.date,
    )


def chicago_cases() -> list[Case]:
    """Every inspection that cites violations (those without comments have no notes to read)."""
    return [_chicago_case(i) for i in load_inspections() if i.paragraph]


def narrative_cases(split: str, root: Path = NARRATIVE_DIR) -> list[Case]:
    """The notes of one split (`dev` or `test`), in file-name order; empty if absent."""
    folder = root / split
    if not folder.is_dir():
        return []
    cases = []
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        cases.append(
            Case(
                id=str(data["id"]),
                notes=str(data["notes"]),
                violations=tuple(
                    GoldViolation(
                        form_item=int(v["form_item"]),
                        severity=str(v["severity"]),
                        section=str(v.get("section", "")),
                        corrected_on_site=bool(v.get("corrected_on_site", False)),
                        repeat=bool(v.get("repeat", False)),
                    )
                    for v in data["violations"]
                ),
                group=split,
            )
        )
    return cases


def paraphrase_cases(root: Path = PARAPHRASE_DIR) -> list[Case]:
    """The sentence sets of eval/corpora/paraphrase: each violation sentence a one-line note
    with its item, each compliant sentence a clean note."""
    cases: list[Case] = []
    lines = (root / "violations.tsv").read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("#"):
            continue
        item, severity, sentence = line.split("\t")
        cases.append(
            Case(f"paraphrase-v{number:03d}", sentence, (GoldViolation(int(item), severity),))
        )
    lines = (root / "clean.txt").read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, 1):
        if line.strip() and not line.startswith("#"):
            cases.append(Case(f"paraphrase-c{number:03d}", line.strip(), ()))
    return cases


def bank_cases(root: Path = BANK_DIR) -> list[Case]:
    """The sentence bank (`sentences-*.tsv`): each violation line a one-line note with its
    item, designation and section, each no-violation line (item 0) a clean note."""
    cases: list[Case] = []
    for path in sorted(root.glob("sentences-*.tsv")):
        author = path.stem.removeprefix("sentences-")
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, 1):
            if not line.strip() or line.startswith("#"):
                continue
            item, designation, section, sentence = line.split("\t")
            gold = () if item == "0" else (GoldViolation(int(item), designation, section),)
            cases.append(Case(f"bank-{author}-{number:04d}", sentence, gold))
    return cases
