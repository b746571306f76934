"""Accounts, sign-in and tokens: the rules behind UserService.

Decisions worth knowing:
- GetUser of anyone but yourself answers NOT_FOUND for a non-superuser, exactly as
  for an id that does not exist: whether an account exists is not leaked.
- Login answers one message for an unknown email, a wrong password and a
  deactivated account, after one bcrypt check in every case (same timing).
- Refresh tokens rotate: each use marks the token used (one conditional UPDATE,
  so two concurrent uses cannot both succeed) and issues a new one in the same
  family. Presenting a used token revokes the whole family. Logout revokes the
  family of the given token; ChangePassword, a password set by an administrator,
  deactivation and reactivation revoke all of the user's refresh tokens.
- A sign-in is its refresh-token family: access tokens carry its id (`sid`), and
  revoking the family ends them too (services/authn.py).
- Changing the email (UpdateMe) needs the current password and is rate-limited like
  a sign-in: ALREADY_EXISTS would otherwise tell any token holder which emails exist.
- A superuser cannot deactivate themselves or drop their own superuser role
  (FAILED_PRECONDITION): the last administrator cannot lock everyone out.
- Departments (domain/scopes.py): a department admin creates, changes (role,
  activation, names, password) and deactivates the users of their own department and
  no other; superusers any. A department's supervisors and admins may read its members
  (GetUser, ListUsers); everyone else sees only themselves. Another department's user,
  a department that is not the caller's, and superusers (who stand above departments)
  answer NOT_FOUND to department staff. A change of role or department ends every
  sign-in of the user, exactly like a deactivation, and access tokens carry both
  (`dept`, `role`), so an old token is refused (ROLE_CHANGED) even before that.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from opengovfood.config import Settings
from opengovfood.domain.accounts import (
    email_violations,
    full_name_violations,
    is_valid_email,
    normalize_email,
    password_length_violations,
    password_violations,
)
from opengovfood.domain.departments import DEFAULT_DEPARTMENT_ID
from opengovfood.domain.filters import (
    FilterSpec,
    boolean_field,
    enum_field,
    integer_field,
    string_field,
)
from opengovfood.domain.listing import ListQuery, ListSpec, Page
from opengovfood.domain.pagination import OrderSpec, PageTokens, SortField
from opengovfood.domain.principal import Principal, Role
from opengovfood.domain.scopes import Scope, may_manage_users, may_see_users_of
from opengovfood.domain.timestamps import utcnow
from opengovfood.domain.users import (
    AuthState,
    Credentials,
    DepartmentMissing,
    EmailTaken,
    NewUser,
    Rotation,
    TokenState,
    UserChanges,
    UserRecord,
)
from opengovfood.errors import (
    AlreadyExists,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    excerpt,
)
from opengovfood.reasons import Reason
from opengovfood.services.authn import Authenticator
from opengovfood.services.passwords import PasswordHasher
from opengovfood.services.rate_limit import RateLimits
from opengovfood.services.tokens import TokenService, hash_refresh_token, new_refresh_token

logger = logging.getLogger("opengovfood.users")

LOGIN_FAILED = "incorrect email or password"
EMAIL_EXISTS = "a user with this email already exists"
REFRESH_INVALID = "refresh token is invalid"
MAX_REFRESH_TOKEN_CHARS = 512

# Mask paths each update accepts; the others name real User fields that cannot change
# through it (INVALID_ARGUMENT "cannot be changed"), anything else is unknown.
USER_FIELDS = frozenset(
    {
        "id",
        "email",
        "full_name",
        "is_active",
        "is_superuser",
        "create_time",
        "update_time",
        "department_id",
        "role",
    }
)
UPDATE_ME_PATHS = frozenset({"email", "full_name"})
UPDATE_USER_PATHS = frozenset(
    {"email", "full_name", "is_active", "is_superuser", "password", "department_id", "role"}
)
# What a department admin may not change (superusers only).
SUPERUSER_PATHS = frozenset({"is_superuser"})


UserView = UserRecord  # what every method returns: never a password hash


@dataclass(frozen=True, slots=True)
class UserInput:
    """The User fields a request carries (proto3: unset strings are "", bools False)."""

    id: int = 0
    email: str = ""
    full_name: str = ""
    is_active: bool = False
    is_superuser: bool = False
    department_id: int = 0  # 0: unset (CreateUser: the caller's department, or the default)
    role: Role | None = None  # None: unset (CreateUser: inspector)


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


_ID = SortField("id", "integer", "id")
# ListUsers: the shared AIP-160 grammar (no implicit AND), ordered by id.
USERS = ListSpec(
    "users",
    FilterSpec(
        [
            boolean_field("is_active"),
            boolean_field("is_superuser"),
            # Emails are stored normalised: `=` compares normalised, `:` ignores case.
            string_field("email", normalize=normalize_email),
            string_field("full_name"),
            integer_field("department_id"),
            enum_field(
                "role",
                [((f"ROLE_{r.name}", r.name), r.value) for r in Role],
            ),
        ]
    ),
    OrderSpec([_ID], tiebreaker=_ID, default="id"),
)


class UserRepository(Protocol):
    async def get(self, user_id: int) -> UserRecord | None: ...
    async def credentials_by_email(self, email: str) -> Credentials | None: ...
    async def credentials(self, user_id: int) -> Credentials | None: ...
    async def auth_state(self, user_id: int) -> AuthState | None: ...
    async def email_taken(self, email: str) -> bool: ...
    async def any_user(self) -> bool: ...
    async def add(self, new: NewUser) -> UserRecord: ...
    async def update(
        self,
        user_id: int,
        changes: UserChanges,
        revoke_tokens: Callable[[UserRecord], bool] = ...,
        within: int | None = None,
    ) -> UserRecord | None: ...
    async def set_password_hash(
        self,
        user_id: int,
        hashed: str,
        sessions_valid_after: datetime | None = None,
        revoke_tokens: bool = False,
    ) -> None: ...
    async def page(self, query: ListQuery, scope: Scope = ...) -> list[UserRecord]: ...
    async def count(self, query: ListQuery, scope: Scope = ...) -> int: ...


class RefreshTokenRepository(Protocol):
    async def issue(
        self,
        user_id: int,
        family_id: str,
        token_hash: str,
        now: datetime,
        expire_time: datetime,
        drop_expired: bool = False,
    ) -> None: ...
    async def rotate(
        self, token_hash: str, new_hash: str, now: datetime, expire_time: datetime
    ) -> Rotation: ...
    async def state(self, token_hash: str) -> TokenState | None: ...
    async def revoke_family(self, family_id: str, now: datetime) -> int: ...


def _check(violations: Iterable[FieldViolation]) -> None:
    found = list(violations)
    if found:
        raise InvalidArgument.for_fields(found)


def _department_violations(department_id: int, required: bool = False) -> list[FieldViolation]:
    if department_id < 0 or (required and department_id == 0):
        return [FieldViolation("user.department_id", "must be a positive department id")]
    return []


def _mask_violations(
    paths: Sequence[str], allowed: frozenset[str], method: str
) -> list[FieldViolation]:
    violations = []
    for path in dict.fromkeys(paths):  # de-duplicated, in order
        if path in allowed:
            continue
        if path in USER_FIELDS:
            description = f"{excerpt(path)} cannot be changed with {method}"
        else:
            description = f"unknown field {excerpt(path)}"
        violations.append(FieldViolation("update_mask", description))
    return violations


class UserService:
    def __init__(
        self,
        settings: Settings,
        users: UserRepository,
        refresh_tokens: RefreshTokenRepository,
        passwords: PasswordHasher,
        tokens: TokenService,
        authenticator: Authenticator,
        limits: RateLimits,
        page_tokens: PageTokens,
    ) -> None:
        self._settings = settings
        self._users = users
        self._refresh_tokens = refresh_tokens
        self._passwords = passwords
        self._tokens = tokens
        self._authenticator = authenticator
        self._limits = limits
        self._page_tokens = page_tokens
        self._refresh_ttl = settings.refresh_token_ttl

    # --- accounts -------------------------------------------------------------------
    async def register(self, email: str, password: str, full_name: str, client: str) -> UserView:
        if not self._settings.open_registration:
            raise PermissionDenied(
                "registration is closed; ask an administrator for an account",
                reason=Reason.REGISTRATION_CLOSED,
            )
        email = normalize_email(email)
        await self._limits.check_sign_in("register", email, client)
        _check(
            [
                *email_violations(email),
                *password_violations(password),
                *full_name_violations(full_name),
            ]
        )
        return await self._create(email, password, full_name, active=True, superuser=False)

    async def create_user(self, principal: Principal, fields: UserInput, password: str) -> UserView:
        """Superusers: any department, role, superuser flag. Department admins: users of
        their own department (the default when `department_id` is 0)."""
        department = fields.department_id or principal.department_id or DEFAULT_DEPARTMENT_ID
        self._check_manager(principal, department, fields.is_superuser)
        email = normalize_email(fields.email)
        _check(
            [
                *email_violations(email, "user.email"),
                *full_name_violations(fields.full_name, "user.full_name"),
                *password_violations(password, "password"),
                *_department_violations(fields.department_id),
            ]
        )
        return await self._create(
            email,
            password,
            fields.full_name,
            active=fields.is_active,
            superuser=fields.is_superuser,
            department_id=department,
            role=fields.role or Role.INSPECTOR,
        )

    @staticmethod
    def _check_manager(principal: Principal, department_id: int, superuser: bool) -> None:
        """May the caller manage the users of `department_id` (and make a superuser)?"""
        if principal.is_superuser:
            return
        if not principal.is_department_admin or principal.is_service:
            raise PermissionDenied(
                "only superusers and department admins manage users",
                reason=Reason.ROLE_REQUIRED,
            )
        if not may_manage_users(principal, department_id):
            raise NotFound(f"department {department_id} not found")
        if superuser:
            raise PermissionDenied(
                "only a superuser may make a superuser", reason=Reason.SUPERUSER_REQUIRED
            )

    async def _create(
        self,
        email: str,
        password: str,
        full_name: str,
        *,
        active: bool,
        superuser: bool,
        department_id: int = DEFAULT_DEPARTMENT_ID,
        role: Role = Role.INSPECTOR,
    ) -> UserView:
        # Cheap check first so a taken email costs no bcrypt; the unique index still
        # decides a race between two creations of the same email.
        if await self._users.email_taken(email):
            raise AlreadyExists(EMAIL_EXISTS, reason=Reason.EMAIL_TAKEN)
        hashed = await self._passwords.hash(password)
        try:
            view = await self._users.add(
                NewUser(email, hashed, full_name, active, superuser, department_id, role)
            )
        except EmailTaken:
            raise AlreadyExists(EMAIL_EXISTS, reason=Reason.EMAIL_TAKEN) from None
        except DepartmentMissing:
            raise NotFound(f"department {department_id} not found") from None
        logger.info("user created", extra={"user_id": view.id, "superuser": superuser})
        return view

    async def create_first_superuser(self, email: str, password: str) -> UserView | None:
        """Bootstrap: create a superuser only while there is no user at all."""
        email = normalize_email(email)
        _check([*email_violations(email), *password_violations(password)])
        if await self._users.any_user():
            return None
        try:
            return await self._create(email, password, "", active=True, superuser=True)
        except AlreadyExists:
            return None  # another worker made it first

    async def get_me(self, principal: Principal) -> UserView:
        return await self._get(self._user_id(principal))

    async def get_user(self, principal: Principal, user_id: int) -> UserView:
        if user_id <= 0:
            raise InvalidArgument.field("id", "must be a positive user id")
        if principal.is_superuser or principal.user_id == user_id:
            return await self._get(user_id)
        # Department staff see its members; nobody else, and never across departments.
        user = await self._users.get(user_id) if principal.is_supervisor else None
        if user is None or user.is_superuser or not may_see_users_of(principal, user.department_id):
            raise NotFound(f"user {user_id} not found")
        return user

    async def _get(self, user_id: int) -> UserView:
        user = await self._users.get(user_id)
        if user is None:
            raise NotFound(f"user {user_id} not found")
        return user

    @staticmethod
    def _user_id(principal: Principal) -> int:
        if principal.user_id is None:
            raise PermissionDenied(
                "this method is for signed-in users, not service principals",
                reason=Reason.PRINCIPAL_NOT_ALLOWED,
            )
        return principal.user_id

    async def list_users(
        self, principal: Principal, *, page_size: int = 0, page_token: str = "", filter: str = ""
    ) -> Page[UserRecord]:
        """Superusers: every user; a department's supervisors and admins: its members."""
        if principal.is_superuser:
            scope = Scope.everything()
        elif may_see_users_of(principal, principal.department_id):
            assert principal.department_id is not None
            scope = Scope.department(principal.department_id)
        else:
            raise PermissionDenied(
                "this method is for superusers and department supervisors or admins",
                reason=Reason.ROLE_REQUIRED,
            )
        query = USERS.query(
            self._page_tokens,
            principal.view_key,
            page_size=page_size,
            page_token=page_token,
            filter=filter,
        )
        rows = await self._users.page(query, scope)
        total = query.known_total(len(rows))
        if total is None:
            total = await self._users.count(query, scope)
        return USERS.page(self._page_tokens, query, rows, total)

    async def update_me(
        self,
        principal: Principal,
        fields: UserInput,
        paths: Sequence[str],
        current_password: str = "",
        client: str = "",
    ) -> UserView:
        """Changing the email needs the current password and is rate-limited like a
        sign-in: otherwise a stolen access token takes the account over, and ALREADY_EXISTS
        answers any caller which emails have accounts."""
        user_id = self._user_id(principal)
        if not paths:  # empty mask: every field that is set
            paths = [name for name in ("email", "full_name") if getattr(fields, name)]
            if not paths:
                raise InvalidArgument.field("update_mask", "names no field to update")
        _check(_mask_violations(paths, UPDATE_ME_PATHS, "UpdateMe"))
        if "email" in paths:
            await self._confirm_email_change(principal, fields, current_password, client)
        return await self._update(user_id, fields, paths, password=None, actor=principal)

    async def _confirm_email_change(
        self, principal: Principal, fields: UserInput, current_password: str, client: str
    ) -> None:
        email = normalize_email(fields.email)
        if email_violations(email):
            return  # reported with the other fields' problems by _update, before any change
        found = await self._users.credentials(self._user_id(principal))
        if found is None or email == found.user.email:
            return  # no change of email (a missing user is NOT_FOUND in _update)
        if not current_password:
            raise InvalidArgument.field(
                "current_password", "is required to change the email", reason=Reason.FIELD_INVALID
            )
        _check(password_length_violations(current_password, "current_password"))
        await self._limits.check_sign_in("email change", principal.key, client)
        if not await self._passwords.verify(current_password, found.hashed_password):
            raise InvalidArgument.field(
                "current_password", "is incorrect", reason=Reason.PASSWORD_INCORRECT
            )

    async def update_user(
        self, principal: Principal, fields: UserInput, paths: Sequence[str], password: str
    ) -> UserView:
        if not principal.is_superuser:  # who may manage users at all, before anything else
            self._check_manager(principal, principal.department_id or 0, superuser=False)
        violations = []
        if fields.id <= 0:
            violations.append(FieldViolation("user.id", "must be a positive user id"))
        if not paths:
            violations.append(FieldViolation("update_mask", "is required"))
        violations += _mask_violations(paths, UPDATE_USER_PATHS, "UpdateUser")
        if "department_id" in paths:
            violations += _department_violations(fields.department_id, required=True)
        if "role" in paths and fields.role is None:
            violations.append(FieldViolation("user.role", "must be set to a role"))
        _check(violations)
        within = await self._check_target(principal, fields, paths)
        if fields.id == principal.user_id:
            if "is_active" in paths and not fields.is_active:
                raise FailedPrecondition(
                    "you cannot deactivate your own account", reason=Reason.SELF_LOCKOUT
                )
            if "is_superuser" in paths and not fields.is_superuser:
                raise FailedPrecondition(
                    "you cannot remove your own superuser role", reason=Reason.SELF_LOCKOUT
                )
            if "role" in paths and not principal.is_superuser:
                raise FailedPrecondition(
                    "you cannot change your own role", reason=Reason.SELF_LOCKOUT
                )
        new_password = password if "password" in paths else None
        return await self._update(
            fields.id, fields, paths, new_password, actor=principal, within=within
        )

    async def _check_target(
        self, principal: Principal, fields: UserInput, paths: Sequence[str]
    ) -> int | None:
        """May the caller change this user so? The department the change must stay
        within (None for a superuser)."""
        if principal.is_superuser:
            return None
        self._check_manager(principal, principal.department_id or 0, superuser=False)
        if SUPERUSER_PATHS.intersection(paths):
            raise PermissionDenied(
                "only a superuser may change is_superuser", reason=Reason.SUPERUSER_REQUIRED
            )
        target = await self._users.get(fields.id)
        if (
            target is None
            or target.is_superuser
            or not may_manage_users(principal, target.department_id)
        ):
            raise NotFound(f"user {fields.id} not found")
        if "department_id" in paths and not may_manage_users(principal, fields.department_id):
            raise NotFound(f"department {fields.department_id} not found")
        return principal.department_id

    async def _update(
        self,
        user_id: int,
        fields: UserInput,
        paths: Sequence[str],
        password: str | None,
        actor: Principal,
        within: int | None = None,
    ) -> UserView:
        email = normalize_email(fields.email)
        violations: list[FieldViolation] = []
        if "email" in paths:
            violations += email_violations(email, "user.email")
        if "full_name" in paths:
            violations += full_name_violations(fields.full_name, "user.full_name")
        if password is not None:
            violations += password_violations(password, "password")
        _check(violations)
        hashed = await self._passwords.hash(password) if password is not None else None
        changes = UserChanges(
            email=email if "email" in paths else None,
            full_name=fields.full_name if "full_name" in paths else None,
            is_active=fields.is_active if "is_active" in paths else None,
            is_superuser=fields.is_superuser if "is_superuser" in paths else None,
            department_id=fields.department_id if "department_id" in paths else None,
            role=(fields.role or Role.INSPECTOR) if "role" in paths else None,
            hashed_password=hashed,
            # see change_password
            sessions_valid_after=utcnow().replace(microsecond=0) if hashed else None,
        )

        def revoke(before: UserRecord) -> bool:
            # A new password, a deactivation or a reactivation ends every sign-in (after
            # a reactivation, in case the account was deactivated some other way: no old
            # token comes back); so does a new role or department: what the user may see
            # changed, and their tokens say the old one.
            toggled = changes.is_active is not None and before.is_active != changes.is_active
            moved = (
                changes.department_id is not None and changes.department_id != before.department_id
            ) or (changes.role is not None and changes.role is not before.role)
            return hashed is not None or toggled or moved

        try:
            view = await self._users.update(user_id, changes, revoke, within)
        except EmailTaken:
            raise AlreadyExists(EMAIL_EXISTS, reason=Reason.EMAIL_TAKEN) from None
        except DepartmentMissing:
            raise NotFound(f"department {fields.department_id} not found") from None
        if view is None:
            raise NotFound(f"user {user_id} not found")
        # After the commit: the next RPC of this user reads the new state.
        self._authenticator.invalidate(user_id)
        logger.info(
            "user updated",
            extra={"user_id": user_id, "by": actor.key, "fields": ",".join(sorted(set(paths)))},
        )
        return view

    async def change_password(
        self, principal: Principal, current_password: str, new_password: str, client: str
    ) -> None:
        user_id = self._user_id(principal)
        violations = password_length_violations(current_password, "current_password")
        violations += password_violations(new_password, "new_password")
        if not violations and current_password == new_password:
            violations.append(
                FieldViolation("new_password", "must differ from the current password")
            )
        _check(violations)
        # A stolen access token must not become a way to guess the password.
        await self._limits.check_sign_in("password", principal.key, client)
        found = await self._users.credentials(user_id)
        if found is None:
            raise NotFound(f"user {user_id} not found")
        if not await self._passwords.verify(current_password, found.hashed_password):
            raise InvalidArgument.field(
                "current_password", "is incorrect", reason=Reason.PASSWORD_INCORRECT
            )
        hashed = await self._passwords.hash(new_password)
        # Access tokens carry whole seconds (iat): one issued earlier in this same
        # second stays valid; a sign-in right after the change must not be refused.
        await self._users.set_password_hash(
            user_id,
            hashed,
            sessions_valid_after=utcnow().replace(microsecond=0),
            revoke_tokens=True,
        )
        self._authenticator.invalidate(user_id)  # here at once; other workers within the TTL
        logger.info("password changed", extra={"user_id": user_id})

    # --- sign-in and tokens ---------------------------------------------------------
    async def login(self, email: str, password: str, client: str) -> TokenPair:
        email = normalize_email(email)
        violations = [FieldViolation("email", "is required")] if not email else []
        _check(violations + password_length_violations(password))
        await self._limits.check_login(email, client)
        found = None
        if is_valid_email(email):  # a malformed one cannot exist; don't send it to SQL
            found = await self._users.credentials_by_email(email)
        # Exactly one bcrypt check whatever the case, so the timing tells nothing.
        ok = await self._passwords.verify(password, found.hashed_password if found else None)
        user = found.user if found else None
        if found is None or user is None or not ok or not user.is_active:
            reason = "unknown email" if user is None else "wrong password" if not ok else "inactive"
            logger.info(
                "login refused",
                extra={"reason": reason, "user_id": user.id if user else None},
            )
            await self._limits.login_failed(email, client)
            raise Unauthenticated(LOGIN_FAILED, reason=Reason.LOGIN_FAILED)
        await self._limits.login_succeeded(email, client)
        if self._passwords.needs_rehash(found.hashed_password):
            await self._rehash(user.id, password)
        return await self._issue(user, family_id=None, cleanup=True)

    async def start_session(self, user_id: int) -> TokenPair:
        """A new sign-in for a user, without a password (tools and tests that made the
        user themselves): a refresh-token family and an access token naming it."""
        return await self._issue(await self._get(user_id), family_id=None, cleanup=False)

    async def _rehash(self, user_id: int, password: str) -> None:
        """The configured bcrypt cost changed: upgrade the stored hash at sign-in."""
        hashed = await self._passwords.hash(password)
        await self._users.set_password_hash(user_id, hashed)

    async def _issue(self, user: UserRecord, family_id: str | None, cleanup: bool) -> TokenPair:
        refresh, refresh_hash = new_refresh_token()
        now = utcnow()
        family = family_id or str(uuid.uuid4())
        await self._refresh_tokens.issue(
            user.id, family, refresh_hash, now, now + self._refresh_ttl, drop_expired=cleanup
        )
        access, expires_in = self._access_token(user, family)
        return TokenPair(access_token=access, refresh_token=refresh, expires_in=expires_in)

    def _access_token(self, user: UserRecord, family: str) -> tuple[str, int]:
        """An access token naming the sign-in and the user's department and role."""
        return self._tokens.issue_access_token(
            str(user.id), session_id=family, department_id=user.department_id, role=user.role
        )

    async def refresh(self, refresh_token: str, client: str = "") -> TokenPair:
        if not refresh_token:
            raise InvalidArgument.field("refresh_token", "is required")
        await self._limits.check_refresh(client)
        if len(refresh_token) > MAX_REFRESH_TOKEN_CHARS:
            raise Unauthenticated(REFRESH_INVALID, reason=Reason.REFRESH_TOKEN_INVALID)
        token_hash = hash_refresh_token(refresh_token)
        now = utcnow()
        new_refresh, new_hash = new_refresh_token()
        rotation = await self._refresh_tokens.rotate(
            token_hash, new_hash, now, now + self._refresh_ttl
        )
        state = rotation.state
        if state is None:
            raise Unauthenticated(REFRESH_INVALID, reason=Reason.REFRESH_TOKEN_INVALID)
        if rotation.user_inactive:
            # Nothing changed: the token stays unused.
            raise Unauthenticated(
                "user is inactive or no longer exists", reason=Reason.ACCOUNT_INACTIVE
            )
        if rotation.rotated:
            user = await self._users.get(state.user_id)
            if user is None:
                raise Unauthenticated(
                    "user is inactive or no longer exists", reason=Reason.ACCOUNT_INACTIVE
                )
            access, expires_in = self._access_token(user, state.family_id)
            return TokenPair(access_token=access, refresh_token=new_refresh, expires_in=expires_in)
        if state.revoked_time is not None:
            raise Unauthenticated(
                "refresh token has been revoked", reason=Reason.REFRESH_TOKEN_REVOKED
            )
        if state.used_time is not None:
            # Someone holds a copy of a rotated token: end the whole sign-in.
            revoked = await self._refresh_tokens.revoke_family(state.family_id, now)
            self._authenticator.end_session(state.user_id, state.family_id)
            logger.warning(
                "refresh token reused; family revoked",
                extra={"user_id": state.user_id, "revoked": revoked},
            )
            raise Unauthenticated(
                "refresh token was already used; this sign-in has been revoked, sign in again",
                reason=Reason.REFRESH_TOKEN_REVOKED,
            )
        raise Unauthenticated("refresh token has expired", reason=Reason.REFRESH_TOKEN_EXPIRED)

    async def logout(self, principal: Principal, refresh_token: str) -> None:
        user_id = self._user_id(principal)
        if not refresh_token:
            raise InvalidArgument.field("refresh_token", "is required")
        token_hash = hash_refresh_token(refresh_token)
        now = utcnow()
        state = (
            await self._refresh_tokens.state(token_hash)
            if len(refresh_token) <= MAX_REFRESH_TOKEN_CHARS
            else None
        )
        # Someone else's token answers like an unknown one: nothing is revealed.
        if state is None or state.user_id != user_id:
            raise NotFound("refresh token not found")
        # The whole sign-in ends, including any copy of an older rotated token.
        await self._refresh_tokens.revoke_family(state.family_id, now)
        # Its access tokens stop here at once, elsewhere within the principal cache TTL.
        self._authenticator.end_session(user_id, state.family_id)
