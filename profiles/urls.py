from django.urls import path

from profiles import views

urlpatterns = [
    path("customers/", views.customer_list_view, name="customer-list"),
    path("customers/<int:pk>/", views.customer_detail_view, name="customer-detail"),
]
