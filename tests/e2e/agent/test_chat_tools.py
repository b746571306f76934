"""Chat tools (list_items, get_item, create_item, update_item_status): they run as the
caller through ItemService, their calls and results are stored, rounds are bounded."""

from __future__ import annotations

import json
from typing import Any

import grpc
import pytest

from opengovfood.services.chat import MAX_TOOL_ROUNDS
from opengovfood_client.v1 import agent_pb2, agent_pb2_grpc, items_pb2, items_pb2_grpc
from support.agent import GOOD_ANALYSIS, ScriptedOllama, ScriptedOpenAI, stored_messages

CHAT_PATH = {"ollama": "/api/chat", "openai": "/v1/chat/completions"}
TOOL_NAMES = {"list_items", "get_item", "create_item", "update_item_status", "list_analyses"}


@pytest.fixture(params=["ollama", "openai"])
def remote(
    request: pytest.FixtureRequest, fake_ollama: ScriptedOllama, fake_openai: ScriptedOpenAI
) -> tuple[str, Any]:
    fake_openai.arg_split = 3  # tool-call arguments arrive in 3-character pieces
    return request.param, fake_ollama if request.param == "ollama" else fake_openai


async def create_item(
    items: items_pb2_grpc.ItemServiceStub, user: Any, title: str, **fields: Any
) -> items_pb2.Item:
    return await items.CreateItem(
        items_pb2.CreateItemRequest(item=items_pb2.Item(title=title, **fields)),
        metadata=user.metadata,
    )


async def run_chat(
    agent: agent_pb2_grpc.AgentServiceStub, user: Any, message: str, provider: str, cid: int = 0
) -> tuple[str, int]:
    text = ""
    conversation_id = 0
    async for response in agent.Chat(
        agent_pb2.ChatRequest(message=message, provider=provider, conversation_id=cid),
        metadata=user.metadata,
        timeout=10,
    ):
        text += response.text
        conversation_id = response.conversation_id
        if response.done:
            break
    return text, conversation_id


def tool_messages(request_json: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in request_json["messages"] if m["role"] == "tool"]


def result_of(request_json: dict[str, Any], index: int = -1) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(tool_messages(request_json)[index]["content"])
    return loaded


async def test_tool_asking_for_another_users_item_gets_not_found(
    agent: agent_pb2_grpc.AgentServiceStub,
    items: items_pb2_grpc.ItemServiceStub,
    make_user: Any,
    db: Any,
    remote: tuple[str, Any],
) -> None:
    name, fake = remote
    owner, caller = await make_user(), await make_user()
    secret = await create_item(items, owner, "Secret walk-in findings", description="Rats")
    fake.turns = [
        {"chunks": [], "tool_calls": [{"name": "get_item", "arguments": {"id": secret.id}}]},
        {"chunks": ["I could not ", "find that item."], "tool_calls": []},
    ]

    text, conversation_id = await run_chat(agent, caller, f"Show item {secret.id}", name)

    assert text == "I could not find that item."
    first, second = (r.json for r in fake.requests_to(CHAT_PATH[name])[-2:])
    assert {t["function"]["name"] for t in first["tools"]} == TOOL_NAMES
    assert result_of(second) == {
        "error": {"code": "NOT_FOUND", "message": f"item {secret.id} not found"}
    }
    # Nothing of the other user's item went to the model.
    for request in fake.requests_to(CHAT_PATH[name]):
        assert b"Secret walk-in" not in request.body
        assert b"Rats" not in request.body

    rows = await stored_messages(db, conversation_id)
    assert [r.role for r in rows] == ["user", "assistant", "tool", "assistant"]
    call = rows[1].tool_calls
    assert call is not None
    assert [(c["name"], c["arguments"]) for c in call] == [("get_item", {"id": secret.id})]
    assert rows[2].tool_call_id == call[0]["id"]
    assert rows[2].tool_name == "get_item"
    assert json.loads(rows[2].content)["error"]["code"] == "NOT_FOUND"
    assert rows[3].content == "I could not find that item."


