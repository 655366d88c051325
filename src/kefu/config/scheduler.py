"""Periodic work: the scheduler only enqueues tasks; the task worker runs them.

Every periodic task is idempotent (the SLA scan locks rows with SKIP LOCKED and fires each
alarm once), so running a scheduler beside each of several workers is safe.
"""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler
from django.conf import settings

logger = logging.getLogger(__name__)


def start_scheduler() -> BackgroundScheduler:
    from kefu.connectors.email.tasks import enqueue_imap_poll
    from kefu.messaging.tasks import deliver_outbox
    from kefu.routing.tasks import routing_tick
    from kefu.tickets.tasks import scan_sla

    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(scan_sla.enqueue, "interval", minutes=1, id="scan_sla", coalesce=True, max_instances=1)
    scheduler.add_job(
        deliver_outbox.enqueue, "interval", minutes=1, id="deliver_outbox", coalesce=True, max_instances=1
    )
    scheduler.add_job(routing_tick.enqueue, "interval", seconds=5, id="routing_tick", coalesce=True, max_instances=1)
    # Mailboxes polled over IMAP (channel accounts or KEFU_IMAP_*); enqueues only when one is configured.
    scheduler.add_job(
        enqueue_imap_poll, "interval", seconds=settings.KEFU_IMAP_POLL_SECONDS, id="imap_poll", coalesce=True,
        max_instances=1,
    )  # fmt: skip
    scheduler.start()
    logger.info("scheduler started: %s", ", ".join(job.id for job in scheduler.get_jobs()))
    return scheduler
