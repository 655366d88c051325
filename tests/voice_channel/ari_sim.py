"""A small Asterisk ARI simulator: REST under /ari and the event WebSocket /ari/events on one port,
as Asterisk serves them, with the documented JSON shapes (Channel, Playback, Bridge, and the
StasisStart, ChannelDtmfReceived, PlaybackStarted/Finished, ChannelHangupRequest, StasisEnd
events). The test drives "the caller" through /sim/* and reads every REST call Kefu made.

Run: python ari_sim.py --port P --username U --password W --app kefu
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime as dt
import hashlib
import itertools
import json
import urllib.parse
from typing import Any

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
STATUS_TEXT = {200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found"}


def now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


class Asterisk:
    def __init__(self, username: str, password: str, app: str) -> None:
        self.credentials = f"{username}:{password}"
        self.app = app
        self.channels: dict[str, dict[str, Any]] = {}
        self.bridges: dict[str, dict[str, Any]] = {}
        self.requests: list[dict[str, Any]] = []
        self.sockets: list[asyncio.StreamWriter] = []
        self.ids = itertools.count(1)
        self.pending: set[asyncio.Future[None]] = set()

    # --- events to the application -------------------------------------------------------------

    async def emit(self, event: dict[str, Any]) -> None:
        event = {**event, "timestamp": now(), "application": self.app, "asterisk_id": "02:42:ac:11:00:02"}
        frame = websocket_frame(json.dumps(event).encode())
        for writer in list(self.sockets):
            try:
                writer.write(frame)
                await writer.drain()
            except ConnectionError:
                self.sockets.remove(writer)

    def channel(self, channel_id: str, caller: str = "", exten: str = "", name: str = "") -> dict[str, Any]:
        return {
            "id": channel_id,
            "name": name or f"PJSIP/trunk-{channel_id[-8:]}",
            "state": "Ring",
            "caller": {"name": "", "number": caller},
            "connected": {"name": "", "number": ""},
            "accountcode": "",
            "dialplan": {
                "context": "from-pstn",
                "exten": exten,
                "priority": 2,
                "app_name": "Stasis",
                "app_data": self.app,
            },
            "creationtime": now(),
            "language": "zh",
        }

    def schedule(self, event_soon: Any) -> None:
        task = asyncio.ensure_future(event_soon)
        self.pending.add(task)  # a reference until done, or the loop may drop it
        task.add_done_callback(self.pending.discard)

    async def later(self, delay: float, event: dict[str, Any]) -> None:
        await asyncio.sleep(delay)
        await self.emit(event)

    # --- REST ----------------------------------------------------------------------------------

    def authorised(self, headers: dict[str, str], query: dict[str, str]) -> bool:
        if query.get("api_key") == self.credentials:
            return True
        expected = "Basic " + base64.b64encode(self.credentials.encode()).decode()
        return headers.get("authorization") == expected

    async def rest(self, method: str, path: str, query: dict[str, str]) -> tuple[int, Any]:
        self.requests.append({"method": method, "path": path, "query": query})
        parts = path.removeprefix("/ari/").split("/")
        if parts[0] == "channels" and len(parts) == 1 and method == "POST":
            agent_id = f"agent-{next(self.ids)}"
            self.channels[agent_id] = self.channel(agent_id, name=query.get("endpoint", ""))
            args = query.get("appArgs", "").split(",") if query.get("appArgs") else []
            # The agent's phone answers a moment later and the channel enters the application.
            self.schedule(self.later(0.2, {"type": "StasisStart", "args": args, "channel": self.channels[agent_id]}))
            return 200, self.channels[agent_id]
        if parts[0] == "channels":
            channel = self.channels.get(parts[1])
            if channel is None:
                return 404, {"message": "Channel not found"}
            action = parts[2] if len(parts) > 2 else ""
            if action == "" and method == "DELETE":
                del self.channels[parts[1]]
                self.schedule(self.later(0.05, {"type": "StasisEnd", "channel": channel}))
                return 204, None
            if action == "answer":
                channel["state"] = "Up"
                return 204, None
            if action == "play":
                playback = {
                    "id": f"playback-{next(self.ids)}", "media_uri": query.get("media", ""),
                    "target_uri": f"channel:{channel['id']}", "language": "zh", "state": "queued",
                }  # fmt: skip
                self.schedule(self.later(0.05, {"type": "PlaybackStarted", "playback": playback}))
                self.schedule(self.later(0.3, {"type": "PlaybackFinished", "playback": {**playback, "state": "done"}}))
                return 201, playback
            if action in ("moh", "hold"):
                return 204, None
            return 400, {"message": f"unknown action {action}"}
        if parts[0] == "playbacks" and method == "DELETE":
            return 204, None
        if parts[0] == "bridges" and len(parts) == 1 and method == "POST":
            bridge_id = f"bridge-{next(self.ids)}"
            self.bridges[bridge_id] = {"id": bridge_id, "technology": "simple_bridge", "bridge_type": "mixing",
                                       "bridge_class": "stasis", "channels": []}  # fmt: skip
            return 200, self.bridges[bridge_id]
        if parts[0] == "bridges" and len(parts) > 1:
            bridge = self.bridges.get(parts[1])
            if bridge is None:
                return 404, {"message": "Bridge not found"}
            if len(parts) == 3 and parts[2] == "addChannel":
                bridge["channels"] += query.get("channel", "").split(",")
                return 204, None
            if method == "DELETE":
                del self.bridges[parts[1]]
                return 204, None
        return 404, {"message": "Not found"}

    # --- the caller's side (/sim) ------------------------------------------------------------------

    async def simulate(self, path: str, query: dict[str, str]) -> tuple[int, Any]:
        if path == "/sim/requests":
            return 200, self.requests
        if path == "/sim/sockets":
            return 200, {"connected": len(self.sockets)}
        channel_id = query.get("id", "")
        if path == "/sim/call":
            channel = self.channels.setdefault(channel_id, self.channel(channel_id, query["caller"], query["exten"]))
            await self.emit({"type": "StasisStart", "args": [], "channel": channel})
            return 200, channel
        channel = self.channels.get(channel_id)
        if channel is None:
            return 404, {"message": "Channel not found"}
        if path == "/sim/dtmf":
            await self.emit({"type": "ChannelDtmfReceived", "digit": query["digit"], "duration_ms": 120,
                             "channel": channel})  # fmt: skip
            return 200, {}
        if path == "/sim/hangup":
            del self.channels[channel_id]
            await self.emit({"type": "ChannelHangupRequest", "cause": 16, "channel": channel})
            await self.emit({"type": "StasisEnd", "channel": channel})
            return 200, {}
        return 404, {"message": "Not found"}


def websocket_frame(payload: bytes) -> bytes:
    """One unmasked text frame (server to client, RFC 6455)."""
    length = len(payload)
    if length < 126:
        header = bytes([0x81, length])
    elif length < 1 << 16:
        header = bytes([0x81, 126]) + length.to_bytes(2, "big")
    else:
        header = bytes([0x81, 127]) + length.to_bytes(8, "big")
    return header + payload


async def read_frames(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """The client's frames: a ping is answered, a close is echoed (the closing handshake)."""
    while True:
        first, second = await reader.readexactly(2)
        length = second & 0x7F
        if length == 126:
            length = int.from_bytes(await reader.readexactly(2), "big")
        elif length == 127:
            length = int.from_bytes(await reader.readexactly(8), "big")
        mask = await reader.readexactly(4) if second & 0x80 else b"\0\0\0\0"
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(await reader.readexactly(length)))
        opcode = first & 0x0F
        if opcode == 0x8:
            writer.write(bytes([0x88, len(payload)]) + payload)
            await writer.drain()
            return
        if opcode == 0x9:
            writer.write(bytes([0x8A, len(payload)]) + payload)
            await writer.drain()


