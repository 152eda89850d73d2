"""The stock sync of one shop: claim it, read Escarcelle, check the figures, apply them.

Escarcelle is read *before* any write and outside any transaction; what was read is checked
as a whole; only then is it applied in one transaction (bulk upsert of the changed rows, the
new reading sequence, the run). Any failure — Escarcelle's or bad data — writes nothing but
the failure itself, so the last good figures stay in place, and the shop is retried later.
"""

from __future__ import annotations

import datetime
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Exists, Min, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Product
from epiclic.errors import Refusal
from epiclic.heartbeat import Heartbeat
from escarcelle.client import EscarcelleClient, EscarcelleError
from escarcelle.connection import client_for_shop, connection_for
from escarcelle.stock import notifications, schedule
from escarcelle.stock.models import StockLevel, StockSyncRun, StockSyncState, SyncKind, SyncResult
from shops.models import Shop

log = logging.getLogger("escarcelle.stock")

FULL_READ_EVERY = datetime.timedelta(hours=24)
# Short, and renewed every HEARTBEAT_S while the sync runs: a killed worker's lease lapses
# within LEASE and the next minute tick hands the shop to another worker (stock_sync_due).
LEASE = datetime.timedelta(seconds=30)
HEARTBEAT_S = 10.0
# Escarcelle's clock and ours may differ a little: ask for products updated a bit earlier.
PRODUCTS_CHECK_MARGIN = datetime.timedelta(minutes=5)
FAILURES_BEFORE_EMAIL = 3
MAX_QUANTITY = Decimal("1e11")
IN_CHUNK = 500
# Within one attempt, retry a little (a lost packet); longer outages are the schedule's job.
CLIENT_OPTIONS = {"max_retries": 2, "max_total_s": 15.0}


class StockDataError(Refusal):
    """Escarcelle answered, but with figures we refuse to apply (nothing is written)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)


@dataclass
class Reading:
    kind: str
    sequence: int
    # Escarcelle product id -> (quantity, sequence of its last movement); one entry per product.
    rows: dict[str, tuple[Decimal, int]]
    archived: set[str] = field(default_factory=set)
    products_checked_at: datetime.datetime | None = None


def _client(shop: Shop) -> EscarcelleClient:
    # The client shares one TLS context per process (loading the CA bundle costs ~18 ms).
    return client_for_shop(shop, **CLIENT_OPTIONS)


def _worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}:{uuid.uuid4().hex[:8]}"


def sync_state_for(shop: Shop) -> StockSyncState:
    state, _created = StockSyncState.objects.get_or_create(shop=shop)
    return state


def stock_sync_claim(*, shop: Shop, now: datetime.datetime, worker: str) -> bool:
    """Take the shop's lease; True only for the one caller whose UPDATE changed the row."""
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    won = (
        StockSyncState.objects.filter(free, shop=shop).update(
            claimed_until=now + LEASE, claimed_by=worker
        )
        == 1
    )
    return won


def _release(shop: Shop, worker: str) -> None:
    StockSyncState.objects.filter(shop=shop, claimed_by=worker).update(
        claimed_until=None, claimed_by=""
    )


def _needs_full_read(state: StockSyncState, now: datetime.datetime, force_full: bool) -> bool:
    return (
        force_full
        or state.sequence is None
        or state.full_read_at is None
        or now - state.full_read_at > FULL_READ_EVERY
    )


