"""The statements ListItems really sends are served by the items indexes: no table
scan and no sort for the default order, on page one and on keyset pages."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import event

from opengovfood.domain.principal import Principal, Role
from opengovfood.repositories.items import ItemRepository
from opengovfood.services.items import ItemService
from opengovfood.services.watch import ItemEventHub

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from support.server import RunningServer, UserFactory


@contextmanager
def captured_selects(engine: AsyncEngine) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def before(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM items" in statement:
            seen.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", before)


async def _plan(engine: AsyncEngine, statement: str, parameters: Any) -> str:
    async with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = (await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)).all()
            return "\n".join(str(r[-1]) for r in rows)
        # On small test tables a scan or bitmap + sort is cheapest, and the choice follows
        # the statistics; ask instead whether an index CAN serve the order by itself.
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            await conn.exec_driver_sql(f"SET LOCAL {setting} = off")
        rows = (await conn.exec_driver_sql("EXPLAIN " + statement, parameters)).all()
        await conn.rollback()
        return "\n".join(str(r[0]) for r in rows)


async def _list_statements(
    service: ItemService, engine: AsyncEngine, principal: Principal, filter: str = ""
) -> list[str]:
    pages = await _page_statements(service, engine, principal, filter)
    return [await _plan(engine, s, p) for s, p in pages]


async def _page_statements(
    service: ItemService, engine: AsyncEngine, principal: Principal, filter: str = ""
) -> list[tuple[str, Any]]:
    # Through the engine only, where its events see the SQL; the SQLite fast path
    # (db/fast_reads.py) runs the same statements compiled for the same dialect.
    service = ItemService(
        ItemRepository(engine), ItemEventHub(10, use_notify=False), service._page_tokens
    )
    with captured_selects(engine) as seen:
        first = await service.list_items(principal, page_size=2, filter=filter)
        await service.list_items(
            principal, page_size=2, filter=filter, page_token=first.next_page_token
        )
    pages = [(s, p) for s, p in seen if "count(" not in s.lower()]
    assert len(pages) == 2
    return pages


async def test_default_order_uses_the_owner_index(
    server: RunningServer, make_user: UserFactory
) -> None:
    container = server.app.container
    user = await make_user()
    # An inspector's scope: the owner within their department, an index prefix.
    principal = Principal(
        kind="user", user_id=user.id, name=user.email, department_id=user.department_id
    )
    for n in range(5):
        await container.items.create_item(
            principal, title=f"plan {n}", status="completed" if n % 2 else None
        )

    for plan in await _list_statements(container.items, container.engine, principal):
        assert "ix_items_owner_id_department_id_create_time_id" in plan, plan
        assert "TEMP B-TREE" not in plan, plan
        assert "Sort" not in plan, plan

    # A supervisor: the department's index in the default order, no sort.
    supervisor = Principal(
        kind="user",
        user_id=user.id,
        name="sue",
        department_id=user.department_id,
        role=Role.SUPERVISOR,
    )
    for plan in await _list_statements(container.items, container.engine, supervisor):
        assert "ix_items_department_id_create_time_id" in plan, plan
        assert "TEMP B-TREE" not in plan, plan
        assert "Sort" not in plan, plan

    # All items (superuser): the create_time index, still no sort.
    admin = Principal(kind="user", user_id=user.id, name="admin", is_superuser=True)
    for plan in await _list_statements(container.items, container.engine, admin):
        assert "ix_items_create_time_id" in plan, plan
        assert "TEMP B-TREE" not in plan, plan
        assert "Sort" not in plan, plan


async def test_owner_status_filter_is_served_by_an_owner_index(
    server: RunningServer, make_user: UserFactory
) -> None:
    container = server.app.container
    user = await make_user()
    principal = Principal(
        kind="user", user_id=user.id, name=user.email, department_id=user.department_id
    )
    for n in range(5):
        await container.items.create_item(principal, title=f"plan {n}")
    for plan in await _list_statements(
        container.items, container.engine, principal, filter="status = PENDING"
    ):
        assert "ix_items_owner_id_" in plan, plan
        assert "SCAN items\n" not in plan + "\n", plan
        assert "Seq Scan" not in plan, plan


async def test_a_scoped_page_never_walks_the_all_owners_index(
    server: RunningServer, make_user: UserFactory
) -> None:
    """The all-owners and department order indexes are partial on predicates only
    unscoped / department-wide statements state (migration 0013): even with the
    scope's own indexes gone, a narrower scope's page cannot walk a wider index
    filtering out everyone else's items (what PostgreSQL chose when one owner held
    most rows), while the statements they are for still use them."""
    container = server.app.container
    engine = container.engine
    user = await make_user()
    inspector = Principal(
        kind="user", user_id=user.id, name=user.email, department_id=user.department_id
    )
    supervisor = Principal(
        kind="user",
        user_id=user.id,
        name="sue",
        department_id=user.department_id,
        role=Role.SUPERVISOR,
    )
    admin = Principal(kind="user", user_id=user.id, name="admin", is_superuser=True)
    await container.items.create_item(inspector, title="plan")
    owners = await _page_statements(container.items, engine, inspector)
    departments = await _page_statements(container.items, engine, supervisor)
    scoped = owners + departments
    unscoped = await _page_statements(container.items, engine, admin)
    async with engine.connect() as conn:
        for index in (
            "ix_items_owner_id_department_id_create_time_id",
            "ix_items_owner_id_department_id_status",
            "ix_items_owner_id_inspect_time_id",
        ):
            await conn.exec_driver_sql(f"DROP INDEX {index}")
        for statement in owners:  # an owner's page: neither wider index
            plan = await _plan_on(conn, statement)
            assert "ix_items_create_time_id" not in plan, plan
            assert "ix_items_department_id_create_time_id" not in plan, plan
        for statement in departments:
            assert "ix_items_department_id_create_time_id" in await _plan_on(conn, statement)
        await conn.exec_driver_sql("DROP INDEX ix_items_department_id_create_time_id")
        for statement in departments:  # a department's page: not the all-owners index
            plan = await _plan_on(conn, statement)
            assert "ix_items_create_time_id" not in plan, plan
        for statement in unscoped:
            assert "ix_items_create_time_id" in await _plan_on(conn, statement)
        await conn.rollback()
    async with engine.connect() as conn:  # the drops were rolled back
        for statement in scoped:
            plan = await _plan_on(conn, statement)
            assert "ix_items_create_time_id" not in plan, plan
            assert "department_id_create_time_id" in plan, plan  # the scope's own index
        await conn.rollback()


async def _plan_on(conn: Any, statement: tuple[str, Any]) -> str:
    """EXPLAIN a captured statement (its plan text) on an open connection, index scans
    preferred on PostgreSQL as in _plan."""
    sql, parameters = statement
    if conn.dialect.name == "sqlite":
        rows = (await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, parameters)).all()
        return "\n".join(str(r[-1]) for r in rows)
    for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
        await conn.exec_driver_sql(f"SET LOCAL {setting} = off")
    rows = (await conn.exec_driver_sql("EXPLAIN " + sql, parameters)).all()
    return "\n".join(str(r[0]) for r in rows)
