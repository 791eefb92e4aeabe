from django.urls import path

from audit import views

urlpatterns = [
    path("", views.audit_trail_view, name="audit-trail"),
]
