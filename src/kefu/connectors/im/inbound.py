"""What IM platforms deliver: a customer's message joins their open IM conversation on that
platform or opens an IM contact in the IM queue (KEFU_IM_QUEUE); the platform's message id is
the provider id, so a redelivered message is stored and processed once."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.utils.translation import gettext as _

from kefu.connectors.base import ChannelAdapter, Inbound
from kefu.contacts.choices import ContactChannel, ContactStatus
from kefu.contacts.models import Contact, InboundItem, Message
from kefu.core.errors import BusinessRuleError
from kefu.messaging.channel_accounts import channel_config
from kefu.routing import queries as routing_queries
from kefu.routing.models import Queue

FINISHED = (ContactStatus.WRAP_UP, ContactStatus.ENDED, ContactStatus.ABANDONED)


def im_queue(connector: str = "") -> Queue:
    """The queue new IM conversations enter: the connector account's (else KEFU_IM_QUEUE), else the
    first queue taking IM."""
    wanted = channel_config(connector).queue_code if connector in ("webhook", "wechat") else settings.KEFU_IM_QUEUE
    queues = routing_queries.queues_taking(ContactChannel.IM)
    for queue in queues:
        if queue.code == wanted:
            return queue
    if queues:
        return queues[0]
    raise BusinessRuleError(_("No queue takes IM messages."), code="no_im_queue")


class ImAdapter(ChannelAdapter):
    """One IM platform: a conversation is a platform user's messages until the contact is finished.

    The contact's identity is "<connector>:<the platform's user id>"."""

    channel = ContactChannel.IM
    provider: ClassVar[str]
    connector: ClassVar[str]

    def identity(self, user_id: str) -> str:
        return f"{self.connector}:{user_id}"

    def open_contact_for(self, inbound: Inbound) -> Contact:
        ongoing = (
            Contact.objects.filter(channel=ContactChannel.IM, identity=inbound.identity)
            .exclude(status__in=FINISHED)
            .order_by("-id")
            .first()
        )
        if ongoing is not None:
            return ongoing
        return self.start_contact(inbound, im_queue(self.connector))

    def send(self, contact: Contact, message: Message) -> str:
        from kefu.connectors.im.outbound import queue_im  # outbound builds on this module

        queue_im(contact, message, connector=self.connector, user_id=contact.identity.split(":", 1)[1])
        return ""  # the platform's id, if any, is known once the outbox has sent the message


class WebhookAdapter(ImAdapter):
    provider = "im.webhook"
    connector = "webhook"


class WechatAdapter(ImAdapter):
    provider = "im.wechat"
    connector = "wechat"


ADAPTERS: dict[str, ImAdapter] = {"webhook": WebhookAdapter(), "wechat": WechatAdapter()}


def reprocess(item: InboundItem) -> None:
    """A dead IM message delivered again to its platform's adapter (the dead-letter list's retry)."""
    platform = next(a for a in ADAPTERS.values() if a.provider == item.provider)
    platform.deliver(Inbound.from_payload(item.payload))


def adapter_of(contact: Contact) -> ImAdapter:
    connector = contact.identity.split(":", 1)[0]
    if contact.channel != ContactChannel.IM or connector not in ADAPTERS or ":" not in contact.identity:
        raise BusinessRuleError(_("This contact did not come from an IM platform."), code="not_im")
    return ADAPTERS[connector]
