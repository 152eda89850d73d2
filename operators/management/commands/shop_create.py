"""Create a grocery and invite its first manager (the operator space's form, for scripts)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from epiclic.errors import Refusal
from shops.lifecycle import shop_create


class Command(BaseCommand):
    help = "Create a grocery and e-mail an invitation to its first manager."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True)
        parser.add_argument("--slug", required=True)
        parser.add_argument("--manager", required=True, help="e-mail of the first manager")
        parser.add_argument("--address", default="")
        parser.add_argument("--contact-email", default="")
        parser.add_argument("--timezone", default="Europe/Paris")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            shop, invitation = shop_create(
                name=options["name"],
                slug=options["slug"],
                manager_email=options["manager"],
                address=options["address"],
                contact_email=options["contact_email"],
                timezone_name=options["timezone"],
            )
        except Refusal as refusal:
            raise CommandError(refusal.message) from None
        self.stdout.write(f"{shop.slug}: created; invitation sent to {invitation.email}")
