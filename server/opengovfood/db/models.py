"""ORM models. Alembic migrations in db/migrations are the only way the schema is made;
a test checks these models and the migrations agree (no autogenerate diff)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from opengovfood.domain.timestamps import (
    utcnow as utcnow,  # re-exported: the default of every time column
)

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets BIGINT identity.
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend.

    SQLite has no time zones: values are stored as naive UTC text (which sorts
    correctly for keyset pagination) and come back tagged as UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        if dialect.name == "sqlite":
            return value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Department(Base):
    """A department (county, city): users, items and analyses belong to exactly one,
    and nothing is seen across departments (domain/scopes.py)."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    create_time: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    # Stored lower-cased: emails are unique case-insensitively.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    hashed_password: Mapped[str] = mapped_column(String(100))
    full_name: Mapped[str] = mapped_column(String(255), default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_superuser: Mapped[bool] = mapped_column(Boolean, default=False)
    create_time: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    update_time: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Access tokens issued before this second are refused (set when the password
    # changes): they are self-contained, so without it they would outlive the change.
    sessions_valid_after: Mapped[datetime | None] = mapped_column(UTCDateTime())
    department_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("departments.id"), index=True)
    # inspector | supervisor | admin (within the department)
    role: Mapped[str] = mapped_column(String(16), default="inspector")


class RefreshToken(Base):
    """A refresh token, stored only as a SHA-256 hash. Rotation marks the old one used;
    tokens descending from one login share a family, revoked together on reuse."""

    __tablename__ = "refresh_tokens"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    family_id: Mapped[str] = mapped_column(String(36), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    create_time: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expire_time: Mapped[datetime] = mapped_column(UTCDateTime())
    used_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_time: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Item(Base):
    __tablename__ = "items"
    __table_args__ = (
        # Default order (create_time desc, id) per owner, and owner + status filters, within
        # the owner's department: an inspector's scope (owner and department) is an index
        # prefix, so pages and counts seek to it and check nothing row by row.
        Index(
            "ix_items_owner_id_department_id_create_time_id",
            "owner_id",
            "department_id",
            "create_time",
            "id",
        ),
        Index("ix_items_owner_id_department_id_status", "owner_id", "department_id", "status"),
        # Superusers/services list across owners in the default order. Partial on a
        # predicate only their statements state (`id > 0`, always true): a scoped
        # statement cannot use it. Otherwise PostgreSQL, seeing an owner or department
        # holding most rows, walks it backwards filtering out everyone else's newer
        # items (16k rows for a first page in the growth bench) instead of seeking
        # the scope's own index.
        Index(
            "ix_items_create_time_id",
            "create_time",
            "id",
            postgresql_where=text("id > 0"),
            sqlite_where=text("id > 0"),
        ),
        Index("ix_items_status", "status"),
        # An establishment's history, newest first (`establishment_id = X` ordered by
        # `inspect_time desc`), and the inspection order per owner.
        Index(
            "ix_items_establishment_id_inspect_time_id", "establishment_id", "inspect_time", "id"
        ),
        Index("ix_items_owner_id_inspect_time_id", "owner_id", "inspect_time", "id"),
        # A supervisor's department-wide lists in the default order; partial on a
        # predicate only department-wide statements state (`id >= 0`), for the reason
        # given above: an inspector's page must seek their own index.
        Index(
            "ix_items_department_id_create_time_id",
            "department_id",
            "create_time",
            "id",
            postgresql_where=text("id >= 0"),
            sqlite_where=text("id >= 0"),
        ),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    # pending | in_progress | completed | cancelled
    status: Mapped[str] = mapped_column(String(20), default="pending")
    owner_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    create_time: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    update_time: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Incremented on every write; the strong etag is derived from (id, version).
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The inspection record. No ON DELETE: an establishment with items is not deleted.
    establishment_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("establishments.id")
    )
    # unspecified | routine_inspection | follow_up | complaint | pre_opening | other
    kind: Mapped[str] = mapped_column(String(24), default="unspecified")
    # unspecified | pass | pass_with_conditions | fail | no_entry
    result: Mapped[str] = mapped_column(String(24), default="unspecified")
    score: Mapped[int] = mapped_column(Integer, default=0)
    # When the inspection took place (the create time unless given): a sort key.
    inspect_time: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The creator's department; the item stays in it when reassigned or when its owner
    # moves to another department.
    department_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("departments.id"))


class ItemCount(Base):
    """How many items each owner has in each status, per department: ListItems'
    total_size without a COUNT over the items, for every scope (an inspector's owner
    and department, a supervisor's department, a superuser's everything). Kept by
    triggers on `items` (migration 0009) in each write's own transaction. A key has up
    to 64 rows (`slot`; PostgreSQL writes the slot of its backend, SQLite always 0) so
    concurrent writers seldom wait for one another's row lock; the count is the sum."""

    __tablename__ = "item_counts"

    department_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    owner_id: Mapped[int] = mapped_column(
        BigInteger, primary_key=True, autoincrement=False, index=True
    )
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    slot: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(BigInteger)


class ItemOutbox(Base):
    """Item events committed but not yet announced to other processes (PostgreSQL;
    repositories/item_events.py): written in the item write's transaction, deleted by
    the transaction that NOTIFYs them. (item_id, version, kind) let the catch-up sweep
    skip an event a later write of the item has superseded. Migration 0010 adds a CHECK
    that the payload fits a NOTIFY (< 8000 bytes). SQLite announces in-process and
    never writes here."""

    __tablename__ = "item_outbox"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    # No foreign key: a DELETED event outlives its item.
    item_id: Mapped[int] = mapped_column(BigInteger)
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(8))  # EventType's value
    payload: Mapped[str] = mapped_column(Text)
    create_time: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("CURRENT_TIMESTAMP")
    )


