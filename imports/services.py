"""The life of an import plan, the same for every source.

1. ``plan_create``: an empty plan (``pending``), with the shop's current version.
2. ``plan_rows_store``: the rows, written in batches, then ``ready`` with counts and a seal.
   ``plan_fail`` instead when the source could not be read.
3. ``plan_opt_outs_set``: the manager unticks rows in the preview, or declines a link
   proposed on a name alone (the row then creates a new object).
4. ``plan_apply``: checks, claims the plan (``applying``), writes the kept rows in chunks of
   ``CHUNK_ROWS``, each chunk in its own short transaction that also moves the plan's
   ``cursor``; then ``applied``. The database is never locked for the whole import: on
   SQLite, other shops' writes (a sign-in) pass between two chunks. An apply stopped midway
   (process killed) shows as interrupted and resumes from its cursor on the next confirmation;
   a chunk refused by the database (another writer got there first) stops the apply and says
   how far it went.
5. ``plans_purge``: forget plans expired for more than a day.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NoReturn, TypeVar

from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from epiclic.errors import Refusal
from imports import bulk, selectors
from imports.models import ImportPlan, PlanRow, PlanStatus
from imports.rows import Row, RowStatus, row_dump
from shops.models import Shop

log = logging.getLogger("imports")

# Rows written per INSERT while storing a plan, and per transaction while applying one.
STORE_BATCH = 10_000
CHUNK_ROWS = 10_000
# A breath between two chunks, so that a waiting writer (another shop) gets the lock.
CHUNK_PAUSE_S = 0.02
# How long a plan is kept once it has expired (it can hold a hundred thousand rows).
PURGE_AFTER = datetime.timedelta(days=1)

P = TypeVar("P", bound=ImportPlan)

# Writes one chunk of rows; returns what it did ({"new": 2, "changed": 1, …}).
ChunkWriter = Callable[[Shop, list[Row]], Mapping[str, int]]
# A source's own check before the apply starts (raises Refusal).
PlanCheck = Callable[[ImportPlan], None]


def plan_version(shop: Shop, kind: str) -> int:
    """The id of the last plan of this kind that started to apply (0: none)."""
    last = ImportPlan.objects.filter(
        shop=shop, kind=kind, apply_started_at__isnull=False
    ).aggregate(last=Max("id"))["last"]
    return last or 0


def plan_create(
    *,
    model: type[P],
    shop: Shop,
    source: str,
    kind: str,
    user: Any,
    origin: str = "",
    status: str = "pending",
) -> P:
    """A new plan of ``model`` (a source's proxy of ``ImportPlan``), with the current version."""
    plans_purge(shop=shop)
    return model.objects.create(
        shop=shop,
        source=source,
        kind=kind,
        status=status,
        created_by=user if getattr(user, "pk", None) else None,
        origin=origin[:255],
        base_version=plan_version(shop, kind),
    )


def _store(plan: ImportPlan, batch: list[dict[str, Any]]) -> None:
    # One statement: its own short transaction.
    bulk.insert_rows(PlanRow, batch, constants={"plan_id": plan.pk, "kept": True})


def plan_rows_store(
    *,
    plan: ImportPlan,
    rows: Iterable[Row],
    counts: Mapping[str, int] | None = None,
    warnings: list[str] | None = None,
    read_s: float | None = None,
) -> None:
    """Number and store the rows (a generator is fine), then mark the plan ``ready``.

    ``counts`` adds what the source left out (``duplicate_skipped``…) to the counts by
    status. Each batch is its own short transaction.
    """
    seal = hashlib.sha256()
    tally: Counter[str] = Counter({status.value: 0 for status in RowStatus})
    batch: list[dict[str, Any]] = []
    index = 0
    for index, row in enumerate(rows):  # noqa: B007 (the last index is the count)
        row.i = index
        data = row_dump(row)
        seal.update(data.encode())
        batch.append(
            {
                "i": index,
                "status": row.status.value,
                "key": row.key[:255],
                "target_id": row.target_id,
                "data": data,
            }
        )
        tally[row.status] += 1
        if row.warnings:
            tally["warnings"] += 1
        if len(batch) >= STORE_BATCH:
            _store(plan, batch)
            batch = []
    _store(plan, batch)
    plan.counts = {**(counts or {}), **tally}
    plan.row_count = sum(tally[status.value] for status in RowStatus)
    plan.warnings = warnings or []
    plan.seal = seal.hexdigest()
    plan.read_s = read_s
    plan.status = PlanStatus.READY
    plan.save(update_fields=["counts", "row_count", "warnings", "seal", "read_s", "status"])


def plan_fail(*, plan: ImportPlan, errors: list[str], warnings: list[str] | None = None) -> None:
    plan.status = PlanStatus.FAILED
    plan.errors = errors
    plan.warnings = warnings or []
    plan.save(update_fields=["status", "errors", "warnings"])


def plan_opt_outs_set(
    *,
    plan: ImportPlan,
    shown: list[int],
    excluded: list[int],
    proposed: list[int] | None = None,
    declined: list[int] | None = None,
) -> None:
    """Record the manager's choice for the rows ``shown`` on one page of the preview: the rows
    ``excluded`` are not imported; of the links ``proposed`` on a name alone shown there, those
    ``declined`` create a new object instead."""
    shown_set = set(shown)
    excluded_set = shown_set & set(excluded)
    proposed_set = shown_set & set(proposed or ())
    declined_set = proposed_set & set(declined or ())
    with transaction.atomic():
        if not ImportPlan.objects.filter(pk=plan.pk, status=PlanStatus.READY).exists():
            return
        rows = PlanRow.objects.filter(plan=plan)
        rows.filter(i__in=shown_set - excluded_set).update(kept=True)
        rows.filter(i__in=excluded_set).update(kept=False)
        if proposed_set:
            rows.filter(i__in=proposed_set - declined_set).update(declined=False)
            rows.filter(i__in=declined_set).update(declined=True)


def _seal_of(plan: ImportPlan) -> str:
    seal = hashlib.sha256()
    stored = PlanRow.objects.filter(plan=plan).order_by("i").values_list("data", flat=True)
    for data in stored.iterator(chunk_size=STORE_BATCH):
        seal.update(data.encode())
    return seal.hexdigest()


def _refuse_unless_ready(
    plan: ImportPlan | None, *, shop: Shop | None, errors_refusal: str | None
) -> ImportPlan:
    """The plan, if it may be applied now; the stale rule is checked when ``shop`` is given."""
    if plan is None:
        raise Refusal(_("Cet aperçu d'import n'existe pas."), code="missing")
    if plan.status == PlanStatus.APPLIED:
        raise Refusal(
            _("Cet import a déjà été appliqué : il ne peut l'être qu'une fois."), code="applied"
        )
    if plan.status == PlanStatus.APPLYING and not plan.is_interrupted():
        raise Refusal(_("Cet import est en cours d'application."), code="applying")
    if plan.status == PlanStatus.APPLYING:
        return plan  # interrupted: resumed from its cursor
    if plan.status != PlanStatus.READY:
        raise Refusal(_("Cet aperçu n'est pas prêt : il ne peut pas être confirmé."), code="state")
    if plan.is_expired():
        raise Refusal(
            _("Cet aperçu a expiré : relancez l'import pour voir la situation à jour."),
            code="expired",
        )
    if errors_refusal is not None and plan.has_errors:
        raise Refusal(errors_refusal, code="errors")
    if shop is not None and plan_version(shop, plan.kind) != plan.base_version:
        raise Refusal(
            _(
                "Un autre import a été confirmé depuis cet aperçu : il n'est plus à jour. "
                "Relancez l'import pour voir la situation à jour."
            ),
            code="stale",
        )
    return plan


def _claim(shop: Shop, plan_id: int, errors_refusal: str | None) -> ImportPlan:
    """Mark the plan ``applying``; of two simultaneous confirmations only one gets here."""
    with transaction.atomic():
        if connection.features.has_select_for_update:
            # One claim at a time per shop (on SQLite, IMMEDIATE transactions serialise).
            Shop.objects.select_for_update().filter(pk=shop.pk).first()
        found = ImportPlan.objects.select_for_update().filter(shop=shop, pk=plan_id).first()
        plan = _refuse_unless_ready(found, shop=shop, errors_refusal=errors_refusal)
        now = timezone.now()
        if plan.status == PlanStatus.READY:
            plan.apply_started_at = now
        plan.status = PlanStatus.APPLYING
        plan.heartbeat = now
        plan.save(update_fields=["status", "apply_started_at", "heartbeat"])
        return plan


def plan_apply(
    *,
    shop: Shop,
    plan_id: int,
    write: ChunkWriter,
    check: PlanCheck | None = None,
    errors_refusal: str | None = None,
) -> ImportPlan:
    """Apply the stored rows exactly once, in short transactions; the plan, ``applied``.

    Raises ``Refusal`` (nothing written) when the plan is missing, applied, being applied,
    not ready, expired, stale, altered since the preview, has errors (when the source gives
    an ``errors_refusal``; otherwise error rows are simply left out), or refused by the
    source's ``check``; or when the database refuses a chunk (another writer got there
    first), saying how far the apply went.
    """
    # Checks that read the whole plan run before the claim, outside any write transaction.
    found = ImportPlan.objects.filter(shop=shop, pk=plan_id).first()
    plan = _refuse_unless_ready(found, shop=None, errors_refusal=errors_refusal)
    if _seal_of(plan) != plan.seal:
        raise Refusal(
            _("Cet aperçu a été altéré : relancez l'import pour en préparer un nouveau."),
            code="altered",
        )
    if check is not None:
        check(plan)
    plan = _claim(shop, plan_id, errors_refusal)
    done: Counter[str] = Counter(plan.done)
    while rows := selectors.rows_to_apply(plan, after=plan.cursor, limit=CHUNK_ROWS):
        try:
            with transaction.atomic():
                total = done + Counter(write(shop, rows))
                moved = ImportPlan.objects.filter(
                    pk=plan.pk, status=PlanStatus.APPLYING, cursor=plan.cursor
                ).update(cursor=rows[-1].i, heartbeat=timezone.now(), done=dict(total))
                if not moved:  # resumed by someone else meanwhile: theirs goes on
                    raise Refusal(_("Cet import est en cours d'application."), code="applying")
        except IntegrityError:
            _interrupted(plan, done)
        done, plan.cursor = total, rows[-1].i
        if len(rows) < CHUNK_ROWS:
            break
        time.sleep(CHUNK_PAUSE_S)
    plan.status, plan.applied_at, plan.done = PlanStatus.APPLIED, timezone.now(), dict(done)
    ImportPlan.objects.filter(pk=plan.pk, status=PlanStatus.APPLYING).update(
        status=plan.status, applied_at=plan.applied_at, done=plan.done
    )
    return plan


def _interrupted(plan: ImportPlan, done: Counter[str]) -> NoReturn:
    written = sum(done.values()) - done.get("invited", 0)
    log.warning("import plan %s: integrity error after %s rows, stopped", plan.pk, written)
    if written:
        message = _(
            "Un autre import ou une autre modification a touché les mêmes éléments pendant "
            "l'import : il s'est arrêté après %(done)s ligne(s) sur %(total)s. Relancez "
            "l'import pour voir la situation à jour."
        ) % {"done": written, "total": plan.to_apply_count}
    else:
        message = _(
            "Un autre import a modifié les mêmes produits ou bénéficiaires en même temps : "
            "rien n'a été importé. Relancez l'import pour voir la situation à jour."
        )
    # Nothing written: the plan no longer counts as a version the others are stale against.
    started = plan.apply_started_at if written else None
    ImportPlan.objects.filter(pk=plan.pk).update(
        status=PlanStatus.FAILED, errors=[message], apply_started_at=started, done=dict(done)
    )
    raise Refusal(message, code="conflict")


def _rows_delete(plan_ids: list[int]) -> None:
    """Delete the rows of these plans a batch at a time (short transactions)."""
    for plan_id in plan_ids:
        start = 0
        while PlanRow.objects.filter(plan_id=plan_id).exists():
            PlanRow.objects.filter(plan_id=plan_id, i__lt=start + STORE_BATCH).delete()
            start += STORE_BATCH


def plans_purge(*, shop: Shop | None = None, now: datetime.datetime | None = None) -> int:
    """Forget plans expired for more than ``PURGE_AFTER``; the number of plans deleted.

    Plans never applied are deleted. Applied plans (wholly or partly) lose only their rows:
    the stale rule compares with the last applied plan's id, and the Escarcelle history links
    to it.
    """
    cutoff = (now or timezone.now()) - PURGE_AFTER
    old = ImportPlan.objects.filter(expires_at__lt=cutoff)
    if shop is not None:
        old = old.filter(shop=shop)
    found = list(
        old.filter(Q(apply_started_at__isnull=True) | Q(row_count__gt=0)).values_list(
            "pk", "apply_started_at"
        )
    )
    if not found:
        return 0
    gone = [pk for pk, started in found if started is None]
    kept = ImportPlan.objects.filter(pk__in=[pk for pk, started in found if started])
    # An apply interrupted and never resumed can no longer be: its rows are going.
    kept.filter(status=PlanStatus.APPLYING).update(
        status=PlanStatus.FAILED,
        errors=[
            _(
                "L'application de cet import s'est interrompue et n'a pas été reprise : "
                "relancez l'import pour voir la situation à jour."
            )
        ],
    )
    _rows_delete([pk for pk, _started in found])
    kept.update(row_count=0)
    ImportPlan.objects.filter(pk__in=gone).delete()
    return len(gone)
