"""Peers and settings of the SMS tests: Kannel (session-wide, calling back into the live
server), a fakesmsc phone per test, an SMPP SMSC simulator per test, and the SMS queue."""

from __future__ import annotations

import threading

import pytest

from kefu.accounts.models import AgentSkill, Skill
from kefu.connectors.sms import smpp
from kefu.routing.models import Queue
from tests.sms_channel.peers import Kannel, Phone, Smsc

CALLBACK_SECRET = "kannel-callback-test-secret"


@pytest.fixture(scope="session")
def kannel(live_server, tmp_path_factory):
    peer = Kannel(tmp_path_factory.mktemp("kannel"), callback_base=live_server.url, secret=CALLBACK_SECRET)
    peer.start()
    yield peer
    peer.stop()


@pytest.fixture
def kannel_settings(settings, kannel, live_server):
    settings.KEFU_SMS_BACKEND = "kannel"
    settings.KEFU_SMS_CALLBACK_SECRET = CALLBACK_SECRET
    settings.KEFU_SMS_CALLBACK_BASE_URL = live_server.url
    settings.KEFU_KANNEL_SENDSMS_URL = kannel.sendsms_url
    settings.KEFU_KANNEL_USERNAME, settings.KEFU_KANNEL_PASSWORD = kannel.username, kannel.password
    settings.KEFU_SMS_SENDER = "10086"
    return settings


@pytest.fixture
def phone(kannel, kannel_settings, tmp_path):
    customer_phone = Phone(kannel, tmp_path)
    yield customer_phone
    customer_phone.hang_up()


@pytest.fixture
def smsc(tmp_path):
    peer = Smsc(tmp_path)
    peer.start()
    yield peer
    peer.stop()


@pytest.fixture
def smpp_settings(settings, smsc):
    settings.KEFU_SMS_BACKEND = "smpp"
    settings.KEFU_SMPP_HOST, settings.KEFU_SMPP_PORT = "127.0.0.1", smsc.port
    settings.KEFU_SMPP_SYSTEM_ID, settings.KEFU_SMPP_PASSWORD = smsc.system_id, smsc.password
    settings.KEFU_SMPP_SOURCE_ADDR = "10086"
    return settings


@pytest.fixture
def smpp_gateway(smpp_settings, transactional_db):
    """`kefu smpp`'s loop in a thread of the test process, bound to the simulator."""
    session = smpp.current_session()
    stop = threading.Event()
    thread = threading.Thread(target=smpp.run, args=(stop,), kwargs={"session": session, "max_backoff": 0.5})
    thread.start()
    yield session
    stop.set()
    thread.join(timeout=20)
    smpp.close_session()


@pytest.fixture
def sms_queue(transactional_db, alice):
    skill = Skill.objects.create(code="SMSQ", name="短信客服")
    AgentSkill.objects.create(agent=alice, skill=skill, level=3)
    return Queue.objects.create(code="SMS", name="短信", channels=["sms"], skill=skill)
