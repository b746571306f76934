"""The LIVES writer: file order, exact column names, YYYYMMDD dates, escaping, chunking."""

from __future__ import annotations

import csv
import io
import tracemalloc
from collections.abc import AsyncIterator, Iterable
from datetime import date
from typing import TypeVar

from opengovfood.inspection.lives import (
    FeedChunk,
    FeedInfo,
    LegendBand,
    LivesBusiness,
    LivesFeed,
    LivesInspection,
    LivesViolation,
    lives_type,
    write_feed,
)

T = TypeVar("T")


async def _rows(rows: Iterable[T]) -> AsyncIterator[T]:
    for row in rows:
        yield row


async def _collect(feed: LivesFeed, chunk_size: int = 64 * 1024) -> list[FeedChunk]:
    return [chunk async for chunk in write_feed(feed, chunk_size)]


def _files(chunks: list[FeedChunk]) -> dict[str, list[dict[str, str]]]:
    joined: dict[str, bytes] = {}
    for chunk in chunks:
        joined[chunk.file_name] = joined.get(chunk.file_name, b"") + chunk.data
    return {
        name: list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))
        for name, data in joined.items()
    }


def _headers(chunks: list[FeedChunk]) -> dict[str, list[str]]:
    headers: dict[str, list[str]] = {}
    for chunk in chunks:
        if chunk.file_name not in headers:
            headers[chunk.file_name] = next(csv.reader(io.StringIO(chunk.data.decode())))
    return headers


INFO = FeedInfo(
    date(2026, 12, 1), "1.0", "City of Example", "https://example.org", "eh@example.org"
)


def _feed(
    businesses: list[LivesBusiness],
    inspections: list[LivesInspection],
    violations: list[LivesViolation],
    legend: tuple[LegendBand, ...] = (),
) -> LivesFeed:
    return LivesFeed(
        businesses=lambda: _rows(businesses),
        inspections=lambda: _rows(inspections),
        violations=lambda: _rows(violations),
        info=INFO,
        legend=legend,
    )


async def test_files_in_order_with_lives_column_names_and_dates() -> None:
    feed = _feed(
        [LivesBusiness(7, "Cafe Sushi", "1342 N Wells St", "Chicago", "IL", "60610", "2517730")],
        [LivesInspection(7, 88, date(2020, 3, 6), "routine", "Pass w/ Conditions")],
        [LivesViolation(7, date(2020, 3, 6), "5-205.11(A)", "No soap at the hand sink")],
        (LegendBand(92, 100, "Good"), LegendBand(0, 59, "Unsatisfactory")),
    )
    chunks = await _collect(feed)
    assert [c.file_name for c in chunks] == [
        "businesses.csv",
        "inspections.csv",
        "violations.csv",
        "feed_info.csv",
        "legend.csv",
    ]
    headers = _headers(chunks)
    assert headers["businesses.csv"][:6] == [
        "business_id",
        "name",
        "address",
        "city",
        "state",
        "postal_code",
    ]
    assert headers["inspections.csv"][:4] == ["business_id", "score", "date", "type"]
    assert headers["violations.csv"] == ["business_id", "date", "code", "description"]
    assert headers["feed_info.csv"] == [
        "feed_date",
        "feed_version",
        "municipality_name",
        "municipality_url",
        "contact_email",
    ]
    assert headers["legend.csv"] == ["minimum_score", "maximum_score", "description"]
    files = _files(chunks)
    assert files["businesses.csv"] == [
        {
            "business_id": "7",
            "name": "Cafe Sushi",
            "address": "1342 N Wells St",
            "city": "Chicago",
            "state": "IL",
            "postal_code": "60610",
            "business_certificate": "2517730",
        }
    ]
    assert files["inspections.csv"][0] == {
        "business_id": "7",
        "score": "88",
        "date": "20200306",
        "type": "routine",
        "description": "Pass w/ Conditions",
    }
    assert files["violations.csv"][0]["date"] == "20200306"
    assert files["feed_info.csv"][0]["feed_date"] == "20261201"
    assert files["legend.csv"][1] == {
        "minimum_score": "0",
        "maximum_score": "59",
        "description": "Unsatisfactory",
    }


