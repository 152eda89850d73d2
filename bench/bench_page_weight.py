"""The ordering page on a cheap phone over a slow line: bytes transferred and first paint.

Starts the production server as ``make run`` does — gunicorn (epiclic/gunicorn.conf.py), DEBUG
off, ``collectstatic`` done (hashed names, gzip/brotli files, a year-long cache) — on a fresh
SQLite database seeded by ``bench.rush_scene`` (87 products in 5 categories, an open
distribution, beneficiaries paying 30 %). Debian's Chromium, driven by Playwright, signs one
beneficiary in, then opens the ordering page with Chromium's own emulation through the
DevTools protocol: ``Network.emulateNetworkConditions`` (1.6 Mbit/s down, 0.75 Mbit/s up,
150 ms round trip) and ``Emulation.setCPUThrottlingRate`` 4.

Figures: ``order_page_first_load_kb`` (every response of the first visit, browser cache
emptied, as received: ``Network.loadingFinished`` encodedDataLength, headers included),
``order_page_revisit_kb`` (the next visit to the same page, cache warm), ``order_page_fcp_ms``
(first-contentful-paint of the first visit, ``performance.getEntriesByType('paint')``), and
``order_page_requests_first_load``. The page's poll (every 5 s) is left out: it starts after.
The machine is shared: the paint time moves with its load (the byte counts do not).
"""

from __future__ import annotations

import os
import shutil
import statistics
from pathlib import Path
from typing import Any

from bench.bench_rush import _env, _free_port, _scene, _start_web, _stop

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench" / "page_weight"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
PASSWORD = "une-ruee-de-beneficiaires"
SLUG = "ruee"
DOWN_BPS = 1.6e6 / 8  # bytes per second
UP_BPS = 0.75e6 / 8
RTT_MS = 150
CPU_SLOWDOWN = 4
FCP_RUNS = 5


class Transfers:
    """Bytes received per request, from the DevTools protocol's network events."""

    def __init__(self, cdp: Any) -> None:
        self.urls: dict[str, str] = {}
        self.received: dict[str, int] = {}
        self.headers: dict[str, dict[str, str]] = {}
        self.html_bytes = 0
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.responseReceived", self._answered)
        cdp.on("Network.loadingFinished", self._finished)

    def _sent(self, event: dict) -> None:
        self.urls[event["requestId"]] = event["request"]["url"]

    def _answered(self, event: dict) -> None:
        headers = {k.lower(): v for k, v in event["response"]["headers"].items()}
        self.headers[event["response"]["url"]] = headers

    def _finished(self, event: dict) -> None:
        self.received[event["requestId"]] = int(event["encodedDataLength"])

    def reset(self) -> None:
        self.urls.clear()
        self.received.clear()

    def counted(self) -> dict[str, int]:
        """What the page itself loaded: not the poll, which starts 5 s later."""
        return {
            self.urls.get(rid, rid): size
            for rid, size in self.received.items()
            if "/disponible/" not in self.urls.get(rid, "")
        }


def _visit(page: Any, url: str, transfers: Transfers) -> tuple[dict[str, int], float]:
    transfers.reset()
    page.goto(url, wait_until="load")
    rows = page.locator("td.qty input[name^='quantity']").count()
    assert rows == 87, f"the ordering page shows {rows} products, not 87: {page.url}"
    page.wait_for_timeout(1500)  # the favicon, asked for after the load event
    fcp = page.evaluate(
        "() => (performance.getEntriesByType('paint')"
        ".find(e => e.name === 'first-contentful-paint') || {}).startTime || -1"
    )
    transfers.html_bytes = page.evaluate(
        "() => performance.getEntriesByType('navigation')[0].decodedBodySize"
    )
    return transfers.counted(), float(fcp)


def _measure(base: str, distribution: int) -> dict[str, float | int]:
    from playwright.sync_api import sync_playwright

    url = f"{base}/{SLUG}/commander/{distribution}/"
    html_kb = 0.0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"],
        )
        try:
            context = browser.new_context(
                locale="fr-FR", viewport={"width": 390, "height": 844}, device_scale_factor=1
            )
            page = context.new_page()
            page.set_default_timeout(60_000)
            page.goto(f"{base}/compte/connexion/")
            page.get_by_label("E-mail").fill("b0@ruee.example")
            page.get_by_label("Mot de passe").fill(PASSWORD)
            page.get_by_role("button", name="Se connecter").click()
            page.wait_for_load_state("load")
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            transfers = Transfers(cdp)
            cdp.send(
                "Network.emulateNetworkConditions",
                {
                    "offline": False,
                    "latency": RTT_MS,
                    "downloadThroughput": DOWN_BPS,
                    "uploadThroughput": UP_BPS,
                },
            )
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
            paints: list[float] = []
            first: dict[str, int] = {}
            revisit: dict[str, int] = {}
            for run in range(FCP_RUNS):
                cdp.send("Network.clearBrowserCache")
                loaded, fcp = _visit(page, url, transfers)
                paints.append(fcp)
                if run == 0:
                    first = loaded
                    html_kb = round(transfers.html_bytes / 1024, 1)
                    revisit, _fcp = _visit(page, url, transfers)
        finally:
            browser.close()
    print(f"    first-contentful-paint of each cold visit: {paints} ms")
    for name, loaded in (("first", first), ("revisit", revisit)):
        print(f"    {name} visit:")
        for address, size in sorted(loaded.items(), key=lambda item: -item[1]):
            if address.startswith("data:"):
                continue
            headers = transfers.headers.get(address, {})
            how = f"{headers.get('content-encoding', '-')}; {headers.get('cache-control', '-')}"
            print(f"      {size / 1024:7.1f} KB  {address.replace(base, '')}  ({how})")
    return {
        "order_page_first_load_kb": round(sum(first.values()) / 1024, 1),
        "order_page_requests_first_load": len(first),
        "order_page_revisit_kb": round(sum(revisit.values()) / 1024, 1),
        "order_page_fcp_ms": round(statistics.median(paints)),
        # The page's HTML before compression (the bytes the browser parses).
        "order_page_html_raw_kb": html_kb,
    }


def run() -> dict[str, float | int]:
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    env = _env(WORK, f"sqlite:///{WORK / 'epiclic.sqlite3'}")
    env["DEBUG"] = "false"
    scene = _scene(env, WORK)["scene"]  # migrate, collectstatic, 87 products
    port = _free_port()
    web = _start_web({**env, "WEB_WORKERS": "2", "WEB_THREADS": "4"}, port)
    try:
        figures = _measure(f"http://127.0.0.1:{port}", scene["distribution"])
    finally:
        _stop(web)
    figures["page_weight_load_average_1min"] = round(os.getloadavg()[0], 2)
    return figures
