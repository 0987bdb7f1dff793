from django.urls import include, path

from dantoc.accounts.views import set_language
from dantoc.api import api

urlpatterns = [
    path("", include("dantoc.core.urls")),
    path("accounts/", include("dantoc.accounts.urls")),
    path("units/", include("dantoc.geo.urls")),
    path("programs/", include("dantoc.programs.urls")),
    path("works/", include("dantoc.works.urls")),
    path("reports/", include("dantoc.reports.urls")),
    path("households/", include("dantoc.households.urls")),
    path("imports/", include("dantoc.core.imports.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("api/v1/", api.urls),
]
