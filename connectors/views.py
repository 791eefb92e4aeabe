"""Pages of the connectors app: sources, import batches and their quarantine."""

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from connectors import selectors


def source_list_view(request: HttpRequest) -> HttpResponse:
    return render(request, "connectors/source_list.html", {"sources": selectors.source_list()})


def source_detail_view(request: HttpRequest, code: str) -> HttpResponse:
    source = selectors.source_get(code)
    if source is None:
        raise Http404(f"no source {code!r}")
    batches = Paginator(selectors.batch_list(source=source), 25).get_page(request.GET.get("page"))
    context = {
        "source": source,
        "figures": selectors.source_figures(source),
        "batches": batches,
        "integration": getattr(source, "integration", None),
    }
    return render(request, "connectors/source_detail.html", context)


def batch_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    batch = selectors.batch_get(pk)
    if batch is None:
        raise Http404(f"no import batch {pk}")
    rows = Paginator(selectors.quarantined_row_list(batch=batch), 50).get_page(request.GET.get("page"))
    return render(request, "connectors/batch_detail.html", {"batch": batch, "rows": rows})
