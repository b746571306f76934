"""In-memory repositories: one fake per repository protocol the services declare, so
the services' rules are tested in milliseconds without a database.

Each keeps its rows in a dict and answers a `ListQuery` the way the SQL does: the
filter's syntax tree evaluated in Python (`ParsedFilter.matches`, the same semantics
WatchItems relies on), the ordering and the keyset position applied to the records.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cmp_to_key
from typing import Any, TypeVar

from opengovfood.domain.analyses import AnalysisChanges, AnalysisRecord, NewAnalysis
from opengovfood.domain.conversations import ConversationRecord, MessageRecord, TurnStart
from opengovfood.domain.departments import DEFAULT_DEPARTMENT_ID
from opengovfood.domain.establishments import (
    Address,
    EstablishmentChanges,
    EstablishmentRecord,
    HasInspections,
    LicenseTaken,
    NewEstablishment,
    PriorEstablishmentRequest,
    license_scope,
)
from opengovfood.domain.items import (
    EventType,
    ItemChanges,
    ItemEvent,
    ItemRecord,
    NewItem,
    PriorRequest,
    WriteMiss,
)
from opengovfood.domain.listing import ListQuery
from opengovfood.domain.pagination import Ordering
from opengovfood.domain.scopes import Scope
from opengovfood.domain.timestamps import utcnow
from opengovfood.domain.users import (
    AuthState,
    Credentials,
    EmailTaken,
    NewUser,
    Rotation,
    TokenState,
    UserChanges,
    UserRecord,
)

R = TypeVar("R")


class Clock:
    """Strictly increasing times, so orderings by time are deterministic."""

    def __init__(self) -> None:
        self._now = utcnow()

    def __call__(self) -> datetime:
        self._now += timedelta(milliseconds=1)
        return self._now


def _compare(ordering: Ordering, a: Any, b: Any) -> int:
    for (_field, desc), x, y in zip(
        ordering.keys, ordering.key_of(a), ordering.key_of(b), strict=True
    ):
        if x != y:
            smaller = x < y
            return (1 if smaller else -1) if desc else (-1 if smaller else 1)
    return 0


def _after(ordering: Ordering, record: Any, key: Sequence[Any]) -> bool:
    for (_field, desc), value, bound in zip(
        ordering.keys, ordering.key_of(record), key, strict=True
    ):
        if value != bound:
            return value < bound if desc else value > bound
    return False


def list_page(
    records: Iterable[R], query: ListQuery, view: Callable[[R], Any] = lambda r: r
) -> list[R]:
    """The page a repository returns: matching, ordered, after the cursor, size + 1.
    `view` adapts a record for matching where a column is computed (e.g. COALESCE)."""
    matching = [r for r in records if query.filter.matches(view(r))]
    matching.sort(key=cmp_to_key(lambda a, b: _compare(query.ordering, a, b)))
    if query.after is not None:
        matching = [r for r in matching if _after(query.ordering, r, query.after)]
    return matching[: query.page_size + 1]


_ALL = Scope.everything()


def _in_scope(owner_id: int, scope: Scope, department_id: int = DEFAULT_DEPARTMENT_ID) -> bool:
    return scope.admits(owner_id, department_id)


class InMemoryItems:
    """services.items.ItemRepository; `events` records what would be announced."""

    def __init__(self, publish: Callable[[ItemEvent], None] | None = None) -> None:
        self.rows: dict[int, ItemRecord] = {}
        self.requests: dict[tuple[int, str], tuple[str, int | None, datetime]] = {}
        self.events: list[ItemEvent] = []
        self._ids = itertools.count(1)
        self._clock = Clock()
        self._publish = publish

    def _announce(self, event: ItemEvent) -> None:
        self.events.append(event)
        if self._publish is not None:
            self._publish(event)

    async def get(self, item_id: int, scope: Scope) -> ItemRecord | None:
        row = self.rows.get(item_id)
        return (
            row if row is not None and _in_scope(row.owner_id, scope, row.department_id) else None
        )

    async def page(self, query: ListQuery, scope: Scope) -> list[ItemRecord]:
        return list_page(
            (r for r in self.rows.values() if _in_scope(r.owner_id, scope, r.department_id)),
            query,
        )

    async def count(self, query: ListQuery, scope: Scope) -> int:
        return sum(
            1
            for r in self.rows.values()
            if _in_scope(r.owner_id, scope, r.department_id) and query.filter.matches(r)
        )

    async def add(self, new: NewItem) -> ItemRecord:
        now = self._clock()
        record = ItemRecord(
            next(self._ids),
            new.title,
            new.description,
            new.status,
            new.owner_id,
            now,
            now,
            1,
            establishment_id=new.establishment_id,
            kind=new.kind,
            result=new.result,
            score=new.score,
            inspect_time=new.inspect_time or now,
            department_id=new.department_id,
        )
        self.rows[record.id] = record
        self._announce(ItemEvent(EventType.CREATED, record))
        return record

    async def add_once(
        self,
        new: NewItem,
        request_id: str,
        body_hash: str,
        expired_before: datetime,
        scope: Scope,
    ) -> ItemRecord | PriorRequest | None:
        key = (new.owner_id, request_id)
        prior = self.requests.get(key)
        if prior is not None and prior[2] >= expired_before:
            item_id = prior[1]
            item = await self.get(item_id, scope) if item_id is not None else None
            return PriorRequest(prior[0], item)
        record = await self.add(new)
        self.requests[key] = (body_hash, record.id, self._clock())
        return record

    def _miss(self, item_id: int, scope: Scope) -> WriteMiss:
        row = self.rows.get(item_id)
        if row is None or not _in_scope(row.owner_id, scope, row.department_id):
            return WriteMiss.NOT_FOUND
        return WriteMiss.STALE

    async def update(
        self,
        item_id: int,
        scope: Scope,
        changes: ItemChanges,
        expected_version: int | None = None,
        accept: Callable[[ItemRecord], bool] | None = None,
    ) -> ItemRecord | WriteMiss:
        row = self.rows.get(item_id)
        if row is None or not _in_scope(row.owner_id, scope, row.department_id):
            return WriteMiss.NOT_FOUND
        if expected_version is not None and row.version != expected_version:
            return WriteMiss.STALE
        inspect_time = row.inspect_time if changes.inspect_time is None else changes.inspect_time
        if changes.inspect_time_reset:
            inspect_time = row.create_time
        updated = replace(
            row,
            title=row.title if changes.title is None else changes.title,
            description=row.description if changes.description is None else changes.description,
            status=row.status if changes.status is None else changes.status,
            owner_id=row.owner_id if changes.owner_id is None else changes.owner_id,
            establishment_id=row.establishment_id
            if changes.establishment_id is None
            else changes.establishment_id or None,
            kind=row.kind if changes.kind is None else changes.kind,
            result=row.result if changes.result is None else changes.result,
            score=row.score if changes.score is None else changes.score,
            inspect_time=inspect_time,
            update_time=self._clock(),
            version=row.version + 1,
        )
        if accept is not None and not accept(updated):
            return WriteMiss.STALE
        self.rows[item_id] = updated
        self._announce(ItemEvent(EventType.UPDATED, updated))
        return updated

    async def delete(
        self,
        item_id: int,
        scope: Scope,
        expected_version: int | None = None,
        accept: Callable[[ItemRecord], bool] | None = None,
    ) -> ItemRecord | WriteMiss:
        row = self.rows.get(item_id)
        if row is None or not _in_scope(row.owner_id, scope, row.department_id):
            return WriteMiss.NOT_FOUND
        if expected_version is not None and row.version != expected_version:
            return WriteMiss.STALE
        if accept is not None and not accept(row):
            return WriteMiss.STALE
        del self.rows[item_id]
        for key, (body, linked, when) in list(self.requests.items()):
            if linked == item_id:
                self.requests[key] = (body, None, when)  # ON DELETE SET NULL
        self._announce(ItemEvent(EventType.DELETED, row))
        return row

    async def purge_requests(self, before: datetime) -> int:
        old = [key for key, (_, _, when) in self.requests.items() if when < before]
        for key in old:
            del self.requests[key]
        return len(old)


class InMemoryEstablishments:
    """services.establishments.EstablishmentRepository. `referenced` stands in for the
    items naming an establishment (a delete of one of those is refused)."""

    def __init__(self) -> None:
        self.rows: dict[int, EstablishmentRecord] = {}
        self.requests: dict[tuple[int, str], tuple[str, int | None, datetime]] = {}
        self.referenced: set[int] = set()
        self._ids = itertools.count(1)
        self._clock = Clock()

    def _check_license(self, record: EstablishmentRecord) -> None:
        if not record.license_number:
            return
        scope = license_scope(record.department_id)
        for other in self.rows.values():
            if (
                other.id != record.id
                and other.license_number == record.license_number
                and license_scope(other.department_id) == scope
            ):
                raise LicenseTaken(record.license_number)

    async def get(self, establishment_id: int, scope: Scope) -> EstablishmentRecord | None:
        row = self.rows.get(establishment_id)
        return (
            row if row is not None and _in_scope(row.owner_id, scope, row.department_id) else None
        )

    async def page(self, query: ListQuery, scope: Scope) -> list[EstablishmentRecord]:
        return list_page(
            (r for r in self.rows.values() if _in_scope(r.owner_id, scope, r.department_id)), query
        )

    async def count(self, query: ListQuery, scope: Scope) -> int:
        return sum(
            1
            for r in self.rows.values()
            if _in_scope(r.owner_id, scope, r.department_id) and query.filter.matches(r)
        )

    async def add(self, new: NewEstablishment) -> EstablishmentRecord:
        now = self._clock()
        record = EstablishmentRecord(
            next(self._ids),
            new.name,
            new.address,
            new.license_number,
            new.facility_type,
            new.risk_category,
            new.owner_id,
            now,
            now,
            1,
            new.department_id,
        )
        self._check_license(record)
        self.rows[record.id] = record
        return record

    async def add_once(
        self,
        new: NewEstablishment,
        request_id: str,
        body_hash: str,
        expired_before: datetime,
        scope: Scope,
    ) -> EstablishmentRecord | PriorEstablishmentRequest | None:
        key = (new.owner_id, request_id)
        prior = self.requests.get(key)
        if prior is not None and prior[2] >= expired_before:
            linked = prior[1]
            return PriorEstablishmentRequest(
                prior[0], await self.get(linked, scope) if linked is not None else None
            )
        record = await self.add(new)
        self.requests[key] = (body_hash, record.id, self._clock())
        return record

    async def update(
        self,
        establishment_id: int,
        scope: Scope,
        changes: EstablishmentChanges,
        expected_version: int | None = None,
        accept: Callable[[EstablishmentRecord], bool] | None = None,
    ) -> EstablishmentRecord | WriteMiss:
        row = self.rows.get(establishment_id)
        if row is None or not _in_scope(row.owner_id, scope, row.department_id):
            return WriteMiss.NOT_FOUND
        if expected_version is not None and row.version != expected_version:
            return WriteMiss.STALE
        values = changes.fields()
        address = Address(
            **{
                part: values.pop(part, getattr(row.address, part))  # type: ignore[misc]
                for part in ("street", "city", "state", "postal_code")
            }
        )
        updated = replace(
            row,
            **values,  # type: ignore[arg-type]
            address=address,
            update_time=self._clock(),
            version=row.version + 1,
        )
        if accept is not None and not accept(updated):
            return WriteMiss.STALE
        self._check_license(updated)
        self.rows[establishment_id] = updated
        return updated

    async def delete(
        self,
        establishment_id: int,
        scope: Scope,
        expected_version: int | None = None,
        accept: Callable[[EstablishmentRecord], bool] | None = None,
    ) -> EstablishmentRecord | WriteMiss:
        row = self.rows.get(establishment_id)
        if row is None or not _in_scope(row.owner_id, scope, row.department_id):
            return WriteMiss.NOT_FOUND
        if expected_version is not None and row.version != expected_version:
            return WriteMiss.STALE
        if accept is not None and not accept(row):
            return WriteMiss.STALE
        if establishment_id in self.referenced:
            raise HasInspections(establishment_id)
        del self.rows[establishment_id]
        for key, (body, linked, when) in list(self.requests.items()):
            if linked == establishment_id:
                self.requests[key] = (body, None, when)
        return row

    async def purge_requests(self, before: datetime) -> int:
        old = [key for key, (_, _, when) in self.requests.items() if when < before]
        for key in old:
            del self.requests[key]
        return len(old)


@dataclass
class _StoredUser:
    record: UserRecord
    hashed_password: str
    sessions_valid_after: datetime | None = None


class InMemoryUsers:
    """services.users.UserRepository (with the refresh tokens it revokes)."""

    def __init__(self, tokens: InMemoryRefreshTokens | None = None) -> None:
        self.rows: dict[int, _StoredUser] = {}
        self.tokens = tokens
        self._ids = itertools.count(1)
        self._clock = Clock()

    def _by_email(self, email: str) -> _StoredUser | None:
        return next((u for u in self.rows.values() if u.record.email == email), None)

    async def get(self, user_id: int) -> UserRecord | None:
        stored = self.rows.get(user_id)
        return None if stored is None else stored.record

    async def credentials_by_email(self, email: str) -> Credentials | None:
        stored = self._by_email(email)
        return None if stored is None else Credentials(stored.record, stored.hashed_password)

    async def credentials(self, user_id: int) -> Credentials | None:
        stored = self.rows.get(user_id)
        return None if stored is None else Credentials(stored.record, stored.hashed_password)

    async def auth_state(self, user_id: int) -> AuthState | None:
        stored = self.rows.get(user_id)
        if stored is None:
            return None
        user = stored.record
        return AuthState(
            user.email,
            user.is_active,
            user.is_superuser,
            stored.sessions_valid_after,
            department_id=user.department_id,
            role=user.role,
        )

    async def session_state(self, user_id: int, session_id: str) -> AuthState | None:
        state = await self.auth_state(user_id)
        if state is None:
            return None
        rows = self.tokens.rows.values() if self.tokens is not None else ()
        live = any(
            t.user_id == user_id and t.family_id == session_id and t.revoked_time is None
            for t in rows
        )
        return replace(state, session_live=live)

    async def email_taken(self, email: str) -> bool:
        return self._by_email(email) is not None

    async def any_user(self) -> bool:
        return bool(self.rows)

    async def add(self, new: NewUser) -> UserRecord:
        if self._by_email(new.email) is not None:
            raise EmailTaken(new.email)
        now = self._clock()
        record = UserRecord(
            next(self._ids),
            new.email,
            new.full_name,
            new.is_active,
            new.is_superuser,
            now,
            now,
            new.department_id,
            new.role,
        )
        self.rows[record.id] = _StoredUser(record, new.hashed_password)
        return record

    async def update(
        self,
        user_id: int,
        changes: UserChanges,
        revoke_tokens: Callable[[UserRecord], bool] = lambda _before: False,
        within: int | None = None,
    ) -> UserRecord | None:
        stored = self.rows.get(user_id)
        if stored is None or (within is not None and stored.record.department_id != within):
            return None
        before = stored.record
        if changes.email is not None and changes.email != before.email:
            other = self._by_email(changes.email)
            if other is not None and other.record.id != user_id:
                raise EmailTaken(changes.email)
        stored.record = replace(
            before,
            email=before.email if changes.email is None else changes.email,
            full_name=before.full_name if changes.full_name is None else changes.full_name,
            is_active=before.is_active if changes.is_active is None else changes.is_active,
            is_superuser=(
                before.is_superuser if changes.is_superuser is None else changes.is_superuser
            ),
            department_id=(
                before.department_id if changes.department_id is None else changes.department_id
            ),
            role=before.role if changes.role is None else changes.role,
            update_time=self._clock(),
        )
        if changes.hashed_password is not None:
            stored.hashed_password = changes.hashed_password
        if changes.sessions_valid_after is not None:
            stored.sessions_valid_after = changes.sessions_valid_after
        if revoke_tokens(before) and self.tokens is not None:
            self.tokens.revoke_user(user_id)
        return stored.record

    async def set_password_hash(
        self,
        user_id: int,
        hashed: str,
        sessions_valid_after: datetime | None = None,
        revoke_tokens: bool = False,
    ) -> None:
        stored = self.rows[user_id]
        stored.hashed_password = hashed
        if sessions_valid_after is not None:
            stored.sessions_valid_after = sessions_valid_after
        if revoke_tokens and self.tokens is not None:
            self.tokens.revoke_user(user_id)

    @staticmethod
    def _member(record: UserRecord, scope: Scope) -> bool:
        return scope.department_id is None or (
            record.department_id == scope.department_id and not record.is_superuser
        )

    async def page(self, query: ListQuery, scope: Scope = _ALL) -> list[UserRecord]:
        return list_page(
            (u.record for u in self.rows.values() if self._member(u.record, scope)), query
        )

    async def count(self, query: ListQuery, scope: Scope = _ALL) -> int:
        return sum(
            1
            for u in self.rows.values()
            if self._member(u.record, scope) and query.filter.matches(u.record)
        )


class InMemoryRefreshTokens:
    """services.users.RefreshTokenRepository; `users` answers whether a user is active."""

    def __init__(self) -> None:
        self.rows: dict[str, TokenState] = {}
        self.users: InMemoryUsers | None = None
        self._ids = itertools.count(1)

    def revoke_user(self, user_id: int) -> None:
        now = utcnow()
        for token_hash, state in self.rows.items():
            if state.user_id == user_id and state.revoked_time is None:
                self.rows[token_hash] = replace(state, revoked_time=now)

    async def issue(
        self,
        user_id: int,
        family_id: str,
        token_hash: str,
        now: datetime,
        expire_time: datetime,
        drop_expired: bool = False,
    ) -> None:
        if drop_expired:
            for key, state in list(self.rows.items()):
                if state.user_id == user_id and state.expire_time <= now:
                    del self.rows[key]
        self.rows[token_hash] = TokenState(
            next(self._ids), user_id, family_id, expire_time, None, None
        )

    async def rotate(
        self, token_hash: str, new_hash: str, now: datetime, expire_time: datetime
    ) -> Rotation:
        state = self.rows.get(token_hash)
        live = (
            state is not None
            and state.used_time is None
            and state.revoked_time is None
            and state.expire_time > now
        )
        if state is None or not live:
            return Rotation(state, rotated=False)
        user = None if self.users is None else self.users.rows.get(state.user_id)
        if user is None or not user.record.is_active:
            return Rotation(state, rotated=False, user_inactive=True)
        self.rows[token_hash] = replace(state, used_time=now)
        await self.issue(state.user_id, state.family_id, new_hash, now, expire_time)
        return Rotation(state, rotated=True)

    async def state(self, token_hash: str) -> TokenState | None:
        return self.rows.get(token_hash)

    async def revoke_family(self, family_id: str, now: datetime) -> int:
        revoked = 0
        for token_hash, state in self.rows.items():
            if state.family_id == family_id and state.revoked_time is None:
                self.rows[token_hash] = replace(state, revoked_time=now)
                revoked += 1
        return revoked


@dataclass(frozen=True)
class _AnalysisView:
    """What ListAnalyses' filter sees: `item_id` 0 for "no item" (COALESCE in SQL)."""

    item_id: int
    create_time: datetime


