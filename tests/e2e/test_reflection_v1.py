"""grpc.reflection.v1, as a v1-only client sees it: message classes built from v1's
own definition (compiled here with protoc), not from the server's v1alpha ones."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from grpc_tools import protoc

from support.server import RunningServer

# grpc/reflection/v1/reflection.proto (gRPC's canonical file, comments left out).
V1_PROTO = """
syntax = "proto3";
package grpc.reflection.v1;
service ServerReflection {
  rpc ServerReflectionInfo(stream ServerReflectionRequest)
      returns (stream ServerReflectionResponse);
}
message ServerReflectionRequest {
  string host = 1;
  oneof message_request {
    string file_by_filename = 3;
    string file_containing_symbol = 4;
    ExtensionRequest file_containing_extension = 5;
    string all_extension_numbers_of_type = 6;
    string list_services = 7;
  }
}
message ExtensionRequest { string containing_type = 1; int32 extension_number = 2; }
message ServerReflectionResponse {
  string valid_host = 1;
  ServerReflectionRequest original_request = 2;
  oneof message_response {
    FileDescriptorResponse file_descriptor_response = 4;
    ExtensionNumberResponse all_extension_numbers_response = 5;
    ListServiceResponse list_services_response = 6;
    ErrorResponse error_response = 7;
  }
}
message FileDescriptorResponse { repeated bytes file_descriptor_proto = 1; }
message ExtensionNumberResponse { string base_type_name = 1; repeated int32 extension_number = 2; }
message ListServiceResponse { repeated ServiceResponse service = 1; }
message ServiceResponse { string name = 1; }
message ErrorResponse { int32 error_code = 1; string error_message = 2; }
"""
METHOD = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"


@pytest.fixture(scope="module")
def v1(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any]:
    tmp = tmp_path_factory.mktemp("reflection-v1")
    (tmp / "grpc/reflection/v1").mkdir(parents=True)
    (tmp / "grpc/reflection/v1/reflection.proto").write_text(V1_PROTO)
    out = tmp / "v1.binpb"
    code = protoc.main(
        ["protoc", f"-I{tmp}", f"--descriptor_set_out={out}", "grpc/reflection/v1/reflection.proto"]
    )
    assert code == 0
    pool = descriptor_pool.DescriptorPool()
    for file in descriptor_pb2.FileDescriptorSet.FromString(Path(out).read_bytes()).file:
        pool.Add(file)
    request = message_factory.GetMessageClass(
        pool.FindMessageTypeByName("grpc.reflection.v1.ServerReflectionRequest")
    )
    response = message_factory.GetMessageClass(
        pool.FindMessageTypeByName("grpc.reflection.v1.ServerReflectionResponse")
    )
    return request, response


async def _ask(server: RunningServer, v1: tuple[Any, Any], **request: str) -> Any:
    request_class, response_class = v1
    async with grpc.aio.insecure_channel(server.address) as channel:
        call = channel.stream_stream(
            METHOD,
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=response_class.FromString,
        )

        async def requests() -> AsyncIterator[Any]:
            yield request_class(**request)

        responses = [r async for r in call(requests())]
    (response,) = responses
    return response


async def test_v1_lists_services(server: RunningServer, v1: tuple[Any, Any]) -> None:
    response = await _ask(server, v1, list_services="")
    names = {s.name for s in response.list_services_response.service}
    assert {"opengovfood.v1.ItemService", "grpc.reflection.v1.ServerReflection"} <= names


async def test_v1_serves_descriptors_with_comments(
    server: RunningServer, v1: tuple[Any, Any]
) -> None:
    response = await _ask(server, v1, file_containing_symbol="opengovfood.v1.ItemService.GetItem")
    files = [
        descriptor_pb2.FileDescriptorProto.FromString(b)
        for b in response.file_descriptor_response.file_descriptor_proto
    ]
    items = next(f for f in files if f.name == "opengovfood/v1/items.proto")
    comments = [loc.leading_comments for loc in items.source_code_info.location]
    assert any("Returns one item." in c for c in comments)


async def test_v1_describes_itself(server: RunningServer, v1: tuple[Any, Any]) -> None:
    response = await _ask(server, v1, file_containing_symbol="grpc.reflection.v1.ServerReflection")
    (proto,) = [
        descriptor_pb2.FileDescriptorProto.FromString(b)
        for b in response.file_descriptor_response.file_descriptor_proto
    ]
    assert proto.name == "grpc/reflection/v1/reflection.proto"
    assert proto.package == "grpc.reflection.v1"
    (method,) = proto.service[0].method
    assert method.input_type == ".grpc.reflection.v1.ServerReflectionRequest"
    # It builds: every type it names is its own.
    pool = descriptor_pool.DescriptorPool()
    pool.Add(proto)
    assert pool.FindMethodByName("grpc.reflection.v1.ServerReflection.ServerReflectionInfo")
    unknown = await _ask(server, v1, file_containing_symbol="no.such.Symbol")
    assert unknown.error_response.error_code == grpc.StatusCode.NOT_FOUND.value[0]
