"""The SIP gateway for small sites and tests: a Python SIP user agent (pyVoIP) behind kamailio.

`kefu voice` registers the service number (KEFU_SIP_USERNAME) at the registrar/proxy
(KEFU_SIP_SERVER, kamailio), answers each call, reads the menu's prompts (espeak-ng, cached),
reads the caller's RFC 2833 digits, walks the IVR menu and puts the call into the queue it
chose as a voice contact with its IVR path. While the call waits it hears its position every
KEFU_VOICE_ANNOUNCE_SECONDS and may press 1 to be called back. When an agent takes the call on
the desk the caller hears that they are connected; when the agent hangs up, so does the UA.

Each call runs in its own thread (pyVoIP's model). The desk's softphone reaches the calls of
this process through a small JSON control endpoint on 127.0.0.1:KEFU_SIP_CONTROL_PORT
(`SipControl` is the client side of the port's commands).

pyVoIP 1.6.8 works around two things here: it cannot parse a SIP header with an empty value
(baresip sends `Supported:`), so `_SipClient` drops such lines before parsing; and it runs
the call callback one second after the INVITE, which only delays the first prompt.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection

from kefu.accounts.models import User
from kefu.connectors.voice import prompts
from kefu.connectors.voice.ivr import INVALID_PROMPT, IvrWalk, Menu, QueueTarget
from kefu.connectors.voice.port import (
    CALLBACK_KEY,
    CALLBACK_PROMPT,
    CONNECTED_PROMPT,
    GOODBYE_PROMPT,
    QUEUED_PROMPT,
    CallHungUp,
    CallStarted,
    VoiceAdapter,
    position_prompt,
)
from kefu.contacts.choices import ContactStatus
from kefu.contacts.models import Contact

logger = logging.getLogger(__name__)

FRAME_SECONDS = 0.02
LEAD_SECONDS = 0.3  # audio written ahead of the RTP clock: enough against jitter, short for barge-in
POLL_SECONDS = 0.02
STATUS_POLL_SECONDS = 0.5
FINISHED = (ContactStatus.WRAP_UP, ContactStatus.ENDED, ContactStatus.ABANDONED)


class SipAdapter(VoiceAdapter):
    provider = "voice.sip"


# --- the pyVoIP user agent ---------------------------------------------------------------------

_EMPTY_HEADER = re.compile(rb"^[A-Za-z-]+:[ \t]*\r\n", re.MULTILINE)


def _without_empty_headers(raw: bytes) -> bytes:
    head, separator, body = raw.partition(b"\r\n\r\n")
    return _EMPTY_HEADER.sub(b"", head + b"\r\n").rstrip(b"\r\n") + separator + body


def _phone_class() -> type[Any]:
    """pyVoIP's phone with the header fix (imported late: pyVoIP imports audioop, deprecated)."""
    from pyVoIP.VoIP import VoIPPhone  # first: importing pyVoIP.SIP alone is a circular import

    # isort: split
    from pyVoIP import SIP

    class _SipClient(SIP.SIPClient):
        def recv(self) -> None:
            raw = self.s.recv(8192)  # BlockingIOError goes back to pyVoIP's loop, as there
            if raw == b"\x00\x00\x00\x00":  # keep-alive
                return
            try:
                message = SIP.SIPMessage(_without_empty_headers(raw))
            except Exception as error:
                logger.warning("unparsable SIP message: %s", error)
                return
            try:
                self.parse_message(message)
            except Exception:
                logger.exception("SIP %s not handled", message.method or message.status)

    class _Phone(VoIPPhone):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.sip = _SipClient(
                self.server,
                self.port,
                self.username,
                self.password,
                phone=self,
                myIP=self.myIP,
                myPort=kwargs["sipPort"],
                callCallback=self.callback,
                fatalCallback=self.fatal,
            )

    return _Phone


class CallGone(Exception):
    """The caller hung up while Kefu was talking or listening."""