async def test_empty_feed_still_has_every_header_and_no_legend_without_bands() -> None:
    chunks = await _collect(_feed([], [], []))
    assert [c.file_name for c in chunks] == [
        "businesses.csv",
        "inspections.csv",
        "violations.csv",
        "feed_info.csv",
    ]
    assert chunks[1].data == b"business_id,score,date,type,description\r\n"


async def test_values_are_quoted_and_line_breaks_become_spaces() -> None:
    tricky = 'Joe\'s "Best", Tacos\tand\r\nmore'
    feed = _feed(
        [LivesBusiness(1, tricky, "1 Main St, Unit 2", "Chicago", "IL", "")],
        [LivesInspection(1, None, date(2020, 1, 2), "complaint")],
        [LivesViolation(1, date(2020, 1, 2), "CHICAGO-58", "line one\nline two")],
    )
    files = _files(await _collect(feed))
    assert files["businesses.csv"][0]["name"] == 'Joe\'s "Best", Tacos and more'
    assert files["businesses.csv"][0]["address"] == "1 Main St, Unit 2"
    assert files["inspections.csv"][0]["score"] == ""  # not scored
    assert files["violations.csv"][0]["description"] == "line one line two"


def test_item_kinds_map_to_lives_types() -> None:
    assert lives_type("routine_inspection") == "routine"
    assert lives_type("follow_up") == "followup"
    assert lives_type("complaint") == "complaint"
    assert lives_type("pre_opening") == "initial"
    assert lives_type("other") == "routine"


async def test_large_files_stream_in_bounded_chunks() -> None:
    count = 20_000

    async def many() -> AsyncIterator[LivesInspection]:
        for n in range(count):
            yield LivesInspection(n, n % 101, date(2020, 1, 1 + n % 28), "routine", "Pass")

    feed = LivesFeed(
        businesses=lambda: _rows([]),
        inspections=many,
        violations=lambda: _rows([]),
        info=INFO,
    )
    tracemalloc.start()
    sizes = []
    rows = 0
    async for chunk in write_feed(feed, chunk_size=8192):
        if chunk.file_name == "inspections.csv":
            sizes.append(len(chunk.data))
            rows += chunk.data.count(b"\r\n")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert rows == count + 1  # the header and every row
    assert len(sizes) > 50
    assert max(sizes) < 8192 + 200  # a chunk ends at the first row past the size
    # Flat: the peak is a few chunks, not the ~600 kB file.
    assert peak < 200_000


def test_legend_from_grade_bands() -> None:
    from opengovfood.inspection.lives import legend_bands

    bands = [("Good", 90), ("Satisfactory", 75), ("Needs improvement", 50), ("Unsatisfactory", 0)]
    assert legend_bands(bands) == (
        LegendBand(90, 100, "Good"),
        LegendBand(75, 89, "Satisfactory"),
        LegendBand(50, 74, "Needs improvement"),
        LegendBand(0, 49, "Unsatisfactory"),
    )


async def test_cells_a_spreadsheet_would_run_as_formulas_are_quoted() -> None:
    feed = _feed(
        [LivesBusiness(1, '=HYPERLINK("http://evil")', "@SUM(A1)", "+Town", "-1", "60601")],
        [LivesInspection(1, 80, date(2020, 1, 2), "routine")],
        [LivesViolation(1, date(2020, 1, 2), "3-501.16", "-12.5")],
    )
    files = _files(await _collect(feed))
    business = files["businesses.csv"][0]
    assert business["name"] == '\'=HYPERLINK("http://evil")'
    assert business["address"] == "'@SUM(A1)"
    assert business["city"] == "'+Town"
    assert business["state"] == "-1"  # a plain number stays a number
    assert business["postal_code"] == "60601"
    assert files["violations.csv"][0]["description"] == "-12.5"
