"""Every `google.rpc.ErrorInfo.reason` the server sends, in one place (AIP-193).

Each error carries an ErrorInfo with one of these reasons and the domain
`opengovfood.v1`, so programs branch on the reason instead of parsing messages.
Reasons are part of the API: never rename or reuse one; add new ones. docs/api.md
lists them with these descriptions (`make docs`).
"""

from __future__ import annotations

import enum

DOMAIN = "opengovfood.v1"


class Reason(enum.StrEnum):
    # INVALID_ARGUMENT
    FIELD_INVALID = "FIELD_INVALID"
    FILTER_INVALID = "FILTER_INVALID"
    ORDER_BY_INVALID = "ORDER_BY_INVALID"
    PAGE_TOKEN_INVALID = "PAGE_TOKEN_INVALID"
    ETAG_INVALID = "ETAG_INVALID"
    REQUEST_ID_REUSED = "REQUEST_ID_REUSED"
    PASSWORD_INCORRECT = "PASSWORD_INCORRECT"
    PAYLOAD_UNDECODABLE = "PAYLOAD_UNDECODABLE"
    # UNAUTHENTICATED
    CREDENTIALS_MISSING = "CREDENTIALS_MISSING"
    TOKEN_INVALID = "TOKEN_INVALID"
    TOKEN_EXPIRED = "TOKEN_EXPIRED"
    TOKEN_REVOKED = "TOKEN_REVOKED"
    ACCOUNT_INACTIVE = "ACCOUNT_INACTIVE"
    LOGIN_FAILED = "LOGIN_FAILED"
    REFRESH_TOKEN_INVALID = "REFRESH_TOKEN_INVALID"
    REFRESH_TOKEN_REVOKED = "REFRESH_TOKEN_REVOKED"
    REFRESH_TOKEN_EXPIRED = "REFRESH_TOKEN_EXPIRED"
    # PERMISSION_DENIED
    ACTION_NOT_ALLOWED = "ACTION_NOT_ALLOWED"
    SUPERUSER_REQUIRED = "SUPERUSER_REQUIRED"
    SCOPE_REQUIRED = "SCOPE_REQUIRED"
    PRINCIPAL_NOT_ALLOWED = "PRINCIPAL_NOT_ALLOWED"
    REGISTRATION_CLOSED = "REGISTRATION_CLOSED"
    # NOT_FOUND
    RESOURCE_NOT_FOUND = "RESOURCE_NOT_FOUND"
    MODEL_NOT_FOUND = "MODEL_NOT_FOUND"
    # ALREADY_EXISTS
    RESOURCE_ALREADY_EXISTS = "RESOURCE_ALREADY_EXISTS"
    EMAIL_TAKEN = "EMAIL_TAKEN"
    # FAILED_PRECONDITION
    PRECONDITION_FAILED = "PRECONDITION_FAILED"
    SELF_LOCKOUT = "SELF_LOCKOUT"
    MODEL_UNAVAILABLE = "MODEL_UNAVAILABLE"
    # ABORTED
    CONCURRENT_CHANGE = "CONCURRENT_CHANGE"
    ETAG_MISMATCH = "ETAG_MISMATCH"
    # RESOURCE_EXHAUSTED
    RATE_LIMITED = "RATE_LIMITED"
    SERVER_BUSY = "SERVER_BUSY"
    LLM_BUSY = "LLM_BUSY"
    WATCH_QUEUE_OVERFLOW = "WATCH_QUEUE_OVERFLOW"
    # UNAVAILABLE
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    SHUTTING_DOWN = "SHUTTING_DOWN"
    DATABASE_UNAVAILABLE = "DATABASE_UNAVAILABLE"
    LLM_PROVIDER_UNAVAILABLE = "LLM_PROVIDER_UNAVAILABLE"
    WATCH_INTERRUPTED = "WATCH_INTERRUPTED"
    # UNIMPLEMENTED, INTERNAL
    NOT_IMPLEMENTED = "NOT_IMPLEMENTED"
    INTERNAL_ERROR = "INTERNAL_ERROR"
    # Establishments (ALREADY_EXISTS, FAILED_PRECONDITION)
    LICENSE_NUMBER_TAKEN = "LICENSE_NUMBER_TAKEN"
    ESTABLISHMENT_HAS_INSPECTIONS = "ESTABLISHMENT_HAS_INSPECTIONS"


