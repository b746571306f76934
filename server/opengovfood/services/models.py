"""Which LLM provider and model a request gets, and the models on offer (ListModels,
PullModel). Providers describe themselves (llm.ModelLimits, supports_tools,
supports_pull): nothing here asks which provider it is."""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator
from contextlib import aclosing

from opengovfood.domain.principal import Principal
from opengovfood.errors import FailedPrecondition, InvalidArgument, PermissionDenied, Unavailable
from opengovfood.llm import LLMError, ModelInfo, Provider, ProviderRegistry, PullProgress
from opengovfood.reasons import Reason
from opengovfood.services.llm_errors import service_error

MAX_MODEL_NAME = 200
_MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/@+-]*")


def estimate_tokens(text: str) -> int:
    """A deliberately high token estimate (about 3 characters per token)."""
    return len(text) // 3 + 1


def check_model_name(model: str) -> str | None:
    """The model a request names (None: the provider's default); INVALID_ARGUMENT
    for a name no provider could have."""
    model = model.strip()
    if not model:
        return None
    if len(model) > MAX_MODEL_NAME or not _MODEL_NAME.fullmatch(model):
        raise InvalidArgument.field(
            "model", f"must be a model name of at most {MAX_MODEL_NAME} characters"
        )
    return model


def pick_provider(registry: ProviderRegistry, name: str | None) -> Provider:
    """The named provider, or the default one for an empty name."""
    try:
        return registry.get(name.strip() if name else None)
    except LLMError as exc:
        raise service_error(exc) from None


class ModelService:
    def __init__(self, registry: ProviderRegistry) -> None:
        self.registry = registry

    async def list_models(self, principal: Principal) -> list[ModelInfo]:
        listing = await self.registry.list_all_models()
        if not listing.models and listing.failed:
            names = ", ".join(f"'{name}'" for name in listing.failed)
            raise Unavailable(f"no LLM provider answered (tried {names})")
        return listing.models

    async def pull_model(
        self, principal: Principal, name: str
    ) -> AsyncGenerator[PullProgress, None]:
        if not principal.is_superuser:
            raise PermissionDenied(
                "this method is for superusers only", reason=Reason.SUPERUSER_REQUIRED
            )
        model = check_model_name(name)
        if model is None:
            raise InvalidArgument.field("name", "is required")
        provider = self.registry.puller()
        if provider is None:
            raise FailedPrecondition(
                "PullModel downloads models into Ollama, and no Ollama server is configured "
                "(set OPENGOVFOOD_OLLAMA_URL). The local provider runs its bundled model "
                "and OpenAI-compatible servers manage their own models.",
                reason=Reason.MODEL_UNAVAILABLE,
            )
        try:
            async with aclosing(provider.pull_model(model)) as progress:
                async for step in progress:
                    yield step
        except LLMError as exc:
            raise service_error(exc) from None
