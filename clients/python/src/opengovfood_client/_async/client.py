"""The client, written once for asyncio; the synchronous `Client` is generated from
this file by `make client-sync` (clients/python/tools/unasync.py): edit here only.

    async with AsyncClient("127.0.0.1:50051") as client:
        await client.login("ann@example.org", "a long passphrase")
        item = await client.items.create(title="Walk-in cooler at 9 C")
        async for item in client.items.list(filter="status = ITEM_STATUS_PENDING"):
            print(item.id, item.title)
        async for delta in client.agent.chat("What temperature must a walk-in hold?"):
            print(delta, end="", flush=True)

AsyncClient: create it inside the event loop that uses it. Client: thread-safe, one
can serve many threads (it shares one HTTP/2 connection).
"""

from __future__ import annotations

import builtins
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Generic, TypeVar

import grpc

from opengovfood_client import _establishments, _requests, health
from opengovfood_client._establishments import RiskCategoryLike
from opengovfood_client._requests import InspectionResultLike, ItemKindLike, ItemStatusLike
from opengovfood_client.auth import TokenListener, TokenPair, TokenState
from opengovfood_client.config import (
    DEFAULT_ADDRESS,
    ChannelSettings,
    TLSConfig,
    resolve_timeout,
)
from opengovfood_client.errors import (
    DeadlineExceededError,
    OpenGovFoodError,
    UnauthenticatedError,
    UnavailableError,
    from_rpc_error,
)
from opengovfood_client.v1 import (
    agent_pb2,
    agent_pb2_grpc,
    establishments_pb2,
    establishments_pb2_grpc,
    exports_pb2,
    items_pb2,
    items_pb2_grpc,
    users_pb2,
    users_pb2_grpc,
)

from ._transport import CANCELLED, Lock, cancel, close, gather, open_channel

if TYPE_CHECKING:
    from ._transport import Channel, PageFetch, StreamCall, UnaryStream, UnaryUnary

Req = TypeVar("Req")
Resp = TypeVar("Resp")
T = TypeVar("T")


class AsyncStream(Generic[T]):
    """A server stream. Iterate it for messages; `cancel()` or leave a `with` block to stop.

    Errors are raised as `OpenGovFoodError` while iterating. If the server answers
    UNAUTHENTICATED before the first message, the token is refreshed and the call
    restarted once.
    """

    def __init__(self, client: AsyncClient, start: Callable[[], StreamCall[T]]) -> None:
        self._client = client
        self._start = start
        self._call: StreamCall[T] | None = None
        self._cancelled = False

    async def __aiter__(self) -> AsyncIterator[T]:
        received = False
        retried = False
        while True:
            await self._client._ensure_fresh()
            generation = self._client._state.generation
            self._call = self._start()
            try:
                async for message in self._call:
                    received = True
                    yield message
                return
            except grpc.RpcError as error:
                if self._cancelled and error.code() == grpc.StatusCode.CANCELLED:
                    return
                if (
                    not received
                    and not retried
                    and await self._client._auth_retry(error, generation)
                ):
                    retried = True
                    continue
                raise from_rpc_error(error) from error
            except CANCELLED:
                if self._cancelled:
                    return
                raise
            finally:
                if self._call is not None:
                    cancel(self._call)

    def cancel(self) -> None:
        self._cancelled = True
        if self._call is not None:
            cancel(self._call)

    async def __aenter__(self) -> AsyncStream[T]:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.cancel()


class AsyncChatStream:
    """Iterates the text deltas of a chat answer; `conversation_id` is set once known."""

    def __init__(self, stream: AsyncStream[agent_pb2.ChatResponse]) -> None:
        self._stream = stream
        self.conversation_id: int | None = None

    async def __aiter__(self) -> AsyncIterator[str]:
        async for response in self._stream:
            if response.conversation_id:
                self.conversation_id = response.conversation_id
            if response.text:
                yield response.text

    async def text(self) -> str:
        """The whole answer (consumes the stream)."""
        return "".join([delta async for delta in self])

    def cancel(self) -> None:
        self._stream.cancel()

    async def __aenter__(self) -> AsyncChatStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.cancel()


