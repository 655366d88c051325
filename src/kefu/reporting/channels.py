"""Connector health for the supervisor's wall (渠道健康): per connector, whether it is configured,
when it last received and last sent, its last error, its dead letters and its outbox backlog.

A handful of indexed queries, whatever the traffic: counts are grouped over the small sets
(dead letters, queued and recently failed messages); "last received" and "last sent" are one
newest-row lookup each. The result is cached for HEALTH_CACHE_SECONDS, so a room of wallboards
refreshing every few seconds costs the database the same as one.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count
from django.utils import timezone

from kefu.contacts.choices import InboundStatus
from kefu.contacts.models import InboundItem
from kefu.messaging.channel_accounts import active_sms_gateway, channel_configs
from kefu.messaging.models import ChannelAccount, ChannelKind, OutboundMessage

HEALTH_CACHE_SECONDS = 10
HEALTH_CACHE_KEY = "kefu:reporting:connector-health"
FAILED_WINDOW = dt.timedelta(hours=24)
RECENT_ERRORS = 50


@dataclass(frozen=True)
class Connector:
    """What belongs to one connector: its account kind, its inbound providers, its outbox rows."""

    kind: ChannelKind
    providers: tuple[str, ...] = ()
    outbox_channel: str = ""
    outbox_connector: str = ""  # IM rows name their platform in the headers


CONNECTORS = (
    Connector(ChannelKind.EMAIL_SMTP, outbox_channel="email"),
    Connector(ChannelKind.EMAIL_IMAP, providers=("email",)),
    Connector(ChannelKind.KANNEL, providers=("sms.kannel", "sms.kannel.dlr"), outbox_channel="sms"),
    Connector(ChannelKind.SMPP, providers=("sms.smpp", "sms.smpp.dlr"), outbox_channel="sms"),
    Connector(ChannelKind.WEBHOOK, providers=("im.webhook",), outbox_channel="im", outbox_connector="webhook"),
    Connector(ChannelKind.WECHAT, providers=("im.wechat",), outbox_channel="im", outbox_connector="wechat"),
)


@dataclass(frozen=True)
class ConnectorHealth:
    kind: str
    label: str
    configured: bool
    from_account: bool
    last_received_at: dt.datetime | None
    last_sent_at: dt.datetime | None
    last_ok_at: dt.datetime | None  # the connector's own last success (an IMAP poll)
    last_error: str
    last_error_at: dt.datetime | None
    dead_letters: int
    outbox_pending: int
    outbox_failed: int  # in the last 24 hours

    @property
    def failing(self) -> bool:
        """Red on the wall: dead letters or failed sends to look at, or an error newer than any success."""
        if self.dead_letters or self.outbox_failed:
            return True
        successes = [at for at in (self.last_sent_at, self.last_ok_at, self.last_received_at) if at is not None]
        return self.last_error_at is not None and (not successes or self.last_error_at > max(successes))


def _latest(*moments: dt.datetime | None) -> dt.datetime | None:
    present = [moment for moment in moments if moment is not None]
    return max(present) if present else None


def _outbox_key(channel: str, connector: str | None) -> tuple[str, str]:
    return channel, (connector or "") if channel == "im" else ""


def _last_received(providers: tuple[str, ...]) -> dt.datetime | None:
    newest = InboundItem.objects.order_by("-received_at").values_list("received_at", flat=True)
    return _latest(*(newest.filter(provider=provider).first() for provider in providers))


def _last_sent(connector: Connector) -> dt.datetime | None:
    moments = []
    for status in (OutboundMessage.Status.SENT, OutboundMessage.Status.DELIVERED):
        rows = OutboundMessage.objects.filter(channel=connector.outbox_channel, status=status)
        if connector.outbox_connector:
            rows = rows.filter(headers__connector=connector.outbox_connector)
        moments.append(rows.order_by("-created_at").values_list("sent_at", flat=True).first())
    return _latest(*moments)


def _compute(now: dt.datetime) -> list[ConnectorHealth]:
    dead = Counter(
        {
            row["provider"]: row["count"]
            for row in InboundItem.objects.filter(status=InboundStatus.DEAD)
            .values("provider")
            .annotate(count=Count("id"))
        }
    )
    last_dead: dict[str, tuple[str, dt.datetime]] = {}
    for provider, error, received in (
        InboundItem.objects.filter(status=InboundStatus.DEAD)
        .order_by("-received_at")
        .values_list("provider", "error", "received_at")[:RECENT_ERRORS]
    ):
        last_dead.setdefault(provider, (error, received))
    grouped = ("channel", "headers__connector")
    pending = Counter(
        {
            _outbox_key(row["channel"], row["headers__connector"]): row["count"]
            for row in OutboundMessage.objects.filter(status=OutboundMessage.Status.QUEUED)
            .values(*grouped)
            .annotate(count=Count("id"))
        }
    )
    failed = Counter(
        {
            _outbox_key(row["channel"], row["headers__connector"]): row["count"]
            for row in OutboundMessage.objects.filter(
                status=OutboundMessage.Status.FAILED, created_at__gte=now - FAILED_WINDOW
            )
            .values(*grouped)
            .annotate(count=Count("id"))
        }
    )
    last_send_error: dict[tuple[str, str], tuple[str, dt.datetime]] = {}
    for channel, connector_name, error, created in (
        OutboundMessage.objects.filter(
            status__in=[OutboundMessage.Status.QUEUED, OutboundMessage.Status.FAILED],
            created_at__gte=now - FAILED_WINDOW,
        )
        .exclude(error="")
        .order_by("-created_at")
        .values_list("channel", "headers__connector", "error", "created_at")[:RECENT_ERRORS]
    ):
        last_send_error.setdefault(_outbox_key(channel, connector_name), (error, created))
    accounts: dict[str, list[ChannelAccount]] = {}
    for account in ChannelAccount.objects.filter(enabled=True).only(
        "kind", "last_success_at", "last_error", "last_error_at"
    ):
        accounts.setdefault(account.kind, []).append(account)
    sms_gateway = active_sms_gateway()

    result = []
    for connector in CONNECTORS:
        configs = channel_configs(connector.kind)
        errors: list[tuple[str, dt.datetime]] = [last_dead[p] for p in connector.providers if p in last_dead]
        errors += [(a.last_error, a.last_error_at) for a in accounts.get(connector.kind, []) if a.last_error_at]
        sends_here = bool(connector.outbox_channel) and (
            connector.outbox_channel != "sms" or sms_gateway == connector.kind
        )
        key = _outbox_key(connector.outbox_channel, connector.outbox_connector)
        if sends_here and key in last_send_error:
            errors.append(last_send_error[key])
        error, error_at = max(errors, key=lambda pair: pair[1]) if errors else ("", None)
        result.append(
            ConnectorHealth(
                kind=connector.kind,
                label=str(connector.kind.label),
                configured=any(config.configured for config in configs),
                from_account=any(config.from_account for config in configs),
                last_received_at=_last_received(connector.providers),
                last_sent_at=_last_sent(connector) if sends_here else None,
                last_ok_at=_latest(*(a.last_success_at for a in accounts.get(connector.kind, []))),
                last_error=error,
                last_error_at=error_at,
                dead_letters=sum(dead[p] for p in connector.providers),
                outbox_pending=pending[key] if sends_here else 0,
                outbox_failed=failed[key] if sends_here else 0,
            )
        )
    return result


def connector_health(now: dt.datetime | None = None, *, fresh: bool = False) -> list[ConnectorHealth]:
    """Each connector's health, at most HEALTH_CACHE_SECONDS old (`fresh`: computed now)."""
    if not fresh:
        cached = cache.get(HEALTH_CACHE_KEY)
        if isinstance(cached, list):
            return cached
    health = _compute(now or timezone.now())
    cache.set(HEALTH_CACHE_KEY, health, timeout=HEALTH_CACHE_SECONDS)
    return health
