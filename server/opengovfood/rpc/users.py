"""UserService servicer."""

from __future__ import annotations

from opengovfood_client.v1 import users_pb2_grpc


class UserServicer(users_pb2_grpc.UserServiceServicer):
    """Methods not yet implemented answer UNIMPLEMENTED (the generated base)."""
