"""A server whose LLM provider is the fake Ollama (real HTTP on loopback), for the
client and CLI tests of the agent commands."""

from __future__ import annotations

import json
from typing import Any

from fakes.ollama_server import FakeOllama
from opengovfood.config import Settings
from support.server import make_settings

NOTES = (
    "Walk-in cooler at 48F with sliced ham and potato salad. "
    "Raw chicken stored above ready-to-eat salads. "
    "Handwashing sink blocked by boxes."
)

# What a large model answers for an analysis (services/narrative.py): the rules cite.
ANALYSIS: dict[str, Any] = {
    "summary": "Cold holding and cross-contamination problems in the kitchen.",
    "public_health_narrative": "Warm storage and raw-over-ready food can spread Salmonella.",
    "proposed_violations": [],
}


def agent_settings(database_url: str, tmp: Any, fake: FakeOllama) -> Settings:
    return make_settings(
        database_url,
        tmp,
        llm_provider="ollama",
        llm_model="llama3.2",
        ollama_url=fake.url,
        llm_timeout=5.0,
    )


def script(fake: FakeOllama, *, chunks: list[str] | None = None) -> None:
    """Answers for the next requests: the analysis JSON, and the chat chunks."""
    fake.json_content = json.dumps(ANALYSIS)
    if chunks is not None:
        fake.chunks = chunks
