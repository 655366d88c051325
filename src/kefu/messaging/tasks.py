from __future__ import annotations

from django_tasks import task

from kefu.messaging.services import deliver_queued


@task()
def deliver_outbox() -> int:
    return deliver_queued()
