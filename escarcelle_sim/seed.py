"""Seed data: a French grocery catalogue and beneficiaries, deterministic for a given seed.

Everything goes in with `executemany` inside one transaction, so 10,000 products (and their
"initial" ledger movements) take well under a second.
"""

from __future__ import annotations

import random
import sqlite3
import unicodedata
from datetime import date, timedelta
from decimal import Decimal

from .accounts import hash_key, new_api_key
from .db import Database, now_iso, public_id

# (name, category, unit, unit quantity, price incl. VAT, VAT rate)
CATALOGUE = [
    ("Pâtes penne 500 g", "Épicerie sèche", "piece", "1.000", "0.99", "5.5"),
    ("Spaghetti n°5 1 kg", "Épicerie sèche", "piece", "1.000", "1.65", "5.5"),
    ("Riz long grain 1 kg", "Épicerie sèche", "piece", "1.000", "1.89", "5.5"),
    ("Lentilles vertes du Puy 500 g", "Épicerie sèche", "piece", "1.000", "2.35", "5.5"),
    ("Farine de blé T55 1 kg", "Épicerie sèche", "piece", "1.000", "0.95", "5.5"),
    ("Sucre en poudre 1 kg", "Épicerie sèche", "piece", "1.000", "1.25", "5.5"),
    ("Huile de tournesol 1 l", "Épicerie sèche", "piece", "1.000", "2.49", "5.5"),
    ("Huile d'olive vierge extra 75 cl", "Épicerie sèche", "piece", "1.000", "7.90", "5.5"),
    ("Café moulu pur arabica 250 g", "Épicerie sèche", "piece", "1.000", "3.20", "5.5"),
    ("Thé vert à la menthe, 25 sachets", "Épicerie sèche", "piece", "1.000", "1.79", "5.5"),
    ("Chocolat noir 70 % 100 g", "Épicerie sèche", "piece", "1.000", "1.45", "5.5"),
    ("Confiture d'abricots 370 g", "Épicerie sèche", "piece", "1.000", "2.10", "5.5"),
    ("Céréales pétales de maïs 500 g", "Épicerie sèche", "piece", "1.000", "1.99", "5.5"),
    ("Biscuits petit-beurre 200 g", "Épicerie sèche", "piece", "1.000", "1.15", "5.5"),
    ("Thon au naturel 140 g", "Conserves", "piece", "1.000", "1.95", "5.5"),
    ("Sardines à l'huile d'olive 135 g", "Conserves", "piece", "1.000", "1.70", "5.5"),
    ("Haricots verts extra-fins 400 g", "Conserves", "piece", "1.000", "1.39", "5.5"),
    ("Pois chiches 400 g", "Conserves", "piece", "1.000", "0.89", "5.5"),
    ("Tomates pelées 400 g", "Conserves", "piece", "1.000", "0.85", "5.5"),
    (
        "Ratatouille cuisinée à la provençale, légumes du soleil et huile d'olive, "
        "bocal familial 750 g",
        "Conserves",
        "piece",
        "1.000",
        "3.95",
        "5.5",
    ),
    ("Pommes Golden", "Fruits et légumes", "kg", "1.000", "2.49", "5.5"),
    ("Bananes", "Fruits et légumes", "kg", "1.000", "1.89", "5.5"),
    ("Oranges à jus", "Fruits et légumes", "kg", "1.000", "2.19", "5.5"),
    ("Pommes de terre", "Fruits et légumes", "kg", "1.000", "1.29", "5.5"),
    ("Carottes des sables", "Fruits et légumes", "kg", "1.000", "1.49", "5.5"),
    ("Oignons jaunes", "Fruits et légumes", "kg", "1.000", "1.59", "5.5"),
    ("Poireaux", "Fruits et légumes", "kg", "1.000", "2.60", "5.5"),
    ("Courgettes", "Fruits et légumes", "kg", "1.000", "2.99", "5.5"),
    ("Clémentines de Corse", "Fruits et légumes", "kg", "1.000", "3.49", "5.5"),
    ("Salade batavia", "Fruits et légumes", "piece", "1.000", "0.99", "5.5"),
    ("Lait demi-écrémé 1 l", "Produits laitiers", "l", "1.000", "1.05", "5.5"),
    ("Yaourts nature x 8", "Produits laitiers", "piece", "1.000", "1.60", "5.5"),
    ("Beurre doux 250 g", "Produits laitiers", "piece", "1.000", "2.65", "5.5"),
    ("Emmental râpé 200 g", "Produits laitiers", "piece", "1.000", "2.15", "5.5"),
    ("Camembert de Normandie AOP 250 g", "Produits laitiers", "piece", "1.000", "2.95", "5.5"),
    ("Comté 18 mois à la coupe", "Produits laitiers", "kg", "1.000", "19.90", "5.5"),
    ("Crème fraîche épaisse 20 cl", "Produits laitiers", "cl", "20.000", "1.35", "5.5"),
    ("Œufs plein air x 12", "Produits laitiers", "piece", "1.000", "3.60", "5.5"),
    ("Fromage blanc 0 % 500 g", "Produits laitiers", "g", "500.000", "1.75", "5.5"),
    ("Jambon blanc x 4 tranches", "Boucherie, charcuterie", "piece", "1.000", "2.99", "5.5"),
    ("Poulet entier fermier", "Boucherie, charcuterie", "kg", "1.000", "8.50", "5.5"),
    ("Steaks hachés 5 % x 2", "Boucherie, charcuterie", "piece", "1.000", "3.40", "5.5"),
    ("Pain de mie complet 500 g", "Boulangerie", "piece", "1.000", "1.55", "5.5"),
    ("Baguette tradition", "Boulangerie", "piece", "1.000", "1.10", "5.5"),
    ("Jus d'orange 100 % pur jus 1 l", "Boissons", "l", "1.000", "2.25", "5.5"),
    ("Eau minérale 6 x 1,5 l", "Boissons", "piece", "1.000", "2.70", "5.5"),
    ("Sirop de grenadine 75 cl", "Boissons", "cl", "75.000", "2.30", "5.5"),
    ("Bière blonde 33 cl", "Boissons", "cl", "33.000", "1.20", "20"),
    ("Vin rouge Côtes-du-Rhône 75 cl", "Boissons", "cl", "75.000", "5.90", "20"),
    ("Petits pots légumes bébé x 2", "Bébé", "piece", "1.000", "2.40", "5.5"),
    ("Couches taille 4 x 44", "Bébé", "piece", "1.000", "11.90", "20"),
    ("Savon de Marseille 300 g", "Hygiène", "piece", "1.000", "2.80", "20"),
    ("Gel douche à l'amande 250 ml", "Hygiène", "ml", "250.000", "1.95", "20"),
    ("Shampooing doux 300 ml", "Hygiène", "ml", "300.000", "2.45", "20"),
    ("Dentifrice menthe fraîche 75 ml", "Hygiène", "ml", "75.000", "1.65", "20"),
    ("Brosse à dents souple", "Hygiène", "piece", "1.000", "1.20", "20"),
    ("Protections hygiéniques x 14", "Hygiène", "piece", "1.000", "2.10", "5.5"),
    ("Papier toilette x 12 rouleaux", "Hygiène", "piece", "1.000", "4.90", "20"),
    ("Lessive liquide 1,5 l", "Entretien", "l", "1.500", "6.50", "20"),
    ("Liquide vaisselle citron 500 ml", "Entretien", "ml", "500.000", "1.45", "20"),
    ("Éponges grattantes x 3", "Entretien", "piece", "1.000", "1.30", "20"),
    # A sandwich is "consommation immédiate": 10 % even in a shop (a ready meal would be 5.5 %).
    ("Sandwich jambon-beurre à emporter", "Traiteur", "piece", "1.000", "3.30", "10"),
]

