"""The outbox transport for channel "im": each reply goes back to the platform it came from
(the connector named in the outbox headers); a connector that is not configured writes to the
development log instead, like every channel without a gateway."""

from __future__ import annotations

from django.conf import settings

from kefu.messaging.backends import DevelopmentTransport, Transport
from kefu.messaging.models import OutboundMessage


class ImTransport:
    def send(self, message: OutboundMessage) -> str:
        return transport_of(message.headers.get("connector", "")).send(message)


def transport_of(connector: str) -> Transport:
    if connector == "webhook" and settings.KEFU_WEBHOOK_OUTBOUND_URL:
        from kefu.connectors.im.webhook import WebhookTransport

        return WebhookTransport()
    if connector == "wechat" and settings.KEFU_WECHAT_APPID:
        from kefu.connectors.im.wechat import WechatTransport

        return WechatTransport()
    return DevelopmentTransport()


def im_transport() -> Transport:
    return ImTransport()
