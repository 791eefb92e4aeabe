"""Small API views exercising the access layer on its own (used with `pytest.mark.urls`)."""

from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from access.permissions import token_source_allowed
from mdm.api import api_urlpatterns


class ReadView(APIView):
    def get(self, request):
        return Response({"ok": True})


class StewardView(APIView):
    required_scope = "steward"

    def get(self, request):
        return Response({"ok": True})


class MixedView(APIView):
    required_scope = {"GET": "read", "POST": "write"}

    def get(self, request):
        return Response({"ok": "read"})

    def post(self, request):
        return Response({"ok": "write", "source_allowed": token_source_allowed(request, request.data.get("source"))})

    def put(self, request):
        return Response({"ok": "put"})


class BrokenView(APIView):
    def get(self, request):
        raise RuntimeError("a bug")


handler500 = "mdm.api.server_error_handler"
urlpatterns = api_urlpatterns(
    [
        path("api/v1/read/", ReadView.as_view()),
        path("api/v1/steward/", StewardView.as_view()),
        path("api/v1/mixed/", MixedView.as_view()),
        path("api/v1/broken/", BrokenView.as_view()),
    ]
)
