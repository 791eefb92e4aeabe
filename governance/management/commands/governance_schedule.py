"""`manage.py governance_schedule`: create or correct the declared schedules (also done by `migrate`)."""

from django.core.management.base import BaseCommand

from governance.services.schedules import schedules_ensure


class Command(BaseCommand):
    help = "Create or correct governance's periodic django-q2 schedules (the health check); idempotent."

    def handle(self, *args: object, **options: object) -> None:
        for name, outcome in schedules_ensure():
            self.stdout.write(f"{name}: {outcome}")
