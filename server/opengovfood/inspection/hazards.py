"""Why each Form 3-A item matters to the public, from `hazards.toml` (our own words)."""

from __future__ import annotations

import functools
import tomllib
from importlib import resources

from .catalogue import FORM_ITEM_COUNT

__all__ = ["hazard", "hazards"]


@functools.cache
def hazards() -> dict[int, str]:
    """Item number -> one or two sentences; every item 1-56 (checked at first use)."""
    text = resources.files(__package__).joinpath("hazards.toml").read_text(encoding="utf-8")
    raw = tomllib.loads(text)["hazards"]
    found = {int(number): " ".join(str(sentence).split()) for number, sentence in raw.items()}
    missing = set(range(1, FORM_ITEM_COUNT + 1)) - set(found)
    if missing or any(not sentence for sentence in found.values()):
        raise ValueError(f"hazards.toml lacks items {sorted(missing)}")
    return found


def hazard(form_item: int) -> str:
    """The hazard of a Form 3-A item ("" for 0 or an unknown item)."""
    return hazards().get(form_item, "")
