"""The chat tools over the caller's records: ``list_items``, ``get_item``,
``create_item``, ``update_item_status`` and ``list_analyses``.

They run as the calling user through :class:`~opengovfood.services.items.ItemService`
and :class:`~opengovfood.services.analyses.AnalysisService`, the same code their RPCs
use, so the authorization and validation are the same: another user's item is
NOT_FOUND, a bad title is INVALID_ARGUMENT, and so on. A refusal is returned to the
model as a result (``{"error": {"code", "message"}}``), so it can tell the user; it
never ends the chat.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from opengovfood.domain import bounds
from opengovfood.domain.analyses import AnalysisRecord
from opengovfood.domain.items import ItemRecord, ItemStatus
from opengovfood.domain.principal import Principal
from opengovfood.errors import InvalidArgument, ServiceError
from opengovfood.llm import ToolCall, ToolSpec
from opengovfood.services.analyses import AnalysisService
from opengovfood.services.items import ItemService

logger = logging.getLogger("opengovfood.agent.tools")

LIST_LIMIT_DEFAULT = 20
LIST_LIMIT_MAX = 50
# List results are summaries: the model's context is small, descriptions can be long.
LIST_DESCRIPTION_CHARS = 200
ANALYSES_LIMIT_DEFAULT = 5
ANALYSES_LIMIT_MAX = 20
# An analysis's texts in a list result.
ANALYSIS_TEXT_CHARS = 300
# A text argument the model sends: room for any valid value (descriptions are 1000).
MAX_TOOL_TEXT = 4000

_STATUSES = [s.value for s in ItemStatus]
_ID = {"type": "integer", "description": "The item id."}
_STATUS = {"type": "string", "enum": _STATUSES, "description": "The item status."}

SPECS: tuple[ToolSpec, ...] = (
    ToolSpec(
        name="list_items",
        description="List the user's inspection items, newest first.",
        parameters={
            "type": "object",
            "properties": {
                "status": {**_STATUS, "description": "Only items with this status."},
                "query": {
                    "type": "string",
                    "description": "Only items whose title or description contains this text.",
                },
                "limit": {
                    "type": "integer",
                    "description": f"At most this many items (1-{LIST_LIMIT_MAX}, "
                    f"default {LIST_LIMIT_DEFAULT}).",
                },
            },
            "required": [],
        },
    ),
    ToolSpec(
        name="get_item",
        description="Get one of the user's inspection items by id.",
        parameters={"type": "object", "properties": {"id": _ID}, "required": ["id"]},
    ),
    ToolSpec(
        name="create_item",
        description="Create an inspection item for the user.",
        parameters={
            "type": "object",
            "properties": {
                "title": {"type": "string", "description": "1-100 characters."},
                "description": {"type": "string", "description": "At most 1000 characters."},
                "status": {**_STATUS, "description": "Default: pending."},
            },
            "required": ["title"],
        },
    ),
    ToolSpec(
        name="list_analyses",
        description=(
            "List the user's stored inspection analyses (findings, violations, scores), "
            "newest first; optionally only those of one item."
        ),
        parameters={
            "type": "object",
            "properties": {
                "item_id": {"type": "integer", "description": "Only analyses of this item."},
                "limit": {
                    "type": "integer",
                    "description": f"At most this many analyses (1-{ANALYSES_LIMIT_MAX}, "
                    f"default {ANALYSES_LIMIT_DEFAULT}).",
                },
            },
            "required": [],
        },
    ),
    ToolSpec(
        name="update_item_status",
        description="Change the status of one of the user's inspection items.",
        parameters={
            "type": "object",
            "properties": {"id": _ID, "status": _STATUS},
            "required": ["id", "status"],
        },
    ),
)


def _item(record: ItemRecord, description_limit: int | None = None) -> dict[str, Any]:
    description = record.description
    if description_limit is not None and len(description) > description_limit:
        description = description[: description_limit - 1] + "…"
    return {
        "id": record.id,
        "title": record.title,
        "description": description,
        "status": record.status.value,
        "create_time": record.create_time.isoformat(),
        "update_time": record.update_time.isoformat(),
    }


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _analysis(record: AnalysisRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "item_id": record.item_id or 0,
        "create_time": record.create_time.isoformat(),
        "summary": _short(record.summary, ANALYSIS_TEXT_CHARS),
        "violations": [
            {
                "code": v.code,
                "food_code_section": v.food_code_section,
                "form_item": v.form_item,
                "description": _short(v.description, ANALYSIS_TEXT_CHARS),
                "severity": v.severity,
                "evidence": _short(v.evidence, ANALYSIS_TEXT_CHARS),
                "source": v.source.value,
                "corrected_on_site": v.corrected_on_site,
            }
            for v in record.violations
        ],
        "corrective_actions": [_short(a, ANALYSIS_TEXT_CHARS) for a in record.corrective_actions],
        "score": record.score.score,
        "grade": record.score.grade,
        "scoring_scheme": record.score.scheme,
        "compliance_score": record.compliance_score,
    }


def _integer(args: dict[str, Any], name: str, *, required: bool) -> int | None:
    """A JSON number from the model, range-checked to int64 like any client value (a
    model may send 2**70, which no database column holds)."""
    value = args.get(name)
    if value is None:
        if required:
            raise InvalidArgument.field(name, "is required")
        return None
    # Models sometimes send numbers as strings ("12") or floats (12.0).
    numeric_text = (
        isinstance(value, str) and len(value) <= 24 and value.strip().lstrip("-").isdigit()
    )
    if numeric_text or (isinstance(value, float) and value.is_integer()):
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return bounds.checked_int64(value, name)
    raise InvalidArgument.field(name, "must be an integer")


def _string(args: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = args.get(name)
    if value is None:
        if required:
            raise InvalidArgument.field(name, "is required")
        return None
    if not isinstance(value, str):
        raise InvalidArgument.field(name, "must be a string")
    try:  # bounded and encodable before any service looks at it
        return bounds.text(value, name, MAX_TOOL_TEXT)
    except bounds.OutOfRange as exc:
        raise InvalidArgument.field(name, str(exc).removeprefix(name + " ")) from None


def _quoted(text: str) -> str:
    """A filter string literal (domain/filters.py escapes)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


