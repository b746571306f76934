"""Reading a chat question for what it asks of the caller's records, without a model.

Deterministic and pure (no I/O): :func:`read_question` takes the question and the names
the caller's records carry (item titles now) and tells which records it is about:

* item statuses ("which of my items are pending?", "anything in progress?", "what is
  not completed yet?");
* the caller's items in general ("what items do I have?", "how many inspections…");
* a named record: words of one of the caller's titles, matched as a phrase of the
  title's distinctive words ("the Taqueria Sol visit" matches "Taqueria Sol — routine");
* the last inspection, of a named record or overall ("what did the last inspection of
  Taqueria Sol find?");
* analyses, violations and findings ("my analyses", "violations at the deli").

A question that asks none of these (a general food-safety question) reads as not about
records, and the chat answers it as before. :mod:`opengovfood.services.chat_context`
turns a :class:`Question` into the "From your records" block.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from opengovfood.domain.items import ItemStatus


@dataclass(frozen=True, slots=True)
class Named:
    """A record the question may name: its kind ("item"), id and name (title)."""

    kind: str
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class Question:
    """What a question asks of the caller's records (all false/empty: nothing)."""

    statuses: tuple[ItemStatus, ...] = ()
    items: bool = False  # the caller's items in general
    count: bool = False  # "how many"
    last: bool = False  # the last / latest / most recent inspection
    analyses: bool = False  # analyses, violations, findings, scores
    named: tuple[Named, ...] = ()  # the records whose names the question uses
    unmatched_name: str = ""  # a name the question asks about that no record has

    @property
    def about_records(self) -> bool:
        return bool(
            self.statuses
            or self.items
            or self.last
            or self.analyses
            or self.named
            or self.unmatched_name
        )


# --------------------------------------------------------------------------- words

_APOSTROPHE = "\u2019"  # the typographic apostrophe phones type
_WORD = re.compile(r"[a-z0-9]+(?:['\u2019][a-z]+)?")


