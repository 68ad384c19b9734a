"""Django settings for Accord: everything comes from the environment.

`ACCORD_DEMO=1` (set by `make run`) allows a generated secret key kept under `var/`;
anywhere else a missing or weak SECRET_KEY is an error.
"""

import ipaddress
import json
import secrets
from pathlib import Path

import dj_database_url
from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX,
    SECRET_KEY_MIN_LENGTH,
    SECRET_KEY_MIN_UNIQUE_CHARACTERS,
)
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from accord.env import envbool, envint, envlist, envstr

PACKAGE_DIR = Path(__file__).resolve().parent
# The checkout (or working directory of an installed copy) holds var/ and node_modules/.
HOME_DIR = Path(envstr("ACCORD_HOME") or PACKAGE_DIR.parent.parent).resolve()
VAR_DIR = HOME_DIR / "var"

DEBUG = envbool("DEBUG", False)
DEMO = envbool("ACCORD_DEMO", False)
TESTING = envbool("ACCORD_TESTING", False)


def _secret_key() -> str:
    key = envstr("SECRET_KEY")
    throwaway = DEMO or DEBUG or TESTING
    if key and not throwaway and _is_weak(key):
        # Sessions, CSRF tokens and password-reset links are only as strong as the key.
        raise ImproperlyConfigured(
            f"SECRET_KEY is too weak: use at least {SECRET_KEY_MIN_LENGTH} random characters "
            f"(e.g. `openssl rand -hex 32`), not starting with {SECRET_KEY_INSECURE_PREFIX!r}."
        )
    if key:
        return key
    if throwaway:
        # A local, throwaway installation: keep one random key so sessions survive restarts.
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path = VAR_DIR / "secret_key"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(50))
            path.chmod(0o600)
        return path.read_text().strip()
    raise ImproperlyConfigured(
        "SECRET_KEY is not set. Set it in the environment (any long random string), "
        "or set ACCORD_DEMO=1 for a local demo."
    )


def _is_weak(key: str) -> bool:
    """Django's own test of a key (security.W009), which `check --deploy` only warns about."""
    return (
        len(key) < SECRET_KEY_MIN_LENGTH
        or len(set(key)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS
        or key.startswith(SECRET_KEY_INSECURE_PREFIX)
    )


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks_db",
    "ninja",
    "accord.core",
    "accord.people",
    "accord.crm",
    "accord.imports",
    "accord.plan",
    "accord.scoreboard",
    "accord.qualify",
    "accord.sla",
    "accord.attribution",
    "accord.demo",
    "accord.webhooks",
    "accord.content",
    "accord.calculators",
    "accord.journey",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "accord.people.zones.ViewerZoneMiddleware",
    "accord.core.figures.OneReadingMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "accord.urls"
# For `make bench` alone (bench/pages.py): also serve /bench/bare/, a page that renders a
# template and reads nothing from the database, the baseline the app's pages are timed
# against. Off in production and in the tests.
ACCORD_BENCH_BASELINE = envbool("ACCORD_BENCH_BASELINE", False)
WSGI_APPLICATION = "accord.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "django.template.context_processors.tz",
                "accord.people.context.abilities",
                "accord.people.context.notifications",
                "accord.people.context.viewer_zone",
            ],
        },
    },
]

# Form widgets (a select's every option is a template) are drawn by Jinja2, whose compiled
# templates draw them several times faster than Django's engine; the pages stay Django
# templates. Django ships the Jinja2 widget templates (django/forms/jinja2). Select boxes are
# drawn in Python to the same markup (accord.core.forms.FormRenderer).
FORM_RENDERER = "accord.core.forms.FormRenderer"