FIRST_NAMES = [
    "Amélie", "Karim", "Fatoumata", "Jean-Pierre", "Chloé", "Mehdi", "Élodie", "Thi Lan",
    "Noémie", "Rachid", "Hélène", "Yannick", "Zoé", "Mamadou", "Gaëlle", "Loïc", "Inès",
    "François", "Aïcha", "Joël",
]  # fmt: skip
LAST_NAMES = [
    "Martin", "N'Diaye", "Dubois", "Benali", "Le Gall", "Nguyen", "Moreau", "D'Almeida",
    "Lefèvre", "Traoré", "Girard", "Ben Youssef", "Rousseau", "Kowalski", "Bérenger",
    "Fontaine", "Haddad", "Lemaître", "Camara", "Ollivier",
]  # fmt: skip
RATES = ["10.00", "20.00", "25.00", "30.00", "30.00", "15.00", "100.00"]


def ean13(first12: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return first12 + str((10 - total % 10) % 10)


def _products(
    rng: random.Random, account: int, count: int, first_id: int, already: int
) -> list[tuple]:
    """`already`: the account's products so far; a second seeding continues the numbering, so
    names, refs and barcodes stay unique within the account."""
    prefix = f"{rng.randrange(10**5):05d}"
    rows = []
    stamp = now_iso()
    for row in range(count):
        i = already + row
        name, category, unit, unit_qty, price, vat = CATALOGUE[i % len(CATALOGUE)]
        batch = i // len(CATALOGUE)
        if batch:
            name = f"{name} — lot {batch + 1}"
            price = str((Decimal(price) * Decimal(1 + (batch % 7) / 20)).quantize(Decimal("0.01")))
        # Goods sold by weight are keyed in at the till: no EAN-13, like a few others.
        no_barcode = rng.random() < 0.1 or unit == "kg"
        barcode = None if no_barcode else ean13(f"37{prefix}{i % 10**5:05d}")
        ref = None if rng.random() < 0.05 else f"EPI-{i + 1:05d}"
        description = f"{category} — {name}." if rng.random() < 0.7 else ""
        rows.append(
            (
                first_id + row,
                account,
                ref,
                barcode,
                name,
                description,
                category,
                unit,
                unit_qty,
                price,
                vat,
                stamp,
            )  # fmt: skip
        )
    return rows


def _initial_milli(rng: random.Random, unit: str) -> int:
    if unit == "kg":
        return rng.randrange(0, 40_000, 250)  # kg stock in 0.250 kg steps
    return rng.randrange(0, 60) * 1000


def seed_account(
    db: Database, *, account: int, products: int = 60, beneficiaries: int = 20, seed: int = 1
) -> dict[str, int]:
    with db.write() as conn:
        _seed_into(conn, account=account, products=products, beneficiaries=beneficiaries, seed=seed)
    return {"products": products, "beneficiaries": beneficiaries}


def seed_fleet(
    db: Database,
    *,
    accounts: int,
    products: int,
    beneficiaries: int = 0,
    seed: int = 1,
    name: str = "Épicerie n°{n}",
) -> list[tuple[str, str]]:
    """Create and seed many accounts in one transaction; return [(account id, API key)].

    For benchmarks: 1,000 accounts of 10 products, or one of 10,000, take about a second.
    """
    created = []
    with db.write() as conn:
        for n in range(1, accounts + 1):
            api_key = new_api_key()
            cur = conn.execute(
                "INSERT INTO accounts (name, created_at) VALUES (?, ?)",
                (name.format(n=n), now_iso()),
            )
            account = int(cur.lastrowid or 0)
            conn.execute(
                "INSERT INTO api_keys (key_hash, account_id, created_at) VALUES (?, ?, ?)",
                (hash_key(api_key), account, now_iso()),
            )
            _seed_into(
                conn, account=account, products=products, beneficiaries=beneficiaries, seed=seed
            )
            created.append((public_id("account", account), api_key))
    return created


def _seed_into(
    conn: sqlite3.Connection, *, account: int, products: int, beneficiaries: int, seed: int
) -> None:
    rng = random.Random(seed * 1_000_003 + account)
    first_id = conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM products").fetchone()[0]
    already = conn.execute(
        "SELECT COUNT(*) FROM products WHERE account_id = ?", (account,)
    ).fetchone()[0]
    rows = _products(rng, account, products, first_id, already)
    conn.executemany(
        "INSERT INTO products (id, account_id, ref, barcode, name, description, category,"
        " unit, unit_quantity, price, vat_rate, updated_at) VALUES"
        " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    seq = conn.execute("SELECT seq FROM accounts WHERE id = ?", (account,)).fetchone()[0]
    stamp = now_iso()
    moves = []
    updates = []
    for row in rows:
        seq += 1
        qty = _initial_milli(rng, row[7])
        moves.append((account, seq, row[0], qty, qty, "initial", stamp))
        updates.append((qty, seq, row[0]))
    conn.executemany(
        "INSERT INTO movements (account_id, seq, product_id, delta_milli,"
        " quantity_after_milli, reason, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        moves,
    )
    conn.executemany(
        "UPDATE products SET quantity_milli = quantity_milli + ?, last_seq = ? WHERE id = ?",
        updates,
    )
    conn.execute("UPDATE accounts SET seq = ? WHERE id = ?", (seq, account))
    conn.executemany(
        "INSERT INTO beneficiaries (account_id, first_name, last_name, email, phone,"
        " card_number, household_size, participation_rate, monthly_budget,"
        " access_valid_until, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [_beneficiary(rng, account, i, stamp) for i in range(beneficiaries)],
    )


def _beneficiary(rng: random.Random, account: int, i: int, stamp: str) -> tuple:
    first = rng.choice(FIRST_NAMES)
    last = rng.choice(LAST_NAMES)
    plain = unicodedata.normalize("NFKD", f"{first}.{last}").encode("ascii", "ignore").decode()
    login = plain.lower().replace(" ", "").replace("'", "")
    email = None if rng.random() < 0.2 else f"{login}{i}@example.org"
    phone = f"06 {rng.randrange(100):02d} {rng.randrange(100):02d} {rng.randrange(100):02d} 00"
    today = date.today()  # end dates stay realistic whenever the demo is seeded
    roll = rng.random()
    if roll < 0.15:
        until = (today - timedelta(days=rng.randrange(1, 120))).isoformat()  # expired
    elif roll < 0.25:
        until = None
    else:
        until = (today + timedelta(days=rng.randrange(30, 365))).isoformat()
    budget = None if rng.random() < 0.3 else f"{rng.randrange(40, 250, 10)}.00"
    return (
        account, first, last, email, phone, f"ESC-{account:04d}-{i + 1:05d}",
        rng.randrange(1, 7), rng.choice(RATES), budget, until, stamp,
    )  # fmt: skip
