"""LLM provider errors -> domain errors (and so gRPC statuses), in one place.

Provider errors carry a client-safe message that names the provider; the upstream
detail is logged here and never sent to clients.
"""

from __future__ import annotations

import logging

from opengovfood.errors import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    ResourceExhausted,
    ServiceError,
    Unavailable,
)
from opengovfood.llm import (
    ContextTooLong,
    LLMError,
    ModelNotFound,
    NotSupported,
    ProviderBusy,
    ProviderUnavailable,
    UnknownProvider,
)
from opengovfood.reasons import Reason

logger = logging.getLogger("opengovfood.agent")

# Seconds a client should wait before retrying a busy provider (google.rpc.RetryInfo).
BUSY_RETRY_AFTER = 1.0


def service_error(error: LLMError, *, model_named: bool = True) -> ServiceError:
    """The domain error for a provider error.

    ``model_named`` says whether the caller named the model: an unknown model the
    caller asked for is NOT_FOUND, an unknown *configured default* model is a
    server-side FAILED_PRECONDITION (both messages suggest ListModels/PullModel).
    """
    if error.detail:
        logger.warning("LLM provider %r: %s (%s)", error.provider, error.message, error.detail)
    if isinstance(error, UnknownProvider):
        return InvalidArgument.field("provider", error.message)
    if isinstance(error, ModelNotFound):
        if model_named:
            return NotFound(error.message, reason=Reason.MODEL_NOT_FOUND)
        return FailedPrecondition(error.message, reason=Reason.MODEL_UNAVAILABLE)
    if isinstance(error, ProviderBusy):
        return ResourceExhausted(
            error.message, retry_after=BUSY_RETRY_AFTER, reason=Reason.LLM_BUSY
        )
    if isinstance(error, ContextTooLong):
        return InvalidArgument(error.message)
    if isinstance(error, NotSupported):
        return FailedPrecondition(error.message, reason=Reason.MODEL_UNAVAILABLE)
    if isinstance(error, ProviderUnavailable):
        return Unavailable(error.message, reason=Reason.LLM_PROVIDER_UNAVAILABLE)
    # ProviderError: the upstream failed while working on the request. Retrying
    # may well succeed (models are not deterministic, servers restart).
    return Unavailable(error.message, reason=Reason.LLM_PROVIDER_UNAVAILABLE)
