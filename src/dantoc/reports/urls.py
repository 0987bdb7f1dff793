from django.urls import path

from dantoc.reports import views

app_name = "reports"
urlpatterns = [
    path("monitoring/", views.monitoring_page, name="monitoring"),
    path("late/", views.late_page, name="late"),
    path("program-summary/", views.program_summary_page, name="program-summary"),
]
