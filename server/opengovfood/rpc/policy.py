"""Who may call which method. Every method of every opengovfood.v1 service has an
explicit rule here; the auth interceptor refuses a method without one (fail closed)
and a test checks the table covers every method in the descriptors."""

from __future__ import annotations

from dataclasses import dataclass

from opengovfood.domain.principal import KNOWN_SCOPES, SCOPE_ITEMS_READ

__all__ = ["KNOWN_SCOPES", "PUBLIC", "RULES", "SCOPE_ITEMS_READ", "Rule", "rule_for"]


@dataclass(frozen=True, slots=True)
class Rule:
    public: bool = False  # no token needed
    users: bool = True  # signed-in users may call it
    superuser_only: bool = False
    service_scope: str | None = None  # service principals need this scope; None: refused
    any_service: bool = False  # any service principal, whatever its scopes


PUBLIC = Rule(public=True)
USER = Rule()
SUPERUSER = Rule(superuser_only=True)
USER_OR_ITEMS_READER = Rule(service_scope=SCOPE_ITEMS_READ)
# Reference data with nobody's records in it (the Food Code catalogue).
ANY_PRINCIPAL = Rule(any_service=True)

_USERS = "/opengovfood.v1.UserService/"
_ITEMS = "/opengovfood.v1.ItemService/"
_AGENT = "/opengovfood.v1.AgentService/"
_ESTABLISHMENTS = "/opengovfood.v1.EstablishmentService/"

RULES: dict[str, Rule] = {
    _USERS + "Register": PUBLIC,
    _USERS + "Login": PUBLIC,
    _USERS + "RefreshToken": PUBLIC,
    _USERS + "Logout": USER,
    _USERS + "GetMe": USER,
    _USERS + "UpdateMe": USER,
    _USERS + "ChangePassword": USER,
    _USERS + "CreateUser": SUPERUSER,
    _USERS + "GetUser": USER,  # self, or anyone for a superuser (checked by the service)
    _USERS + "ListUsers": SUPERUSER,
    _USERS + "UpdateUser": SUPERUSER,
    _ITEMS + "CreateItem": USER,
    _ITEMS + "GetItem": USER_OR_ITEMS_READER,
    _ITEMS + "ListItems": USER_OR_ITEMS_READER,
    _ITEMS + "UpdateItem": USER,
    _ITEMS + "DeleteItem": USER,
    _ITEMS + "WatchItems": USER_OR_ITEMS_READER,
    _ITEMS + "ExportInspections": USER_OR_ITEMS_READER,
    _ITEMS + "RenderInspectionReport": USER_OR_ITEMS_READER,
    _AGENT + "AnalyzeInspection": USER,
    _AGENT + "GetAnalysis": USER,
    _AGENT + "ListAnalyses": USER,
    _AGENT + "Chat": USER,
    _AGENT + "ListModels": USER,
    _AGENT + "PullModel": SUPERUSER,
    _AGENT + "ListViolationTypes": ANY_PRINCIPAL,
    _AGENT + "UpdateAnalysis": USER,
    # Establishments: read like items (owners, superusers, `items:read` services).
    _ESTABLISHMENTS + "CreateEstablishment": USER,
    _ESTABLISHMENTS + "GetEstablishment": USER_OR_ITEMS_READER,
    _ESTABLISHMENTS + "ListEstablishments": USER_OR_ITEMS_READER,
    _ESTABLISHMENTS + "UpdateEstablishment": USER,
    _ESTABLISHMENTS + "DeleteEstablishment": USER,
}

# Standard services anyone may call (health probes, grpcurl discovery).
PUBLIC_PREFIXES = (
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1.ServerReflection/",
    "/grpc.reflection.v1alpha.ServerReflection/",
)


def rule_for(method: str) -> Rule | None:
    if method.startswith(PUBLIC_PREFIXES):
        return PUBLIC
    return RULES.get(method)
