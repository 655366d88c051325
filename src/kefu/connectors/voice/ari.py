"""The Asterisk gateway for production sites: a Stasis application over ARI (REST + WebSocket).

The dialplan sends the hotline's calls to `Stasis(KEFU_ARI_APP)`. `AriApplication` reads the
event socket (/ari/events) and drives each call with REST commands:

- StasisStart: the call is stored under the channel id (a repeat is a no-op), answered and
  read the menu (`POST /channels/{id}/answer`, `POST /channels/{id}/play?media=sound:…`);
- ChannelDtmfReceived: the menu walks on (the prompt playing is stopped); a queue reached puts
  the call in it with its IVR path and plays music on hold; "1" while waiting asks a callback;
- ChannelHangupRequest / StasisEnd: the hang-up is recorded (abandoned or ended);
- an agent's channel (originated with appArgs "agent,<call>,<agent id>") entering the app is
  the agent answering: it joins the caller in a mixing bridge.

Prompts are the espeak-ng WAVs of `prompts.py`; Asterisk plays them as `sound:kefu/<name>`,
so KEFU_VOICE_PROMPT_DIR is (or is synced to) Asterisk's sounds/kefu directory.
`AriGateway` is the port's commands as REST calls, usable from any Kefu process (the desk).
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import close_old_connections

from kefu.accounts.models import User
from kefu.connectors.voice import prompts
from kefu.connectors.voice.ivr import INVALID_PROMPT, IvrWalk, Menu, QueueTarget
from kefu.connectors.voice.port import (
    CALLBACK_KEY,
    CALLBACK_PROMPT,
    QUEUED_PROMPT,
    AgentAnswered,
    CallHungUp,
    CallStarted,
    VoiceAdapter,
    position_prompt,
)
from kefu.contacts.choices import ContactStatus

logger = logging.getLogger(__name__)
AGENT_LEG = "agent"


class AriAdapter(VoiceAdapter):
    provider = "voice.ari"


class AriError(RuntimeError):
    """Asterisk refused a command or could not be reached."""


class AriClient:
    """ARI's REST interface with HTTP basic authentication."""

    def __init__(self, base_url: str | None = None, username: str | None = None, password: str | None = None) -> None:
        self.base_url = (base_url or settings.KEFU_ARI_URL).rstrip("/")
        user = username if username is not None else settings.KEFU_ARI_USERNAME
        secret = password if password is not None else settings.KEFU_ARI_PASSWORD
        self.credentials = f"{user}:{secret}"
        self.timeout = 5.0

    def request(self, method: str, path: str, **query: str) -> Any:
        url = f"{self.base_url}/ari{path}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        token = base64.b64encode(self.credentials.encode()).decode()
        request = urllib.request.Request(url, method=method, headers={"Authorization": f"Basic {token}"})  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 — the configured ARI URL
                body = response.read()
        except urllib.error.HTTPError as error:
            raise AriError(f"{method} {path}: {error.code} {error.read()[:200]!r}") from error
        except OSError as error:
            raise AriError(f"{method} {path}: {error}") from error
        return json.loads(body) if body else None

    def events_url(self) -> str:
        scheme = "wss" if self.base_url.startswith("https") else "ws"
        host = self.base_url.split("://", 1)[1]
        query = urllib.parse.urlencode({"app": settings.KEFU_ARI_APP, "api_key": self.credentials})
        return f"{scheme}://{host}/ari/events?{query}"


def media_for(text: str) -> str:
    return f"sound:kefu/{prompts.prompt_path(text).stem}"


class AriGateway:
    """`VoiceGateway` over ARI: each command is one REST call about the caller's channel."""

    def __init__(self, client: AriClient | None = None) -> None:
        self.client = client or AriClient()

    def answer(self, call_id: str) -> None:
        self.client.request("POST", f"/channels/{call_id}/answer")

    def play(self, call_id: str, prompt: str) -> None:
        self.client.request("POST", f"/channels/{call_id}/play", media=media_for(prompt))

    def stop_playback(self, playback_id: str) -> None:
        with contextlib.suppress(AriError):  # it had finished already
            self.client.request("DELETE", f"/playbacks/{playback_id}")

    def collect_digits(self, call_id: str, max_digits: int, timeout: float) -> str:
        return ""  # digits arrive as ChannelDtmfReceived events

    def bridge_to_agent(self, call_id: str, agent: User) -> None:
        """Ring the agent's phone; when it answers it enters the app and joins the caller."""
        self.client.request("DELETE", f"/channels/{call_id}/moh")
        endpoint = settings.KEFU_ARI_AGENT_ENDPOINT.format(agent=agent.get_username())
        app_args = f"{AGENT_LEG},{call_id},{agent.pk}"
        self.client.request("POST", "/channels", endpoint=endpoint, app=settings.KEFU_ARI_APP, appArgs=app_args)

    def hold(self, call_id: str, on_hold: bool) -> None:
        self.client.request("POST" if on_hold else "DELETE", f"/channels/{call_id}/hold")

    def transfer(self, call_id: str, queue_code: str) -> None:
        """Back to waiting (the routing services moved the entry): music on hold again."""
        self.client.request("POST", f"/channels/{call_id}/moh")

    def hang_up(self, call_id: str) -> None:
        self.client.request("DELETE", f"/channels/{call_id}", reason="normal")


@dataclass
class AriCall:
    """What the application knows of one caller's channel."""

    call_id: str
    walk: IvrWalk = field(default_factory=IvrWalk)
    queued: bool = False
    playback: str = ""
    hang_up_after_playback: bool = False
    next_announcement: float = 0.0
    bridge: str = ""


