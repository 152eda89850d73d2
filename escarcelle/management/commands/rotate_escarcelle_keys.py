"""Re-encrypt stored Escarcelle API keys with the current SECRET_KEY (see docs/operations.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from escarcelle.connection import connection_keys_rotate


class Command(BaseCommand):
    help = "Re-encrypt every stored Escarcelle API key with the current SECRET_KEY."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            done, failed = connection_keys_rotate()
        self.stdout.write(f"{done} key(s) re-encrypted, {failed} unreadable.")
        if failed:
            raise CommandError(
                f"{failed} key(s) could not be decrypted with SECRET_KEY or SECRET_KEY_FALLBACKS: "
                "those shops must save their Escarcelle key again."
            )
