from __future__ import annotations

from django_tasks import task

from kefu.routing import services


@task()
def routing_tick() -> dict[str, int]:
    """Expire unanswered offers, overflow long waits, offer what waits to free agents."""
    return services.tick()
