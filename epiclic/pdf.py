"""HTML pages turned into PDF files (WeasyPrint).

The printable pages carry their stylesheet inline, so nothing is fetched while rendering:
the URL fetcher refuses every address (no request to the network or the disk from a PDF).

WeasyPrint lays pages out on one core, about 0.05 s of CPU a page. A long document given in
parts (``pdf_bytes_of_parts``: the bag sheets of a large distribution, cut between two orders)
is laid out on every core at once, each part in its own process, and the parts' pages are put
together in order with pypdf. The processes are forked from a "forkserver" that imported
WeasyPrint once, never from the web worker itself: forking a process that runs threads (gunicorn
``gthread``) may copy a lock another thread holds.
"""

from __future__ import annotations

import io
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Any, NoReturn

from django.http import HttpResponse
from pypdf import PdfReader, PdfWriter
from weasyprint import HTML

MAX_PROCESSES = 4


def _refuse(url: str, *args: Any, **kwargs: Any) -> NoReturn:
    raise ValueError(f"PDF rendering fetches nothing: {url[:80]}")


def pdf_bytes(html: str) -> bytes:
    document: bytes = HTML(string=html, url_fetcher=_refuse).write_pdf()
    return document


def processes() -> int:
    """How many parts are laid out at once: the cores this process may run on (at most 4)."""
    return max(1, min(MAX_PROCESSES, len(os.sched_getaffinity(0))))


def _context() -> multiprocessing.context.BaseContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["weasyprint", "epiclic.pdf"])
    return context


def pdf_bytes_of_parts(parts: list[str]) -> bytes:
    """One PDF of the pages of every part (an HTML page each), in the order given."""
    if len(parts) == 1 or processes() == 1:
        documents = [pdf_bytes(part) for part in parts]
    else:
        with ProcessPoolExecutor(
            max_workers=min(processes(), len(parts)), mp_context=_context()
        ) as pool:
            documents = list(pool.map(pdf_bytes, parts))
    if len(documents) == 1:
        return documents[0]
    writer = PdfWriter()
    for document in documents:
        writer.append(PdfReader(io.BytesIO(document)))
    merged = io.BytesIO()
    writer.write(merged)
    return merged.getvalue()


def pdf_response(html: str | list[str], filename: str) -> HttpResponse:
    """``html``, or the parts of one document, as an inline PDF download."""
    content = pdf_bytes(html) if isinstance(html, str) else pdf_bytes_of_parts(html)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
