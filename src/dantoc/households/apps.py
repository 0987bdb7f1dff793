from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class HouseholdsConfig(AppConfig):
    name = "dantoc.households"
    label = "households"
    verbose_name = _("Hộ gia đình và hỗ trợ")

    def ready(self) -> None:
        from dantoc.households.search import on_post_migrate

        post_migrate.connect(on_post_migrate, sender=self, dispatch_uid="households_search_index")
        from dantoc.households import summary

        summary.connect()
