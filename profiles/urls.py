from django.urls import path

from profiles import views

urlpatterns = [
    path("customers/", views.customer_list_view, name="customer-list"),
    path("customers/<int:pk>/", views.customer_detail_view, name="customer-detail"),
    path("runs/", views.match_run_list_view, name="run-list"),
    path("runs/<int:pk>/", views.match_run_detail_view, name="run-detail"),
]
