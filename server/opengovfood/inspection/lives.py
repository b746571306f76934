"""LIVES, the open-data feed of inspection results (Yelp, San Francisco, New York, 2013).

A feed is a set of CSV files with fixed column names:

- `businesses.csv`   business_id, name, address, city, state, postal_code (required), then
                     the optional `business_certificate` (the establishment's licence number)
- `inspections.csv`  business_id, score, date, type (date YYYYMMDD; type one of `initial`,
                     `routine`, `followup`, `complaint`), then the optional `description`
                     (here: the result, e.g. "Pass w/ Conditions")
- `violations.csv`   business_id, date, code, description
- `feed_info.csv`    feed_date, feed_version, municipality_name, municipality_url,
                     contact_email
- `legend.csv`       minimum_score, maximum_score, description (the score bands)

`write_feed` streams them, one file after the other, as chunks of about `chunk_size` bytes
(UTF-8, CRLF line ends as the `csv` module writes them): rows are pulled from async
iterators and written into one small buffer that is emptied at each chunk, so a feed of a
million inspections needs no more memory than one of ten. LIVES forbids tabs and line
breaks inside values: they become single spaces.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final, TypeVar

__all__ = [
    "BUSINESS_COLUMNS",
    "FEED_INFO_COLUMNS",
    "INSPECTION_COLUMNS",
    "LEGEND_COLUMNS",
    "VIOLATION_COLUMNS",
    "FeedChunk",
    "FeedInfo",
    "LegendBand",
    "LivesBusiness",
    "LivesFeed",
    "LivesInspection",
    "LivesViolation",
    "legend_bands",
    "lives_date",
    "lives_type",
    "write_feed",
]

BUSINESS_COLUMNS: Final = (
    "business_id",
    "name",
    "address",
    "city",
    "state",
    "postal_code",
    "business_certificate",
)
INSPECTION_COLUMNS: Final = ("business_id", "score", "date", "type", "description")
VIOLATION_COLUMNS: Final = ("business_id", "date", "code", "description")
FEED_INFO_COLUMNS: Final = (
    "feed_date",
    "feed_version",
    "municipality_name",
    "municipality_url",
    "contact_email",
)
LEGEND_COLUMNS: Final = ("minimum_score", "maximum_score", "description")

FILE_NAMES: Final = (
    "businesses.csv",
    "inspections.csv",
    "violations.csv",
    "feed_info.csv",
    "legend.csv",
)
DEFAULT_CHUNK_SIZE: Final = 64 * 1024

# Item kinds (their stored values) -> LIVES inspection types.
_LIVES_TYPES: Final = {
    "routine_inspection": "routine",
    "follow_up": "followup",
    "complaint": "complaint",
    "pre_opening": "initial",
}
_Row = TypeVar("_Row")
_BREAKS = re.compile(r"[\t\r\n\v\f\x85\u2028\u2029]+")


@dataclass(frozen=True, slots=True)
class LivesBusiness:
    business_id: int
    name: str
    address: str
    city: str
    state: str
    postal_code: str
    business_certificate: str = ""


@dataclass(frozen=True, slots=True)
class LivesInspection:
    business_id: int
    score: int | None  # None: not scored (LIVES leaves the cell empty)
    date: date
    type: str  # a LIVES type, see lives_type
    description: str = ""


@dataclass(frozen=True, slots=True)
class LivesViolation:
    business_id: int
    date: date
    code: str
    description: str


@dataclass(frozen=True, slots=True)
class FeedInfo:
    feed_date: date
    feed_version: str
    municipality_name: str
    municipality_url: str = ""
    contact_email: str = ""


@dataclass(frozen=True, slots=True)
class LegendBand:
    minimum_score: int
    maximum_score: int
    description: str


@dataclass(frozen=True, slots=True)
class FeedChunk:
    file_name: str
    data: bytes


@dataclass(frozen=True, slots=True)
class LivesFeed:
    """What a feed is made of. The three row sources are called once each, in file order,
    so each can open its database cursor only when its file is written."""

    businesses: Callable[[], AsyncIterable[LivesBusiness]]
    inspections: Callable[[], AsyncIterable[LivesInspection]]
    violations: Callable[[], AsyncIterable[LivesViolation]]
    info: FeedInfo
    legend: Sequence[LegendBand] = ()


def lives_date(value: date) -> str:
    """LIVES dates are YYYYMMDD."""
    return f"{value.year:04d}{value.month:02d}{value.day:02d}"


def lives_type(kind: str) -> str:
    """The LIVES inspection type of an item kind (its stored value); kinds LIVES has no
    word for (`other`) are published as `routine`."""
    return _LIVES_TYPES.get(kind, "routine")


# A text cell a spreadsheet would run as a formula (OWASP "CSV injection"): published
# files are opened in spreadsheets, so such cells are quoted with a leading apostrophe.
_FORMULA = re.compile(r"[=+\-@]")
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")


def _clean(value: str) -> str:
    value = _BREAKS.sub(" ", value).strip()
    if _FORMULA.match(value) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def _business_row(row: LivesBusiness) -> tuple[object, ...]:
    return (
        row.business_id,
        _clean(row.name),
        _clean(row.address),
        _clean(row.city),
        _clean(row.state),
        _clean(row.postal_code),
        _clean(row.business_certificate),
    )


def _inspection_row(row: LivesInspection) -> tuple[object, ...]:
    score = "" if row.score is None else row.score
    return (row.business_id, score, lives_date(row.date), row.type, _clean(row.description))


def _violation_row(row: LivesViolation) -> tuple[object, ...]:
    return (row.business_id, lives_date(row.date), _clean(row.code), _clean(row.description))


class _ChunkedCsv:
    """A csv.writer over a small buffer that is handed out as bytes whenever it fills."""

    def __init__(self, file_name: str, columns: Sequence[str], chunk_size: int) -> None:
        self.file_name = file_name
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer)
        self._chunk_size = chunk_size
        self._writer.writerow(columns)

    def write(self, row: Iterable[object]) -> FeedChunk | None:
        self._writer.writerow(row)
        if self._buffer.tell() >= self._chunk_size:
            return self.flush()
        return None

    def flush(self) -> FeedChunk | None:
        text = self._buffer.getvalue()
        if not text:
            return None
        self._buffer.seek(0)
        self._buffer.truncate()
        return FeedChunk(self.file_name, text.encode("utf-8"))


async def _stream(
    file_name: str,
    columns: Sequence[str],
    rows: AsyncIterable[_Row],
    to_row: Callable[[_Row], tuple[object, ...]],
    chunk_size: int,
) -> AsyncIterator[FeedChunk]:
    out = _ChunkedCsv(file_name, columns, chunk_size)
    async for row in rows:
        chunk = out.write(to_row(row))
        if chunk is not None:
            yield chunk
    last = out.flush()
    if last is not None:
        yield last


def _small_file(
    file_name: str, columns: Sequence[str], rows: Iterable[Iterable[object]]
) -> FeedChunk:
    out = _ChunkedCsv(file_name, columns, chunk_size=1 << 62)
    for row in rows:
        out.write(row)
    chunk = out.flush()
    assert chunk is not None  # the header at least
    return chunk


async def write_feed(
    feed: LivesFeed, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> AsyncIterator[FeedChunk]:
    """The feed's files in order (businesses, inspections, violations, feed_info, then
    legend when there are bands), each as one or more chunks; every file starts with
    its header row, also when it has no rows."""
    async for chunk in _stream(
        "businesses.csv", BUSINESS_COLUMNS, feed.businesses(), _business_row, chunk_size
    ):
        yield chunk
    async for chunk in _stream(
        "inspections.csv", INSPECTION_COLUMNS, feed.inspections(), _inspection_row, chunk_size
    ):
        yield chunk
    async for chunk in _stream(
        "violations.csv", VIOLATION_COLUMNS, feed.violations(), _violation_row, chunk_size
    ):
        yield chunk
    info = feed.info
    yield _small_file(
        "feed_info.csv",
        FEED_INFO_COLUMNS,
        [
            (
                lives_date(info.feed_date),
                _clean(info.feed_version),
                _clean(info.municipality_name),
                _clean(info.municipality_url),
                _clean(info.contact_email),
            )
        ],
    )
    if feed.legend:
        yield _small_file(
            "legend.csv",
            LEGEND_COLUMNS,
            [(b.minimum_score, b.maximum_score, _clean(b.description)) for b in feed.legend],
        )


def legend_bands(bands: Sequence[tuple[str, int]], maximum: int = 100) -> tuple[LegendBand, ...]:
    """LIVES legend rows from a scoring scheme's grade bands, best first (`(grade,
    min_score)`): each band runs from its minimum to just below the next better one."""
    rows = []
    upper = maximum
    for grade, minimum in bands:
        rows.append(LegendBand(minimum, upper, grade))
        upper = minimum - 1
    return tuple(rows)
