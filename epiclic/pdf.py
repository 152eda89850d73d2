"""HTML pages turned into PDF files (WeasyPrint).

The printable pages carry their stylesheet inline, so nothing is fetched while rendering:
the URL fetcher refuses every address (no request to the network or the disk from a PDF).
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.http import HttpResponse
from weasyprint import HTML


def _refuse(url: str, *args: Any, **kwargs: Any) -> NoReturn:
    raise ValueError(f"PDF rendering fetches nothing: {url[:80]}")


def pdf_bytes(html: str) -> bytes:
    document: bytes = HTML(string=html, url_fetcher=_refuse).write_pdf()
    return document


def pdf_response(html: str, filename: str) -> HttpResponse:
    response = HttpResponse(pdf_bytes(html), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
