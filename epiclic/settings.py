"""Settings, read from environment variables with working defaults (see docs/operations.md)."""

from __future__ import annotations

import math
import os
import secrets
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from epiclic.numbers import parse_decimal

BASE_DIR = Path(__file__).resolve().parent.parent

# Every setting is read through one of these helpers. An empty variable counts as unset; a
# malformed one stops the start with ImproperlyConfigured naming it, never a silent default.
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _env(name: str, default: str) -> str:
    return os.environ.get(name, "").strip() or default


def _refuse(name: str, value: str, expected: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(
        f"The environment variable {name}={value!r} is invalid: {expected}."
    )


def envstr(name: str, default: str, *, choices: Sequence[str] = ()) -> str:
    value = _env(name, default)
    if choices and value not in choices:
        raise _refuse(name, value, f"expected one of {', '.join(choices)}")
    return value


def envbool(name: str, default: str) -> bool:
    value = _env(name, default).lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    words = ", ".join(TRUE_WORDS + FALSE_WORDS)
    raise _refuse(name, value, f"expected a boolean: one of {words}")


def envint(name: str, default: str, *, minimum: int | None = None) -> int:
    value = _env(name, default)
    try:
        number = int(value)
    except ValueError:
        raise _refuse(name, value, "expected a whole number") from None
    if minimum is not None and number < minimum:
        raise _refuse(name, value, f"expected a whole number of at least {minimum}")
    return number


def envfloat(name: str, default: str, *, minimum: float | None = None) -> float:
    value = _env(name, default)
    try:
        number = float(value)
    except ValueError:
        raise _refuse(name, value, "expected a number such as 2.5") from None
    if not math.isfinite(number):
        raise _refuse(name, value, "expected a finite number such as 2.5")
    if minimum is not None and number < minimum:
        raise _refuse(name, value, f"expected a number of at least {minimum}")
    return number


def envdecimal(name: str, default: str, *, minimum: Decimal | None = None) -> Decimal:
    """A quantity (never a float): read by the one decimal parser, ``3`` or ``2,5``."""
    value = _env(name, default)
    try:
        number = parse_decimal(value)
    except ValueError:
        raise _refuse(name, value, "expected a decimal number such as 3 or 2.5") from None
    if minimum is not None and number < minimum:
        raise _refuse(name, value, f"expected a decimal number of at least {minimum}")
    return number


def envlist(name: str, default: str) -> list[str]:
    """A comma-separated list; blanks around items and empty items are dropped."""
    return [item.strip() for item in _env(name, default).split(",") if item.strip()]


def envurl(name: str, default: str) -> str:
    """An absolute http(s) URL such as ``https://epicerie.example.org``."""
    value = _env(name, default)
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise _refuse(name, value, "expected an absolute http:// or https:// URL")
    return value


def envdatabase(name: str, default: str, *, conn_max_age: int) -> dict[str, Any]:
    value = _env(name, default)
    try:
        return dict(dj_database_url.parse(value, conn_max_age=conn_max_age))
    except ValueError as error:  # its message names the scheme only, never the password
        raise ImproperlyConfigured(
            f"The environment variable {name} is invalid: expected a database URL such as "
            f"postgres://user:password@host:5432/epiclic ({error})"
        ) from None


VAR_DIR = Path(envstr("EPICLIC_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _development_secret_key() -> str:
    """A stable key for development, generated once under var/ and never committed."""
    path = VAR_DIR / "secret_key.txt"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = envstr("SECRET_KEY", "") or _development_secret_key()
# Old secret keys, still accepted to read signed data and encrypted API keys while rotating.
SECRET_KEY_FALLBACKS = envlist("SECRET_KEY_FALLBACKS", "")
DEBUG = envbool("DEBUG", "false")
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")
# The port `make run` serves on; links in e-mails follow it unless SITE_URL says otherwise.
EPICLIC_PORT = envint("EPICLIC_PORT", "8000", minimum=1)
SITE_URL = envurl("SITE_URL", f"http://127.0.0.1:{EPICLIC_PORT}")
# Who gets the error e-mails (500s): comma-separated addresses; and the address they come from.
ADMINS = [(address, address) for address in envlist("ADMINS", "")]
SERVER_EMAIL = envstr("SERVER_EMAIL", "Epiclic <root@epiclic.localhost>")

# Behind an HTTPS proxy (docs/operations.md, "Running in production"). Off by default so that
# the development server on http://127.0.0.1 keeps working.
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "false")
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", "0", minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", "false")
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "false")
# The proxy sets X-Forwarded-Proto; only trust it when a proxy really strips the client's own.
if envbool("SECURE_PROXY_SSL", "false"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp): scripts only from our own static files (htmx and
# static/epiclic.js; no inline script, no event-handler attribute). Inline styles stay allowed:
# the templates and htmx's indicator use them, and a style cannot run code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "huey.contrib.djhuey",
    "epiclic",
    "shops",
    "imports",
    "catalog",
    "distributions",
    "reports",
    "notifications",
    "escarcelle",
    "escarcelle.stock",
    "escarcelle.sales",
    "operators",
]

