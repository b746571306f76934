"""The Food Code catalogue: the violation types an inspection report uses, as data.

`foodcode.toml` beside this module holds the FDA Food Code 2022 sections inspectors cite,
each with its FDA Form 3-A item (1-56), its designation (Priority, Priority Foundation,
Core), the usual corrective action and its measurable limits; and the 56 Form 3-A items
with their official short titles. `catalogue()` reads and validates it once per process.

Lookups accept sections as people write them (`3-501.16 (a)(2)`, `§3-501.16(A)(2)`):
- `lookup("3-501.16")` → every entry of that section or inside it, in Food Code order;
  for a paragraph the catalogue does not split down to (`3-501.16(A)(2)(b)`), the entry of
  the nearest enclosing paragraph;
- `get(section)` → the entry with exactly that section (KeyError otherwise);
- `resolve(section, form_item=None)` → one entry for a citation: the exact entry, else the
  matching entry of the given Form 3-A item, else the most serious matching entry.

No I/O besides reading the data file, no framework imports: any layer may use it.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from pathlib import Path

from opengovfood.inspection.limits import Limit, parse_limit
from opengovfood.inspection.sections import CANONICAL_SECTION, SectionRef, parse_section

FORM_ITEM_COUNT = 56
# Form 3-A items 1-29 are risk factors and public-health interventions; 30-56 good retail
# practices.
LAST_RISK_FACTOR_ITEM = 29
DATA_FILE = "foodcode.toml"
SCHEMA_VERSION = 1


class Designation(StrEnum):
    """The Food Code's three designations, spelled as its paragraph markers."""

    PRIORITY = "P"
    PRIORITY_FOUNDATION = "Pf"
    CORE = "C"

    @property
    def label(self) -> str:
        return _DESIGNATION_LABELS[self]

    @property
    def rank(self) -> int:
        """0 for Priority (most serious) to 2 for Core."""
        return list(Designation).index(self)


_DESIGNATION_LABELS = {
    Designation.PRIORITY: "Priority",
    Designation.PRIORITY_FOUNDATION: "Priority Foundation",
    Designation.CORE: "Core",
}


class CatalogueError(ValueError):
    """The data file is malformed; the message lists every problem found."""


@dataclass(frozen=True, slots=True)
class FormItem:
    number: int
    title: str
    group: str

    @property
    def is_risk_factor(self) -> bool:
        return self.number <= LAST_RISK_FACTOR_ITEM


@dataclass(frozen=True, slots=True)
class ViolationType:
    section: str
    title: str
    form_item: int
    designation: Designation
    corrective_action: str
    limits: tuple[Limit, ...] = ()
    primary: bool = False

    @property
    def ref(self) -> SectionRef:
        ref = parse_section(self.section)
        assert ref is not None, self.section  # validated at load
        return ref

    @property
    def base_section(self) -> str:
        """The section without its paragraph designators: `3-501.16` for `3-501.16(A)(2)`."""
        return self.ref.section


class Catalogue:
    """Validated, immutable catalogue; iterate it for the entries in Food Code order."""

    def __init__(
        self,
        edition: str,
        form_items: tuple[FormItem, ...],
        violation_types: tuple[ViolationType, ...],
    ) -> None:
        self.edition = edition
        self._form_items = {item.number: item for item in form_items}
        self._entries = violation_types
        by_base: dict[str, list[tuple[SectionRef, ViolationType]]] = {}
        for entry in violation_types:
            by_base.setdefault(entry.base_section, []).append((entry.ref, entry))
        self._by_base = {base: tuple(refs) for base, refs in by_base.items()}
        self._by_section = {entry.section: entry for entry in violation_types}
        by_item: dict[int, list[ViolationType]] = {n: [] for n in self._form_items}
        for entry in violation_types:
            by_item[entry.form_item].append(entry)
        self._by_item = {n: tuple(entries) for n, entries in by_item.items()}
        self._primary = {e.form_item: e for e in violation_types if e.primary}

    def __iter__(self) -> Iterator[ViolationType]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def form_items(self) -> tuple[FormItem, ...]:
        """The 56 Form 3-A items in order."""
        return tuple(self._form_items[n] for n in sorted(self._form_items))

    def form_item(self, number: int) -> FormItem:
        try:
            return self._form_items[number]
        except KeyError:
            raise KeyError(f"Form 3-A has items 1-{FORM_ITEM_COUNT}, not {number}") from None

    def by_form_item(self, number: int) -> tuple[ViolationType, ...]:
        self.form_item(number)
        return self._by_item[number]

    def primary(self, number: int) -> ViolationType:
        """The entry most often cited for a Form 3-A item."""
        self.form_item(number)
        return self._primary[number]

    def lookup(self, section: str) -> tuple[ViolationType, ...]:
        ref = parse_section(section)
        if ref is None:
            return ()
        in_section = self._by_base.get(ref.section, ())
        found = tuple(entry for entry_ref, entry in in_section if ref.contains(entry_ref))
        if found:
            return found
        ancestor = ref.parent
        while ancestor is not None:
            entry = self._by_section.get(ancestor.canonical)
            if entry is not None:
                return (entry,)
            ancestor = ancestor.parent
        return ()

    def get(self, section: str) -> ViolationType:
        ref = parse_section(section)
        entry = self._by_section.get(ref.canonical) if ref is not None else None
        if entry is None:
            raise KeyError(f"no catalogue entry for section {section!r}")
        return entry

    def resolve(self, section: str, form_item: int | None = None) -> ViolationType | None:
        candidates = self.lookup(section)
        if form_item is not None:
            candidates = tuple(c for c in candidates if c.form_item == form_item)
        if not candidates:
            return None
        ref = parse_section(section)
        for candidate in candidates:
            if ref is not None and candidate.section == ref.canonical:
                return candidate
        return min(candidates, key=lambda c: c.designation.rank)

    def is_known(self, section: str) -> bool:
        return bool(self.lookup(section))


