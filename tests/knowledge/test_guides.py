"""Diagnosis guides: trees that cannot strand an agent, and walks that keep what was tried."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kefu.accounts.models import User
from kefu.core.errors import BusinessRuleError, NotAllowed
from kefu.knowledge import guides, queries, services
from kefu.knowledge.choices import WalkthroughOutcome
from kefu.knowledge.demo import DEMO_DIR
from kefu.knowledge.models import DiagnosisGuide
from kefu.tickets.defaults import TYPES

pytestmark = pytest.mark.django_db

TREE: dict[str, Any] = {
    "start": "power",
    "nodes": {
        "power": {"kind": "check", "text": "机顶盒指示灯亮吗？", "answers": [
            {"label": "亮", "next": "restart"}, {"label": "不亮", "next": "order"}]},
        "restart": {"kind": "step", "text": "断电重启机顶盒。", "answers": [
            {"label": "已解决", "next": "solved"}, {"label": "未解决", "next": "order"}]},
        "solved": {"kind": "solved", "text": "已恢复。"},
        "order": {"kind": "order", "order_type": "FAULT_DTV", "text": "提交数字电视故障工单。"},
    },
}  # fmt: skip


def guide() -> DiagnosisGuide:
    content = services.GuideContent(title="电视黑屏", service="digital_tv", symptom="电视黑屏", tree=TREE)
    return services.save_guide(actor=None, code="GD-T", content=content)


def broken(change: dict[str, Any]) -> dict[str, Any]:
    tree = json.loads(json.dumps(TREE))
    tree["nodes"].update(change)
    return tree


@pytest.mark.parametrize(
    "tree",
    [
        broken({"restart": {"kind": "step", "text": "重启", "answers": [{"label": "继续", "next": "nowhere"}]}}),
        broken({"restart": {"kind": "step", "text": "重启", "answers": []}}),
        broken({"restart": {"kind": "step", "text": "重启", "answers": [{"label": "再查", "next": "power"}]}}),
        broken({"order": {"kind": "order", "text": "提交工单"}}),
        broken({"lonely": {"kind": "solved", "text": "没有路通到这里"}}),
        {"start": "missing", "nodes": TREE["nodes"]},
    ],
    ids=["unknown-step", "dead-end", "loop", "order-without-type", "unreachable", "no-start"],
)
def test_a_tree_that_could_strand_an_agent_is_refused(tree: dict[str, Any]) -> None:
    with pytest.raises(BusinessRuleError):
        guides.validate_tree(tree)


def test_a_walk_that_does_not_solve_ends_with_the_repair_order_type_and_the_path(alice: User) -> None:
    walk = services.start_walkthrough(actor=alice, guide=guide(), contact_reference="C-1001")

    walk = services.answer_step(actor=alice, walkthrough=walk, answer=0)
    walk = services.answer_step(actor=alice, walkthrough=walk, answer=1)

    assert walk.outcome == WalkthroughOutcome.ORDER_NEEDED
    assert walk.order_type_code == "FAULT_DTV"
    assert [(entry["node"], entry["answer"]) for entry in walk.path] == [
        ("power", "亮"),
        ("restart", "未解决"),
        ("order", ""),
    ]
    assert guides.summary_of(walk.path).splitlines()[1] == "2. 断电重启机顶盒。 → 未解决"


def test_the_walk_is_kept_with_the_order_for_the_engineer(alice: User, charlie: User) -> None:
    walk = services.start_walkthrough(actor=alice, guide=guide(), contact_reference="C-1001")
    walk = services.answer_step(actor=alice, walkthrough=walk, answer=1)

    services.link_walkthrough_to_order(actor=alice, walkthrough=walk, order_reference="GD20260101-0001")

    found = list(queries.walkthroughs_for(order_reference="GD20260101-0001"))
    assert [(item.pk, item.contact_reference) for item in found] == [(walk.pk, "C-1001")]


def test_a_solved_walk_ends_and_takes_no_more_answers(alice: User) -> None:
    walk = services.start_walkthrough(actor=alice, guide=guide())
    walk = services.answer_step(actor=alice, walkthrough=walk, answer=0)
    walk = services.answer_step(actor=alice, walkthrough=walk, answer=0)

    assert walk.outcome == WalkthroughOutcome.SOLVED
    with pytest.raises(BusinessRuleError):
        services.answer_step(actor=alice, walkthrough=walk, answer=0)


def test_stepping_back_undoes_the_last_answer(alice: User) -> None:
    walk = services.start_walkthrough(actor=alice, guide=guide())
    walk = services.answer_step(actor=alice, walkthrough=walk, answer=0)

    walk = services.step_back(actor=alice, walkthrough=walk)

    assert (walk.current_node, walk.path) == ("power", [])
    with pytest.raises(BusinessRuleError):
        services.step_back(actor=alice, walkthrough=walk)


def test_an_answer_that_is_not_offered_is_refused(alice: User) -> None:
    walk = services.start_walkthrough(actor=alice, guide=guide())

    with pytest.raises(BusinessRuleError):
        services.answer_step(actor=alice, walkthrough=walk, answer=5)


def test_people_without_the_knowledge_base_cannot_walk_guides(db: None) -> None:
    from tests.factories import UserFactory

    nobody = UserFactory(username="nobody")

    with pytest.raises(NotAllowed):
        services.start_walkthrough(actor=nobody, guide=guide())


def test_the_demo_guides_are_valid_and_open_order_types_that_exist() -> None:
    order_types = {row[0] for row in TYPES}
    demo = json.loads((DEMO_DIR / "guides.json").read_text(encoding="utf-8"))

    assert len(demo) == 10
    for item in demo:
        guides.validate_tree(item["tree"])
        assert guides.order_types_named(item["tree"]) <= order_types, item["code"]
    assert {item["service"] for item in demo} == {"digital_tv", "interactive_tv", "broadband", "mobile"}
