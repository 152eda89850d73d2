"""Escarcelle imports through the import pipeline (``imports``): create, build, apply, history.

A plan is built from one fetch of the remote list (a background task) and stored; the
confirmation applies exactly its rows (minus the rows the manager unticked) and never calls
Escarcelle again. Besides the pipeline's own refusals (expired, applied, stale…), it is
refused when built for another Escarcelle account than the shop's current one. Every
attempt, failed preview or confirmation, is a line of ``ImportRun``.
"""

from __future__ import annotations

import datetime
import logging
import time
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from epiclic.errors import Refusal
from escarcelle.client import EscarcelleError
from escarcelle.connection import client_for_shop, connection_for
from escarcelle.imports import beneficiaries, products
from escarcelle.models import Connection, ImportPlan, ImportRun, RunResult
from imports.models import ImportKind, ImportSource, PlanStatus
from imports.rows import TO_APPLY
from imports.services import (
    ChunkWriter,
    plan_apply,
    plan_create,
    plan_fail,
    plan_rows_store,
)
from shops.models import Shop

log = logging.getLogger("escarcelle.imports")

WRITERS: dict[str, ChunkWriter] = {
    ImportKind.PRODUCTS: products.product_rows_write,
    ImportKind.BENEFICIARIES: beneficiaries.beneficiary_rows_write,
}


def import_plan_create(*, shop: Shop, kind: str, user: Any) -> ImportPlan:
    """A pending plan; the caller queues ``import_plan_build`` for it."""
    connection = connection_for(shop)
    if connection is None:
        raise Refusal(
            _("Enregistrez d'abord votre clé Escarcelle dans Paramètres → Synchro Escarcelle.")
        )
    return plan_create(
        shop=shop,
        source=ImportSource.ESCARCELLE,
        kind=kind,
        user=user,
        origin=connection.account_id,
        model=ImportPlan,
    )


def import_plan_build(*, plan_id: int) -> None:
    """Fetch the whole remote list and store the rows (background task)."""
    plan = ImportPlan.objects.select_related("shop").get(pk=plan_id)
    # A conditional UPDATE: the queued task and the sweep may both reach a plan; one builds it.
    if not ImportPlan.objects.filter(pk=plan.pk, status=PlanStatus.PENDING).update(
        status=PlanStatus.READING
    ):
        return
    started = time.monotonic()
    try:
        with client_for_shop(plan.shop) as client:
            if plan.kind == ImportKind.PRODUCTS:
                items: list[Any] = list(client.iter_products())
            else:
                items = list(client.iter_beneficiaries())
    except EscarcelleError as error:
        log.warning("escarcelle import plan %s: fetch failed: %s", plan.pk, error)
        _fail(plan, error.message, started)
        return
    fetched = time.monotonic()
    ImportPlan.objects.filter(pk=plan.pk).update(status=PlanStatus.PLANNING)
    try:
        if plan.kind == ImportKind.PRODUCTS:
            rows, counts = products.product_plan_rows(shop=plan.shop, items=items)
        else:
            rows, counts = beneficiaries.beneficiary_plan_rows(shop=plan.shop, items=items)
    except Exception:
        log.exception("escarcelle import plan %s: planning failed", plan.pk)
        _fail(plan, _("Erreur inattendue pendant la préparation de l'import."), started)
        raise
    plan_rows_store(plan=plan, rows=rows, counts=counts, read_s=round(fetched - started, 3))


def import_plans_build_pending(*, now: datetime.datetime | None = None) -> int:
    """Build the plans still pending after ``ImportPlan.QUEUE_GRACE``: their task was never
    queued (queue unreachable) or was lost. Run by a periodic task; returns how many."""
    now = now or timezone.now()
    pending = ImportPlan.objects.filter(
        status=PlanStatus.PENDING,
        created_at__lte=now - ImportPlan.QUEUE_GRACE,
        created_at__gt=now - ImportPlan.BUILD_TIMEOUT,
    )
    ids = list(pending.order_by("created_at").values_list("pk", flat=True)[:20])
    for plan_id in ids:
        import_plan_build(plan_id=plan_id)
    return len(ids)


def _fail(plan: ImportPlan, message: str, started: float) -> None:
    plan_fail(plan=plan, errors=[message])
    ImportRun.objects.create(
        shop=plan.shop,
        kind=plan.kind,
        plan=plan,
        user=plan.created_by,
        finished_at=timezone.now(),
        duration_s=round(time.monotonic() - started, 3),
        result=RunResult.FAILED,
        error=message,
    )


def _same_account(shop: Shop, plan: Any) -> None:
    connection = connection_for(shop)
    if connection is None or connection.account_id != plan.origin:
        raise Refusal(
            _(
                "La connexion Escarcelle a changé depuis cet aperçu : "
                "relancez l'import pour voir la liste à jour."
            )
        )


def import_plan_apply(*, shop: Shop, plan_id: int, user: Any) -> ImportRun:
    """Apply a ready plan (in short chunks, see ``imports.services``); raise ``Refusal``."""
    started = time.monotonic()
    plan = ImportPlan.objects.filter(shop=shop, pk=plan_id).first()
    if plan is None:
        raise Refusal(_("Cet aperçu d'import n'existe pas."))
    by = user if getattr(user, "pk", None) else None
    try:
        applied = plan_apply(
            shop=shop,
            plan_id=plan.pk,
            write=WRITERS[plan.kind],
            check=lambda found: _same_account(shop, found),
        )
    except Refusal as refusal:
        if refusal.code == "conflict":
            ImportRun.objects.create(
                shop=shop,
                kind=plan.kind,
                plan=plan,
                user=by,
                finished_at=timezone.now(),
                duration_s=round(time.monotonic() - started, 3),
                result=RunResult.FAILED,
                error=refusal.message,
            )
        raise
    if plan.kind == ImportKind.PRODUCTS:
        # The new account's products are linked or created: the bindings kept aside after an
        # account change (connection_save) are settled, and the stock sync may resume.
        Connection.objects.filter(shop=shop).exclude(previous_account_id="").update(
            previous_account_id="", previous_account_name=""
        )
    counts = {status.value: applied.done.get(status, 0) for status in TO_APPLY}
    if plan.kind == ImportKind.BENEFICIARIES:
        counts["invited"] = applied.done.get("invited", 0)
    counts["opted_out"] = applied.to_apply_count - applied.applied_count
    return ImportRun.objects.create(
        shop=shop,
        kind=plan.kind,
        plan=plan,
        user=by,
        finished_at=applied.applied_at,
        duration_s=round(time.monotonic() - started + (applied.read_s or 0), 3),
        counts=counts,
        result=RunResult.SUCCESS,
    )
