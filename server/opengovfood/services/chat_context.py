"""The "From your records" block: a chat question answered from the caller's own data,
deterministically, for providers that cannot call tools (the local model).

    context = RecordsContext(items_service, analyses_service)
    block = await context.block(principal, "Which of my items are pending?")
    # 'From your records:\\n- You have 2 pending items: #7 "Taqueria Sol" (created …); …'

The question is read by :func:`~opengovfood.services.chat_question.read_question`, with
the names of the caller's items and establishments; the data is read through
:class:`~opengovfood.services.items.ItemService`,
:class:`~opengovfood.services.establishments.EstablishmentService` and
:class:`~opengovfood.services.analyses.AnalysisService` with the caller's principal, the
same rules as their RPCs, and narrowed to the caller's own records (``owner_id``). A named
establishment brings its items (newest inspection first); "the last inspection of …" is
the latest of the named items by ``inspect_time``, with its latest analysis (score,
grade, each violation by Food Code section). A
superuser asking about "my items" hears about theirs, and nobody hears about records
they could not read. A question not about records gets ``""`` (the chat answers as
before). Empty results say so ("You have no pending items."). The block is bounded
(:data:`MAX_BLOCK_CHARS`) so it fits a small model's window with room to answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Protocol, TypeVar

from opengovfood.domain.analyses import AnalysisRecord, Violation, ViolationSource
from opengovfood.domain.establishments import EstablishmentRecord, RiskCategory
from opengovfood.domain.items import InspectionResult, ItemKind, ItemRecord, ItemStatus
from opengovfood.domain.pagination import Page
from opengovfood.domain.principal import Principal
from opengovfood.services.chat_question import Named, Question, read_question

R = TypeVar("R")

BLOCK_HEADING = "From your records:"
MAX_BLOCK_CHARS = 1800
# Items listed by name in one line; the count is always exact.
LIST_ITEMS = 8
# Items scanned for names a question may use (newest first).
NAME_SCAN = 500
NAMED_ITEMS = 3
ANALYSES_LISTED = 5
VIOLATIONS_LISTED = 8
_EXCERPT = 160

_STATUS_TEXT = {
    ItemStatus.PENDING: "pending",
    ItemStatus.IN_PROGRESS: "in progress",
    ItemStatus.COMPLETED: "completed",
    ItemStatus.CANCELLED: "cancelled",
}
_FILTER_VALUE = {
    ItemStatus.PENDING: "PENDING",
    ItemStatus.IN_PROGRESS: "IN_PROGRESS",
    ItemStatus.COMPLETED: "COMPLETED",
    ItemStatus.CANCELLED: "CANCELLED",
}


class ItemReader(Protocol):
    async def list_items(
        self,
        principal: Principal,
        *,
        page_size: int = 0,
        page_token: str = "",
        filter: str = "",
        order_by: str = "",
    ) -> Page[ItemRecord]: ...


class EstablishmentReader(Protocol):
    async def list_establishments(
        self,
        principal: Principal,
        *,
        page_size: int = 0,
        page_token: str = "",
        filter: str = "",
        order_by: str = "",
    ) -> Page[EstablishmentRecord]: ...


class AnalysisReader(Protocol):
    async def list_analyses(
        self, principal: Principal, *, page_size: int = 0, page_token: str = "", filter: str = ""
    ) -> Page[AnalysisRecord]: ...


def _excerpt(text: str, limit: int = _EXCERPT) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _day(moment: datetime) -> str:
    return moment.date().isoformat()


def _plural(count: int, word: str, plural: str = "") -> str:
    return f"{count} {word}" if count == 1 else f"{count} {plural or word + 's'}"


def _either(statuses: Sequence[ItemStatus]) -> str:
    names = [_STATUS_TEXT[s] for s in statuses]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _end(text: str) -> str:
    """A sentence's full stop, unless a quotation already ends it."""
    return text if text.endswith(('."', '…"', '!"', '?"', ".")) else text + "."


