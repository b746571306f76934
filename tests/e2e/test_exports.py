"""ExportInspections (LIVES) and RenderInspectionReport through the real server, on the
Chicago sample imported for one user: columns, dates, filters, who sees what, errors."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from typing import TYPE_CHECKING

import grpc
import pytest
from pypdf import PdfReader

from opengovfood.app import build_import_service
from opengovfood.inspection.chicago_import import ImportedInspection, read_chicago, sample
from opengovfood_client.v1 import exports_pb2, items_pb2, items_pb2_grpc
from support.items import code_of, create, field_violations

if TYPE_CHECKING:
    from support.server import RunningServer, TestUser, UserFactory

LIVES = exports_pb2.EXPORT_FORMAT_LIVES
Feed = dict[str, list[dict[str, str]]]


def _sample_rows() -> list[ImportedInspection]:
    with sample() as lines:
        return [row for row in read_chicago(lines) if isinstance(row, ImportedInspection)]


async def export(
    stub: items_pb2_grpc.ItemServiceStub,
    metadata: tuple[tuple[str, str], ...],
    filter: str = "",
) -> tuple[Feed, dict[str, list[str]], list[exports_pb2.ExportChunk]]:
    """The feed's files as rows (by file name), their header rows, and the raw chunks."""
    chunks = [
        chunk
        async for chunk in stub.ExportInspections(
            exports_pb2.ExportInspectionsRequest(format=LIVES, filter=filter), metadata=metadata
        )
    ]
    data: dict[str, bytes] = {}
    for chunk in chunks:
        data[chunk.file_name] = data.get(chunk.file_name, b"") + chunk.data
    feed = {
        name: list(csv.DictReader(io.StringIO(raw.decode("utf-8"), newline="")))
        for name, raw in data.items()
    }
    headers = {
        name: next(csv.reader(io.StringIO(raw.decode("utf-8")))) for name, raw in data.items()
    }
    return feed, headers, chunks


@pytest.fixture(scope="module")
async def chicago(server: RunningServer, make_user: UserFactory) -> TestUser:
    """A user owning the 342 inspections of the Chicago sample (imported once)."""
    user = await make_user()
    service = build_import_service(server.app.container)
    with sample() as lines:
        summary = await service.import_chicago(await service.owner(user.email), lines)
    assert (summary.imported, summary.skipped, summary.problems) == (342, 0, [])
    assert summary.establishments == 313
    return user


async def test_export_has_the_lives_files_columns_and_dates(
    items_stub: items_pb2_grpc.ItemServiceStub, chicago: TestUser
) -> None:
    feed, headers, chunks = await export(items_stub, chicago.metadata)
    names = list(dict.fromkeys(chunk.file_name for chunk in chunks))
    assert names == [
        "businesses.csv",
        "inspections.csv",
        "violations.csv",
        "feed_info.csv",
        "legend.csv",
    ]
    assert all(0 < len(chunk.data) <= 64 * 1024 for chunk in chunks)
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

    rows = _sample_rows()
    assert len(feed["businesses.csv"]) == 313
    assert len(feed["inspections.csv"]) == 342
    assert len(feed["violations.csv"]) == sum(len(row.violations) for row in rows)
    dates = {row["date"] for row in feed["inspections.csv"] + feed["violations.csv"]}
    assert dates == {"20200303", "20200304", "20200305", "20200306"}
    assert all(re.fullmatch(r"\d{8}", row["feed_date"]) for row in feed["feed_info.csv"])
    business_ids = {row["business_id"] for row in feed["businesses.csv"]}
    assert {row["business_id"] for row in feed["inspections.csv"]} == business_ids
    assert Counter(row["type"] for row in feed["inspections.csv"]) == Counter(
        {"routine": 164, "followup": 94, "initial": 55, "complaint": 29}
    )
    subway = next(b for b in feed["businesses.csv"] if b["address"] == "2008 N HALSTED ST")
    assert (subway["name"], subway["city"], subway["state"]) == ("SUBWAY", "Chicago", "IL")


async def test_round_trip_matches_the_source_file(
    items_stub: items_pb2_grpc.ItemServiceStub, chicago: TestUser
) -> None:
    """Every source inspection comes out with its place, date, type, score and cited codes."""
    feed, _, _ = await export(items_stub, chicago.metadata)
    places = {row["business_id"]: row for row in feed["businesses.csv"]}
    exported = Counter(
        (
            places[row["business_id"]]["name"],
            places[row["business_id"]]["address"],
            row["date"],
            row["type"],
            row["score"],
        )
        for row in feed["inspections.csv"]
    )
    lives_types = {
        "routine_inspection": "routine",
        "follow_up": "followup",
        "complaint": "complaint",
        "pre_opening": "initial",
        "other": "routine",
    }
    expected = Counter(
        (
            row.establishment.name,
            row.establishment.street,
            row.inspect_time.strftime("%Y%m%d"),
            lives_types[row.kind],
            "" if row.score is None else str(row.score),
        )
        for row in _sample_rows()
    )
    assert exported == expected
    cited = Counter(
        (places[row["business_id"]]["name"], row["date"], row["code"])
        for row in feed["violations.csv"]
    )
    assert cited == Counter(
        (row.establishment.name, row.inspect_time.strftime("%Y%m%d"), v.code)
        for row in _sample_rows()
        for v in row.violations
    )


