"""Sales push: the outbox written with the validation, and its delivery to Escarcelle.

Exactly once *in effect*: a record is written in the validation's transaction, then sent
(at least once) under an idempotency key that never changes for the same content. Escarcelle
turns a repeat of the same key into a replay, so a crash between its commit and ours, a
timeout or a reset ends as one sale. Workers claim rows with a lease (conditional UPDATE) so
two of them do not send the same rows at the same time; the sweeper picks up anything whose
lease expired. See docs/architecture.md, "Sales push".
"""

from __future__ import annotations

import datetime
import json
import logging
import random
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from distributions.models import Distribution, Order, OrderLine, OrderStatus
from epiclic.errors import Refusal
from epiclic.heartbeat import Heartbeat
from epiclic.logs import shop_context
from escarcelle import schemas
from escarcelle.client import EscarcelleClient, EscarcelleError
from escarcelle.connection import client_for_shop
from escarcelle.models import Connection
from escarcelle.sales.alerts import sales_alert_stuck
from escarcelle.sales.models import SaleOutbox, SaleStatus
from shops.models import Shop

log = logging.getLogger("escarcelle.sales")

BATCH_SIZE = 250  # sales per claim (the contract allows 500 per request)
MAX_BATCH_BYTES = 900_000  # the contract refuses bodies over 1 MiB
# Short, and renewed every HEARTBEAT_S while the batch is sent (however long its requests and
# retries take): a killed worker's rows are free again within LEASE, for the next sweep.
LEASE = datetime.timedelta(seconds=30)
HEARTBEAT_S = 10.0
BACKOFF_BASE_S = 30.0
BACKOFF_MAX_S = 3600.0
IN_USE_RETRY = datetime.timedelta(seconds=10)
MAX_ROUNDS = 100
CLAIM_ATTEMPTS = 5

ClientFactory = Callable[[Shop, Connection], EscarcelleClient]


def sale_ref(*, shop_id: int, order_id: int) -> str:
    """The sale's external reference in Escarcelle.

    The prefix (``ESCARCELLE_INSTANCE_PREFIX``) keeps two installations that share an
    Escarcelle account (staging and production) from producing the same keys.
    """
    return f"{settings.ESCARCELLE_INSTANCE_PREFIX}-{shop_id}-{order_id}"


def sale_key(*, shop_id: int, order_id: int, version: int) -> str:
    return f"{sale_ref(shop_id=shop_id, order_id=order_id)}-v{version}"


QUANTITY_PLACES = Decimal("0.001")
MONEY_PLACES = Decimal("0.01")


def _wire(value: Decimal, places: Decimal) -> str:
    # One form per value whatever the database returns, so a rebuilt payload compares equal.
    return format(Decimal(value).quantize(places), "f")


# --- Outbox ---------------------------------------------------------------------------------


@dataclass
class _Built:
    payload: dict[str, Any] | None
    skipped: list[dict[str, Any]]


def _build(
    *,
    shop_id: int,
    order_id: int,
    date: str,
    beneficiary_id: str | None,
    lines: Iterable[dict[str, Any]],
) -> _Built:
    """The contract's sale body for one order; unbound products go to ``skipped``."""
    wire_lines: list[dict[str, str]] = []
    skipped: list[dict[str, Any]] = []
    for line in lines:
        quantity = line["qty"]
        if not quantity:
            continue  # delivered 0: nothing was handed over, nothing to sell
        if not line["product__escarcelle_id"]:
            skipped.append(
                {
                    "product_id": line["product_id"],
                    "name": line["product__name"],
                    "quantity": _wire(quantity, QUANTITY_PLACES),
                    "reason": "not_bound",
                }
            )
            continue
        wire_lines.append(
            {
                "product_id": line["product__escarcelle_id"],
                "quantity": _wire(quantity, QUANTITY_PLACES),
                "unit_price": _wire(line["unit_price"], MONEY_PLACES),
                "shelf_price": _wire(line["shelf_price"], MONEY_PLACES),
            }
        )
    if not wire_lines:
        return _Built(None, skipped)
    payload = {
        "external_ref": sale_ref(shop_id=shop_id, order_id=order_id),
        "date": date,
        "beneficiary_id": beneficiary_id,
        "lines": wire_lines,
    }
    return _Built(payload, skipped)


_LINE_FIELDS = (
    "order_id",
    "product_id",
    "product__name",
    "product__escarcelle_id",
    "unit_price",
    "shelf_price",
    "qty",
)


