"""Queue messages from templates and deliver them from the outbox."""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import functools
import logging
import math
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.template import Context, Template
from django.utils import timezone

from kefu.core.db import insert_unless_exists
from kefu.messaging.backends import transport_for
from kefu.messaging.models import Channel, MessageTemplate, OutboundMessage

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 5

# Texts used when an operator has not edited a template yet.
DEFAULT_TEMPLATES: dict[tuple[str, str], tuple[str, str]] = {}
# Administrators' edits made in another process are seen within this many seconds.
TEMPLATE_CACHE_SECONDS = 60.0
_stored_templates_loaded = [time.monotonic()]


def register_default_template(code: str, channel: str, subject: str, body: str) -> None:
    """Apps declare the texts they send; an admin-edited MessageTemplate overrides them."""
    DEFAULT_TEMPLATES[(code, channel)] = (subject, body)


@functools.lru_cache(maxsize=512)
def _compiled(source: str) -> Template:
    """Templates compile once per process: a work order sends several notices, each rendered."""
    return Template(source)


_stored_templates: dict[tuple[str, str], tuple[str, str] | None] = {}


def clear_template_cache() -> None:
    _stored_templates.clear()
    _stored_templates_loaded[0] = time.monotonic()


@receiver([post_save, post_delete], sender=MessageTemplate)
def _forget_stored_templates(**kwargs: Any) -> None:
    clear_template_cache()
    transaction.on_commit(clear_template_cache)  # and what was read in between, before the commit


def _texts(code: str, channel: str) -> tuple[str, str]:
    key = (code, channel)
    if key not in _stored_templates:
        stored = MessageTemplate.objects.filter(code=code, channel=channel).values_list("subject", "body").first()
        _stored_templates[key] = stored
    stored = _stored_templates[key]
    if stored is not None:
        return stored
    if key in DEFAULT_TEMPLATES:
        return DEFAULT_TEMPLATES[key]
    raise LookupError(f"no message template {code!r} for {channel}")


def render(code: str, channel: str, context: Mapping[str, Any]) -> tuple[str, str]:
    """The subject and body of template `code` on `channel`: the admin's text, else the default.

    Texts are cached per process: an administrator's edit is seen at once by the process that
    saved it and within `TEMPLATE_CACHE_SECONDS` by the others."""
    if time.monotonic() - _stored_templates_loaded[0] > TEMPLATE_CACHE_SECONDS:
        clear_template_cache()
    subject, body = _texts(code, channel)
    data = Context(dict(context), autoescape=False)
    return _compiled(subject).render(data).strip(), _compiled(body).render(data).strip()


def queue_message(
    *,
    channel: str,
    template_code: str,
    context: Mapping[str, Any],
    address: str = "",
    recipient_user: Any = None,
    link: str = "",
    about: tuple[str, str] | None = None,
    dedupe_key: str | None = None,
    headers: dict[str, str] | None = None,
) -> OutboundMessage | None:
    """Queue one message; returns None when the same dedupe_key was queued before."""
    subject, body = render(template_code, channel, context)
    in_app = channel == Channel.IN_APP
    message = OutboundMessage(
        channel=channel,
        template_code=template_code,
        address=address,
        recipient_user=recipient_user,
        subject=subject,
        body=body,
        link=link,
        headers=headers or {},
        subject_type=about[0] if about else "",
        subject_id=about[1] if about else "",
        dedupe_key=dedupe_key,
        # an in-app notice is delivered by being stored: the bell reads it from here
        status=OutboundMessage.Status.SENT if in_app else OutboundMessage.Status.QUEUED,
        sent_at=timezone.now() if in_app else None,
    )
    pending = _batch.get()
    if pending is not None:
        pending.append(message)  # written by `batch()` on its way out, with the others
        return message
    if dedupe_key is None:
        message.save(force_insert=True)
    elif not _insert_unless_queued_before([message]):
        return None
    if not in_app:
        _deliver_after_commit()
    return message


_batch: contextvars.ContextVar[list[OutboundMessage] | None] = contextvars.ContextVar("outbox_batch", default=None)
BATCH_ROWS = 500  # rows per INSERT (SQLite allows 32,766 parameters per statement)


