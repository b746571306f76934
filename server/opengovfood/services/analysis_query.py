"""ListAnalyses' filter fields and order, on the shared AIP-160 filter parser
(services/filters.py) and keyset pagination (services/pagination.py) that ListItems
uses, so both lists behave the same."""

from __future__ import annotations

from sqlalchemy import func

from opengovfood.db.models import InspectionAnalysis
from opengovfood.services.filters import FilterSpec, integer_field, timestamp_field
from opengovfood.services.pagination import OrderSpec, SortField

_t = InspectionAnalysis.__table__.c

ANALYSIS_FILTERS = FilterSpec(
    [
        # `item_id = 0` selects analyses attached to no item (0 is "none" in the API).
        integer_field("item_id", func.coalesce(_t.item_id, 0)),
        timestamp_field("create_time", _t.create_time),
    ]
)
_ID = SortField("id", _t.id, "integer", "id")
# Newest first; ListAnalysesRequest has no order_by.
ANALYSIS_ORDER = OrderSpec(
    [SortField("create_time", _t.create_time, "timestamp", "create_time"), _ID],
    tiebreaker=_ID,
    default="create_time desc",
).parse("")
