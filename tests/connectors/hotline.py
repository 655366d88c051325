"""The hotline of the live-desk tests: a chat queue on the broadband skill, with skilled agents."""

from __future__ import annotations

from kefu.accounts.models import AgentSkill, Skill, User
from kefu.routing.models import Queue


def hotline_chat_queue(*agents: User) -> Queue:
    """The chat queue 在线客服 (CHAT) on 宽带; each agent given gets the skill at level 3."""
    broadband = Skill.objects.create(code="BB", name="宽带")
    for agent in agents:
        AgentSkill.objects.create(agent=agent, skill=broadband, level=3)
    return Queue.objects.create(code="CHAT", name="在线客服", channels=["chat"], skill=broadband)
