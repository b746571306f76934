"""Ask the inspection assistant to analyse field notes, then chat about them (async)."""

import asyncio
import contextlib

from _common import ADDRESS, EMAIL, PASSWORD

from opengovfood_client import AlreadyExistsError
from opengovfood_client.aio import AsyncClient
from opengovfood_client.v1 import agent_pb2

NOTES = """Walk-in cooler at 9 C, milk and cream stored inside. Raw chicken on the top shelf
above ready-to-eat salads. Hand sink blocked by a mop bucket; no paper towels."""


async def main() -> None:
    async with AsyncClient(ADDRESS) as client:
        with contextlib.suppress(AlreadyExistsError):
            await client.users.register(EMAIL, PASSWORD, "Example Inspector")
        await client.login(EMAIL, PASSWORD)
        analysis = await client.agent.analyze(NOTES)
        print(f"compliance {analysis.compliance_score:.0%}: {analysis.summary}")
        for violation in analysis.violations:
            severity = agent_pb2.ViolationSeverity.Name(violation.severity)
            print(f"  [{severity.removeprefix('VIOLATION_SEVERITY_')}] {violation.description}")

        chat = client.agent.chat("Which of these must be fixed before the kitchen reopens?")
        async for delta in chat:
            print(delta, end="", flush=True)
        print(f"\n(conversation {chat.conversation_id})")


asyncio.run(main())
