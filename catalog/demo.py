"""Demo products (hand-managed stock, no photos) and two catalogues."""

from __future__ import annotations

from decimal import Decimal

from catalog.models import Catalogue, Product, Unit
from shops.models import Shop

# (ref, name, category, unit, unit quantity, price, VAT, stock, catalogue)
PRODUCTS = [
    ("EPI-001", "Pâtes coquillettes", "Épicerie salée", Unit.G, "500", "0.89", "5.5", "40", "E"),
    ("EPI-002", "Riz long grain", "Épicerie salée", Unit.KG, "1", "1.79", "5.5", "30", "E"),
    ("EPI-003", "Lentilles vertes", "Épicerie salée", Unit.G, "500", "1.65", "5.5", "18", "E"),
    ("EPI-004", "Farine de blé T55", "Épicerie salée", Unit.KG, "1", "0.95", "5.5", "22", "E"),
    ("EPI-005", "Sucre en poudre", "Épicerie sucrée", Unit.KG, "1", "1.35", "5.5", "15", "E"),
    ("EPI-006", "Huile de tournesol", "Épicerie salée", Unit.L, "1", "2.49", "5.5", "12", "E"),
    ("EPI-007", "Tomates pelées", "Conserves", Unit.G, "400", "0.99", "5.5", "35", "E"),
    ("EPI-008", "Thon au naturel", "Conserves", Unit.G, "140", "2.15", "5.5", "20", "E"),
    ("EPI-009", "Petits pois carottes", "Conserves", Unit.G, "530", "1.29", "5.5", "16", "E"),
    ("EPI-010", "Café moulu", "Épicerie sucrée", Unit.G, "250", "3.29", "5.5", "10", "E"),
    ("EPI-011", "Confiture de fraises", "Épicerie sucrée", Unit.G, "370", "2.05", "5.5", "9", "E"),
    (
        "EPI-012",
        "Biscuits petit-beurre",
        "Épicerie sucrée",
        Unit.G,
        "200",
        "1.10",
        "5.5",
        "25",
        "E",
    ),
    ("EPI-013", "Lait demi-écrémé", "Épicerie sucrée", Unit.L, "1", "1.05", "5.5", "48", "E"),
    ("EPI-014", "Compotes pomme", "Épicerie sucrée", Unit.PIECE, "4", "1.89", "5.5", "14", "E"),
    ("HYG-001", "Savon de Marseille", "Hygiène", Unit.G, "300", "2.30", "20", "8", "E"),
    ("HYG-002", "Dentifrice", "Hygiène", Unit.ML, "75", "1.95", "20", "11", "E"),
    ("HYG-003", "Lessive liquide", "Entretien", Unit.L, "1.5", "5.90", "20", "6", "E"),
    ("FRA-001", "Yaourts nature", "Frais", Unit.PIECE, "4", "1.25", "5.5", "24", "F"),
    ("FRA-002", "Emmental râpé", "Frais", Unit.G, "200", "2.19", "5.5", "12", "F"),
    ("FRA-003", "Beurre doux", "Frais", Unit.G, "250", "2.69", "5.5", "10", "F"),
    ("FRA-004", "Œufs plein air", "Frais", Unit.PIECE, "6", "2.39", "5.5", "15", "F"),
    ("FRA-005", "Jambon blanc", "Frais", Unit.PIECE, "4", "2.99", "5.5", "9", "F"),
    ("FRA-006", "Pommes Golden", "Fruits et légumes", Unit.KG, "1", "2.20", "5.5", "20", "F"),
    ("FRA-007", "Carottes", "Fruits et légumes", Unit.KG, "1", "1.49", "5.5", "18", ""),
    ("EPI-015", "Chocolat noir", "Épicerie sucrée", Unit.G, "100", "1.55", "5.5", "0", ""),
]


def seed(shop: Shop) -> None:
    products = Product.objects.bulk_create(
        [
            Product(
                shop=shop,
                ref=ref,
                name=name,
                category=category,
                unit=unit,
                unit_quantity=Decimal(quantity),
                price=Decimal(price),
                vat_rate=Decimal(vat),
                stock=Decimal(stock),
            )
            for ref, name, category, unit, quantity, price, vat, stock, _c in PRODUCTS
        ]
    )
    by_ref = {
        p.ref: p for p in Product.objects.filter(shop=shop, ref__in=[p.ref for p in products])
    }
    for code, name in (("E", "Épicerie"), ("F", "Frais")):
        catalogue = Catalogue.objects.create(shop=shop, name=name)
        catalogue.products.set([by_ref[row[0]] for row in PRODUCTS if row[8] == code])