def _lines_by_order(orders: QuerySet[Order] | list[int]) -> dict[int, list[dict[str, Any]]]:
    rows = (
        OrderLine.objects.filter(order__in=orders)
        .annotate(qty=Coalesce("delivered_quantity", "quantity"))
        .order_by("order_id", "id")
        .values(*_LINE_FIELDS)
    )
    by_order: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        by_order.setdefault(row["order_id"], []).append(row)
    return by_order


def _sale_date(distribution: Distribution) -> str:
    """The distribution's start with the shop's UTC offset (its wall-clock time), whatever zone
    is active: the validation's request and a worker build the same body, hence the same key."""
    return timezone.localtime(distribution.starts_at, distribution.shop.tzinfo).isoformat()


def shop_sends_sales(shop: Shop | int) -> bool:
    """A shop pushes its sales once it is connected to Escarcelle."""
    shop_id = shop if isinstance(shop, int) else shop.pk
    return Connection.objects.filter(shop_id=shop_id).exists()


@transaction.atomic
def sales_record_for_distribution(*, distribution: Distribution) -> list[SaleOutbox]:
    """Write one pending sale per delivered order (in the validation's transaction).

    Orders that already have a record (a distribution validated again after a superuser
    undid it) keep theirs. An order whose lines are all unbound gets no record: the
    distribution's page lists it from the orders themselves.
    """
    if not shop_sends_sales(distribution.shop_id):
        return []
    orders = (
        Order.objects.filter(
            distribution=distribution,
            status=OrderStatus.DELIVERED,
            escarcelle_sale__isnull=True,
        )
        .select_related("membership__beneficiary")
        .order_by("id")
    )
    order_list = list(orders)
    lines = _lines_by_order([o.pk for o in order_list])
    date = _sale_date(distribution)
    records = []
    for order in order_list:
        built = _build(
            shop_id=distribution.shop_id,
            order_id=order.pk,
            date=date,
            beneficiary_id=_beneficiary_escarcelle_id(order),
            lines=lines.get(order.pk, []),
        )
        if built.payload is None:
            continue
        records.append(
            SaleOutbox(
                shop_id=distribution.shop_id,
                distribution=distribution,
                order=order,
                version=1,
                idempotency_key=sale_key(
                    shop_id=distribution.shop_id, order_id=order.pk, version=1
                ),
                payload=built.payload,
                skipped_lines=built.skipped,
            )
        )
    return SaleOutbox.objects.bulk_create(records, batch_size=500)


def _beneficiary_escarcelle_id(order: Order) -> str | None:
    profile = getattr(order.membership, "beneficiary", None)
    return (profile.escarcelle_id or None) if profile is not None else None


# --- Delivery -------------------------------------------------------------------------------


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    retry_later: int = 0
    requests: int = 0
    errors: list[str] = field(default_factory=list)


def _default_client(shop: Shop, connection: Connection) -> EscarcelleClient:
    return client_for_shop(shop)


def _due(scope: QuerySet[SaleOutbox], now: datetime.datetime) -> QuerySet[SaleOutbox]:
    return scope.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        Q(claimed_until__isnull=True) | Q(claimed_until__lte=now),
        status=SaleStatus.PENDING,
    )


def sales_claim(
    *, scope: QuerySet[SaleOutbox], now: datetime.datetime, limit: int
) -> tuple[str, list[SaleOutbox]]:
    """Claim up to ``limit`` due rows of ``scope``; return only the rows this call won.

    The UPDATE repeats the due conditions, so a row claimed meanwhile by another worker is
    not taken again (PostgreSQL re-checks them after waiting for the other's row lock).
    """
    token = uuid.uuid4().hex
    for _attempt in range(CLAIM_ATTEMPTS):
        ids = list(_due(scope, now).order_by("id").values_list("id", flat=True)[:limit])
        if not ids:
            break
        _due(SaleOutbox.objects.filter(id__in=ids), now).update(
            claim_token=token, claimed_until=now + LEASE
        )
        won = list(SaleOutbox.objects.filter(id__in=ids, claim_token=token).order_by("id"))
        if won:
            return token, won
        # Another worker claimed these very rows between our SELECT and our UPDATE: look
        # again (they are no longer due), rather than stop as if nothing were left to send.
    return token, []


@dataclass
class _Outcome:
    status: int | None  # None: no usable answer for this sale (retry later)
    sale: schemas.Sale | None = None
    code: str = ""
    detail: str = ""
    product_id: str = ""
    retry_after: float | None = None