@pytest.mark.parametrize(
    ("filter", "count"),
    [
        ("result = INSPECTION_RESULT_FAIL", 63),
        ("result = INSPECTION_RESULT_PASS OR result = INSPECTION_RESULT_PASS_WITH_CONDITIONS", 238),
        ("kind = ITEM_KIND_COMPLAINT", 29),
        ('inspect_time >= "2020-03-06T00:00:00Z"', 87),
        ('title:"subway"', 6),
    ],
)
async def test_filters_narrow_the_export(
    items_stub: items_pb2_grpc.ItemServiceStub, chicago: TestUser, filter: str, count: int
) -> None:
    feed, _, _ = await export(items_stub, chicago.metadata, filter)
    assert len(feed["inspections.csv"]) == count
    exported = {row["business_id"] for row in feed["inspections.csv"]}
    assert {row["business_id"] for row in feed["businesses.csv"]} == exported
    assert {row["business_id"] for row in feed["violations.csv"]} <= exported


async def test_others_see_none_of_it_superusers_and_readers_all(
    items_stub: items_pb2_grpc.ItemServiceStub,
    chicago: TestUser,
    make_user: UserFactory,
) -> None:
    other = await make_user()
    await create(items_stub, other.metadata, title="not an inspection: no establishment")
    feed, headers, _ = await export(items_stub, other.metadata)
    assert feed["businesses.csv"] == feed["inspections.csv"] == feed["violations.csv"] == []
    assert headers["inspections.csv"][:4] == ["business_id", "score", "date", "type"]

    admin = await make_user(superuser=True)
    everything, _, _ = await export(items_stub, admin.metadata, f"owner_id = {chicago.id}")
    assert len(everything["inspections.csv"]) == 342
    reader = make_user.service_token("open-data", frozenset({"items:read"}))
    assert (
        len((await export(items_stub, reader, f"owner_id = {chicago.id}"))[0]["inspections.csv"])
        == 342
    )

    no_scope = make_user.service_token("nothing", frozenset())
    code = await code_of(export(items_stub, no_scope))
    assert code == grpc.StatusCode.PERMISSION_DENIED
    assert await code_of(export(items_stub, ())) == grpc.StatusCode.UNAUTHENTICATED


async def test_bad_requests(items_stub: items_pb2_grpc.ItemServiceStub, chicago: TestUser) -> None:
    for request, field in (
        (exports_pb2.ExportInspectionsRequest(filter=""), "format"),
        (exports_pb2.ExportInspectionsRequest(format=7), "format"),
        (exports_pb2.ExportInspectionsRequest(format=LIVES, filter="colour = red"), "filter"),
        (exports_pb2.ExportInspectionsRequest(format=LIVES, filter="result = ("), "filter"),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as info:
            async for _ in items_stub.ExportInspections(request, metadata=chicago.metadata):
                pass
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert set(field_violations(info.value)) == {field}


async def _report(
    stub: items_pb2_grpc.ItemServiceStub, metadata: tuple[tuple[str, str], ...], item_id: int
) -> tuple[str, bytes]:
    chunks = [
        chunk
        async for chunk in stub.RenderInspectionReport(
            exports_pb2.RenderInspectionReportRequest(id=item_id), metadata=metadata
        )
    ]
    assert {chunk.file_name for chunk in chunks} == {f"inspection-{item_id}.pdf"}
    return chunks[0].file_name, b"".join(chunk.data for chunk in chunks)


async def test_report_of_an_imported_inspection(
    items_stub: items_pb2_grpc.ItemServiceStub, chicago: TestUser, make_user: UserFactory
) -> None:
    page = await items_stub.ListItems(
        items_pb2.ListItemsRequest(filter='title:"SUBWAY" AND kind = ITEM_KIND_ROUTINE_INSPECTION'),
        metadata=chicago.metadata,
    )
    found = [item for item in page.items if "2365371" in item.description]
    assert len(found) == 1
    item = found[0]
    name, pdf = await _report(items_stub, chicago.metadata, item.id)
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    for expected in (
        "SUBWAY",
        "2008 N HALSTED ST",
        "2020-03-06",
        "Routine inspection",
        "Pass with conditions",
        chicago.email,
        "Priority Foundation",
        "NO SOAP PROVIDED AT STAFF WASHROOM",
    ):
        assert expected in text, expected
    assert re.search(r"\b5-\d{3}\.\d+", text)  # a Food Code section of the hand-sink item

    other = await make_user()
    assert await code_of(_report(items_stub, other.metadata, item.id)) == grpc.StatusCode.NOT_FOUND
    admin = await make_user(superuser=True)
    assert (await _report(items_stub, admin.metadata, item.id))[0] == name
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await _report(items_stub, chicago.metadata, 0)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert await code_of(_report(items_stub, chicago.metadata, 2**62)) == grpc.StatusCode.NOT_FOUND


async def test_report_of_an_item_without_establishment_or_analysis(
    items_stub: items_pb2_grpc.ItemServiceStub, make_user: UserFactory
) -> None:
    user = await make_user()
    item = await create(items_stub, user.metadata, title="Walk-in cooler check")
    _, pdf = await _report(items_stub, user.metadata, item.id)
    text = " ".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
    assert "Walk-in cooler check" in text
    assert "No violations were cited." in text
