from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "kefu.tickets"
    label = "tickets"
    verbose_name = _("Work orders")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from kefu.tickets import notices, workload

        notices.register_templates()
        post_migrate.connect(workload.reinstall_after_migrate, sender=self, dispatch_uid="kefu.tickets.workload")
