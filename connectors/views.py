"""Pages of the connectors app: sources, import batches and their quarantine, webhooks."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Max, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from connectors import selectors
from connectors.choices import WEBHOOK_OPEN_STATUSES, WebhookDeliveryStatus
from connectors.forms import WebhookDeliveryFilterForm, WebhookSubscriptionForm
from connectors.models import WebhookSubscription
from connectors.services import webhooks


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


# Webhook subscriptions (outbound sync): viewers read, stewards and admins manage.
# The role names of profiles/roles.py, repeated because connectors imports no other app.
_MANAGER_GROUPS = ("steward", "admin")
_SECRET_SESSION_KEY = "webhook_secret_once"


def _webhook_role(user: object) -> tuple[bool, bool]:
    """(may manage subscriptions, may see secrets): stewards manage, admins see secrets too."""
    if getattr(user, "is_superuser", False):
        return True, True
    groups = set(user.groups.filter(name__in=_MANAGER_GROUPS).values_list("name", flat=True))  # type: ignore[attr-defined]
    return bool(groups), "admin" in groups


def _webhook_manager(request: HttpRequest) -> None:
    if not _webhook_role(request.user)[0]:
        raise PermissionDenied("managing webhooks needs the steward or admin role")


def _webhook_or_404(pk: int) -> WebhookSubscription:
    subscription = WebhookSubscription.objects.select_related("source").filter(pk=pk).first()
    if subscription is None:
        raise Http404(f"no webhook subscription {pk}")
    return subscription


def webhook_list_view(request: HttpRequest) -> HttpResponse:
    subscriptions = WebhookSubscription.objects.select_related("source").annotate(
        open_count=Count("deliveries", filter=Q(deliveries__status__in=WEBHOOK_OPEN_STATUSES)),
        dead_count=Count("deliveries", filter=Q(deliveries__status=WebhookDeliveryStatus.DEAD)),
        last_delivered_at=Max("deliveries__delivered_at"),
    )
    can_manage, _ = _webhook_role(request.user)
    return render(request, "connectors/webhook_list.html", {"subscriptions": subscriptions, "can_manage": can_manage})


def webhook_form_view(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Create (no pk) or edit a subscription."""
    _webhook_manager(request)
    subscription = _webhook_or_404(pk) if pk else None
    form = WebhookSubscriptionForm(request.POST or None, instance=subscription)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        actor = request.user.get_username()
        try:
            if subscription is None:
                subscription = webhooks.webhook_subscription_create(actor=actor, **data)
                request.session[_SECRET_SESSION_KEY] = subscription.pk
                messages.success(request, f"Subscription {subscription.name!r} created.")
            else:
                webhooks.webhook_subscription_update(subscription=subscription, actor=actor, data=data)
                messages.success(request, f"Subscription {subscription.name!r} saved.")
        except ValidationError as exc:
            for field_name, errors in exc.message_dict.items():
                form.add_error(field_name if field_name in form.fields else None, errors)
        else:
            return redirect(subscription)
    return render(request, "connectors/webhook_form.html", {"form": form, "subscription": subscription})


@require_POST
def webhook_active_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Deactivate (or reactivate) a subscription."""
    _webhook_manager(request)
    subscription = _webhook_or_404(pk)
    active = request.POST.get("active") == "1"
    webhooks.webhook_subscription_update(
        subscription=subscription, actor=request.user.get_username(), data={"active": active}
    )
    messages.success(request, f"Subscription {subscription.name!r} {'activated' if active else 'deactivated'}.")
    return redirect(subscription)


def webhook_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A subscription and its delivery log, newest first, filtered by status."""
    subscription = _webhook_or_404(pk)
    can_manage, can_see_secret = _webhook_role(request.user)
    show_secret = request.session.pop(_SECRET_SESSION_KEY, None) == subscription.pk and can_manage
    filters = WebhookDeliveryFilterForm(request.GET or None)
    deliveries = subscription.deliveries.order_by("-sequence", "-id")
    status = filters.cleaned_data["status"] if filters.is_valid() else ""
    if status:
        deliveries = deliveries.filter(status=status)
    counts = dict(
        subscription.deliveries.order_by().values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    page = Paginator(deliveries, 50).get_page(request.GET.get("page"))
    context = {
        "subscription": subscription,
        "deliveries": page,
        "filters": filters,
        "status": status,
        "counts": [(value, label, counts.get(value, 0)) for value, label in WebhookDeliveryStatus.choices],
        "can_manage": can_manage,
        "show_secret": show_secret,
        "can_see_secret": can_see_secret,
    }
    return render(request, "connectors/webhook_detail.html", context)


@require_POST
def webhook_redeliver_view(request: HttpRequest, pk: int, delivery_id: int) -> HttpResponse:
    _webhook_manager(request)
    subscription = _webhook_or_404(pk)
    delivery = subscription.deliveries.filter(pk=delivery_id).first()
    if delivery is None:
        raise Http404(f"no delivery {delivery_id} of webhook subscription {pk}")
    try:
        webhooks.webhook_delivery_redeliver(delivery=delivery, actor=request.user.get_username())
    except webhooks.WebhookError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Delivery {delivery.pk} (#{delivery.sequence}) queued for redelivery.")
    return redirect(subscription)