Handler = Callable[[Principal, dict[str, Any]], Awaitable[dict[str, Any]]]


class ItemTools:
    """The :class:`~opengovfood.services.chat.ChatTools` over the items and analyses
    services."""

    def __init__(self, items: ItemService, analyses: AnalysisService) -> None:
        self._items = items
        self._analyses = analyses
        self._handlers: dict[str, Handler] = {
            "list_items": self._list_items,
            "get_item": self._get_item,
            "create_item": self._create_item,
            "update_item_status": self._update_item_status,
            "list_analyses": self._list_analyses,
        }

    @property
    def specs(self) -> Sequence[ToolSpec]:
        return SPECS

    async def run(self, principal: Principal, call: ToolCall) -> str:
        handler = self._handlers.get(call.name)
        try:
            if handler is None:
                raise InvalidArgument(f"there is no tool named '{call.name[:100]}'")
            result = await handler(principal, call.arguments)
        except ServiceError as exc:
            logger.info("chat tool %s refused: %s", call.name[:100], exc.code.name)
            result = {"error": {"code": exc.code.name, "message": exc.message}}
        return json.dumps(result, ensure_ascii=False)

    async def _list_items(self, principal: Principal, args: dict[str, Any]) -> dict[str, Any]:
        limit = _integer(args, "limit", required=False) or LIST_LIMIT_DEFAULT
        limit = max(1, min(limit, LIST_LIMIT_MAX))
        terms: list[str] = []
        status = _string(args, "status")
        if status:
            terms.append(f"status = {_quoted(status.strip().upper())}")
        query = _string(args, "query")
        if query and query.strip():
            text = _quoted(query.strip())
            # AIP-160: OR binds tighter than AND.
            terms.append(f"title:{text} OR description:{text}")
        page = await self._items.list_items(principal, page_size=limit, filter=" AND ".join(terms))
        return {
            "items": [_item(r, LIST_DESCRIPTION_CHARS) for r in page.items],
            "total_size": page.total_size,
        }

    async def _get_item(self, principal: Principal, args: dict[str, Any]) -> dict[str, Any]:
        item_id = _integer(args, "id", required=True)
        assert item_id is not None
        return {"item": _item(await self._items.get_item(principal, item_id))}

    async def _create_item(self, principal: Principal, args: dict[str, Any]) -> dict[str, Any]:
        record = await self._items.create_item(
            principal,
            title=_string(args, "title", required=True) or "",
            description=_string(args, "description") or "",
            status=_string(args, "status") or None,
        )
        return {"item": _item(record)}

    async def _update_item_status(
        self, principal: Principal, args: dict[str, Any]
    ) -> dict[str, Any]:
        item_id = _integer(args, "id", required=True)
        status = _string(args, "status", required=True)
        assert item_id is not None
        record = await self._items.update_item(
            principal, item_id, status=status, update_mask=["status"]
        )
        return {"item": _item(record)}

    async def _list_analyses(self, principal: Principal, args: dict[str, Any]) -> dict[str, Any]:
        limit = _integer(args, "limit", required=False) or ANALYSES_LIMIT_DEFAULT
        limit = max(1, min(limit, ANALYSES_LIMIT_MAX))
        item_id = _integer(args, "item_id", required=False)
        if item_id is not None and item_id < 0:
            raise InvalidArgument.field("item_id", "must not be negative")
        page = await self._analyses.list_analyses(
            principal,
            page_size=limit,
            filter=f"item_id = {item_id}" if item_id else "",
        )
        return {"analyses": [_analysis(r) for r in page.items], "total_size": page.total_size}
