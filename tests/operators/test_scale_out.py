"""The scale-out recipe of docs/operations.md, as far as one machine allows: two web processes
(gunicorn) and two huey workers against one PostgreSQL and one Redis. A manager signed in on
one web process validates a distribution through the other; a worker sends the sale to the
emulator."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from escarcelle.sales.models import SaleOutbox, SaleStatus
from tests.factories import (
    bind_products,
    connect,
    make_beneficiary,
    make_distribution,
    make_order,
)
from tests.servers import free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/11")


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def cluster(tmp_path, escarcelle) -> Iterator[list[str]]:
    """Two web processes and two workers; yields the two web base URLs."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "TEST_"))},
        "DJANGO_SETTINGS_MODULE": "epiclic.settings",
        "EPICLIC_VAR_DIR": str(tmp_path),
        "DATABASE_URL": _database_url(),
        "REDIS_URL": REDIS_URL,
        "HUEY_NAME": f"epiclic-scale-out-{os.getpid()}",
        "HUEY_IMMEDIATE": "false",
        "SECRET_KEY": settings.SECRET_KEY,
        "ESCARCELLE_BASE_URL": escarcelle.base_url,
        "LOG_LEVEL": "WARNING",
        "WEB_WORKERS": "1",
    }
    ports = [free_port(), free_port()]
    processes = [
        subprocess.Popen(
            [str(BIN / "gunicorn"), "epiclic.wsgi", "-c", "epiclic/gunicorn.conf.py"],
            cwd=ROOT,
            env={**env, "EPICLIC_PORT": str(port)},
        )
        for port in ports
    ]
    for extra in ([], ["--no-periodic"]):
        processes.append(
            subprocess.Popen(
                [sys.executable, "manage.py", "run_huey", "--workers", "1", *extra],
                cwd=ROOT,
                env=env,
            )
        )
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for url in urls:

            def up(url: str = url) -> bool:
                try:
                    return httpx.get(f"{url}/sante/", timeout=1).status_code == 200
                except httpx.TransportError:
                    return False

            wait_for(up, timeout=30, what=f"{url} to answer")
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.mark.slow
@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_a_sale_goes_from_validation_to_escarcelle_through_two_webs_and_two_workers(
    cluster, escarcelle, shop, manager
):
    escarcelle.seed(products=3, beneficiaries=1)
    connect(shop=shop, account=escarcelle, user=manager)
    (product,) = bind_products(shop=shop, account=escarcelle, count=1)
    member = make_beneficiary(shop=shop).membership
    distribution = make_distribution(shop=shop, state="closed")
    order = make_order(membership=member, distribution=distribution, lines={product: 2})

    signed_in = Client()
    signed_in.force_login(manager)  # a session row in the shared database
    cookies = {"sessionid": signed_in.cookies[settings.SESSION_COOKIE_NAME].value}
    first, second = cluster
    url = f"/{shop.slug}/distributions/{distribution.pk}/valider/"
    with httpx.Client(base_url=first, cookies=cookies) as web1:
        page = web1.get(url)
        assert page.status_code == 200
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token is not None
        cookies["csrftoken"] = web1.cookies["csrftoken"]
    with httpx.Client(base_url=second, cookies=cookies) as web2:
        response = web2.post(url, data={"csrfmiddlewaretoken": token.group(1)})
        assert response.status_code == 302, response.text[:500]

    sales = wait_for(escarcelle.sales, timeout=30, what="the sale to reach the emulator")
    assert len(sales) == 1
    assert sales[0]["external_ref"].endswith(f"-{shop.pk}-{order.pk}")
    sale = wait_for(
        lambda: SaleOutbox.objects.filter(order=order, status=SaleStatus.SENT).first(),
        timeout=15,
        what="the outbox row to be marked sent",
    )
    assert sale.escarcelle_sale_id
