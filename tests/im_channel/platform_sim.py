# ruff: noqa: S310, S324 — the tests drive peer processes they started on 127.0.0.1 (http, WeChat's sha1, its XML)
"""The IM platforms' side for the tests, as its own process: a generic webhook platform and
WeChat's servers, each implementing the documented protocol independently of Kefu.

Generic webhook platform (shared secret, HMAC-SHA256 over "<timestamp>." + body):
  POST /inbox                          Kefu's signed replies land here (checked, kept)
  POST /_deliver {"payload", "secret"?, "timestamp"?, "times"?}
                                       sign the JSON and POST it to Kefu; answers Kefu's answers
WeChat (token, appid, appsecret):
  GET  /cgi-bin/token                  client_credential access tokens
  POST /cgi-bin/message/custom/send    customer-service messages (checked, kept)
  POST /_expire_token                  the current access token stops working (errcode 40001)
  POST /_push {"fields", "token"?, "times"?}
                                       build the XML message, sign the query, POST it to Kefu
  POST /_verify {"echostr", "token"?}  the server verification GET against Kefu
GET /_state                            what was received and issued

    python platform_sim.py --port P --webhook-secret S --webhook-target URL
        --wechat-token T --wechat-appid A --wechat-appsecret X --wechat-target URL
prints "READY" once listening.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import itertools
import json
import secrets
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def wechat_signature(token: str, timestamp: str, nonce: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()


def cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def call(url: str, data: bytes | None = None, headers: dict[str, str] | None = None) -> dict[str, object]:
    request = urllib.request.Request(
        url, data=data, headers=headers or {}, method="POST" if data is not None else "GET"
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return {
                "status": response.status,
                "body": response.read().decode(),
                "content_type": response.headers.get("Content-Type", ""),
            }
    except urllib.error.HTTPError as error:
        return {
            "status": error.code,
            "body": error.read().decode(),
            "content_type": error.headers.get("Content-Type", ""),
        }


class Platform:
    def __init__(self, options: argparse.Namespace) -> None:
        self.options = options
        self.lock = threading.Lock()
        self.inbox: list[dict[str, object]] = []
        self.wechat_sent: list[dict[str, object]] = []
        self.tokens = itertools.count(1)
        self.tokens_issued = 0
        self.current_token = ""
        self.ids = itertools.count(1)

    def state(self) -> dict[str, object]:
        with self.lock:
            return {
                "inbox": list(self.inbox),
                "wechat_sent": list(self.wechat_sent),
                "tokens_issued": self.tokens_issued,
            }

    # generic webhook
    def take_reply(self, headers, body: bytes) -> tuple[int, dict[str, object]]:
        timestamp = headers.get("X-Kefu-Timestamp", "")
        given = headers.get("X-Kefu-Signature", "")
        fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) <= 300
        valid = fresh and hmac.compare_digest(given, sign(self.options.webhook_secret, timestamp, body))
        with self.lock:
            self.inbox.append({"valid": valid, "body": json.loads(body)})
        if not valid:
            return 401, {"error": "bad signature"}
        return 200, {"id": f"plat-{next(self.ids)}"}

    def deliver(self, request: dict) -> list[dict[str, object]]:
        body = json.dumps(request["payload"], ensure_ascii=False).encode()
        timestamp = str(request.get("timestamp") or int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Kefu-Timestamp": timestamp,
            "X-Kefu-Signature": sign(request.get("secret") or self.options.webhook_secret, timestamp, body),
        }
        return [call(self.options.webhook_target, body, headers) for _ in range(int(request.get("times", 1)))]

    # WeChat
    def issue_token(self, query: dict[str, str]) -> dict[str, object]:
        if query.get("grant_type") != "client_credential" or query.get("appid") != self.options.wechat_appid:
            return {"errcode": 40013, "errmsg": "invalid appid"}
        if query.get("secret") != self.options.wechat_appsecret:
            return {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"}
        with self.lock:
            self.current_token = f"ACCESS_TOKEN_{next(self.tokens)}_{secrets.token_hex(4)}"
            self.tokens_issued += 1
            return {"access_token": self.current_token, "expires_in": 7200}

    def custom_send(self, query: dict[str, str], body: bytes) -> dict[str, object]:
        with self.lock:
            if not self.current_token or query.get("access_token") != self.current_token:
                return {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"}
            message = json.loads(body)
            if message.get("msgtype") != "text" or not message.get("touser"):
                return {"errcode": 40008, "errmsg": "invalid message type"}
            self.wechat_sent.append(message)
            return {"errcode": 0, "errmsg": "ok"}

    def push(self, request: dict) -> list[dict[str, object]]:
        fields = request["fields"]
        parts = []
        for name, value in fields.items():
            parts.append(f"<{name}>{value}</{name}>" if isinstance(value, int) else f"<{name}>{cdata(value)}</{name}>")
        body = ("<xml>" + "".join(parts) + "</xml>").encode()
        return [
            self._signed_post(body, request.get("token"), fields.get("FromUserName", ""))
            for _ in range(int(request.get("times", 1)))
        ]

    def _signed_query(self, token: str | None) -> dict[str, str]:
        timestamp, nonce = str(int(time.time())), str(secrets.randbelow(10**9))
        return {
            "signature": wechat_signature(token or self.options.wechat_token, timestamp, nonce),
            "timestamp": timestamp,
            "nonce": nonce,
        }

    def _signed_post(self, body: bytes, token: str | None, openid: str) -> dict[str, object]:
        query = {**self._signed_query(token), "openid": openid}
        return call(f"{self.options.wechat_target}?{urllib.parse.urlencode(query)}", body, {"Content-Type": "text/xml"})

    def verify(self, request: dict) -> dict[str, object]:
        query = {**self._signed_query(request.get("token")), "echostr": request["echostr"]}
        return call(f"{self.options.wechat_target}?{urllib.parse.urlencode(query)}")


def serve(platform: Platform, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def answer(self, status: int, body: object) -> None:
            data = json.dumps(body, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def split(self) -> tuple[str, dict[str, str]]:
            parts = urllib.parse.urlsplit(self.path)
            return parts.path, dict(urllib.parse.parse_qsl(parts.query))

        def do_GET(self) -> None:
            path, query = self.split()
            if path == "/_state":
                self.answer(200, platform.state())
            elif path == "/cgi-bin/token":
                self.answer(200, platform.issue_token(query))
            else:
                self.answer(404, {"error": "unknown"})

        def do_POST(self) -> None:
            path, query = self.split()
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if path == "/inbox":
                self.answer(*platform.take_reply(self.headers, body))
            elif path == "/cgi-bin/message/custom/send":
                self.answer(200, platform.custom_send(query, body))
            elif path == "/_deliver":
                self.answer(200, platform.deliver(json.loads(body)))
            elif path == "/_push":
                self.answer(200, platform.push(json.loads(body)))
            elif path == "/_verify":
                self.answer(200, platform.verify(json.loads(body)))
            elif path == "/_expire_token":
                with platform.lock:
                    platform.current_token = ""
                self.answer(200, {})
            else:
                self.answer(404, {"error": "unknown"})

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    return server


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    for name in (
        "webhook-secret",
        "webhook-target",
        "wechat-token",
        "wechat-appid",
        "wechat-appsecret",
        "wechat-target",
    ):
        parser.add_argument(f"--{name}", required=True)
    options = parser.parse_args()
    server = serve(Platform(options), options.port)
    print("READY", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