def stock_sync_shop(
    *,
    shop: Shop,
    force_full: bool = False,
    now: datetime.datetime | None = None,
) -> StockSyncRun | None:
    """Sync ``shop``'s stock from Escarcelle; None when another worker holds the shop.

    ``now`` is injectable so that tests control the schedule.
    """
    now = now or timezone.now()
    sync_state_for(shop)
    worker = _worker_id()
    if not stock_sync_claim(shop=shop, now=now, worker=worker):
        # The sync under way answers a manager's "Synchroniser maintenant" too: the page then
        # follows that one instead of waiting for this one.
        StockSyncState.objects.filter(shop=shop).update(requested_at=None)
        log.info("stock sync of shop %s skipped: another worker holds it", shop.pk)
        return None
    started = time.monotonic()
    state = StockSyncState.objects.get(shop=shop)
    kind = SyncKind.FULL if _needs_full_read(state, now, force_full) else SyncKind.INCREMENTAL
    try:
        with Heartbeat(_renewer(shop, worker, now), every=HEARTBEAT_S, name=f"stock-{shop.pk}"):
            try:
                with _client(shop) as client:
                    reading = _read(client, shop=shop, state=state, kind=kind)
                run = _apply(shop=shop, reading=reading, now=now, started=started)
            except (EscarcelleError, StockDataError) as error:
                run = _record_failure(shop=shop, kind=kind, error=error, now=now, started=started)
    finally:
        _release(shop, worker)
    return run


def _renewer(shop: Shop, worker: str, claimed_at: datetime.datetime) -> Callable[[float], int]:
    """Push the lease forward, counted from the claim's clock (which tests may control)."""

    def renew(elapsed_s: float) -> int:
        until = claimed_at + datetime.timedelta(seconds=elapsed_s) + LEASE
        return StockSyncState.objects.filter(shop=shop, claimed_by=worker).update(
            claimed_until=until
        )

    return renew


# --- Reading --------------------------------------------------------------------------------


def _account_check(*, shop: Shop, state: StockSyncState) -> bool:
    """Refuse, naming the cause, while the products are bound to another account than the
    key's; True when the account changed since the last success (read everything again: the
    new account's movement numbers do not follow the old one's)."""
    connection = connection_for(shop)
    if connection is None:
        return False
    if connection.previous_account_id:
        raise StockDataError(
            "account_changed",
            _(
                "La clé Escarcelle ouvre le compte « %(new)s », mais les produits de l'épicerie "
                "étaient liés au compte « %(old)s » : importez les produits du nouveau compte "
                "(Synchro Escarcelle → Importer les produits), la synchro reprendra ensuite."
            )
            % {"new": connection.account_name, "old": connection.previous_account_name},
        )
    changed = connection.account_changed_at
    return changed is not None and (
        state.last_success_at is None or state.last_success_at < changed
    )


def _read(client: EscarcelleClient, *, shop: Shop, state: StockSyncState, kind: str) -> Reading:
    if _account_check(shop=shop, state=state):
        # Start again from the new account's own numbers (the lease is ours).
        StockSyncState.objects.filter(shop=shop).update(sequence=None)
        state.sequence, kind = None, SyncKind.FULL
    if kind == SyncKind.FULL:
        reading = _read_full(client, known_sequence=state.sequence)
    else:
        reading = _read_changes(client, since=state.sequence or 0)
    _check_archived(client, shop=shop, state=state, reading=reading)
    return reading


def _check_quantity(quantity: Decimal) -> None:
    exponent = quantity.as_tuple().exponent
    if abs(quantity) >= MAX_QUANTITY or not isinstance(exponent, int) or exponent < -3:
        raise StockDataError(
            "bad_quantity",
            _("Escarcelle a envoyé une quantité illisible (%(q)s) : rien n'a été modifié.")
            % {"q": str(quantity)[:30]},
        )


def _backwards() -> StockDataError:
    return StockDataError(
        "sequence_backwards",
        _(
            "Escarcelle a renvoyé un numéro de mouvement qui recule : les derniers stocks "
            "connus sont conservés, nouvel essai plus tard."
        ),
    )


