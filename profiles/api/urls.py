"""API routes of golden records, the changes feed and the review queue."""

from django.urls import path

from profiles.api import views

urlpatterns = [
    path("customers/", views.CustomerListView.as_view(), name="api-customer-list"),
    path("customers/<int:pk>/", views.CustomerView.as_view(), name="api-customer-detail"),
    path("customers/<int:pk>/timeline/", views.CustomerTimelineView.as_view(), name="api-customer-timeline"),
    path("changes/", views.ChangeFeedView.as_view(), name="api-changes"),
    path("match-pairs/", views.MatchPairListView.as_view(), name="api-match-pair-list"),
    path("match-pairs/<int:pk>/", views.MatchPairView.as_view(), name="api-match-pair-detail"),
    path("match-pairs/<int:pk>/decision/", views.MatchPairDecisionView.as_view(), name="api-match-pair-decision"),
]