class ItemRequest(Base):
    """Idempotency record for CreateItem (AIP-155): one per (owner, request_id)."""

    __tablename__ = "item_requests"
    __table_args__ = (UniqueConstraint("owner_id", "request_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    owner_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    request_id: Mapped[str] = mapped_column(String(36))
    # SHA-256 of the normalised request body: a reused id with another body is refused.
    body_hash: Mapped[str] = mapped_column(String(64))
    item_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("items.id", ondelete="SET NULL")
    )
    create_time: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class InspectionAnalysis(Base):
    __tablename__ = "inspection_analyses"
    __table_args__ = (
        Index(
            "ix_inspection_analyses_owner_id_department_id_create_time_id",
            "owner_id",
            "department_id",
            "create_time",
            "id",
        ),
        Index(
            "ix_inspection_analyses_owner_id_department_id_item_id",
            "owner_id",
            "department_id",
            "item_id",
        ),
        Index(
            "ix_inspection_analyses_department_id_create_time_id",
            "department_id",
            "create_time",
            "id",
        ),
        # The latest analysis of an item (the official record: export, report).
        Index("ix_inspection_analyses_item_id_id", "item_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    owner_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    item_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("items.id", ondelete="SET NULL")
    )
    notes: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)
    # [{"code", "description", "severity": "P|Pf|C" (legacy: "critical|major|minor"),
    #   "food_code_section", "form_item", "evidence", "source", "corrected_on_site",
    #   "repeat", "corrective_action"}]; keys added since 0001 may be absent.
    violations: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    corrective_actions: Mapped[list[str]] = mapped_column(JSON)
    compliance_score: Mapped[float] = mapped_column(Float)
    public_health_narrative: Mapped[str] = mapped_column(Text)
    provider: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(200))
    create_time: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    department_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("departments.id"))
    # NULL on analyses stored before 0004: read as round(compliance_score * 100).
    score: Mapped[int | None] = mapped_column(Integer)
    grade: Mapped[str] = mapped_column(String(64), default="", server_default="")
    scoring_scheme: Mapped[str] = mapped_column(String(64), default="", server_default="")
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    update_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    narrative_missing: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (Index("ix_conversations_owner_id_id", "owner_id", "id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    owner_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(200))
    create_time: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    update_time: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ConversationMessage(Base):
    __tablename__ = "conversation_messages"
    __table_args__ = (
        Index("ix_conversation_messages_conversation_id_id", "conversation_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("conversations.id", ondelete="CASCADE")
    )
    # system | user | assistant | tool
    role: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text, default="")
    # Assistant tool calls: [{"id", "name", "arguments"}]; tool results name their call.
    tool_calls: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    tool_call_id: Mapped[str | None] = mapped_column(String(100))
    tool_name: Mapped[str | None] = mapped_column(String(100))
    # True when generation stopped early (provider error, cancellation).
    incomplete: Mapped[bool] = mapped_column(Boolean, default=False)
    create_time: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Establishment(Base):
    """A place that is inspected (EstablishmentService)."""

    __tablename__ = "establishments"
    __table_args__ = (
        # Licence numbers are unique within a scope (domain.establishments.license_scope);
        # NULL (none recorded) may repeat.
        UniqueConstraint("license_scope", "license_number"),
        # The default order (name, id) per owner and across owners; newest first.
        Index("ix_establishments_owner_id_name_id", "owner_id", "name", "id"),
        Index("ix_establishments_name_id", "name", "id"),
        Index("ix_establishments_owner_id_create_time_id", "owner_id", "create_time", "id"),
        Index("ix_establishments_create_time_id", "create_time", "id"),
        # Every member lists the department's establishments in the default order.
        # name_folded last: a `name:"..."` search walks this index in order and tests
        # each entry without reading its row (SQLite has no substring index: a rare
        # term reads the whole department; migration 0012).
        Index(
            "ix_establishments_department_id_name_id_name_folded",
            "department_id",
            "name",
            "id",
            "name_folded",
        ),
        # The department's newest first (a small department's list must not walk
        # every department's rows in the global create_time index).
        Index(
            "ix_establishments_department_id_create_time_id", "department_id", "create_time", "id"
        ),
        # `city = ...` within the department, in the default order (and its count).
        Index(
            "ix_establishments_department_id_city_name_id", "department_id", "city", "name", "id"
        ),
        # `name:"..."` (a substring of the folded name): a trigram index on PostgreSQL
        # (pg_trgm; migration 0011 says what happens without it). On SQLite it is a
        # b-tree that no substring search uses (SQLite has no such index; it reads the
        # department's rows), kept so both schemas have what is declared here.
        Index(
            "ix_establishments_name_folded",
            "name_folded",
            postgresql_using="gin",
            postgresql_ops={"name_folded": "gin_trgm_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    owner_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    # domain.establishments.fold(name): what `name:"..."` searches (accent-insensitive).
    name_folded: Mapped[str] = mapped_column(String(800))
    street: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    state: Mapped[str] = mapped_column(String(50), default="")
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    license_number: Mapped[str | None] = mapped_column(String(64))
    license_scope: Mapped[int] = mapped_column(BigInteger)
    facility_type: Mapped[str] = mapped_column(String(100), default="")
    # Food Code Annex 5 category 1-4; 0 when not assessed.
    risk_category: Mapped[int] = mapped_column(Integer, default=0)
    create_time: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    update_time: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The creator's department: all its members read the establishment.
    department_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("departments.id"))


class EstablishmentCount(Base):
    """How many establishments each owner has per department: ListEstablishments'
    total_size without a COUNT. Kept by triggers on `establishments` (migration 0011)
    in each write's transaction, with ItemCount's slots."""

    __tablename__ = "establishment_counts"

    department_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    owner_id: Mapped[int] = mapped_column(
        BigInteger, primary_key=True, autoincrement=False, index=True
    )
    slot: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(BigInteger)


class EstablishmentRequest(Base):
    """Idempotency record for CreateEstablishment (AIP-155): one per (owner, request_id)."""

    __tablename__ = "establishment_requests"
    __table_args__ = (UniqueConstraint("owner_id", "request_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    owner_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    request_id: Mapped[str] = mapped_column(String(36))
    body_hash: Mapped[str] = mapped_column(String(64))
    establishment_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("establishments.id", ondelete="SET NULL")
    )
    create_time: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class ImportRecord(Base):
    """What `opengov-food import` loaded: the source's key of an establishment or an
    inspection -> the row it became, so importing a file again skips it."""

    __tablename__ = "import_records"
    __table_args__ = (UniqueConstraint("owner_id", "source", "kind", "external_key"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    owner_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(32))  # "chicago"
    kind: Mapped[str] = mapped_column(String(16))  # "establishment" | "inspection"
    external_key: Mapped[str] = mapped_column(String(400))
    # establishments.id or items.id; not a foreign key: a deleted row is re-imported.
    target_id: Mapped[int] = mapped_column(BigInteger)
    create_time: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
