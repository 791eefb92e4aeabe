"""`manage.py issue_token NAME --scope read|write|steward [--source CODE]` (SPEC §3)."""

from __future__ import annotations

import getpass

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from access.choices import TokenScope
from access.services import api_token_issue
from connectors.models import SourceSystem


class Command(BaseCommand):
    help = "Issue an API token and print it (as the last word); only its hash is stored."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="what the token is for, e.g. 'salesforce-sync'")
        parser.add_argument("--scope", required=True, help=f"one of {', '.join(TokenScope.values)}")
        parser.add_argument("--source", help="source code: the (write) token may write only this source's records")

    def handle(self, *args: object, **options: object) -> None:
        scope = str(options["scope"])
        if scope not in TokenScope.values:
            raise CommandError(f"unknown scope {scope!r}: use one of {', '.join(TokenScope.values)}")
        source = None
        if options["source"]:
            source = SourceSystem.objects.filter(code=options["source"]).first()
            if source is None:
                raise CommandError(f"unknown source {options['source']!r}")
        try:
            token, plain = api_token_issue(
                name=str(options["name"]), scope=scope, source=source, actor=f"cli:{getpass.getuser()}"
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        bound = f", bound to source {source.code}" if source else ""
        self.stdout.write(f"Token {token.name!r} (scope {scope}{bound}); it is shown only once:")
        self.stdout.write(plain)
