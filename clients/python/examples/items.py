"""Create, change and list items; errors arrive as typed exceptions."""

from _common import signed_in_client

from opengovfood_client import ConflictError, InvalidArgumentError

with signed_in_client() as client:
    item = client.items.create(
        "Walk-in cooler at 9 C", "Dairy held above 5 C since the morning delivery.", "pending"
    )
    print(f"created #{item.id}: {item.title}")

    read = item
    item = client.items.update(item.id, status="in_progress", etag=item.etag)
    try:  # a write based on what we read before that update is refused
        client.items.update(item.id, title="Someone else's edit", etag=read.etag)
    except ConflictError as error:
        print(f"conditional update refused: {error.message}")

    try:
        client.items.create("")
    except InvalidArgumentError as error:
        for violation in error.field_violations:
            print(f"invalid {violation.field}: {violation.description}")

    # Pages are fetched as you iterate.
    for listed in client.items.list(filter="status = ITEM_STATUS_IN_PROGRESS", page_size=20):
        print(f"#{listed.id:<5} {listed.title}")
