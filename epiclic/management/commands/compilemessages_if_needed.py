"""Compile the .po catalogues when msgfmt is there; the compiled .mo files are committed too."""

from __future__ import annotations

import shutil

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Compile les traductions si GNU gettext est installé."

    def handle(self, *args, **options) -> None:
        if shutil.which("msgfmt"):
            call_command("compilemessages", verbosity=0, ignore=[".venv", "var"])
