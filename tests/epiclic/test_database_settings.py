"""Database connections are kept between requests by default (docs/operations.md, "Sizing the
web server"): opening a PostgreSQL connection per request cost more CPU than the request."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHOW = (
    "import json, epiclic.settings as s; d = s.DATABASES['default']; "
    "print(json.dumps([d['ENGINE'], d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS']]))"
)


def _database_settings(tmp_path: Path, **env: str) -> list:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")}
    environ.update({"EPICLIC_VAR_DIR": str(tmp_path), "PYTHONPATH": str(ROOT), **env})
    out = subprocess.run(
        [sys.executable, "-c", SHOW], env=environ, cwd=ROOT, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_postgresql_connections_are_kept_and_checked_by_default(tmp_path: Path) -> None:
    url = "postgres://epiclic@db.example:5432/epiclic"
    assert _database_settings(tmp_path, DATABASE_URL=url) == [
        "django.db.backends.postgresql",
        60,
        True,
    ]


def test_the_embedded_sqlite_default_keeps_its_connections_too(tmp_path: Path) -> None:
    assert _database_settings(tmp_path) == ["django.db.backends.sqlite3", 60, True]


def test_database_conn_max_age_zero_opens_one_connection_per_request(tmp_path: Path) -> None:
    url = "postgres://epiclic@db.example:5432/epiclic"
    found = _database_settings(tmp_path, DATABASE_URL=url, DATABASE_CONN_MAX_AGE="0")
    assert found[1] == 0