# What each reason means, and what the caller should do: docs/api.md shows these.
DESCRIPTIONS: dict[Reason, tuple[str, str]] = {
    Reason.FIELD_INVALID: (
        "INVALID_ARGUMENT",
        "One or more request fields are invalid; the google.rpc.BadRequest detail names each field and what is wrong. Fix the request; don't retry it as is.",
    ),
    Reason.FILTER_INVALID: (
        "INVALID_ARGUMENT",
        "`filter` does not parse or names an unknown field; the message gives the column.",
    ),
    Reason.ORDER_BY_INVALID: ("INVALID_ARGUMENT", "`order_by` names an unknown or repeated field."),
    Reason.PAGE_TOKEN_INVALID: (
        "INVALID_ARGUMENT",
        "`page_token` was not issued by this list, or for another filter, order or caller. Start again without a token.",
    ),
    Reason.ETAG_INVALID: ("INVALID_ARGUMENT", "The etag is not one this service issued."),
    Reason.REQUEST_ID_REUSED: (
        "INVALID_ARGUMENT",
        "The `request_id` was already used for a different request by this caller.",
    ),
    Reason.PASSWORD_INCORRECT: ("INVALID_ARGUMENT", "ChangePassword: `current_password` is wrong."),
    Reason.PAYLOAD_UNDECODABLE: (
        "INVALID_ARGUMENT",
        "The request bytes are not a valid protobuf message for the method.",
    ),
    Reason.CREDENTIALS_MISSING: (
        "UNAUTHENTICATED",
        "No `authorization: Bearer <token>` metadata, or not in that form. Sign in.",
    ),
    Reason.TOKEN_INVALID: (
        "UNAUTHENTICATED",
        "The access token is malformed, wrongly signed, for another audience or issuer, or not valid yet. Sign in again.",
    ),
    Reason.TOKEN_EXPIRED: (
        "UNAUTHENTICATED",
        "The access token has expired: refresh it (RefreshToken) and retry.",
    ),
    Reason.TOKEN_REVOKED: (
        "UNAUTHENTICATED",
        "The access token was issued before the user's password changed. Sign in again.",
    ),
    Reason.ACCOUNT_INACTIVE: ("UNAUTHENTICATED", "The user is deactivated or no longer exists."),
    Reason.LOGIN_FAILED: (
        "UNAUTHENTICATED",
        "Login: unknown email, wrong password or deactivated account (deliberately not told apart).",
    ),
    Reason.REFRESH_TOKEN_INVALID: (
        "UNAUTHENTICATED",
        "The refresh token is unknown or malformed. Sign in again.",
    ),
    Reason.REFRESH_TOKEN_REVOKED: (
        "UNAUTHENTICATED",
        "The refresh token was revoked (logout, password change, or reuse of a rotated token, which revokes its whole sign-in). Sign in again.",
    ),
    Reason.REFRESH_TOKEN_EXPIRED: (
        "UNAUTHENTICATED",
        "The refresh token has expired. Sign in again.",
    ),
    Reason.ACTION_NOT_ALLOWED: (
        "PERMISSION_DENIED",
        "Signed in, but this principal may not do this.",
    ),
    Reason.SUPERUSER_REQUIRED: ("PERMISSION_DENIED", "The method is for superusers only."),
    Reason.SCOPE_REQUIRED: (
        "PERMISSION_DENIED",
        "A service principal lacks the scope the method needs (the message names it).",
    ),
    Reason.PRINCIPAL_NOT_ALLOWED: (
        "PERMISSION_DENIED",
        "The method is not for this kind of principal (a service principal calling a user method, or the reverse).",
    ),
    Reason.REGISTRATION_CLOSED: (
        "PERMISSION_DENIED",
        "Open registration is off; an administrator creates accounts.",
    ),
    Reason.RESOURCE_NOT_FOUND: (
        "NOT_FOUND",
        "No such resource, or not one the caller may see (existence is not leaked).",
    ),
    Reason.MODEL_NOT_FOUND: (
        "NOT_FOUND",
        "The named LLM model is not available on the provider; see ListModels, or PullModel.",
    ),
    Reason.RESOURCE_ALREADY_EXISTS: (
        "ALREADY_EXISTS",
        "A resource with the same unique key exists.",
    ),
    Reason.EMAIL_TAKEN: ("ALREADY_EXISTS", "A user with this email exists."),
    Reason.PRECONDITION_FAILED: (
        "FAILED_PRECONDITION",
        "The system is not in a state that allows the call; the message says why.",
    ),
    Reason.SELF_LOCKOUT: (
        "FAILED_PRECONDITION",
        "A superuser may not deactivate their own account or remove their own superuser role.",
    ),
    Reason.MODEL_UNAVAILABLE: (
        "FAILED_PRECONDITION",
        "The LLM provider or model cannot serve this request as configured (not configured, no default model, not pullable).",
    ),
    Reason.CONCURRENT_CHANGE: ("ABORTED", "The change conflicted with a concurrent one. Retry."),
    Reason.ETAG_MISMATCH: (
        "ABORTED",
        "The resource changed since its etag was read: get it again, reapply, retry.",
    ),
    Reason.RATE_LIMITED: (
        "RESOURCE_EXHAUSTED",
        "Too many requests (login, register or per-principal limits); google.rpc.RetryInfo says when to retry.",
    ),
    Reason.SERVER_BUSY: (
        "RESOURCE_EXHAUSTED",
        "The server is saturated (password checks queued); retry after the RetryInfo delay.",
    ),
    Reason.LLM_BUSY: (
        "RESOURCE_EXHAUSTED",
        "The LLM provider's queue is full; retry after the RetryInfo delay.",
    ),
    Reason.WATCH_QUEUE_OVERFLOW: (
        "RESOURCE_EXHAUSTED",
        "A WatchItems stream fell too far behind and was ended: list again to resync, then watch.",
    ),
    Reason.SERVICE_UNAVAILABLE: (
        "UNAVAILABLE",
        "A dependency is briefly unavailable. Retry with backoff.",
    ),
    Reason.SHUTTING_DOWN: (
        "UNAVAILABLE",
        "This server instance is shutting down; retry (the Python client does, on another instance).",
    ),
    Reason.DATABASE_UNAVAILABLE: (
        "UNAVAILABLE",
        "The database cannot be reached. Retry with backoff.",
    ),
    Reason.LLM_PROVIDER_UNAVAILABLE: (
        "UNAVAILABLE",
        "The LLM provider (named in the message) cannot be reached.",
    ),
    Reason.WATCH_INTERRUPTED: (
        "UNAVAILABLE",
        "Live item updates were interrupted (database listener lost); watch again.",
    ),
    Reason.NOT_IMPLEMENTED: ("UNIMPLEMENTED", "The server does not implement this method."),
    Reason.INTERNAL_ERROR: (
        "INTERNAL",
        "A server bug; the message carries the request id to report.",
    ),
    # Establishments
    Reason.LICENSE_NUMBER_TAKEN: (
        "ALREADY_EXISTS",
        "Another establishment in the caller's scope has this `license_number`.",
    ),
    Reason.ESTABLISHMENT_HAS_INSPECTIONS: (
        "FAILED_PRECONDITION",
        "DeleteEstablishment: items (inspections) still name the establishment; delete or move them first.",
    ),
}
