"""Tell 2,000 beneficiaries that orders are open, through a real SMTP server on loopback.

Django on a fresh SQLite database under var/bench/ (or the database an earlier bench of the
same run already set up), an ``aiosmtpd`` server started here in a subprocess. Figure:
notify_orders_open_2000_s, from the orders-open fan-out (the sent-log and its 2,000 e-mails
written in one transaction) to the 2,000th e-mail received by the SMTP server. For information:
notify_orders_open_2000_fanout_s (the transaction alone), notify_orders_open_2000_queries (its
SQL queries: the rows go in batches of 100) and notify_orders_open_2000_cpu_s (this process's
CPU time, fan-out and sending; on a loaded machine the wall-clock figures are worse).
"""

from __future__ import annotations

import datetime
import os
import shutil
import socket
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench" / "notify"
PEOPLE = 2000
TIMEOUT_S = 300


# The SMTP server is another program, as in production: run in a subprocess, it does not
# share this process's interpreter lock. It writes the wall-clock time of the last e-mail.
SMTP_SERVER = """
import sys, time, threading
from aiosmtpd.controller import Controller
port, expected, marker = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
class Handler:
    received = 0
    async def handle_DATA(self, server, session, envelope):
        Handler.received += 1
        if Handler.received == expected:
            with open(marker, "w") as out:
                out.write(repr(time.time()))
        return "250 OK"
controller = Controller(Handler(), hostname="127.0.0.1", port=port)
controller.start()
print("ready", flush=True)
threading.Event().wait()
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _setup_django() -> None:
    from django.conf import settings

    if not settings.configured:
        shutil.rmtree(WORK, ignore_errors=True)
        WORK.mkdir(parents=True)
        os.environ["DJANGO_SETTINGS_MODULE"] = "epiclic.settings"
        os.environ.setdefault("EPICLIC_VAR_DIR", str(WORK))
        os.environ.setdefault("DATABASE_URL", f"sqlite:///{WORK / 'epiclic.sqlite3'}")
        os.environ.setdefault("HUEY_IMMEDIATE", "true")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _scene():
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from distributions.models import Distribution
    from shops.models import BeneficiaryProfile, Membership, Role, Shop

    shop = Shop.objects.create(
        name="Banc d'essai (notifications)", slug=f"banc-notif-{os.getpid()}"
    )
    now = timezone.now()
    distribution = Distribution.objects.create(
        shop=shop,
        starts_at=now + datetime.timedelta(days=3),
        orders_open_at=now,
        orders_close_at=now + datetime.timedelta(days=2),
        place="Salle des fêtes",
    )
    User = get_user_model()
    prefix = f"notif-{shop.pk}-"
    User.objects.bulk_create(
        [
            User(
                username=f"{prefix}{n}@example.org",
                email=f"{prefix}{n}@example.org",
                first_name=f"Prénom{n}",
                last_name="Nom",
            )
            for n in range(PEOPLE)
        ],
        batch_size=500,
    )
    users = list(User.objects.filter(username__startswith=prefix).order_by("pk"))
    Membership.objects.bulk_create(
        [Membership(shop=shop, user=u, role=Role.BENEFICIARY) for u in users], batch_size=500
    )
    BeneficiaryProfile.objects.bulk_create(
        [
            BeneficiaryProfile(shop=shop, membership=m, participation_rate=Decimal("30"))
            for m in Membership.objects.filter(shop=shop).order_by("pk")
        ],
        batch_size=500,
    )
    return distribution


def run() -> dict[str, float | int]:
    _setup_django()
    from django.conf import settings
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from huey.contrib.djhuey import HUEY

    from notifications.models import Notification
    from notifications.services import orders_open_notify

    port = _free_port()
    marker = WORK / "smtp-last-received"
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.unlink(missing_ok=True)
    server = subprocess.Popen(
        [sys.executable, "-c", SMTP_SERVER, str(port), str(PEOPLE), str(marker)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None and server.stdout.readline().strip() == "ready"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS, settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = False, "", ""
    HUEY.immediate = True  # the worker's batches run as soon as the fan-out commits
    try:
        distribution = _scene()
        cpu = time.process_time()
        started, wall = time.perf_counter(), time.time()
        with transaction.atomic():
            with CaptureQueriesContext(connection) as queries:
                written = orders_open_notify(distribution=distribution)
            fanout_s = time.perf_counter() - started
        cpu_s = time.process_time() - cpu
        deadline = time.perf_counter() + TIMEOUT_S
        while not marker.exists() or not marker.read_text():
            assert time.perf_counter() < deadline, "the SMTP server did not get every e-mail"
            time.sleep(0.05)
        total_s = float(marker.read_text()) - wall
        assert written == PEOPLE == Notification.objects.filter(distribution=distribution).count()
        # Nothing more on a second run: the sent-log holds everyone.
        assert orders_open_notify(distribution=distribution) == 0
        print(f"    ({PEOPLE} e-mails received by the SMTP server)")
    finally:
        server.kill()
        server.wait()
    fanout_queries = len(queries.captured_queries)
    return {
        "notify_orders_open_2000_s": round(total_s, 3),
        "notify_orders_open_2000_fanout_s": round(fanout_s, 3),
        "notify_orders_open_2000_cpu_s": round(cpu_s, 3),
        "notify_orders_open_2000_queries": fanout_queries,
    }
