"""`kefu serve` as production runs it (uvicorn): pages over HTTP and the desk's WebSocket."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import websockets

KEFU = str(Path(sys.executable).with_name("kefu"))

MAKE_AGENT = """
from django.contrib.sessions.backends.db import SessionStore
from kefu.accounts.models import User
user = User.objects.create_user("serve_agent", password="x-Kefu-2026")
session = SessionStore()
session["_auth_user_id"] = str(user.pk)
session["_auth_user_backend"] = "kefu.accounts.backends.StaffBackend"
session["_auth_user_hash"] = user.get_session_auth_hash()
session.create()
print(session.session_key)
"""


SECRET = "serve-test-secret"
COUNT_ITEMS = "from kefu.contacts.models import InboundItem; print(InboundItem.objects.count())"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    env = {**os.environ, "KEFU_DATA_DIR": str(tmp_path_factory.mktemp("serve")), "KEFU_SMS_CALLBACK_SECRET": SECRET}
    env.pop("DATABASE_URL", None)  # its own SQLite file: the server is another process
    subprocess.run([KEFU, "migrate", "-v", "0"], env=env, check=True)  # noqa: S603 - our own command
    session = subprocess.run(  # noqa: S603 - our own command
        [KEFU, "shell", "-c", MAKE_AGENT], env=env, check=True, capture_output=True, text=True
    ).stdout.split()[-1]
    port = _free_port()
    server = subprocess.Popen([KEFU, "serve", "--port", str(port)], env=env, start_new_session=True)  # noqa: S603
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            assert server.poll() is None, "kefu serve exited"
            assert time.monotonic() < deadline, "kefu serve did not start"
            time.sleep(0.1)
    yield f"127.0.0.1:{port}", session, env
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=15)


def test_serves_the_sign_in_page_in_chinese(served: tuple[str, str, dict[str, str]]) -> None:
    address, _session, _env = served
    with urllib.request.urlopen(f"http://{address}/login/", timeout=10) as response:
        assert response.status == 200
        assert "登录" in response.read().decode()


def test_the_desk_socket_greets_a_signed_in_agent_and_refuses_a_stranger(
    served: tuple[str, str, dict[str, str]],
) -> None:
    address, session, _env = served
    origin = {"Origin": f"http://{address}"}

    async def talk() -> tuple[dict[str, str], int]:
        url = f"ws://{address}/ws/desk/"
        async with websockets.connect(url, additional_headers={**origin, "Cookie": f"sessionid={session}"}) as desk:
            hello = json.loads(await asyncio.wait_for(desk.recv(), 10))
            await desk.send(json.dumps({"type": "ping"}))
            assert json.loads(await asyncio.wait_for(desk.recv(), 10)) == {"type": "pong"}
        # Closed before it is accepted: the handshake itself is refused.
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with websockets.connect(url, additional_headers=origin):
                pass
        return hello, refused.value.response.status_code

    hello, refused_with = asyncio.run(talk())
    assert hello == {"type": "hello", "user": "serve_agent"}
    assert refused_with == 403


def test_gateway_webhooks_go_through_their_own_lean_handler(served: tuple[str, str, dict[str, str]]) -> None:
    address, _session, env = served
    mo = "id=kannel-1&from=13812345678&to=10086&text=%E6%9F%A5%E8%AF%A2&charset=UTF-8&coding=0"

    def call(secret: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"http://{address}/hooks/sms/kannel/{secret}/mo?{mo}", timeout=10) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as refused:
            return refused.code, refused.read().decode()

    assert call("wrong") == (403, "bad secret")
    assert call(SECRET) == (200, "")
    assert call(SECRET) == (200, "")  # Kannel retrying: stored once
    stored = subprocess.run(  # noqa: S603 - our own command
        [KEFU, "shell", "-c", COUNT_ITEMS], env=env, check=True, capture_output=True, text=True
    ).stdout.split()[-1]
    assert stored == "1"
