from django.urls import path

from dantoc.works import views

app_name = "works"
urlpatterns = [
    path("", views.work_list, name="list"),
    path("new/", views.work_create, name="create"),
    path("villages/", views.village_options, name="village-options"),
    path("<int:pk>/", views.work_detail, name="detail"),
    path("<int:pk>/edit/", views.work_edit, name="edit"),
    path("<int:pk>/status/", views.work_status, name="status"),
    path("<int:pk>/progress/", views.work_progress, name="progress"),
    path("<int:pk>/payments/", views.work_payment, name="payment"),
    path("progress/<int:pk>/attachment/", views.progress_attachment, name="attachment"),
]
