"""Rules for the fields of an account: email normalisation and syntax, display name,
the password policy. Pure: the settings check the first superuser with them too."""

from __future__ import annotations

import re

from opengovfood.errors import FieldViolation

MAX_EMAIL_CHARS = 254  # RFC 5321 path limit
MAX_LOCAL_PART_CHARS = 64
MAX_FULL_NAME_CHARS = 255
MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_BYTES = 72  # bcrypt's limit; bcrypt 5 raises beyond it

# A practical subset of RFC 5322 addr-spec: dot-atom local part, a domain of
# LDH labels with a dot. ASCII only; no quoted local parts or address literals.
_LOCAL = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def normalize_email(email: str) -> str:
    """Emails are compared and stored trimmed and lower-cased."""
    return email.strip().lower()


def email_violations(email: str, field: str = "email") -> list[FieldViolation]:
    """Syntax check of an already normalised email."""
    if not email:
        return [FieldViolation(field, "is required")]
    if len(email) > MAX_EMAIL_CHARS:
        return [FieldViolation(field, f"must be at most {MAX_EMAIL_CHARS} characters")]
    local, sep, domain = email.rpartition("@")
    labels = domain.split(".")
    if (
        not sep
        or len(local) > MAX_LOCAL_PART_CHARS
        or not _LOCAL.fullmatch(local)
        or len(labels) < 2
        or not all(_LABEL.fullmatch(label) for label in labels)
        or labels[-1].isdigit()
    ):
        return [FieldViolation(field, "is not a valid email address")]
    return []


def is_valid_email(email: str) -> bool:
    return not email_violations(email)


def full_name_violations(full_name: str, field: str = "full_name") -> list[FieldViolation]:
    if len(full_name) > MAX_FULL_NAME_CHARS:
        return [FieldViolation(field, f"must be at most {MAX_FULL_NAME_CHARS} characters")]
    # PostgreSQL text cannot hold NUL, and line breaks in a name only serve log forgery.
    if _CONTROL.search(full_name):
        return [FieldViolation(field, "must not contain control characters")]
    return []


def utf8_or_none(password: str) -> bytes | None:
    """The UTF-8 bytes, or None for text that is not valid Unicode (lone surrogates)."""
    try:
        return password.encode("utf-8")
    except UnicodeEncodeError:
        return None


def password_length_violations(password: str, field: str = "password") -> list[FieldViolation]:
    """What any presented password must meet (also at login): present, <= 72 bytes."""
    if not password:
        return [FieldViolation(field, "is required")]
    encoded = utf8_or_none(password)
    if encoded is None:
        return [FieldViolation(field, "must be valid Unicode text")]
    if len(encoded) > MAX_PASSWORD_BYTES:
        return [FieldViolation(field, f"must be at most {MAX_PASSWORD_BYTES} bytes in UTF-8")]
    return []


def password_violations(password: str, field: str = "password") -> list[FieldViolation]:
    """Policy for new passwords: 8 or more characters, at most 72 bytes of UTF-8."""
    if password and len(password) < MIN_PASSWORD_CHARS:
        return [FieldViolation(field, f"must be at least {MIN_PASSWORD_CHARS} characters")]
    return password_length_violations(password, field)
