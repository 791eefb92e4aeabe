"""Pages of the governance app."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from governance import selectors


def integration_list_view(request: HttpRequest) -> HttpResponse:
    return render(request, "governance/integration_list.html", {"integrations": selectors.integration_list()})
