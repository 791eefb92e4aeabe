"""Forms of the connectors pages: webhook subscriptions."""

from __future__ import annotations

from django import forms

from connectors.choices import WebhookDeliveryStatus, WebhookEventType
from connectors.models import SourceSystem, WebhookSubscription
from connectors.services.webhooks import SECRET_MIN_LENGTH


class WebhookSubscriptionForm(forms.ModelForm):
    """Create or edit a subscription; the service validates and saves (the form only parses)."""

    url = forms.URLField(
        max_length=1000, assume_scheme="https", help_text="http(s) endpoint receiving the signed POSTs"
    )
    event_types = forms.MultipleChoiceField(
        choices=WebhookEventType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="none ticked = every event type",
    )
    source = forms.ModelChoiceField(
        queryset=SourceSystem.objects.order_by("code"),
        required=False,
        empty_label="— none —",
        help_text="the source system this subscriber syncs into: changes it caused are not sent back to it",
    )
    max_attempts = forms.IntegerField(
        min_value=1, max_value=50, help_text="attempts before a delivery is dead-lettered (retries back off)"
    )
    secret = forms.CharField(
        required=False,
        min_length=SECRET_MIN_LENGTH,
        max_length=200,
        strip=True,
        widget=forms.PasswordInput(render_value=False),
        help_text="leave empty to generate one (new subscription) or keep the current one",
    )

    class Meta:
        model = WebhookSubscription
        fields = ["name", "url", "event_types", "source", "active", "max_attempts", "secret"]

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        if not url.lower().startswith(("http://", "https://")):
            raise forms.ValidationError("the url must start with http:// or https://")
        return url

    def _post_clean(self) -> None:
        # Model validation happens in the service; the form only parses the fields.
        pass


class WebhookDeliveryFilterForm(forms.Form):
    """The delivery log's status filter."""

    status = forms.ChoiceField(choices=[("", "any status"), *WebhookDeliveryStatus.choices], required=False)
