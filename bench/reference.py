"""The no-op reference: plain grpc.aio, one trivial unary method, no interceptors.

Every figure of our server is reported as a ratio to this one, measured in the same
run on the same core with the same load generator, because absolute numbers on a
shared machine drift. Run as `python -m bench.reference PORT`; prints the bound port.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import Any

import grpc
from google.protobuf import empty_pb2

METHOD = "/bench.v1.Noop/Ping"
_EMPTY = empty_pb2.Empty()


async def _ping(request: empty_pb2.Empty, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
    return _EMPTY


async def main(port: int) -> None:
    handler = grpc.method_handlers_generic_handler(
        "bench.v1.Noop",
        {
            "Ping": grpc.unary_unary_rpc_method_handler(
                _ping,
                request_deserializer=empty_pb2.Empty.FromString,
                response_serializer=empty_pb2.Empty.SerializeToString,
            )
        },
    )
    server = grpc.aio.server()
    server.add_generic_rpc_handlers((handler,))
    bound = server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    print(bound, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.stop(1)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 0))
