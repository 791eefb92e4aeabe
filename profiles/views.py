"""Steward pages of the profiles app: customer search, the unified profile and its steward
actions (pin, unpin, merge, split, undo), survivorship rules, match runs, the review queue
(decisions, bulk, comments, assignment), learning from decisions and the thresholds what-if.

Views parse input, call one service or selector and render; a refused action comes back to the
page with the reason as a message, never as an error page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from connectors.pull.virtual import virtual_payload_list
from profiles import selectors
from profiles.choices import CustomerStatus, PairStatus
from profiles.filtersets import CustomerFilterSet, MatchPairFilterSet
from profiles.forms import (
    SKIP,
    CustomerMergeForm,
    CustomerSplitForm,
    PairAssignForm,
    PairBulkForm,
    PairCommentForm,
    PairDecisionForm,
    SurvivorshipRuleForm,
    ThresholdsForm,
    ValuePinForm,
    ValueUnpinForm,
)
from profiles.models import Customer, CustomerEvent, MatchPair, ResolutionSettings
from profiles.roles import ADMIN, STEWARD, user_has_role
from profiles.services import decisions, review, stewardship, values
from profiles.templatetags.mdm_pages import sees_pii


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


CUSTOMERS_PER_PAGE = 50


def customer_list_view(request: HttpRequest) -> HttpResponse:
    """Search and filters (`CustomerFilterSet`, shared with the API); bad filter values are shown
    next to the form and the list stays unfiltered rather than failing."""
    filterset = CustomerFilterSet(request.GET or None)
    customers = filterset.qs if filterset.is_bound and filterset.is_valid() else selectors.customer_list()
    page = Paginator(customers, CUSTOMERS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "filter": filterset,
        "q": request.GET.get("q", ""),
        "filtered": any(v for k, v in request.GET.items() if k != "page"),
    }
    return render(request, "profiles/customer_list.html", context)


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
        # live payloads of virtual sources' records: fetched now (short timeout, cached briefly)
        "virtual_payloads": virtual_payload_list(records=customer.source_records.all()),
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
    settings = ResolutionSettings.current()
    context = {
        "run": run,
        "histogram": run.figures.get("score_histogram") or [],
        "settings": settings,
        "timings": sorted(((k, v) for k, v in (run.timings or {}).items() if k != "total"), key=lambda kv: -kv[1]),
    }
    return render(request, "profiles/run_detail.html", context)


def match_run_progress_view(request: HttpRequest, pk: int) -> JsonResponse:
    """What the run page polls every two seconds while a run is queued or running."""
    run = selectors.match_run_get(pk)
    if run is None:
        return JsonResponse({"detail": f"no match run {pk}"}, status=404)
    return JsonResponse(
        {
            "id": run.pk,
            "status": run.status,
            "active": run.is_active,
            "stage": run.stage,
            "progress": run.progress,
            "timings": run.timings,
            "summary": run.summary(),
            "error": run.error,
        }
    )


# ---- review queue -----------------------------------------------------------------------------

PAIRS_PER_PAGE = 25
SKIPPED_KEY = "review_skipped"


def _is_steward(request: HttpRequest) -> bool:
    """The steward check, asked once per request (the PII masking asks the same question)."""
    return sees_pii(request.user)


def _review_queryset(
    request: HttpRequest, settings: ResolutionSettings
) -> tuple[MatchPairFilterSet, QuerySet[MatchPair], str]:
    order = request.GET.get("order", "threshold")
    if order not in selectors.REVIEW_ORDERS:
        order = "threshold"
    everything = selectors.match_pair_review_list(order=order, auto_link=settings.auto_link_threshold)
    filterset = MatchPairFilterSet(request.GET or None, queryset=everything, request=request)
    pairs = filterset.qs if filterset.is_bound and filterset.is_valid() else everything
    return filterset, pairs, order


def _pair_context(request: HttpRequest, pair: MatchPair, settings: ResolutionSettings) -> dict[str, object]:
    customers = {r.customer for r in (pair.record_a, pair.record_b) if r.customer_id}
    return {
        "pair": pair,
        "evidence": selectors.match_pair_evidence(pair, settings=settings),
        "comments": selectors.match_pair_comment_list(pair),
        "same_customer": pair.record_a.customer_id is not None
        and pair.record_a.customer_id == pair.record_b.customer_id,
        "golden": sorted(customers, key=lambda c: c.pk),
        "rows": _side_by_side(pair),
    }


SIDE_BY_SIDE = (
    ("full_name", "Name"),
    ("email", "Email"),
    ("phone", "Phone"),
    ("date_of_birth", "Date of birth"),
    ("street", "Street"),
    ("city", "City"),
    ("postcode", "Postcode"),
    ("state", "State"),
    ("country", "Country"),
    ("company", "Company"),
    ("national_id", "National id"),
)


def _side_by_side(pair: MatchPair) -> list[dict[str, object]]:
    rows = []
    for field, label in SIDE_BY_SIDE:
        a, b = getattr(pair.record_a, field), getattr(pair.record_b, field)
        same = bool(a) and bool(b) and str(a).casefold() == str(b).casefold()
        rows.append(
            {"field": field, "label": label, "a": a, "b": b, "same": same, "differs": bool(a and b and not same)}
        )
    return rows


def review_queue_view(request: HttpRequest) -> HttpResponse:
    """The queue by priority, its filters and pages, and the pair at its head side by side."""
    settings = ResolutionSettings.current()
    filterset, pairs, order = _review_queryset(request, settings)
    # Sort and page on ids alone, then read the one page with its records and golden records.
    ids = selectors.match_pair_ids_by_size(pairs) if order == "size" else pairs.values_list("pk", flat=True)
    page = Paginator(ids, PAIRS_PER_PAGE).get_page(request.GET.get("page"))
    skipped = set(request.session.get(SKIPPED_KEY, []))
    rows = selectors.match_pair_rows(list(page.object_list))
    head = next((p for p in rows if p.pk not in skipped), rows[0] if rows else None)
    can_decide = _is_steward(request)
    context = {
        "page": page,
        "pairs": rows,
        "filter": filterset,
        "order": order,
        "orders": selectors.REVIEW_ORDERS,
        "can_decide": can_decide,
        "settings": settings,
        "stewards": selectors.steward_user_list() if can_decide else [],
        "skipped": skipped,
        "here": request.get_full_path(),
    }
    if head is not None:
        context.update(_pair_context(request, head, settings))
    return render(request, "profiles/review_queue.html", context)


def review_pair_view(request: HttpRequest, pk: int) -> HttpResponse:
    pair = selectors.match_pair_get(pk)
    if pair is None:
        raise Http404(f"no match pair {pk}")
    settings = ResolutionSettings.current()
    context = {
        "can_decide": _is_steward(request) and pair.status == PairStatus.REVIEW,
        "settings": settings,
        "stewards": selectors.steward_user_list(),
        "here": request.get_full_path(),
        "single": True,
        **_pair_context(request, pair, settings),
    }
    return render(request, "profiles/review_pair.html", context)


def _back(request: HttpRequest, fallback: str = "review-queue") -> HttpResponse:
    """Back where the steward came from (the filtered queue), never to another site."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(fallback)