def _chunks(rows: list[SaleOutbox]) -> Iterable[list[SaleOutbox]]:
    chunk: list[SaleOutbox] = []
    size = 0
    for row in rows:
        row_size = len(json.dumps(row.payload)) + 100
        if chunk and (size + row_size > MAX_BATCH_BYTES or len(chunk) >= 500):
            yield chunk
            chunk, size = [], 0
        chunk.append(row)
        size += row_size
    if chunk:
        yield chunk


def _problem_product(problem: schemas.Problem | None, payload: dict[str, Any]) -> str:
    for error in (problem.errors or []) if problem else []:
        loc = error.get("loc") or []
        if len(loc) >= 3 and loc[-3] == "lines" and isinstance(loc[-2], int):
            try:
                return payload["lines"][loc[-2]]["product_id"]
            except (IndexError, KeyError):
                return ""
    return ""


def _send_batch(
    client: EscarcelleClient, rows: list[SaleOutbox], *, retries: int, report: DeliveryReport
) -> dict[int, _Outcome]:
    """Send ``rows`` in one request; a whole-request failure raises ``EscarcelleError``."""
    report.requests += 1
    try:
        results = client.post_sales_batch(
            [(row.idempotency_key, row.payload) for row in rows], max_retries=retries
        )
    except EscarcelleError as error:
        if error.permanent and error.status == 422:
            # One sale the batch schema refuses poisons the request: send them one by one.
            return _send_one_by_one(client, rows, retries=retries, report=report)
        raise
    by_key = {result.idempotency_key: result for result in results}
    outcomes: dict[int, _Outcome] = {}
    for row in rows:
        result = by_key.get(row.idempotency_key)
        if result is None:
            outcomes[row.pk] = _Outcome(None, detail=_("Réponse d'Escarcelle incomplète."))
        elif result.status == 201 and result.sale is not None:
            outcomes[row.pk] = _Outcome(201, sale=result.sale)
        else:
            problem = result.problem
            outcomes[row.pk] = _Outcome(
                result.status,
                code=(problem.code if problem else "") or "",
                detail=((problem.detail or problem.title) if problem else "") or "",
                product_id=_problem_product(problem, row.payload),
            )
    return outcomes


def _send_one_by_one(
    client: EscarcelleClient, rows: list[SaleOutbox], *, retries: int, report: DeliveryReport
) -> dict[int, _Outcome]:
    outcomes: dict[int, _Outcome] = {}
    for row in rows:
        report.requests += 1
        try:
            sale = client.post_sale(
                row.payload, idempotency_key=row.idempotency_key, max_retries=retries
            )
        except EscarcelleError as error:
            status = error.status if error.permanent else None
            if status == 401:
                raise
            outcomes[row.pk] = _Outcome(
                status,
                code=error.code or "",
                detail=error.message,
                retry_after=error.retry_after,
            )
        else:
            outcomes[row.pk] = _Outcome(201, sale=sale)
    return outcomes


def _backoff(attempts: int, retry_after: float | None) -> datetime.timedelta:
    """Exponential back-off with equal jitter, never sooner than Escarcelle's Retry-After."""
    ceiling = min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2 ** max(0, attempts - 1))
    delay = ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - jitter, not crypto
    if retry_after:
        delay = max(delay, retry_after)
    return datetime.timedelta(seconds=delay)


def _apply(
    row: SaleOutbox, outcome: _Outcome, now: datetime.datetime, report: DeliveryReport
) -> bool:
    """Apply one answer to ``row`` in memory; True when its payload/key changed too."""
    row.claimed_until = None
    row.claim_token = ""
    row.updated_at = now
    row.attempts += 1
    if outcome.status == 201 and outcome.sale is not None:
        row.status = SaleStatus.SENT
        row.escarcelle_sale_id = outcome.sale.id
        row.sequence = outcome.sale.sequence
        row.sent_at = now
        row.next_attempt_at = None
        row.last_error = ""
        row.error_code = ""
        row.error_product_id = ""
        report.sent += 1
        return False
    row.error_code = outcome.code[:64]
    row.last_error = outcome.detail
    row.error_product_id = outcome.product_id[:64]
    status = outcome.status
    if (
        status == 422
        and outcome.code == "unknown_beneficiary"
        and row.payload.get("beneficiary_id")
    ):
        # The goods were handed over: the sale goes without the beneficiary Escarcelle does
        # not know, under a new key (the body changes), and the record says so.
        unknown = row.payload["beneficiary_id"]
        row.payload = {**row.payload, "beneficiary_id": None}
        row.version += 1
        row.idempotency_key = sale_key(
            shop_id=row.shop_id, order_id=row.order_id, version=row.version
        )
        row.note = _(
            "Envoyée sans bénéficiaire : Escarcelle ne connaît pas le bénéficiaire "
            "%(id)s. Vérifiez la fiche du bénéficiaire (import des bénéficiaires)."
        ) % {"id": unknown}
        row.next_attempt_at = None
        report.retry_later += 1
        return True
    if status is not None and 400 <= status < 500 and status not in (409, 429):
        row.status = SaleStatus.FAILED
        row.next_attempt_at = None
        report.failed += 1
        return False
    if status == 409:
        row.next_attempt_at = now + IN_USE_RETRY
    else:
        row.next_attempt_at = now + _backoff(row.attempts, outcome.retry_after)
    report.retry_later += 1
    return False