MIDDLEWARE = [
    "epiclic.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "epiclic.limits.RequestSizeMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages compressed (brotli or gzip) after every other middleware wrote them; static files
    # never reach it (whitenoise above serves them already compressed).
    "epiclic.compression.CompressionMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "distributions.cart.CartCookieMiddleware",
    "epiclic.busy.BusyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "epiclic.urls"
WSGI_APPLICATION = "epiclic.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "shops.context_processors.shop",
            ],
        },
    }
]

# Connections are kept (60 s) and checked before reuse: opening a PostgreSQL connection per
# request cost ~20 ms of CPU (a backend process and its caches) against ~4 ms for the
# request's queries (docs/operations.md, "Sizing the web server"); 0 opens one per request.
DATABASES = {
    "default": envdatabase(
        "DATABASE_URL",
        f"sqlite:///{VAR_DIR / 'epiclic.sqlite3'}",
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", "60", minimum=0),
    )
}
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + IMMEDIATE transactions: writers queue instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Argon2id tuned in epiclic/hashers.py (its docstring says why); older hashes upgraded at sign-in.
PASSWORD_HASHERS = [
    "epiclic.hashers.EpiclicArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(envstr("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Compressed, content-hashed names after collectstatic (`make run` runs it).
    "staticfiles": {"BACKEND": "epiclic.static.StaticStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
# Files browsers ask for at the site's root (/favicon.ico), served by whitenoise as they are.
WHITENOISE_ROOT = BASE_DIR / "epiclic" / "public"
DATA_UPLOAD_MAX_MEMORY_SIZE = 25 * 1024 * 1024
# A request body above this is refused (413) from its headers, before it is received
# (epiclic/limits.py); the largest legitimate ones are a photo (8 Mo) and a CSV import (5 Mo).
MAX_REQUEST_BYTES = envint("MAX_REQUEST_BYTES", str(10 * 1024 * 1024), minimum=1024 * 1024)

EMAIL_BACKEND = envstr("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = envstr("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", "25", minimum=1)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", "false")
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "Epiclic <noreply@epiclic.localhost>")

SESSION_COOKIE_HTTPONLY = True
# "Rester connecté" keeps a sign-in this many days; otherwise it lasts the browser session.
SESSION_REMEMBER_DAYS = envint("SESSION_REMEMBER_DAYS", "60", minimum=1)
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", "false")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# Task queue: huey on SQLite under var/ by default, on Redis when REDIS_URL is set.
REDIS_URL = envstr("REDIS_URL", "")
HUEY = {
    "name": envstr("HUEY_NAME", "epiclic"),
    "immediate": envbool("HUEY_IMMEDIATE", "false"),
    "utc": True,
    "consumer": {"workers": envint("HUEY_WORKERS", "2", minimum=1), "worker_type": "thread"},
}
if REDIS_URL:
    HUEY.update({"huey_class": "huey.RedisHuey", "url": REDIS_URL})
else:
    HUEY.update({"huey_class": "huey.SqliteHuey", "filename": str(VAR_DIR / "huey.sqlite3")})

# The cache (throttling, the ordering page's product list): shared on Redis when REDIS_URL is
# set; otherwise each process keeps its own in memory.
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }

# Throttling (epiclic/throttle.py): failed sign-ins per account and per client address within a
# window, and password-reset e-mails per address and per client within an hour.
SIGNIN_FAILURES_PER_ACCOUNT = envint("SIGNIN_FAILURES_PER_ACCOUNT", "10", minimum=1)
SIGNIN_FAILURES_PER_ADDRESS = envint("SIGNIN_FAILURES_PER_ADDRESS", "50", minimum=1)
SIGNIN_WINDOW_SECONDS = envint("SIGNIN_WINDOW_SECONDS", "900", minimum=1)
PASSWORD_RESET_PER_EMAIL = envint("PASSWORD_RESET_PER_EMAIL", "3", minimum=1)
PASSWORD_RESET_PER_CLIENT = envint("PASSWORD_RESET_PER_CLIENT", "10", minimum=1)

# Escarcelle: the base URL comes from settings, never from a form (the emulator by default).
ESCARCELLE_SIM_PORT = envint("ESCARCELLE_SIM_PORT", "8100", minimum=1)
ESCARCELLE_BASE_URL = envurl("ESCARCELLE_BASE_URL", f"http://127.0.0.1:{ESCARCELLE_SIM_PORT}")
# Prefix of the sales' references and idempotency keys: give each installation that shares an
# Escarcelle account its own (e.g. "epiclic-staging"). Never change it on a running install.
ESCARCELLE_INSTANCE_PREFIX = envstr("ESCARCELLE_INSTANCE_PREFIX", "epiclic")
ESCARCELLE_CONNECT_TIMEOUT = envfloat("ESCARCELLE_CONNECT_TIMEOUT", "5", minimum=0.1)
ESCARCELLE_READ_TIMEOUT = envfloat("ESCARCELLE_READ_TIMEOUT", "20", minimum=0.1)
# How many times the sales push retries one call that failed in a way worth retrying.
ESCARCELLE_SALES_CALL_RETRIES = envint("ESCARCELLE_SALES_CALL_RETRIES", "2", minimum=0)
# The Stocks page flags a product as low when its stock is at or below this quantity.
STOCK_LOW_THRESHOLD = envdecimal("STOCK_LOW_THRESHOLD", "3", minimum=Decimal("0"))
# The ordering page's poll reads a grocery's remote stock live at most once in this many seconds.
STOCK_LIVE_READ_EVERY_S = envint("STOCK_LIVE_READ_EVERY_S", "10", minimum=1)

# Prometheus metrics (/metrics): answered only with "Authorization: Bearer <METRICS_TOKEN>";
# without a token configured the endpoint does not exist (404).
METRICS_TOKEN = envstr("METRICS_TOKEN", "")

# LOG_FORMAT=json: one JSON object per line, with the shop's slug on lines that concern one.
LOG_FORMAT = envstr("LOG_FORMAT", "plain", choices=("plain", "json"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "shop": {"()": "epiclic.logs.ShopFilter"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "epiclic.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["shop"]},
        "mail_admins": {
            "class": "django.utils.log.AdminEmailHandler",
            "level": "ERROR",
            "filters": ["require_debug_false"],
        },
    },
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO", choices=LOG_LEVELS)},
    "loggers": {
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        # Configured here, so run_huey adds no handler of its own (each line printed once).
        "huey": {"handlers": ["console"], "propagate": False},
        "django.request": {"handlers": ["mail_admins"], "level": "ERROR"},
    },
}
