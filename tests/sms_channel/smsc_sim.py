"""A small SMSC for the tests: an SMPP 3.4 server on top of smpplib's PDU classes.

PyPI's candidates do not serve here: smppy reads one PDU per TCP read (it loses segments sent
back to back), ignores UDH and never sends delivery receipts; aiosmpp is a client. This one:

- answers bind_transceiver (checks system_id/password), enquire_link, unbind;
- answers submit_sm with a message id, keeps what was submitted, and when a receipt is asked
  for sends a deliver_sm receipt (SMPP 3.4 Appendix B text + receipted_message_id and
  message_state TLVs): UNDELIV for numbers starting with 1390000, DELIVRD otherwise;
- keeps the status of every deliver_sm_resp it gets back.

A control port (HTTP, JSON) drives it: GET /state; POST /mo {"from", "to", "text", "repeat"}
sends a customer's SMS (UCS-2 and concatenated when needed); POST /receipt {"message_id",
"stat"} sends a receipt; POST /drop closes every ESME connection.

    python smsc_sim.py --port P --control-port C --system-id kefu --password secret
prints "READY" once both ports listen.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import itertools
import json
import socket
import struct
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import smpplib.smpp

FAILING_PREFIX = "1390000"
ESME_RINVPASWD = 0x0E
ESME_RINVBNDSTS = 0x04


class Sequence:
    """What smpplib's PDUs ask of a 'client': sequence numbers."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)
        self.sequence = 0

    def next_sequence(self) -> int:
        self.sequence = next(self._counter)
        return self.sequence


class Smsc:
    def __init__(self, system_id: str, password: str) -> None:
        self.system_id, self.password = system_id, password
        self.lock = threading.Lock()
        self.connections: list[Connection] = []
        self.binds = 0
        self.submitted: list[dict[str, object]] = []
        self.acks: list[dict[str, int]] = []
        self.ids = itertools.count(0x5A000001)

    def state(self) -> dict[str, object]:
        with self.lock:
            return {
                "binds": self.binds,
                "bound": sum(1 for c in self.connections if c.bound),
                "submitted": list(self.submitted),
                "acks": list(self.acks),
            }

    def bound_connection(self) -> Connection:
        with self.lock:
            for connection in reversed(self.connections):
                if connection.bound:
                    return connection
        raise LookupError("no ESME is bound")


