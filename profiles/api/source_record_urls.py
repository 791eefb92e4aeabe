"""API routes of source records: upsert with real-time resolution, delete, xref lookup.

They live in profiles, not connectors, because they orchestrate both apps (write the records,
then resolve them and recompute golden records), and connectors imports no other app.
"""

from django.urls import path

from profiles.api.source_records import SourceRecordUpsertView, SourceRecordView, XrefView

urlpatterns = [
    path("sources/<str:source>/records/", SourceRecordUpsertView.as_view(), name="api-source-records"),
    path("sources/<str:source>/records/<path:source_id>/", SourceRecordView.as_view(), name="api-source-record"),
    path("xrefs/<str:source>/<path:source_id>/", XrefView.as_view(), name="api-xref"),
]
