"""The configured LLM providers of one server process, by name."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from .base import LLMError, ModelInfo, Provider, ProviderUnavailable, UnknownProvider
from .local import LocalProvider
from .ollama import DEFAULT_OLLAMA_MODEL, DEFAULT_OLLAMA_URL, OllamaProvider
from .openai import DEFAULT_OPENAI_MODEL, DEFAULT_OPENAI_URL, OpenAIProvider

__all__ = ["KNOWN_PROVIDERS", "ModelListing", "ProviderRegistry"]

_log = logging.getLogger(__name__)

KNOWN_PROVIDERS = ("local", "ollama", "openai")
_LIST_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class ModelListing:
    """Models of all providers that answered; ``failed`` maps the others to their error."""

    models: list[ModelInfo] = field(default_factory=list)
    failed: dict[str, LLMError] = field(default_factory=dict)


class ProviderRegistry:
    """Providers by name (``local``, ``ollama``, ``openai``) plus the default one."""

    def __init__(self, providers: Mapping[str, Provider], default: str) -> None:
        if default not in providers:
            raise UnknownProvider(default, sorted(providers))
        self._providers: dict[str, Provider] = dict(providers)
        self.default = default

    @classmethod
    def from_options(
        cls,
        default: str = "local",
        local_model_path: str | None = None,
        ollama_url: str | None = None,
        openai_base_url: str | None = None,
        openai_api_key: str | None = None,
        model: str | None = None,
        *,
        timeout: float = 60.0,
        local_max_queue: int = 4,
        local_n_ctx: int = 2048,
    ) -> ProviderRegistry:
        """Build the registry from plain settings values.

        * ``local`` is always configured (its model defaults to the bundled SmolLM2
          GGUF; without one it is simply not ready).
        * ``ollama`` is configured when ``ollama_url`` is given, or when it is the
          default (then at ``http://127.0.0.1:11434``).
        * ``openai`` is configured when ``openai_base_url`` or ``openai_api_key`` is
          given, or when it is the default (base URL defaults to api.openai.com).
        * ``model`` is the default model of the *default* provider when that is a
          remote one (the local provider runs its one GGUF file); the other remote
          providers keep their own defaults (``llama3.2``, ``gpt-4o-mini``).
        """
        default = (default or "local").strip().lower()
        if default not in KNOWN_PROVIDERS:
            raise UnknownProvider(default, KNOWN_PROVIDERS)
        providers: dict[str, Provider] = {
            "local": LocalProvider(local_model_path, n_ctx=local_n_ctx, max_queue=local_max_queue),
        }
        if ollama_url or default == "ollama":
            providers["ollama"] = OllamaProvider(
                ollama_url or DEFAULT_OLLAMA_URL,
                (model if default == "ollama" and model else DEFAULT_OLLAMA_MODEL),
                timeout,
            )
        if openai_base_url or openai_api_key or default == "openai":
            providers["openai"] = OpenAIProvider(
                openai_base_url or DEFAULT_OPENAI_URL,
                openai_api_key,
                (model if default == "openai" and model else DEFAULT_OPENAI_MODEL),
                timeout,
            )
        return cls(providers, default)

    @property
    def names(self) -> list[str]:
        """Configured provider names, in configuration order."""
        return list(self._providers)

    def get(self, name: str | None = None) -> Provider:
        """The named provider, or the default one for ``None``/``""``."""
        key = (name or self.default).strip().lower()
        provider = self._providers.get(key)
        if provider is None:
            raise UnknownProvider(name or "", self.names)
        return provider

    def puller(self) -> Provider | None:
        """The first configured provider that can download models."""
        return next((p for p in self._providers.values() if p.supports_pull), None)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.strip().lower() in self._providers

    async def list_all_models(self) -> ModelListing:
        """Models of every provider, asked concurrently; failures are reported, not raised."""

        async def one(provider: Provider) -> list[ModelInfo]:
            try:
                return await asyncio.wait_for(provider.list_models(), _LIST_TIMEOUT)
            except TimeoutError:
                raise ProviderUnavailable(provider.name, detail="list_models timed out") from None

        names = self.names
        results = await asyncio.gather(
            *(one(self._providers[n]) for n in names), return_exceptions=True
        )
        listing = ModelListing()
        for name, result in zip(names, results, strict=True):
            if isinstance(result, LLMError):
                _log.info("listing models of LLM provider %r failed: %s", name, result.detail)
                listing.failed[name] = result
            elif isinstance(result, BaseException):
                if not isinstance(result, Exception):
                    raise result  # CancelledError and friends
                _log.warning("listing models of LLM provider %r failed: %r", name, result)
                listing.failed[name] = ProviderUnavailable(name, detail=repr(result))
            else:
                listing.models.extend(result)
        return listing

    async def readiness(self) -> dict[str, bool]:
        """``ready()`` of every provider, concurrently."""
        names = self.names
        states = await asyncio.gather(*(self._providers[n].ready() for n in names))
        return dict(zip(names, states, strict=True))

    async def aclose(self) -> None:
        """Close every provider (errors are logged, not raised)."""
        for name, provider in self._providers.items():
            try:
                await provider.aclose()
            except Exception:  # noqa: BLE001 - closing must go on
                _log.warning("closing LLM provider %r failed", name, exc_info=True)
