# ruff: noqa: S310 — the tests drive peer processes they started on 127.0.0.1
"""The IM platforms' process (platform_sim.py) per test, pointed at the live server, and the IM queue."""

from __future__ import annotations

import json
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache

from kefu.accounts.models import AgentSkill, Skill
from kefu.routing.models import Queue
from tests.sms_channel.peers import free_port, start, stop, wait_for_port

WEBHOOK_SECRET = "whsec-test-5f2c9e"
WECHAT_TOKEN = "kefu-wechat-token"
WECHAT_APPID = "wx0123456789abcdef"
WECHAT_APPSECRET = "wechat-appsecret-test"
PLATFORM_SIM = Path(__file__).with_name("platform_sim.py")


@dataclass
class Platform:
    port: int

    def _call(self, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", data=data, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def state(self) -> dict[str, Any]:
        return dict(self._call("/_state"))

    def deliver(self, payload: dict[str, Any], **options: Any) -> list[dict[str, Any]]:
        return list(self._call("/_deliver", {"payload": payload, **options}))

    def push(self, fields: dict[str, Any], **options: Any) -> list[dict[str, Any]]:
        return list(self._call("/_push", {"fields": fields, **options}))

    def verify(self, echostr: str, **options: Any) -> dict[str, Any]:
        return dict(self._call("/_verify", {"echostr": echostr, **options}))

    def expire_token(self) -> None:
        self._call("/_expire_token", {})


@pytest.fixture
def platform(live_server, settings, tmp_path):
    port = free_port()
    settings.KEFU_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.KEFU_WEBHOOK_OUTBOUND_URL = f"http://127.0.0.1:{port}/inbox"
    settings.KEFU_WECHAT_TOKEN = WECHAT_TOKEN
    settings.KEFU_WECHAT_APPID, settings.KEFU_WECHAT_APPSECRET = WECHAT_APPID, WECHAT_APPSECRET
    settings.KEFU_WECHAT_API_BASE = f"http://127.0.0.1:{port}"
    cache.clear()  # no access token from another test
    argv = [
        sys.executable, str(PLATFORM_SIM), "--port", str(port),
        "--webhook-secret", WEBHOOK_SECRET, "--webhook-target", f"{live_server.url}/hooks/im/webhook/",
        "--wechat-token", WECHAT_TOKEN, "--wechat-appid", WECHAT_APPID, "--wechat-appsecret", WECHAT_APPSECRET,
        "--wechat-target", f"{live_server.url}/hooks/im/wechat/",
    ]  # fmt: skip
    log = tmp_path / "platform.log"
    process = start(argv, log)
    wait_for_port(port, process, log)
    yield Platform(port)
    stop(process)
    cache.clear()


@pytest.fixture
def im_queue(transactional_db, alice):
    skill = Skill.objects.create(code="IMQ", name="在线社交")
    AgentSkill.objects.create(agent=alice, skill=skill, level=3)
    return Queue.objects.create(code="IM", name="微信/社交", channels=["im"], skill=skill)