async def _paginate(page: PageFetch[T], limit: int | None) -> AsyncIterator[T]:
    token = ""
    count = 0
    while True:
        found, token = await page(token)
        for value in found:
            if limit is not None and count >= limit:
                return
            count += 1
            yield value
        if not token:
            return


class AsyncUsers:
    """UserService: accounts and sign-in (`login` on the client keeps the tokens)."""

    def __init__(self, client: AsyncClient) -> None:
        self._c = client
        self._stub = client._users_stub

    async def register(
        self, email: str, password: str, full_name: str = "", *, timeout: float | None = None
    ) -> users_pb2.User:
        request = users_pb2.RegisterRequest(email=email, password=password, full_name=full_name)
        return await self._c._unary(self._stub.Register, request, "Register", timeout)

    async def me(self, *, timeout: float | None = None) -> users_pb2.User:
        return await self._c._unary(self._stub.GetMe, users_pb2.GetMeRequest(), "GetMe", timeout)

    async def update_me(
        self,
        *,
        full_name: str | None = None,
        email: str | None = None,
        current_password: str | None = None,
        timeout: float | None = None,
    ) -> users_pb2.User:
        """Changes the caller's name and/or email; a new email needs `current_password`
        (the server answers INVALID_ARGUMENT on `current_password` without it)."""
        request = _requests.update_me(full_name, email, current_password)
        return await self._c._unary(self._stub.UpdateMe, request, "UpdateMe", timeout)

    async def change_password(
        self, current_password: str, new_password: str, *, timeout: float | None = None
    ) -> None:
        """Changes the password; the server revokes every refresh token, so sign in again."""
        request = users_pb2.ChangePasswordRequest(
            current_password=current_password, new_password=new_password
        )
        await self._c._unary(self._stub.ChangePassword, request, "ChangePassword", timeout)

    async def create(
        self,
        email: str,
        password: str,
        full_name: str = "",
        *,
        is_superuser: bool = False,
        is_active: bool = True,
        timeout: float | None = None,
    ) -> users_pb2.User:
        request = _requests.create_user(email, password, full_name, is_superuser, is_active)
        return await self._c._unary(self._stub.CreateUser, request, "CreateUser", timeout)

    async def get(self, user_id: int, *, timeout: float | None = None) -> users_pb2.User:
        request = users_pb2.GetUserRequest(id=user_id)
        return await self._c._unary(self._stub.GetUser, request, "GetUser", timeout)

    async def list_page(
        self,
        *,
        filter: str = "",
        page_size: int = 0,
        page_token: str = "",
        timeout: float | None = None,
    ) -> users_pb2.ListUsersResponse:
        request = users_pb2.ListUsersRequest(
            filter=filter, page_size=page_size, page_token=page_token
        )
        return await self._c._unary(self._stub.ListUsers, request, "ListUsers", timeout)

    def list(
        self, *, filter: str = "", page_size: int = 0, limit: int | None = None
    ) -> AsyncIterator[users_pb2.User]:
        """Every matching user, fetching pages as you iterate."""

        async def page(token: str) -> tuple[list[users_pb2.User], str]:
            response = await self.list_page(filter=filter, page_size=page_size, page_token=token)
            return list(response.users), response.next_page_token

        return _paginate(page, limit)

    async def update(
        self,
        user_id: int,
        *,
        email: str | None = None,
        full_name: str | None = None,
        is_active: bool | None = None,
        is_superuser: bool | None = None,
        password: str | None = None,
        timeout: float | None = None,
    ) -> users_pb2.User:
        request = _requests.update_user(
            user_id,
            email=email,
            full_name=full_name,
            is_active=is_active,
            is_superuser=is_superuser,
            password=password,
        )
        return await self._c._unary(self._stub.UpdateUser, request, "UpdateUser", timeout)


