"""The outbox transport for channel "im": each reply goes back to the platform it came from
(the connector named in the outbox headers); a connector that is not configured writes to the
development log instead, like every channel without a gateway."""

from __future__ import annotations

from kefu.messaging.backends import DevelopmentTransport, Transport
from kefu.messaging.channel_accounts import channel_config
from kefu.messaging.models import OutboundMessage


class ImTransport:
    def send(self, message: OutboundMessage) -> str:
        return transport_of(message.headers.get("connector", "")).send(message)


def transport_of(connector: str) -> Transport:
    if connector == "webhook" and channel_config("webhook").text("outbound_url"):
        from kefu.connectors.im.webhook import WebhookTransport

        return WebhookTransport()
    if connector == "wechat" and channel_config("wechat").text("appid"):
        from kefu.connectors.im.wechat import WechatTransport

        return WechatTransport()
    return DevelopmentTransport()


def im_transport() -> Transport:
    return ImTransport()
