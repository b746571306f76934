"""Server reflection that serves the protos WITH comments, as grpc.reflection.v1
and v1alpha.

The descriptors compiled into *_pb2 modules drop source info, so stock reflection
makes `grpcurl describe` show no documentation. `make protos` also writes a
descriptor set with source info; this servicer answers from it (and from the
health/reflection modules for those services).

grpc.reflection.v1 is v1alpha under a new package name: the same messages with the
same field numbers, so one servicer answers both, with v1alpha's message classes
(grpcio-reflection ships no v1 module). Current tools (grpcurl, Postman) ask for
v1 first; older ones only know v1alpha.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from importlib import resources
from typing import Any

import grpc
from google.protobuf import descriptor_pb2
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

SERVICE_NAME = reflection_pb2.DESCRIPTOR.services_by_name["ServerReflection"].full_name
V1_PACKAGE = "grpc.reflection.v1"
V1_SERVICE_NAME = f"{V1_PACKAGE}.ServerReflection"
SERVICE_NAMES = (V1_SERVICE_NAME, SERVICE_NAME)


def _v1_file() -> descriptor_pb2.FileDescriptorProto:
    """grpc/reflection/v1/reflection.proto, from v1alpha's descriptor renamed."""
    proto = descriptor_pb2.FileDescriptorProto.FromString(reflection_pb2.DESCRIPTOR.serialized_pb)
    old = f".{proto.package}."
    proto.name = "grpc/reflection/v1/reflection.proto"
    proto.package = V1_PACKAGE
    for message in proto.message_type:
        for field in message.field:
            if field.type_name.startswith(old):
                field.type_name = f".{V1_PACKAGE}." + field.type_name[len(old) :]
    for service in proto.service:
        for method in service.method:
            method.input_type = f".{V1_PACKAGE}." + method.input_type[len(old) :]
            method.output_type = f".{V1_PACKAGE}." + method.output_type[len(old) :]
    return proto


def _load_files() -> dict[str, descriptor_pb2.FileDescriptorProto]:
    data = resources.files("opengovfood_client.v1").joinpath("descriptor_set.binpb").read_bytes()
    files = {f.name: f for f in descriptor_pb2.FileDescriptorSet.FromString(data).file}
    for module in (health_pb2, reflection_pb2):
        proto = descriptor_pb2.FileDescriptorProto.FromString(module.DESCRIPTOR.serialized_pb)
        files.setdefault(proto.name, proto)
    v1 = _v1_file()
    files.setdefault(v1.name, v1)
    return files


def _symbols(proto: descriptor_pb2.FileDescriptorProto) -> Iterable[str]:
    prefix = f"{proto.package}." if proto.package else ""

    def enum(scope: str, e: descriptor_pb2.EnumDescriptorProto) -> Iterable[str]:
        yield scope + e.name
        for value in e.value:  # enum values are scoped like their enum's siblings
            yield scope + value.name

    def message(scope: str, m: descriptor_pb2.DescriptorProto) -> Iterable[str]:
        name = scope + m.name
        yield name
        for f in m.field:
            yield f"{name}.{f.name}"
        for nested in m.nested_type:
            yield from message(name + ".", nested)
        for e in m.enum_type:
            yield from enum(name + ".", e)

    for m in proto.message_type:
        yield from message(prefix, m)
    for e in proto.enum_type:
        yield from enum(prefix, e)
    for s in proto.service:
        yield prefix + s.name
        for method in s.method:
            yield f"{prefix}{s.name}.{method.name}"


class ReflectionServicer(reflection_pb2_grpc.ServerReflectionServicer):  # type: ignore[misc]
    def __init__(self, service_names: Iterable[str]) -> None:
        self._services = sorted(service_names)
        self._files = _load_files()
        self._serialized = {name: f.SerializeToString() for name, f in self._files.items()}
        self._by_symbol = {s: name for name, f in self._files.items() for s in _symbols(f)}

    def _with_dependencies(self, name: str) -> list[bytes]:
        ordered: list[str] = []

        def visit(file_name: str) -> None:
            if file_name in ordered or file_name not in self._files:
                return
            ordered.append(file_name)
            for dependency in self._files[file_name].dependency:
                visit(dependency)

        visit(name)
        return [self._serialized[n] for n in ordered]

    def _not_found(self, message: str) -> reflection_pb2.ServerReflectionResponse:
        return reflection_pb2.ServerReflectionResponse(
            error_response=reflection_pb2.ErrorResponse(
                error_code=grpc.StatusCode.NOT_FOUND.value[0], error_message=message
            )
        )

    def _answer(
        self, request: reflection_pb2.ServerReflectionRequest
    ) -> reflection_pb2.ServerReflectionResponse:
        kind = request.WhichOneof("message_request")
        if kind == "list_services":
            return reflection_pb2.ServerReflectionResponse(
                list_services_response=reflection_pb2.ListServiceResponse(
                    service=[reflection_pb2.ServiceResponse(name=n) for n in self._services]
                )
            )
        if kind == "file_by_filename":
            if request.file_by_filename not in self._files:
                return self._not_found(f"file not found: {request.file_by_filename}")
            return self._files_response(request.file_by_filename)
        if kind == "file_containing_symbol":
            file_name = self._by_symbol.get(request.file_containing_symbol)
            if file_name is None:
                return self._not_found(f"symbol not found: {request.file_containing_symbol}")
            return self._files_response(file_name)
        if kind == "all_extension_numbers_of_type":
            if request.all_extension_numbers_of_type not in self._by_symbol:
                return self._not_found(f"type not found: {request.all_extension_numbers_of_type}")
            return reflection_pb2.ServerReflectionResponse(
                all_extension_numbers_response=reflection_pb2.ExtensionNumberResponse(
                    base_type_name=request.all_extension_numbers_of_type
                )
            )
        if kind == "file_containing_extension":
            return self._not_found("no extensions are defined")
        return reflection_pb2.ServerReflectionResponse(
            error_response=reflection_pb2.ErrorResponse(
                error_code=grpc.StatusCode.INVALID_ARGUMENT.value[0],
                error_message="unsupported reflection request",
            )
        )

    def _files_response(self, name: str) -> reflection_pb2.ServerReflectionResponse:
        return reflection_pb2.ServerReflectionResponse(
            file_descriptor_response=reflection_pb2.FileDescriptorResponse(
                file_descriptor_proto=self._with_dependencies(name)
            )
        )

    async def ServerReflectionInfo(
        self,
        request_iterator: AsyncIterator[reflection_pb2.ServerReflectionRequest],
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> AsyncIterator[reflection_pb2.ServerReflectionResponse]:
        async for request in request_iterator:
            response = self._answer(request)
            response.valid_host = request.host
            response.original_request.CopyFrom(request)
            yield response


def add_reflection(server: grpc.aio.Server, service_names: Iterable[str]) -> None:
    """Serve reflection as v1 and v1alpha, listing `service_names` and itself."""
    servicer = ReflectionServicer((*service_names, *SERVICE_NAMES))
    reflection_pb2_grpc.add_ServerReflectionServicer_to_server(servicer, server)
    v1 = grpc.method_handlers_generic_handler(
        V1_SERVICE_NAME,
        {
            "ServerReflectionInfo": grpc.stream_stream_rpc_method_handler(
                servicer.ServerReflectionInfo,
                request_deserializer=reflection_pb2.ServerReflectionRequest.FromString,
                response_serializer=reflection_pb2.ServerReflectionResponse.SerializeToString,
            )
        },
    )
    server.add_generic_rpc_handlers((v1,))