_WRITE_BACK_COLUMNS = (
    "status",
    "attempts",
    "next_attempt_at",
    "last_error",
    "error_code",
    "error_product_id",
    "escarcelle_sale_id",
    "sequence",
    "sent_at",
    "updated_at",
)


def _write_back(token: str, rows: list[SaleOutbox], changed: list[SaleOutbox]) -> None:
    """Store the outcome of each row, but only rows still carrying our claim token: a worker
    whose lease expired (and whose rows another worker took) writes nothing.

    One parameterised UPDATE run for every row (``executemany``): Django's ``bulk_update``
    builds a CASE per field and row, which costs more than the whole HTTP exchange.
    """
    ops = connection.ops
    q = ops.quote_name
    assignments = ", ".join(f"{q(c)} = %s" for c in _WRITE_BACK_COLUMNS)
    sql = (
        f"UPDATE {q(SaleOutbox._meta.db_table)} SET {assignments}, "  # noqa: S608 - fixed names
        f"{q('claimed_until')} = NULL, {q('claim_token')} = '' "
        f"WHERE {q('id')} = %s AND {q('claim_token')} = %s"
    )

    def when(value: datetime.datetime | None) -> Any:
        return None if value is None else ops.adapt_datetimefield_value(value)

    params = [
        (
            row.status,
            row.attempts,
            when(row.next_attempt_at),
            row.last_error,
            row.error_code,
            row.error_product_id,
            row.escarcelle_sale_id,
            row.sequence,
            when(row.sent_at),
            when(row.updated_at),
            row.pk,
            token,
        )
        for row in rows
    ]
    with transaction.atomic():
        for row in changed:
            SaleOutbox.objects.filter(pk=row.pk, claim_token=token).update(
                payload=row.payload,
                version=row.version,
                idempotency_key=row.idempotency_key,
                note=row.note,
            )
        with connection.cursor() as cursor:
            cursor.executemany(sql, params)


def _release_after_failure(
    token: str,
    rows: list[SaleOutbox],
    error: EscarcelleError,
    now: datetime.datetime,
    report: DeliveryReport,
) -> None:
    outcome = _Outcome(None, code=error.code or "", detail=error.message)
    outcome.retry_after = error.retry_after
    for row in rows:
        _apply(row, outcome, now, report)
    _write_back(token, rows, [])


def sales_deliver(
    *,
    distribution: Distribution | None = None,
    shop: Shop | None = None,
    now: datetime.datetime | None = None,
    batch_size: int = BATCH_SIZE,
    call_retries: int | None = None,
    client_factory: ClientFactory | None = None,
) -> DeliveryReport:
    """Send the due pending sales of a distribution (or of a shop) in batches.

    Stops at the first whole-request failure: the rows of that batch get a back-off, the
    sweeper takes them up again. ``now`` fixes the clock (tests, the sweeper).
    """
    if shop is None:
        if distribution is None:
            raise ValueError("sales_deliver needs a distribution or a shop")
        shop = distribution.shop
    scope = SaleOutbox.objects.filter(shop=shop)
    if distribution is not None:
        scope = scope.filter(distribution=distribution)
    report = DeliveryReport()
    if shop.suspended_at is not None:  # the rows wait, pending, until the shop is reactivated
        return report
    connection = Connection.objects.filter(shop=shop).first()
    if connection is None or not connection.is_usable:
        return report
    retries = settings.ESCARCELLE_SALES_CALL_RETRIES if call_retries is None else call_retries
    try:
        client = (client_factory or _default_client)(shop, connection)
    except EscarcelleError as error:  # the stored key cannot be read: wait for a new one
        report.errors.append(str(error))
        return report
    try:
        for _round in range(MAX_ROUNDS):
            clock = now or timezone.now()
            token, rows = sales_claim(scope=scope, now=clock, limit=batch_size)
            if not rows:
                break
            with Heartbeat(_renewer(token, clock), every=HEARTBEAT_S, name=f"sales-{shop.pk}"):
                if not _send_claimed(client, token, rows, clock, retries, report, shop):
                    return report
    finally:
        client.close()
    return report