@functools.cache
def catalogue() -> Catalogue:
    """The packaged catalogue, read and validated once per process."""
    data = resources.files(__package__).joinpath(DATA_FILE).read_text(encoding="utf-8")
    return parse_catalogue(data, source=DATA_FILE)


def load_catalogue(path: Path) -> Catalogue:
    """A catalogue from another file (tests, a department's own copy)."""
    return parse_catalogue(path.read_text(encoding="utf-8"), source=str(path))


def parse_catalogue(text: str, source: str = DATA_FILE) -> Catalogue:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{source}: not valid TOML: {exc}") from None
    errors: list[str] = []
    catalogue = _build(document, errors)
    if errors:
        listed = "\n  ".join(errors)
        raise CatalogueError(f"{source}: {len(errors)} problem(s):\n  {listed}")
    assert catalogue is not None
    return catalogue


_TOP_LEVEL_KEYS = {"schema_version", "food_code_edition", "form_items", "violations"}


def _build(document: Mapping[str, object], errors: list[str]) -> Catalogue | None:
    unknown = sorted(set(document) - _TOP_LEVEL_KEYS)
    if unknown:
        errors.append(f"unknown top-level key(s): {', '.join(unknown)}")
    if document.get("schema_version") != SCHEMA_VERSION:
        errors.append(f"`schema_version` must be {SCHEMA_VERSION}")
    edition = document.get("food_code_edition")
    if not isinstance(edition, str) or not edition:
        errors.append("`food_code_edition` must be a non-empty string")
        edition = ""
    form_items = _form_items(document.get("form_items"), errors)
    entries = _violation_types(document.get("violations"), errors)
    _check_coverage(entries, errors)
    if errors:
        return None
    return Catalogue(edition, form_items, entries)


def _form_items(raw: object, errors: list[str]) -> tuple[FormItem, ...]:
    if not isinstance(raw, list):
        errors.append("`form_items` must be an array of tables ([[form_items]])")
        return ()
    items: dict[int, FormItem] = {}
    for index, table in enumerate(raw):
        where = f"form_items[{index}]"
        if not isinstance(table, dict) or set(table) != {"number", "title", "group"}:
            errors.append(f"{where}: needs exactly `number`, `title` and `group`")
            continue
        number, title, group = table["number"], table["title"], table["group"]
        if not _is_item_number(number):
            errors.append(f"{where}: `number` must be 1-{FORM_ITEM_COUNT}, not {number!r}")
            continue
        if not (isinstance(title, str) and title.strip() and isinstance(group, str) and group):
            errors.append(f"{where} (item {number}): `title` and `group` must be non-empty")
            continue
        if number in items:
            errors.append(f"{where}: item {number} is listed twice")
        items[number] = FormItem(number, title, group)
    missing = sorted(set(range(1, FORM_ITEM_COUNT + 1)) - set(items))
    if missing:
        errors.append(f"`form_items` lacks item(s) {_numbers(missing)}")
    return tuple(items[n] for n in sorted(items))


