from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "kefu.tickets"
    label = "tickets"
    verbose_name = _("Work orders")

    def ready(self) -> None:
        from kefu.tickets import notices

        notices.register_templates()
