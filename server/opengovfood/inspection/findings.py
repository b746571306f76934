"""What the engine finds: one violation with its Food Code section, item, designation, evidence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

__all__ = ["DESIGNATION_RANK", "Designation", "Finding", "FindingSource"]

# FDA Food Code 2022: Priority, Priority Foundation, Core.
Designation = Literal["P", "Pf", "C"]
# "rule": a pattern or a measurement over the catalogue's limits; "classifier": the comment
# classifier trained on the Chicago sample (the section chosen within its item by context).
FindingSource = Literal["rule", "classifier"]

DESIGNATION_RANK: Final[dict[str, int]] = {"P": 3, "Pf": 2, "C": 1}


@dataclass(frozen=True, slots=True)
class Finding:
    """One distinct violation found in the notes.

    `evidence` is a verbatim slice of the notes (`notes[start:end] == evidence`): the sentence
    or clause the finding rests on.
    """

    food_code_section: str  # e.g. "3-501.16(A)(2)"
    form_item: int  # FDA Form 3-A item, 1-56
    designation: Designation
    description: str  # short: what is wrong
    evidence: str
    start: int
    end: int
    source: FindingSource
    corrected_on_site: bool = False
    repeat: bool = False
    concept: str = ""  # the rule family (or "classifier") that produced it, for diagnostics