class Connection(threading.Thread):
    def __init__(self, smsc: Smsc, sock: socket.socket) -> None:
        super().__init__(daemon=True)
        self.smsc, self.sock = smsc, sock
        self.sequence = Sequence()
        self.write_lock = threading.Lock()
        self.bound = False

    def send(self, pdu) -> None:
        with self.write_lock:
            self.sock.sendall(pdu.generate())

    def respond(self, request, command: str, status: int = 0, **fields) -> None:
        response = smpplib.smpp.make_pdu(command, client=self.sequence, status=status, **fields)
        response.sequence = request.sequence
        self.send(response)

    def read(self):
        header = self._exact(4)
        (length,) = struct.unpack(">L", header)
        return smpplib.smpp.parse_pdu(
            header + self._exact(length - 4), client=self.sequence, allow_unknown_opt_params=True
        )

    def _exact(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self.sock.recv(size - len(data))
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
        return data

    def close(self) -> None:
        self.bound = False
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()

    def run(self) -> None:
        try:
            while True:
                self.handle(self.read())
        except (OSError, ConnectionError, struct.error):
            pass
        finally:
            self.bound = False
            with self.smsc.lock:
                if self in self.smsc.connections:
                    self.smsc.connections.remove(self)

    def handle(self, pdu) -> None:
        command = pdu.command
        if command == "bind_transceiver":
            ok = pdu.system_id.decode() == self.smsc.system_id and pdu.password.decode() == self.smsc.password
            self.respond(pdu, "bind_transceiver_resp", 0 if ok else ESME_RINVPASWD, system_id="SIMSMSC")
            if ok:
                self.bound = True
                with self.smsc.lock:
                    self.smsc.binds += 1
        elif command == "submit_sm":
            if not self.bound:
                self.respond(pdu, "submit_sm_resp", ESME_RINVBNDSTS)
                return
            message_id = f"{next(self.smsc.ids):X}"
            record = {
                "message_id": message_id,
                "source_addr": pdu.source_addr.decode(),
                "destination_addr": pdu.destination_addr.decode(),
                "esm_class": pdu.esm_class or 0,
                "data_coding": pdu.data_coding or 0,
                "registered_delivery": pdu.registered_delivery or 0,
                "short_message": (pdu.short_message or b"").hex(),
            }
            with self.smsc.lock:
                self.smsc.submitted.append(record)
            self.respond(pdu, "submit_sm_resp", message_id=message_id)
            if record["registered_delivery"] & 1:
                failing = str(record["destination_addr"]).startswith(FAILING_PREFIX)
                timer = threading.Timer(
                    0.05, self.send_receipt, args=(message_id, "UNDELIV" if failing else "DELIVRD", record)
                )
                timer.start()
        elif command == "deliver_sm_resp":
            with self.smsc.lock:
                self.smsc.acks.append({"sequence": pdu.sequence, "status": pdu.status})
        elif command == "enquire_link":
            self.respond(pdu, "enquire_link_resp")
        elif command == "unbind":
            self.respond(pdu, "unbind_resp")
            self.close()
        elif command.endswith("_resp"):
            pass
        else:
            self.respond(pdu, "generic_nack", 0x03)

    def send_receipt(self, message_id: str, stat: str, record: dict[str, object] | None = None) -> None:
        now = dt.datetime.now().strftime("%y%m%d%H%M")
        delivered = stat == "DELIVRD"
        text = (
            f"id:{message_id} sub:001 dlvrd:{'001' if delivered else '000'} submit date:{now} done date:{now} "
            f"stat:{stat} err:{'000' if delivered else '001'} text:"
        )
        states = {"DELIVRD": 2, "UNDELIV": 5, "ENROUTE": 1, "ACCEPTD": 6, "REJECTD": 8}
        source = str(record["destination_addr"]) if record else "13800000000"
        destination = str(record["source_addr"]) if record else "10086"
        pdu = smpplib.smpp.make_pdu(
            "deliver_sm",
            client=self.sequence,
            source_addr=source,
            destination_addr=destination,
            esm_class=0x04,
            data_coding=0,
            short_message=text.encode("ascii"),
            receipted_message_id=message_id,
            message_state=states.get(stat, 7),
        )
        with contextlib.suppress(OSError):
            self.send(pdu)

    def send_customer_sms(self, sender: str, recipient: str, text: str, repeat: int) -> int:
        try:
            text.encode("ascii")
            coding, payload, single, size = 0, text.encode("ascii"), 160, 153
        except UnicodeEncodeError:
            coding, payload, single, size = 8, text.encode("utf-16-be"), 140, 134
        if len(payload) <= single:
            parts, esm_class = [payload], 0
        else:
            chunks = [payload[i : i + size] for i in range(0, len(payload), size)]
            parts = [bytes([5, 0, 3, 0x2A, len(chunks), n]) + chunk for n, chunk in enumerate(chunks, 1)]
            esm_class = 0x40
        pdus = [
            smpplib.smpp.make_pdu(
                "deliver_sm",
                client=self.sequence,
                source_addr=sender,
                destination_addr=recipient,
                esm_class=esm_class,
                data_coding=coding,
                short_message=part,
            )
            for part in parts
        ]
        for _ in range(repeat):
            for pdu in pdus:
                pdu.sequence = self.sequence.next_sequence()  # a redelivery is a new PDU with the same content
                self.send(pdu)
        return len(parts)


def control_server(smsc: Smsc, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def answer(self, status: int, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path == "/state":
                self.answer(200, smsc.state())
            else:
                self.answer(404, {"error": "unknown"})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            try:
                if self.path == "/mo":
                    parts = smsc.bound_connection().send_customer_sms(
                        body["from"], body["to"], body["text"], int(body.get("repeat", 1))
                    )
                    self.answer(200, {"parts": parts})
                elif self.path == "/receipt":
                    smsc.bound_connection().send_receipt(body["message_id"], body.get("stat", "DELIVRD"))
                    self.answer(200, {})
                elif self.path == "/drop":
                    with smsc.lock:
                        connections = list(smsc.connections)
                    for connection in connections:
                        connection.close()
                    self.answer(200, {"dropped": len(connections)})
                else:
                    self.answer(404, {"error": "unknown"})
            except LookupError as error:
                self.answer(409, {"error": str(error)})

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--control-port", type=int, required=True)
    parser.add_argument("--system-id", default="kefu")
    parser.add_argument("--password", default="secret")
    options = parser.parse_args()
    smsc = Smsc(options.system_id, options.password)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", options.port))
    listener.listen(16)
    control_server(smsc, options.control_port)
    print("READY", flush=True)
    while True:
        sock, _address = listener.accept()
        connection = Connection(smsc, sock)
        with smsc.lock:
            smsc.connections.append(connection)
        connection.start()


if __name__ == "__main__":
    sys.exit(main())
