"""FDA Form 3-A items as the engine needs them, read from the Food Code catalogue."""

from __future__ import annotations

from functools import cache

from .catalogue import catalogue
from .findings import Designation

__all__ = ["designation_of", "item_title", "section_for"]


def item_title(item: int) -> str:
    return catalogue().form_item(item).title


@cache
def designation_of(section: str) -> Designation:
    """The catalogue's designation of a section the engine cites (it must be there)."""
    value = catalogue().get(section).designation.value
    if value == "P":
        return "P"
    if value == "Pf":
        return "Pf"
    return "C"


@cache
def section_for(item: int, designation: str | None) -> tuple[str, Designation]:
    """The item's catalogue section of that designation (its primary one when that fits),
    else the item's primary section."""
    primary = catalogue().primary(item)
    entries = (primary, *catalogue().by_form_item(item))
    for entry in entries:
        if entry.designation.value == designation:
            return entry.section, designation_of(entry.section)
    return primary.section, designation_of(primary.section)
