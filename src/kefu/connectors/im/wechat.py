"""A WeChat Official Account (微信公众号) as a channel, in the platform's documented formats
(plaintext mode).

- Server verification: WeChat GETs the URL with signature, timestamp, nonce and echostr; the
  signature is sha1 of the sorted, concatenated [KEFU_WECHAT_TOKEN, timestamp, nonce]. Kefu
  answers echostr when it matches, 403 otherwise. Every message POST carries the same query
  signature and is checked the same way (and its timestamp against the tolerance).
- Messages in: XML (<ToUserName> the account, <FromUserName> the customer's openid, <MsgType>,
  <Content>, <MsgId>). MsgId is the provider id, so WeChat's retries (it repeats a message it
  got no answer to within 5 s) are stored once. Events (subscribe, menu clicks) carry no MsgId:
  they are stored under FromUserName + CreateTime + Event, as WeChat advises, and open nothing.
- Passive reply: the HTTP answer to a message. The first message of a new conversation gets
  KEFU_WECHAT_WELCOME as a text reply; everything else gets "success" (no reply).
- Agents' replies: the customer-service message API (客服消息), POST
  /cgi-bin/message/custom/send?access_token=… {"touser", "msgtype": "text", "text": {"content"}},
  with the access token from /cgi-bin/token (client_credential) kept in the cache until shortly
  before it expires and fetched again when WeChat says it is invalid (40001, 40014, 42001).
  WeChat accepts these within 48 hours of the customer's last message.

The body of a plaintext-mode message is not signed (only the query is): run the account in
plaintext mode only behind an address allow-list; the encrypted (safe) mode is not done yet.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache

from kefu.connectors.base import Inbound
from kefu.connectors.im.inbound import ADAPTERS
from kefu.contacts import services as contacts
from kefu.messaging.channel_accounts import channel_config
from kefu.messaging.models import OutboundMessage

logger = logging.getLogger(__name__)
MAX_BODY_BYTES = 64 * 1024
TIMEOUT_SECONDS = 10
TOKEN_ERRORS = {40001, 40014, 42001}  # invalid credential, invalid token, token expired
NO_REPLY = "success"  # WeChat's documented "nothing to say" answer


class BadSignature(PermissionError):
    """Not signed with our token (or too old): refused, nothing stored."""


class BadMessage(ValueError):
    """Signed, but not a message in WeChat's format: refused, nothing stored."""


class WechatError(RuntimeError):
    """The WeChat API refused or did not answer; the outbox tries again later."""


