"""ListEstablishments' total_size is exact: summed from the trigger-kept
establishment_counts (by department and owner) when the filter is empty or names
owner_id only, in every scope (a member's department, a department service's, a
superuser's and a platform service's everything); counted over the rows for any
other filter. Creates, deletes and bulk SQL (rows moved between departments and
owners) keep the sums equal to COUNT(*)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select, text

from opengovfood.db.models import Establishment, EstablishmentCount
from opengovfood.domain.principal import SCOPE_ITEMS_READ
from opengovfood_client.v1 import establishments_pb2 as pb
from opengovfood_client.v1 import establishments_pb2_grpc

if TYPE_CHECKING:
    from support.server import RunningServer, UserFactory

Stub = establishments_pb2_grpc.EstablishmentServiceStub
Metadata = tuple[tuple[str, str], ...]


def _place(name: str, city: str) -> pb.Establishment:
    return pb.Establishment(
        name=name,
        address=pb.Address(street="1 Main St", city=city, state="IL", postal_code="60614"),
        facility_type="Restaurant",
        risk_category=pb.RISK_CATEGORY_1,
    )


async def _total(stub: Stub, metadata: Metadata, filter: str = "") -> int:
    page = await stub.ListEstablishments(
        pb.ListEstablishmentsRequest(page_size=1, filter=filter), metadata=metadata, timeout=10
    )
    return page.total_size


async def _counts_match_the_rows(server: RunningServer) -> None:
    async with server.app.container.sessions() as session:
        kept = {
            (d, o): int(n)
            for d, o, n in (
                await session.execute(
                    select(
                        EstablishmentCount.department_id,
                        EstablishmentCount.owner_id,
                        func.sum(EstablishmentCount.n),
                    )
                    .group_by(EstablishmentCount.department_id, EstablishmentCount.owner_id)
                    .having(func.sum(EstablishmentCount.n) != 0)
                )
            ).all()
        }
        counted = {
            (d, o): int(n)
            for d, o, n in (
                await session.execute(
                    select(
                        Establishment.department_id, Establishment.owner_id, func.count()
                    ).group_by(Establishment.department_id, Establishment.owner_id)
                )
            ).all()
        }
    assert kept == counted


async def _count_star(server: RunningServer, department: int | None, where: str) -> int:
    conditions = [where] if where else []
    if department is not None:
        conditions.append(f"department_id = {int(department)}")
    sql = "SELECT count(*) FROM establishments" + (
        " WHERE " + " AND ".join(conditions) if conditions else ""
    )
    async with server.app.container.sessions() as session:
        return int((await session.execute(text(sql))).scalar_one())


async def test_totals_follow_writes_and_moves_in_every_scope(
    server: RunningServer, establishments_stub: Stub, make_user: UserFactory
) -> None:
    a, b = await make_user.department(), await make_user.department()
    ana = await make_user(department_id=a)
    ben = await make_user(department_id=a)
    zed = await make_user(department_id=b)
    root = await make_user(superuser=True)
    service_a = make_user.service_token(
        "county-a", frozenset({SCOPE_ITEMS_READ, f"department:{a}"})
    )
    platform = make_user.service_token("platform", frozenset({SCOPE_ITEMS_READ}))
    scopes: dict[str, tuple[Metadata, int | None]] = {
        "ana": (ana.metadata, a),
        "ben": (ben.metadata, a),
        "zed": (zed.metadata, b),
        "root": (root.metadata, None),
        "service a": (service_a, a),
        "platform": (platform, None),
    }

    async def check() -> None:
        await _counts_match_the_rows(server)
        filters = {
            "": "",
            f"owner_id = {ben.id}": f"owner_id = {ben.id}",
            f"owner_id != {ana.id}": f"owner_id <> {ana.id}",
            # Counted over the rows (the indexes' filters).
            'city = "Chicago"': "city = 'Chicago'",
            'name:"cafe"': "name_folded LIKE '%cafe%'",
        }
        for name, (metadata, department) in scopes.items():
            for api_filter, sql in filters.items():
                expected = await _count_star(server, department, sql)
                assert await _total(establishments_stub, metadata, api_filter) == expected, (
                    name,
                    api_filter,
                )

    made = {
        who.id: [
            await establishments_stub.CreateEstablishment(
                pb.CreateEstablishmentRequest(
                    establishment=_place(
                        f"{'Café' if n % 2 else 'Diner'} {n}", "Chicago" if n % 3 else "Skokie"
                    )
                ),
                metadata=who.metadata,
                timeout=10,
            )
            for n in range(5)
        ]
        for who in (ana, ben, zed)
    }
    await check()

    for place in made[ana.id][:2]:
        await establishments_stub.DeleteEstablishment(
            pb.DeleteEstablishmentRequest(id=place.id), metadata=ana.metadata, timeout=10
        )
    # Bulk SQL (the triggers count whoever writes): one of Zed's moves to A under Ben,
    # one of Ben's goes to another owner in the same department.
    async with server.app.container.sessions() as session, session.begin():
        await session.execute(
            text(
                f"UPDATE establishments SET department_id = {a}, owner_id = {ben.id}"
                f" WHERE id = {made[zed.id][0].id}"
            )
        )
        await session.execute(
            text(f"UPDATE establishments SET owner_id = {ana.id} WHERE id = {made[ben.id][1].id}")
        )
        await session.execute(delete(Establishment).where(Establishment.id == made[zed.id][4].id))
    await check()


async def test_the_total_is_read_from_establishment_counts(
    server: RunningServer, establishments_stub: Stub, make_user: UserFactory
) -> None:
    """One made-up row of the counts shows in the unfiltered and owner-filtered totals
    of every scope that sees it, and in no other filter's."""
    department = await make_user.department()
    user = await make_user(department_id=department)
    root = await make_user(superuser=True)
    for n in range(3):
        await establishments_stub.CreateEstablishment(
            pb.CreateEstablishmentRequest(establishment=_place(f"Grill {n}", "Chicago")),
            metadata=user.metadata,
            timeout=10,
        )
    assert await _total(establishments_stub, user.metadata) == 3
    sessions = server.app.container.sessions
    async with sessions() as session, session.begin():
        await session.execute(
            text(
                "INSERT INTO establishment_counts (department_id, owner_id, slot, n)"
                " VALUES (:d, :o, 99, 4)"
            ),
            {"d": department, "o": user.id},
        )
    try:
        assert await _total(establishments_stub, user.metadata) == 7
        assert await _total(establishments_stub, user.metadata, f"owner_id = {user.id}") == 7
        assert await _total(establishments_stub, root.metadata, f"owner_id = {user.id}") == 7
        assert await _total(establishments_stub, user.metadata, 'city = "Chicago"') == 3
    finally:
        async with sessions() as session, session.begin():
            await session.execute(
                delete(EstablishmentCount).where(
                    EstablishmentCount.owner_id == user.id, EstablishmentCount.slot == 99
                )
            )