async def test_get_and_list_items_see_only_the_callers_items(
    agent: agent_pb2_grpc.AgentServiceStub,
    items: items_pb2_grpc.ItemServiceStub,
    make_user: Any,
    remote: tuple[str, Any],
) -> None:
    name, fake = remote
    caller, other = await make_user(), await make_user()
    mine = await create_item(items, caller, "Bakery on Main St", description="Flour dust")
    done = await create_item(items, caller, "Deli re-check", status=items_pb2.ITEM_STATUS_COMPLETED)
    await create_item(items, other, "Not yours")
    fake.turns = [
        {
            "chunks": [],
            "tool_calls": [
                {"id": "c1", "name": "get_item", "arguments": {"id": str(mine.id)}},
                {"id": "c2", "name": "list_items", "arguments": {}},
                {"id": "c3", "name": "list_items", "arguments": {"status": "completed"}},
                {"id": "c4", "name": "list_items", "arguments": {"query": "BAKERY"}},
            ],
        },
        {"chunks": ["Here they are."], "tool_calls": []},
    ]
    await run_chat(agent, caller, "What do I have?", name)

    last = fake.requests_to(CHAT_PATH[name])[-1].json
    got = result_of(last, 0)["item"]
    assert (got["id"], got["title"], got["description"], got["status"]) == (
        mine.id,
        "Bakery on Main St",
        "Flour dust",
        "pending",
    )
    everything = result_of(last, 1)
    assert [i["id"] for i in everything["items"]] == [done.id, mine.id]
    assert everything["total_size"] == 2
    assert [i["id"] for i in result_of(last, 2)["items"]] == [done.id]
    assert [i["id"] for i in result_of(last, 3)["items"]] == [mine.id]
    if name == "openai":
        assert [m["tool_call_id"] for m in tool_messages(last)] == ["c1", "c2", "c3", "c4"]
    else:
        assert [m["tool_name"] for m in tool_messages(last)] == [
            "get_item",
            "list_items",
            "list_items",
            "list_items",
        ]


async def test_create_and_update_run_with_the_callers_rights_and_validation(
    agent: agent_pb2_grpc.AgentServiceStub,
    items: items_pb2_grpc.ItemServiceStub,
    make_user: Any,
    remote: tuple[str, Any],
) -> None:
    name, fake = remote
    caller, other = await make_user(), await make_user()
    theirs = await create_item(items, other, "Their item")
    fake.turns = [
        {
            "chunks": [],
            "tool_calls": [
                {
                    "name": "create_item",
                    "arguments": {"title": "Taco truck", "description": "Follow-up visit"},
                },
                {"name": "create_item", "arguments": {"title": "   "}},
                {
                    "name": "update_item_status",
                    "arguments": {"id": theirs.id, "status": "cancelled"},
                },
            ],
        },
        {"chunks": ["Done."], "tool_calls": []},
    ]
    await run_chat(agent, caller, "Add the taco truck", name)
    last = fake.requests_to(CHAT_PATH[name])[-1].json
    created = result_of(last, 0)["item"]
    assert created["title"] == "Taco truck"
    assert created["status"] == "pending"
    invalid = result_of(last, 1)["error"]
    assert invalid["code"] == "INVALID_ARGUMENT"
    assert "title" in invalid["message"]
    assert result_of(last, 2)["error"]["code"] == "NOT_FOUND"

    # The created item is the caller's; the other user's item is untouched.
    fetched = await items.GetItem(
        items_pb2.GetItemRequest(id=created["id"]), metadata=caller.metadata
    )
    assert fetched.owner_id == caller.id
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await items.GetItem(items_pb2.GetItemRequest(id=created["id"]), metadata=other.metadata)
    assert info.value.code() == grpc.StatusCode.NOT_FOUND
    untouched = await items.GetItem(items_pb2.GetItemRequest(id=theirs.id), metadata=other.metadata)
    assert untouched.status == items_pb2.ITEM_STATUS_PENDING
    listed = await items.ListItems(items_pb2.ListItemsRequest(), metadata=caller.metadata)
    assert [i.title for i in listed.items] == ["Taco truck"]

    fake.turns = [
        {
            "chunks": [],
            "tool_calls": [
                {
                    "name": "update_item_status",
                    "arguments": {"id": created["id"], "status": "in_progress"},
                },
                {
                    "name": "update_item_status",
                    "arguments": {"id": created["id"], "status": "done-ish"},
                },
                {"name": "delete_everything", "arguments": {}},
            ],
        },
        {"chunks": ["Updated."], "tool_calls": []},
    ]
    await run_chat(agent, caller, "Start it", name)
    last = fake.requests_to(CHAT_PATH[name])[-1].json
    assert result_of(last, 0)["item"]["status"] == "in_progress"
    assert result_of(last, 1)["error"]["code"] == "INVALID_ARGUMENT"
    assert result_of(last, 2)["error"] == {
        "code": "INVALID_ARGUMENT",
        "message": "there is no tool named 'delete_everything'",
    }
    fetched = await items.GetItem(
        items_pb2.GetItemRequest(id=created["id"]), metadata=caller.metadata
    )
    assert fetched.status == items_pb2.ITEM_STATUS_IN_PROGRESS