def _read_full(client: EscarcelleClient, *, known_sequence: int | None) -> Reading:
    rows, sequence = client.stock_snapshot()
    if known_sequence is not None and sequence < known_sequence:
        raise _backwards()
    figures: dict[str, tuple[Decimal, int]] = {}
    for row in rows:
        if row.sequence > sequence or row.sequence < 0:
            raise _backwards()
        if row.product_id in figures:
            # The same product twice: the pages overlap (a cursor going round in circles).
            raise StockDataError(
                "cursor_loop",
                _("Escarcelle a renvoyé des pages qui se répètent : lecture des stocks arrêtée."),
            )
        _check_quantity(row.quantity)
        figures[row.product_id] = (row.quantity, row.sequence)
    return Reading(kind=SyncKind.FULL, sequence=sequence, rows=figures)


def _read_changes(client: EscarcelleClient, *, since: int) -> Reading:
    changes, sequence = client.stock_changes(since)
    if sequence < since:
        raise _backwards()
    figures: dict[str, tuple[Decimal, int]] = {}
    last = since
    for change in changes:
        if change.sequence <= last or change.sequence > sequence:
            raise _backwards()
        last = change.sequence
        _check_quantity(change.quantity)
        figures[change.product_id] = (change.quantity, change.sequence)  # the latest wins
    return Reading(kind=SyncKind.INCREMENTAL, sequence=sequence, rows=figures)


def _check_archived(
    client: EscarcelleClient, *, shop: Shop, state: StockSyncState, reading: Reading
) -> None:
    """Products archived in Escarcelle since the last check (the stock rows lack ``active``)."""
    checked_at = timezone.now() - PRODUCTS_CHECK_MARGIN
    since = state.products_checked_at
    if since is None:
        # First check: anything archived after the import shows an updated_at after it.
        first_import = Product.objects.filter(shop=shop, escarcelle_id__isnull=False).aggregate(
            at=Min("created_at")
        )["at"]
        since = (first_import or timezone.now()) - PRODUCTS_CHECK_MARGIN
    for product in client.iter_products(updated_since=since):
        if not product.active:
            reading.archived.add(product.id)
    reading.products_checked_at = checked_at


# --- Applying -------------------------------------------------------------------------------


def _chunks(items: list, size: int = IN_CHUNK) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _bound_products(shop: Shop, escarcelle_ids: list[str]) -> dict[str, int]:
    bound = Product.objects.filter(shop=shop, escarcelle_id__isnull=False)
    if len(escarcelle_ids) <= IN_CHUNK:
        bound = bound.filter(escarcelle_id__in=escarcelle_ids)
    # ``ref is not None`` always holds (filtered above); it tells the type checker so.
    return {ref: pk for ref, pk in bound.values_list("escarcelle_id", "pk") if ref is not None}


def _current_levels(shop: Shop, product_ids: list[int]) -> dict[int, tuple[Decimal, int]]:
    levels = StockLevel.objects.filter(shop=shop)
    if len(product_ids) <= IN_CHUNK:
        levels = levels.filter(product_id__in=product_ids)
    return {pk: (q, s) for pk, q, s in levels.values_list("product_id", "quantity", "sequence")}


def _upsert_levels(
    shop: Shop, changed: list[tuple[int, Decimal, int]], now: datetime.datetime
) -> None:
    """One INSERT … ON CONFLICT per batch (SQLite and PostgreSQL alike).

    Plain ``executemany``: ``bulk_create(update_conflicts=True)`` spent more time compiling
    the statement than the database spent running it.
    """
    if not changed:
        return
    ops = connection.ops
    table = ops.quote_name(StockLevel._meta.db_table)
    q = ops.quote_name
    updated = ", ".join(f"{q(c)} = excluded.{q(c)}" for c in ("quantity", "sequence", "read_at"))
    # The row is now as of the shop's reading, not of an earlier live read (live.py).
    updated += f", {q('read_sequence')} = NULL"
    sql = (
        f"INSERT INTO {table} ({q('shop_id')}, {q('product_id')}, {q('quantity')},"  # noqa: S608
        f" {q('sequence')}, {q('read_at')}) VALUES (%s, %s, %s, %s, %s)"
        f" ON CONFLICT ({q('product_id')}) DO UPDATE SET {updated}"
    )
    read_at = ops.adapt_datetimefield_value(now)
    rows = [
        (shop.pk, pk, ops.adapt_decimalfield_value(quantity, 14, 3), seq, read_at)
        for pk, quantity, seq in changed
    ]
    with connection.cursor() as cursor:
        for batch in _chunks(rows, 1000):
            cursor.executemany(sql, batch)


