"""API route of inbound source events (connector kind `events`): authenticated by signature.

In profiles, like the upsert, because applying an event reaches into golden records (deletes
recompute them); connectors imports no other app."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from profiles.api.source_events import SourceEventsView

urlpatterns = [
    path(
        "sources/<str:source>/events/",
        login_not_required(SourceEventsView.as_view()),
        name="api-source-events",
    ),
]
