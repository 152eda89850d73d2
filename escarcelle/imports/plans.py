"""The life of an import plan: create, build (background), opt-outs, apply, history.

A plan is built from one fetch of the remote list and stored; the confirmation applies exactly
its rows (minus the rows the manager opted out of) and never calls Escarcelle again. It is
refused when expired, already applied, stale (another import of the same kind was applied
since it was built), or built for another Escarcelle account than the shop's current one.
"""

from __future__ import annotations

import datetime
import logging
import time
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from epiclic.errors import Refusal
from escarcelle.client import EscarcelleError
from escarcelle.connection import client_for_shop, connection_for
from escarcelle.imports import beneficiaries, products
from escarcelle.models import ImportKind, ImportPlan, ImportRun, PlanStatus, RunResult
from shops.models import Shop

log = logging.getLogger("escarcelle.imports")

APPLIED_STATUSES = ("new", "changed", "link", "deactivate")

# How long a plan is kept once it has expired (it can hold megabytes of fetched rows).
PURGE_AFTER = datetime.timedelta(days=1)


def _version(shop: Shop, kind: str) -> int:
    last = ImportPlan.objects.filter(shop=shop, kind=kind, applied_at__isnull=False).aggregate(
        last=Max("id")
    )["last"]
    return last or 0


def import_plan_create(*, shop: Shop, kind: str, user: Any) -> ImportPlan:
    """A pending plan; the caller queues ``import_plan_build`` for it."""
    connection = connection_for(shop)
    if connection is None:
        raise Refusal(
            _("Enregistrez d'abord votre clé Escarcelle dans Paramètres → Synchro Escarcelle.")
        )
    import_plans_purge(shop=shop)
    return ImportPlan.objects.create(
        shop=shop,
        kind=kind,
        created_by=user if getattr(user, "pk", None) else None,
        account_id=connection.account_id,
        base_version=_version(shop, kind),
    )


def import_plans_purge(*, shop: Shop | None = None, now: datetime.datetime | None = None) -> int:
    """Forget plans expired for more than ``PURGE_AFTER``; the number of plans deleted.

    Plans never applied are deleted. Applied plans lose only their rows: the stale check
    compares with the last applied plan's id, and the history links to it.
    """
    cutoff = (now or timezone.now()) - PURGE_AFTER
    old = ImportPlan.objects.filter(expires_at__lt=cutoff)
    if shop is not None:
        old = old.filter(shop=shop)
    deleted, _by_model = old.exclude(status=PlanStatus.APPLIED).delete()
    old.filter(status=PlanStatus.APPLIED).exclude(rows=[]).update(rows=[])
    return deleted


def import_plan_build(*, plan_id: int) -> None:
    """Fetch the whole remote list and store the rows (background task)."""
    plan = ImportPlan.objects.select_related("shop").get(pk=plan_id)
    if plan.status != PlanStatus.PENDING:
        return
    started = time.monotonic()
    ImportPlan.objects.filter(pk=plan.pk).update(status=PlanStatus.FETCHING)
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
    plan.rows = rows
    plan.counts = counts
    plan.status = PlanStatus.READY
    plan.fetch_s = round(fetched - started, 3)
    plan.save(update_fields=["rows", "counts", "status", "fetch_s"])


def _fail(plan: ImportPlan, message: str, started: float) -> None:
    plan.status = PlanStatus.FAILED
    plan.error = message
    plan.save(update_fields=["status", "error"])
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


def import_plan_set_opt_outs(*, plan: ImportPlan, shown: list[int], excluded: list[int]) -> None:
    """Record the manager's choice for the rows ``shown`` on one page of the preview."""
    with transaction.atomic():
        locked = ImportPlan.objects.select_for_update().get(pk=plan.pk)
        if locked.status != PlanStatus.READY:
            return
        limit = len(locked.rows)
        shown_set = {i for i in shown if 0 <= i < limit}
        kept = set(locked.opted_out) - shown_set
        locked.opted_out = sorted(kept | ({i for i in excluded if i in shown_set}))
        locked.save(update_fields=["opted_out"])
    plan.opted_out = locked.opted_out


def import_plan_apply(*, shop: Shop, plan_id: int, user: Any) -> ImportRun:
    """Apply a ready plan in one transaction; raise ``Refusal`` with the reason."""
    started = time.monotonic()
    try:
        with transaction.atomic():
            # One import at a time per shop: the second waits here, then finds itself stale.
            Shop.objects.select_for_update().filter(pk=shop.pk).first()
            plan = ImportPlan.objects.select_for_update().filter(shop=shop, pk=plan_id).first()
            _check(shop, plan)
            opted_out = set(plan.opted_out)
            rows = [
                row
                for row in plan.rows
                if row["status"] in APPLIED_STATUSES and row["i"] not in opted_out
            ]
            if plan.kind == ImportKind.PRODUCTS:
                done = products.product_plan_apply(shop=shop, rows=rows)
            else:
                done = beneficiaries.beneficiary_plan_apply(shop=shop, rows=rows)
            done["opted_out"] = len(opted_out)
            now = timezone.now()
            ImportPlan.objects.filter(pk=plan.pk).update(status=PlanStatus.APPLIED, applied_at=now)
            return ImportRun.objects.create(
                shop=shop,
                kind=plan.kind,
                plan=plan,
                user=user if getattr(user, "pk", None) else None,
                finished_at=now,
                duration_s=round(time.monotonic() - started + (plan.fetch_s or 0), 3),
                counts=done,
                result=RunResult.SUCCESS,
            )
    except IntegrityError:
        log.warning("escarcelle import plan %s: integrity error, rolled back", plan_id)
        message = _(
            "Un autre import a modifié les mêmes produits ou bénéficiaires en même temps : "
            "rien n'a été importé. Relancez l'import pour voir la situation à jour."
        )
        plan = ImportPlan.objects.filter(shop=shop, pk=plan_id).first()
        if plan is not None:
            ImportRun.objects.create(
                shop=shop,
                kind=plan.kind,
                plan=plan,
                user=user if getattr(user, "pk", None) else None,
                finished_at=timezone.now(),
                duration_s=round(time.monotonic() - started, 3),
                result=RunResult.FAILED,
                error=message,
            )
        raise Refusal(message) from None


def _check(shop: Shop, plan: ImportPlan | None) -> None:
    if plan is None:
        raise Refusal(_("Cet aperçu d'import n'existe pas."))
    if plan.status == PlanStatus.APPLIED:
        raise Refusal(_("Cet import a déjà été confirmé."))
    if plan.status != PlanStatus.READY:
        raise Refusal(_("Cet aperçu n'est pas prêt : il ne peut pas être confirmé."))
    if plan.is_expired():
        raise Refusal(_("Cet aperçu a expiré : relancez l'import pour voir la liste à jour."))
    if _version(shop, plan.kind) != plan.base_version:
        raise Refusal(
            _(
                "Un autre import a été confirmé depuis cet aperçu : il n'est plus à jour. "
                "Relancez l'import pour voir la liste à jour."
            )
        )
    connection = connection_for(shop)
    if connection is None or connection.account_id != plan.account_id:
        raise Refusal(
            _(
                "La connexion Escarcelle a changé depuis cet aperçu : "
                "relancez l'import pour voir la liste à jour."
            )
        )
