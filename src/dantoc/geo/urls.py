from django.urls import path

from dantoc.geo import views

app_name = "geo"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("<int:pk>/", views.detail, name="detail"),
]