def _title(item: ItemRecord) -> str:
    return f'#{item.id} "{_excerpt(item.title, 100)}"'


def _inspected(item: ItemRecord) -> datetime:
    """When the item's inspection took place (its creation time if none is recorded)."""
    return item.inspect_time or item.create_time


_KIND_TEXT = {
    ItemKind.ROUTINE_INSPECTION: "routine inspection",
    ItemKind.FOLLOW_UP: "follow-up",
    ItemKind.COMPLAINT: "complaint",
    ItemKind.PRE_OPENING: "pre-opening",
    ItemKind.OTHER: "other visit",
}
_RESULT_TEXT = {
    InspectionResult.PASS: "pass",
    InspectionResult.PASS_WITH_CONDITIONS: "pass with conditions",
    InspectionResult.FAIL: "fail",
    InspectionResult.NO_ENTRY: "no entry",
}


def _item_line(item: ItemRecord) -> str:
    kind = _KIND_TEXT.get(item.kind)
    text = f"{_title(item)}: " + (f"{kind}, " if kind else "") + _STATUS_TEXT[item.status]
    if kind:
        text += f", inspected {_day(_inspected(item))}"
    else:
        text += f", created {_day(item.create_time)}"
        if item.update_time.date() != item.create_time.date():
            text += f", updated {_day(item.update_time)}"
    result = _RESULT_TEXT.get(item.result)
    if result:
        text += f"; result: {result}, score {item.score}"
    if item.description.strip():
        text += f'; notes: "{_excerpt(item.description)}"'
    return _end(text)


def _place_line(place: EstablishmentRecord, inspections: int) -> str:
    address = ", ".join(
        part for part in (place.address.street, place.address.city, place.address.state) if part
    )
    facts = [address] if address else []
    if place.license_number:
        facts.append(f"licence {place.license_number}")
    if place.risk_category is not RiskCategory.UNSPECIFIED:
        facts.append(f"risk category {int(place.risk_category)}")
    about = f" ({'; '.join(facts)})" if facts else ""
    held = _plural(inspections, "inspection") if inspections else "no inspections"
    return f'Establishment "{_excerpt(place.name, 100)}"{about}: {held} on record.'


_DESIGNATION = {"P": "Priority", "Pf": "Priority Foundation", "C": "Core"}


def _violation_text(violation: Violation) -> str:
    """ "3-501.16 Cold holding at 48F (Priority, corrected on site)"; the section, or the
    stored code of an analysis made before the catalogue."""
    marks = [_DESIGNATION.get(violation.severity, violation.severity)]
    if violation.corrected_on_site:
        marks.append("corrected on site")
    if violation.repeat:
        marks.append("repeat")
    if violation.source is ViolationSource.MODEL:
        marks.append("proposed by the model, not scored")
    section = violation.food_code_section or violation.code
    return f"{section} {_excerpt(violation.description, 100)} ({', '.join(m for m in marks if m)})"


def _score_text(analysis: AnalysisRecord) -> str:
    score = analysis.score
    if not score.scheme:  # stored before scores: the model's compliance score
        return f"compliance score {analysis.compliance_score:.2f}"
    grade = f", grade {score.grade}" if score.grade else ""
    return f"score {score.score}/100{grade} ({score.scheme} scheme)"


def _analysis_line(analysis: AnalysisRecord, *, full: bool) -> str:
    text = (
        f"Analysis #{analysis.id} of {_day(analysis.create_time)}: {_score_text(analysis)}, "
        f"{_plural(len(analysis.violations), 'violation')}"
    )
    if full:
        if analysis.violations:
            shown = [_violation_text(v) for v in analysis.violations[:VIOLATIONS_LISTED]]
            more = len(analysis.violations) - len(shown)
            text += ": " + "; ".join(shown) + (f"; and {more} more" if more > 0 else "")
        if analysis.summary.strip():
            text += f'. Summary: "{_excerpt(analysis.summary)}"'
    elif analysis.violations:
        text += (
            " ("
            + ", ".join(
                v.food_code_section or v.code for v in analysis.violations[:VIOLATIONS_LISTED]
            )
            + ")"
        )
    return _end(text)