def _pair_or_404(pk: int) -> MatchPair:
    pair = MatchPair.objects.filter(pk=pk).first()
    if pair is None:
        raise Http404(f"no match pair {pk}")
    return pair


@require_POST
@role_required(STEWARD)
def review_decide_view(request: HttpRequest, pk: int) -> HttpResponse:
    pair = _pair_or_404(pk)
    form = PairDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Nothing decided: {_form_errors(form)}")
        return _back(request)
    decision, comment = form.cleaned_data["decision"], form.cleaned_data["comment"]
    if decision == SKIP:
        skipped = [p for p in request.session.get(SKIPPED_KEY, []) if p != pair.pk][-500:]
        request.session[SKIPPED_KEY] = [*skipped, pair.pk]
        messages.info(request, f"Pair {pair.pk} skipped for now.")
        return _back(request)
    try:
        review.match_pair_review_decide(pair=pair, decision=decision, actor=_actor(request), comment=comment)
    except ValidationError as exc:
        messages.error(request, f"Nothing decided: {_errors(exc)}")
    else:
        label = "match" if decision == "match" else "no match"
        messages.success(request, f"Pair {pair.pk} decided: {label}. The next run applies it.")
    return _back(request)


@require_POST
@role_required(STEWARD)
def review_bulk_view(request: HttpRequest) -> HttpResponse:
    """The ticked pairs, or every pair of the current filter (the filter rides along in the form)."""
    form = PairBulkForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Nothing changed: {_form_errors(form)}")
        return _back(request)
    data = form.cleaned_data
    if data["everything_filtered"]:
        filterset = MatchPairFilterSet(request.POST, queryset=selectors.match_pair_review_list(), request=request)
        if not filterset.is_valid():
            messages.error(request, "Nothing changed: the filter is not valid")
            return _back(request)
        pairs = list(filterset.qs.order_by("id")[: review.BULK_LIMIT + 1])
    else:
        pairs = list(MatchPair.objects.filter(pk__in=data["pairs"]))
    action = data["action"]
    try:
        if action in ("match", "no-match"):
            done = review.match_pairs_decide(
                pairs=pairs, decision=action, actor=_actor(request), comment=data["comment"]
            )
            messages.success(request, f"{done} pair{'s' if done != 1 else ''} decided: {action}.")
        else:
            assignee = request.user if action == "assign-me" else None
            done = review.match_pairs_assign(pairs=pairs, assignee=assignee, actor=_actor(request))
            messages.success(
                request, f"{done} pair{'s' if done != 1 else ''} {'assigned to you' if assignee else 'unassigned'}."
            )
    except ValidationError as exc:
        messages.error(request, f"Nothing changed: {_errors(exc)}")
    return _back(request)