@contextlib.contextmanager
def batch() -> Iterator[None]:
    """Write the messages queued inside in a few multi-row INSERTs when the block ends (the SLA
    scan raises hundreds of alarms at once). Inside, `queue_message` returns the unsaved message,
    and a repeated `dedupe_key` is dropped when the rows are written."""
    with collect() as pending:
        yield
    for start in range(0, len(pending), BATCH_ROWS):
        _insert_unless_queued_before(pending[start : start + BATCH_ROWS])
    written(pending)


@contextlib.contextmanager
def collect() -> Iterator[list[OutboundMessage]]:
    """Gather the messages queued inside, unsaved, for the caller to write with its own rows
    (a new work order writes them in the statement that writes the order: `core.db.Rows`
    with `DEDUPE`), then hand them to `written`."""
    pending: list[OutboundMessage] = []
    token = _batch.set(pending)
    try:
        yield pending
    finally:
        _batch.reset(token)


DEDUPE = ("dedupe_key",)  # the conflict target of the outbox's rows: a key queued before is skipped


def written(messages: list[OutboundMessage]) -> None:
    """The collected messages were written: deliver those to send once the transaction commits."""
    if any(message.channel != Channel.IN_APP for message in messages):
        _deliver_after_commit()


def _insert_unless_queued_before(messages: list[OutboundMessage]) -> int:
    """One INSERT, no savepoint (a work order queues several notices in its transaction); a key
    queued before is skipped. Returns how many were new."""
    return len(insert_unless_exists(messages, conflict=DEDUPE))


# Deliveries asked for within the same quarter second share one task, run at its end: a
# hotline opening hundreds of orders a second writes a few task rows, not one per order. The
# task runs after every message that asked for it was committed (the ask comes after commit).
DELIVERY_COALESCE_SECONDS = 0.25
_delivery_asked_for = [0.0]  # the run time of this process's latest delivery task
_delivery_lock = threading.Lock()


def _deliver_outbox() -> None:
    from kefu.messaging.tasks import deliver_outbox

    if not deliver_outbox.get_backend().supports_defer:
        deliver_outbox.enqueue()
        return
    step = DELIVERY_COALESCE_SECONDS
    run_at = math.ceil(time.time() / step) * step
    with _delivery_lock:
        if run_at <= _delivery_asked_for[0]:
            return
        deliver_outbox.using(run_after=dt.datetime.fromtimestamp(run_at, tz=dt.UTC)).enqueue()
        _delivery_asked_for[0] = run_at  # only once the task is written


def _deliver_after_commit() -> None:
    """One delivery task per transaction, however many messages it queued."""
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(hook is _deliver_outbox for _sids, hook, _robust in connection.run_on_commit):
        return
    transaction.on_commit(_deliver_outbox)


def deliver_queued(limit: int = 500) -> int:
    """Send what is queued, oldest first. Safe to run in several workers at once."""
    sent = 0
    ids = list(
        OutboundMessage.objects.filter(status=OutboundMessage.Status.QUEUED)
        .order_by("created_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    for message_id in ids:
        with transaction.atomic():
            message = (
                OutboundMessage.objects.select_for_update(skip_locked=True)
                .filter(pk=message_id, status=OutboundMessage.Status.QUEUED)
                .first()
            )
            if message is None:
                continue
            message.attempts += 1
            try:
                message.provider_id = transport_for(message.channel).send(message)
            except Exception as error:
                logger.warning("sending message %s failed: %s", message.pk, error)
                message.error = str(error)[:300]
                if message.attempts >= MAX_ATTEMPTS:
                    message.status = OutboundMessage.Status.FAILED
            else:
                message.status = OutboundMessage.Status.SENT
                message.sent_at = timezone.now()
                sent += 1
            message.save(update_fields=["attempts", "provider_id", "error", "status", "sent_at"])
    return sent


def unread_notices(user: Any) -> Any:
    return OutboundMessage.objects.filter(channel=Channel.IN_APP, recipient_user=user, read_at__isnull=True)


def mark_notices_read(user: Any, ids: list[int] | None = None) -> int:
    """Mark the user's in-app notices read (all of them, or the given ids); returns how many."""
    notices = unread_notices(user)
    if ids is not None:
        notices = notices.filter(pk__in=ids)
    return int(notices.update(read_at=timezone.now()))