async def serve(asterisk: Asterisk, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            request_line = await reader.readline()
            if not request_line:
                return
            method, target, _version = request_line.decode().split(" ", 2)
            headers: dict[str, str] = {}
            while (line := (await reader.readline()).decode().strip()) != "":
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
            if int(headers.get("content-length", "0")):
                await reader.readexactly(int(headers["content-length"]))
            url = urllib.parse.urlsplit(target)
            query = dict(urllib.parse.parse_qsl(url.query))
            if url.path == "/ari/events" and headers.get("upgrade", "").lower() == "websocket":
                if not asterisk.authorised(headers, query) or query.get("app") != asterisk.app:
                    await respond(writer, 401, {"message": "Authentication required"})
                    return
                accept = base64.b64encode(hashlib.sha1((headers["sec-websocket-key"] + GUID).encode()).digest())  # noqa: S324 — RFC 6455
                writer.write(
                    b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n"
                )
                await writer.drain()
                asterisk.sockets.append(writer)
                await read_frames(reader, writer)
                return
            if url.path.startswith("/sim/"):
                status, body = await asterisk.simulate(url.path, query)
            elif not asterisk.authorised(headers, query):
                status, body = 401, {"message": "Authentication required"}
            else:
                status, body = await asterisk.rest(method, url.path, query)
            await respond(writer, status, body)
    except (ConnectionError, asyncio.IncompleteReadError):
        return
    finally:
        if writer in asterisk.sockets:
            asterisk.sockets.remove(writer)
        writer.close()


async def respond(writer: asyncio.StreamWriter, status: int, body: Any) -> None:
    data = b"" if body is None else json.dumps(body).encode()
    head = f"HTTP/1.1 {status} {STATUS_TEXT.get(status, 'Error')}\r\nContent-Type: application/json\r\n"
    writer.write(f"{head}Content-Length: {len(data)}\r\n\r\n".encode() + data)
    await writer.drain()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--username", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--app", default="kefu")
    options = parser.parse_args()
    asterisk = Asterisk(options.username, options.password, options.app)
    server = await asyncio.start_server(lambda r, w: serve(asterisk, r, w), "127.0.0.1", options.port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
