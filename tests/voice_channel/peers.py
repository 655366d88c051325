"""The voice peers the tests start on 127.0.0.1 and stop by process id: kamailio as the
registrar/proxy and baresip as the customer's SIP phone (driven through its ctrl_tcp socket,
sending RFC 2833 digits).

A peer that cannot start fails the test (never a skip): CI installs them with
`apt-get install kamailio baresip espeak-ng`.
"""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from kefu.connectors.voice.kamailio import MODULES as KAMAILIO_MODULES
from kefu.connectors.voice.kamailio import kamailio_config
from tests.sms_channel.peers import free_port, start, stop, tail, wait_for, wait_for_port

BARESIP_MODULES = Path("/usr/lib/baresip/modules")
MISSING = "{} is not installed: the voice tests need Debian's kamailio, baresip and espeak-ng ({})"

__all__ = ["AriSimulator", "Baresip", "Kamailio", "free_port", "free_udp_port", "wait_for"]


def require(program: str, package: str) -> str:
    path = shutil.which(program) or shutil.which(program, path="/usr/sbin:/usr/bin")
    if path is None:
        pytest.fail(MISSING.format(program, f"apt-get install {package}"))
    return path


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def sip_options(port: int, timeout: float = 0.5) -> str:
    """Send an OPTIONS to 127.0.0.1:port; the status line of the answer, or ""."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        probe.settimeout(timeout)
        local = probe.getsockname()[1]
        branch, tag = uuid.uuid4().hex, uuid.uuid4().hex[:8]
        request = (
            f"OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{local};branch=z9hG4bK{branch}\r\n"
            f"Max-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag={tag}\r\nTo: <sip:127.0.0.1:{port}>\r\n"
            f"Call-ID: {branch}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
        )
        probe.sendto(request.encode(), ("127.0.0.1", port))
        try:
            return probe.recv(4096).split(b"\r\n", 1)[0].decode()
        except OSError:
            return ""


@dataclass
class Kamailio:
    """kamailio as registrar and stateful proxy on 127.0.0.1 (no authentication: a test site)."""

    directory: Path
    port: int = field(default_factory=free_udp_port)
    process: Any = None

    @property
    def log(self) -> Path:
        return self.directory / "kamailio.log"

    def config(self) -> str:
        return kamailio_config("127.0.0.1", self.port, modules=KAMAILIO_MODULES)

    def start(self) -> None:
        program = require("kamailio", "kamailio")
        if not KAMAILIO_MODULES.is_dir():
            pytest.fail(MISSING.format("kamailio's modules", "apt-get install kamailio"))
        conf = self.directory / "kamailio.cfg"
        conf.write_text(self.config())
        argv = [program, "-f", str(conf), "-DD", "-E", "-Y", str(self.directory), "-m", "64", "-M", "8"]
        self.process = start(argv, self.log)
        deadline = time.monotonic() + 20
        while not sip_options(self.port).endswith("200 Alive"):
            if self.process.poll() is not None or time.monotonic() > deadline:
                stop(self.process)
                pytest.fail(f"kamailio did not answer on udp {self.port}:\n{tail(self.log)}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None


@dataclass
class Baresip:
    """The customer's SIP phone: dials through kamailio, sends RFC 2833 digits, hangs up."""

    directory: Path
    number: str
    proxy_port: int
    sip_port: int = field(default_factory=free_udp_port)
    control_port: int = field(default_factory=free_port)
    process: Any = None
    events: list[dict[str, Any]] = field(default_factory=list)
    _socket: socket.socket | None = None
    _reader: threading.Thread | None = None

    @property
    def log(self) -> Path:
        return self.directory / "baresip.log"

    def start(self) -> None:
        program = require("baresip", "baresip")
        self.directory.mkdir(parents=True, exist_ok=True)
        rtp = free_udp_port() // 2 * 2
        (self.directory / "config").write_text(
            f"""poll_method epoll
sip_listen 127.0.0.1:{self.sip_port}
net_interface 127.0.0.1
audio_player aufile,{self.directory / "heard.wav"}
audio_source ausine,440
ausrc_srate 48000
ausrc_channels 2
auplay_srate 8000
audio_alert aufile,/dev/null
rtp_ports {rtp}-{rtp + 9}
module_path {BARESIP_MODULES}
module g711.so
module ausine.so
module aufile.so
module account.so
module_app menu.so
module_app ctrl_tcp.so
ctrl_tcp_listen 127.0.0.1:{self.control_port}
"""
        )
        (self.directory / "accounts").write_text(f"<sip:{self.number}@127.0.0.1>;regint=0\n")
        self.process = start([program, "-4", "-f", str(self.directory)], self.log)
        wait_for_port(self.control_port, self.process, self.log)
        self._socket = socket.create_connection(("127.0.0.1", self.control_port), timeout=5)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        buffer = b""
        peer = self._socket
        assert peer is not None
        peer.settimeout(None)
        while True:
            try:
                chunk = peer.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buffer += chunk
            while b":" in buffer:
                length, rest = buffer.split(b":", 1)
                if len(rest) < int(length) + 1:
                    break
                self.events.append(json.loads(rest[: int(length)]))
                buffer = rest[int(length) + 1 :]

    def _command(self, command: str, params: str = "") -> None:
        data = json.dumps({"command": command, "params": params, "token": command}).encode()
        assert self._socket is not None, "baresip is not started"
        self._socket.sendall(str(len(data)).encode() + b":" + data + b",")

    def event_types(self) -> list[str]:
        return [str(event.get("type")) for event in self.events if event.get("event")]

    def dial(self, number: str) -> None:
        self._command("dial", f"sip:{number}@127.0.0.1:{self.proxy_port}")
        wait_for(
            lambda: "CALL_ESTABLISHED" in self.event_types(),
            20,
            f"the call to {number} to be answered:\n{tail(self.log)}\n{self.events}",
        )

    def press(self, digits: str, gap: float = 0.5) -> None:
        """RFC 2833 digits, one after the other like a person on the keypad."""
        for digit in digits:
            self._command("sndcode", digit)
            time.sleep(gap)

    def hang_up(self) -> None:
        self._command("hangup")

    def closed(self) -> bool:
        return "CALL_CLOSED" in self.event_types()

    def stop(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        if self.process is not None:
            stop(self.process)
            self.process = None


ARI_SIM = Path(__file__).with_name("ari_sim.py")


@dataclass
class AriSimulator:
    """The ARI simulator (ari_sim.py): Asterisk's REST + event socket; /sim/* plays the caller."""

    directory: Path
    username: str = "kefu"
    password: str = "ari-test-secret"
    app: str = "kefu"
    port: int = field(default_factory=free_port)
    process: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        import sys

        log = self.directory / "ari_sim.log"
        argv = [sys.executable, str(ARI_SIM), "--port", str(self.port), "--username", self.username,
                "--password", self.password, "--app", self.app]  # fmt: skip
        self.process = start(argv, log)
        wait_for_port(self.port, self.process, log)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None

    def _sim(self, path: str, **query: str) -> Any:
        import urllib.parse
        import urllib.request

        url = f"{self.url}/sim/{path}?{urllib.parse.urlencode(query)}"
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 — the simulator on 127.0.0.1
            return json.loads(response.read())

    def call(self, channel_id: str, caller: str, exten: str = "10086") -> None:
        self._sim("call", id=channel_id, caller=caller, exten=exten)

    def press(self, channel_id: str, digits: str) -> None:
        for digit in digits:
            self._sim("dtmf", id=channel_id, digit=digit)

    def hang_up(self, channel_id: str) -> None:
        self._sim("hangup", id=channel_id)

    def connected(self) -> bool:
        return bool(self._sim("sockets")["connected"])

    def requests(self) -> list[tuple[str, str]]:
        """(method, path) of every REST call Kefu made, in order."""
        return [(request["method"], request["path"]) for request in self._sim("requests")]

    def media_played(self, channel_id: str) -> list[str]:
        return [
            request["query"]["media"]
            for request in self._sim("requests")
            if request["path"] == f"/ari/channels/{channel_id}/play"
        ]
