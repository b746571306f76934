"""UserService servicer: protobuf <-> plain values, then the user service."""

from __future__ import annotations

from typing import Any

import grpc
from google.protobuf import empty_pb2

from opengovfood.context import current_principal
from opengovfood.rpc.timestamps import set_timestamp
from opengovfood.services.rate_limit import client_key
from opengovfood.services.users import TokenPair, UserInput, UserService, UserView
from opengovfood_client.v1 import users_pb2, users_pb2_grpc

Context = grpc.aio.ServicerContext[Any, Any]


def user_message(user: UserView) -> users_pb2.User:
    message = users_pb2.User(
        id=user.id,
        email=user.email,
        full_name=user.full_name,
        is_active=user.is_active,
        is_superuser=user.is_superuser,
    )
    set_timestamp(message.create_time, user.create_time)
    set_timestamp(message.update_time, user.update_time)
    return message


def _input(user: users_pb2.User) -> UserInput:
    return UserInput(
        id=user.id,
        email=user.email,
        full_name=user.full_name,
        is_active=user.is_active,
        is_superuser=user.is_superuser,
    )


def _tokens(pair: TokenPair) -> users_pb2.TokenResponse:
    return users_pb2.TokenResponse(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        token_type="bearer",
        expires_in=pair.expires_in,
    )


class UserServicer(users_pb2_grpc.UserServiceServicer):
    def __init__(self, users: UserService) -> None:
        self._users = users

    async def Register(
        self, request: users_pb2.RegisterRequest, context: Context
    ) -> users_pb2.User:
        user = await self._users.register(
            request.email, request.password, request.full_name, client_key(context.peer())
        )
        return user_message(user)

    async def Login(
        self, request: users_pb2.LoginRequest, context: Context
    ) -> users_pb2.TokenResponse:
        pair = await self._users.login(request.email, request.password, client_key(context.peer()))
        return _tokens(pair)

    async def RefreshToken(
        self, request: users_pb2.RefreshTokenRequest, context: Context
    ) -> users_pb2.TokenResponse:
        return _tokens(await self._users.refresh(request.refresh_token, client_key(context.peer())))

    async def Logout(self, request: users_pb2.LogoutRequest, context: Context) -> empty_pb2.Empty:
        await self._users.logout(current_principal(), request.refresh_token)
        return empty_pb2.Empty()

    async def GetMe(self, request: users_pb2.GetMeRequest, context: Context) -> users_pb2.User:
        return user_message(await self._users.get_me(current_principal()))

    async def UpdateMe(
        self, request: users_pb2.UpdateMeRequest, context: Context
    ) -> users_pb2.User:
        user = await self._users.update_me(
            current_principal(),
            _input(request.user),
            list(request.update_mask.paths),
            request.current_password,
            client_key(context.peer()),
        )
        return user_message(user)

    async def ChangePassword(
        self, request: users_pb2.ChangePasswordRequest, context: Context
    ) -> empty_pb2.Empty:
        await self._users.change_password(
            current_principal(),
            request.current_password,
            request.new_password,
            client_key(context.peer()),
        )
        return empty_pb2.Empty()

    async def CreateUser(
        self, request: users_pb2.CreateUserRequest, context: Context
    ) -> users_pb2.User:
        return user_message(await self._users.create_user(_input(request.user), request.password))

    async def GetUser(self, request: users_pb2.GetUserRequest, context: Context) -> users_pb2.User:
        return user_message(await self._users.get_user(current_principal(), request.id))

    async def ListUsers(
        self, request: users_pb2.ListUsersRequest, context: Context
    ) -> users_pb2.ListUsersResponse:
        page = await self._users.list_users(
            current_principal(),
            page_size=request.page_size,
            page_token=request.page_token,
            filter=request.filter,
        )
        return users_pb2.ListUsersResponse(
            users=[user_message(user) for user in page.items],
            next_page_token=page.next_page_token,
            total_size=min(page.total_size, 2**31 - 1),  # int32 on the wire
        )

    async def UpdateUser(
        self, request: users_pb2.UpdateUserRequest, context: Context
    ) -> users_pb2.User:
        user = await self._users.update_user(
            current_principal(),
            _input(request.user),
            list(request.update_mask.paths),
            request.password,
        )
        return user_message(user)
