"""The minute heartbeat: proves to /sante/pret/ that the worker runs its periodic tasks."""

from __future__ import annotations

import datetime

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from operators.models import Heartbeat

TICK = "periodic"


def heartbeat_record(*, now: datetime.datetime | None = None) -> None:
    Heartbeat.objects.update_or_create(name=TICK, defaults={"at": now or timezone.now()})


@db_periodic_task(crontab(minute="*"))
def heartbeat_tick() -> None:
    heartbeat_record()
