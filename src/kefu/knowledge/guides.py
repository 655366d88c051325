"""Diagnosis trees: their shape, checked before a guide is saved, and how a walk moves through them.

A tree is {"start": id, "nodes": {id: node}}. Every node has a `kind` and a `text`:

- check, cause, step: questions or advice with `answers` [{"label": ..., "next": id}]
  (a cause usually has one answer, "继续"; a step has "已解决" / "未解决");
- solved: the walk ends, the customer's problem is gone;
- order: the walk ends, a repair order of type `order_type` (a work order type code such as
  FAULT_DTV) is to be opened with what was tried.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from kefu.core.errors import BusinessRuleError
from kefu.knowledge.choices import GuideNodeKind

TERMINAL_KINDS = frozenset({GuideNodeKind.SOLVED, GuideNodeKind.ORDER})
ORDER_TYPE_CODE_LENGTH = 40


@dataclass(frozen=True)
class Answer:
    label: str
    next: str


@dataclass(frozen=True)
class Node:
    id: str
    kind: str
    text: str
    hint: str
    answers: tuple[Answer, ...]
    order_type: str

    @property
    def is_terminal(self) -> bool:
        return self.kind in TERMINAL_KINDS


def _invalid(message: str) -> BusinessRuleError:
    return BusinessRuleError(message, code="invalid_guide")


def node(tree: dict[str, Any], node_id: str) -> Node:
    raw = tree["nodes"][node_id]
    return Node(
        id=node_id,
        kind=str(raw["kind"]),
        text=str(raw["text"]),
        hint=str(raw.get("hint", "")),
        answers=tuple(Answer(str(answer["label"]), str(answer["next"])) for answer in raw.get("answers", [])),
        order_type=str(raw.get("order_type", "")),
    )


def validate_tree(tree: Any) -> None:
    """Refuse a tree that could strand an agent: unknown steps, dead ends, loops, orders without a type."""
    if not isinstance(tree, dict) or not isinstance(tree.get("nodes"), dict) or not tree["nodes"]:
        raise _invalid(_("A guide needs a start and its steps."))
    nodes: dict[str, Any] = tree["nodes"]
    start = tree.get("start")
    if start not in nodes:
        raise _invalid(_("The guide's first step %(step)s does not exist.") % {"step": start})
    for node_id, raw in nodes.items():
        if not isinstance(raw, dict) or raw.get("kind") not in GuideNodeKind.values or not str(raw.get("text", "")):
            raise _invalid(_("Step %(step)s needs a known kind and a text.") % {"step": node_id})
        answers = raw.get("answers", [])
        if raw["kind"] in TERMINAL_KINDS:
            if answers:
                raise _invalid(_("Step %(step)s ends the guide and cannot have answers.") % {"step": node_id})
            code = str(raw.get("order_type", ""))
            if raw["kind"] == GuideNodeKind.ORDER and not (0 < len(code) <= ORDER_TYPE_CODE_LENGTH):
                raise _invalid(_("Step %(step)s must name the repair order type to open.") % {"step": node_id})
            continue
        if not answers:
            raise _invalid(_("Step %(step)s is a dead end: give it answers.") % {"step": node_id})
        for answer in answers:
            if not str(answer.get("label", "")) or answer.get("next") not in nodes:
                raise _invalid(_("An answer of step %(step)s leads nowhere.") % {"step": node_id})
    _refuse_loops(nodes, start)


def _refuse_loops(nodes: dict[str, Any], start: str) -> None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node_id: str) -> None:
        state[node_id] = 1
        for answer in nodes[node_id].get("answers", []):
            following = answer["next"]
            if state.get(following) == 1:
                raise _invalid(_("The guide loops back at step %(step)s.") % {"step": following})
            if following not in state:
                visit(following)
        state[node_id] = 2

    visit(start)
    unreachable = sorted(set(nodes) - set(state))
    if unreachable:
        raise _invalid(_("Steps that no answer leads to: %(steps)s.") % {"steps": ", ".join(unreachable)})


def order_types_named(tree: dict[str, Any]) -> set[str]:
    return {str(raw["order_type"]) for raw in tree["nodes"].values() if raw["kind"] == GuideNodeKind.ORDER}


def summary_of(path: list[dict[str, Any]]) -> str:
    """The walk as lines an engineer reads on the order: each step and the answer given."""
    lines = []
    for index, entry in enumerate(path, start=1):
        answer = f" → {entry['answer']}" if entry.get("answer") else ""
        lines.append(f"{index}. {entry['text']}{answer}")
    return "\n".join(lines)
