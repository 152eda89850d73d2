"""Compressed pages: brotli when the browser accepts it, gzip otherwise; text only.

Static files never get here (whitenoise answers them above, already compressed at
``collectstatic``); photos are JPEG and gain nothing. BREACH (guessing a secret from the size of
compressed pages that also reflect what an attacker sent): Django masks the CSRF token afresh in
every response, and the session cookie never appears in a body; gzip responses also get
Django's random bytes (``max_random_bytes``). See docs/operations.md, "Compression and caching".
"""

from __future__ import annotations

import re

import brotli
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.middleware.gzip import GZipMiddleware
from django.utils.cache import patch_vary_headers

COMPRESSIBLE = ("text/", "application/json", "application/xml", "image/svg+xml")
ACCEPTS_BROTLI = re.compile(r"\bbr\b")
BROTLI_QUALITY = 5  # about gzip's time, 15-20 % smaller on our pages


class CompressionMiddleware(GZipMiddleware):
    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        content_type = response.get("Content-Type", "")
        if not content_type.startswith(COMPRESSIBLE) or response.has_header("Content-Encoding"):
            return response
        accepts = request.META.get("HTTP_ACCEPT_ENCODING", "")
        if response.streaming or not ACCEPTS_BROTLI.search(accepts):
            return super().process_response(request, response)
        content: bytes = response.content  # type: ignore[attr-defined]
        if len(content) < 200:
            return response
        patch_vary_headers(response, ("Accept-Encoding",))
        compressed = brotli.compress(content, quality=BROTLI_QUALITY)
        if len(compressed) >= len(content):
            return response
        response.content = compressed  # type: ignore[attr-defined]
        response.headers["Content-Length"] = str(len(compressed))
        etag = response.get("ETag")
        if etag and etag.startswith('"'):
            response.headers["ETag"] = "W/" + etag
        response.headers["Content-Encoding"] = "br"
        return response
