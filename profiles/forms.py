"""Forms of the steward pages: pins, merge, split, survivorship rules."""

from __future__ import annotations

import re

from django import forms

from profiles.constants import PINNABLE_ATTRIBUTES
from profiles.models import SurvivorshipRule

_ATTRIBUTE_CHOICES = [(name, name.replace("_", " ")) for name in PINNABLE_ATTRIBUTES]


class ValuePinForm(forms.Form):
    """Pin either a linked record's value (`record`) or a typed `value`."""

    attribute = forms.ChoiceField(choices=_ATTRIBUTE_CHOICES)
    record = forms.IntegerField(required=False, min_value=1)
    value = forms.CharField(required=False, max_length=500, strip=True)
    reason = forms.CharField(required=False, max_length=500, strip=True)

    def clean(self) -> dict[str, object]:
        data = super().clean()
        if not data.get("record") and not data.get("value"):
            raise forms.ValidationError("pick a source value or type one to pin")
        return data


class ValueUnpinForm(forms.Form):
    attribute = forms.ChoiceField(choices=_ATTRIBUTE_CHOICES)


class CustomerMergeForm(forms.Form):
    """Golden record ids to merge into this one, separated by commas or spaces."""

    others = forms.CharField(max_length=2000, strip=True)
    reason = forms.CharField(required=False, max_length=500, strip=True)

    def clean_others(self) -> list[int]:
        tokens = [t for t in re.split(r"[\s,;]+", self.cleaned_data["others"]) if t]
        ids = []
        for token in tokens:
            token = token.lstrip("#")
            if not token.isdigit() or len(token) > 18:
                raise forms.ValidationError(f"{token[:30]!r} is not a golden record id")
            ids.append(int(token))
        if not ids:
            raise forms.ValidationError("enter the ids of the golden records to merge into this one")
        if len(ids) > 100:
            raise forms.ValidationError("merge at most 100 golden records at a time")
        return ids


class CustomerSplitForm(forms.Form):
    records = forms.TypedMultipleChoiceField(coerce=int, choices=())
    reason = forms.CharField(required=False, max_length=500, strip=True)

    def __init__(self, *args: object, record_ids: list[int], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["records"].choices = [(pk, pk) for pk in record_ids]
        self.fields["records"].error_messages["required"] = "choose the source records to split off"
        self.fields["records"].error_messages["invalid_choice"] = (
            "%(value)s is not a source record of this golden record"
        )


class SurvivorshipRuleForm(forms.ModelForm):
    source_priority = forms.CharField(
        required=False,
        max_length=2000,
        help_text="source codes, most preferred first, separated by commas",
    )

    class Meta:
        model = SurvivorshipRule
        fields = [
            "strategy",
            "source_priority",
            "min_trust",
            "decay_days",
            "decay_floor",
            "decay_curve",
            "flag_conflicts",
        ]

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        if self.instance and not self.is_bound:
            self.initial["source_priority"] = ", ".join(self.instance.source_priority or [])

    def clean_source_priority(self) -> list[str]:
        text = self.cleaned_data.get("source_priority") or ""
        return [code for code in re.split(r"[\s,;]+", text) if code]


SKIP = "skip"
DECISION_CHOICES = [("match", "Match"), ("no-match", "No match"), (SKIP, "Skip")]


class PairDecisionForm(forms.Form):
    """One click in the review queue: match, no-match or skip (leave it for later), with an optional comment."""

    decision = forms.ChoiceField(choices=DECISION_CHOICES)
    comment = forms.CharField(required=False, max_length=2000, strip=True)


BULK_ACTIONS = [
    ("match", "Match"),
    ("no-match", "No match"),
    ("assign-me", "Assign to me"),
    ("unassign", "Unassign"),
]


class PairBulkForm(forms.Form):
    """A decision or assignment for the ticked pairs, or for every pair the current filter shows."""

    action = forms.ChoiceField(choices=BULK_ACTIONS)
    pairs = forms.TypedMultipleChoiceField(coerce=int, required=False, choices=())
    everything_filtered = forms.BooleanField(required=False)
    comment = forms.CharField(required=False, max_length=2000, strip=True)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # Any id is acceptable here; which pairs still wait for review is the service's business.
        self.fields["pairs"].valid_value = lambda value: str(value).isdigit() and len(str(value)) < 19

    def clean(self) -> dict[str, object]:
        data = super().clean()
        if not data.get("pairs") and not data.get("everything_filtered"):
            raise forms.ValidationError("tick some pairs, or choose every pair of the filter")
        return data


class PairCommentForm(forms.Form):
    text = forms.CharField(max_length=2000, strip=True, label="Comment")


class PairAssignForm(forms.Form):
    """Assign to a steward by user name; empty unassigns."""

    assignee = forms.CharField(required=False, max_length=150, strip=True)


class ThresholdsForm(forms.Form):
    """The auto-link and review thresholds (and how often decisions retrain the model)."""

    auto_link_threshold = forms.FloatField(min_value=0, max_value=1, label="Auto-link threshold")
    review_threshold = forms.FloatField(min_value=0, max_value=1, label="Review threshold")
    retrain_after_decisions = forms.IntegerField(
        min_value=0, max_value=1_000_000, label="Retrain after this many new decisions (0: on demand only)"
    )

    def clean(self) -> dict[str, object]:
        data = super().clean()
        auto, review = data.get("auto_link_threshold"), data.get("review_threshold")
        if auto is not None and review is not None and review > auto:
            raise forms.ValidationError("the review threshold must not be above the auto-link threshold")
        return data
