"""The `escarcelle-sim` commands that write straight into the database of a running server."""

from __future__ import annotations

import sqlite3
from decimal import Decimal

import httpx
import pytest

from escarcelle_sim.cli import main


def test_seed_fleet_writes_one_key_per_account_and_each_key_sees_its_own_catalogue(
    escarcelle_server, tmp_path
):
    keys_file = tmp_path / "keys.tsv"
    main(["seed-fleet", "--db", str(escarcelle_server.db_path), "--accounts", "3",
          "--products", "4", "--beneficiaries", "2", "--name", "Flotte n°{n}",
          "--keys-file", str(keys_file)])  # fmt: skip
    lines = [line.split("\t") for line in keys_file.read_text().splitlines()]
    assert len(lines) == 3 and oct(keys_file.stat().st_mode)[-3:] == "600"
    seen = set()
    for account_id, api_key in lines:
        headers = {"Authorization": f"Bearer {api_key}"}
        url = f"{escarcelle_server.base_url}/api/v1"
        with httpx.Client(base_url=url, headers=headers, trust_env=False) as client:
            account = client.get("/account").json()
            products = client.get("/products").json()["data"]
            stock = client.get("/stock").json()["data"]
            beneficiaries = client.get("/beneficiaries").json()["data"]
        assert account["id"] == account_id and account["name"].startswith("Flotte n°")
        assert len(products) == 4 and len(stock) == 4 and len(beneficiaries) == 2
        seen |= {p["id"] for p in products}
    assert len(seen) == 12


def test_seed_fleet_seeds_a_thousand_accounts(tmp_path, capsys):
    db = tmp_path / "fleet.sqlite3"
    main(["seed-fleet", "--db", str(db), "--accounts", "1000", "--products", "10"])
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1000 and len({line.split("\t")[1] for line in out}) == 1000
    with sqlite3.connect(db) as conn:
        per_account = conn.execute(
            "SELECT COUNT(DISTINCT account_id), COUNT(*), MAX(seq) FROM movements"
        ).fetchone()
        keys = conn.execute("SELECT COUNT(*) FROM api_keys").fetchone()[0]
    assert per_account == (1000, 10_000, 10) and keys == 1000


def _ean13_ok(barcode: str) -> bool:
    digits = [int(d) for d in barcode]
    return (
        len(digits) == 13 and sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10 == 0
    )


def test_the_demo_prints_the_same_key_and_page_on_every_run(escarcelle_server, tmp_path, capsys):
    args = ["demo", "--db", str(escarcelle_server.db_path), "--url", escarcelle_server.base_url,
            "--key-file", str(tmp_path / "demo-key.txt")]  # fmt: skip
    main(args)
    first = capsys.readouterr().out
    main(args)
    second = capsys.readouterr().out
    assert first == second
    api_key = (tmp_path / "demo-key.txt").read_text().strip()
    assert f"Clé d'API    : {api_key}" in first
    page = next(line.split(": ", 1)[1] for line in first.splitlines() if "Page" in line)
    with httpx.Client(trust_env=False) as client:
        accounts = client.get(
            f"{escarcelle_server.base_url}/admin/api/accounts",
            headers={"X-Admin-Token": escarcelle_server.admin_token},
        ).json()
        assert client.get(page).status_code == 200
    assert [a["name"] for a in accounts].count("Épicerie solidaire de démo") == 1
    (tmp_path / "demo-key.txt").write_text("esk_stale\n")
    main(args)
    fresh = (tmp_path / "demo-key.txt").read_text().strip()
    assert fresh != api_key and f"Clé d'API    : {fresh}" in capsys.readouterr().out
    api_key = fresh

    headers = {"Authorization": f"Bearer {api_key}"}
    url = f"{escarcelle_server.base_url}/api/v1"
    with httpx.Client(base_url=url, headers=headers, trust_env=False) as client:
        products = client.get("/products", params={"limit": 500}).json()["data"]
        stock = {r["product_id"]: r["quantity"] for r in client.get("/stock").json()["data"]}
        beneficiaries = client.get("/beneficiaries").json()["data"]
    names = " ".join(p["name"] for p in products)
    assert {"é", "'", "œ".upper()} <= set(names) and max(len(p["name"]) for p in products) > 80
    kg = [p for p in products if p["unit"] == "kg"]
    assert kg and any(not stock[p["id"]].endswith(".000") for p in kg)
    assert {p["vat_rate"] for p in products} >= {"5.5", "10", "20"}
    barcodes = [p["barcode"] for p in products]
    assert None in barcodes and all(_ean13_ok(b) for b in barcodes if b)
    assert len({b["participation_rate"] for b in beneficiaries}) > 2
    assert len({b["access_valid_until"] for b in beneficiaries}) > 5


def test_the_shop_commands_change_what_the_api_serves(escarcelle, escarcelle_server, capsys):
    escarcelle.seed(products=2, beneficiaries=0)
    product, other = [p["id"] for p in escarcelle.products()]
    shop = ["--db", str(escarcelle_server.db_path), "--account", escarcelle.account_id]
    sequence = escarcelle.sequence()
    main(["adjust", *shop, "--product", product, "--quantity", "10"])
    main(["sell", *shop, "--product", product, "--quantity", "1.250"])
    main(["restock", *shop, "--product", product, "--quantity", "3"])
    main(["edit-product", *shop, "--product", product, "--name", "Riz « bio »", "--price", "2.10",
          "--vat-rate", "5.5"])  # fmt: skip
    main(["archive-product", *shop, "--product", other])
    capsys.readouterr()
    assert escarcelle.stock()[product] == Decimal("11.750")
    assert escarcelle.sequence() == sequence + 3
    served = {p["id"]: p for p in escarcelle.products()}
    assert (served[product]["name"], served[product]["price"]) == ("Riz « bio »", "2.10")
    assert served[other]["active"] is False

    bad_quantity = ["sell", *shop, "--product", product, "--quantity", "beaucoup"]
    bad_price = ["edit-product", *shop, "--product", product, "--price", "deux euros"]
    for bad in (bad_quantity, bad_price):
        with pytest.raises(SystemExit) as refused:
            main(bad)
        assert refused.value.code != 0
    assert escarcelle.sequence() == sequence + 3 and escarcelle.products()[0]["price"] == "2.10"


def test_the_admin_api_keeps_what_it_stores_within_the_contract(escarcelle):
    escarcelle.seed(products=1, beneficiaries=1)
    product, beneficiary = escarcelle.products()[0]["id"], escarcelle.beneficiaries()[0]["id"]
    with escarcelle.server.admin() as admin:
        item = f"/accounts/{escarcelle.account_id}/products/{product}"
        person = f"/accounts/{escarcelle.account_id}/beneficiaries/{beneficiary}"
        refused = [
            admin.patch(item, json={"vat_rate": "abc"}),
            admin.patch(item, json={"name": None}),
            admin.patch(person, json={"access_valid_until": "bientôt"}),
            admin.patch(person, json={"phone": None}),
        ]
        cleared = admin.patch(person, json={"email": None})
    assert [r.status_code for r in refused] == [422] * 4
    assert cleared.status_code == 200 and cleared.json()["email"] is None
    with escarcelle.client() as client:
        assert client.get(f"/products/{product}").json()["vat_rate"] != "abc"
