"""Load the demo data on first run, then print how to sign in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from epiclic.demo import seed_demo
from shops.demo import DEMO_OPERATOR, DEMO_PASSWORD, DEMO_SLUG
from shops.models import Shop


class Command(BaseCommand):
    help = "Crée les données de démonstration au premier lancement et affiche les accès."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000/")

    def handle(self, *args: Any, url: str, **options: Any) -> None:
        if not Shop.objects.filter(slug=DEMO_SLUG).exists():
            with transaction.atomic():
                seed_demo()
            self.stdout.write("Données de démonstration créées.")
        key_file = Path(settings.VAR_DIR) / "escarcelle-demo-key.txt"
        key = key_file.read_text().strip() if key_file.exists() else "(pas encore créée)"
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "=" * 64,
                    f"  Epiclic : {url}",
                    f"  Gestionnaire : gestionnaire@demo.epiclic.fr / {DEMO_PASSWORD}",
                    "  Bénéficiaires : camille@demo.epiclic.fr, yanis@demo.epiclic.fr",
                    f"      (même mot de passe : {DEMO_PASSWORD})",
                    f"  Opérateur : {DEMO_OPERATOR} / {DEMO_PASSWORD} → {url}operateur/",
                    f"  Clé Escarcelle de démo : {key}",
                    "  (à coller dans Paramètres → Synchro Escarcelle)",
                    "  Ctrl-C arrête tout.",
                    "=" * 64,
                    "",
                ]
            )
        )
