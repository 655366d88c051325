# ruff: noqa: S310, S603 — the tests drive peer processes they started on 127.0.0.1
"""The SMS peers the tests start on 127.0.0.1 and stop by process id: Kannel's bearerbox and
smsbox with its fake SMSC, a `fakesmsc` per customer phone, and the SMPP SMSC simulator.

A peer that cannot start fails the test (never a skip): CI installs Kannel with
`apt-get install kannel kannel-extras`.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

FAKESMSC = Path("/usr/lib/kannel/test/fakesmsc")
SMSC_SIM = Path(__file__).with_name("smsc_sim.py")
KANNEL_MISSING = (
    "Kannel is not installed: the SMS tests need bearerbox/smsbox (Debian `kannel`) and the fake SMSC "
    f"{FAKESMSC} (Debian `kannel-extras`): apt-get install kannel kannel-extras"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{process.args[0]} exited with {process.returncode}:\n{tail(log)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    stop(process)
    pytest.fail(f"{process.args[0]} did not listen on {port} within {timeout:.0f} s:\n{tail(log)}")


def wait_for(check: Callable[[], Any], timeout: float = 30, what: str = "the condition") -> Any:
    """Poll `check` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


def start(argv: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def stop(process: subprocess.Popen[bytes], timeout: float = 10) -> None:
    """Stop a peer by its process id: SIGTERM, then SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    os.kill(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


# --- Kannel -------------------------------------------------------------------------------------


def require_kannel() -> tuple[str, str]:
    bearerbox, smsbox = shutil.which("bearerbox") or "/usr/sbin/bearerbox", shutil.which("smsbox") or "/usr/sbin/smsbox"
    if not (os.access(bearerbox, os.X_OK) and os.access(smsbox, os.X_OK) and os.access(FAKESMSC, os.X_OK)):
        pytest.fail(KANNEL_MISSING)
    return bearerbox, smsbox


@dataclass
class Kannel:
    """bearerbox + smsbox with a fake SMSC; MO and DLR callbacks go to `callback_base`."""

    directory: Path
    callback_base: str
    secret: str
    username: str = "kefu"
    password: str = "sendpw-test"
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.admin_port, self.box_port, self.smsc_port, self.sendsms_port = (free_port() for _ in range(4))

    @property
    def sendsms_url(self) -> str:
        return f"http://127.0.0.1:{self.sendsms_port}/cgi-bin/sendsms"

    @property
    def smsbox_log(self) -> Path:
        return self.directory / "smsbox.log"

    def config(self) -> str:
        mo_url = (
            f"{self.callback_base}/hooks/sms/kannel/{self.secret}/mo"
            "?id=%I&from=%p&to=%P&text=%b&coding=%c&charset=%C&smsc=%i&at=%T"
        )
        return f"""
group = core
admin-port = {self.admin_port}
admin-password = admin-test
admin-interface = 127.0.0.1
admin-allow-ip = 127.0.0.1
smsbox-port = {self.box_port}
box-allow-ip = 127.0.0.1
log-file = "{self.directory / "bearerbox.log"}"
log-level = 0
access-log = "{self.directory / "access.log"}"
dlr-storage = internal

group = smsc
smsc = fake
smsc-id = fake
port = {self.smsc_port}
connect-allow-ip = 127.0.0.1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {self.box_port}
sendsms-port = {self.sendsms_port}
sendsms-interface = 127.0.0.1
log-file = "{self.smsbox_log}"
log-level = 0

group = sendsms-user
username = {self.username}
password = {self.password}
concatenation = true
max-messages = 10

group = sms-service
keyword = default
catch-all = true
get-url = "{mo_url}"
omit-empty = true
max-messages = 0
"""

    def start(self) -> None:
        bearerbox, smsbox = require_kannel()
        conf = self.directory / "kannel.conf"
        conf.write_text(self.config())
        bb = start([bearerbox, str(conf)], self.directory / "bearerbox.out")
        self.processes.append(bb)
        wait_for_port(self.box_port, bb, self.directory / "bearerbox.log")
        sb = start([smsbox, str(conf)], self.directory / "smsbox.out")
        self.processes.append(sb)
        wait_for_port(self.sendsms_port, sb, self.smsbox_log)

    def stop(self) -> None:
        for process in reversed(self.processes):
            stop(process)
        self.processes.clear()

    def mo_requests(self) -> list[str]:
        """The MO callback URLs smsbox requested (from its debug log)."""
        marker = "Parsing URL `"
        urls = []
        for line in self.smsbox_log.read_text(errors="replace").splitlines():
            if marker in line and "/mo?" in line:
                urls.append(line.split(marker, 1)[1].rstrip("':"))
        return urls


@dataclass
class Phone:
    """A customer's phone behind the fake SMSC: `fakesmsc` sends its SMS and prints what it gets."""

    kannel: Kannel
    directory: Path
    number: str = "13812345678"
    service_number: str = "10086"
    process: subprocess.Popen[bytes] | None = None
    logs: list[Path] = field(default_factory=list)

    def send(self, text: str) -> None:
        """One SMS from this phone (a fresh fakesmsc connection that stays to receive replies)."""
        self.hang_up()
        log = self.directory / f"fakesmsc-{len(self.logs)}.log"
        self.logs.append(log)
        data = urllib.parse.quote_from_bytes(text.encode("utf-16-be"), safe="")
        message = f"{self.number} {self.service_number} ucs2 {data}"
        self.process = start(
            [str(FAKESMSC), "-H", "127.0.0.1", "-r", str(self.kannel.smsc_port), "-i", "0", "-m", "1", message], log
        )

    def hang_up(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None

    def received(self) -> list[tuple[str, str, str]]:
        """(from, to, text) of every SMS the phone got, concatenated segments put together."""
        whole: list[tuple[str, str, str]] = []
        pending: dict[tuple[str, int], dict[int, bytes]] = {}
        for log in self.logs:
            for line in log.read_text(errors="replace").splitlines():
                if "Got message" not in line or "<" not in line:
                    continue
                body = line.split("<", 1)[1].rsplit(">", 1)[0]
                sender, receiver, rest = body.split(" ", 2)
                udh = b""
                if rest.startswith("udh "):
                    _, encoded_udh, rest = rest.split(" ", 2)
                    udh = urllib.parse.unquote_to_bytes(encoded_udh)
                kind, data = rest.split(" ", 1)
                # fakesmsc prints "ucs-2" for a UCS-2 SMS, "data" for a UCS-2 segment after a UDH
                # (Kefu sends every non-GSM text as UCS-2), "text" for plain GSM text.
                binary = kind in ("data", "ucs-2", "ucs2")
                raw = urllib.parse.unquote_to_bytes(data) if binary else data.encode()
                if udh:
                    reference, total, number = udh[3], udh[4], udh[5]
                    parts = pending.setdefault((sender, reference), {})
                    parts[number] = raw
                    if len(parts) < total:
                        continue
                    raw = b"".join(parts[n] for n in sorted(parts))
                    del pending[(sender, reference)]
                text = raw.decode("utf-16-be") if binary else raw.decode()
                whole.append((sender, receiver, text))
        return whole


# --- the SMPP SMSC simulator ---------------------------------------------------------------------


@dataclass
class Smsc:
    directory: Path
    system_id: str = "kefu"
    password: str = "smpptest"  # SMPP passwords have at most 8 characters
    process: subprocess.Popen[bytes] | None = None

    def __post_init__(self) -> None:
        self.port, self.control_port = free_port(), free_port()

    def start(self) -> None:
        log = self.directory / "smsc.log"
        argv = [
            sys.executable, str(SMSC_SIM), "--port", str(self.port), "--control-port", str(self.control_port),
            "--system-id", self.system_id, "--password", self.password,
        ]  # fmt: skip
        self.process = start(argv, log)
        wait_for_port(self.port, self.process, log)
        wait_for_port(self.control_port, self.process, log)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        import json
        import urllib.request

        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.control_port}{path}", data=data, method=method,
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def state(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/state")
        return result

    def customer_sms(self, sender: str, recipient: str, text: str, repeat: int = 1) -> int:
        return int(
            self._call("POST", "/mo", {"from": sender, "to": recipient, "text": text, "repeat": repeat})["parts"]
        )

    def receipt(self, message_id: str, stat: str = "DELIVRD") -> None:
        self._call("POST", "/receipt", {"message_id": message_id, "stat": stat})

    def drop(self) -> int:
        return int(self._call("POST", "/drop", {})["dropped"])