def signature(token: str, timestamp: str, nonce: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()  # noqa: S324 — WeChat's scheme


def verify(query: Mapping[str, str], *, now: float | None = None) -> None:
    token = channel_config("wechat").text("token")
    if not token:
        raise BadSignature("WeChat is not configured (KEFU_WECHAT_TOKEN)")
    timestamp, nonce, given = query.get("timestamp", ""), query.get("nonce", ""), query.get("signature", "")
    if not timestamp.isdigit() or not nonce or not given:
        raise BadSignature("missing signature, timestamp or nonce")
    moment = time.time() if now is None else now
    if abs(moment - int(timestamp)) > settings.KEFU_WEBHOOK_TOLERANCE_SECONDS:
        raise BadSignature("timestamp outside the tolerance")
    if not hmac.compare_digest(given.encode(), signature(token, timestamp, nonce).encode()):
        raise BadSignature("bad signature")


def echo(query: Mapping[str, str]) -> str:
    """Server verification: the echostr back when the signature is ours."""
    verify(query)
    return query.get("echostr", "")


# --- XML ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WechatMessage:
    account: str  # ToUserName: the official account's id
    openid: str  # FromUserName: the customer
    created: str
    kind: str  # MsgType
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def provider_id(self) -> str:
        if self.kind == "event":
            return f"event:{self.openid}:{self.created}:{self.fields.get('Event', '')}"
        return self.fields.get("MsgId", "")

    @property
    def text(self) -> str:
        """What the agent reads, for each message type."""
        get = self.fields.get
        texts = {
            "text": get("Content", ""),
            "image": f"[图片] {get('PicUrl', '')}",
            "voice": f"[语音] {get('Recognition', '')}".strip(),
            "video": "[视频]",
            "shortvideo": "[小视频]",
            "location": f"[位置] {get('Label', '')} ({get('Location_X', '')}, {get('Location_Y', '')})",
            "link": f"[链接] {get('Title', '')} {get('Url', '')}",
        }
        return texts.get(self.kind, f"[{self.kind}]").strip()


def parse_message(body: bytes) -> WechatMessage:
    if len(body) > MAX_BODY_BYTES:
        raise BadMessage("message too large")
    if b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
        raise BadMessage("DTDs are not accepted")  # WeChat never sends one; entities are an attack
    try:
        root = ElementTree.fromstring(body)  # noqa: S314 — no DTD (checked above), so no entity expansion
    except ElementTree.ParseError as error:
        raise BadMessage(f"not XML: {error}") from error
    if root.tag != "xml":
        raise BadMessage("not a WeChat message")
    fields = {child.tag: (child.text or "").strip() for child in root}
    message = WechatMessage(
        account=fields.pop("ToUserName", ""),
        openid=fields.pop("FromUserName", ""),
        created=fields.pop("CreateTime", ""),
        kind=fields.pop("MsgType", ""),
        fields=fields,
    )
    if not (message.account and message.openid and message.kind and message.provider_id):
        raise BadMessage("ToUserName, FromUserName, MsgType and MsgId (or Event) are required")
    return message


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def passive_text_reply(*, to: str, account: str, content: str, now: int | None = None) -> str:
    """The documented passive reply: a text message back to the customer."""
    created = int(time.time()) if now is None else now
    return (
        f"<xml><ToUserName>{_cdata(to)}</ToUserName><FromUserName>{_cdata(account)}</FromUserName>"
        f"<CreateTime>{created}</CreateTime><MsgType>{_cdata('text')}</MsgType>"
        f"<Content>{_cdata(content)}</Content></xml>"
    )


def receive(body: bytes, query: Mapping[str, str]) -> str:
    """Verify, parse, store and process one message; returns the passive reply to answer with."""
    verify(query)
    message = parse_message(body)
    adapter = ADAPTERS["wechat"]
    payload: dict[str, Any] = {"account": message.account, "openid": message.openid, "type": message.kind}
    if message.kind == "event":
        contacts.receive_inbound(
            provider=adapter.provider,
            provider_id=message.provider_id,
            payload={**payload, **message.fields},
            process=lambda item: None,
        )
        return NO_REPLY
    delivery = adapter.deliver(
        Inbound(
            provider_id=message.provider_id,
            body=message.text,
            identity=adapter.identity(message.openid),
            subject=message.text.replace("\n", " ")[:50],
            extra=payload,
        )
    )
    if delivery.refusal:
        logger.warning("WeChat message %s from %s: %s", message.provider_id, message.openid, delivery.refusal)
    opened = (
        delivery.is_new
        and delivery.contact is not None
        and delivery.message is not None
        and delivery.contact.messages.order_by("id").values_list("id", flat=True).first() == delivery.message.pk
    )
    welcome = channel_config("wechat").text("welcome")
    if opened and welcome:
        return passive_text_reply(to=message.openid, account=message.account, content=welcome)
    return NO_REPLY


# --- the customer-service message API -----------------------------------------------------------


class WechatApi:
    """The two calls Kefu makes: an access token, and a customer-service text message."""

    def __init__(self) -> None:
        config = channel_config("wechat")
        self.base = config.text("api_base").rstrip("/")
        self.appid, self.appsecret = config.text("appid"), config.text("appsecret")
        if not self.base.startswith(("http://", "https://")):
            raise WechatError("KEFU_WECHAT_API_BASE must be an http(s) URL")
        if not (self.appid and self.appsecret):
            raise WechatError("KEFU_WECHAT_APPID and KEFU_WECHAT_APPSECRET are needed to reply")

    @property
    def _cache_key(self) -> str:
        return f"kefu:wechat:access_token:{self.appid}"

    def _call(self, path: str, query: dict[str, str], body: dict[str, Any] | None = None) -> dict[str, Any]:
        url = f"{self.base}{path}?{urllib.parse.urlencode(query)}"
        data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
        headers = {"Content-Type": "application/json; charset=utf-8"} if data is not None else {}
        # The base URL's scheme was checked in __init__ (http or https only).
        request = urllib.request.Request(url, data=data, headers=headers, method="POST" if data else "GET")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
                answer = json.loads(response.read(65536))
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise WechatError(f"WeChat API {path}: {error}") from error
        if not isinstance(answer, dict):
            raise WechatError(f"WeChat API {path}: unexpected answer")
        return answer

    def access_token(self, *, fresh: bool = False) -> str:
        token = None if fresh else cache.get(self._cache_key)
        if isinstance(token, str) and token:
            return token
        answer = self._call(
            "/cgi-bin/token", {"grant_type": "client_credential", "appid": self.appid, "secret": self.appsecret}
        )
        token = answer.get("access_token")
        if not isinstance(token, str) or not token:
            raise WechatError(f"no access token: {answer.get('errcode')} {answer.get('errmsg')}")
        expires = int(answer.get("expires_in") or 7200)
        cache.set(self._cache_key, token, timeout=max(60, expires - 300))
        return token

    def send_text(self, openid: str, content: str) -> None:
        body = {"touser": openid, "msgtype": "text", "text": {"content": content}}
        for attempt in range(2):
            answer = self._call(
                "/cgi-bin/message/custom/send", {"access_token": self.access_token(fresh=attempt > 0)}, body
            )
            code = int(answer.get("errcode") or 0)
            if code == 0:
                return
            if code not in TOKEN_ERRORS:
                break
            cache.delete(self._cache_key)
        raise WechatError(f"WeChat refused the message: {answer.get('errcode')} {answer.get('errmsg')}")


class WechatTransport:
    """The outbox transport of WeChat replies."""

    def send(self, message: OutboundMessage) -> str:
        openid = message.headers.get("to", "")
        if not openid:
            raise WechatError("no openid to send to")
        WechatApi().send_text(openid, message.body)
        return f"wechat-{message.pk}"  # the API gives no message id for customer-service messages
