from django.urls import path

from governance import views

urlpatterns = [
    path("governance/", views.integration_list_view, name="governance"),
    # Before <code>/: "lineage" is a page of its own, not a source code.
    path("governance/lineage/", views.lineage_view, name="lineage"),
    path("governance/lineage/customer/<int:pk>/", views.customer_lineage_view, name="lineage-customer"),
    path("governance/<slug:code>/", views.integration_detail_view, name="integration-detail"),
    path("governance/<slug:code>/trust/", views.source_trust_apply_view, name="integration-trust-apply"),
]
