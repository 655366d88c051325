from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from kefu.tickets.services import sla


@task()
def scan_sla() -> dict[str, int]:
    """Run by the scheduler every minute: warnings, overdue alarms, escalations."""
    result = sla.scan(timezone.now())
    return vars(result)
