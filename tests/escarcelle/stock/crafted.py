"""A tiny loopback server that answers scripted pages, for input the emulator never sends."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

# path -> function(query) -> (status, body, delay in seconds)
Script = dict[str, Callable[[dict[str, str]], tuple[int, object, float]]]


class CraftedEscarcelle:
    def __init__(self) -> None:
        self.script: Script = {
            "/api/v1/account": lambda q: (200, {"id": "acc_1", "name": "Épicerie factice"}, 0),
            "/api/v1/products": lambda q: (200, {"data": [], "next_cursor": None}, 0),
        }
        self.requests: list[str] = []
        handler = self._handler()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        crafted = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                url = urlparse(self.path)
                crafted.requests.append(self.path)
                query = {k: v[-1] for k, v in parse_qs(url.query).items()}
                answer = crafted.script.get(url.path)
                status, body, delay = answer(query) if answer else (404, {"code": "not_found"}, 0)
                raw = json.dumps(body).encode()
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    def stock(self, rows: list[tuple[str, str, int]], sequence: int, page: int = 2) -> None:
        """Serve a snapshot in pages of ``page`` rows."""

        def answer(query: dict[str, str]) -> tuple[int, object, float]:
            start = int(query.get("cursor", "0"))
            data = [
                {"product_id": p, "quantity": q, "sequence": s}
                for p, q, s in rows[start : start + page]
            ]
            more = start + page < len(rows)
            return (
                200,
                {
                    "data": data,
                    "next_cursor": str(start + page) if more else None,
                    "sequence": sequence,
                },
                0,
            )

        self.script["/api/v1/stock"] = answer

    def changes(self, rows: list[tuple[str, str, int]], sequence: int) -> None:
        data = [
            {"product_id": p, "quantity": q, "delta": "0", "sequence": s, "reason": "in_shop_sale"}
            for p, q, s in rows
        ]
        self.script["/api/v1/stock/changes"] = lambda q: (
            200,
            {"data": data, "next_cursor": None, "sequence": sequence},
            0,
        )


def crafted_server() -> Iterator[CraftedEscarcelle]:
    crafted = CraftedEscarcelle()
    crafted.thread.start()
    try:
        yield crafted
    finally:
        crafted.server.shutdown()
        crafted.server.server_close()
