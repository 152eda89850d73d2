"""Background tasks of the import pipeline: thin wrappers around the services."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from imports.services import plans_purge


@db_periodic_task(crontab(minute="41", hour="4"))
def plans_purge_task() -> None:
    plans_purge()