DATABASE_URL = envstr("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'accord.sqlite3'}"
try:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
except ValueError as error:
    raise ImproperlyConfigured(f"DATABASE_URL={DATABASE_URL!r} is not usable: {error}") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the web server read while the worker writes; IMMEDIATE avoids
        # "database is locked" upgrades from read to write inside a transaction. The WAL is
        # copied back into the database every 10,000 pages (~40 MB) instead of SQLite's
        # 1,000: a bulk API batch of 5,000 touchpoints dirties more than 1,000 index pages,
        # so each request paid a checkpoint of its own (ingest ~10% faster), and a page
        # written by several batches is copied once. After a checkpoint, a WAL that one big
        # import grew is cut back to 64 MB on disk.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA wal_autocheckpoint=10000; PRAGMA journal_size_limit=67108864;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"].setdefault("TEST", {})
    if envstr("ACCORD_TEST_SQLITE_FILE"):
        DATABASES["default"]["TEST"]["NAME"] = envstr("ACCORD_TEST_SQLITE_FILE")

# The analytics engine: an Ibis URL (duckdb://…, postgres://…); empty = the app database.
ACCORD_ANALYTICS_URL = envstr("ACCORD_ANALYTICS_URL")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "people.User"
# Django's model backend, loading the signed-in user with their calendar's time zone.
AUTHENTICATION_BACKENDS = ["accord.people.zones.ZoneAwareBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "crm:home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Repeated wrong passwords for one account lock it for a while; too many from one client
# address, whichever accounts they were for, refuse that address until its window ends
# (see people.logins; `accord unlock` clears either).
LOGIN_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5)
LOGIN_LOCKOUT_SECONDS = envint("LOGIN_LOCKOUT_SECONDS", 15 * 60)
LOGIN_ADDRESS_FAILURE_LIMIT = envint("LOGIN_ADDRESS_FAILURE_LIMIT", 20)
LOGIN_ADDRESS_WINDOW_SECONDS = envint("LOGIN_ADDRESS_WINDOW_SECONDS", 15 * 60)

# API: requests per token per minute, and the largest request body (bulk upserts of
# 10,000 items are a few megabytes).
API_RATE_LIMIT_PER_MINUTE = envint("API_RATE_LIMIT_PER_MINUTE", 600)
API_BULK_MAX_ITEMS = 10_000
# The public viewer of tracked links (/s/<token>/, no login): requests per client address
# per minute, over its pages, files and time pings together (a reader makes a few a minute).
CONTENT_VIEWER_RATE_LIMIT = envint("CONTENT_VIEWER_RATE_LIMIT", 60, minimum=1)
# The visitor's copy of a calculator's business case (/c/case/<token>/, no login, a PDF costs
# a moment to lay out): requests per client address per minute, page and PDF together.
CALCULATOR_CASE_RATE_LIMIT = envint("CALCULATOR_CASE_RATE_LIMIT", 30, minimum=1)
# The public calculator pages (/c/<slug>/, no login), per client address per minute: pages,
# submissions and deletion requests together; the live results as inputs change (debounced,
# so a few a second while typing); and everything asked of one calculator from anywhere.
CALCULATOR_ADDRESS_RATE_LIMIT = envint("CALCULATOR_ADDRESS_RATE_LIMIT", 30, minimum=1)
CALCULATOR_COMPUTE_RATE_LIMIT = envint("CALCULATOR_COMPUTE_RATE_LIMIT", 300, minimum=1)
CALCULATOR_RATE_LIMIT = envint("CALCULATOR_RATE_LIMIT", 3000, minimum=1)
# A submission sooner than this after the page was served is a robot's; a page's form older
# than the second is refused as expired (the visitor reloads).
# A web worker keeps a published calculator (and its version) this long between reads: the
# public page, its live results and the submit are the hot path of a campaign. A new version
# or new settings reach visitors within this time.
CALCULATOR_LIVE_SECONDS = envint("CALCULATOR_LIVE_SECONDS", 2, minimum=0)
CALCULATOR_MIN_SUBMIT_SECONDS = envint("CALCULATOR_MIN_SUBMIT_SECONDS", 3, minimum=0)
CALCULATOR_FORM_MAX_AGE_SECONDS = envint("CALCULATOR_FORM_MAX_AGE_SECONDS", 24 * 3600, minimum=60)
# The web import: the largest file it accepts (checked while the file arrives), and how
# many days an import's files (the upload, its rejected rows) are kept after it ends.
IMPORT_MAX_MEGABYTES = envint("IMPORT_MAX_MEGABYTES", 500, minimum=1)
IMPORT_FILES_KEEP_DAYS = envint("IMPORT_FILES_KEEP_DAYS", 30, minimum=0)
# SQLite only: the page cache one bulk write (an import, a bulk API request) may use.
SQLITE_BULK_CACHE_MEGABYTES = envint("SQLITE_BULK_CACHE_MEGABYTES", 128)
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("MAX_REQUEST_MEGABYTES", 32) * 1024 * 1024

# The content library (accord.content): the largest file one version may be, and where
# version files are stored. Local disk under var/media by default; an S3-compatible store
# (or any Django storage) by naming its class and its options as JSON, e.g.
# CONTENT_STORAGE_BACKEND=storages.backends.s3.S3Storage
# CONTENT_STORAGE_OPTIONS='{"bucket_name": "accord-content", "endpoint_url": "https://…"}'
# (that backend's package installed beside Accord).
CONTENT_MAX_UPLOAD_MB = envint("CONTENT_MAX_UPLOAD_MB", 50, minimum=1)
MEDIA_ROOT = VAR_DIR / "media"


def _content_storage() -> dict:
    backend = envstr("CONTENT_STORAGE_BACKEND")
    if not backend:
        return {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(MEDIA_ROOT), "base_url": None},
        }
    try:
        options = json.loads(envstr("CONTENT_STORAGE_OPTIONS") or "{}")
    except ValueError as error:
        raise ImproperlyConfigured(f"CONTENT_STORAGE_OPTIONS is not JSON: {error}") from None
    if not isinstance(options, dict):
        raise ImproperlyConfigured("CONTENT_STORAGE_OPTIONS must be a JSON object.")
    return {"BACKEND": backend, "OPTIONS": options}


STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "content": _content_storage(),
}

# Figures the pages keep until the data under them changes (accord.core.figures): in files
# under var/cache/figures, shared by the web workers and the task worker of one machine.
# A page may show a kept figure up to FIGURES_MAX_AGE_SECONDS after the data changed,
# saying how old it is, while the worker computes it again (every minute).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "figures": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "cache" / "figures"),
        "OPTIONS": {"MAX_ENTRIES": 2000},
    },
}
FIGURES_MAX_AGE_SECONDS = envint("FIGURES_MAX_AGE_SECONDS", 60, minimum=0)

LANGUAGE_CODE = "en-us"
TIME_ZONE = envstr("TIME_ZONE", "UTC")
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [
    PACKAGE_DIR / "static",
    ("vendor/chart.js", HOME_DIR / "node_modules" / "chart.js" / "dist"),
    ("vendor/htmx", HOME_DIR / "node_modules" / "htmx.org" / "dist"),
]
# Serve straight from the finders too, so a checkout works without collectstatic.
WHITENOISE_USE_FINDERS = True

# Served over HTTPS only (ACCORD_HTTPS=1, see README "Running in production"): plain HTTP is
# redirected, browsers are told to use HTTPS for a year (HSTS), cookies travel only over
# HTTPS. Behind a proxy that ends TLS (ACCORD_BEHIND_PROXY=1), its X-Forwarded-Proto says
# whether the request came over HTTPS, and X-Forwarded-For who sent it (people.logins).
HTTPS = envbool("ACCORD_HTTPS", False)
ACCORD_BEHIND_PROXY = envbool("ACCORD_BEHIND_PROXY", False)
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = envint("ACCORD_HSTS_SECONDS", 365 * 24 * 3600) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("ACCORD_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = envbool("ACCORD_HSTS_PRELOAD", False)
if ACCORD_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Preloading is a promise about a whole domain that only its owner can make (hstspreload.org
# asks software not to send it by default), so it stays off, and so does the check that
# would warn about that on every installation.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

TASKS = {
    "default": {
        "BACKEND": (
            "django.tasks.backends.immediate.ImmediateBackend"
            if TESTING
            else "django_tasks_db.DatabaseBackend"
        ),
    }
}

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def _default_mailer() -> dict:
    """Email goes to the console unless an SMTP host (or another backend) is configured.

    Django 6.1 configures email through MAILERS; the old EMAIL_HOST… settings must not be
    defined beside it, so the environment variables of the same names land in OPTIONS.
    """
    host = envstr("EMAIL_HOST")
    default = SMTP_BACKEND if host else "django.core.mail.backends.console.EmailBackend"
    backend = envstr("EMAIL_BACKEND") or default
    if backend != SMTP_BACKEND:
        return {"BACKEND": backend}
    options = {
        "host": host or "localhost",
        # None: Django picks 465 for SSL, 587 for TLS, else 25.
        "port": envint("EMAIL_PORT", 0) or None,
        "username": envstr("EMAIL_HOST_USER"),
        "password": envstr("EMAIL_HOST_PASSWORD"),
        "use_tls": envbool("EMAIL_USE_TLS", False),
        "use_ssl": envbool("EMAIL_USE_SSL", False),
        # Notification emails are sent after the request's transaction commits: a mail
        # server that hangs must not hold the page for long.
        "timeout": envint("EMAIL_TIMEOUT", 10),
    }
    if options["use_tls"] and options["use_ssl"]:
        raise ImproperlyConfigured("Set at most one of EMAIL_USE_TLS and EMAIL_USE_SSL.")
    return {"BACKEND": backend, "OPTIONS": options}


MAILERS = {"default": _default_mailer()}
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "Accord <accord@localhost>")

# Links in emails point here; notifications are emailed one by one, or once a day at this
# local hour (TIME_ZONE) to people who asked for a digest.
ACCORD_BASE_URL = envstr("ACCORD_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
ACCORD_DIGEST_HOUR = envint("ACCORD_DIGEST_HOUR", 7)
if not 0 <= ACCORD_DIGEST_HOUR <= 23:
    raise ImproperlyConfigured(f"ACCORD_DIGEST_HOUR={ACCORD_DIGEST_HOUR} is not an hour (0-23).")

# Outbound webhooks (accord.webhooks). Deliveries go only to public addresses over HTTPS;
# networks listed here (CIDR, e.g. 10.1.0.0/16 for a receiver inside the company, or
# 127.0.0.0/8 in tests) are allowed too, and loopback ones also over plain HTTP.
WEBHOOK_ALLOWED_NETWORKS = envlist("WEBHOOK_ALLOWED_NETWORKS", [])
for _network in WEBHOOK_ALLOWED_NETWORKS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"WEBHOOK_ALLOWED_NETWORKS: {_network!r} is not a network such as 10.1.0.0/16."
        ) from None
# Seconds to connect and for each read of an endpoint's answer.
WEBHOOK_TIMEOUT_SECONDS = envint("WEBHOOK_TIMEOUT_SECONDS", 10)
# After a secret is rotated, the old one keeps signing beside the new one this long.
WEBHOOK_SECRET_GRACE_HOURS = envint("WEBHOOK_SECRET_GRACE_HOURS", 24)
# Finished deliveries (and the events behind them) are kept this many days.
WEBHOOK_LOG_DAYS = envint("WEBHOOK_LOG_DAYS", 30)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # A refused request (403, or another 4xx) is the app working: one line, no traceback.
    "filters": {"refusals_in_one_line": {"()": "accord.logs.RefusalsInOneLine"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django.request": {"filters": ["refusals_in_one_line"]}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "WARNING")},
}
