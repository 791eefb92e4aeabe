"""API route of "find similar before create"."""

from django.urls import path

from profiles.api.match import MatchView

urlpatterns = [
    path("match/", MatchView.as_view(), name="api-match"),
]
