from django.urls import path

from connectors import views

urlpatterns = [
    path("sources/", views.source_list_view, name="source-list"),
    path("sources/<slug:code>/", views.source_detail_view, name="source-detail"),
    path("batches/<int:pk>/", views.batch_detail_view, name="batch-detail"),
]