_VIOLATION_KEYS = {"section", "title", "form_item", "designation", "corrective_action"}
_OPTIONAL_KEYS = {"primary", "limits"}


def _violation_types(raw: object, errors: list[str]) -> tuple[ViolationType, ...]:
    if not isinstance(raw, list) or not raw:
        errors.append("`violations` must be a non-empty array of tables ([[violations]])")
        return ()
    entries: list[ViolationType] = []
    seen: set[str] = set()
    previous: SectionRef | None = None
    for index, table in enumerate(raw):
        entry = _violation_type(table, f"violations[{index}]", errors)
        if entry is None:
            continue
        if entry.section in seen:
            errors.append(f"violations[{index}]: section {entry.section} appears more than once")
        seen.add(entry.section)
        if previous is not None and entry.ref.order_key < previous.order_key:
            errors.append(
                f"violations[{index}]: {entry.section} is out of Food Code order "
                f"(after {previous.canonical})"
            )
        previous = entry.ref
        entries.append(entry)
    return tuple(entries)


def _violation_type(table: object, where: str, errors: list[str]) -> ViolationType | None:
    if not isinstance(table, dict):
        errors.append(f"{where}: must be a table")
        return None
    section = table.get("section")
    if isinstance(section, str):
        where = f"{where} ({section})"
    before = len(errors)
    missing = sorted(_VIOLATION_KEYS - set(table))
    if missing:
        errors.append(f"{where}: missing {', '.join(missing)}")
    unknown = sorted(set(table) - _VIOLATION_KEYS - _OPTIONAL_KEYS)
    if unknown:
        errors.append(f"{where}: unknown field(s) {', '.join(unknown)}")
    if not isinstance(section, str) or not CANONICAL_SECTION.match(section):
        errors.append(
            f"{where}: `section` {section!r} is not a Food Code section such as "
            "`3-501.16` or `3-501.16(A)(2)`"
        )
    title, action = table.get("title"), table.get("corrective_action")
    for key, value in (("title", title), ("corrective_action", action)):
        if key in table and not (isinstance(value, str) and value.strip()):
            errors.append(f"{where}: `{key}` must be a non-empty string")
    form_item = table.get("form_item")
    if "form_item" in table and not _is_item_number(form_item):
        errors.append(f"{where}: `form_item` must be 1-{FORM_ITEM_COUNT}, not {form_item!r}")
    designation: Designation | None = None
    try:
        designation = Designation(str(table.get("designation")))
    except ValueError:
        errors.append(
            f"{where}: `designation` is {table.get('designation')!r}; expected P, Pf or C"
        )
    primary = table.get("primary", False)
    if not isinstance(primary, bool):
        errors.append(f"{where}: `primary` must be true or false")
    limits = _limits(table.get("limits", []), where, errors)
    if len(errors) > before:
        return None
    # Narrowing for the type checker: every case was checked above.
    assert isinstance(section, str)
    assert isinstance(title, str)
    assert isinstance(action, str)
    assert isinstance(form_item, int)
    assert designation is not None
    assert isinstance(primary, bool)
    return ViolationType(section, title, form_item, designation, action, limits, primary)


def _limits(raw: object, where: str, errors: list[str]) -> tuple[Limit, ...]:
    if not isinstance(raw, list):
        errors.append(f"{where}: `limits` must be an array of tables ([[violations.limits]])")
        return ()
    parsed = (parse_limit(table, f"{where} limits[{i}]", errors) for i, table in enumerate(raw))
    return tuple(limit for limit in parsed if limit is not None)


def _check_coverage(entries: tuple[ViolationType, ...], errors: list[str]) -> None:
    covered = {entry.form_item for entry in entries}
    missing = sorted(set(range(1, FORM_ITEM_COUNT + 1)) - covered)
    if entries and missing:
        errors.append(f"no violation type for Form 3-A item(s) {_numbers(missing)}")
    primaries: dict[int, list[str]] = {}
    for entry in entries:
        if entry.primary:
            primaries.setdefault(entry.form_item, []).append(entry.section)
    for number in sorted(covered):
        marked = primaries.get(number, [])
        if len(marked) != 1:
            which = ", ".join(marked) if marked else "none"
            errors.append(
                f"Form 3-A item {number} needs exactly one entry with `primary = true` "
                f"(found {which})"
            )


def _is_item_number(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= FORM_ITEM_COUNT


def _numbers(numbers: list[int]) -> str:
    return ", ".join(str(n) for n in numbers)
