"""Establishments as every layer sees them: the record, its risk category, the folded
name the `name:` filter searches, and the scope a licence number is unique in."""

from __future__ import annotations

import enum
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from opengovfood.domain.departments import DEFAULT_DEPARTMENT_ID
from opengovfood.domain.items import make_etag


class RiskCategory(enum.IntEnum):
    """Food Code Annex 5 risk categories; stored as their number (0: not assessed)."""

    UNSPECIFIED = 0
    CATEGORY_1 = 1
    CATEGORY_2 = 2
    CATEGORY_3 = 3
    CATEGORY_4 = 4


def fold(text: str) -> str:
    """Text as the `name:` filter compares it: accents removed (NFKD, combining marks
    dropped) and case folded, so "Café Olé" and "CAFE OLE" meet. Stored next to the
    name at every write, so both backends search it with a plain case-insensitive
    substring match and no database extension."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", stripped).casefold()


def license_scope(department_id: int) -> int:
    """The group within which a licence number must be unique: the department (the
    0008 migration recomputed `establishments.license_scope` from the owner's)."""
    return department_id


@dataclass(frozen=True, slots=True)
class Address:
    street: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""


ADDRESS_PARTS = ("street", "city", "state", "postal_code")


@dataclass(frozen=True, slots=True)
class EstablishmentRecord:
    id: int
    name: str
    address: Address
    license_number: str  # "" when none is recorded
    facility_type: str
    risk_category: RiskCategory
    owner_id: int
    create_time: datetime
    update_time: datetime
    version: int
    department_id: int = DEFAULT_DEPARTMENT_ID  # the creator's; every member reads it

    @property
    def etag(self) -> str:
        return make_etag(self.id, self.version, self.create_time)

    # Flat views for filters evaluated in Python (the in-memory repository).
    @property
    def city(self) -> str:
        return self.address.city

    @property
    def state(self) -> str:
        return self.address.state

    @property
    def postal_code(self) -> str:
        return self.address.postal_code

    @property
    def name_folded(self) -> str:
        return fold(self.name)


@dataclass(frozen=True, slots=True)
class NewEstablishment:
    """An establishment to create (fields validated); the repository adds id, times,
    version."""

    name: str
    address: Address
    license_number: str
    facility_type: str
    risk_category: RiskCategory
    owner_id: int
    department_id: int = DEFAULT_DEPARTMENT_ID


@dataclass(frozen=True, slots=True)
class EstablishmentChanges:
    """The fields an update sets (validated); None leaves a field as it is. Address
    parts are set one by one."""

    name: str | None = None
    street: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    license_number: str | None = None
    facility_type: str | None = None
    risk_category: RiskCategory | None = None

    def fields(self) -> dict[str, object]:
        return {
            name: getattr(self, name)
            for name in UPDATABLE_COLUMNS
            if getattr(self, name) is not None
        }


UPDATABLE_COLUMNS = (
    "name",
    "street",
    "city",
    "state",
    "postal_code",
    "license_number",
    "facility_type",
    "risk_category",
)


class LicenseTaken(Exception):
    """A write would give two establishments of one scope the same licence number."""


class HasInspections(Exception):
    """A delete refused: items still name the establishment."""


@dataclass(frozen=True, slots=True)
class PriorEstablishmentRequest:
    """An idempotent create whose request_id was used before: what that call sent and
    the establishment it created (None: deleted since)."""

    body_hash: str
    establishment: EstablishmentRecord | None