class AsyncItems:
    """ItemService: the inspections, complaints and reviews inspectors work on."""

    def __init__(self, client: AsyncClient) -> None:
        self._c = client
        self._stub = client._items_stub

    async def create(
        self,
        title: str,
        description: str = "",
        status: ItemStatusLike | None = None,
        *,
        request_id: str | None = None,
        establishment_id: int | None = None,
        kind: ItemKindLike | None = None,
        result: InspectionResultLike | None = None,
        score: int | None = None,
        inspect_time: datetime | None = None,
        timeout: float | None = None,
    ) -> items_pb2.Item:
        """Creates an item. A `request_id` (a fresh UUID unless given) makes retries safe:
        the server answers a repeated id with the first item. An inspection names its
        `establishment_id`, `kind` ("routine", "follow_up", ...), `result` ("pass",
        "fail", ...), `score` (0-100) and `inspect_time` (aware; default: now)."""
        request = _requests.create_item(
            title,
            description,
            status,
            request_id,
            establishment_id=establishment_id,
            kind=kind,
            result=result,
            score=score,
            inspect_time=inspect_time,
        )
        return await self._c._unary(self._stub.CreateItem, request, "CreateItem", timeout)

    async def get(self, item_id: int, *, timeout: float | None = None) -> items_pb2.Item:
        request = items_pb2.GetItemRequest(id=item_id)
        return await self._c._unary(self._stub.GetItem, request, "GetItem", timeout)

    async def list_page(
        self,
        *,
        filter: str = "",
        order_by: str = "",
        page_size: int = 0,
        page_token: str = "",
        timeout: float | None = None,
    ) -> items_pb2.ListItemsResponse:
        """One page, with `next_page_token` and `total_size`."""
        request = items_pb2.ListItemsRequest(
            filter=filter, order_by=order_by, page_size=page_size, page_token=page_token
        )
        return await self._c._unary(self._stub.ListItems, request, "ListItems", timeout)

    def list(
        self,
        *,
        filter: str = "",
        order_by: str = "",
        page_size: int = 0,
        limit: int | None = None,
    ) -> AsyncIterator[items_pb2.Item]:
        """Every matching item (at most `limit`), fetching pages lazily as you iterate."""

        async def page(token: str) -> tuple[list[items_pb2.Item], str]:
            response = await self.list_page(
                filter=filter, order_by=order_by, page_size=page_size, page_token=token
            )
            return list(response.items), response.next_page_token

        return _paginate(page, limit)

    async def history(
        self, establishment_id: int, *, last: int = 3, timeout: float | None = None
    ) -> builtins.list[items_pb2.Item]:
        """The establishment's `last` inspections, newest first (by `inspect_time`): one
        ListItems call, `establishment_id = X` ordered by `inspect_time desc`."""
        response = await self.list_page(
            filter=f"establishment_id = {int(establishment_id)}",
            order_by="inspect_time desc",
            page_size=last,
            timeout=timeout,
        )
        return builtins.list(response.items)

    async def update(
        self,
        item_id: int,
        *,
        title: str | None = None,
        description: str | None = None,
        status: ItemStatusLike | None = None,
        etag: str | None = None,
        establishment_id: int | None = None,
        kind: ItemKindLike | None = None,
        result: InspectionResultLike | None = None,
        score: int | None = None,
        inspect_time: datetime | None = None,
        timeout: float | None = None,
    ) -> items_pb2.Item:
        """Changes the given fields only (`establishment_id=0` detaches the item). With
        `etag`, only if the item is unchanged since (else `ConflictError`)."""
        request = _requests.update_item(
            item_id,
            title=title,
            description=description,
            status=status,
            etag=etag,
            establishment_id=establishment_id,
            kind=kind,
            result=result,
            score=score,
            inspect_time=inspect_time,
        )
        return await self._c._unary(self._stub.UpdateItem, request, "UpdateItem", timeout)

    async def delete(
        self, item_id: int, *, etag: str | None = None, timeout: float | None = None
    ) -> None:
        request = items_pb2.DeleteItemRequest(id=item_id, etag=etag or "")
        await self._c._unary(self._stub.DeleteItem, request, "DeleteItem", timeout)

    def watch(
        self, filter: str = "", *, timeout: float | None = None
    ) -> AsyncStream[items_pb2.ItemEvent]:
        """Events for the items you may see, as they happen. Cancel it to stop."""
        request = items_pb2.WatchItemsRequest(filter=filter)
        return self._c._stream(self._stub.WatchItems, request, "WatchItems", timeout)

    def export_lives(
        self, filter: str = "", *, timeout: float | None = None
    ) -> AsyncStream[exports_pb2.ExportChunk]:
        """The LIVES open-data feed of the inspections you may see (narrowed by `filter`,
        ListItems' language), as chunks of its files, in order: `businesses.csv`,
        `inspections.csv`, `violations.csv`, `feed_info.csv`, `legend.csv`. Append each
        chunk's `data` to the file `file_name` (a bare name, never a path)."""
        request = exports_pb2.ExportInspectionsRequest(
            format=exports_pb2.EXPORT_FORMAT_LIVES, filter=filter
        )
        return self._c._stream(self._stub.ExportInspections, request, "ExportInspections", timeout)

    async def report(self, item_id: int, *, timeout: float | None = None) -> bytes:
        """The inspection report of the item, as PDF bytes."""
        request = exports_pb2.RenderInspectionReportRequest(id=item_id)
        stream = self._c._stream(
            self._stub.RenderInspectionReport, request, "RenderInspectionReport", timeout
        )
        return b"".join([chunk.data async for chunk in stream])


