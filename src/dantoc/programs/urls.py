from django.urls import path

from dantoc.programs import views

app_name = "programs"
urlpatterns = [
    path("", views.program_list, name="list"),
    path("new/", views.program_create, name="create"),
    path("plans/", views.plan_list, name="plans"),
    path("plans/new/", views.plan_create, name="plan-create"),
    path("plans/<int:pk>/", views.plan_detail, name="plan-detail"),
    path("plans/<int:pk>/edit/", views.plan_edit, name="plan-edit"),
    path("plans/<int:pk>/delete/", views.plan_delete, name="plan-delete"),
    path("components/<int:pk>/edit/", views.component_edit, name="component-edit"),
    path("<str:code>/", views.program_detail, name="detail"),
    path("<str:code>/edit/", views.program_edit, name="edit"),
    path("<str:code>/components/new/", views.component_create, name="component-create"),
]