@transaction.atomic
def _apply(*, shop: Shop, reading: Reading, now: datetime.datetime, started: float) -> StockSyncRun:
    state = StockSyncState.objects.select_for_update().get(shop=shop)
    if state.sequence is not None and reading.sequence < state.sequence:
        raise _backwards()  # another worker applied a later reading meanwhile
    bound = _bound_products(shop, list(reading.rows))
    unknown = sum(1 for eid in reading.rows if eid not in bound)
    current = _current_levels(shop, [bound[eid] for eid in reading.rows if eid in bound])
    changed = [
        (pk, quantity, seq)
        for eid, (quantity, seq) in reading.rows.items()
        if (pk := bound.get(eid)) is not None and current.get(pk) != (quantity, seq)
    ]
    _upsert_levels(shop, changed, now)
    archived = 0
    for ids in _chunks(sorted(reading.archived)):
        archived += Product.objects.filter(shop=shop, escarcelle_id__in=ids, active=True).update(
            active=False
        )

    recovered = state.failure_notified_at is not None
    state.sequence = reading.sequence
    if reading.kind == SyncKind.FULL:
        state.full_read_at = now
    state.products_checked_at = reading.products_checked_at or state.products_checked_at
    state.last_attempt_at = state.last_success_at = now
    state.last_result = SyncResult.OK
    state.error_code = state.error_message = ""
    state.consecutive_failures = 0
    state.next_run_at = schedule.next_run_after_success(shop.pk, now)
    if recovered:
        state.failure_notified_at = None
        state.recovery_notified_at = now
    state.save(update_fields=_STATE_FIELDS)
    run = StockSyncRun.objects.create(
        shop=shop,
        started_at=now,
        duration_ms=_elapsed_ms(started),
        kind=reading.kind,
        result=SyncResult.OK,
        products_changed=len(changed),
        unknown_ignored=unknown,
        products_archived=archived,
        sequence=reading.sequence,
    )
    if recovered:
        # Queued in this transaction with the mark that says it was sent: never lost, never twice.
        notifications.send_recovery(shop)
    return run


_STATE_FIELDS = [
    "sequence",
    "full_read_at",
    "products_checked_at",
    "last_attempt_at",
    "last_success_at",
    "last_result",
    "error_code",
    "error_message",
    "consecutive_failures",
    "next_run_at",
    "failure_notified_at",
    "recovery_notified_at",
]


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


@transaction.atomic
def _record_failure(
    *,
    shop: Shop,
    kind: str,
    error: EscarcelleError | StockDataError,
    now: datetime.datetime,
    started: float,
) -> StockSyncRun:
    state = StockSyncState.objects.select_for_update().get(shop=shop)
    code = (error.code or "error")[:64]
    key_rejected = isinstance(error, EscarcelleError) and error.status == 401
    state.consecutive_failures += 1
    state.last_attempt_at = now
    state.last_result = SyncResult.FAILED
    state.error_code = code
    state.error_message = error.message
    state.next_run_at = schedule.next_run_after_failure(
        shop.pk,
        now,
        failures=state.consecutive_failures,
        retry_after=getattr(error, "retry_after", None),
    )
    # A refused key stops the schedule (Connection.key_rejected_at): tell the shop at once.
    notify = state.failure_notified_at is None and (
        key_rejected or state.consecutive_failures >= FAILURES_BEFORE_EMAIL
    )
    if notify:
        state.failure_notified_at = now
    state.save(
        update_fields=[
            "consecutive_failures",
            "last_attempt_at",
            "last_result",
            "error_code",
            "error_message",
            "next_run_at",
            "failure_notified_at",
        ]
    )
    log.warning("stock sync of shop %s failed: %s", shop.pk, code)
    run = StockSyncRun.objects.create(
        shop=shop,
        started_at=now,
        duration_ms=_elapsed_ms(started),
        kind=kind,
        result=SyncResult.FAILED,
        error_code=code,
        error_message=error.message,
    )
    if notify:
        # Queued in this transaction with ``failure_notified_at``: never lost, never twice.
        notifications.send_failure(shop, error.message)
    return run


