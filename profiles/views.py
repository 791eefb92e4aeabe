"""Steward pages of the profiles app: customer search and the customer profile."""

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from profiles import selectors
from profiles.choices import CustomerStatus


def customer_list_view(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")
    customers = selectors.customer_list(q=q, source=request.GET.get("source", ""))
    page = Paginator(customers, 50).get_page(request.GET.get("page"))
    return render(request, "profiles/customer_list.html", {"page": page, "q": q})


def customer_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    customer = selectors.customer_get(pk)
    if customer is None:
        raise Http404(f"no customer {pk}")
    if customer.status == CustomerStatus.RETIRED and customer.merged_into_id:
        return redirect("customer-detail", pk=customer.merged_into_id)
    context = {"customer": customer, "activities": selectors.customer_activity_list(customer)}
    return render(request, "profiles/customer_detail.html", context)


def match_run_list_view(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.match_run_list(), 25).get_page(request.GET.get("page"))
    return render(request, "profiles/run_list.html", {"page": page})


def match_run_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    run = selectors.match_run_get(pk)
    if run is None:
        raise Http404(f"no match run {pk}")
    histogram = run.figures.get("score_histogram") or []
    peak = max(histogram) if histogram else 0
    bars = [
        {"low": i * 5, "high": (i + 1) * 5, "count": n, "height": round(100 * n / peak) if peak else 0}
        for i, n in enumerate(histogram)
    ]
    return render(request, "profiles/run_detail.html", {"run": run, "bars": bars})
