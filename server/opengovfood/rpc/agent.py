"""AgentService servicer."""

from __future__ import annotations

from opengovfood_client.v1 import agent_pb2_grpc


class AgentServicer(agent_pb2_grpc.AgentServiceServicer):
    """Methods not yet implemented answer UNIMPLEMENTED (the generated base)."""
