"""A read-only HTML page per account, for people watching the demo. Everything is escaped."""

from __future__ import annotations

import json
import sqlite3
from html import escape
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from . import webhooks
from .accounts import account_get, account_list
from .db import Database, internal_id, milli_to_str, public_id

router = APIRouter(prefix="/ui")
MAX_ROWS = 1000

STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;margin-bottom:2rem}td,th{border:1px solid #ccc;padding:.25rem .5rem}
td.n{text-align:right}.off{color:#999}
"""


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        f'<!doctype html><html lang="fr"><head><meta charset="utf-8">'
        f'<meta http-equiv="refresh" content="5"><title>{escape(title)}</title>'
        f"<style>{STYLE}</style></head><body>{body}</body></html>"
    )


@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> HTMLResponse:
    db: Database = request.app.state.db
    items = "".join(
        f'<li><a href="/ui/accounts/{escape(a["id"])}">{escape(a["name"])}</a></li>'
        for a in account_list(db)[:MAX_ROWS]
    )
    return _page("Escarcelle (émulateur)", f"<h1>Escarcelle (émulateur)</h1><ul>{items}</ul>")


def _product_names(
    conn: sqlite3.Connection, account: int, sales: list[dict[str, Any]]
) -> dict[str, str]:
    """Names of the products in these sales, so that a watcher reads "Riz × 2", not an id."""
    wanted = {internal_id("product", line["product_id"]) for s in sales for line in s["lines"]}
    wanted.discard(None)
    marks = ",".join("?" * len(wanted))
    rows = conn.execute(
        f"SELECT id, name FROM products WHERE account_id = ? AND id IN ({marks})",  # noqa: S608
        [account, *wanted],
    )
    return {public_id("product", r["id"]): r["name"] for r in rows}


@router.get("/accounts/{account_id}", response_class=HTMLResponse)
def account_page(request: Request, account_id: str) -> HTMLResponse:
    db: Database = request.app.state.db
    conn = db.conn()
    account = account_get(conn, account_id)
    if account is None:
        return HTMLResponse("<p>Compte inconnu.</p>", status_code=404)
    products = conn.execute(
        "SELECT * FROM products WHERE account_id = ? ORDER BY id LIMIT ?", (account["id"], MAX_ROWS)
    ).fetchall()
    sales = conn.execute(
        "SELECT body FROM sales WHERE account_id = ? ORDER BY id DESC LIMIT 200", (account["id"],)
    ).fetchall()
    rows = "".join(
        f'<tr class="{"" if p["active"] else "off"}"><td>{escape(public_id("product", p["id"]))}'
        f"</td><td>{escape(p['name'])}</td><td>{escape(p['unit'])}</td>"
        f'<td class="n">{escape(p["price"])} €</td>'
        f'<td class="n">{escape(milli_to_str(p["quantity_milli"]))}</td>'
        f"<td>{'actif' if p['active'] else 'archivé'}</td></tr>"
        for p in products
    )
    bodies = [json.loads(row["body"]) for row in sales]
    names = _product_names(conn, account["id"], bodies)
    sale_rows = []
    for sale in bodies:
        lines = ", ".join(
            f"{escape(names.get(line['product_id'], line['product_id']))} × "
            f"{escape(line['quantity'])}"
            for line in sale["lines"]
        )
        sale_rows.append(
            f"<tr><td>{escape(sale['id'])}</td><td>{escape(sale['external_ref'])}</td>"
            f"<td>{escape(sale['date'])}</td><td>{escape(sale['beneficiary_id'] or '')}</td>"
            f'<td class="n">{sale["sequence"]}</td><td>{lines}</td></tr>'
        )
    body = (
        f"<h1>{escape(account['name'])}</h1>"
        f"<p>Compte {escape(account_id)} — séquence du registre de stock : {account['seq']}</p>"
        "<h2>Ventes reçues (les plus récentes d'abord)</h2><table><tr><th>Id</th>"
        "<th>Référence</th><th>Date</th><th>Bénéficiaire</th><th>Séquence</th><th>Lignes</th></tr>"
        + ("".join(sale_rows) or '<tr><td colspan="6">Aucune vente.</td></tr>')
        + "</table>"
        + _webhooks_section(db, account["id"])
        + "<h2>Produits et stock</h2><table><tr><th>Id</th><th>Nom</th><th>Unité</th>"
        "<th>Prix TTC</th><th>Stock</th><th>État</th></tr>" + rows + "</table>"
    )
    return _page(account["name"], body)


def _webhooks_section(db: Database, account: int) -> str:
    """The account's webhooks and their latest delivery attempts (failures included)."""
    hooks = webhooks.webhook_list(db, account=account)["data"]
    hook_rows = "".join(
        f"<tr><td>{escape(h['id'])}</td><td>{escape(h['url'])}</td>"
        f"<td>{escape(', '.join(h['events']))}</td></tr>"
        for h in hooks
    )
    attempt_rows = "".join(
        f"<tr><td>{escape(a['at'])}</td><td>{escape(a['url'])}</td>"
        f'<td class="n">{a["seq"]}</td><td class="n">{a["attempt"]}</td>'
        f"<td>{escape(str(a['status'] or ''))}</td><td>{escape(a['outcome'])}</td>"
        f"<td>{escape(a['error'] or '')}</td></tr>"
        for a in webhooks.attempts_recent(db, account=account)
    )
    return (
        "<h2>Webhooks</h2><table><tr><th>Id</th><th>URL</th><th>Événements</th></tr>"
        + (hook_rows or '<tr><td colspan="3">Aucun webhook.</td></tr>')
        + "</table><h2>Livraisons des webhooks (les plus récentes d'abord)</h2><table><tr>"
        "<th>Quand</th><th>URL</th><th>Séquence</th><th>Essai</th><th>Statut</th>"
        "<th>Résultat</th><th>Erreur</th></tr>"
        + (attempt_rows or '<tr><td colspan="7">Aucune livraison.</td></tr>')
        + "</table>"
    )
