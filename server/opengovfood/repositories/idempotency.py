"""The claim statement of idempotent creates (AIP-155), shared by every resource whose
create takes a `request_id`: the table holds (owner_id, request_id, body_hash,
<link column>, create_time), unique on (owner_id, request_id)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, bindparam
from sqlalchemy.dialects import postgresql, sqlite


def claim_statement(requests: Table, link: str, dialect: str) -> Any:
    """Take (owner, request_id) for this call: a row back if it was free or its record
    had expired; none if another call holds it. On PostgreSQL this waits for a
    concurrent holder's transaction to finish, so the caller then reads its committed
    result. Being the first statement of the transaction also makes SQLite take its
    write lock up front. Bound per call: r_owner, r_request, r_hash, r_now, r_expired."""
    dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = dialect_insert(requests).values(
        owner_id=bindparam("r_owner"),
        request_id=bindparam("r_request"),
        body_hash=bindparam("r_hash"),
        create_time=bindparam("r_now"),
        **{link: None},
    )
    return stmt.on_conflict_do_update(
        index_elements=[requests.c.owner_id, requests.c.request_id],
        set_={
            "body_hash": stmt.excluded.body_hash,
            link: None,
            "create_time": stmt.excluded.create_time,
        },
        where=requests.c.create_time < bindparam("r_expired"),
    ).returning(requests.c.id)
