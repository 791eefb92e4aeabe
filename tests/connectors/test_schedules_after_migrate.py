"""Schedules declared in code by connectors exist after `migrate`, without anyone creating them."""

import pytest
from django.apps import apps
from django_q.models import Schedule

from connectors.apps import _after_migrate


@pytest.mark.django_db
def test_webhook_retry_and_sync_schedules_exist_after_migrate():
    Schedule.objects.all().delete()
    _after_migrate(apps=apps)
    _after_migrate(apps=apps)  # idempotent
    names = sorted(Schedule.objects.values_list("name", flat=True))
    assert names == ["connectors-sync-due", "webhooks-deliver-due"]
    funcs = set(Schedule.objects.values_list("func", flat=True))
    assert funcs == {"connectors.sync_tasks.sync_due_task", "connectors.tasks.webhook_deliver_due_task"}