@dataclass
class SipCall:
    """One answered call: plays prompts, reads digits, knows whether the caller is still there."""

    call: Any  # pyVoIP's VoIPCall
    on_hold: bool = False
    pending_prompts: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def call_id(self) -> str:
        return str(self.call.call_id)

    @property
    def alive(self) -> bool:
        from pyVoIP.VoIP import CallState

        return bool(self.call.state == CallState.ANSWERED)

    def digit(self) -> str:
        return str(self.call.get_dtmf(1))

    def play(self, text: str, *, interruptible: bool = True) -> str:
        """Say `text`; returns the first digit pressed meanwhile ("" if none)."""
        audio = prompts.unsigned_8bit(prompts.telephone_audio(text))
        frame = int(prompts.SAMPLE_RATE * FRAME_SECONDS)
        started = time.monotonic()
        for offset in range(0, len(audio), frame):
            if not self.alive:
                raise CallGone
            if interruptible and (key := self.digit()):
                return key
            while time.monotonic() - started + LEAD_SECONDS < offset / prompts.SAMPLE_RATE:
                time.sleep(POLL_SECONDS)
            self.call.write_audio(audio[offset : offset + frame])
        remaining = len(audio) / prompts.SAMPLE_RATE - (time.monotonic() - started)
        return self.wait_digit(max(0.0, remaining)) if interruptible else ""

    def wait_digit(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive:
                raise CallGone
            if key := self.digit():
                return key
            time.sleep(POLL_SECONDS)
        return ""

    def queue_prompt(self, text: str) -> None:
        """A prompt asked for by a command (from another thread), said at the next chance."""
        with self._lock:
            self.pending_prompts.append(text)

    def take_prompts(self) -> list[str]:
        with self._lock:
            taken, self.pending_prompts = self.pending_prompts, []
        return taken

    def hang_up(self) -> None:
        from pyVoIP.VoIP import InvalidStateError

        with contextlib.suppress(InvalidStateError):  # already over
            self.call.hangup()


class SipGateway:
    """The running UA: the pyVoIP phone, the calls in progress and the commands they take."""

    def __init__(self, adapter: SipAdapter | None = None, *, announce_seconds: float | None = None) -> None:
        self.adapter = adapter or SipAdapter()
        self.calls: dict[str, SipCall] = {}
        self.announce_seconds = float(announce_seconds or settings.KEFU_VOICE_ANNOUNCE_SECONDS)
        self.digit_timeout = float(settings.KEFU_VOICE_DIGIT_TIMEOUT_SECONDS)
        self.phone: Any = None
        self.control: ThreadingHTTPServer | None = None
        self.calls_lock = threading.Lock()

    # --- lifecycle --------------------------------------------------------------------------

    def start(self, *, control_port: int | None = None) -> None:
        phone_class = _phone_class()
        self.phone = phone_class(
            server=settings.KEFU_SIP_SERVER,
            port=settings.KEFU_SIP_PORT,
            username=settings.KEFU_SIP_USERNAME,
            password=settings.KEFU_SIP_PASSWORD,
            myIP=settings.KEFU_SIP_LOCAL_HOST,
            callCallback=self._answer_call,
            sipPort=settings.KEFU_SIP_LOCAL_PORT,
            rtpPortLow=settings.KEFU_SIP_RTP_PORT_MIN,
            rtpPortHigh=settings.KEFU_SIP_RTP_PORT_MAX,
        )
        self.phone.start()
        port = settings.KEFU_SIP_CONTROL_PORT if control_port is None else control_port
        if port:
            self.control = ThreadingHTTPServer(("127.0.0.1", port), _control_handler(self))
            threading.Thread(target=self.control.serve_forever, name="voice-control", daemon=True).start()
        for text in _menu_prompts(IvrWalk().menu):
            prompts.prompt_path(text)  # generate the menu once, before the first caller waits

    @property
    def registered(self) -> bool:
        from pyVoIP.VoIP.status import PhoneStatus

        return self.phone is not None and self.phone.get_status() == PhoneStatus.REGISTERED

    def stop(self) -> None:
        if self.control is not None:
            self.control.shutdown()
            self.control.server_close()
        if self.phone is not None:
            self.phone.stop()

    # --- one call ---------------------------------------------------------------------------

    def _answer_call(self, call: Any) -> None:
        """pyVoIP's thread for one incoming call, from INVITE to hang-up."""
        call_id = str(call.call_id)
        try:
            caller = call.request.headers["From"]
            called = call.request.headers["To"]
            self.adapter.call_started(CallStarted(call_id=call_id, caller=caller["number"], called=called["number"]))
            try:
                call.answer()
            except OSError:
                call.deny()  # no RTP port: the caller hears busy rather than ringing forever
                raise
            session = SipCall(call)
            with self.calls_lock:
                self.calls[call_id] = session
            self._walk(session)
        except CallGone:
            pass  # the caller hung up; recorded below
        except Exception:
            logger.exception("call %s failed", call_id)
        finally:
            with self.calls_lock:
                session_gone = self.calls.pop(call_id, None)
            if session_gone is not None:
                session_gone.hang_up()
            try:
                self.adapter.call_hung_up(CallHungUp(call_id=call_id))
            finally:
                close_old_connections()
                connection.close()

    def _walk(self, session: SipCall) -> None:
        walk = IvrWalk()
        prompt = walk.current.prompt
        target: Menu | QueueTarget | None = None
        while not isinstance(target, QueueTarget):
            key = session.play(prompt) or session.wait_digit(self.digit_timeout)
            target = walk.press(key) if key else walk.miss()
            if target is None:
                prompt = INVALID_PROMPT + walk.current.prompt
            elif isinstance(target, Menu):
                prompt = target.prompt
        self.adapter.enter_queue(session.call_id, target, walk.path)
        self._wait(session, target)

    def _wait(self, session: SipCall, target: QueueTarget) -> None:
        key = session.play(QUEUED_PROMPT.format(label=target.label))
        next_announcement = time.monotonic()
        connected = False
        while True:
            for text in session.take_prompts():
                key = key or session.play(text)
            status = Contact.objects.filter(pk=self.adapter.contact_for(session.call_id).pk).values_list(
                "status", flat=True
            )[0]
            if status in FINISHED:
                session.play(GOODBYE_PROMPT, interruptible=False)
                return
            if status == ContactStatus.ACTIVE:
                if not connected:
                    connected = True
                    session.play(CONNECTED_PROMPT, interruptible=False)
            elif key == CALLBACK_KEY and self.adapter.ask_callback(session.call_id) is not None:
                session.play(CALLBACK_PROMPT, interruptible=False)
                return
            elif time.monotonic() >= next_announcement and not session.on_hold:
                next_announcement = time.monotonic() + self.announce_seconds
                position = self.adapter.waiting_position(session.call_id)
                if position is not None:
                    key = session.play(position_prompt(*position))
                    continue
            key = session.wait_digit(STATUS_POLL_SECONDS)

    # --- commands (the port) for the calls of this process -------------------------------------

    def command(self, call_id: str, name: str, argument: str = "") -> bool:
        with self.calls_lock:
            session = self.calls.get(call_id)
        if session is None:
            return False
        if name == "hang_up":
            session.hang_up()
        elif name == "hold":
            session.on_hold = argument == "on"
        elif name in ("play", "bridge", "transfer"):
            session.queue_prompt(argument or CONNECTED_PROMPT)
        else:
            return False
        return True


def _menu_prompts(menu: Menu) -> list[str]:
    texts = [menu.prompt, INVALID_PROMPT + menu.prompt]
    for option in menu.options.values():
        if isinstance(option, Menu):
            texts += _menu_prompts(option)
    return texts


def _control_handler(gateway: SipGateway) -> type[BaseHTTPRequestHandler]:
    class Control(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
                done = gateway.command(str(body["call_id"]), str(body["command"]), str(body.get("argument", "")))
            except (ValueError, KeyError):
                self.send_response(HTTPStatus.BAD_REQUEST)
                self.end_headers()
                return
            self.send_response(HTTPStatus.OK if done else HTTPStatus.NOT_FOUND)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            logger.debug(format, *args)

    return Control


# --- the port's commands, from another process (the desk's softphone) ------------------------------


class SipControl:
    """`VoiceGateway` for the web process: commands go to `kefu voice`'s control endpoint."""

    def __init__(self, port: int | None = None, timeout: float = 5.0) -> None:
        self.url = f"http://127.0.0.1:{port or settings.KEFU_SIP_CONTROL_PORT}/"
        self.timeout = timeout

    def _send(self, call_id: str, command: str, argument: str = "") -> None:
        data = json.dumps({"call_id": call_id, "command": command, "argument": argument}).encode()
        request = urllib.request.Request(self.url, data=data, headers={"Content-Type": "application/json"})  # noqa: S310
        with urllib.request.urlopen(request, timeout=self.timeout):  # noqa: S310 — a local http URL
            pass

    def answer(self, call_id: str) -> None:
        """The UA answers every call itself, before its menu."""

    def play(self, call_id: str, prompt: str) -> None:
        self._send(call_id, "play", prompt)

    def collect_digits(self, call_id: str, max_digits: int, timeout: float) -> str:
        return ""  # the UA collects digits for its menu itself

    def bridge_to_agent(self, call_id: str, agent: User) -> None:
        self._send(call_id, "bridge", CONNECTED_PROMPT)

    def hold(self, call_id: str, on_hold: bool) -> None:
        self._send(call_id, "hold", "on" if on_hold else "off")

    def transfer(self, call_id: str, queue_code: str) -> None:
        self._send(call_id, "transfer", QUEUED_PROMPT.format(label=""))

    def hang_up(self, call_id: str) -> None:
        self._send(call_id, "hang_up")


def run(stop: threading.Event, *, ready: Callable[[SipGateway], None] | None = None) -> None:
    """`kefu voice`: register and take calls until `stop` is set."""
    gateway = SipGateway()
    gateway.start()
    logger.info("voice: registered as %s at %s:%s", settings.KEFU_SIP_USERNAME, settings.KEFU_SIP_SERVER,
                settings.KEFU_SIP_PORT)  # fmt: skip
    if ready is not None:
        ready(gateway)
    try:
        stop.wait()
    finally:
        gateway.stop()