def _bounded(lines: list[str]) -> str:
    """The block, cut at a line (or within the first) to :data:`MAX_BLOCK_CHARS`."""
    out = BLOCK_HEADING
    for line in lines:
        entry = "\n- " + line
        if len(out) + len(entry) > MAX_BLOCK_CHARS:
            room = MAX_BLOCK_CHARS - len(out) - 4
            if room > 40:
                out += entry[:room].rstrip() + "…"
            break
        out += entry
    return out + "\n\n"


class RecordsContext:
    """Builds the "From your records" block for a question (see the module docstring)."""

    def __init__(
        self,
        items: ItemReader,
        analyses: AnalysisReader,
        establishments: EstablishmentReader | None = None,
    ) -> None:
        self._items = items
        self._analyses = analyses
        self._establishments = establishments

    async def block(self, principal: Principal, text: str) -> str:
        """The block for ``text`` ("" when the question is not about the caller's records)."""
        if principal.user_id is None:
            return ""
        own = f"owner_id = {principal.user_id}"
        items = await self._scan(self._items.list_items, principal, own)
        places = (
            await self._scan(self._establishments.list_establishments, principal, own)
            if self._establishments is not None
            else []
        )
        question = read_question(
            text,
            [Named("item", i.id, i.title) for i in items]
            + [Named("establishment", e.id, e.name) for e in places],
        )
        if not question.about_records:
            return ""
        item_by_id = {i.id: i for i in items}
        place_by_id = {e.id: e for e in places}
        named = [item_by_id[n.id] for n in question.named if n.kind == "item"]
        named_places = [place_by_id[n.id] for n in question.named if n.kind == "establishment"]
        place_lines: list[str] = []
        for place in named_places[:NAMED_ITEMS]:
            page = await self._items.list_items(
                principal,
                page_size=NAMED_ITEMS,
                filter=f"{own} AND establishment_id = {place.id}",
                order_by="inspect_time desc",
            )
            place_lines.append(_place_line(place, page.total_size))
            named.extend(i for i in page.items if i.id not in {n.id for n in named})
        lines = place_lines + await self._lines(
            principal, own, question, named, named_place=bool(named_places)
        )
        return _bounded(lines) if lines else ""

    async def _scan(
        self, list_page: Callable[..., Awaitable[Page[R]]], principal: Principal, own: str
    ) -> list[R]:
        """The caller's newest records (up to :data:`NAME_SCAN`), for their names."""
        found: list[R] = []
        token = ""
        while len(found) < NAME_SCAN:
            page = await list_page(
                principal, page_size=NAME_SCAN - len(found), page_token=token, filter=own
            )
            found.extend(page.items)
            token = page.next_page_token
            if not token:
                break
        return found

    async def _lines(
        self,
        principal: Principal,
        own: str,
        question: Question,
        named: list[ItemRecord],
        *,
        named_place: bool,
    ) -> list[str]:
        lines: list[str] = []
        if question.unmatched_name:
            asked = _excerpt(question.unmatched_name, 80)
            lines.append(f'None of your items or establishments matches "{asked}".')
        if question.statuses:
            lines.append(await self._status_line(principal, own, question.statuses, named))
        elif question.items and not named and not named_place and not question.last:
            lines.extend(await self._overview(principal, own))
        if question.last and (named or not (question.unmatched_name or named_place)):
            lines.extend(await self._last(principal, own, named))
        elif named and question.statuses and not question.analyses:
            pass  # "is the deli done?": the status line answers
        elif named:
            for item in sorted(named, key=_inspected, reverse=True)[:NAMED_ITEMS]:
                lines.append(_item_line(item))
                lines.extend(await self._analyses_of(principal, item, full=True))
            if len(named) > NAMED_ITEMS:
                lines.append(f"{len(named) - NAMED_ITEMS} more of your items match that name.")
        elif question.analyses and not named_place:
            lines.extend(await self._recent_analyses(principal))
        return lines

    async def _status_line(
        self,
        principal: Principal,
        own: str,
        statuses: Sequence[ItemStatus],
        named: list[ItemRecord],
    ) -> str:
        wanted = " OR ".join(f"status = {_FILTER_VALUE[s]}" for s in statuses)
        which = _either(statuses)
        if named:  # "is the Taqueria Sol visit completed?"
            hits = [i for i in named if i.status in statuses]
            if not hits:
                return (
                    f"None of the items you named is {which}: "
                    + "; ".join(
                        f"{_title(i)} is {_STATUS_TEXT[i.status]}" for i in named[:LIST_ITEMS]
                    )
                    + "."
                )
            return f"{which.capitalize()}: " + "; ".join(_title(i) for i in hits) + "."
        page = await self._items.list_items(
            principal, page_size=LIST_ITEMS, filter=f"{own} AND {wanted}"
        )
        if not page.total_size:
            return f"You have no {which} items."
        listed = "; ".join(
            f"{_title(i)} ({_STATUS_TEXT[i.status]}, created {_day(i.create_time)})"
            if len(statuses) > 1
            else f"{_title(i)} (created {_day(i.create_time)})"
            for i in page.items
        )
        more = page.total_size - len(page.items)
        tail = f"; and {more} more" if more > 0 else ""
        return f"You have {_plural(page.total_size, which + ' item')}: {listed}{tail}."

    async def _overview(self, principal: Principal, own: str) -> list[str]:
        counts: list[str] = []
        total = 0
        for status in ItemStatus:
            page = await self._items.list_items(
                principal, page_size=1, filter=f"{own} AND status = {_FILTER_VALUE[status]}"
            )
            total += page.total_size
            if page.total_size:
                counts.append(f"{page.total_size} {_STATUS_TEXT[status]}")
        if not total:
            return ["You have no items."]
        newest = await self._items.list_items(principal, page_size=LIST_ITEMS // 2, filter=own)
        shown = "; ".join(f"{_title(i)} ({_STATUS_TEXT[i.status]})" for i in newest.items)
        return [
            f"You have {_plural(total, 'item')}: {', '.join(counts)}.",
            f"Newest: {shown}.",
        ]

    async def _last(self, principal: Principal, own: str, named: list[ItemRecord]) -> list[str]:
        if named:
            latest = max(named, key=_inspected)
            lead = "Your last inspection there: "
        else:
            page = await self._items.list_items(
                principal, page_size=1, filter=own, order_by="inspect_time desc"
            )
            if not page.items:
                return ["You have no inspections (items) yet."]
            latest = page.items[0]
            lead = "Your most recent inspection: "
        lines = [lead + _item_line(latest)]
        lines.extend(await self._analyses_of(principal, latest, full=True))
        return lines

    async def _analyses_of(
        self, principal: Principal, item: ItemRecord, *, full: bool
    ) -> list[str]:
        page = await self._analyses.list_analyses(
            principal, page_size=1, filter=f"item_id = {item.id}"
        )
        if not page.items:
            return [f"Item #{item.id} has no stored analysis."]
        line = _analysis_line(page.items[0], full=full)
        if page.total_size > 1:
            line = f"Latest of {page.total_size} analyses of item #{item.id}: " + line
        return [line]

    async def _recent_analyses(self, principal: Principal) -> list[str]:
        page = await self._analyses.list_analyses(principal, page_size=ANALYSES_LISTED)
        if not page.items:
            return ["You have no stored analyses."]
        lines = [
            f"You have {_plural(page.total_size, 'analysis', 'analyses')}"
            + (f"; the newest {len(page.items)}:" if page.total_size > len(page.items) else ":")
        ]
        for analysis in page.items:
            about = f" (item #{analysis.item_id})" if analysis.item_id else ""
            lines.append(_analysis_line(analysis, full=False).removesuffix(".") + about + ".")
        return lines
