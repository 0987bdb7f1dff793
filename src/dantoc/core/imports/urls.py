from django.urls import path

from dantoc.core.imports import views

app_name = "imports"
urlpatterns = [
    path("", views.index, name="index"),
    path("jobs/<int:pk>/", views.job, name="job"),
    path("jobs/<int:pk>/status/", views.job_status, name="job-status"),
    path("jobs/<int:pk>/errors.xlsx", views.job_errors, name="job-errors"),
    path("templates/<slug:kind>.xlsx", views.template, name="template"),
    path("<slug:kind>/", views.upload, name="upload"),
]
