from django.urls import path

from governance import views

urlpatterns = [
    path("governance/", views.integration_list_view, name="governance"),
    path("governance/<slug:code>/", views.integration_detail_view, name="integration-detail"),
]
