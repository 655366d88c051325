from __future__ import annotations

from django_tasks import task

from kefu.connectors.email.imap import poll_all
from kefu.messaging.channel_accounts import channel_configs
from kefu.messaging.models import ChannelKind


def imap_configured() -> bool:
    """Whether any mailbox is to be polled (the scheduler asks before it enqueues a poll)."""
    return any(config.configured for config in channel_configs(ChannelKind.EMAIL_IMAP))


@task()
def poll_imap() -> int:
    """Poll every configured mailbox once; returns how many new mails were stored."""
    return sum(result.stored for result in poll_all())


def enqueue_imap_poll() -> None:
    """The scheduler's job: a poll task, only when a mailbox is configured (checked each time, so a
    mailbox added in the admin is polled without restarting the worker)."""
    if imap_configured():
        poll_imap.enqueue()