def _renewer(token: str, claimed_at: datetime.datetime) -> Callable[[float], int]:
    """Push the lease of the rows still claimed forward, counted from the claim's clock."""

    def renew(elapsed_s: float) -> int:
        until = claimed_at + datetime.timedelta(seconds=elapsed_s) + LEASE
        return SaleOutbox.objects.filter(claim_token=token, claimed_until__isnull=False).update(
            claimed_until=until
        )

    return renew


def _send_claimed(
    client: EscarcelleClient,
    token: str,
    rows: list[SaleOutbox],
    clock: datetime.datetime,
    retries: int,
    report: DeliveryReport,
    shop: Shop,
) -> bool:
    """Send claimed rows chunk by chunk; False after a whole-request failure (round over)."""
    done: set[int] = set()
    for chunk in _chunks(rows):
        try:
            outcomes = _send_batch(client, chunk, retries=retries, report=report)
        except EscarcelleError as error:
            log.warning("escarcelle sales: batch failed for shop %s: %s", shop.pk, error)
            report.errors.append(str(error))
            left = [row for row in rows if row.pk not in done]
            _release_after_failure(token, left, error, clock, report)
            return False
        changed = [row for row in chunk if _apply(row, outcomes[row.pk], clock, report)]
        _write_back(token, chunk, changed)
        done.update(row.pk for row in chunk)
    return True


def sales_sweep(
    *, now: datetime.datetime | None = None, client_factory: ClientFactory | None = None
) -> DeliveryReport:
    """Deliver every shop's due pending sales, whatever happened to the tasks that were
    queued for them (worker killed, queue emptied); then warn about stuck ones."""
    clock = now or timezone.now()
    total = DeliveryReport()
    shop_ids = _due(SaleOutbox.objects.all(), clock).values_list("shop_id", flat=True).distinct()
    shops = Shop.objects.filter(pk__in=list(shop_ids), suspended_at__isnull=True)
    for shop in shops.order_by("pk"):
        with shop_context(shop.slug):  # its log lines carry the shop's slug
            report = sales_deliver(shop=shop, now=now, client_factory=client_factory)
        total.sent += report.sent
        total.failed += report.failed
        total.retry_later += report.retry_later
        total.requests += report.requests
        total.errors += report.errors
    sales_alert_stuck(now=clock)
    return total


# --- Renvoyer -------------------------------------------------------------------------------


@transaction.atomic
def sale_retry(*, sale: SaleOutbox) -> SaleOutbox:
    """Put a failed sale back in the queue, after the manager fixed the cause.

    The payload is rebuilt from the current data (a product bound again since, for example).
    Same content → same key; new content → next version and a new key (Escarcelle refused
    the old one, so it recorded nothing under it).
    """
    sale = SaleOutbox.objects.select_for_update().select_related("distribution").get(pk=sale.pk)
    if sale.status != SaleStatus.FAILED:
        raise Refusal(_("Cette vente n'est pas en échec."))
    order = Order.objects.select_related("membership__beneficiary").get(pk=sale.order_id)
    built = _build(
        shop_id=sale.shop_id,
        order_id=sale.order_id,
        date=_sale_date(sale.distribution),
        beneficiary_id=_beneficiary_escarcelle_id(order),
        lines=_lines_by_order([sale.order_id]).get(sale.order_id, []),
    )
    if built.payload is None:
        raise Refusal(
            _("Aucun produit de cette commande n'est lié à Escarcelle : rien à renvoyer.")
        )
    if built.payload != sale.payload and sale.error_code != "idempotency_key_reused":
        sale.version += 1
        sale.idempotency_key = sale_key(
            shop_id=sale.shop_id, order_id=sale.order_id, version=sale.version
        )
        sale.payload = built.payload
        sale.skipped_lines = built.skipped
    sale.status = SaleStatus.PENDING
    sale.attempts = 0
    sale.next_attempt_at = None
    sale.claimed_until = None
    sale.claim_token = ""
    sale.alerted_at = None
    sale.save()
    return sale
