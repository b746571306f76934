"""The model's part of an analysis: the summary and the public-health narrative, written
from the rule findings, and (on models big enough to read a report) proposed violations.

The rules decide what is cited and the score; the model only writes and suggests:

- **small, bounded models** (the embedded SmolLM2-135M): a 135M model cannot read a report
  reliably, so it is given only the public-health facts of the cited Form 3-A items
  (inspection/hazards.toml; never the notes, so a note of any length works) and asked to
  rewrite them for the owner in two sentences. A sentence is kept only if it adds no number
  and most of its words come from those facts; if none is kept, the facts themselves are
  the narrative. The summary is the findings' (`findings_summary`), not the model's.
- **larger models** (Ollama, OpenAI-compatible): JSON with a summary, the narrative and
  proposed violations, each a catalogue section with the words of the notes it rests on.
  The prompt holds the rule findings and the Form 3-A items' primary sections as candidates.
  Notes longer than the model's window are read in window-sized parts (one request per part;
  the summary and narrative of the first part, which sees every finding, are kept).
  A proposal whose section the catalogue lacks, whose evidence is not in the notes, or that
  the rules already cite, is dropped.

Any provider failure is raised as LLMError; malformed output as NarrativeInvalid. The
analysis service then stores the findings and score with the narrative marked missing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from opengovfood.domain.analyses import Violation, ViolationSource
from opengovfood.inspection.catalogue import catalogue
from opengovfood.inspection.hazards import hazard
from opengovfood.llm import ChatMessage, Provider, TextDelta
from opengovfood.services.models import estimate_tokens

__all__ = [
    "Narrative",
    "NarrativeInvalid",
    "findings_summary",
    "write_narrative",
]

MAX_SUMMARY: Final = 2000
MAX_NARRATIVE: Final = 4000
MAX_PROPOSALS: Final = 20
MAX_PARTS: Final = 8  # 8 windows of notes; realistic reports take one or two
_SMALL_MODEL_TOKENS: Final = 72
_DESIGNATION_WORDS: Final = {"P": "Priority", "Pf": "Priority Foundation", "C": "Core"}


class NarrativeInvalid(ValueError):
    """The model's output cannot be used; ``str()`` says why (client-safe, logged only)."""


@dataclass(frozen=True, slots=True)
class Narrative:
    summary: str
    public_health_narrative: str
    proposals: tuple[Violation, ...] = ()


def findings_summary(violations: Sequence[Violation]) -> str:
    """A factual one-paragraph summary of what the rules cite (no model)."""
    if not violations:
        return "No violations were found in the notes."
    counts = {d: sum(1 for v in violations if v.severity == d) for d in _DESIGNATION_WORDS}
    parts = [f"{n} {_DESIGNATION_WORDS[d]}" for d, n in counts.items() if n]
    noun = "violation" if len(violations) == 1 else "violations"
    cited = "; ".join(f"{v.description} ({v.food_code_section})" for v in violations)
    corrected = sum(1 for v in violations if v.corrected_on_site)
    tail = f" {corrected} corrected on site." if corrected else ""
    return f"{len(violations)} {noun} ({', '.join(parts)}): {cited}.{tail}"


def _finding_lines(violations: Sequence[Violation], *, sections: bool = False) -> str:
    if not violations:
        return "No violations were cited."
    lines = []
    for v in violations:
        line = f"- {v.food_code_section} " if sections else "- "
        line += f"{v.description} ({_DESIGNATION_WORDS.get(v.severity, v.severity)})"
        if v.evidence:
            line += f': "{v.evidence[:200]}"'
        if v.corrected_on_site:
            line += " [corrected on site]"
        lines.append(line)
    return "\n".join(lines)


async def write_narrative(
    provider: Provider, model: str | None, notes: str, violations: Sequence[Violation]
) -> Narrative:
    if provider.limits.bounded_output:
        return await _small_model_narrative(provider, model, violations)
    return await _large_model_narrative(provider, model, notes, violations)


# --- small models -------------------------------------------------------------------

