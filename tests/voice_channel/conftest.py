"""Peers and settings of the voice tests: kamailio (per test module), the Kefu SIP user agent in a
thread of the test process registered behind it, a baresip phone per caller, and the demo
operator's voice queues (VOICE, BB) with alice skilled for both."""

from __future__ import annotations

import os
import threading

import pytest

from kefu.accounts.models import AgentSkill, Skill
from kefu.connectors.voice.ari import AriApplication
from kefu.connectors.voice.sip import SipGateway
from kefu.routing.models import Queue
from tests.voice_channel.peers import AriSimulator, Baresip, Kamailio, free_port, free_udp_port, wait_for

SERVICE_NUMBER = "10086"


@pytest.fixture(scope="module")
def kamailio(tmp_path_factory):
    peer = Kamailio(tmp_path_factory.mktemp("kamailio"))
    peer.start()
    yield peer
    peer.stop()


@pytest.fixture
def voice_queues(transactional_db, alice):
    """The demo's queues that take calls: 10086热线 (VOICE) and 宽带电视专席 (BB)."""
    mobile = Skill.objects.create(code="mobile", name="移动业务")
    broadband = Skill.objects.create(code="broadband", name="宽带电视")
    AgentSkill.objects.create(agent=alice, skill=mobile, level=3)
    AgentSkill.objects.create(agent=alice, skill=broadband, level=3)
    return {
        "VOICE": Queue.objects.create(code="VOICE", name="10086热线", channels=["voice"], skill=mobile),
        "BB": Queue.objects.create(code="BB", name="宽带电视专席", channels=["chat", "voice"], skill=broadband),
    }


@pytest.fixture
def sip_gateway(settings, kamailio, voice_queues, tmp_path_factory):
    """The Kefu SIP UA (what `kefu voice` runs), registered at kamailio as the service number."""
    settings.KEFU_SIP_SERVER, settings.KEFU_SIP_PORT = "127.0.0.1", kamailio.port
    settings.KEFU_SIP_USERNAME = SERVICE_NUMBER
    settings.KEFU_SIP_LOCAL_HOST, settings.KEFU_SIP_LOCAL_PORT = "127.0.0.1", free_udp_port()
    low = 20000 + os.getpid() % 100 * 100  # below the ephemeral ports the other sockets of the test take
    settings.KEFU_SIP_RTP_PORT_MIN, settings.KEFU_SIP_RTP_PORT_MAX = low, low + 99
    settings.KEFU_VOICE_PROMPT_DIR = str(tmp_path_factory.getbasetemp() / "voice-prompts")
    settings.KEFU_VOICE_DIGIT_TIMEOUT_SECONDS = 5
    gateway = SipGateway(announce_seconds=3)
    gateway.start(control_port=free_port())
    wait_for(lambda: gateway.registered, 20, "the SIP UA to register at kamailio")
    yield gateway
    gateway.stop()


@pytest.fixture
def caller(kamailio, tmp_path):
    """张三丰's mobile phone: a baresip UA that dials the hotline through kamailio."""
    phone = Baresip(tmp_path / "baresip", number="13812345678", proxy_port=kamailio.port)
    phone.start()
    yield phone
    phone.stop()


@pytest.fixture
def ari(tmp_path):
    peer = AriSimulator(tmp_path)
    peer.start()
    yield peer
    peer.stop()


@pytest.fixture
def ari_application(settings, ari, voice_queues, tmp_path_factory):
    """The Stasis application (what `kefu voice --gateway ari` runs) in a thread, on the simulator."""
    settings.KEFU_ARI_URL, settings.KEFU_ARI_APP = ari.url, ari.app
    settings.KEFU_ARI_USERNAME, settings.KEFU_ARI_PASSWORD = ari.username, ari.password
    settings.KEFU_VOICE_PROMPT_DIR = str(tmp_path_factory.getbasetemp() / "voice-prompts")
    application = AriApplication(announce_seconds=60)
    stop = threading.Event()
    thread = threading.Thread(target=application.run, args=(stop,))
    thread.start()
    wait_for(ari.connected, 10, "the application to open the ARI event socket")
    yield application
    stop.set()
    thread.join(timeout=10)
