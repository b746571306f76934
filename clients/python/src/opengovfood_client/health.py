"""grpc.health.v1 messages, without depending on grpcio-health-checking.

The two messages are built from a descriptor in a private pool, so they never
clash with grpcio-health-checking's own registration when both are imported
(as in the server process).
"""

from __future__ import annotations

from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

HEALTH_SERVICE = "grpc.health.v1.Health"
CHECK_METHOD = f"/{HEALTH_SERVICE}/Check"
WATCH_METHOD = f"/{HEALTH_SERVICE}/Watch"

# Names of the statuses HealthCheckResponse.status carries.
STATUS_NAMES = {0: "UNKNOWN", 1: "SERVING", 2: "NOT_SERVING", 3: "SERVICE_UNKNOWN"}


def _build() -> tuple[type[Any], type[Any]]:
    file = descriptor_pb2.FileDescriptorProto(
        name="opengovfood_client/grpc_health_v1.proto", package="grpc.health.v1", syntax="proto3"
    )
    request = file.message_type.add(name="HealthCheckRequest")
    request.field.add(
        name="service",
        number=1,
        type=descriptor_pb2.FieldDescriptorProto.TYPE_STRING,
        label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL,
    )
    response = file.message_type.add(name="HealthCheckResponse")
    response.field.add(
        name="status",
        number=1,
        type=descriptor_pb2.FieldDescriptorProto.TYPE_INT32,  # an enum on the wire
        label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL,
    )
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return (
        message_factory.GetMessageClass(
            pool.FindMessageTypeByName(f"{file.package}.{request.name}")
        ),
        message_factory.GetMessageClass(
            pool.FindMessageTypeByName(f"{file.package}.{response.name}")
        ),
    )


HealthCheckRequest, HealthCheckResponse = _build()


def serialize_request(service: str) -> bytes:
    data: bytes = HealthCheckRequest(service=service).SerializeToString()
    return data


def parse_status(data: bytes) -> str:
    status = int(HealthCheckResponse.FromString(data).status)
    return STATUS_NAMES.get(status, str(status))
