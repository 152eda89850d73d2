"""What the preparation documents of a distribution show: bags, picking list, sign-off sheet.

Everything comes from ``selectors.distribution_summary`` (the orders not cancelled, by
beneficiary, sorted by name), so the sheets show the amounts of the distribution's page:
before validation, what was ordered (or the quantity already corrected); after it, what was
handed over. The volunteers prepare and hand over slot by slot: every sheet goes by pick-up
slot (orders without one last), then by name.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from distributions.models import Distribution, DistributionState, OrderLine, PickupSlot
from distributions.selectors import (
    BeneficiaryRow,
    ProductRow,
    distribution_summary,
    product_rows,
)
from epiclic.collation import collation_key
from epiclic.spreadsheets import Cell, Table
from shops.models import BeneficiaryProfile, Membership

# The distribution states in which the sheets are printed: orders closed, then validated.
PRINTABLE_STATES = (DistributionState.CLOSED, DistributionState.VALIDATED)


def member_name(membership: Membership) -> str:
    user = membership.user
    return user.get_full_name() or user.email


@dataclass
class Bag:
    """One order as the volunteers prepare it."""

    row: BeneficiaryRow
    name: str
    card_number: str

    @property
    def slot(self) -> PickupSlot | None:
        return self.row.order.slot

    @property
    def lines(self) -> list[OrderLine]:
        return self.row.lines

    @property
    def total(self) -> Decimal:
        return self.row.total


def _slot_key(slot: PickupSlot | None) -> tuple[int, datetime.datetime | None]:
    return (1, None) if slot is None else (0, slot.starts_at)


@dataclass
class Aisle:
    """The products of one category, for the picking list."""

    category: str
    products: list[ProductRow] = field(default_factory=list)


def _aisles(rows: Iterable[ProductRow]) -> list[Aisle]:
    """Products by category (French order), then by name."""
    aisles: dict[str, Aisle] = {}
    for product_row in sorted(
        rows, key=lambda r: (collation_key(r.product.category), collation_key(r.product.name))
    ):
        category = product_row.product.category or _("Sans catégorie")
        aisles.setdefault(category, Aisle(category=category)).products.append(product_row)
    return list(aisles.values())


@dataclass
class SlotGroup:
    """The orders of one pick-up slot (``slot`` None: those without one)."""

    slot: PickupSlot | None
    bags: list[Bag]

    @property
    def aisles(self) -> list[Aisle]:
        """What to pick for this slot's bags, by category."""
        return _aisles(product_rows(line for bag in self.bags for line in bag.lines))


@dataclass
class Sheets:
    distribution: Distribution
    bags: list[Bag]
    aisles: list[Aisle]

    @property
    def has_slots(self) -> bool:
        """The sheets have a heading per slot when an order has a slot."""
        return any(bag.slot is not None for bag in self.bags)

    @property
    def slot_groups(self) -> list[SlotGroup]:
        """The bags slot by slot, in the bags' order (one group when no order has a slot)."""
        groups = []
        for _slot_id, bags in itertools.groupby(self.bags, key=lambda bag: bag.row.order.slot_id):
            group = list(bags)
            groups.append(SlotGroup(slot=group[0].slot, bags=group))
        return groups

    @property
    def grand_total(self) -> Decimal:
        return sum((bag.total for bag in self.bags), Decimal("0"))

    @property
    def shows_locations(self) -> bool:
        """The picking list has an "Emplacement" column when a product has a shelf location."""
        return any(row.product.shelf_location for aisle in self.aisles for row in aisle.products)


def preparation_sheets(*, distribution: Distribution) -> Sheets:
    """The bags (slot by slot, by name within one), the products by category, in two
    queries."""
    by_beneficiary, by_product = distribution_summary(distribution=distribution)
    cards = dict(
        BeneficiaryProfile.objects.filter(
            membership_id__in=[row.order.membership_id for row in by_beneficiary]
        ).values_list("membership_id", "card_number")
    )
    bags = [
        Bag(
            row=row,
            name=member_name(row.order.membership),
            card_number=cards.get(row.order.membership_id, ""),
        )
        for row in by_beneficiary
    ]
    # Prepared and handed over slot by slot (orders without a slot last), by name within one.
    bags.sort(key=lambda bag: (_slot_key(bag.row.order.slot), collation_key(bag.name)))
    return Sheets(distribution=distribution, bags=bags, aisles=_aisles(by_product))


def lines_table(sheets: Sheets) -> Table:
    """Every line of the distribution, one row each, for the CSV and XLSX downloads."""
    columns = [
        _("Bénéficiaire"),
        _("N° de carte"),
        _("Commande"),
        _("État"),
        _("Produit"),
        _("Référence"),
        _("Catégorie"),
        _("Unité"),
        _("Quantité commandée"),
        _("Quantité livrée"),
        _("Prix en rayon (€)"),
        _("Taux de participation (%)"),
        _("Prix unitaire payé (€)"),
        _("Montant à payer (€)"),
    ]

    def rows() -> Iterator[list[Cell]]:
        for bag in sheets.bags:
            order = bag.row.order
            for line in bag.lines:
                product = line.product
                delivered = line.delivered_quantity
                yield [
                    bag.name,
                    bag.card_number,
                    order.pk,
                    str(order.get_status_display()),
                    line.name,
                    product.ref,
                    product.category,
                    str(product.get_unit_display()),
                    line.quantity.normalize(),
                    None if delivered is None else delivered.normalize(),
                    line.shelf_price,
                    line.participation_rate.normalize(),
                    line.unit_price,
                    line.total,
                ]

    return Table(title=_("Lignes"), columns=columns, rows=rows())
