"""Production serving: gunicorn with whitenoise's hashed, compressed static files; the deploy
checks with the documented production variables; JSON log lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.servers import answers, free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent

# The production variables of docs/operations.md ("Running in production").
PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    "ALLOWED_HOSTS": "epicerie.example.org",
    "SITE_URL": "https://epicerie.example.org",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_PROXY_SSL": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
    "SECURE_COOKIES": "true",
    "ADMINS": "ops@example.org",
    "SERVER_EMAIL": "epiclic@example.org",
}


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "TEST_"))}
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "epiclic.settings",
        "EPICLIC_VAR_DIR": str(tmp_path),
        **extra,
    }


def test_check_deploy_with_the_documented_production_variables_reports_nothing(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_env(tmp_path, **PRODUCTION_ENV),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_json_log_format_writes_one_json_object_per_line_with_the_shop(tmp_path):
    script = (
        "import django, logging; django.setup()\n"
        "from epiclic.logs import shop_context\n"
        "log = logging.getLogger('epiclic.test')\n"
        "log.warning('outside')\n"
        "with shop_context('epicerie-a'):\n"
        "    log.warning('inside %s', 'a shop')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=_env(tmp_path, LOG_FORMAT="json"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    assert [line["message"] for line in lines] == ["outside", "inside a shop"]
    assert "shop" not in lines[0]
    assert lines[1]["shop"] == "epicerie-a"
    assert lines[1]["level"] == "WARNING" and lines[1]["logger"] == "epiclic.test"


def test_site_url_follows_the_port_make_run_serves(tmp_path):
    script = (
        "import django; django.setup(); from django.conf import settings; print(settings.SITE_URL)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**_env(tmp_path, EPICLIC_PORT="8200"), "SITE_URL": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "http://127.0.0.1:8200"


@pytest.mark.slow
def test_gunicorn_serves_hashed_static_files_gzipped_with_a_far_future_cache(tmp_path):
    env = _env(tmp_path, DEBUG="false")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())
    hashed = manifest["paths"]["app.css"]
    assert hashed != "app.css"
    port = free_port()
    server = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "epiclic.wsgi", "-c", "epiclic/gunicorn.conf.py"],
        cwd=ROOT,
        env={**env, "EPICLIC_PORT": str(port), "WEB_WORKERS": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: answers(f"{base}/sante/", server), timeout=30, what="gunicorn")
        response = httpx.get(f"{base}/static/{hashed}", headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200
        assert response.headers["Content-Encoding"] == "gzip"
        cache = response.headers["Cache-Control"]
        assert "immutable" in cache
        assert int(cache.split("max-age=")[1].split(",")[0]) >= 365 * 24 * 3600
        page = httpx.get(f"{base}/compte/connexion/")
        assert page.status_code == 200
        assert f"/static/{hashed}" in page.text
        assert httpx.get(f"{base}/sante/").json() == {"status": "ok"}
    finally:
        server.terminate()
        server.wait(timeout=20)