# --- Manager's request, history ---------------------------------------------------------------


def stock_sync_request(*, shop: Shop, now: datetime.datetime | None = None) -> StockSyncState:
    """ "Synchroniser maintenant": note the request (the page shows progress until it ran)."""
    now = now or timezone.now()
    state = sync_state_for(shop)
    StockSyncState.objects.filter(pk=state.pk).update(requested_at=now)
    state.requested_at = now
    return state


def stock_sync_request_unqueued(*, shop: Shop, now: datetime.datetime | None = None) -> None:
    """The task of "Synchroniser maintenant" could not be queued (queue unreachable): make the
    shop due now, so that the minute tick syncs it as soon as the queue answers."""
    now = now or timezone.now()
    StockSyncState.objects.filter(shop=shop).update(next_run_at=now)


def stock_sync_history_prune(*, now: datetime.datetime | None = None) -> int:
    now = now or timezone.now()
    limit = now - datetime.timedelta(days=StockSyncRun.HISTORY_DAYS)
    deleted, _detail = StockSyncRun.objects.filter(started_at__lt=limit).delete()
    return deleted


# --- The hourly round -------------------------------------------------------------------------

# A shop handed to the queue is not handed again by the next ticks for this long; the sync
# itself sets the real next run. If the worker died, the shop comes back after it.
ENQUEUE_GRACE = datetime.timedelta(minutes=15)


def shops_to_sync() -> QuerySet[Shop, int]:
    """Ids of shops with a usable connection and at least one product bound to Escarcelle,
    not suspended (a subquery). A suspended shop keeps its due time: reactivated, it is synced
    at the next tick."""
    bound = Product.objects.filter(shop=OuterRef("pk"), escarcelle_id__isnull=False)
    return Shop.objects.filter(
        Exists(bound),
        suspended_at__isnull=True,
        escarcelle_connection__isnull=False,
        escarcelle_connection__key_rejected_at__isnull=True,
    ).values_list("pk", flat=True)


def stock_sync_due(*, now: datetime.datetime, limit: int = 5000) -> list[int]:
    """Ids of the shops whose sync is due, marked as handed to the queue (one UPDATE).

    A shop seen for the first time is due at once (its products show nothing available until
    the first reading).
    """
    missing = Shop.objects.filter(pk__in=shops_to_sync(), escarcelle_stock_sync__isnull=True)
    StockSyncState.objects.bulk_create(
        [
            StockSyncState(shop_id=pk, next_run_at=now)
            for pk in missing.values_list("pk", flat=True)
        ],
        ignore_conflicts=True,
    )
    # Due: its time has come, or a worker died during its sync (a lapsed lease, which a sync
    # that ends always clears): that one is taken over at once, whatever its next_run_at.
    due = StockSyncState.objects.filter(
        Q(next_run_at__lte=now) | Q(claimed_until__isnull=False),
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
        shop_id__in=shops_to_sync(),
    )
    ids = list(due.order_by("next_run_at").values_list("shop_id", flat=True)[:limit])
    if ids:
        handed = StockSyncState.objects.filter(shop_id__in=ids)
        handed.filter(claimed_until__lt=now).update(
            claimed_until=None, claimed_by="", next_run_at=now + ENQUEUE_GRACE
        )
        handed.filter(next_run_at__lte=now).update(next_run_at=now + ENQUEUE_GRACE)
    return ids
