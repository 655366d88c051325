from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "kefu.accounts"
    label = "accounts"
    verbose_name = _("Staff and organisation")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from kefu.accounts.roles import sync_roles_after_migrate

        # Infrastructure, not business: keep the role groups in step with the code.
        post_migrate.connect(sync_roles_after_migrate, sender=self)