class AsyncEstablishments:
    """EstablishmentService: the places inspected (restaurants, shops, kitchens)."""

    def __init__(self, client: AsyncClient) -> None:
        self._c = client
        self._stub = client._establishments_stub

    async def create(
        self,
        name: str,
        *,
        street: str = "",
        city: str = "",
        state: str = "",
        postal_code: str = "",
        license_number: str = "",
        facility_type: str = "",
        risk_category: RiskCategoryLike | None = None,
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> establishments_pb2.Establishment:
        """Creates an establishment. A `request_id` (a fresh UUID unless given) makes
        retries safe. A licence number already in use: `AlreadyExistsError`."""
        request = _establishments.create(
            name,
            street=street,
            city=city,
            state=state,
            postal_code=postal_code,
            license_number=license_number,
            facility_type=facility_type,
            risk=risk_category,
            request_id=request_id,
        )
        return await self._c._unary(
            self._stub.CreateEstablishment, request, "CreateEstablishment", timeout
        )

    async def get(
        self, establishment_id: int, *, timeout: float | None = None
    ) -> establishments_pb2.Establishment:
        request = establishments_pb2.GetEstablishmentRequest(id=establishment_id)
        return await self._c._unary(
            self._stub.GetEstablishment, request, "GetEstablishment", timeout
        )

    async def list_page(
        self,
        *,
        filter: str = "",
        order_by: str = "",
        page_size: int = 0,
        page_token: str = "",
        timeout: float | None = None,
    ) -> establishments_pb2.ListEstablishmentsResponse:
        """One page, with `next_page_token` and `total_size`."""
        request = establishments_pb2.ListEstablishmentsRequest(
            filter=filter, order_by=order_by, page_size=page_size, page_token=page_token
        )
        return await self._c._unary(
            self._stub.ListEstablishments, request, "ListEstablishments", timeout
        )

    def list(
        self,
        *,
        filter: str = "",
        order_by: str = "",
        page_size: int = 0,
        limit: int | None = None,
    ) -> AsyncIterator[establishments_pb2.Establishment]:
        """Every matching establishment (at most `limit`), fetching pages as you iterate."""

        async def page(token: str) -> tuple[list[establishments_pb2.Establishment], str]:
            response = await self.list_page(
                filter=filter, order_by=order_by, page_size=page_size, page_token=token
            )
            return list(response.establishments), response.next_page_token

        return _paginate(page, limit)

    async def update(
        self,
        establishment_id: int,
        *,
        name: str | None = None,
        street: str | None = None,
        city: str | None = None,
        state: str | None = None,
        postal_code: str | None = None,
        license_number: str | None = None,
        facility_type: str | None = None,
        risk_category: RiskCategoryLike | None = None,
        etag: str | None = None,
        timeout: float | None = None,
    ) -> establishments_pb2.Establishment:
        """Changes the given fields only ("" clears one). With `etag`, only if unchanged
        since (else `ConflictError`)."""
        request = _establishments.update(
            establishment_id,
            name=name,
            street=street,
            city=city,
            state=state,
            postal_code=postal_code,
            license_number=license_number,
            facility_type=facility_type,
            risk=risk_category,
            etag=etag,
        )
        return await self._c._unary(
            self._stub.UpdateEstablishment, request, "UpdateEstablishment", timeout
        )

    async def delete(
        self, establishment_id: int, *, etag: str | None = None, timeout: float | None = None
    ) -> None:
        """Deletes it; `FailedPreconditionError` while inspections (items) name it."""
        request = establishments_pb2.DeleteEstablishmentRequest(
            id=establishment_id, etag=etag or ""
        )
        await self._c._unary(
            self._stub.DeleteEstablishment, request, "DeleteEstablishment", timeout
        )


class AsyncAgent:
    """AgentService: inspection analysis, chat, and models."""

    def __init__(self, client: AsyncClient) -> None:
        self._c = client
        self._stub = client._agent_stub

    async def analyze(
        self,
        notes: str,
        *,
        item_id: int | None = None,
        model: str | None = None,
        provider: str | None = None,
        timeout: float | None = None,
    ) -> agent_pb2.InspectionAnalysis:
        request = _requests.analyze(notes, item_id, model, provider)
        return await self._c._unary(
            self._stub.AnalyzeInspection, request, "AnalyzeInspection", timeout
        )

    async def get_analysis(
        self, analysis_id: int, *, timeout: float | None = None
    ) -> agent_pb2.InspectionAnalysis:
        request = agent_pb2.GetAnalysisRequest(id=analysis_id)
        return await self._c._unary(self._stub.GetAnalysis, request, "GetAnalysis", timeout)

    async def list_analyses_page(
        self,
        *,
        filter: str = "",
        page_size: int = 0,
        page_token: str = "",
        timeout: float | None = None,
    ) -> agent_pb2.ListAnalysesResponse:
        request = agent_pb2.ListAnalysesRequest(
            filter=filter, page_size=page_size, page_token=page_token
        )
        return await self._c._unary(self._stub.ListAnalyses, request, "ListAnalyses", timeout)

    def list_analyses(
        self, *, filter: str = "", page_size: int = 0, limit: int | None = None
    ) -> AsyncIterator[agent_pb2.InspectionAnalysis]:
        async def page(token: str) -> tuple[list[agent_pb2.InspectionAnalysis], str]:
            response = await self.list_analyses_page(
                filter=filter, page_size=page_size, page_token=token
            )
            return list(response.analyses), response.next_page_token

        return _paginate(page, limit)

    async def update_analysis(
        self,
        analysis_id: int,
        *,
        etag: str,
        violations: Sequence[agent_pb2.Violation] | None = None,
        summary: str | None = None,
        corrective_actions: Sequence[str] | None = None,
        timeout: float | None = None,
    ) -> agent_pb2.InspectionAnalysis:
        """The inspector's review: replace the fields given (`etag` from the analysis read).
        Kept, edited or added violations become the inspector's; the score is recomputed."""
        request = _requests.update_analysis(
            analysis_id,
            etag=etag,
            violations=violations,
            summary=summary,
            corrective_actions=corrective_actions,
        )
        return await self._c._unary(self._stub.UpdateAnalysis, request, "UpdateAnalysis", timeout)

    async def violation_types(
        self, *, form_item: int = 0, timeout: float | None = None
    ) -> list[agent_pb2.ViolationType]:
        """The Food Code catalogue (optionally one Form 3-A item's types)."""
        request = agent_pb2.ListViolationTypesRequest(form_item=form_item)
        response = await self._c._unary(
            self._stub.ListViolationTypes, request, "ListViolationTypes", timeout
        )
        return list(response.violation_types)

    def chat(
        self,
        message: str,
        *,
        conversation_id: int | None = None,
        model: str | None = None,
        provider: str | None = None,
        timeout: float | None = None,
    ) -> AsyncChatStream:
        """Iterate the result for text deltas; its `conversation_id` continues the chat."""
        request = _requests.chat(message, conversation_id, model, provider)
        return AsyncChatStream(self._c._stream(self._stub.Chat, request, "Chat", timeout))

    async def models(self, *, timeout: float | None = None) -> list[agent_pb2.Model]:
        request = agent_pb2.ListModelsRequest()
        response = await self._c._unary(self._stub.ListModels, request, "ListModels", timeout)
        return list(response.models)

    def pull(
        self, name: str, *, timeout: float | None = None
    ) -> AsyncStream[agent_pb2.PullModelProgress]:
        request = agent_pb2.PullModelRequest(name=name)
        return self._c._stream(self._stub.PullModel, request, "PullModel", timeout)


class AsyncHealth:
    """grpc.health.v1: `check()` answers SERVING, NOT_SERVING, SERVICE_UNKNOWN, ..."""

    SERVICES = (
        "",
        "opengovfood.v1.UserService",
        "opengovfood.v1.ItemService",
        "opengovfood.v1.AgentService",
        "opengovfood.v1.EstablishmentService",
    )

    def __init__(self, client: AsyncClient) -> None:
        self._c = client
        self._check: UnaryUnary[str, str] = client.channel.unary_unary(
            health.CHECK_METHOD,
            request_serializer=health.serialize_request,
            response_deserializer=health.parse_status,
        )

    async def check(self, service: str = "", *, timeout: float | None = None) -> str:
        return await self._c._unary(self._check, service, "Check", timeout)

    async def check_all(self, *, timeout: float | None = None) -> dict[str, str]:
        """Status of the server ("") and of each OpenGov-Food service."""
        statuses = await gather(*(self.check(s, timeout=timeout) for s in self.SERVICES))
        return dict(zip(self.SERVICES, statuses, strict=True))


class AsyncClient:
    """A connection to an OpenGov-Food server.

    Credentials, pick one: nothing (then `login()`), `token=` (a service or any
    access token, used as is), or `tokens=` (a saved `TokenPair`, refreshed as
    needed). `on_tokens` is called with every new pair (and None on logout), e.g.
    to save the rotated refresh token.
    """

    def __init__(
        self,
        address: str = DEFAULT_ADDRESS,
        *,
        token: str | None = None,
        tokens: TokenPair | None = None,
        on_tokens: TokenListener | None = None,
        tls: TLSConfig | None = None,
        insecure: bool = False,
        timeouts: Mapping[str, float | None] | None = None,
        settings: ChannelSettings | None = None,
    ) -> None:
        self.address = address
        self._state = TokenState(token, tokens, on_tokens)
        self._timeouts = dict(timeouts or {})
        self._refresh_lock = Lock()
        options = (settings or ChannelSettings()).options(tls)
        self.channel: Channel = open_channel(address, self._state, tls, insecure, options)
        self._users_stub = users_pb2_grpc.UserServiceStub(self.channel)
        self._items_stub = items_pb2_grpc.ItemServiceStub(self.channel)
        self._agent_stub = agent_pb2_grpc.AgentServiceStub(self.channel)
        self._establishments_stub = establishments_pb2_grpc.EstablishmentServiceStub(self.channel)
        self.users = AsyncUsers(self)
        self.items = AsyncItems(self)
        self.establishments = AsyncEstablishments(self)
        self.agent = AsyncAgent(self)
        self.health = AsyncHealth(self)

    # --- sign-in ---------------------------------------------------------------

    async def login(self, email: str, password: str, *, timeout: float | None = None) -> TokenPair:
        """Signs in; the client keeps (and refreshes) the tokens from now on."""
        request = users_pb2.LoginRequest(email=email, password=password)
        response = await self._unary(self._users_stub.Login, request, "Login", timeout)
        pair = TokenPair.from_response(response)
        self._state.set_pair(pair)
        return pair

    async def logout(self, *, timeout: float | None = None) -> None:
        """Revokes the refresh token on the server and forgets the tokens."""
        pair = self._state.pair
        if pair is not None:
            request = users_pb2.LogoutRequest(refresh_token=pair.refresh_token)
            # Already revoked or expired: nothing left to revoke.
            with contextlib.suppress(UnauthenticatedError):
                await self._unary(self._users_stub.Logout, request, "Logout", timeout)
        self._state.set_pair(None)

    async def refresh(self) -> TokenPair:
        """Exchanges the refresh token for a new pair now."""
        await self._refresh(self._state.generation)
        pair = self._state.pair
        if pair is None:
            raise UnauthenticatedError("not signed in", grpc.StatusCode.UNAUTHENTICATED)
        return pair

    @property
    def tokens(self) -> TokenPair | None:
        return self._state.pair

    def use_token(self, token: str | None) -> None:
        """Use a service token (or any access token) as is, without refreshing."""
        self._state.set_static(token)

    def use_tokens(self, tokens: TokenPair | None) -> None:
        self._state.set_pair(tokens)

    # --- lifecycle -------------------------------------------------------------

    async def close(self) -> None:
        await close(self.channel)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # --- plumbing ----------------------------------------------------------------

    async def _unary(
        self,
        method: UnaryUnary[Req, Resp],
        request: Req,
        name: str,
        timeout: float | None,
    ) -> Resp:
        deadline = resolve_timeout(self._timeouts, name, timeout)
        await self._ensure_fresh()
        generation = self._state.generation
        try:
            return await method(request, timeout=deadline)
        except grpc.RpcError as error:
            if not await self._auth_retry(error, generation):
                raise from_rpc_error(error) from error
        try:
            return await method(request, timeout=deadline)
        except grpc.RpcError as error:
            raise from_rpc_error(error) from error

    def _stream(
        self,
        method: UnaryStream[Req, Resp],
        request: Req,
        name: str,
        timeout: float | None,
    ) -> AsyncStream[Resp]:
        deadline = resolve_timeout(self._timeouts, name, timeout)
        return AsyncStream(self, lambda: method(request, timeout=deadline))

    async def _ensure_fresh(self) -> None:
        """Refresh ahead of expiry. If the server can't be reached for that, carry on with
        the current token while it is still valid: the call itself will tell."""
        pair = self._state.pair
        if pair is None or not pair.needs_refresh():
            return
        try:
            await self._refresh(self._state.generation)
        except (UnavailableError, DeadlineExceededError):
            if pair.expires_at <= time.time():
                raise

    async def _auth_retry(self, error: grpc.RpcError, generation: int) -> bool:
        """After UNAUTHENTICATED: refresh once (unless another call already did) -> retry."""
        if error.code() != grpc.StatusCode.UNAUTHENTICATED or not self._state.refreshable:
            return False
        try:
            await self._refresh(generation)
        except OpenGovFoodError:
            return False
        return self._state.pair is not None

    async def _refresh(self, seen_generation: int) -> None:
        async with self._refresh_lock:
            if self._state.generation != seen_generation:
                return  # someone refreshed (or signed in/out) meanwhile
            pair = self._state.pair
            if pair is None:
                return
            request = users_pb2.RefreshTokenRequest(refresh_token=pair.refresh_token)
            try:
                response = await self._users_stub.RefreshToken(
                    request, timeout=resolve_timeout(self._timeouts, "RefreshToken", None)
                )
            except grpc.RpcError as error:
                mapped = from_rpc_error(error)
                if isinstance(mapped, UnauthenticatedError):
                    self._state.set_pair(None)  # the session is over: sign in again
                raise mapped from error
            self._state.set_pair(TokenPair.from_response(response))
