"""Background tasks of the connector's imports: thin wrappers around the services."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from escarcelle.imports.plans import import_plan_build


@db_task()
def import_plan_build_task(plan_id: int) -> None:
    import_plan_build(plan_id=plan_id)