_SMALL_SYSTEM: Final = (
    "You write the public-health paragraph of a restaurant inspection report. Rewrite the "
    "facts below for the owner in two short sentences. Use only these facts; add no numbers."
)
_SENTENCE: Final = re.compile(r"[^.!?]+[.!?]")
_NUMBER: Final = re.compile(r"\d+(?:\.\d+)?")
_WORD: Final = re.compile(r"[a-z]{4,}")
# Share of a sentence's content words that must come from the facts: what a paraphrase
# keeps and an invention ("customers with sensitive skin") does not.
GROUNDED_SHARE: Final = 0.6
_COMMON: Final = frozenset(
    [
        "this",
        "that",
        "these",
        "those",
        "with",
        "from",
        "into",
        "they",
        "them",
        "their",
        "there",
        "here",
        "have",
        "has",
        "been",
        "were",
        "will",
        "would",
        "should",
        "could",
        "must",
        "your",
        "owner",
        "owners",
        "restaurant",
        "report",
        "inspection",
        "public",
        "health",
        "customer",
        "customers",
        "food",
        "foods",
        "about",
        "also",
        "because",
        "which",
        "while",
        "when",
        "what",
        "more",
        "such",
        "very",
        "make",
        "makes",
        "made",
        "keep",
        "keeps",
        "ensure",
        "important",
        "safe",
        "safety",
    ]
)
NO_FINDINGS: Final = "No violations were found at this inspection."


def hazard_facts(violations: Sequence[Violation]) -> list[str]:
    """What the cited items mean for the public (inspection/hazards.toml), most serious first."""
    order = {"P": 0, "Pf": 1, "C": 2}
    facts: list[str] = []
    for v in sorted(violations, key=lambda v: order.get(v.severity, 3)):
        fact = hazard(v.form_item)
        if fact and fact not in facts:
            facts.append(fact)
    return facts[:4] or [NO_FINDINGS]


async def _small_model_narrative(
    provider: Provider, model: str | None, violations: Sequence[Violation]
) -> Narrative:
    facts = hazard_facts(violations)
    messages = [
        ChatMessage(role="system", content=_SMALL_SYSTEM),
        ChatMessage(role="user", content="Facts:\n" + "\n".join(f"- {f}" for f in facts)),
    ]
    parts: list[str] = []
    stream = provider.stream_chat(messages, model=model, max_tokens=_SMALL_MODEL_TOKENS)
    try:
        async for event in stream:
            if isinstance(event, TextDelta):
                parts.append(event.text)
    finally:
        await stream.aclose()
    text = "".join(parts)
    if not text.strip():
        raise NarrativeInvalid("the model wrote nothing")
    # Sentences the facts do not carry are not kept; if none is left, the facts are the
    # narrative (they are about these findings, from the catalogue, not a canned text).
    narrative = grounded_sentences(text, " ".join(facts)) or " ".join(facts[:2])
    return Narrative(findings_summary(violations), narrative[:MAX_NARRATIVE])


def _stem(word: str) -> str:
    return word[:-1] if word.endswith("s") else word


def grounded_sentences(text: str, source: str) -> str:
    """Whole sentences of `text` (at most two) whose numbers and most content words come
    from `source`."""
    # Small models echo the prompt's scaffolding ("Facts:", bullets): not sentences.
    text = re.sub(r"(?i)\bfacts?\s*:|(?:^|\s)[-*\u2022]\s+", " ", text)
    known_numbers = set(_NUMBER.findall(source))
    known_words = {_stem(w) for w in _WORD.findall(source.lower())}
    kept: list[str] = []
    for match in _SENTENCE.finditer(" ".join(text.split())):
        sentence = match.group().strip()
        if len(sentence) < 12 or any(n not in known_numbers for n in _NUMBER.findall(sentence)):
            continue
        words = [_stem(w) for w in _WORD.findall(sentence.lower()) if w not in _COMMON]
        if not words or sum(w in known_words for w in words) < GROUNDED_SHARE * len(words):
            continue
        if sentence.lower() in (k.lower() for k in kept):
            continue  # small models repeat themselves
        kept.append(sentence)
        if len(kept) == 2:
            break
    return " ".join(kept)


# --- larger models ------------------------------------------------------------------

_LARGE_SYSTEM: Final = (
    "You are a food-safety inspection assistant. A rules engine has already cited the "
    "violations listed below from the inspector's notes; they are certain. Reply with JSON "
    "only: `summary`, one paragraph summarising the inspection; "
    "`public_health_narrative`, two to four sentences on the risk to the public; and "
    "`proposed_violations`, violations the notes show that the list misses (often none), "
    "each with `food_code_section` (one of the candidate sections), a short `description` "
    "and `evidence` copied word for word from the notes. Never repeat a cited violation."
)


def _candidates() -> str:
    book = catalogue()
    lines = []
    for item in book.form_items:
        entry = book.primary(item.number)
        lines.append(f"{entry.section} {entry.title} (item {item.number})")
    return "\n".join(lines)


