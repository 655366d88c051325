"""A small hotline: a chat queue and a voice queue on the 'broadband' skill.

alice (level 3) and bob (level 3) are agents of the hotline team; expert: level 5.
"""

from __future__ import annotations

import pytest

from kefu.accounts.choices import Role
from kefu.accounts.models import AgentSkill, Skill
from kefu.contacts import services as contacts
from kefu.routing.models import Queue
from tests.factories import UserFactory


@pytest.fixture
def broadband(db):
    return Skill.objects.create(code="BB", name="宽带")


@pytest.fixture
def chat_queue(broadband):
    return Queue.objects.create(
        code="CHAT", name="在线客服", channels=["chat"], skill=broadband, offer_timeout_seconds=20
    )


@pytest.fixture
def voice_queue(broadband):
    return Queue.objects.create(code="VOICE", name="热线", channels=["voice"], skill=broadband)


@pytest.fixture
def skilled(broadband, alice, bob):
    AgentSkill.objects.create(agent=alice, skill=broadband, level=3)
    AgentSkill.objects.create(agent=bob, skill=broadband, level=3)
    return broadband


@pytest.fixture
def expert(broadband):
    user = UserFactory(username="expert", display_name="专家", roles=[Role.AGENT])
    AgentSkill.objects.create(agent=user, skill=broadband, level=5)
    return user


def new_chat(identity="访客", customer=None):
    return contacts.open_contact(channel="chat", identity=identity, display_name=identity, customer=customer)