def words(text: str) -> list[str]:
    """Lower-case words without accents ("Café" and "cafe" are one word)."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    return [w.replace(_APOSTROPHE, "'") for w in _WORD.findall(plain)]


def _has_phrase(haystack: Sequence[str], phrase: Sequence[str]) -> bool:
    n = len(phrase)
    return n > 0 and any(list(haystack[i : i + n]) == list(phrase) for i in range(len(haystack)))


def _any_phrase(haystack: Sequence[str], phrases: Sequence[str]) -> bool:
    return any(_has_phrase(haystack, p.split()) for p in phrases)


# Status words; "open"/"outstanding" mean not yet done (pending or in progress).
_OPEN = (ItemStatus.PENDING, ItemStatus.IN_PROGRESS)
_STATUS_PHRASES: tuple[tuple[str, tuple[ItemStatus, ...]], ...] = (
    ("in progress", (ItemStatus.IN_PROGRESS,)),
    ("in-progress", (ItemStatus.IN_PROGRESS,)),
    ("ongoing", (ItemStatus.IN_PROGRESS,)),
    ("underway", (ItemStatus.IN_PROGRESS,)),
    ("started", (ItemStatus.IN_PROGRESS,)),
    ("pending", (ItemStatus.PENDING,)),
    ("not started", (ItemStatus.PENDING,)),
    ("to do", _OPEN),
    ("todo", _OPEN),
    ("completed", (ItemStatus.COMPLETED,)),
    ("complete", (ItemStatus.COMPLETED,)),
    ("finished", (ItemStatus.COMPLETED,)),
    ("finish", (ItemStatus.COMPLETED,)),
    ("done", (ItemStatus.COMPLETED,)),
    ("cancelled", (ItemStatus.CANCELLED,)),
    ("canceled", (ItemStatus.CANCELLED,)),
    ("open", _OPEN),
    ("outstanding", _OPEN),
    ("unfinished", _OPEN),
    ("incomplete", _OPEN),
    ("uncompleted", _OPEN),
)
# Status words that are everyday words too: they need a record noun ("open items").
_WEAK_STATUS = frozenset({"open", "done", "complete", "started", "finished", "finish"})
# Words that make a status word a question about records ("is it done?" alone is not).
_RECORD_NOUNS = (
    "item",
    "items",
    "inspection",
    "inspections",
    "task",
    "tasks",
    "visit",
    "visits",
    "job",
    "jobs",
    "record",
    "records",
    "ones",
)
_MINE = ("my", "mine", "i", "i've", "me")
_COUNT = ("how many", "number of", "count")
_LISTING = ("list", "show", "any")
_LAST = ("last", "latest", "most recent", "previous", "recent", "newest")
_INSPECTION = ("inspection", "inspections", "visit", "visits", "item", "items", "check")
_ANALYSIS = ("analysis", "analyses", "analyzed", "analysed")
_FINDINGS = (
    "violation",
    "violations",
    "finding",
    "findings",
    "find",
    "found",
    "score",
    "scores",
    "scored",
    "grade",
    "result",
    "results",
    "problem",
    "problems",
    "issue",
    "issues",
)
# Title words too common to name a record by themselves.
_GENERIC = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "on",
        "at",
        "in",
        "to",
        "for",
        "and",
        "or",
        "with",
        "by",
        "from",
        "my",
        "our",
        "your",
        "new",
        "old",
        "inspection",
        "inspections",
        "routine",
        "follow",
        "up",
        "followup",
        "re",
        "recheck",
        "check",
        "visit",
        "visits",
        "complaint",
        "pre",
        "opening",
        "preopening",
        "kitchen",
        "kitchens",
        "restaurant",
        "restaurants",
        "store",
        "stores",
        "shop",
        "shops",
        "cafe",
        "place",
        "places",
        "business",
        "businesses",
        "item",
        "items",
        "task",
        "tasks",
        "annual",
        "semi",
        "first",
        "second",
        "third",
        "st",
        "street",
        "ave",
        "avenue",
        "rd",
        "road",
        "dr",
        "blvd",
        "main",
        "north",
        "south",
        "east",
        "west",
        "n",
        "s",
        "e",
        "w",
        "no",
        "number",
    ]
)
# Verbs that end a name asked about ("… of Taqueria Sol find?").
_NAME_END = frozenset(
    [
        "find",
        "found",
        "show",
        "showed",
        "shown",
        "say",
        "said",
        "reveal",
        "revealed",
        "turn",
        "turned",
        "come",
        "came",
        "look",
        "looked",
        "have",
        "had",
        "get",
        "got",
        "was",
        "were",
        "is",
        "are",
        "be",
        "did",
        "do",
        "does",
    ]
)


def _negated(ws: list[str], i: int) -> bool:
    """Whether the word at ``i`` is negated ("not completed", "isn't done", "haven't
    been finished")."""
    return any(w in ("not", "never") or w.endswith("n't") for w in ws[max(0, i - 2) : i])


def _statuses(ws: list[str]) -> tuple[tuple[ItemStatus, ...], bool]:
    """The statuses named, and whether only weak words named them ("open", "done")."""
    found: list[ItemStatus] = []
    strong = False
    for phrase, statuses in _STATUS_PHRASES:
        parts = phrase.split()
        for i in range(len(ws) - len(parts) + 1):
            if ws[i : i + len(parts)] != parts:
                continue
            if phrase == "started" and i and ws[i - 1] == "not":
                continue  # "not started" is its own phrase
            chosen = statuses
            if phrase != "not started" and _negated(ws, i):
                if statuses != (ItemStatus.COMPLETED,):
                    continue  # "not pending": no clear question
                chosen = _OPEN  # "not completed yet": the open ones
            found.extend(s for s in chosen if s not in found)
            strong = strong or phrase not in _WEAK_STATUS
    order = list(ItemStatus)
    return tuple(sorted(found, key=order.index)), not strong


def _significant(ws: Sequence[str]) -> list[str]:
    return [w for w in ws if w not in _GENERIC and len(w) > 1]


def _match_score(question: list[str], name: str) -> int:
    """How strongly the question names ``name``: the number of the name's distinctive
    words found as one phrase in the question (0: not named).

    The phrase must hold every distinctive word of the name, or at least two of them
    in the name's order ("Taqueria Sol" for "Taqueria Sol Mission St"), so a single
    common word ("cold") never names a record "Cold holding check".
    """
    significant = _significant(words(name))
    if not significant:
        return 0
    best = 0
    n = len(significant)
    for size in range(n, 0, -1):
        if size < 2 and n > 1:
            break
        for start in range(n - size + 1):
            if _has_phrase(_significant(question), significant[start : start + size]):
                best = size
                break
        if best:
            break
    if best == 1 and len(significant[0]) < 4:
        return 0  # "sol" alone is too weak a name
    return best


def _asked_name(ws: list[str], raw: str) -> str:
    """The name after "inspection of/at/for …" when no record matched (for the answer
    "no record matches …"); the question's own spelling, bounded."""
    match = re.search(
        r"\b(?:inspection|inspections|visit|analysis|analyses|violations|findings)\s+"
        r"(?:of|at|for|in)\s+(?:the\s+)?([^?.!,;:\n]{2,80})",
        raw,
        re.IGNORECASE,
    )
    if not match:
        return ""
    name_words = match.group(1).split()
    kept: list[str] = []
    for word in name_words:
        if words(word) and words(word)[0] in _NAME_END:
            break
        kept.append(word)
    name = " ".join(kept).strip(" '\"\u201c\u201d\u2018\u2019")
    return name if _significant(words(name)) else ""


def read_question(text: str, names: Sequence[Named] = ()) -> Question:
    """What ``text`` asks of the caller's records, given the names of those records."""
    ws = words(text)
    if not ws:
        return Question()
    mine = any(w in _MINE for w in ws) or _has_phrase(ws, ["do", "i"])
    nouns = any(w in _RECORD_NOUNS for w in ws)
    count = _any_phrase(ws, _COUNT)

    scored = [(n, _match_score(ws, n.name)) for n in names]
    top = max((s for _, s in scored), default=0)
    named = tuple(n for n, s in scored if s and s == top)

    statuses, weak = _statuses(ws)
    # "is it done?" and "when do they open?" are not about the records; "which of my
    # items are pending?", "open inspections", "what's in progress?" are.
    short = len(ws) <= 5 and ws[0] in ("what", "what's", "whats", "anything", "which", "any")
    if statuses and not (nouns or named or (not weak and (mine or count or short))):
        statuses = ()

    last = _any_phrase(ws, _LAST) and any(w in _INSPECTION for w in ws)
    analysis_words = any(w in _ANALYSIS for w in ws)
    finding_words = any(w in _FINDINGS for w in ws)
    analyses = (
        analysis_words
        and (mine or bool(named) or last or count or ws[0] in _LISTING or _any_phrase(ws, _LAST))
    ) or (finding_words and (bool(named) or last or (mine and nouns)))
    items = (mine and nouns) or (count and nouns and mine)
    unmatched = ""
    if not named and (last or analyses or finding_words):
        unmatched = _asked_name(ws, text)
        # "violations in restaurants" names no place; "violations at Blue Door" does.
        if unmatched and not (last or analyses) and not any(c.isupper() for c in unmatched):
            unmatched = ""
    return Question(
        statuses=statuses,
        items=items,
        count=count,
        last=last,
        analyses=analyses,
        named=named,
        unmatched_name=unmatched,
    )
