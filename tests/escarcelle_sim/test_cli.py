"""The `escarcelle-sim` commands that write straight into the database of a running server."""

from __future__ import annotations

import sqlite3

import httpx

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