async def test_superuser_tools_follow_item_service_rules(
    agent: agent_pb2_grpc.AgentServiceStub,
    items: items_pb2_grpc.ItemServiceStub,
    make_user: Any,
    fake_ollama: ScriptedOllama,
) -> None:
    # Same authorization as ItemService: superusers may read every item.
    owner, admin = await make_user(), await make_user(superuser=True)
    theirs = await create_item(items, owner, "Owner's item")
    fake_ollama.turns = [
        {"chunks": [], "tool_calls": [{"name": "get_item", "arguments": {"id": theirs.id}}]},
        {"chunks": ["Found it."], "tool_calls": []},
    ]
    await run_chat(agent, admin, "Look", "ollama")
    last = fake_ollama.requests_to("/api/chat")[-1].json
    assert result_of(last)["item"]["title"] == "Owner's item"


async def test_tool_rounds_are_bounded(
    agent: agent_pb2_grpc.AgentServiceStub, make_user: Any, db: Any, remote: tuple[str, Any]
) -> None:
    name, fake = remote
    # A model that never stops calling tools.
    fake.chunks = []
    fake.tool_calls = [{"name": "list_items", "arguments": {}}]
    user = await make_user()
    text, conversation_id = await run_chat(agent, user, "Loop forever", name)
    requests = [r.json for r in fake.requests_to(CHAT_PATH[name])]
    assert len(requests) == MAX_TOOL_ROUNDS + 1
    assert all("tools" in r for r in requests[:-1])
    assert "tools" not in requests[-1]  # the last round must answer in text
    assert text == ""
    rows = await stored_messages(db, conversation_id)
    assert [r.role for r in rows].count("tool") == MAX_TOOL_ROUNDS


async def test_continuing_after_tool_calls_sends_them_in_the_history(
    agent: agent_pb2_grpc.AgentServiceStub,
    items: items_pb2_grpc.ItemServiceStub,
    make_user: Any,
    remote: tuple[str, Any],
) -> None:
    name, fake = remote
    user = await make_user()
    mine = await create_item(items, user, "Sushi bar")
    fake.turns = [
        {
            "chunks": [],
            "tool_calls": [{"id": "call_9", "name": "get_item", "arguments": {"id": mine.id}}],
        },
        {"chunks": ["It is pending."], "tool_calls": []},
        {"chunks": ["You're welcome."], "tool_calls": []},
    ]
    _, conversation_id = await run_chat(agent, user, "Status of the sushi bar?", name)
    await run_chat(agent, user, "Thanks", name, conversation_id)
    sent = fake.requests_to(CHAT_PATH[name])[-1].json["messages"]
    roles = [m["role"] for m in sent]
    assert roles == ["system", "user", "assistant", "tool", "assistant", "user"]
    assistant_call = sent[2]["tool_calls"][0]["function"]
    assert assistant_call["name"] == "get_item"
    args = assistant_call["arguments"]
    assert (json.loads(args) if isinstance(args, str) else args) == {"id": mine.id}
    assert json.loads(sent[3]["content"])["item"]["title"] == "Sushi bar"
    if name == "openai":
        assert sent[2]["tool_calls"][0]["id"] == sent[3]["tool_call_id"]


