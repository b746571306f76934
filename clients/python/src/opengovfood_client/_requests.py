"""Request messages from keyword arguments; shared by the sync and async clients."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import TypeAlias

from google.protobuf import field_mask_pb2

from opengovfood_client.v1 import agent_pb2, items_pb2, users_pb2

ItemStatusLike: TypeAlias = items_pb2.ItemStatus.ValueType | str
ItemKindLike: TypeAlias = items_pb2.ItemKind.ValueType | str
InspectionResultLike: TypeAlias = items_pb2.InspectionResult.ValueType | str

# Short names people type: `--kind routine`.
_KIND_ALIASES = {
    "ROUTINE": "ROUTINE_INSPECTION",
    "FOLLOWUP": "FOLLOW_UP",
    "PREOPENING": "PRE_OPENING",
}


def item_kind(value: ItemKindLike) -> items_pb2.ItemKind.ValueType:
    """`ITEM_KIND_FOLLOW_UP`, `follow-up`, `routine` (routine inspection) or the enum value."""
    if isinstance(value, int):
        return items_pb2.ItemKind.ValueType(value)
    name = value.strip().upper().replace("-", "_").replace(" ", "_").removeprefix("ITEM_KIND_")
    name = _KIND_ALIASES.get(name.replace("_", ""), name)
    try:
        return items_pb2.ItemKind.Value("ITEM_KIND_" + name)
    except ValueError:
        choices = ", ".join(
            items_pb2.ItemKind.Name(v).removeprefix("ITEM_KIND_").lower()
            for v in items_pb2.ItemKind.values()
            if v
        )
        raise ValueError(f"unknown item kind {value!r}; use one of: {choices}") from None


def inspection_result(value: InspectionResultLike) -> items_pb2.InspectionResult.ValueType:
    """`INSPECTION_RESULT_FAIL`, `fail`, `pass-with-conditions` or the enum value."""
    if isinstance(value, int):
        return items_pb2.InspectionResult.ValueType(value)
    name = value.strip().upper().replace("-", "_").replace(" ", "_")
    name = name.removeprefix("INSPECTION_RESULT_")
    try:
        return items_pb2.InspectionResult.Value("INSPECTION_RESULT_" + name)
    except ValueError:
        choices = ", ".join(
            items_pb2.InspectionResult.Name(v).removeprefix("INSPECTION_RESULT_").lower()
            for v in items_pb2.InspectionResult.values()
            if v
        )
        raise ValueError(f"unknown inspection result {value!r}; use one of: {choices}") from None


def _inspection_fields(
    item: items_pb2.Item,
    establishment_id: int | None,
    kind: ItemKindLike | None,
    result: InspectionResultLike | None,
    score: int | None,
    inspect_time: datetime | None,
) -> list[str]:
    """Set the given inspection fields on `item`; their mask paths."""
    paths: list[str] = []
    if establishment_id is not None:
        item.establishment_id = establishment_id
        paths.append("establishment_id")
    if kind is not None:
        item.kind = item_kind(kind)
        paths.append("kind")
    if result is not None:
        item.result = inspection_result(result)
        paths.append("result")
    if score is not None:
        item.score = score
        paths.append("score")
    if inspect_time is not None:
        if inspect_time.tzinfo is None:
            raise ValueError("inspect_time needs a time zone (e.g. datetime.now(UTC))")
        item.inspect_time.FromDatetime(inspect_time)
        paths.append("inspect_time")
    return paths


def item_status(value: ItemStatusLike) -> items_pb2.ItemStatus.ValueType:
    """`ITEM_STATUS_PENDING`, `pending`, `in-progress`, `in_progress` or the enum value."""
    if isinstance(value, int):
        return items_pb2.ItemStatus.ValueType(value)
    name = value.strip().upper().replace("-", "_").replace(" ", "_")
    if not name.startswith("ITEM_STATUS_"):
        name = "ITEM_STATUS_" + name
    try:
        return items_pb2.ItemStatus.Value(name)
    except ValueError:
        choices = ", ".join(status_name(v) for v in items_pb2.ItemStatus.values() if v)
        raise ValueError(f"unknown item status {value!r}; use one of: {choices}") from None


def status_name(value: int) -> str:
    """`ITEM_STATUS_IN_PROGRESS` -> `in_progress`."""
    return (
        items_pb2.ItemStatus.Name(items_pb2.ItemStatus.ValueType(value))
        .removeprefix("ITEM_STATUS_")
        .lower()
    )


def create_item(
    title: str,
    description: str,
    status: ItemStatusLike | None,
    request_id: str | None,
    *,
    establishment_id: int | None = None,
    kind: ItemKindLike | None = None,
    result: InspectionResultLike | None = None,
    score: int | None = None,
    inspect_time: datetime | None = None,
) -> items_pb2.CreateItemRequest:
    item = items_pb2.Item(title=title, description=description)
    if status is not None:
        item.status = item_status(status)
    _inspection_fields(item, establishment_id, kind, result, score, inspect_time)
    # Always a request id: it is what makes CreateItem safe to retry.
    return items_pb2.CreateItemRequest(item=item, request_id=request_id or str(uuid.uuid4()))


def update_item(
    item_id: int,
    *,
    title: str | None,
    description: str | None,
    status: ItemStatusLike | None,
    etag: str | None,
    establishment_id: int | None = None,
    kind: ItemKindLike | None = None,
    result: InspectionResultLike | None = None,
    score: int | None = None,
    inspect_time: datetime | None = None,
) -> items_pb2.UpdateItemRequest:
    item = items_pb2.Item(id=item_id, etag=etag or "")
    paths: list[str] = []
    if title is not None:
        item.title = title
        paths.append("title")
    if description is not None:
        item.description = description
        paths.append("description")
    if status is not None:
        item.status = item_status(status)
        paths.append("status")
    paths += _inspection_fields(item, establishment_id, kind, result, score, inspect_time)
    if not paths:
        raise ValueError("nothing to update: give at least one field")
    return items_pb2.UpdateItemRequest(item=item, update_mask=field_mask_pb2.FieldMask(paths=paths))


def update_me(
    full_name: str | None, email: str | None, current_password: str | None = None
) -> users_pb2.UpdateMeRequest:
    user = users_pb2.User()
    paths: list[str] = []
    if full_name is not None:
        user.full_name = full_name
        paths.append("full_name")
    if email is not None:
        user.email = email
        paths.append("email")
    if not paths:
        raise ValueError("nothing to update: give full_name or email")
    return users_pb2.UpdateMeRequest(
        user=user,
        update_mask=field_mask_pb2.FieldMask(paths=paths),
        current_password=current_password or "",
    )


def update_user(
    user_id: int,
    *,
    email: str | None,
    full_name: str | None,
    is_active: bool | None,
    is_superuser: bool | None,
    password: str | None,
) -> users_pb2.UpdateUserRequest:
    user = users_pb2.User(id=user_id)
    paths: list[str] = []
    if email is not None:
        user.email = email
        paths.append("email")
    if full_name is not None:
        user.full_name = full_name
        paths.append("full_name")
    if is_active is not None:
        user.is_active = is_active
        paths.append("is_active")
    if is_superuser is not None:
        user.is_superuser = is_superuser
        paths.append("is_superuser")
    if password is not None:
        paths.append("password")
    if not paths:
        raise ValueError("nothing to update")
    return users_pb2.UpdateUserRequest(
        user=user, update_mask=field_mask_pb2.FieldMask(paths=paths), password=password or ""
    )


def create_user(
    email: str, password: str, full_name: str, is_superuser: bool, is_active: bool
) -> users_pb2.CreateUserRequest:
    return users_pb2.CreateUserRequest(
        user=users_pb2.User(
            email=email, full_name=full_name, is_superuser=is_superuser, is_active=is_active
        ),
        password=password,
    )


def analyze(
    notes: str, item_id: int | None, model: str | None, provider: str | None
) -> agent_pb2.AnalyzeInspectionRequest:
    return agent_pb2.AnalyzeInspectionRequest(
        notes=notes, item_id=item_id or 0, model=model or "", provider=provider or ""
    )


def update_analysis(
    analysis_id: int,
    *,
    etag: str,
    violations: Sequence[agent_pb2.Violation] | None,
    summary: str | None,
    corrective_actions: Sequence[str] | None,
) -> agent_pb2.UpdateAnalysisRequest:
    analysis = agent_pb2.InspectionAnalysis(id=analysis_id, etag=etag)
    paths: list[str] = []
    if violations is not None:
        analysis.violations.extend(violations)
        paths.append("violations")
    if summary is not None:
        analysis.summary = summary
        paths.append("summary")
    if corrective_actions is not None:
        analysis.corrective_actions.extend(corrective_actions)
        paths.append("corrective_actions")
    if not paths:
        raise ValueError("nothing to update: give violations, summary or corrective_actions")
    return agent_pb2.UpdateAnalysisRequest(
        analysis=analysis, update_mask=field_mask_pb2.FieldMask(paths=paths)
    )


def chat(
    message: str, conversation_id: int | None, model: str | None, provider: str | None
) -> agent_pb2.ChatRequest:
    return agent_pb2.ChatRequest(
        message=message,
        conversation_id=conversation_id or 0,
        model=model or "",
        provider=provider or "",
    )
