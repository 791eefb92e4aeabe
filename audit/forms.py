"""The audit page's search form."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone

from audit.selectors import ORIGINS, AuditFilter


class AuditSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Text")
    actor = forms.CharField(required=False, max_length=150)
    action = forms.CharField(required=False, max_length=50, help_text="prefix, e.g. auth. or customer.merged")
    origin = forms.ChoiceField(required=False, choices=[("", "Everything"), *ORIGINS.items()])
    since = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label="To (inclusive)", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, object]:
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise forms.ValidationError("“From” must not be after “To”.")
        return data

    def to_filter(self) -> AuditFilter:
        data = self.cleaned_data if self.is_valid() else {}
        zone = timezone.get_current_timezone()
        since = data.get("since")
        until = data.get("until")
        return AuditFilter(
            q=(data.get("q") or "").strip(),
            actor=(data.get("actor") or "").strip(),
            action=(data.get("action") or "").strip(),
            origin=data.get("origin") or "",
            since=datetime.combine(since, time.min, tzinfo=zone) if since else None,
            until=datetime.combine(until + timedelta(days=1), time.min, tzinfo=zone) if until else None,
        )
