"""`manage.py ensure_user NAME --role viewer|steward|admin [--password P]`: create or update a login."""

import os

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from profiles.roles import ADMIN, ROLES


class Command(BaseCommand):
    help = "Create or update a user in one role (viewer, steward or admin); admins may use Django admin."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", choices=ROLES, required=True)
        parser.add_argument("--password", help="password to set; default: the MDM_USER_PASSWORD environment variable")

    def handle(self, *args: object, **options: object) -> None:
        password = options["password"] or os.environ.get("MDM_USER_PASSWORD")
        if not password:
            raise CommandError("give --password or set MDM_USER_PASSWORD")
        role = options["role"]
        with transaction.atomic():
            user, created = get_user_model().objects.get_or_create(username=options["username"])
            user.set_password(password)
            user.is_staff = role == ADMIN
            user.is_active = True
            user.save()
            user.groups.set([Group.objects.get(name=role)])
        self.stdout.write(f"{'created' if created else 'updated'} user {user.username} with role {role}")
