from django.urls import path

from connectors import views

urlpatterns = [
    path("sources/", views.source_list_view, name="source-list"),
    path("sources/<slug:code>/", views.source_detail_view, name="source-detail"),
    path("batches/<int:pk>/", views.batch_detail_view, name="batch-detail"),
    path("webhooks/", views.webhook_list_view, name="webhook-list"),
    path("webhooks/new/", views.webhook_form_view, name="webhook-create"),
    path("webhooks/<int:pk>/", views.webhook_detail_view, name="webhook-detail"),
    path("webhooks/<int:pk>/edit/", views.webhook_form_view, name="webhook-edit"),
    path("webhooks/<int:pk>/active/", views.webhook_active_view, name="webhook-active"),
    path(
        "webhooks/<int:pk>/deliveries/<int:delivery_id>/redeliver/",
        views.webhook_redeliver_view,
        name="webhook-redeliver",
    ),
]
