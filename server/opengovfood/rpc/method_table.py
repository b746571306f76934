"""Every service's method handlers in one generic handler, none registered with grpc core.

The generated `add_*Servicer_to_server` functions register each method with
`server.add_registered_method_handlers`. grpc.aio's server then keeps one pending
"next call" task per registered method and, for every call it accepts, runs
`asyncio.wait` over all of them (grpc.aio `_server_main_loop`): with our 38 methods
that is a set of 39 futures built, type-checked (`asyncio.iscoroutine`, an ABC
isinstance each), given a done callback and stripped of it again, in Python, per RPC
(set iteration and PyType_IsSubtype were among the top functions of GetItem under
callgrind; bench/README.md, "Where an RPC's time goes"). The no-op reference, one
generic handler, has none of it.

So the generated functions are pointed at a `MethodTable` instead of the server, and
the server gets the table as its one generic handler: grpc.aio waits on a single
"next call" task, and finds a call's handler with one dict lookup (the same
handlers, deserializers and serializers as before; unknown methods are still
UNIMPLEMENTED).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import grpc

if TYPE_CHECKING:
    _Generic = grpc.GenericRpcHandler[Any, Any]
else:  # grpc's classes are generic only in the stubs
    _Generic = grpc.GenericRpcHandler


class MethodTable(_Generic):
    """Stands in for the server while servicers are added; then the server's one
    generic handler (`server.add_generic_rpc_handlers((table,))`)."""

    def __init__(self) -> None:
        self._methods: dict[str, grpc.RpcMethodHandler[Any, Any]] = {}
        self._generic: list[grpc.GenericRpcHandler[Any, Any]] = []

    def add_registered_method_handlers(
        self, service: str, handlers: Mapping[str, grpc.RpcMethodHandler[Any, Any]]
    ) -> None:
        for name, handler in handlers.items():
            self._methods[f"/{service}/{name}"] = handler

    def add_generic_rpc_handlers(
        self, handlers: Iterable[grpc.GenericRpcHandler[Any, Any]]
    ) -> None:
        # The generated code adds each service both ways; a generic handler is asked
        # only for a method no registered one answers (such as v1 reflection's).
        self._generic.extend(handlers)

    @property
    def methods(self) -> frozenset[str]:
        """Every fully qualified method registered here."""
        return frozenset(self._methods)

    def service(
        self, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = self._methods.get(handler_call_details.method)
        if handler is not None:
            return handler
        for generic in self._generic:
            handler = generic.service(handler_call_details)
            if handler is not None:
                return handler
        return None
