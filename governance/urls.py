from django.urls import path

from governance import views

urlpatterns = [
    path("governance/", views.integration_list_view, name="governance"),
]
