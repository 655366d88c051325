"""SIP calls through kamailio into the Kefu SIP user agent: does it keep up with 10 calls/s and
40 calls at once, with every call's digits received?

    .venv/bin/python bench/sip_calls.py                # 300 calls at 10/s, each held ~4 s (≈ 40 at once)
    .venv/bin/python bench/sip_calls.py --small        # 60 calls: a smoke run

Uses (creates, migrates) the PostgreSQL database `kefu_bench_sip` with the demo's voice queues
and no agent, so every call stays queued. Starts kamailio (registrar/proxy) on 127.0.0.1 and the
SIP UA (`kefu voice`, this script with --serve) as a process of its own. The callers are a small
SIP/RTP load generator in this process: each INVITEs 10086 through kamailio, and once answered
sends the RFC 2833 digits 2 then 1 (faults → broadband), waits in the queue, and hangs up.

Target: >= 10 calls/s offered, >= 40 concurrent calls, and every call's contact with IVR path
"2>1" in queue BB (its digits were received) and ended as abandoned after the hang-up.
Exits 1 when it fails.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as common

DB = "kefu_bench_sip"
SERVICE = "10086"
DIGITS = "21"
TARGET_RATE, TARGET_CONCURRENT = 10.0, 40


# --- the Kefu side ------------------------------------------------------------------------------


def prepare() -> None:
    from kefu.accounts.models import Skill
    from kefu.contacts.models import Contact
    from kefu.routing.models import Queue

    Contact.objects.filter(channel="voice").delete()
    mobile = Skill.objects.get_or_create(code="mobile", defaults={"name": "移动业务"})[0]
    broadband = Skill.objects.get_or_create(code="broadband", defaults={"name": "宽带电视"})[0]
    Queue.objects.update_or_create(code="VOICE", defaults={"name": "10086热线", "channels": ["voice"], "skill": mobile})
    Queue.objects.update_or_create(
        code="BB", defaults={"name": "宽带电视专席", "channels": ["chat", "voice"], "skill": broadband}
    )


def serve() -> int:
    """The UA process (what `kefu voice` runs), configured by the environment."""
    import django

    django.setup()
    from kefu.connectors.voice import sip

    stop = threading.Event()
    import signal

    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    sip.run(stop, ready=lambda _gateway: print("registered", flush=True))
    return 0


# --- the callers ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    call_id: str
    answered_ms: float | None = None
    error: str = ""


def free_udp_port() -> int:
    with _free_udp() as probe:
        return int(probe.getsockname()[1])


def _free_udp() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    return sock


def _header(message: str, name: str) -> str:
    match = re.search(rf"^{name}:\s*(.*)$", message, re.MULTILINE | re.IGNORECASE)
    return match.group(1).strip() if match else ""


def _dtmf(rtp: socket.socket, target: tuple[str, int], digit: str, seq: int, stamp: int, ssrc: int) -> int:
    """One RFC 2833 event: start (marker set), an update, three end packets."""
    event = "0123456789*#".index(digit)
    for index, (end, duration) in enumerate(((0, 160), (0, 320), (1, 480), (1, 480), (1, 480))):
        marker = 0x80 if index == 0 else 0
        header = struct.pack("!BBHII", 0x80, marker | 101, seq & 0xFFFF, stamp, ssrc)
        payload = struct.pack("!BBH", event, (end << 7) | 10, duration)
        rtp.sendto(header + payload, target)
        seq += 1
        time.sleep(0.02)
    return seq


def call(kamailio_port: int, number: str, hold_seconds: float) -> Outcome:
    sip, rtp = _free_udp(), _free_udp()
    sip.settimeout(0.5)
    local, rtp_port = sip.getsockname()[1], rtp.getsockname()[1]
    call_id, tag = uuid.uuid4().hex, uuid.uuid4().hex[:10]
    outcome = Outcome(call_id)
    sdp = (
        f"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        f"m=audio {rtp_port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
        "a=fmtp:101 0-15\r\na=sendrecv\r\n"
    )
    to = f"<sip:{SERVICE}@127.0.0.1:{kamailio_port}>"
    common_headers = f"From: <sip:{number}@127.0.0.1>;tag={tag}\r\nCall-ID: {call_id}\r\nMax-Forwards: 70\r\n"
    invite = (
        f"INVITE sip:{SERVICE}@127.0.0.1:{kamailio_port} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{local};branch=z9hG4bK{uuid.uuid4().hex};rport\r\n{common_headers}"
        f"To: {to}\r\nCSeq: 1 INVITE\r\nContact: <sip:{number}@127.0.0.1:{local}>\r\n"
        f"Content-Type: application/sdp\r\nContent-Length: {len(sdp)}\r\n\r\n{sdp}"
    )
    began = time.perf_counter()
    try:
        sip.sendto(invite.encode(), ("127.0.0.1", kamailio_port))
        retransmit_at, interval = time.perf_counter() + 0.5, 0.5  # RFC 3261 timer A, until a response
        provisional = False
        while True:
            try:
                answer = sip.recv(65535).decode(errors="replace")
            except TimeoutError:
                if time.perf_counter() - began > 16:
                    raise
                if not provisional and time.perf_counter() >= retransmit_at:
                    sip.sendto(invite.encode(), ("127.0.0.1", kamailio_port))
                    retransmit_at, interval = time.perf_counter() + interval * 2, interval * 2
                continue
            provisional = provisional or answer.startswith("SIP/2.0 1")
            status = answer.split(" ", 2)[1] if answer.startswith("SIP/2.0") else ""
            if status == "200" and "INVITE" in _header(answer, "CSeq"):
                break
            if status and status[0] in "3456":
                raise RuntimeError(f"INVITE refused: {answer.splitlines()[0]}")
        outcome.answered_ms = (time.perf_counter() - began) * 1000
        to_tagged = _header(answer, "To")
        contact = _header(answer, "Contact").strip("<>").split(">")[0]
        host, port = contact.split("@", 1)[1].split(";")[0].split(":")
        media = re.search(r"^m=audio (\d+)", answer, re.MULTILINE)
        address = re.search(r"^c=IN IP4 (\S+)", answer, re.MULTILINE)
        if media is None or address is None:
            raise RuntimeError("the answer had no audio")
        remote = (address.group(1), int(media.group(1)))

        def request(method: str, cseq: int) -> str:
            return (
                f"{method} {contact} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{local};branch=z9hG4bK{uuid.uuid4().hex}"
                f"\r\n{common_headers}To: {to_tagged}\r\nCSeq: {cseq} {method}\r\nContent-Length: 0\r\n\r\n"
            )

        sip.sendto(request("ACK", 1).encode(), (host, int(port)))
        seq, stamp, ssrc = random.randint(1, 1000), random.randint(1, 10**6), random.randint(1, 2**31)
        time.sleep(0.8)
        for digit in DIGITS:
            seq = _dtmf(rtp, remote, digit, seq, stamp, ssrc)
            stamp += 1600
            time.sleep(0.6)
        time.sleep(max(0.0, hold_seconds - (time.perf_counter() - began)))
        sip.sendto(request("BYE", 2).encode(), (host, int(port)))
    except (OSError, RuntimeError, ValueError) as error:
        outcome.error = str(error) or type(error).__name__
    finally:
        sip.close()
        rtp.close()
    return outcome


def run_calls(kamailio_port: int, calls: int, rate: float, hold_seconds: float) -> tuple[list[Outcome], int, float]:
    outcomes: list[Outcome] = []
    lock = threading.Lock()
    active, peak = 0, 0

    def one(index: int) -> None:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        outcome = call(kamailio_port, f"139{index:08d}", hold_seconds)
        with lock:
            active -= 1
            outcomes.append(outcome)

    threads = []
    began = time.perf_counter()
    for index in range(calls):
        delay = began + index / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        thread = threading.Thread(target=one, args=(index,))
        thread.start()
        threads.append(thread)
    offered_seconds = time.perf_counter() - began
    for thread in threads:
        thread.join()
    return outcomes, peak, calls / offered_seconds


def check(outcomes: list[Outcome]) -> dict[str, int]:
    from kefu.contacts.models import Contact, InboundItem

    ids = [outcome.call_id for outcome in outcomes]
    contacts = Contact.objects.filter(pk__in=InboundItem.objects.filter(provider="voice.sip", provider_id__in=ids)
                                      .values("contact_id"))  # fmt: skip
    return {
        "contacts": contacts.count(),
        "digits_received": contacts.filter(ivr_path="2>1", queue_code="BB").count(),
        "abandoned": contacts.filter(status="abandoned").count(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=common.default_url(DB))
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--rate", type=float, default=TARGET_RATE, help="new calls per second")
    parser.add_argument("--hold", type=float, default=4.2, help="seconds from INVITE to hang-up")
    parser.add_argument("--small", action="store_true", help="60 calls: a smoke run")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, default=None)
    options = parser.parse_args(argv)
    if options.serve:
        return serve()
    if options.small:
        options.calls = 60
    os.environ.setdefault("KEFU_LOG_LEVEL", "WARNING")
    common.setup(options.database_url)
    prepare()

    from kefu.connectors.voice.kamailio import kamailio_config

    workdir = Path(tempfile.mkdtemp(prefix="kefu-bench-sip-"))
    kamailio_port = free_udp_port()
    (workdir / "kamailio.cfg").write_text(kamailio_config("127.0.0.1", kamailio_port))
    kamailio_argv = ["kamailio", "-f", str(workdir / "kamailio.cfg"), "-DD", "-E", "-Y", str(workdir), "-m", "64"]
    kamailio = subprocess.Popen(kamailio_argv, stderr=(workdir / "kamailio.log").open("wb"))
    time.sleep(1.5)
    if kamailio.poll() is not None:
        raise SystemExit(f"kamailio did not start; see {workdir / 'kamailio.log'}")
    low = 21000  # RTP below the ephemeral ports, which the callers' own sockets take
    env = {
        **os.environ, "DATABASE_URL": options.database_url, "KEFU_SIP_SERVER": "127.0.0.1",
        "KEFU_SIP_PORT": str(kamailio_port), "KEFU_SIP_LOCAL_PORT": str(free_udp_port()),
        "KEFU_SIP_RTP_PORT_MIN": str(low), "KEFU_SIP_RTP_PORT_MAX": str(low + 499),
        "KEFU_SIP_CONTROL_PORT": str(common.free_port()), "KEFU_VOICE_ANNOUNCE_SECONDS": "60",
    }  # fmt: skip
    log = (workdir / "ua.log").open("wb")
    ua = subprocess.Popen([common.python(), __file__, "--serve"], env=env, stdout=subprocess.PIPE, stderr=log)
    try:
        assert ua.stdout is not None
        if ua.stdout.readline().strip() != b"registered":
            raise SystemExit(f"the SIP UA did not register; see {workdir / 'ua.log'}")
        print(f"{options.calls} calls at {options.rate:g}/s, each ~{options.hold:g} s, digits {DIGITS}")
        cpu_before = common.server_cpu_seconds([ua.pid])
        began = time.perf_counter()
        outcomes, peak, offered_rate = run_calls(kamailio_port, options.calls, options.rate, options.hold)
        elapsed = time.perf_counter() - began
        cpu = common.server_cpu_seconds([ua.pid]) - cpu_before
        time.sleep(3)  # the last hang-ups reach the database
    finally:
        for process in (ua, kamailio):
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
    counts = check(outcomes)
    errors = [outcome.error for outcome in outcomes if outcome.error]
    answered = [outcome.answered_ms for outcome in outcomes if outcome.answered_ms is not None]
    timing = common.percentiles(answered)
    print(common.TIMING_HEADER)
    print(common.timing_row("invite_to_answer", timing))
    print(f"{len(outcomes)} calls in {elapsed:.1f} s, offered at {offered_rate:.1f}/s, peak {peak} at once; "
          f"UA CPU {cpu:.1f} s ({cpu / max(1, len(outcomes)) * 1000:.0f} ms a call, {os.cpu_count()} CPUs)")  # fmt: skip
    print(f"contacts {counts['contacts']}, digits 2>1 received {counts['digits_received']}, abandoned "
          f"{counts['abandoned']}, caller errors {len(errors)} {errors[:3]}")  # fmt: skip
    passed = (
        offered_rate >= TARGET_RATE * 0.98
        and peak >= TARGET_CONCURRENT
        and counts["digits_received"] == counts["contacts"] == len(outcomes)
        and not errors
    )
    print(common.verdict(f">= {TARGET_RATE:g} calls/s, >= {TARGET_CONCURRENT} at once, every call's digits",
                         passed, f"{offered_rate:.1f}/s, {peak} at once, {counts['digits_received']}/{len(outcomes)}"))  # fmt: skip
    common.write_results(
        "sip_calls",
        {"calls": len(outcomes), "rate": offered_rate, "peak_concurrent": peak, "answer": timing, **counts,
         "errors": len(errors), "ua_cpu_seconds": cpu, "passed": passed, "environment": common.environment()},
        options.output,
    )  # fmt: skip
    return common.fail_exit(passed)


if __name__ == "__main__":
    sys.exit(main())
