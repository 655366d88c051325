"""SMS keywords (短信指令): a customer's SMS whose first word is a keyword is answered by its
handler instead of becoming a contact for an agent — the hook the text-menu runtime will use.

Built in: "CX" / "查询" answers with the balance of the customer the number belongs to (through
the `bss` queries, the same figures as every other channel). More keywords, or other handlers for
these, come from KEFU_SMS_KEYWORD_HANDLERS: "KEYWORD=module.path.function" entries, each function
taking the SMS (`Inbound`) and the customer (or None) and returning the reply text.

A keyword SMS is stored first under the gateway's id like every SMS, so a repeat is a no-op and
the reply goes out once (its outbox dedupe key is the SMS's id); when the handler fails (the BSS
down), the SMS is a dead letter that the dead-letter list retries through here again.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from kefu.bss import queries as bss
from kefu.connectors.base import Delivery, Inbound
from kefu.contacts import services as contacts
from kefu.contacts.models import Contact, InboundItem
from kefu.customers.models import Customer
from kefu.messaging.services import queue_message, register_default_template

Handler = Callable[[Inbound, Customer | None], str]
TEMPLATE = "sms_keyword_reply"
register_default_template(TEMPLATE, "sms", "", "{{ body }}")


def balance_reply(sms: Inbound, customer: Customer | None) -> str:
    """CX / 查询: the balance of the number's customer."""
    if customer is None:
        return "未查到本号码登记的客户。如需人工服务，请直接回复您的问题。"
    balance = bss.balance_for(customer.pk)
    if balance is None:
        return f"{customer.name}您好，您名下暂无计费账户。"
    owed = f"，待缴账单{balance.unpaid_bills:.2f}元" if balance.unpaid_bills else ""
    return f"{customer.name}您好，您的账户余额{balance.available:.2f}元{owed}，可用额度{balance.spendable:.2f}元。"


BUILT_IN: dict[str, Handler] = {"CX": balance_reply, "查询": balance_reply}


@functools.cache
def handlers() -> dict[str, Handler]:
    """The built-in keywords and those configured (a configured one replaces a built-in)."""
    configured: dict[str, Handler] = {}
    for entry in settings.KEFU_SMS_KEYWORD_HANDLERS:
        keyword, _sep, path = entry.partition("=")
        if not keyword.strip() or not path.strip():
            raise ValueError(f"KEFU_SMS_KEYWORD_HANDLERS: {entry!r} is not KEYWORD=module.function")
        configured[keyword.strip().upper()] = import_string(path.strip())
    return {**BUILT_IN, **configured}


@receiver(setting_changed)
def _forget_handlers(*, setting: str, **kwargs: Any) -> None:
    if setting == "KEFU_SMS_KEYWORD_HANDLERS":  # tests only: settings do not change in production
        handlers.cache_clear()


def keyword_of(text: str) -> str | None:
    """The keyword an SMS is, if it is one: its only word, in any case ("cx", " 查询 ")."""
    words = text.split()
    if len(words) != 1:
        return None
    word = words[0].upper()
    return word if word in handlers() else None


def answer(provider: str, sms: Inbound, keyword: str) -> Delivery:
    """Store the SMS, then answer it with its keyword's handler; the same SMS twice is answered once."""
    payload = {**sms.payload(), "keyword": keyword}
    item, is_new = contacts.receive_inbound(
        provider=provider, provider_id=sms.provider_id, payload=payload, process=lambda item: _reply(item, sms)
    )
    return Delivery(item=item, is_new=is_new, contact=None, refusal=item.error if item.status == "dead" else "")


def _reply(item: InboundItem, sms: Inbound) -> Contact | None:
    keyword = str(item.payload["keyword"])
    text = handlers()[keyword](sms, contacts.identify_customer(sms.identity))
    queue_message(
        channel="sms",
        template_code=TEMPLATE,
        context={"body": text},
        address=sms.identity,
        about=("contacts.inbounditem", str(item.pk)),
        dedupe_key=f"sms:keyword:{item.provider}:{item.provider_id}",
    )
    return None  # answered without an agent: no contact


def reprocess(item: InboundItem, sms: Inbound) -> None:
    """A dead keyword SMS answered again (the dead-letter list's retry)."""
    contacts.process_item(item, lambda stored: _reply(stored, sms))