@require_POST
@role_required(STEWARD)
def review_comment_view(request: HttpRequest, pk: int) -> HttpResponse:
    pair = _pair_or_404(pk)
    form = PairCommentForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"No comment added: {_form_errors(form)}")
        return _back(request)
    try:
        review.match_pair_comment_add(pair=pair, author=_actor(request), text=form.cleaned_data["text"])
    except ValidationError as exc:
        messages.error(request, f"No comment added: {_errors(exc)}")
    else:
        messages.success(request, "Comment added.")
    return _back(request)


@require_POST
@role_required(STEWARD)
def review_assign_view(request: HttpRequest, pk: int) -> HttpResponse:
    pair = _pair_or_404(pk)
    form = PairAssignForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Not assigned: {_form_errors(form)}")
        return _back(request)
    name = form.cleaned_data["assignee"]
    assignee = None
    if name:
        assignee = get_user_model().objects.filter(username=name).first()
        if assignee is None:
            messages.error(request, f"Not assigned: there is no user {name!r}")
            return _back(request)
    try:
        review.match_pairs_assign(pairs=[pair], assignee=assignee, actor=_actor(request))
    except ValidationError as exc:
        messages.error(request, f"Not assigned: {_errors(exc)}")
    else:
        messages.success(request, f"Pair {pair.pk} {'assigned to ' + name if name else 'unassigned'}.")
    return _back(request)


# ---- learning from decisions, thresholds ------------------------------------------------------


def review_learning_view(request: HttpRequest) -> HttpResponse:
    """Models (with held-out precision / recall before and after training) and the thresholds."""
    settings = ResolutionSettings.current()
    form = ThresholdsForm(
        request.GET if "preview" in request.GET else None,
        initial={
            "auto_link_threshold": settings.auto_link_threshold,
            "review_threshold": settings.review_threshold,
            "retrain_after_decisions": settings.retrain_after_decisions,
        },
    )
    what_if = None
    if form.is_bound and form.is_valid():
        what_if = selectors.threshold_what_if(
            auto_link=form.cleaned_data["auto_link_threshold"], review=form.cleaned_data["review_threshold"]
        )
    context = {
        "settings": settings,
        "form": form,
        "what_if": what_if,
        "models": selectors.match_model_list(),
        "decided": MatchPair.objects.filter(status=PairStatus.DECIDED).count(),
        "since_training": selectors.decisions_since_last_training(),
        "can_train": user_has_role(request.user, STEWARD),
        "can_edit": user_has_role(request.user, ADMIN),
    }
    return render(request, "profiles/review_learning.html", context)


@require_POST
@role_required(STEWARD)
def review_train_view(request: HttpRequest) -> HttpResponse:
    try:
        model = decisions.supervised_model_train(actor=_actor(request))
    except decisions.NotEnoughDecisions as exc:
        messages.error(request, f"No model trained: {exc}")
    else:
        held = model.metrics.get("held_out") or {}
        figures = f"held-out precision {held.get('precision')}, recall {held.get('recall')}"
        if model.is_active:
            messages.success(request, f"Model #{model.pk} trained and activated ({figures}).")
        else:
            messages.warning(request, f"Model #{model.pk} trained but not activated: {model.metrics.get('verdict')}.")
    return redirect("review-learning")


@require_POST
@role_required(ADMIN)
def review_thresholds_view(request: HttpRequest) -> HttpResponse:
    form = ThresholdsForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Thresholds not saved: {_form_errors(form)}")
        return redirect("review-learning")
    try:
        review.resolution_settings_update(actor=_actor(request), **form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, f"Thresholds not saved: {_errors(exc)}")
    else:
        messages.success(request, "Thresholds saved; they apply from the next match run.")
    return redirect("review-learning")
