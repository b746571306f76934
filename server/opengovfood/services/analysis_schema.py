"""The inspection-analysis JSON schema, its prompt, and strict validation of model output.

Models are asked for this JSON (constrained by the schema where the backend can
do so); whatever comes back is parsed and checked here, never trusted. A result
that fails the checks is rejected with a short, client-safe reason.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Final, Literal

__all__ = [
    "ANALYSIS_SYSTEM_PROMPT",
    "AnalysisInvalid",
    "AnalysisResult",
    "Severity",
    "ViolationResult",
    "analysis_schema",
    "parse_analysis",
    "repair_prompt",
]

Severity = Literal["critical", "major", "minor"]
SEVERITIES: Final[tuple[Severity, ...]] = ("critical", "major", "minor")

# What we store at most; longer model output is cut (never padded or invented).
MAX_TEXT: Final = 4000
MAX_CODE: Final = 64
MAX_ITEMS: Final = 50

# Bounds for small local models: llama.cpp turns maxLength/maxItems into its grammar,
# which caps the output (and so the generation time) even when the model rambles.
_LOCAL_TEXT = 160
_LOCAL_DESCRIPTION = 100
_LOCAL_CODE = 12
_LOCAL_ITEMS = 3

ANALYSIS_SYSTEM_PROMPT: Final = (
    "You are a food-safety inspection assistant. Read the inspector's field notes and "
    "reply with JSON only: a one-sentence summary; each violation with a short code "
    "(a food-code section if you know it), a short description and a severity "
    "(critical, major or minor); one short corrective action per violation; a "
    "compliance_score between 0 (non-compliant) and 1 (fully compliant); and a "
    "one-sentence public_health_narrative. Be brief and factual."
)


def analysis_schema(bounded: bool = False) -> dict[str, Any]:
    """The JSON schema of an analysis.

    The unbounded form uses only keywords that strict structured-output backends
    (OpenAI, Ollama) accept; ``bounded`` adds length limits for llama.cpp grammars.
    """

    def text(limit: int, required: bool = False) -> dict[str, Any]:
        if not bounded:
            return {"type": "string"}
        return {"type": "string", "minLength": 1 if required else 0, "maxLength": limit}

    def array(items: dict[str, Any]) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "array", "items": items}
        if bounded:
            schema["maxItems"] = _LOCAL_ITEMS
        return schema

    violation = {
        "type": "object",
        "properties": {
            "code": text(_LOCAL_CODE),
            "description": text(_LOCAL_DESCRIPTION, required=True),
            "severity": {"type": "string", "enum": list(SEVERITIES)},
        },
        "required": ["code", "description", "severity"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {
            "summary": text(_LOCAL_TEXT, required=True),
            "violations": array(violation),
            "corrective_actions": array(text(_LOCAL_DESCRIPTION)),
            "compliance_score": {"type": "number", "minimum": 0, "maximum": 1},
            "public_health_narrative": text(_LOCAL_TEXT),
        },
        "required": [
            "summary",
            "violations",
            "corrective_actions",
            "compliance_score",
            "public_health_narrative",
        ],
        "additionalProperties": False,
    }


@dataclass(frozen=True, slots=True)
class ViolationResult:
    code: str
    description: str
    severity: Severity


@dataclass(frozen=True, slots=True)
class AnalysisResult:
    summary: str
    violations: tuple[ViolationResult, ...]
    corrective_actions: tuple[str, ...]
    compliance_score: float
    public_health_narrative: str


class AnalysisInvalid(ValueError):
    """The model's output is not a valid analysis; ``str()`` says why (client-safe)."""


def _cut(value: str, limit: int) -> str:
    value = value.strip()
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def _text(obj: dict[str, Any], key: str, *, required: bool, limit: int = MAX_TEXT) -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        raise AnalysisInvalid(f"'{key}' must be a string")
    value = _cut(value, limit)
    if required and not value:
        raise AnalysisInvalid(f"'{key}' is empty")
    return value


def _list(obj: dict[str, Any], key: str) -> list[Any]:
    value = obj.get(key)
    if not isinstance(value, list):
        raise AnalysisInvalid(f"'{key}' must be a list")
    return value[:MAX_ITEMS]


def _violation(raw: object, index: int) -> ViolationResult:
    where = f"violations[{index}]"
    if not isinstance(raw, dict):
        raise AnalysisInvalid(f"'{where}' must be an object")
    try:
        code = _text(raw, "code", required=False, limit=MAX_CODE)
        description = _text(raw, "description", required=True)
    except AnalysisInvalid as exc:
        raise AnalysisInvalid(f"{where}: {exc}") from None
    severity = raw.get("severity")
    normalized = severity.strip().lower() if isinstance(severity, str) else None
    if normalized not in SEVERITIES:
        raise AnalysisInvalid(f"{where}: 'severity' must be one of critical, major, minor")
    return ViolationResult(code=code, description=description, severity=normalized)


def _score(obj: dict[str, Any]) -> float:
    value = obj.get("compliance_score")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AnalysisInvalid("'compliance_score' must be a number")
    score = float(value)
    if math.isnan(score):
        raise AnalysisInvalid("'compliance_score' must be a number")
    # Models do not always respect the schema's bounds (llama.cpp grammars cannot
    # express them): the score is clamped, as the API promises 0-1.
    return min(1.0, max(0.0, score))


def parse_analysis(text: str) -> AnalysisResult:
    """Parse and validate the model's JSON; raises :class:`AnalysisInvalid`."""
    stripped = text.strip()
    # Some models wrap JSON in a Markdown fence despite being told not to.
    if stripped.startswith("```"):
        stripped = stripped.strip("`")
        stripped = stripped.removeprefix("json").strip()
    try:
        obj = json.loads(stripped)
    except ValueError:
        raise AnalysisInvalid("the answer is not valid JSON") from None
    if not isinstance(obj, dict):
        raise AnalysisInvalid("the answer is not a JSON object")
    violations = tuple(_violation(v, i) for i, v in enumerate(_list(obj, "violations")))
    actions = []
    for i, action in enumerate(_list(obj, "corrective_actions")):
        if not isinstance(action, str):
            raise AnalysisInvalid(f"'corrective_actions[{i}]' must be a string")
        if action.strip():
            actions.append(_cut(action, MAX_TEXT))
    return AnalysisResult(
        summary=_text(obj, "summary", required=True),
        violations=violations,
        corrective_actions=tuple(actions),
        compliance_score=_score(obj),
        public_health_narrative=_text(obj, "public_health_narrative", required=False),
    )


def repair_prompt(problem: str) -> str:
    """The follow-up message of the one repair attempt."""
    return (
        f"Your answer was not a valid analysis: {problem}. Reply again with only the "
        "corrected JSON object, with the fields summary, violations (code, description, "
        "severity), corrective_actions, compliance_score and public_health_narrative."
    )
