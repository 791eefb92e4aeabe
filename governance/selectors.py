"""Reads of the governance app: the integration catalog."""

from django.db.models import QuerySet

from governance.models import Integration


def integration_list() -> QuerySet[Integration]:
    return Integration.objects.select_related("source", "owner").order_by("source__code")
