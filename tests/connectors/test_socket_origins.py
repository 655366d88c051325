"""The widget's socket opens from the operator's websites; the desk's only from the desk (issue 4 item 5)."""

from __future__ import annotations

import json

import pytest
from channels.testing import WebsocketCommunicator
from django.test import Client

from kefu.accounts.models import User
from kefu.config.websockets import websocket_application
from kefu.routing.models import Queue
from tests.connectors.sockets import run

OPERATOR_SITE = "https://www.example-telecom.cn"
ELSEWHERE = "https://phishing.example.com"


def chat_token() -> str:
    data = {"request_id": "req-origin", "name": "张先生", "question": "宽带连不上网"}
    response = Client().post("/chat/api/start/", data=json.dumps(data), content_type="application/json")
    return str(response.json()["token"])


def opens(path: str, origin: str, user: User | None = None) -> bool:
    """Whether a socket to `path` from a page of `origin` is accepted (and greeted)."""

    async def scenario() -> bool:
        communicator = WebsocketCommunicator(websocket_application(), path, headers=[(b"origin", origin.encode())])
        if user is not None:
            communicator.scope["user"] = user
        connected, _code = await communicator.connect(timeout=3)
        await communicator.disconnect()
        return bool(connected)

    return bool(run(scenario))


@pytest.mark.django_db(transaction=True)
def test_the_widget_on_a_listed_operator_site_opens_its_chat_socket(chat_queue: Queue, settings) -> None:
    settings.KEFU_CHAT_ALLOWED_ORIGINS = [OPERATOR_SITE]
    path = f"/ws/chat/{chat_token()}/"

    assert opens(path, OPERATOR_SITE) is True
    assert opens(path, ELSEWHERE) is False


@pytest.mark.django_db(transaction=True)
def test_by_default_the_chat_socket_opens_from_the_sites_own_hosts_only(chat_queue: Queue, settings) -> None:
    settings.KEFU_CHAT_ALLOWED_ORIGINS = []
    path = f"/ws/chat/{chat_token()}/"

    assert opens(path, "http://testserver") is True
    assert opens(path, OPERATOR_SITE) is False


@pytest.mark.django_db(transaction=True)
def test_the_desk_socket_stays_same_origin_even_for_listed_chat_sites(alice: User, settings) -> None:
    settings.KEFU_CHAT_ALLOWED_ORIGINS = [OPERATOR_SITE]

    assert opens("/ws/desk/", OPERATOR_SITE, alice) is False
    assert opens("/ws/desk/", "http://testserver", alice) is True
