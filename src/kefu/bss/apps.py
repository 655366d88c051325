from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BssConfig(AppConfig):
    name = "kefu.bss"
    label = "bss"
    verbose_name = _("Business services")