async def test_out_of_range_tool_arguments_are_tool_errors_and_the_chat_goes_on(
    agent: agent_pb2_grpc.AgentServiceStub,
    make_user: Any,
    db: Any,
    remote: tuple[str, Any],
) -> None:
    """Issue 19, finding 3: `get_item {"id": 2**70}` once ended the Chat with INTERNAL (no
    database column holds it). Every such argument is now a tool error for the model."""
    name, fake = remote
    caller = await make_user()
    fake.turns = [
        {
            "chunks": [],
            "tool_calls": [
                {"name": "get_item", "arguments": {"id": 2**70}},
                {"name": "get_item", "arguments": {"id": -(2**64)}},
                {"name": "get_item", "arguments": {"id": "9" * 30}},
                {"name": "update_item_status", "arguments": {"id": 1e300, "status": "completed"}},
                {"name": "list_items", "arguments": {"limit": 2**70}},
                {"name": "create_item", "arguments": {"title": "t" * 101}},
            ],
        },
        {"chunks": ["Those ids are not valid."], "tool_calls": []},
    ]

    text, conversation_id = await run_chat(agent, caller, "Show item 2^70", name)

    assert text == "Those ids are not valid."
    second = fake.requests_to(CHAT_PATH[name])[-1].json
    results = [json.loads(m["content"]) for m in tool_messages(second)]
    assert [r["error"]["code"] for r in results] == ["INVALID_ARGUMENT"] * 6
    rows = await stored_messages(db, conversation_id)
    assert [r.role for r in rows] == ["user", "assistant", *["tool"] * 6, "assistant"]


async def test_list_analyses_gives_the_callers_analyses_and_the_model_no_records_block(
    agent: agent_pb2_grpc.AgentServiceStub,
    items: items_pb2_grpc.ItemServiceStub,
    make_user: Any,
    remote: tuple[str, Any],
) -> None:
    """A tool-calling provider grounds its answers with tools (list_analyses here), not
    with the local model's "From your records" block."""
    name, fake = remote
    caller, other = await make_user(), await make_user()
    sol = await create_item(items, caller, "Taqueria Sol")
    deli = await create_item(items, caller, "Corner Deli")
    theirs = await create_item(items, other, "Taqueria Sol")
    fake.json_content = json.dumps(GOOD_ANALYSIS)
    stored = []
    for user, item_id in [(caller, sol.id), (caller, deli.id), (other, theirs.id)]:
        stored.append(
            await agent.AnalyzeInspection(
                agent_pb2.AnalyzeInspectionRequest(
                    notes="Walk-in cooler at 48F with sliced ham.",
                    item_id=item_id,
                    provider=name,
                ),
                metadata=user.metadata,
                timeout=10,
            )
        )
    fake.json_content = None
    fake.turns = [
        {
            "chunks": [],
            "tool_calls": [
                {"name": "list_analyses", "arguments": {"item_id": sol.id}},
                {"name": "list_analyses", "arguments": {}},
                {"name": "list_analyses", "arguments": {"item_id": theirs.id}},
                {"name": "list_analyses", "arguments": {"item_id": -4}},
            ],
        },
        {"chunks": ["The cooler ", "was at 48F."], "tool_calls": []},
    ]

    text, _ = await run_chat(
        agent, caller, "What did the last inspection of Taqueria Sol find?", name
    )

    assert text == "The cooler was at 48F."
    first, last = (r.json for r in fake.requests_to(CHAT_PATH[name])[-2:])
    assert "From your records" not in json.dumps(first["messages"])
    of_sol = result_of(last, 0)
    assert of_sol["total_size"] == 1
    [analysis] = of_sol["analyses"]
    assert (analysis["id"], analysis["item_id"]) == (stored[0].id, sol.id)
    assert [(v["code"], v["severity"]) for v in analysis["violations"]] == [
        (v.code, "P" if v.severity == agent_pb2.VIOLATION_SEVERITY_PRIORITY else "?")
        for v in stored[0].violations
    ]
    assert analysis["violations"][0]["code"].startswith("3-501.16")
    assert analysis["summary"] == GOOD_ANALYSIS["summary"]
    assert analysis["compliance_score"] == pytest.approx(stored[0].compliance_score)
    assert (analysis["score"], analysis["grade"], analysis["scoring_scheme"]) == (
        stored[0].score,
        stored[0].grade,
        stored[0].scoring_scheme,
    )
    assert [
        (v["food_code_section"], v["form_item"], v["evidence"]) for v in analysis["violations"]
    ] == [(v.food_code_section, v.form_item, v.evidence) for v in stored[0].violations]
    everything = result_of(last, 1)
    assert [a["id"] for a in everything["analyses"]] == [stored[1].id, stored[0].id]
    # Another user's item has no analyses for the caller; a bad id is a tool error.
    assert result_of(last, 2) == {"analyses": [], "total_size": 0}
    assert result_of(last, 3)["error"]["code"] == "INVALID_ARGUMENT"
