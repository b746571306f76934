"""Watch item changes live (Ctrl-C to stop). Run items.py in another terminal."""

from _common import signed_in_client

from opengovfood_client.v1 import items_pb2

with signed_in_client() as client, client.items.watch() as events:
    print("watching; create or change items to see events")
    try:
        for event in events:
            kind = items_pb2.ItemEventType.Name(event.type).removeprefix("ITEM_EVENT_TYPE_")
            print(f"{kind:<8} #{event.item.id} {event.item.title}")
    except KeyboardInterrupt:
        pass
