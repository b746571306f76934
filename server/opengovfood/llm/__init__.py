"""LLM providers for the AgentService: local llama.cpp, Ollama and OpenAI-compatible.

Import the interface and the providers from here::

    from opengovfood.llm import ChatMessage, ProviderRegistry, TextDelta
"""

from .base import (
    ChatMessage,
    ContextTooLong,
    LLMError,
    ModelInfo,
    ModelLimits,
    ModelNotFound,
    NotSupported,
    Provider,
    ProviderBusy,
    ProviderError,
    ProviderUnavailable,
    PullProgress,
    Role,
    StreamEnd,
    StreamEvent,
    TextDelta,
    ToolCall,
    ToolCallsRequested,
    ToolSpec,
    UnknownProvider,
    Usage,
)
from .local import LocalProvider, default_model_path
from .ollama import OllamaProvider
from .openai import OpenAIProvider
from .registry import ModelListing, ProviderRegistry

__all__ = [
    "ChatMessage",
    "ContextTooLong",
    "LLMError",
    "LocalProvider",
    "ModelInfo",
    "ModelLimits",
    "ModelListing",
    "ModelNotFound",
    "NotSupported",
    "OllamaProvider",
    "OpenAIProvider",
    "Provider",
    "ProviderBusy",
    "ProviderError",
    "ProviderRegistry",
    "ProviderUnavailable",
    "PullProgress",
    "Role",
    "StreamEnd",
    "StreamEvent",
    "TextDelta",
    "ToolCall",
    "ToolCallsRequested",
    "ToolSpec",
    "UnknownProvider",
    "Usage",
    "default_model_path",
]
