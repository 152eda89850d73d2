"""Test settings: SQLite by default, PostgreSQL when TEST_DATABASE_URL is set."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import dj_database_url

from epiclic.settings import *  # noqa: F403
from epiclic.settings import DATABASES

_test_url = os.environ.get("TEST_DATABASE_URL")
if _test_url:
    DATABASES["default"] = dict(dj_database_url.parse(_test_url))
    # One test database per run, so that parallel runs on one server do not collide.
    DATABASES["default"]["TEST"] = {"NAME": f"test_epiclic_{os.getpid()}"}
else:
    # A file, not :memory:, so that threads and subprocesses of a test can share it.
    DATABASES["default"] = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.path.join(tempfile.gettempdir(), "epiclic-test.sqlite3"),
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        "TEST": {
            "NAME": os.path.join(tempfile.gettempdir(), f"epiclic-test-{os.getpid()}.sqlite3")
        },
    }

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
HUEY = {**HUEY, "immediate": True}  # noqa: F405
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="epiclic-media-"))
ESCARCELLE_CONNECT_TIMEOUT = 2.0
ESCARCELLE_READ_TIMEOUT = 3.0
