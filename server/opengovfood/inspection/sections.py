"""Food Code section numbers: parsing the ways people write them, and Food Code order.

A section is `chapter-partsubpart.section`, e.g. `3-501.16`, optionally followed by
paragraph designators that nest in a fixed pattern: `(A)` an upper-case letter, `(2)` a
number, `(a)` a lower-case letter, `(iv)` a lower-case roman numeral. Inspectors write them
loosely (`3-501.16 (A)(2)`, `3-501.16(a)(2)`, `§3-501.16(A)(2)`, `Sec. 3-501.16(A)(2).`);
`parse_section` accepts those and `SectionRef.canonical` spells them one way.

Order: sections sort as the Code prints them. The digits after the point are a whole number
(3-501.19 comes before 3-501.110), and a section comes before its paragraphs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ROMAN_NUMERALS = ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x")
_ROMAN = {numeral: value for value, numeral in enumerate(_ROMAN_NUMERALS, 1)}

# Prefixes people put before a section number: §, ¶, "Section", "Sec.", "FC", "Food Code".
_PREFIX = re.compile(r"^(?:§+|¶+|(?:fda\s+)?food\s+code|fc|section|sec\.?)\s*", re.IGNORECASE)
# Hyphen, non-breaking hyphen, figure dash, en dash, em dash, minus sign: all typed as "-".
_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2212", "-"))
_BODY = re.compile(
    r"(?P<chapter>[1-8])-(?P<part>\d{3})\.(?P<number>\d{2,3})"
    r"(?P<paragraphs>(?:\([^()]*\))*)"
)
_PARAGRAPH = re.compile(r"\(([^()]*)\)")

# The canonical spelling, as the catalogue's data file must use it.
CANONICAL_SECTION = re.compile(
    r"^[1-8]-\d{3}\.\d{2,3}"
    r"(?:\([A-Z]\)(?:\(\d{1,2}\)(?:\([a-z]\)(?:\((?:" + "|".join(_ROMAN_NUMERALS) + r")\))?)?)?)?$"
)


@dataclass(frozen=True, slots=True)
class SectionRef:
    """A parsed section number with its paragraph path, e.g. 3-501.16 + ("A", "2")."""

    chapter: int
    part: int
    number: int
    paragraphs: tuple[str, ...] = ()

    @property
    def section(self) -> str:
        """The section without paragraphs: `3-501.16`."""
        return f"{self.chapter}-{self.part:03d}.{self.number}"

    @property
    def canonical(self) -> str:
        return self.section + "".join(f"({p})" for p in self.paragraphs)

    @property
    def parent(self) -> SectionRef | None:
        """The enclosing paragraph (or the plain section); None for a plain section."""
        if not self.paragraphs:
            return None
        return SectionRef(self.chapter, self.part, self.number, self.paragraphs[:-1])

    def contains(self, other: SectionRef) -> bool:
        """True when `other` is this section or paragraph, or lies inside it."""
        same_section = self.section == other.section
        return same_section and other.paragraphs[: len(self.paragraphs)] == self.paragraphs

    @property
    def order_key(self) -> tuple[int, ...]:
        key = [self.chapter, self.part, self.number]
        for level, paragraph in enumerate(self.paragraphs):
            if level == 1:
                key.append(int(paragraph))
            elif level == 3:
                key.append(_ROMAN[paragraph])
            else:
                key.append(ord(paragraph))
        return tuple(key)

    def __str__(self) -> str:
        return self.canonical


def parse_section(text: str) -> SectionRef | None:
    """Parse a section number as people write it; None when it is not one."""
    cleaned = text.strip().translate(_DASHES)
    while True:
        stripped = _PREFIX.sub("", cleaned, count=1)
        if stripped == cleaned:
            break
        cleaned = stripped
    cleaned = re.sub(r"\s+", "", cleaned).rstrip(".,;:")
    match = _BODY.fullmatch(cleaned)
    if match is None:
        return None
    paragraphs: list[str] = []
    for level, raw in enumerate(_PARAGRAPH.findall(match["paragraphs"])):
        paragraph = _paragraph(level, raw)
        if paragraph is None:
            return None
        paragraphs.append(paragraph)
    return SectionRef(
        chapter=int(match["chapter"]),
        part=int(match["part"]),
        number=int(match["number"]),
        paragraphs=tuple(paragraphs),
    )


def _paragraph(level: int, raw: str) -> str | None:
    """One designator, spelled as the Code spells it at that depth; None if it can't be."""
    if level == 0 and len(raw) == 1 and raw.isalpha():
        return raw.upper()
    if level == 1 and raw.isdigit() and len(raw) <= 2:
        return str(int(raw))
    if level == 2 and len(raw) == 1 and raw.isalpha():
        return raw.lower()
    if level == 3 and raw.lower() in _ROMAN:
        return raw.lower()
    return None
