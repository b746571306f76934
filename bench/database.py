"""A throwaway database per run, migrated and seeded with bulk SQL before the server starts.

Seeding goes straight to the database (a recursive CTE on SQLite, generate_series
on PostgreSQL): a million items take seconds instead of a million RPCs.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bcrypt
from sqlalchemy.engine import make_url

from opengovfood.db import migrate

PASSWORD = "bench-password-1"
SEED_TIME = "2024-01-01 00:00:00"


@dataclass
class Database:
    url: str
    backend: str  # sqlite | postgresql
    user_ids: dict[str, int] = field(default_factory=dict)


@contextmanager
def throwaway_database(backend: str, tmp: Path, pg_url: str) -> Iterator[Database]:
    if backend == "sqlite":
        yield Database(f"sqlite+aiosqlite:///{tmp / 'bench.db'}", "sqlite")
        return
    name = f"ogf_bench_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_admin(pg_url, f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(pg_url).set(drivername="postgresql+asyncpg", database=name)
        yield Database(url.render_as_string(hide_password=False), "postgresql")
    finally:
        asyncio.run(_pg_admin(pg_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _pg_connect(url: str, database: str | None = None) -> object:
    import asyncpg  # type: ignore[import-untyped]

    parsed = make_url(url)
    return await asyncpg.connect(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        database=database or parsed.database or "postgres",
    )


async def _pg_admin(url: str, statement: str) -> None:
    connection = await _pg_connect(url, "postgres")
    try:
        await connection.execute(statement)  # type: ignore[attr-defined]
    finally:
        await connection.close()  # type: ignore[attr-defined]


def _sqlite_path(url: str) -> str:
    database = make_url(url).database
    assert database is not None
    return database


def prepare(
    db: Database,
    users: dict[str, int],
    rounds: int = 12,
    establishments: dict[str, int] | None = None,
    supervisors: frozenset[str] = frozenset(),
    separate_departments: bool = False,
    vacuum: bool = False,
) -> None:
    """Migrate, then add one user per name in `users` owning that many items (and,
    per name in `establishments`, that many establishments). Every user is an
    inspector of the default department, but those named in `supervisors`: they
    read the whole department. `separate_departments`: each user (with their items
    and establishments) in a department of their own instead. `vacuum` (PostgreSQL):
    VACUUM ANALYZE after seeding, as autovacuum would after so many inserts, so the
    visibility map lets index-only scans skip the heap (a steady-state database).

    Every user has the password PASSWORD, hashed at the server's bcrypt cost so
    Login measures the real work.
    """
    migrate.upgrade(db.url)
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds)).decode()
    if db.backend == "sqlite":
        _seed_sqlite(db, users, hashed, establishments or {}, supervisors, separate_departments)
    else:
        asyncio.run(
            _seed_pg(
                db, users, hashed, establishments or {}, supervisors, separate_departments, vacuum
            )
        )


# Establishments: names spread over the alphabet (the default order is by name), a
# tenth of them accented, cities and risk categories in rotation, unique licences.
_SQLITE_ESTABLISHMENTS = (
    "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?)"
    " INSERT INTO establishments (owner_id, name, name_folded, street, city, state,"
    " postal_code, license_number, license_scope, facility_type, risk_category,"
    " create_time, update_time, version, department_id)"
    " SELECT ?, name, lower(replace(name, 'é', 'e')), n || ' N Clark St',"
    " CASE n % 3 WHEN 0 THEN 'Chicago' WHEN 1 THEN 'Evanston' ELSE 'Skokie' END, 'IL',"
    " printf('606%02d', n % 100), 'L-' || n, ?, 'Restaurant', 1 + n % 4,"
    " printf('%s.000000', datetime(?, '+' || n || ' seconds')),"
    " printf('%s.000000', datetime(?, '+' || n || ' seconds')), 1, ?"
    " FROM (SELECT n, printf('%s %07d', CASE WHEN n % 10 = 0 THEN 'Café' ELSE"
    " char(65 + (n * 7919) % 26) || 'ater' END, (n * 104729) % 10000000) AS name FROM seq)"
)
_PG_ESTABLISHMENTS = (
    "INSERT INTO establishments (owner_id, name, name_folded, street, city, state,"
    " postal_code, license_number, license_scope, facility_type, risk_category,"
    " create_time, update_time, version, department_id)"
    " SELECT $1, name, lower(replace(name, 'é', 'e')), n || ' N Clark St',"
    " (ARRAY['Chicago','Evanston','Skokie'])[n % 3 + 1], 'IL',"
    " '606' || lpad((n % 100)::text, 2, '0'), 'L-' || n, $1, 'Restaurant', 1 + n % 4,"
    " timestamptz '2024-01-01 00:00:00+00' + n * interval '1 second',"
    " timestamptz '2024-01-01 00:00:00+00' + n * interval '1 second', 1, $3"
    " FROM (SELECT n, CASE WHEN n % 10 = 0 THEN 'Café' ELSE chr(65 + (n * 7919) % 26) || 'ater'"
    " END || ' ' || lpad(((n::bigint * 104729) % 10000000)::text, 7, '0') AS name"
    " FROM generate_series(1, $2::int) AS n) AS named"
)


def _role(name: str, supervisors: frozenset[str]) -> str:
    return "supervisor" if name in supervisors else "inspector"


def _seed_sqlite(
    db: Database,
    users: dict[str, int],
    hashed: str,
    establishments: dict[str, int],
    supervisors: frozenset[str],
    separate: bool,
) -> None:
    connection = sqlite3.connect(_sqlite_path(db.url))
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        with connection:
            for name, count in users.items():
                department = 1
                if separate:
                    made = connection.execute(
                        "INSERT INTO departments (name, create_time) VALUES (?, ?)",
                        (f"Bench {name}", SEED_TIME),
                    ).lastrowid
                    assert made is not None
                    department = made
                cursor = connection.execute(
                    "INSERT INTO users (email, hashed_password, full_name, is_active,"
                    " is_superuser, create_time, update_time, department_id, role)"
                    " VALUES (?, ?, ?, 1, 0, ?, ?, ?, ?)",
                    (
                        f"{name}@bench.example",
                        hashed,
                        f"Bench {name}",
                        SEED_TIME,
                        SEED_TIME,
                        department,
                        _role(name, supervisors),
                    ),
                )
                owner = cursor.lastrowid
                assert owner is not None
                db.user_ids[name] = owner
                if count:
                    _insert_sqlite(connection, owner, 0, count, department)
                if establishments.get(name):
                    connection.execute(
                        _SQLITE_ESTABLISHMENTS,
                        (establishments[name], owner, owner, SEED_TIME, SEED_TIME, department),
                    )
        connection.execute("ANALYZE")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


async def _seed_pg(
    db: Database,
    users: dict[str, int],
    hashed: str,
    establishments: dict[str, int],
    supervisors: frozenset[str],
    separate: bool,
    vacuum: bool,
) -> None:
    connection = await _pg_connect(db.url)
    try:
        for name, count in users.items():
            department = 1
            if separate:
                department = await connection.fetchval(  # type: ignore[attr-defined]
                    "INSERT INTO departments (name, create_time) VALUES ($1,"
                    " timestamptz '2024-01-01 00:00:00+00') RETURNING id",
                    f"Bench {name}",
                )
            owner = await connection.fetchval(  # type: ignore[attr-defined]
                "INSERT INTO users (email, hashed_password, full_name, is_active, is_superuser,"
                " create_time, update_time, department_id, role) VALUES ($1, $2, $3, true, false,"
                " timestamptz '2024-01-01 00:00:00+00', timestamptz '2024-01-01 00:00:00+00',"
                " $5, $4) RETURNING id",
                f"{name}@bench.example",
                hashed,
                f"Bench {name}",
                _role(name, supervisors),
                department,
            )
            db.user_ids[name] = int(owner)
            if count:
                await _insert_pg(connection, int(owner), 0, count, department)
            if establishments.get(name):
                await connection.execute(  # type: ignore[attr-defined]
                    _PG_ESTABLISHMENTS, owner, establishments[name], department
                )
        await connection.execute(  # type: ignore[attr-defined]
            "VACUUM ANALYZE" if vacuum else "ANALYZE"
        )
    finally:
        await connection.close()  # type: ignore[attr-defined]


def _insert_sqlite(
    connection: sqlite3.Connection, owner: int, first: int, count: int, department: int = 1
) -> None:
    """Items first+1 .. first+count of `owner`, one second apart from SEED_TIME."""
    connection.execute(
        "WITH RECURSIVE seq(n) AS (SELECT ? UNION ALL SELECT n + 1 FROM seq WHERE n < ?)"
        " INSERT INTO items (title, description, status, owner_id, create_time,"
        " update_time, version, kind, result, score, inspect_time, department_id)"
        " SELECT 'Item ' || n,"
        " 'Walk-in cooler at 41F; hand sink blocked; seeded row ' || n,"
        " CASE n % 4 WHEN 0 THEN 'pending' WHEN 1 THEN 'in_progress'"
        " WHEN 2 THEN 'completed' ELSE 'cancelled' END,"
        " ?, printf('%s.000000', datetime(?, '+' || n || ' seconds')),"
        " printf('%s.000000', datetime(?, '+' || n || ' seconds')), 1,"
        " 'unspecified', 'unspecified', 0,"
        " printf('%s.000000', datetime(?, '+' || n || ' seconds')), ?"
        " FROM seq",
        (first + 1, first + count, owner, SEED_TIME, SEED_TIME, SEED_TIME, department),
    )


async def _insert_pg(
    connection: Any, owner: int, first: int, count: int, department: int = 1
) -> None:
    await connection.execute(
        "INSERT INTO items (title, description, status, owner_id, create_time,"
        " update_time, version, kind, result, score, inspect_time, department_id)"
        " SELECT 'Item ' || n,"
        " 'Walk-in cooler at 41F; hand sink blocked; seeded row ' || n,"
        " (ARRAY['pending','in_progress','completed','cancelled'])[n % 4 + 1],"
        " $1, timestamptz '2024-01-01 00:00:00+00' + n * interval '1 second',"
        " timestamptz '2024-01-01 00:00:00+00' + n * interval '1 second', 1,"
        " 'unspecified', 'unspecified', 0,"
        " timestamptz '2024-01-01 00:00:00+00' + n * interval '1 second', $4"
        " FROM generate_series($2::int, $3::int) AS n",
        owner,
        first + 1,
        first + count,
        department,
    )


def add_items(db: Database, name: str, first: int, count: int) -> None:
    """Give user `name` items first+1 .. first+count more (bulk SQL), then ANALYZE."""
    owner = db.user_ids[name]
    if db.backend == "sqlite":
        connection = sqlite3.connect(_sqlite_path(db.url), timeout=30)
        try:
            with connection:
                _insert_sqlite(connection, owner, first, count)
            connection.execute("ANALYZE")
        finally:
            connection.close()
        return

    async def grow() -> None:
        connection: Any = await _pg_connect(db.url)
        try:
            await _insert_pg(connection, owner, first, count)
            await connection.execute("ANALYZE items")
        finally:
            await connection.close()

    asyncio.run(grow())


def add_sign_ins(db: Database) -> dict[str, str]:
    """A sign-in (refresh-token family) per user, so the access tokens the benchmark
    signs can name one (`sid`): the server refuses user tokens that name none."""
    return asyncio.run(_add_sign_ins(db))


async def _add_sign_ins(db: Database) -> dict[str, str]:
    import datetime as dt
    import uuid

    from opengovfood.config import Settings
    from opengovfood.db.engine import create_engine
    from opengovfood.db.models import utcnow
    from opengovfood.repositories.refresh_tokens import RefreshTokenRepository
    from opengovfood.services.tokens import new_refresh_token

    engine = create_engine(Settings(database_url=db.url))
    repository = RefreshTokenRepository(engine)
    families: dict[str, str] = {}
    try:
        now = utcnow()
        for name, user_id in db.user_ids.items():
            families[name] = str(uuid.uuid4())
            await repository.issue(
                user_id, families[name], new_refresh_token()[1], now, now + dt.timedelta(days=1)
            )
    finally:
        await engine.dispose()
    return families


# Analyses as the engine stores them: three violations each (the shape of
# repositories/analyses.py violations_to_json), notes, summary and narrative.
_VIOLATIONS = json.dumps(
    [
        {
            "code": "3-501.16",
            "description": "TCS food held cold above 41F",
            "severity": "P",
            "food_code_section": "3-501.16(A)(2)",
            "form_item": 22,
            "evidence": "walk-in cooler at 45F",
            "source": "RULE",
            "corrected_on_site": False,
            "repeat": False,
            "corrective_action": "Discard TCS food held above 41F for more than 4 hours",
        },
        {
            "code": "5-205.11",
            "description": "Handwashing sink not accessible",
            "severity": "Pf",
            "food_code_section": "5-205.11(A)",
            "form_item": 8,
            "evidence": "hand sink blocked by a bus tub",
            "source": "RULE",
            "corrected_on_site": True,
            "repeat": False,
            "corrective_action": "Keep the hand sink clear at all times",
        },
        {
            "code": "6-501.12",
            "description": "Physical facilities not clean",
            "severity": "C",
            "food_code_section": "6-501.12(A)",
            "form_item": 37,
            "evidence": "debris under the fryer",
            "source": "RULE",
            "corrected_on_site": False,
            "repeat": True,
            "corrective_action": "Clean under equipment daily",
        },
    ]
)
_ACTIONS = json.dumps(["Discard TCS food held above 41F", "Clear the hand sink", "Clean floors"])
_ANALYSIS_INSERT = (
    "INSERT INTO inspection_analyses (owner_id, item_id, notes, summary, violations,"
    " corrective_actions, compliance_score, public_health_narrative, provider, model,"
    " create_time, department_id, score, grade, scoring_scheme, version, narrative_missing)"
    " SELECT owner_id, id,"
    " 'Walk-in cooler at 45F; hand sink blocked by a bus tub; debris under the fryer.',"
    " 'Three violations: one Priority, one Priority Foundation, one Core.',"
    " {violations}, {actions}, 0.86,"
    " 'Food held above 41F lets bacteria grow; a blocked hand sink keeps hands unwashed.',"
    " 'local', 'bench-model', create_time, department_id, 86, 'B', 'chicago', 1, {false}"
    " FROM items WHERE owner_id = {owner} ORDER BY id DESC LIMIT {count}"
)


def add_analyses(db: Database, name: str, count: int) -> None:
    """An analysis of each of user `name`'s newest `count` items (bulk SQL)."""
    owner = db.user_ids[name]
    if db.backend == "sqlite":
        connection = sqlite3.connect(_sqlite_path(db.url), timeout=30)
        try:
            with connection:
                connection.execute(
                    _ANALYSIS_INSERT.format(
                        violations="?", actions="?", false="0", owner="?", count="?"
                    ),
                    (_VIOLATIONS, _ACTIONS, owner, count),
                )
            connection.execute("ANALYZE")
        finally:
            connection.close()
        return

    async def insert() -> None:
        connection: Any = await _pg_connect(db.url)
        try:
            await connection.execute(
                _ANALYSIS_INSERT.format(
                    violations="$1::json",
                    actions="$2::json",
                    false="false",
                    owner="$3",
                    count="$4",
                ),
                _VIOLATIONS,
                _ACTIONS,
                owner,
                count,
            )
            await connection.execute("ANALYZE inspection_analyses")
        finally:
            await connection.close()

    asyncio.run(insert())