class AriApplication:
    """The Stasis application: one event at a time from the socket, commands back over REST."""

    def __init__(
        self,
        adapter: AriAdapter | None = None,
        gateway: AriGateway | None = None,
        announce_seconds: float | None = None,
    ) -> None:
        self.adapter = adapter or AriAdapter()
        self.gateway = gateway or AriGateway()
        self.calls: dict[str, AriCall] = {}
        self.announce_seconds = float(announce_seconds or settings.KEFU_VOICE_ANNOUNCE_SECONDS)

    def run(self, stop: threading.Event) -> None:
        """Read events until `stop`; reconnect after a lost socket."""
        from websockets.exceptions import ConnectionClosed
        from websockets.sync.client import connect

        while not stop.is_set():
            try:
                with connect(self.gateway.client.events_url(), open_timeout=5) as socket:
                    while not stop.is_set():
                        try:
                            message = socket.recv(timeout=1)
                        except TimeoutError:
                            self.tick()
                            continue
                        self.handle(json.loads(message))
            except (OSError, ConnectionClosed) as error:
                logger.warning("ARI events socket: %s; reconnecting", error)
                stop.wait(1)
            finally:
                close_old_connections()

    def handle(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        handler = {
            "StasisStart": self._stasis_start,
            "ChannelDtmfReceived": self._digit,
            "PlaybackFinished": self._playback_finished,
            "ChannelHangupRequest": self._hung_up,
            "StasisEnd": self._hung_up,
        }.get(str(kind))
        if handler is None:
            return
        try:
            handler(event)
        except Exception:
            logger.exception("ARI %s not handled", kind)

    # --- events -----------------------------------------------------------------------------

    def _stasis_start(self, event: dict[str, Any]) -> None:
        channel = event["channel"]
        args = event.get("args") or []
        if args and args[0] == AGENT_LEG:
            self._agent_answered(channel["id"], call_id=args[1], agent_id=int(args[2]))
            return
        delivery = self.adapter.call_started(
            CallStarted(
                call_id=channel["id"],
                caller=channel.get("caller", {}).get("number", ""),
                called=channel.get("dialplan", {}).get("exten", ""),
                caller_name=channel.get("caller", {}).get("name", ""),
            )
        )
        if not delivery.is_new:
            return  # the same StasisStart again
        call = self.calls[channel["id"]] = AriCall(channel["id"])
        self.gateway.answer(call.call_id)
        self._say(call, call.walk.current.prompt)

    def _digit(self, event: dict[str, Any]) -> None:
        call = self.calls.get(event["channel"]["id"])
        if call is None:
            return
        digit = str(event.get("digit", ""))
        if call.queued:
            if digit == CALLBACK_KEY and self.adapter.ask_callback(call.call_id) is not None:
                self._say(call, CALLBACK_PROMPT)
                call.hang_up_after_playback = True
            return
        target = call.walk.press(digit)
        if target is None:
            self._say(call, INVALID_PROMPT + call.walk.current.prompt)
        elif isinstance(target, Menu):
            self._say(call, target.prompt)
        else:
            self._queue(call, target)

    def _queue(self, call: AriCall, target: QueueTarget) -> None:
        self.adapter.enter_queue(call.call_id, target, call.walk.path)
        call.queued = True
        call.next_announcement = time.monotonic() + self.announce_seconds
        self._say(call, QUEUED_PROMPT.format(label=target.label))
        self.gateway.client.request("POST", f"/channels/{call.call_id}/moh")

    def _playback_finished(self, event: dict[str, Any]) -> None:
        target = str(event.get("playback", {}).get("target_uri", ""))
        call = self.calls.get(target.removeprefix("channel:"))
        if call is not None and call.hang_up_after_playback:
            self.gateway.hang_up(call.call_id)

    def _hung_up(self, event: dict[str, Any]) -> None:
        call = self.calls.pop(event["channel"]["id"], None)
        if call is not None:
            self.adapter.call_hung_up(CallHungUp(call_id=call.call_id, cause=str(event.get("cause", ""))))
            if call.bridge:
                self.gateway.client.request("DELETE", f"/bridges/{call.bridge}")

    def _agent_answered(self, agent_channel: str, *, call_id: str, agent_id: int) -> None:
        call = self.calls.get(call_id)
        if call is None:
            self.gateway.hang_up(agent_channel)  # the caller has gone meanwhile
            return
        bridge = self.gateway.client.request("POST", "/bridges", type="mixing")
        call.bridge = bridge["id"]
        channels = f"{call_id},{agent_channel}"
        self.gateway.client.request("POST", f"/bridges/{call.bridge}/addChannel", channel=channels)
        self.adapter.agent_answered(AgentAnswered(call_id=call_id, agent_id=agent_id))

    # --- every second -------------------------------------------------------------------------

    def tick(self) -> None:
        """Queue announcements, and hang up calls the agent ended on the desk."""
        now = time.monotonic()
        for call in list(self.calls.values()):
            if not call.queued:
                continue
            contact = self.adapter.contact_for(call.call_id)
            if contact.status in (ContactStatus.WRAP_UP, ContactStatus.ENDED):
                self.gateway.hang_up(call.call_id)
            elif contact.status == ContactStatus.QUEUED and now >= call.next_announcement:
                call.next_announcement = now + self.announce_seconds
                position = self.adapter.waiting_position(call.call_id)
                if position is not None:
                    self._say(call, position_prompt(*position))

    def _say(self, call: AriCall, text: str) -> None:
        if call.playback:
            self.gateway.stop_playback(call.playback)  # a key pressed cuts the prompt short
        playback = self.gateway.client.request("POST", f"/channels/{call.call_id}/play", media=media_for(text))
        call.playback = str((playback or {}).get("id", ""))


def run(stop: threading.Event) -> None:
    """`kefu voice --gateway ari`: the Stasis application until `stop` is set."""
    AriApplication().run(stop)
