from django.urls import path

from dantoc.households import views

app_name = "households"
urlpatterns = [
    path("", views.persons, name="persons"),
    path("persons/export/", views.persons_export, name="persons-export"),
    path("persons/aggregates/", views.persons_aggregates, name="aggregates"),
    path("persons/<int:pk>/", views.person, name="person"),
    path("persons/<int:pk>/reveal/", views.person_reveal, name="person-reveal"),
    path("persons/<int:pk>/unmerge/", views.person_unmerge, name="person-unmerge"),
    path("persons/<int:pk>/export/", views.person_export, name="person-export"),
    path("persons/<int:pk>/edit/", views.person_edit, name="person-edit"),
    path("list/", views.households, name="households"),
    path("new/", views.household_create, name="household-create"),
    path("<int:pk>/", views.household, name="household"),
    path("<int:pk>/edit/", views.household_edit, name="household-edit"),
    path("<int:pk>/members/new/", views.member_create, name="member-create"),
    path("<int:pk>/poverty/", views.poverty, name="poverty"),
    path("<int:pk>/support/new/", views.support_create, name="support-create"),
    path("support/<int:pk>/delete/", views.support_delete, name="support-delete"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("duplicates/decide/", views.duplicates_decide, name="duplicates-decide"),
    path("report/", views.support_report, name="report"),
]
