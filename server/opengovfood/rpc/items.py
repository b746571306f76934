"""ItemService servicer."""

from __future__ import annotations

from opengovfood_client.v1 import items_pb2_grpc


class ItemServicer(items_pb2_grpc.ItemServiceServicer):
    """Methods not yet implemented answer UNIMPLEMENTED (the generated base)."""
