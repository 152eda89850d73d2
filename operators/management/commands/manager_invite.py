"""Invite a manager to a grocery (or send the pending invitation again)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from epiclic.errors import Refusal
from shops.models import Shop
from shops.team import manager_invite


class Command(BaseCommand):
    help = "E-mail an invitation to manage a grocery; again if one is pending."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("email")

    def handle(self, *args: Any, **options: Any) -> None:
        shop = Shop.objects.filter(slug=options["slug"]).first()
        if shop is None:
            raise CommandError(f"no grocery with the slug {options['slug']!r}")
        try:
            invitation = manager_invite(shop=shop, email=options["email"])
        except Refusal as refusal:
            raise CommandError(refusal.message) from None
        self.stdout.write(
            f"{shop.slug}: invitation sent to {invitation.email} (sent {invitation.sent_count}×)"
        )
