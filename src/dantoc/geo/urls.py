from django.urls import path

from dantoc.geo import views

app_name = "geo"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("new/", views.create, name="create"),
    path("changes/new/", views.change, name="change"),
    path("pick/", views.pick, name="pick"),
    path("pick/<int:pk>/", views.picked, name="picked"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/children/", views.children, name="children"),
    path("<int:pk>/edit/", views.edit, name="edit"),
]
