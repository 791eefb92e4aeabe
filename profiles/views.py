"""Steward pages of the profiles app: customer search, the unified profile and its steward
actions (pin, unpin, merge, split, undo), survivorship rules, match runs.

Views parse input, call one service or selector and render; a refused action comes back to the
page with the reason as a message, never as an error page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from profiles import selectors
from profiles.choices import CustomerStatus
from profiles.forms import (
    CustomerMergeForm,
    CustomerSplitForm,
    SurvivorshipRuleForm,
    ValuePinForm,
    ValueUnpinForm,
)
from profiles.models import Customer, CustomerEvent
from profiles.roles import ADMIN, STEWARD, user_has_role
from profiles.services import stewardship, values


def role_required(role: str) -> Callable:
    """Refuse (403) users without the role."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            if not user_has_role(request.user, role):
                raise PermissionDenied(f"this needs the {role} role")
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def _actor(request: HttpRequest) -> str:
    return request.user.get_username()


def _errors(exc: ValidationError) -> str:
    return "; ".join(exc.messages)


def _form_errors(form) -> str:  # noqa: ANN001 - any bound form
    return "; ".join(
        f"{'' if field == '__all__' else field + ': '}{e}" for field, es in form.errors.items() for e in es
    )


def _live_customer(pk: int) -> Customer:
    customer = Customer.objects.filter(pk=pk).first()
    if customer is None:
        raise Http404(f"no customer {pk}")
    return customer


def customer_list_view(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")
    conflicts = request.GET.get("conflicts", "") in ("1", "on", "true")
    customers = selectors.customer_list(q=q, source=request.GET.get("source", ""), conflicts=conflicts)
    page = Paginator(customers, 50).get_page(request.GET.get("page"))
    return render(request, "profiles/customer_list.html", {"page": page, "q": q, "conflicts": conflicts})


def customer_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    customer = selectors.customer_get(pk)
    if customer is None:
        raise Http404(f"no customer {pk}")
    if customer.status == CustomerStatus.RETIRED and customer.merged_into_id:
        return redirect("customer-detail", pk=customer.merged_into_id)
    context = {
        "customer": customer,
        "attributes": selectors.golden_attribute_list(customer),
        "summary": selectors.customer_summary(customer),
        "relationships": selectors.customer_relationship_list(customer),
        "events": selectors.customer_event_list(customer),
        "activities": selectors.customer_activity_list(customer),
        "can_steward": user_has_role(request.user, STEWARD) and customer.status == CustomerStatus.ACTIVE,
        "pin_choices": ValuePinForm.base_fields["attribute"].choices,
    }
    return render(request, "profiles/customer_detail.html", context)


@require_POST
@role_required(STEWARD)
def customer_pin_view(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _live_customer(pk)
    form = ValuePinForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Nothing pinned: {_form_errors(form)}")
        return redirect(customer)
    data = form.cleaned_data
    try:
        pin = values.value_pin(
            customer=customer,
            attribute=data["attribute"],
            record_id=data["record"],
            value=data["value"],
            reason=data["reason"],
            actor=_actor(request),
        )
    except ValidationError as exc:
        messages.error(request, f"Nothing pinned: {_errors(exc)}")
    else:
        messages.success(request, f"{pin.attribute.replace('_', ' ')} pinned to “{pin.value}”.")
    return redirect(customer)


@require_POST
@role_required(STEWARD)
def customer_unpin_view(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _live_customer(pk)
    form = ValueUnpinForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Nothing unpinned: {_form_errors(form)}")
        return redirect(customer)
    try:
        values.value_unpin(customer=customer, attribute=form.cleaned_data["attribute"], actor=_actor(request))
    except ValidationError as exc:
        messages.error(request, f"Nothing unpinned: {_errors(exc)}")
    else:
        messages.success(request, f"{form.cleaned_data['attribute'].replace('_', ' ')} unpinned.")
    return redirect(customer)


@require_POST
@role_required(STEWARD)
def customer_merge_view(request: HttpRequest, pk: int) -> HttpResponse:
    survivor = _live_customer(pk)
    form = CustomerMergeForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Nothing merged: {_form_errors(form)}")
        return redirect(survivor)
    others = [Customer(pk=other) for other in form.cleaned_data["others"]]
    try:
        stewardship.customer_merge(
            survivor=survivor, others=others, actor=_actor(request), reason=form.cleaned_data["reason"]
        )
    except ValidationError as exc:
        messages.error(request, f"Nothing merged: {_errors(exc)}")
    else:
        ids = ", ".join(f"#{o.pk}" for o in others)
        messages.success(request, f"Merged {ids} into #{survivor.pk}; the old ids now redirect here.")
    return redirect(survivor)


@require_POST
@role_required(STEWARD)
def customer_split_view(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _live_customer(pk)
    linked = list(customer.source_records.filter(is_deleted=False).values_list("pk", flat=True))
    form = CustomerSplitForm(request.POST, record_ids=linked)
    if not form.is_valid():
        messages.error(request, f"Nothing split: {_form_errors(form)}")
        return redirect(customer)
    try:
        event = stewardship.customer_split(
            customer=customer,
            record_ids=form.cleaned_data["records"],
            actor=_actor(request),
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as exc:
        messages.error(request, f"Nothing split: {_errors(exc)}")
    else:
        new = event.parameters["into"][0]
        messages.success(request, f"Split {len(form.cleaned_data['records'])} source record(s) off into #{new}.")
    return redirect(customer)


@require_POST
@role_required(STEWARD)
def customer_event_undo_view(request: HttpRequest, pk: int, event_pk: int) -> HttpResponse:
    customer = _live_customer(pk)
    event = CustomerEvent.objects.filter(pk=event_pk, customer=customer).first()
    if event is None:
        raise Http404(f"no event {event_pk} of customer {pk}")
    try:
        stewardship.customer_event_undo(event=event, actor=_actor(request))
    except ValidationError as exc:
        messages.error(request, f"Not undone: {_errors(exc)}")
    else:
        messages.success(request, f"The {event.parameters.get('action')} was undone.")
    return redirect(customer)


def survivorship_rule_list_view(request: HttpRequest) -> HttpResponse:
    context = {
        "rules": selectors.survivorship_rule_list(),
        "changes": selectors.survivorship_rule_change_list(),
        "can_edit": user_has_role(request.user, ADMIN),
    }
    return render(request, "profiles/rule_list.html", context)


@role_required(ADMIN)
def survivorship_rule_edit_view(request: HttpRequest, attribute: str) -> HttpResponse:
    rule = selectors.survivorship_rule_get(attribute)
    if rule is None:
        raise Http404(f"no survivorship rule for {attribute!r}")
    form = SurvivorshipRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in SurvivorshipRuleForm.Meta.fields}
        try:
            values.survivorship_rule_update(
                rule=selectors.survivorship_rule_get(attribute), actor=_actor(request), **changes
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc)
        else:
            messages.success(request, f"Rule for {rule.get_attribute_display()} saved; golden records are recomputed.")
            return redirect("rule-list")
    return render(request, "profiles/rule_form.html", {"rule": rule, "form": form})


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
