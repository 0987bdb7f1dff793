from django.urls import path

from dantoc.core import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("history/restore/<int:entry_id>/", views.restore, name="restore"),
    path("history/<str:model>/<str:pk>/", views.history, name="history"),
]
