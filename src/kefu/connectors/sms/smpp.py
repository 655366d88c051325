"""SMPP 3.4 as the SMS gateway: Kefu is an ESME (smpplib's PDUs) bound as a transceiver.

One `SmppSession` per process holds the bind. A reader thread takes every PDU off the socket:
responses go to the request waiting for them (matched by sequence number), enquire_link is
answered at once, and deliver_sm (a customer's SMS or a delivery receipt) goes to a handler
thread that stores it and only then answers deliver_sm_resp — ESME_RX_T_APPN (a temporary
error: the SMSC delivers it again) when it could not be stored or names a message the outbox
does not know yet.

Out: `submit` cuts a text into segments (UCS-2, data_coding 8, for Chinese; concatenation UDH
for long texts; see `parse.segment`), sends them at most KEFU_SMS_RATE_PER_SECOND per second
and asks for a delivery receipt on the last segment, whose message id becomes the outbox row's
provider id.

`kefu smpp` keeps the bind up (reconnecting with back-off) so customers' SMS and receipts are
received at any time; a worker that sends through `SmppTransport` holds a bind of its own while
it lives and handles what arrives on it the same way.

Limits: a customer's concatenated SMS is put together in memory, so its segments must arrive on
one bind (SMSCs do that); deliver_sm has no message id for a customer's SMS, so a repeat is
recognised by its content within ten minutes.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import queue
import random
import select
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import smpplib.client  # type: ignore[import-untyped]
import smpplib.consts  # type: ignore[import-untyped]
import smpplib.exceptions  # type: ignore[import-untyped]
import smpplib.smpp  # type: ignore[import-untyped]
from django.db import connections

from kefu.connectors.sms.inbound import Report, receive_report, receive_sms
from kefu.connectors.sms.parse import (
    ESM_CLASS_RECEIPT,
    ESM_CLASS_UDHI,
    Concatenation,
    Receipt,
    decode_short_message,
    parse_receipt,
    segment,
    split_udh,
)
from kefu.connectors.sms.transport import SmsGatewayError, rate_limit
from kefu.contacts.choices import InboundStatus
from kefu.contacts.models import InboundItem
from kefu.messaging.channel_accounts import channel_config
from kefu.messaging.models import OutboundMessage

logger = logging.getLogger(__name__)
GATEWAY = "smpp"
ESME_ROK = 0x00
ESME_RX_T_APPN = 0x64  # temporary application error: the SMSC delivers the PDU again later
INTERMEDIATE_NOTIFICATION = 0x20
SOCKET_TIMEOUT_SECONDS = 10
RESPONSE_TIMEOUT_SECONDS = 15
MO_REPEAT_WINDOW_SECONDS = 600
PARTS_KEPT_SECONDS = 600
REMEMBERED_MESSAGES = 10_000
MAX_SYSTEM_ID, MAX_PASSWORD = 15, 8  # SMPP 3.4 §5.2.1-2 (16 and 9 octets with the NUL)
CONNECTION_ERRORS = (OSError, smpplib.exceptions.ConnectionError, smpplib.exceptions.PDUError)


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("ascii", errors="replace")
    return "" if value is None else str(value)


@dataclass(frozen=True)
class SmppConfig:
    host: str
    port: int
    system_id: str
    password: str
    system_type: str = ""
    source_addr: str = ""
    enquire_link_seconds: int = 30

    @classmethod
    def from_settings(cls) -> SmppConfig:
        """The SMPP channel account, else KEFU_SMPP_*."""
        config = channel_config(GATEWAY)
        return cls(
            host=config.text("host"),
            port=config.number("port"),
            system_id=config.text("system_id"),
            password=config.text("password"),
            system_type=config.text("system_type"),
            source_addr=config.text("source_addr"),
            enquire_link_seconds=config.number("enquire_link_seconds"),
        )


@dataclass
class _Waiter:
    done: threading.Event = field(default_factory=threading.Event)
    response: Any = None
    error: str = ""


@dataclass
class _PartialMessage:
    parts: dict[int, bytes]
    data_coding: int
    first_seen: float


class SmppSession:
    """One bind_transceiver to the SMSC, shared by the threads of a process."""

    def __init__(self, config: SmppConfig) -> None:
        self.config = config
        self.binds = 0  # how many times this session has bound (1 + reconnections)
        self._client: Any = None
        self._connect_lock = threading.Lock()
        self._send_lock = threading.Lock()  # one writer on the socket at a time
        self._submit_lock = threading.Lock()  # the segments of one message go out together
        self._waiting: dict[int, _Waiter] = {}
        self._waiting_lock = threading.Lock()
        self._incoming: queue.Queue[tuple[Any, Any]] = queue.Queue()
        self._handler: threading.Thread | None = None
        self._closing = threading.Event()
        self._reference = random.randrange(256)  # noqa: S311 — a concatenation reference, not a secret
        self._outbox_of: dict[str, int] = {}
        self._partial: dict[tuple[str, int, int], _PartialMessage] = {}
        self._last_received = time.monotonic()
        self._enquired_at: float | None = None

    # --- connection ------------------------------------------------------------------------

    @property
    def bound(self) -> bool:
        return self._client is not None

    def connect(self) -> None:
        """Connect and bind as a transceiver (no-op when bound); SmsGatewayError when refused."""
        with self._connect_lock:
            if self._client is not None:
                return
            if len(self.config.system_id) > MAX_SYSTEM_ID or len(self.config.password) > MAX_PASSWORD:
                # smpplib would cut them silently and the SMSC answer "invalid password"
                raise SmsGatewayError(
                    f"SMPP allows a system_id of {MAX_SYSTEM_ID} and a password of {MAX_PASSWORD} characters at most"
                )
            self._closing.clear()
            client = smpplib.client.Client(
                self.config.host, self.config.port, timeout=SOCKET_TIMEOUT_SECONDS, allow_unknown_opt_params=True
            )
            try:
                client.connect()
                client.bind_transceiver(
                    system_id=self.config.system_id,
                    password=self.config.password,
                    system_type=self.config.system_type,
                )
            except CONNECTION_ERRORS as error:
                client.disconnect()
                raise SmsGatewayError(f"SMPP bind to {self.config.host}:{self.config.port} failed: {error}") from error
            self._client = client
            self.binds += 1
            self._last_received, self._enquired_at = time.monotonic(), None
            threading.Thread(target=self._read_loop, args=(client,), name="smpp-reader", daemon=True).start()
            if self._handler is None or not self._handler.is_alive():
                self._handler = threading.Thread(target=self._handle_loop, name="smpp-handler", daemon=True)
                self._handler.start()
            logger.info("SMPP bound to %s:%s as %s", self.config.host, self.config.port, self.config.system_id)

    def close(self) -> None:
        """Unbind politely, close the socket, stop the threads."""
        client = self._client
        if client is not None:
            with contextlib.suppress(SmsGatewayError):
                self._request("unbind", timeout=3)
            self._drop(client, "closed")
        self._closing.set()
        if self._handler is not None:
            self._handler.join(timeout=10)
            self._handler = None

    def _drop(self, client: Any, reason: str) -> None:
        """The connection is gone: fail whoever waits on it; the next use binds again."""
        with self._connect_lock:
            if self._client is client:
                self._client = None
        with self._waiting_lock:
            waiting, self._waiting = self._waiting, {}
        for waiter in waiting.values():
            waiter.error = f"SMPP connection lost: {reason}"
            waiter.done.set()
        with contextlib.suppress(*CONNECTION_ERRORS):
            client.disconnect()
        if reason != "closed":
            logger.warning("SMPP connection to %s:%s lost: %s", self.config.host, self.config.port, reason)

    # --- requests and responses -----------------------------------------------------------

    def _send(self, client: Any, pdu: Any) -> None:
        try:
            client.send_pdu(pdu)
        except CONNECTION_ERRORS as error:
            self._drop(client, str(error) or type(error).__name__)
            raise SmsGatewayError(f"SMPP send failed: {error}") from error

    def _request(self, command: str, *, timeout: float = RESPONSE_TIMEOUT_SECONDS, **fields: Any) -> Any:
        client = self._client
        if client is None:
            raise SmsGatewayError("SMPP is not bound")
        waiter = _Waiter()
        with self._send_lock:
            pdu = smpplib.smpp.make_pdu(command, client=client, **fields)
            with self._waiting_lock:
                self._waiting[pdu.sequence] = waiter
            self._send(client, pdu)
        if not waiter.done.wait(timeout):
            with self._waiting_lock:
                self._waiting.pop(pdu.sequence, None)
            raise SmsGatewayError(f"no answer to {command} within {timeout:.0f} s")
        if waiter.error:
            raise SmsGatewayError(waiter.error)
        return waiter.response

    def _respond(self, client: Any, request: Any, command: str, status: int = ESME_ROK) -> None:
        with self._send_lock:
            response = smpplib.smpp.make_pdu(command, client=client, status=status)
            response.sequence = request.sequence
            self._send(client, response)

    def _read_loop(self, client: Any) -> None:
        while self._client is client:
            try:
                readable, _, _ = select.select([client._socket], [], [], 1.0)
                if not readable:
                    self._keep_alive(client)
                    continue
                pdu = client.read_pdu()
            # AttributeError/TypeError/ValueError: the socket was closed (set to None) under the read.
            except (*CONNECTION_ERRORS, AttributeError, ValueError, TypeError) as error:
                if self._client is client:  # not when the session closed the socket itself
                    self._drop(client, str(error) or type(error).__name__)
                return
            self._last_received, self._enquired_at = time.monotonic(), None
            try:
                self._dispatch(client, pdu)
            except SmsGatewayError:
                return

    def _keep_alive(self, client: Any) -> None:
        idle = time.monotonic() - self._last_received
        if self._enquired_at is not None and time.monotonic() - self._enquired_at > RESPONSE_TIMEOUT_SECONDS:
            self._drop(client, "no answer to enquire_link")
        elif self._enquired_at is None and idle >= self.config.enquire_link_seconds:
            self._enquired_at = time.monotonic()
            with self._send_lock:
                self._send(client, smpplib.smpp.make_pdu("enquire_link", client=client))

    def _dispatch(self, client: Any, pdu: Any) -> None:
        command = pdu.command
        if pdu.is_response() or command == "generic_nack":
            with self._waiting_lock:
                waiter = self._waiting.pop(pdu.sequence, None)
            if waiter is not None:
                waiter.response = pdu
                waiter.done.set()
        elif command == "deliver_sm":
            self._incoming.put((client, pdu))
        elif command == "enquire_link":
            self._respond(client, pdu, "enquire_link_resp")
        elif command == "unbind":
            self._respond(client, pdu, "unbind_resp")
            self._drop(client, "the SMSC unbound")
        else:
            logger.warning("SMPP: ignored a %s PDU", command)

    # --- out -------------------------------------------------------------------------------

    def submit(self, destination: str, text: str, *, outbox_id: int | None = None) -> str:
        """Send one text (as many segments as it needs); returns the last segment's message id."""
        with self._submit_lock:
            self.connect()
            self._reference = (self._reference + 1) % 256
            segments = segment(text, reference=self._reference)
            message_id = ""
            for number, part in enumerate(segments.parts, 1):
                rate_limit(f"{GATEWAY}:{self.config.host}:{self.config.port}").wait()
                last = number == len(segments.parts)
                response = self._request(
                    "submit_sm",
                    source_addr_ton=0 if self.config.source_addr.isdigit() else 5,
                    source_addr_npi=1 if self.config.source_addr.isdigit() else 0,
                    source_addr=self.config.source_addr,
                    dest_addr_ton=1 if destination.startswith("+") else 0,
                    dest_addr_npi=1,
                    destination_addr=destination.lstrip("+"),
                    esm_class=ESM_CLASS_UDHI if segments.concatenated else 0,
                    data_coding=segments.data_coding,
                    registered_delivery=1 if last else 0,
                    short_message=part,
                )
                if response.is_error():
                    raise SmsGatewayError(
                        f"the SMSC refused segment {number}/{len(segments.parts)}: "
                        f"{smpplib.consts.DESCRIPTIONS.get(response.status, hex(response.status))}"
                    )
                message_id = _text(getattr(response, "message_id", b""))
            if outbox_id is not None and message_id:
                if len(self._outbox_of) >= REMEMBERED_MESSAGES:
                    self._outbox_of.pop(next(iter(self._outbox_of)))
                self._outbox_of[message_id] = outbox_id
            return message_id

    # --- in --------------------------------------------------------------------------------

    def _handle_loop(self) -> None:
        try:
            while not self._closing.is_set() or not self._incoming.empty():
                try:
                    client, pdu = self._incoming.get(timeout=0.5)
                except queue.Empty:
                    continue
                status = self.handle_deliver_sm(pdu)
                try:
                    self._respond(client, pdu, "deliver_sm_resp", status)
                except SmsGatewayError:
                    continue  # the SMSC delivers it again on the next bind
        finally:
            connections.close_all()  # this thread's database connections

    def handle_deliver_sm(self, pdu: Any) -> int:
        """Store a customer's SMS or a receipt; the SMPP status to answer with."""
        try:
            esm_class = int(pdu.esm_class or 0)
            if esm_class & 0x3C in (ESM_CLASS_RECEIPT, INTERMEDIATE_NOTIFICATION):
                return self._handle_receipt(pdu)
            return self._handle_customer_sms(pdu)
        except Exception:
            logger.exception("SMPP: a deliver_sm could not be stored")
            return ESME_RX_T_APPN

    def _handle_receipt(self, pdu: Any) -> int:
        payload = pdu.short_message or pdu.message_payload or b""
        text = decode_short_message(payload, int(pdu.data_coding or 0))
        receipt = parse_receipt(
            text,
            receipted_message_id=_text(pdu.receipted_message_id),
            message_state=pdu.message_state,
        )
        report = Report(
            gateway=GATEWAY,
            report_id=f"{receipt.message_id}:{receipt.status}",
            state=receipt.state,
            detail=f"{receipt.status} err:{receipt.error}",
            outbox_id=self._outbox_of.get(receipt.message_id),
            provider_id=receipt.message_id,
        )
        item, _created = receive_report(
            report, {"message_id": receipt.message_id, "status": receipt.status, "error": receipt.error, "text": text}
        )
        return ESME_ROK if item.status == InboundStatus.PROCESSED else ESME_RX_T_APPN

    def _concatenation(self, pdu: Any, payload: bytes) -> tuple[Concatenation | None, bytes]:
        if int(pdu.esm_class or 0) & ESM_CLASS_UDHI:
            return split_udh(payload)
        if pdu.sar_msg_ref_num is not None and pdu.sar_total_segments:
            return Concatenation(pdu.sar_msg_ref_num, pdu.sar_total_segments, pdu.sar_segment_seqnum or 1), payload
        return None, payload

    def _handle_customer_sms(self, pdu: Any) -> int:
        sender, recipient = _text(pdu.source_addr), _text(pdu.destination_addr)
        data_coding = int(pdu.data_coding or 0)
        concatenation, data = self._concatenation(pdu, pdu.short_message or pdu.message_payload or b"")
        if concatenation is not None and concatenation.total > 1:
            now = time.monotonic()
            for key in [k for k, partial in self._partial.items() if now - partial.first_seen > PARTS_KEPT_SECONDS]:
                del self._partial[key]
            key = (sender, concatenation.reference, concatenation.total)
            partial = self._partial.setdefault(key, _PartialMessage({}, data_coding, now))
            partial.parts[concatenation.number] = data
            if len(partial.parts) < concatenation.total:
                return ESME_ROK  # the message is stored once its last segment is here
            del self._partial[key]
            data = b"".join(partial.parts[number] for number in sorted(partial.parts))
        text = decode_short_message(data, data_coding)
        digest = hashlib.sha256(f"{sender}\n{recipient}\n{data_coding}\n".encode() + data).hexdigest()[:32]
        window = int(time.time() // MO_REPEAT_WINDOW_SECONDS)
        receive_sms(GATEWAY, provider_id=f"mo:{digest}:{window}", sender=sender, recipient=recipient, text=text)
        return ESME_ROK  # stored, even when processing left it a dead letter


def reprocess_report(item: InboundItem) -> None:
    """A dead delivery receipt applied again (the dead-letter list's retry), from what was stored."""
    payload = item.payload
    receipt = Receipt(str(payload.get("message_id", "")), str(payload.get("status", "")), str(payload.get("error", "")))
    report = Report(
        gateway=GATEWAY,
        report_id=item.provider_id,
        state=receipt.state,
        detail=f"{receipt.status} err:{receipt.error}",
        provider_id=receipt.message_id,
    )
    receive_report(report, payload)


# --- the process's session ------------------------------------------------------------------

_session: SmppSession | None = None
_session_lock = threading.Lock()


def current_session() -> SmppSession:
    """This process's session for the configured SMSC (a new one when the settings changed)."""
    global _session
    config = SmppConfig.from_settings()
    with _session_lock:
        if _session is not None and _session.config != config:
            _session.close()
            _session = None
        if _session is None:
            _session = SmppSession(config)
        return _session


def close_session() -> None:
    global _session
    with _session_lock:
        if _session is not None:
            _session.close()
            _session = None


class SmppTransport:
    """The outbox transport: submit through this process's session."""

    def send(self, message: OutboundMessage) -> str:
        return current_session().submit(message.address, message.body, outbox_id=message.pk)


def run(stop: threading.Event, *, session: SmppSession | None = None, max_backoff: float = 60.0) -> None:
    """`kefu smpp`: keep the bind up until `stop` is set, reconnecting with back-off."""
    active = session or current_session()
    backoff = 1.0
    try:
        while not stop.is_set():
            if not active.bound:
                try:
                    active.connect()
                except SmsGatewayError as error:
                    logger.warning("%s; trying again in %.1f s", error, backoff)
                    stop.wait(backoff)
                    backoff = min(backoff * 2, max_backoff)
                    continue
                backoff = 1.0
            stop.wait(0.2)
    finally:
        active.close()
