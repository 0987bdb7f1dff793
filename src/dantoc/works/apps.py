from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorksConfig(AppConfig):
    name = "dantoc.works"
    label = "works"
    verbose_name = _("Công trình và giải ngân")
