"""`make eval --provider local`: the whole analysis on the real embedded model."""

from __future__ import annotations

import importlib.util

import pytest

from eval.runner import PROVIDERS
from eval.service import ServiceAnalyser, register
from opengovfood.llm import default_model_path

pytestmark = [
    pytest.mark.local_model,
    pytest.mark.skipif(
        importlib.util.find_spec("llama_cpp") is None or default_model_path() is None,
        reason="the local model is not installed (make install-dev installs it)",
    ),
]


def test_the_whole_analysis_runs_on_the_local_model() -> None:
    register()
    assert {"local", "ollama", "openai"} <= set(PROVIDERS)
    analyser = ServiceAnalyser("local")
    try:
        found = analyser.analyse("Potato salad at 52F in the reach-in. No soap at the hand sink.")
        clean = analyser.analyse("All foods held at proper temperatures. Hand sinks stocked.")
    finally:
        analyser.close()
    assert {p.form_item for p in found} >= {22, 10}
    assert all(p.section and p.evidence for p in found)
    assert clean == []
    assert [r.provider for r in analyser.kept.rows] == ["local", "local"]
    assert analyser.narratives_missing == sum(r.narrative_missing for r in analyser.kept.rows)
