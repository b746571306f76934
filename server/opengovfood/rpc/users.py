"""UserService servicer: protobuf <-> plain values, then the user service."""

from __future__ import annotations

from typing import Any

import grpc
from google.protobuf import empty_pb2

from opengovfood.context import current_principal
from opengovfood.domain.departments import DepartmentRecord
from opengovfood.domain.principal import Role
from opengovfood.errors import InvalidArgument
from opengovfood.rpc.timestamps import set_timestamp
from opengovfood.services.departments import DepartmentService
from opengovfood.services.rate_limit import client_key
from opengovfood.services.users import TokenPair, UserInput, UserService, UserView
from opengovfood_client.v1 import users_pb2, users_pb2_grpc

Context = grpc.aio.ServicerContext[Any, Any]

_TO_PB_ROLE = {
    Role.INSPECTOR: users_pb2.ROLE_INSPECTOR,
    Role.SUPERVISOR: users_pb2.ROLE_SUPERVISOR,
    Role.ADMIN: users_pb2.ROLE_ADMIN,
}
_FROM_PB_ROLE: dict[int, Role] = {number: role for role, number in _TO_PB_ROLE.items()}


def _role(number: int) -> Role | None:
    """None for UNSPECIFIED; INVALID_ARGUMENT for numbers the enum does not define."""
    if number == users_pb2.ROLE_UNSPECIFIED:
        return None
    role = _FROM_PB_ROLE.get(number)
    if role is None:
        raise InvalidArgument.field("user.role", f"unknown role value {number}")
    return role


def department_message(department: DepartmentRecord) -> users_pb2.Department:
    message = users_pb2.Department(id=department.id, name=department.name)
    set_timestamp(message.create_time, department.create_time)
    return message


def user_message(user: UserView) -> users_pb2.User:
    message = users_pb2.User(
        id=user.id,
        email=user.email,
        full_name=user.full_name,
        is_active=user.is_active,
        is_superuser=user.is_superuser,
        department_id=user.department_id,
        role=_TO_PB_ROLE[user.role],
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
        department_id=user.department_id,
        role=_role(user.role),
    )


def _tokens(pair: TokenPair) -> users_pb2.TokenResponse:
    return users_pb2.TokenResponse(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        token_type="bearer",
        expires_in=pair.expires_in,
    )


class UserServicer(users_pb2_grpc.UserServiceServicer):
    def __init__(self, users: UserService, departments: DepartmentService) -> None:
        self._users = users
        self._departments = departments

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
        user = await self._users.create_user(
            current_principal(), _input(request.user), request.password
        )
        return user_message(user)

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

    async def CreateDepartment(
        self, request: users_pb2.CreateDepartmentRequest, context: Context
    ) -> users_pb2.Department:
        department = await self._departments.create_department(
            current_principal(), request.department.name
        )
        return department_message(department)

    async def ListDepartments(
        self, request: users_pb2.ListDepartmentsRequest, context: Context
    ) -> users_pb2.ListDepartmentsResponse:
        page = await self._departments.list_departments(
            current_principal(),
            page_size=request.page_size,
            page_token=request.page_token,
            filter=request.filter,
        )
        return users_pb2.ListDepartmentsResponse(
            departments=[department_message(d) for d in page.items],
            next_page_token=page.next_page_token,
            total_size=min(page.total_size, 2**31 - 1),  # int32 on the wire
        )

    async def GetDepartment(
        self, request: users_pb2.GetDepartmentRequest, context: Context
    ) -> users_pb2.Department:
        department = await self._departments.get_department(current_principal(), request.id)
        return department_message(department)
