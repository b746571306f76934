"""Fixtures for the LLM provider tests (fake servers + providers pointing at them)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from fakes.ollama_server import FakeOllama
from fakes.openai_server import FakeOpenAI
from opengovfood.llm import OllamaProvider, OpenAIProvider


@pytest_asyncio.fixture
async def fake_ollama() -> AsyncIterator[FakeOllama]:
    async with FakeOllama() as fake:
        yield fake


@pytest_asyncio.fixture
async def ollama(fake_ollama: FakeOllama) -> AsyncIterator[OllamaProvider]:
    provider = OllamaProvider(fake_ollama.url, "llama3.2", timeout=5.0)
    try:
        yield provider
    finally:
        await provider.aclose()


@pytest_asyncio.fixture
async def fake_openai() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as fake:
        yield fake


@pytest_asyncio.fixture
async def openai(fake_openai: FakeOpenAI) -> AsyncIterator[OpenAIProvider]:
    provider = OpenAIProvider(fake_openai.url, "sk-test", "gpt-4o-mini", timeout=5.0)
    try:
        yield provider
    finally:
        await provider.aclose()
