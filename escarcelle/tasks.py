"""Background tasks of the connector's imports: thin wrappers around the services."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from escarcelle.imports.plans import import_plan_build, import_plans_build_pending


@db_task()
def import_plan_build_task(plan_id: int) -> None:
    import_plan_build(plan_id=plan_id)


@db_periodic_task(crontab(minute="*"))
def import_plans_build_pending_task() -> None:
    import_plans_build_pending()
