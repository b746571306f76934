"""ListAnalyses reads through the fast paths (SQLite's dedicated read connection,
PostgreSQL's raw asyncpg connections; repositories/analyses.py): every listed
analysis is the message GetAnalysis (the ORM path) answers for it, whatever the
stored row holds (legacy rows before 0004, violations missing later keys, no item),
on every page, filter and scope shape."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from opengovfood.db.models import InspectionAnalysis, utcnow
from opengovfood.domain.principal import Role
from opengovfood_client.v1 import agent_pb2, agent_pb2_grpc
from support.agent import add_item
from support.server import RunningServer


def _analysis(owner: Any, n: int, item_id: int | None, **changes: Any) -> InspectionAnalysis:
    values: dict[str, Any] = {
        "owner_id": owner.id,
        "department_id": owner.department_id,
        "item_id": item_id,
        "notes": f"notes {n}",
        "summary": f"summary {n}",
        "violations": [
            {
                "code": "3-501.16",
                "description": "Cooler at 48F",
                "severity": "P",
                "food_code_section": "3-501.16(A)(2)",
                "form_item": 22,
                "evidence": "48F",
                "source": "rule",
                "corrected_on_site": n % 2 == 0,
                "repeat": True,
                "corrective_action": "Discard; repair the cooler.",
            },
            {"code": "6-301.12", "description": "No towels", "severity": "Pf", "source": "model"},
        ],
        "corrective_actions": ["Discard; repair the cooler.", "Stock towels."],
        "compliance_score": 0.8,
        "score": 80,
        "grade": "B",
        "scoring_scheme": "standard",
        "public_health_narrative": "Bacteria grow.",
        "narrative_missing": n % 3 == 0,
        "provider": "local",
        "model": "smollm2",
        # Distinct, microsecond-exact times: the keyset position is a timestamp.
        "create_time": utcnow() - timedelta(minutes=n, microseconds=n),
        "update_time": utcnow(),
        "version": 1 + n % 2,
    }
    values.update(changes)
    return InspectionAnalysis(**values)


async def _pages(
    agent: agent_pb2_grpc.AgentServiceStub, metadata: Any, filter: str = ""
) -> tuple[list[agent_pb2.InspectionAnalysis], list[int]]:
    listed: list[agent_pb2.InspectionAnalysis] = []
    totals: list[int] = []
    token = ""
    while True:
        page = await agent.ListAnalyses(
            agent_pb2.ListAnalysesRequest(page_size=2, page_token=token, filter=filter),
            metadata=metadata,
        )
        listed += page.analyses
        totals.append(page.total_size)
        token = page.next_page_token
        if not token:
            return listed, totals


async def test_listed_analyses_are_what_get_analysis_answers(
    agent: agent_pb2_grpc.AgentServiceStub, make_user: Any, db: Any, agent_server: RunningServer
) -> None:
    department = await make_user.department()
    owner = await make_user(department_id=department)
    colleague = await make_user(department_id=department)
    supervisor = await make_user(department_id=department, role=Role.SUPERVISOR)
    item_id = await add_item(db, owner.id)
    async with db() as session, session.begin():
        stored = [
            _analysis(owner, 1, item_id),
            _analysis(owner, 2, None),
            _analysis(  # as stored before 0004 and the catalogue
                owner,
                3,
                item_id,
                update_time=None,
                score=None,
                compliance_score=0.62,
                grade="",
                scoring_scheme="",
                violations=[{"code": "3-501.16", "severity": "major"}, "not a violation"],
            ),
            _analysis(owner, 4, item_id, corrective_actions=[], violations=[]),
            _analysis(owner, 5, None),
            _analysis(colleague, 6, None),
        ]
        session.add_all(stored)
        await session.flush()
        ids = [int(a.id) for a in stored]
    fast = agent_server.app.container.fast_reads
    served = fast.served if fast is not None else 0

    listed, totals = await _pages(agent, owner.metadata)
    assert [a.id for a in listed] == ids[:5]  # newest first
    assert totals == [5, 5, 5]
    for message in listed:
        got = await agent.GetAnalysis(
            agent_pb2.GetAnalysisRequest(id=message.id), metadata=owner.metadata
        )
        assert message == got
    legacy = listed[2]
    assert (legacy.score, legacy.grade, legacy.update_time) == (62, "", legacy.create_time)
    assert [v.severity for v in legacy.violations] == [agent_pb2.VIOLATION_SEVERITY_MAJOR]

    with_item, totals = await _pages(agent, owner.metadata, f"item_id = {item_id}")
    assert [a.id for a in with_item] == [ids[0], ids[2], ids[3]]
    assert totals == [3, 3]
    free, _totals = await _pages(agent, owner.metadata, "item_id = 0")
    assert [a.id for a in free] == [ids[1], ids[4]]

    # The supervisor's scope is the department: the colleague's analysis too.
    everyone, totals = await _pages(agent, supervisor.metadata)
    assert [a.id for a in everyone] == [*ids[:5], ids[5]]
    assert totals == [6, 6, 6]
    assert everyone[:5] == listed

    if fast is not None:  # SQLite: the pages and their counts came off the fast path
        assert fast.served - served >= 10
