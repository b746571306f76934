"""Chat grounded in the caller's records without tools: the question reader
(services/chat_question.py), the "From your records" block built over the real
services on in-memory repositories (services/chat_context.py), and the chat turn that
streams the block first and gives it to a tool-less model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fakes.providers import SMALL, ScriptedProvider, Turn
from fakes.repositories import (
    InMemoryAnalyses,
    InMemoryConversations,
    InMemoryEstablishments,
    InMemoryItems,
)
from opengovfood.domain.analyses import NewAnalysis, Score, Violation, ViolationSource
from opengovfood.domain.items import InspectionResult, ItemKind, ItemStatus
from opengovfood.domain.pagination import PageTokens
from opengovfood.domain.principal import Principal
from opengovfood.inspection.scoring import score_violations
from opengovfood.llm import ProviderRegistry, ToolCall, ToolSpec
from opengovfood.services.analyses import AnalysisService, RulesEngine
from opengovfood.services.chat import (
    CHAT_RECORDS_PROMPT,
    RECORDS_REPLY_TOKENS,
    ChatService,
    records_question,
)
from opengovfood.services.chat_context import BLOCK_HEADING, MAX_BLOCK_CHARS, RecordsContext
from opengovfood.services.chat_question import Named, read_question
from opengovfood.services.establishments import EstablishmentService
from opengovfood.services.items import ItemService
from opengovfood.services.watch import ItemEventHub

PAGE_TOKENS = PageTokens(b"a unit test's page token key, 32 bytes or more")
ANA = Principal(kind="user", user_id=1, name="ana@example.org")
BEN = Principal(kind="user", user_id=2, name="ben@example.org")
ROOT = Principal(kind="user", user_id=3, name="root@example.org", is_superuser=True)
SERVICE = Principal(kind="service", user_id=None, name="reports")

P, IP, C, X = (
    ItemStatus.PENDING,
    ItemStatus.IN_PROGRESS,
    ItemStatus.COMPLETED,
    ItemStatus.CANCELLED,
)

TITLES = [
    Named("item", 1, "Taqueria Sol — routine inspection"),
    Named("item", 2, "Taqueria Sol follow-up"),
    Named("item", 3, "Golden Dragon Buffet"),
    Named("item", 4, "Cold holding check"),
    Named("item", 5, "Deli re-check"),
]


# ------------------------------------------------------------------ the question


@pytest.mark.parametrize(
    ("question", "statuses"),
    [
        ("Which of my items are pending?", (P,)),
        ("what's pending?", (P,)),
        ("Anything in progress?", (IP,)),
        ("List my in-progress inspections", (IP,)),
        ("How many completed inspections do I have?", (C,)),
        ("which of my inspections are not completed yet?", (P, IP)),
        ("What items haven't been finished?", (P, IP)),
        ("show my open items", (P, IP)),
        ("Which tasks were cancelled or canceled?", (X,)),
        ("which of my inspections are not started", (P,)),
        # Everyday words are not questions about records without a record noun.
        ("When do they open?", ()),
        ("Is it done if the core is at 165F?", ()),
        ("Should I mark it complete when the sink is fixed?", ()),
        ("What is the pending rule for shellfish tags in the Food Code?", ()),
    ],
)
def test_status_words(question: str, statuses: tuple[ItemStatus, ...]) -> None:
    assert read_question(question, TITLES).statuses == statuses


@pytest.mark.parametrize(
    "question",
    [
        "Why keep food cold?",
        "In one short sentence: why keep food cold?",
        "What temperature must hot food be held at?",
        "What are common violations in restaurants?",
        "How do I calibrate a thermometer?",
        "",
    ],
)
def test_general_questions_are_not_about_records(question: str) -> None:
    assert not read_question(question, TITLES).about_records


def test_a_named_record_matches_by_its_distinctive_words() -> None:
    q = read_question("What did the last inspection of Taqueria Sol find?", TITLES)
    assert [n.id for n in q.named] == [1, 2]  # both items of that name
    assert q.last
    assert q.analyses
    assert q.unmatched_name == ""
    # Case, accents and extra words do not matter; the title's order does.
    assert [n.id for n in read_question("any violations at TAQUERÍA SOL?", TITLES).named] == [1, 2]
    assert [n.id for n in read_question("the golden dragon", TITLES).named] == [3]
    assert read_question("sol taqueria", TITLES).named == ()
    # A single-word name matches; a common word of a longer title does not.
    assert [n.id for n in read_question("Is the deli visit completed?", TITLES).named] == [5]
    assert read_question("Why keep food cold?", TITLES).named == ()
    assert [n.id for n in read_question("my cold holding check", TITLES).named] == [4]


def test_an_unknown_name_is_reported_not_guessed() -> None:
    q = read_question("What did the last inspection of Blue Door Cafe find?", TITLES)
    assert q.named == ()
    assert q.unmatched_name == "Blue Door Cafe"
    assert q.about_records


def test_items_counts_and_analyses() -> None:
    q = read_question("How many items do I have?", TITLES)
    assert q.items
    assert q.count
    assert not q.statuses
    assert read_question("Show my analyses", TITLES).analyses
    assert read_question("list analyses", TITLES).analyses
    assert read_question("Which inspections did I finish?", TITLES).statuses == (C,)
    assert read_question("What's left to do?", TITLES).statuses == (P, IP)
    assert read_question("what were my latest analyses?", TITLES).analyses
    assert read_question("What was my most recent inspection?", TITLES).last
    assert not read_question("What is a food analysis lab?", TITLES).about_records


# ------------------------------------------------------------------ the block


class Records:
    """ItemService and AnalysisService over in-memory repositories."""

    def __init__(self) -> None:
        self.item_rows = InMemoryItems()
        self.place_rows = InMemoryEstablishments()
        self.places = EstablishmentService(self.place_rows, PAGE_TOKENS)
        self.items = ItemService(
            self.item_rows,
            ItemEventHub(16, use_notify=False),
            PAGE_TOKENS,
            establishments=self.place_rows,
        )
        self.analysis_rows = InMemoryAnalyses(items={})
        self.analyses = AnalysisService(
            self.analysis_rows,
            ProviderRegistry({"s": ScriptedProvider(name="s")}, "s"),
            PAGE_TOKENS,
            RulesEngine(),
            scheme="standard",
            model_timeout=5.0,
        )
        self.context = RecordsContext(self.items, self.analyses, self.places)

    async def item(
        self,
        who: Principal,
        title: str,
        status: ItemStatus = P,
        description: str = "",
        **inspection: Any,
    ) -> int:
        record = await self.items.create_item(
            who, title=title, description=description, status=status, **inspection
        )
        self.analysis_rows.items[record.id] = record.owner_id
        return record.id

    async def analysis(
        self, who: Principal, item_id: int | None, *violations: Violation, legacy: bool = False
    ) -> int:
        """An analysis as AnalyzeInspection stores it: scored by the standard scheme (or,
        ``legacy``, as stored before scores: a compliance score and no scheme)."""
        assert who.user_id is not None
        scored = None if legacy else score_violations(violations, "standard")
        stored = await self.analysis_rows.add(
            NewAnalysis(
                owner_id=who.user_id,
                item_id=item_id,
                notes="notes",
                summary="Cold holding failures in the walk-in.",
                violations=violations,
                corrective_actions=("Repair the cooler",),
                score=Score(55, "", "")
                if legacy
                else Score(scored.score, scored.grade, "standard"),
                public_health_narrative="",
                narrative_missing=False,
                provider="s",
                model="m",
            )
        )
        return stored.id


COLD = Violation(
    "3-501.16",
    "Walk-in cooler at 48F; TCS food above 41F",
    "P",
    food_code_section="3-501.16(A)(2)",
    form_item=22,
    evidence="walk-in at 48F",
    source=ViolationSource.RULE,
)
RAW = Violation(
    "3-302.11",
    "Raw chicken stored above salads",
    "P",
    food_code_section="3-302.11",
    form_item=15,
    source=ViolationSource.RULE,
    corrected_on_site=True,
)
DIRTY = Violation(
    "4-601.11",
    "Grime on the slicer guard",
    "C",
    food_code_section="4-601.11(C)",
    source=ViolationSource.MODEL,
)
LEGACY = Violation("3-501.16", "Cooler too warm", "critical")


async def test_pending_items_are_listed_and_empty_results_say_so() -> None:
    r = Records()
    assert await r.context.block(ANA, "Which of my items are pending?") == (
        f"{BLOCK_HEADING}\n- You have no pending items.\n\n"
    )
    first = await r.item(ANA, "Taqueria Sol — routine inspection")
    await r.item(ANA, "Deli re-check", C)
    second = await r.item(ANA, "Golden Dragon Buffet")
    await r.item(BEN, "Ben's pending secret")
    block = await r.context.block(ANA, "Which of my items are pending?")
    lines = block.splitlines()
    assert lines[0] == BLOCK_HEADING
    assert lines[1].startswith(
        f'- You have 2 pending items: #{second} "Golden Dragon Buffet" (created '
    )
    assert f'#{first} "Taqueria Sol — routine inspection"' in lines[1]
    assert "Deli" not in block
    assert "secret" not in block
    assert block.endswith("\n\n")
    open_block = await r.context.block(ANA, "which of my inspections are not completed yet?")
    assert "2 pending or in progress items" in open_block
    assert "You have no cancelled items." in await r.context.block(ANA, "any cancelled items?")
    # Ben sees his own item only.
    ben = await r.context.block(BEN, "what's pending?")
    assert "1 pending item:" in ben
    assert "Ben's pending secret" in ben
    assert "Golden" not in ben


async def test_the_last_inspection_of_a_named_place_gives_its_findings() -> None:
    r = Records()
    old = await r.item(ANA, "Taqueria Sol — routine inspection", C, "Walk-in at 48F.")
    new = await r.item(ANA, "Taqueria Sol follow-up", C, "Rechecked the walk-in.")
    await r.analysis(ANA, old, RAW)
    await r.analysis(ANA, new, COLD, RAW, DIRTY)
    expected = score_violations([COLD, RAW, DIRTY], "standard")
    block = await r.context.block(ANA, "What did the last inspection of Taqueria Sol find?")
    lines = block.splitlines()
    assert lines[1].startswith(
        f'- Your last inspection there: #{new} "Taqueria Sol follow-up": completed, created '
    )
    assert lines[1].endswith('; notes: "Rechecked the walk-in."')
    assert lines[2].startswith(
        f"- Analysis #2 of {datetime.now(UTC).date().isoformat()}: "
        f"score {expected.score}/100, grade {expected.grade} (standard scheme), 3 violations: "
        "3-501.16(A)(2) Walk-in cooler at 48F; TCS food above 41F (Priority); "
        "3-302.11 Raw chicken stored above salads (Priority, corrected on site); "
        "4-601.11(C) Grime on the slicer guard (Core, proposed by the model, not scored). "
        'Summary: "Cold holding failures in the walk-in."'
    )
    assert f"#{old}" not in block
    # Naming the place shows each of its items, newest first, with its latest analysis.
    about = (await r.context.block(ANA, "Tell me about Taqueria Sol")).splitlines()
    assert about[1].startswith(f'- #{new} "Taqueria Sol follow-up": completed')
    assert about[2].startswith("- Analysis #2 of ")
    assert "3 violations: 3-501.16(A)(2)" in about[2]
    assert about[3].startswith(f'- #{old} "Taqueria Sol — routine inspection": completed')
    assert "1 violation: 3-302.11 Raw chicken" in about[4]


async def test_analyses_stored_before_scores_still_read() -> None:
    r = Records()
    item = await r.item(ANA, "Harbor Grill", C)
    await r.analysis(ANA, item, LEGACY, legacy=True)
    block = await r.context.block(ANA, "what did the last inspection of Harbor Grill find?")
    assert "compliance score 0.55, 1 violation: 3-501.16 Cooler too warm (critical)." in block


async def test_a_named_item_without_analysis_and_an_unknown_name() -> None:
    r = Records()
    deli = await r.item(ANA, "Deli re-check", IP)
    block = await r.context.block(ANA, "what did the last inspection of the deli find?")
    assert f"Item #{deli} has no stored analysis." in block
    unknown = await r.context.block(ANA, "What did the last inspection of Blue Door Cafe find?")
    assert '- None of your items or establishments matches "Blue Door Cafe".' in unknown
    assert "Deli" not in unknown  # not some other place's inspection instead
    # With no name the most recent item is the last inspection.
    latest = await r.context.block(ANA, "What was my most recent inspection?")
    assert f'- Your most recent inspection: #{deli} "Deli re-check": in progress' in latest
    status = await r.context.block(ANA, "Is the deli visit completed?")
    assert status == (
        f'{BLOCK_HEADING}\n- None of the items you named is completed: #{deli} "Deli re-check" '
        "is in progress.\n\n"
    )


async def test_another_users_records_never_appear() -> None:
    r = Records()
    bens = await r.item(BEN, "Taqueria Sol — routine inspection", P, "Rats in the storeroom")
    await r.analysis(BEN, bens, COLD)
    await r.item(ANA, "Golden Dragon Buffet", C)
    for question in [
        "What did the last inspection of Taqueria Sol find?",
        "Which of my items are pending?",
        "show my analyses",
        "what items do I have?",
        "Any violations at Taqueria Sol?",
    ]:
        block = await r.context.block(ANA, question)
        assert "Rats" not in block
        assert "3-501.16" not in block
        assert f"#{bens}" not in block
        assert "Taqueria Sol —" not in block, question
    # A superuser may read every item, but "my items" are their own.
    await r.item(ROOT, "Root's own visit")
    root = await r.context.block(ROOT, "Which of my items are pending?")
    assert "1 pending item:" in root
    assert "Root's own visit" in root
    assert "Taqueria" not in root
    assert await r.context.block(SERVICE, "Which items are pending?") == ""


async def test_overview_and_analyses_lists() -> None:
    r = Records()
    assert "You have no items." in await r.context.block(ANA, "what items do I have?")
    assert "You have no stored analyses." in await r.context.block(ANA, "show my analyses")
    ids = [await r.item(ANA, f"Place {n} kitchen", s) for n, s in enumerate([P, P, IP, C])]
    block = await r.context.block(ANA, "How many items do I have?")
    assert "- You have 4 items: 2 pending, 1 in progress, 1 completed." in block
    assert f'Newest: #{ids[3]} "Place 3 kitchen" (completed)' in block
    await r.analysis(ANA, ids[0], COLD)
    await r.analysis(ANA, None)
    analyses = await r.context.block(ANA, "list my analyses")
    assert "- You have 2 analyses:" in analyses
    assert "0 violations." in analyses
    assert f"1 violation (3-501.16(A)(2)) (item #{ids[0]})." in analyses
    assert await r.context.block(ANA, "Why keep food cold?") == ""


async def test_the_block_is_bounded() -> None:
    r = Records()
    for n in range(40):
        await r.item(ANA, f"Establishment number {n} with a long name " + "x" * 50)
    block = await r.context.block(ANA, "Which of my items are pending?")
    assert len(block) <= MAX_BLOCK_CHARS + 2
    assert "and 32 more" in block or block.rstrip().endswith("…")


# ------------------------------------------------------------------ the chat turn


def registry(*providers: ScriptedProvider) -> ProviderRegistry:
    return ProviderRegistry({p.name: p for p in providers}, providers[0].name)


async def test_a_tool_less_model_gets_the_block_first_and_in_its_prompt() -> None:
    r = Records()
    item = await r.item(ANA, "Taqueria Sol — routine inspection")
    local = ScriptedProvider(
        name="local", supports_tools=False, limits=SMALL, turns=[Turn(text=["Start ", "there."])]
    )
    conversations = InMemoryConversations()
    chat = ChatService(conversations, registry(local), None, r.context)
    chunks = [c async for c in chat.chat(ANA, "Which of my items are pending?", 0, "", "")]
    text = "".join(c.text for c in chunks)
    assert text.startswith(f"{BLOCK_HEADING}\n- You have 1 pending item: #{item} ")
    assert text.endswith("\n\nStart there.")
    assert chunks[0].text == BLOCK_HEADING + "\n"  # streamed before the model's text
    assert chunks[-1].done
    assert chunks[-1].conversation_id == 1
    prompt = local.requests[0]["messages"]
    assert prompt[0].content.endswith(CHAT_RECORDS_PROMPT)
    assert prompt[-1].content == records_question(
        text.split("\n\n")[0] + "\n\n", "Which of my items are pending?"
    )
    assert prompt[-1].content.startswith(
        f"Facts from my records:\n- You have 1 pending item: #{item} "
    )
    assert local.requests[0]["max"] == min(SMALL.chat_max_tokens or 0, RECORDS_REPLY_TOKENS)
    stored = conversations.of(1)
    assert [m.role for m in stored] == ["user", "assistant"]
    assert stored[1].content == text  # the stored answer includes the block
    assert stored[0].content == "Which of my items are pending?"  # the user's own words

    # A question not about records goes to the model as before.
    local.turns.append(Turn(text=["Bacteria."]))  # type: ignore[attr-defined]
    answer = [c.text async for c in chat.chat(ANA, "Why keep food cold?", 1, "", "")]
    assert "".join(answer) == "Bacteria."
    assert CHAT_RECORDS_PROMPT not in local.requests[1]["messages"][0].content
    assert local.requests[1]["messages"][-1].content == "Why keep food cold?"
    # The history holds the first answer, block included, for the next turns.
    assert [(m.role, m.content) for m in local.requests[1]["messages"][1:3]] == [
        ("user", "Which of my items are pending?"),
        ("assistant", text),
    ]
    assert local.requests[1]["max"] == SMALL.chat_max_tokens


async def test_a_tool_calling_model_gets_tools_not_the_block() -> None:
    r = Records()
    await r.item(ANA, "Deli re-check")
    remote = ScriptedProvider(
        turns=[Turn(calls=[ToolCall("c1", "list_items", {"status": "pending"})]), Turn(["Ok."])]
    )

    class Tools:
        specs = (ToolSpec("list_items", "List items.", {"type": "object"}),)

        async def run(self, principal: Principal, call: ToolCall) -> str:
            return "{}"

    chat = ChatService(InMemoryConversations(), registry(remote), Tools(), r.context)
    text = "".join([c.text async for c in chat.chat(ANA, "Which items are pending?", 0, "", "")])
    assert text == "Ok."
    assert BLOCK_HEADING not in remote.requests[0]["messages"][0].content


async def test_a_model_failure_after_the_block_keeps_the_block() -> None:
    from opengovfood.errors import Unavailable
    from opengovfood.llm import ProviderUnavailable

    r = Records()
    await r.item(ANA, "Deli re-check")
    local = ScriptedProvider(
        name="local",
        supports_tools=False,
        limits=SMALL,
        turns=[Turn(text=["Half"], error=ProviderUnavailable("local"))],
    )
    conversations = InMemoryConversations()
    chat = ChatService(conversations, registry(local), None, r.context)
    seen: list[str] = []

    async def read() -> None:
        async for chunk in chat.chat(ANA, "what's pending?", 0, "", ""):
            seen.append(chunk.text)

    with pytest.raises(Unavailable):
        await read()
    stored = conversations.of(1)
    assert stored[-1].incomplete
    assert stored[-1].content == "".join(seen)
    assert stored[-1].content.startswith(BLOCK_HEADING)


async def test_the_last_inspection_of_an_establishment_is_its_latest_by_inspect_time() -> None:
    r = Records()
    sol = await r.places.create_establishment(
        ANA, name="Taqueria Sol", street="12 Mission St", city="Springfield", risk_category=3
    )
    theirs = await r.places.create_establishment(BEN, name="Taqueria Sol", city="Shelbyville")
    now = datetime.now(UTC)
    # Entered out of order: the follow-up first, the routine visit (earlier) after it.
    follow_up = await r.item(
        ANA,
        "Follow-up visit",
        C,
        establishment_id=sol.id,
        kind=ItemKind.FOLLOW_UP,
        result=InspectionResult.FAIL,
        score=70,
        inspect_time=now - timedelta(days=2),
    )
    routine = await r.item(
        ANA,
        "Routine visit",
        C,
        establishment_id=sol.id,
        kind=ItemKind.ROUTINE_INSPECTION,
        result=InspectionResult.PASS,
        score=95,
        inspect_time=now - timedelta(days=30),
    )
    await r.analysis(ANA, follow_up, COLD)
    await r.analysis(ANA, routine, RAW)
    bens = await r.item(BEN, "Ben's visit", C, establishment_id=theirs.id)
    await r.analysis(BEN, bens, DIRTY)

    block = await r.context.block(ANA, "What did the last inspection of Taqueria Sol find?")
    lines = block.splitlines()
    assert lines[1] == (
        '- Establishment "Taqueria Sol" (12 Mission St, Springfield; risk category 3): '
        "2 inspections on record."
    )
    assert lines[2] == (
        f'- Your last inspection there: #{follow_up} "Follow-up visit": follow-up, completed, '
        f"inspected {(now - timedelta(days=2)).date()}; result: fail, score 70."
    )
    assert "1 violation: 3-501.16(A)(2) Walk-in cooler at 48F" in lines[3]
    assert "3-302.11" not in block  # the routine visit's finding
    assert "Shelbyville" not in block
    assert "Ben" not in block
    assert "4-601.11" not in block

    # Without "last": the place and its inspections, newest first.
    about = (await r.context.block(ANA, "tell me about taqueria sol")).splitlines()
    assert about[1].startswith('- Establishment "Taqueria Sol"')
    assert about[2].startswith(f'- #{follow_up} "Follow-up visit"')
    assert about[4].startswith(f'- #{routine} "Routine visit": routine inspection')
    # Ben hears about his own Taqueria Sol only.
    ben = await r.context.block(BEN, "What did the last inspection of Taqueria Sol find?")
    assert "(Shelbyville): 1 inspection on record." in ben
    assert f'#{bens} "Ben\'s visit"' in ben
    assert "Mission" not in ben


async def test_an_establishment_without_inspections_says_so() -> None:
    r = Records()
    await r.places.create_establishment(ANA, name="Blue Door Cafe")
    await r.item(ANA, "Golden Dragon Buffet")
    block = await r.context.block(ANA, "what did the last inspection of Blue Door find?")
    assert block == (
        f'{BLOCK_HEADING}\n- Establishment "Blue Door Cafe": no inspections on record.\n\n'
    )