class InMemoryAnalyses:
    """services.analyses.AnalysisRepository; `items` maps item id -> owner id."""

    def __init__(self, items: dict[int, int] | None = None) -> None:
        self.rows: dict[int, AnalysisRecord] = {}
        self.items: dict[int, int] = items if items is not None else {}
        self._ids = itertools.count(1)
        self._clock = Clock()

    async def item_department(self, item_id: int, scope: Scope) -> int | None:
        owner = self.items.get(item_id)
        if owner is None or not _in_scope(owner, scope):
            return None
        return DEFAULT_DEPARTMENT_ID

    async def add(self, new: NewAnalysis) -> AnalysisRecord:
        now = self._clock()
        record = AnalysisRecord(
            id=next(self._ids),
            owner_id=new.owner_id,
            item_id=new.item_id,
            notes=new.notes,
            summary=new.summary,
            violations=new.violations,
            corrective_actions=new.corrective_actions,
            score=new.score,
            public_health_narrative=new.public_health_narrative,
            narrative_missing=new.narrative_missing,
            provider=new.provider,
            model=new.model,
            create_time=now,
            update_time=now,
            version=1,
            department_id=new.department_id,
        )
        self.rows[record.id] = record
        return record

    async def update(
        self, analysis_id: int, scope: Scope, expected_version: int, changes: AnalysisChanges
    ) -> AnalysisRecord | None:
        row = self.rows.get(analysis_id)
        if (
            row is None
            or not _in_scope(row.owner_id, scope, row.department_id)
            or row.version != expected_version
        ):
            return None
        updated = dataclasses.replace(
            row,
            summary=row.summary if changes.summary is None else changes.summary,
            violations=row.violations if changes.violations is None else changes.violations,
            corrective_actions=row.corrective_actions
            if changes.corrective_actions is None
            else changes.corrective_actions,
            score=changes.score,
            update_time=self._clock(),
            version=row.version + 1,
        )
        self.rows[analysis_id] = updated
        return updated

    async def get(self, analysis_id: int, scope: Scope) -> AnalysisRecord | None:
        row = self.rows.get(analysis_id)
        return (
            row if row is not None and _in_scope(row.owner_id, scope, row.department_id) else None
        )

    @staticmethod
    def _view(record: AnalysisRecord) -> _AnalysisView:
        return _AnalysisView(record.item_id or 0, record.create_time)

    async def page(self, query: ListQuery, scope: Scope) -> list[AnalysisRecord]:
        visible = (r for r in self.rows.values() if _in_scope(r.owner_id, scope, r.department_id))
        return list_page(visible, query, self._view)

    async def count(self, query: ListQuery, scope: Scope) -> int:
        return sum(
            1
            for r in self.rows.values()
            if _in_scope(r.owner_id, scope, r.department_id) and query.filter.matches(self._view(r))
        )