def _schema() -> dict[str, Any]:
    proposal = {
        "type": "object",
        "properties": {
            "food_code_section": {"type": "string"},
            "description": {"type": "string"},
            "evidence": {"type": "string"},
        },
        "required": ["food_code_section", "description", "evidence"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {
            "summary": {"type": "string"},
            "public_health_narrative": {"type": "string"},
            "proposed_violations": {"type": "array", "items": proposal},
        },
        "required": ["summary", "public_health_narrative", "proposed_violations"],
        "additionalProperties": False,
    }


def _parts(notes: str, budget_tokens: int) -> list[str]:
    """The notes in pieces of at most `budget_tokens` (estimated), cut between sentences."""
    limit = max(200, budget_tokens * 3)
    if len(notes) <= limit:
        return [notes]
    parts: list[str] = []
    current = ""
    for sentence in re.split(r"(?<=[.!?\n])\s+", notes):
        while len(sentence) > limit:  # one endless sentence: cut it
            if current:
                parts.append(current)
                current = ""
            parts.append(sentence[:limit])
            sentence = sentence[limit:]
        if current and len(current) + 1 + len(sentence) > limit:
            parts.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}" if current else sentence
    if current:
        parts.append(current)
    return parts[:MAX_PARTS]


async def _large_model_narrative(
    provider: Provider, model: str | None, notes: str, violations: Sequence[Violation]
) -> Narrative:
    system = f"{_LARGE_SYSTEM}\n\nCandidate sections:\n{_candidates()}"
    cited = "Cited violations:\n" + _finding_lines(violations, sections=True)
    limits = provider.limits
    budget = (
        limits.context_window
        - (limits.analysis_max_tokens or 1024)
        - estimate_tokens(system)
        - estimate_tokens(cited)
        - 64
    )
    first: dict[str, Any] | None = None
    proposals: list[Violation] = []
    for part in _parts(notes, budget):
        messages = [
            ChatMessage(role="system", content=system),
            ChatMessage(role="user", content=f"{cited}\n\nNotes:\n{part}"),
        ]
        answer = await provider.complete_json(
            messages, schema=_schema(), model=model, max_tokens=limits.analysis_max_tokens
        )
        parsed = _parse(answer)
        first = first or parsed
        proposals += _proposals(parsed, notes, [*violations, *proposals])
    assert first is not None
    summary = _text(first, "summary", MAX_SUMMARY) or findings_summary(violations)
    narrative = _text(first, "public_health_narrative", MAX_NARRATIVE)
    if not narrative:
        raise NarrativeInvalid("'public_health_narrative' is empty")
    return Narrative(summary, narrative, tuple(proposals[:MAX_PROPOSALS]))


def _parse(answer: str) -> dict[str, Any]:
    stripped = answer.strip()
    if stripped.startswith("```"):  # some models fence JSON despite being told not to
        stripped = stripped.strip("`").removeprefix("json").strip()
    try:
        parsed = json.loads(stripped)
    except ValueError:
        raise NarrativeInvalid("the answer is not valid JSON") from None
    if not isinstance(parsed, dict):
        raise NarrativeInvalid("the answer is not a JSON object")
    return parsed


def _text(parsed: dict[str, Any], key: str, limit: int) -> str:
    value = parsed.get(key)
    if not isinstance(value, str):
        return ""
    return " ".join(value.split())[:limit]


def _normalised(text: str) -> str:
    return " ".join(text.lower().split())


def _proposals(parsed: dict[str, Any], notes: str, already: Sequence[Violation]) -> list[Violation]:
    raw = parsed.get("proposed_violations")
    if not isinstance(raw, list):
        return []
    book = catalogue()
    seen = {entry.base_section for v in already if (entry := book.resolve(v.food_code_section))}
    haystack = _normalised(notes)
    kept: list[Violation] = []
    for proposal in raw[:MAX_PROPOSALS]:
        if not isinstance(proposal, dict):
            continue
        entry = book.resolve(str(proposal.get("food_code_section", "")))
        evidence = " ".join(str(proposal.get("evidence", "")).split())
        if entry is None or entry.base_section in seen:
            continue
        if len(evidence) < 8 or _normalised(evidence) not in haystack:
            continue  # evidence must be the notes' own words
        seen.add(entry.base_section)
        description = " ".join(str(proposal.get("description", "")).split())[:300]
        kept.append(
            Violation(
                code=entry.section,
                description=description or entry.title,
                severity=entry.designation.value,
                food_code_section=entry.section,
                form_item=entry.form_item,
                evidence=evidence[:1000],
                source=ViolationSource.MODEL,
                corrective_action=entry.corrective_action,
            )
        )
    return kept
