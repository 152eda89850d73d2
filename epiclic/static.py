"""Static files: gzip/brotli-compressed, content-hashed names (whitenoise), forgiving before
``collectstatic``.

After ``collectstatic`` (``make run`` runs it) every URL carries the file's hash, and whitenoise
serves it compressed with a far-future cache header. A file that was never collected (a
development checkout, a benchmark run without ``collectstatic``) keeps its plain name instead of
stopping the page with "Missing staticfiles manifest entry"; whitenoise's finders serve it.
"""

from __future__ import annotations

from typing import Any

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    manifest_strict = False

    def hashed_name(self, name: str, content: Any = None, filename: str | None = None) -> str:
        try:
            return super().hashed_name(name, content, filename)
        except ValueError:
            if content is not None:  # collectstatic itself: a broken reference must fail
                raise
            return name