class InMemoryConversations:
    """services.chat.ConversationRepository."""

    def __init__(self) -> None:
        self.conversations: dict[int, ConversationRecord] = {}
        self.messages: dict[int, MessageRecord] = {}
        self._conversation_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._clock = Clock()
        # Conversations whose begin_turn no later write has made durable yet (the
        # PostgreSQL repository commits begin_turn asynchronously).
        self.unflushed: set[int] = set()

    def of(self, conversation_id: int) -> list[MessageRecord]:
        """The conversation's messages, oldest first."""
        return sorted(
            (m for m in self.messages.values() if m.conversation_id == conversation_id),
            key=lambda m: m.id,
        )

    async def get(self, conversation_id: int, scope: Scope) -> ConversationRecord | None:
        row = self.conversations.get(conversation_id)
        return row if row is not None and _in_scope(row.owner_id, scope) else None

    async def recent_messages(self, conversation_id: int, limit: int) -> list[MessageRecord]:
        return self.of(conversation_id)[-limit:]

    async def begin_turn(
        self, owner_id: int, conversation_id: int | None, provider: str, model: str, text: str
    ) -> TurnStart:
        now = self._clock()
        created = conversation_id is None
        if conversation_id is None:
            conversation_id = next(self._conversation_ids)
            self.conversations[conversation_id] = ConversationRecord(
                conversation_id, owner_id, provider, model, now, now
            )
        else:
            current = self.conversations[conversation_id]
            self.conversations[conversation_id] = replace(
                current, provider=provider, model=model, update_time=now
            )
        first = await self.add_message(conversation_id, "user", text)
        self.unflushed.add(conversation_id)
        return TurnStart(conversation_id, first, created)

    async def add_message(
        self,
        conversation_id: int,
        role: str,
        content: str,
        *,
        tool_calls: list[dict[str, Any]] | None = None,
        tool_call_id: str | None = None,
        tool_name: str | None = None,
        incomplete: bool = False,
    ) -> int:
        message = MessageRecord(
            next(self._message_ids),
            conversation_id,
            role,
            content,
            tuple(tool_calls or ()),
            tool_call_id,
            tool_name,
            incomplete,
            self._clock(),
        )
        self.messages[message.id] = message
        self.unflushed.discard(conversation_id)
        return message.id

    async def delete_conversation(self, conversation_id: int) -> None:
        self.unflushed.discard(conversation_id)
        for message in self.of(conversation_id):
            del self.messages[message.id]
        del self.conversations[conversation_id]

    async def delete_messages_from(self, conversation_id: int, first_id: int) -> None:
        self.unflushed.discard(conversation_id)
        for message in self.of(conversation_id):
            if message.id >= first_id:
                del self.messages[message.id]
