"""Demo users and items to try the service with (`opengov-food db seed`): the demo
inspector also gets the 342 real Chicago inspections of the shipped sample, with their
establishments and cited violations (services/imports.py), to export and report on."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from opengovfood.domain.principal import Principal
from opengovfood.errors import AlreadyExists
from opengovfood.inspection.chicago_import import sample
from opengovfood.services.imports import ImportService
from opengovfood.services.items import ItemService
from opengovfood.services.users import UserInput, UserService

DEMO_USERS = (
    ("admin@example.org", "Demo Administrator", True),
    ("inspector@example.org", "Demo Inspector", False),
    ("analyst@example.org", "Demo Analyst", False),
)
DEMO_ITEMS = (
    (
        "Walk-in cooler temperature log",
        "Cooler read 7 °C at 10:40; log shows no readings since Monday.",
        "pending",
    ),
    (
        "Hand-wash station, prep line 2",
        "No soap or paper towels; sink used for thawing chicken.",
        "in_progress",
    ),
    (
        "Allergen labelling, bakery counter",
        "Nut-containing pastries unlabelled next to nut-free items.",
        "completed",
    ),
)


@dataclass(frozen=True)
class SeededUser:
    email: str
    password: str
    is_superuser: bool


@dataclass(frozen=True)
class SeedResult:
    users: list[SeededUser]
    items: int
    inspections: int = 0  # imported from the Chicago sample


# The demo user who gets the Chicago sample's inspections.
INSPECTIONS_OWNER = "inspector@example.org"


async def seed(
    users: UserService, item_service: ItemService, imports: ImportService | None = None
) -> SeedResult:
    """Create the demo users that do not exist yet (with fresh random passwords) and
    give each new ordinary user the demo items, and the demo inspector the Chicago
    sample's inspections. Existing users are left alone."""
    created: list[SeededUser] = []
    items = 0
    inspections = 0
    for email, full_name, superuser in DEMO_USERS:
        password = secrets.token_urlsafe(12)
        try:
            user = await users.create_user(
                UserInput(email=email, full_name=full_name, is_active=True, is_superuser=superuser),
                password,
            )
        except AlreadyExists:
            continue
        created.append(SeededUser(email, password, superuser))
        if not superuser:
            owner = Principal(kind="user", user_id=user.id, name=user.email)
            for title, description, status in DEMO_ITEMS:
                await item_service.create_item(
                    owner, title=title, description=description, status=status
                )
                items += 1
            if imports is not None and email == INSPECTIONS_OWNER:
                with sample() as lines:
                    inspections = (await imports.import_chicago(owner, lines)).imported
    return SeedResult(created, items, inspections)
