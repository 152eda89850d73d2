"""The opening of orders: 200 beneficiaries at once, on the embedded default and at scale.

Starts the real web server on loopback — gunicorn as `make run` starts it
(epiclic/gunicorn.conf.py: 3 workers × 4 threads on 2 cores, connections kept 60 s) — and the
task worker of the Procfile (it sends the order e-mails), on a fresh SQLite database with
huey's SQLite queue, then on a fresh PostgreSQL database with Redis for the queue and the cache
(RUSH_DATABASES=sqlite or pg: one of them), each seeded by ``bench.rush_scene`` (87 products,
one scarce product of 20 units, 200 beneficiaries). A bounded load generator (HTTP/1.1 by hand
on asyncio streams, see ``Person``: 200 simulated people, each request timing out after 60 s,
the whole run after RUN_LIMIT_S) has every person start together. First the sign-in storm:
everyone signs in at once (login_storm_200_{sqlite,pg}_s: until the last one is done).
Then the rush proper, everyone signed in (as with "Rester connecté") starting together: open
the ordering page, put the scarce product and two others in the cart, confirm.

Figures: rush_200_{sqlite,pg}_errors (answers ≥ 400, timeouts, refused connections),
rush_200_{sqlite,pg}_order_page_p95_s (ordering page in the rush, as the people waited for it),
rush_oversell_units (units of the scarce product sold beyond its 20, both runs), and from the
scene on SQLite, for one person alone: order_page_server_ms_p50 (Django's handler, no network),
cart_update_server_ms_p50, confirm_server_ms_p50, login_cpu_ms (one password check). Also
rush_load_average_1min (the machine's load when the runs began: the machine is shared).
Stock comes from hand-managed figures: the Escarcelle emulator plays no part in a rush.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench" / "rush"
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/test")
PG_DB = "epiclic_bench_rush"
PEOPLE = 200
SCARCE_UNITS = 20
REQUEST_TIMEOUT_S = 60.0
RUN_LIMIT_S = 180.0
PASSWORD = "une-ruee-de-beneficiaires"
SLUG = "ruee"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")
# The worker's line of the Procfile that `make run` starts.
PROCFILE_WORKER = next(
    line.split(":", 1)[1].strip()
    for line in (ROOT / "Procfile").read_text().splitlines()
    if line.startswith("worker:")
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(var_dir: Path, database_url: str, redis_url: str = "") -> dict[str, str]:
    """The servers' environment. The scene's seeding runs the tasks in its own process
    (HUEY_IMMEDIATE); the web server and the worker run as `make run` starts them: tasks (the
    order e-mails) queued for the worker process, on huey's SQLite queue, or on Redis at scale
    (``redis_url``, with the cache there too)."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(
        {
            "DATABASE_URL": database_url,
            "EPICLIC_VAR_DIR": str(var_dir),
            "HUEY_IMMEDIATE": "false",
            "HUEY_NAME": "epiclic-bench-rush",
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def _scene(env: dict[str, str], var_dir: Path, *extra: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "bench.rush_scene", str(var_dir), "seed", *extra],
        env={**env, "HUEY_IMMEDIATE": "true"}, cwd=ROOT, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip
    if out.returncode:
        raise RuntimeError(f"bench.rush_scene failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _sold(env: dict[str, str], var_dir: Path, product_id: int) -> float:
    out = subprocess.run(
        [sys.executable, "-m", "bench.rush_scene", str(var_dir), "sold", str(product_id)],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return float(json.loads(out.stdout.strip().splitlines()[-1])["sold"])


def _start_web(env: dict[str, str], port: int) -> subprocess.Popen:
    # The server as `make run` starts it (WEB_WORKERS, WEB_THREADS from the environment if set).
    server_env = {**env, "WEB_BIND": f"127.0.0.1:{port}"}
    server_env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log = (Path(env["EPICLIC_VAR_DIR"]) / "gunicorn.log").open("w")
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "epiclic.wsgi", "-c", "epiclic/gunicorn.conf.py"],
        env=server_env, cwd=ROOT, stdout=log, stderr=log,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/compte/connexion/", timeout=5).is_success:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    process.terminate()
    raise RuntimeError("gunicorn did not answer within 60 s")


def _start_worker(env: dict[str, str]) -> subprocess.Popen:
    """The task worker as the Procfile of `make run` starts it (it sends the order e-mails)."""
    command = PROCFILE_WORKER.split()
    log = (Path(env["EPICLIC_VAR_DIR"]) / "worker.log").open("w")
    return subprocess.Popen(
        [str(ROOT / part) if part.startswith(".venv/") else part for part in command],
        env=env, cwd=ROOT, stdout=log, stderr=log,
    )  # fmt: skip


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Tally:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.order_page_s: list[float] = []
        self.requests = 0
        self.signed_in = 0  # people done with the sign-in storm (signed in or not)
        self.everyone_signed_in = asyncio.Event()
        self.storm_s = 0.0
        self.started = time.perf_counter()

    def sign_in_done(self) -> None:
        self.signed_in += 1
        if self.signed_in == PEOPLE:
            self.storm_s = time.perf_counter() - self.started
            self.everyone_signed_in.set()


class Person:
    """One simulated person's browser, kept cheap so the load generator measures the server,
    not itself: HTTP/1.1 by hand on asyncio streams, cookies kept, one connection per request
    (``Connection: close``), as a reverse proxy in front would give gunicorn. httpx (one
    client per person) cost the load generator 4.3 ms of CPU per request in the rush and
    16 ms per sign-in request, on the same 2 cores as the server; this costs 1.0 and 0.8."""

    def __init__(self, host: str, port: int, tally: Tally) -> None:
        self.host, self.port, self.tally = host, port, tally
        self.cookies: dict[str, str] = {}

    async def call(
        self,
        method: str,
        path: str,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
    ) -> str | None:
        """The body of a < 400 answer (redirects are not followed), or None: an error."""
        self.tally.requests += 1
        try:
            status, body = await asyncio.wait_for(
                self._exchange(method, path, data, headers or {}), REQUEST_TIMEOUT_S
            )
        except (OSError, TimeoutError, ValueError, IndexError) as error:  # IndexError: no answer
            self.tally.errors.append(f"{method} {path}: {type(error).__name__}")
            return None
        if status >= 400:
            self.tally.errors.append(f"{method} {path}: {status}")
            return None
        return body

    async def _exchange(
        self, method: str, path: str, data: dict[str, object] | None, headers: dict[str, str]
    ) -> tuple[int, str]:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += ["Connection: close", *(f"{k}: {v}" for k, v in headers.items())]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        payload = urlencode(data or {}).encode()
        if method == "POST":
            lines += ["Content-Type: application/x-www-form-urlencoded"]
            lines += [f"Content-Length: {len(payload)}"]
        reader, writer = await asyncio.open_connection(self.host, self.port)
        try:
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload)
            raw = await reader.read()  # the server closes after its answer
        finally:
            writer.close()
        head, _sep, body = raw.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        for line in header_lines:
            name, _colon, value = line.partition(":")
            if name.lower() == "set-cookie":
                cookie, _eq, cookie_value = value.split(";", 1)[0].strip().partition("=")
                self.cookies[cookie] = cookie_value
        return int(status_line.split()[1]), body.decode("utf-8", "replace")


async def _person(n: int, base: str, scene: dict, tally: Tally) -> None:
    pk = scene["distribution"]
    page = f"/{SLUG}/commander/{pk}/"
    products = scene["products"]
    wanted = [scene["scarce"], products[1 + n % 80], products[2 + (n * 7) % 80]]
    host, port = base.removeprefix("http://").split(":")
    person = Person(host, int(port), tally)
    signed_in = None
    try:
        login = await person.call("GET", "/compte/connexion/")
        token = CSRF.search(login) if login is not None else None
        if login is not None:
            signed_in = await person.call(
                "POST",
                "/compte/connexion/",
                data={
                    "username": f"b{n}@ruee.example",
                    "password": PASSWORD,
                    "remember": "on",
                    "csrfmiddlewaretoken": token.group(1) if token else "",
                },
                headers={"Referer": base + "/compte/connexion/"},
            )
    finally:
        tally.sign_in_done()
    if signed_in is None:
        return
    # The rush proper: everyone, signed in beforehand ("Rester connecté"), starts together.
    await tally.everyone_signed_in.wait()
    started = time.perf_counter()
    order_page = await person.call("GET", page)
    if order_page is None:
        return
    tally.order_page_s.append(time.perf_counter() - started)
    token = CSRF.search(order_page)
    csrf = token.group(1) if token else ""
    headers = {"HX-Request": "true", "Referer": base + page}
    for product in wanted:
        await person.call(
            "POST",
            f"/{SLUG}/commander/{pk}/panier/",
            data={"product": product, "quantity": "1", "csrfmiddlewaretoken": csrf},
            headers=headers,
        )
    await person.call(
        "POST",
        f"/{SLUG}/commander/{pk}/confirmer/",
        data={"csrfmiddlewaretoken": csrf},
        headers={"Referer": base + page},
    )


async def _rush(base: str, scene: dict) -> Tally:
    tally = Tally()
    people = [_person(n, base, scene, tally) for n in range(PEOPLE)]
    try:
        await asyncio.wait_for(asyncio.gather(*people), timeout=RUN_LIMIT_S)
    except TimeoutError:
        tally.errors.append(f"run not finished within {RUN_LIMIT_S:.0f} s")
    return tally


def _p95(samples: list[float]) -> float:
    if len(samples) < 2:
        return float("inf")
    return round(statistics.quantiles(samples, n=20)[-1], 2)


def _run_one(name: str, env: dict[str, str], var_dir: Path, scene: dict) -> tuple[dict, float]:
    port = _free_port()
    worker = _start_worker(env)
    web = _start_web(env, port)
    try:
        tally = asyncio.run(_rush(f"http://127.0.0.1:{port}", scene))
        took = time.perf_counter() - tally.started - tally.storm_s
    finally:
        _stop(web)
        _stop(worker)
    missing = PEOPLE - len(tally.order_page_s)
    print(
        f"    {name}: {tally.requests} requests; sign-in storm {tally.storm_s:.1f} s, then the"
        f" rush {took:.1f} s; errors: {tally.errors[:5]}"
    )
    figures = {
        f"login_storm_200_{name}_s": round(tally.storm_s, 1),
        f"rush_200_{name}_errors": len(tally.errors),
        f"rush_200_{name}_order_page_p95_s": _p95(tally.order_page_s)
        if not missing
        else float("inf"),
        f"rush_200_{name}_order_page_p50_s": round(statistics.median(tally.order_page_s), 2)
        if tally.order_page_s
        else float("inf"),
        f"rush_200_{name}_duration_s": round(took, 1),
    }
    oversell = max(0.0, _sold(env, var_dir, scene["scarce"]) - SCARCE_UNITS)
    return figures, oversell


def _pg_database() -> str:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{PG_DB}"')
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{PG_DB}"


def run() -> dict[str, float | int]:
    # RUSH_DATABASES=pg (or sqlite) runs one half only, e.g. to compare server settings.
    databases = [d for d in os.environ.get("RUSH_DATABASES", "sqlite,pg").split(",") if d]
    shutil.rmtree(WORK, ignore_errors=True)
    figures: dict[str, float | int] = {"rush_load_average_1min": round(os.getloadavg()[0], 2)}
    oversell = 0.0
    if "sqlite" in databases:
        oversell += _run_sqlite(figures)
    if "pg" in databases:
        oversell += _run_pg(figures)
    figures["rush_oversell_units"] = oversell
    figures["rush_load_average_1min_after"] = round(os.getloadavg()[0], 2)
    return figures


def _run_sqlite(figures: dict[str, float | int]) -> float:
    sqlite_dir = WORK / "sqlite"
    sqlite_dir.mkdir(parents=True)
    env = _env(sqlite_dir, f"sqlite:///{sqlite_dir / 'epiclic.sqlite3'}")
    scene = _scene(env, sqlite_dir, "--hot")
    for key in (
        "order_page_server_ms_p50",
        "order_page_server_cpu_ms_p50",
        "cart_update_server_ms_p50",
        "confirm_server_ms_p50",
        "login_cpu_ms",
    ):
        figures[key] = scene[key]
    # A fresh scene for the rush (the one-person run left orders behind).
    shutil.rmtree(sqlite_dir)
    sqlite_dir.mkdir(parents=True)
    scene = _scene(env, sqlite_dir)
    found, over = _run_one("sqlite", env, sqlite_dir, scene["scene"])
    figures.update(found)
    return over


def _run_pg(figures: dict[str, float | int]) -> float:
    pg_dir = WORK / "pg"
    pg_dir.mkdir(parents=True)
    # At scale: PostgreSQL, and Redis for the task queue and the cache (emptied first).
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    env = _env(pg_dir, _pg_database(), REDIS_URL)
    scene = _scene(env, pg_dir)
    found, over = _run_one("pg", env, pg_dir, scene["scene"])
    figures.update(found)
    return over
