"""Django settings, read from the environment (see README, "Configuration").

Strict: a malformed value stops start-up with an error naming the variable.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

from csp.constants import NONE, SELF

from nextpractice.conf import env

PACKAGE_DIR = Path(__file__).resolve().parent.parent
# The data folder (SQLite database, secret key, uploads, static files) never depends on the
# directory a command starts in: a worker started elsewhere would get another database and
# another secret key. A checkout (`make demo`, an editable install) keeps it in its own
# var/; an installed package in its virtual environment's var/nextpractice.
_CHECKOUT = PACKAGE_DIR.parent.parent
DEFAULT_VAR_DIR = (
    _CHECKOUT / "var"
    if PACKAGE_DIR.parent.name == "src" and (_CHECKOUT / "pyproject.toml").is_file()
    else Path(sys.prefix) / "var" / "nextpractice"
)
# Production (docs/deploy.md) names its data folder, runs without DEBUG, and refuses the demo.
PRODUCTION = env.boolean("PRODUCTION", False)
_var_dir = env.path("NEXTPRACTICE_VAR_DIR")
if PRODUCTION and _var_dir is None:
    raise env.EnvError("NEXTPRACTICE_VAR_DIR: must be set when PRODUCTION is true")
VAR_DIR = (_var_dir or DEFAULT_VAR_DIR).resolve()

DEBUG = env.boolean("DEBUG", False)
if PRODUCTION and DEBUG:
    raise env.EnvError("DEBUG: must be false when PRODUCTION is true")
SECRET_KEY = env.secret_key("SECRET_KEY", VAR_DIR / "secret_key")
ALLOWED_HOSTS = env.string_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
SITE_URL = env.string("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
HTTPS = env.boolean("HTTPS", SITE_URL.startswith("https://"))

INSTALLED_APPS = [
    "nextpractice.core",
    "nextpractice.accounts",
    "nextpractice.directory",
    "nextpractice.clusters",
    "nextpractice.audit",
    "nextpractice.formation",
    "nextpractice.meetings",
    "nextpractice.reviews",
    "nextpractice.support",
    "nextpractice.impact",
    "nextpractice.privacy",
    "nextpractice.site",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "django_htmx",
    "csp",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise, so static files keep their own caching headers.
    "nextpractice.core.middleware.private_responses",
    # Each request reads the person's clusters once (core.scoping.remembering).
    "nextpractice.core.middleware.read_once_per_request",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Who the person is, their clusters and the page, fetched from the cache in one go.
    "nextpractice.core.middleware.kept_ahead",
    "nextpractice.accounts.middleware.session_timeouts",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "nextpractice.accounts.middleware.require_second_factor",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
ROOT_URLCONF = "nextpractice.urls"
WSGI_APPLICATION = "nextpractice.wsgi.application"
AUTH_USER_MODEL = "accounts.User"

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
                "nextpractice.core.context_processors.site",
            ],
            # The md filter (members' Markdown, sanitised) in every template.
            "builtins": ["nextpractice.core.templatetags.np"],
        },
    }
]

DATABASES = {"default": env.database("DATABASE_URL", VAR_DIR / "nextpractice.sqlite3")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Tests on a file, not in memory: the browser tests' server and worker threads then
    # wait for each other's writes instead of failing on shared-cache table locks.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A shared cache carries the login rate limits across worker processes: the database by
# default (no extra service), Redis when REDIS_URL is set.
_redis_url = env.string("REDIS_URL")
CACHES: dict[str, dict[str, Any]] = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _redis_url}
        if _redis_url
        else {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "nextpractice_cache",
            # Pages' kept parts (core.memo) live here too: room for every active person's,
            # rather than Django's 300, past which a third of all entries is dropped.
            "OPTIONS": {"MAX_ENTRIES": 20000},
        }
    )
}

# Django's and allauth's, reading the signed-in person with what every page asks of them
# (accounts.backends). Renamed backends sign out sessions begun under the old names once.
AUTHENTICATION_BACKENDS = [
    "nextpractice.accounts.backends.ModelBackend",
    "nextpractice.accounts.backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Accounts (django-allauth) -------------------------------------------------------
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_ADAPTER = "nextpractice.accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = env.integer("LOGIN_CODE_TIMEOUT", 600, minimum=60)
if ACCOUNT_LOGIN_BY_CODE_TIMEOUT > 600:
    raise env.EnvError("LOGIN_CODE_TIMEOUT: emailed codes must expire within 600 seconds")
ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS = 3
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Next Practice] "
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if HTTPS else "http"
# Limits per email address ("key") stop guessing against one account; limits per address
# ("ip") are set high so that a school's staff, who share one public address, are never
# shut out by one person's mistakes or by someone abusing that address.
ACCOUNT_RATE_LIMITS = {
    "login": "120/m/ip",
    "login_failed": "60/m/ip,5/5m/key",
    "request_login_code": "60/m/ip,3/m/key,10/h/key",
    "reset_password": "60/m/ip,3/m/key",
    "reset_password_from_key": "60/m/ip",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
}
ALLAUTH_TRUSTED_PROXY_COUNT = env.integer("TRUSTED_PROXY_COUNT", 0, minimum=0)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Next Practice"
USERSESSIONS_TRACK_ACTIVITY = False

# Idle and absolute session lifetimes, in seconds (enforced in accounts.middleware).
SESSION_IDLE_TIMEOUT = env.integer("SESSION_IDLE_TIMEOUT", 8 * 3600, minimum=60)
SESSION_ABSOLUTE_TIMEOUT = env.integer("SESSION_ABSOLUTE_TIMEOUT", 7 * 24 * 3600, minimum=60)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT
# Django's database sessions, read with one plain statement (accounts/sessions.py).
SESSION_ENGINE = "nextpractice.accounts.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- Security headers ----------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if HTTPS:
    SECURE_SSL_REDIRECT = env.boolean("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env.integer("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.boolean("SECURE_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        # Joining browsers' preload list binds every subdomain of the operator's domain for
        # years: their decision to make, not a default of ours.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
if ALLAUTH_TRUSTED_PROXY_COUNT:
    # Believed only when a proxy is configured, which sets X-Forwarded-Proto itself on every
    # request: without one, any client could claim to be on HTTPS (gunicorn, started by
    # `serve`, then believes no peer either).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = [SITE_URL] if SITE_URL.startswith("http") else []

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

# --- Email ---------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env.string("DEFAULT_FROM_EMAIL", "Next Practice <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_HOST = env.string("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env.integer("EMAIL_PORT", 587, minimum=1)
    EMAIL_HOST_USER = env.string("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env.string("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env.boolean("EMAIL_USE_TLS", EMAIL_PORT == 587)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# Seconds an SMTP connection may wait on the server at each step: a hanging mail server
# holds one worker's attempt this long, then the email waits for its next try.
EMAIL_TIMEOUT = env.integer("EMAIL_TIMEOUT", 10, minimum=1)
# Days an email is retried (with back-off) before it is listed as one that could not be
# sent; at least three, so that a mail outage over a weekend loses nothing.
EMAIL_RETRY_DAYS = env.integer("EMAIL_RETRY_DAYS", 3, minimum=3)

# --- Background tasks ----------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": env.string("TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# Periodic jobs the worker runs every minute (see core.periodic); each is idempotent.
PERIODIC_JOBS = [
    "nextpractice.core.mail.deliver_pending",
    "nextpractice.meetings.services.send_due_meeting_emails",
    "nextpractice.support.services.send_digests",
    "nextpractice.support.services.funding_reminders",
    "nextpractice.support.services.send_termly_achievements",
    # One-time form keys older than a month: a repeat that late is not a double submission.
    "nextpractice.core.once.purge",
    # Expired kept pages (core.memo) out of the database cache.
    "nextpractice.core.memo.purge",
    "nextpractice.directory.imports.resume_stalled",
    # Termly check-ins (and each leader's first, at joining); the coordinators' summary.
    "nextpractice.impact.services.send_check_ins",
    "nextpractice.impact.services.send_area_summaries",
    # Removes what is past its retention period (RETENTION_DAYS below).
    "nextpractice.privacy.retention.apply_periodic",
]
# Apps that put things other than meetings in people's diaries and calendar feeds.
CALENDAR_SOURCES = [
    "nextpractice.reviews.calendar.walks_for",
    "nextpractice.support.calendar.events_for",
]
# What apps above clusters show on a cluster's page: context name -> f(cluster, user).
# Run once when a (long-running) worker starts, before it takes any task: dotted paths to
# functions of no arguments.
WORKER_STARTUP = ["nextpractice.grouping.warm_up"]
CLUSTER_PANELS = {
    "next_meeting": "nextpractice.meetings.panels.next_meeting",
    "recent_successes": "nextpractice.support.panels.recent_successes",
    "check_in_open": "nextpractice.impact.panels.check_in_open",
    "open_aims": "nextpractice.clusters.aims.open_aims",
    "new_heads": "nextpractice.support.services.newheads.panel",
}
# Called with the membership, in the transaction that ends it (leaving, or removal by the
# members' agreement): what apps above clusters hung on it ends too (a buddy, being new).
MEMBERSHIP_ENDED = ["nextpractice.support.services.newheads.membership_ended"]
# What needs a person, gathered at the top of their home page (core/needs.py says how a
# source is called); in this order, urgent ones first whatever their place.
NEEDS_YOU_SOURCES = [
    "nextpractice.support.needs.urgent_help",
    "nextpractice.support.needs.buddy_wanted",
    "nextpractice.reviews.needs.feedback_asked",
    "nextpractice.reviews.needs.feedback_arrived",
    "nextpractice.meetings.services.answers_due",
    "nextpractice.meetings.services.actions_due",
    "nextpractice.core.needs.unread_notifications",
]
# Standing agenda items given by apps above meetings: context name -> f(meeting) -> list.
AGENDA_SOURCES = {
    "successes": "nextpractice.support.services.successes_since_last_meeting",
    # Shared aims whose review date has come, until someone reviews them.
    "aims_to_review": "nextpractice.clusters.aims.due_for_review",
}
# A cluster's "Our year" page, told by the apps that hold each part (core/year.py says how
# a source is called: one section each, a fixed number of queries, no ranking); in order.
YEAR_SOURCES = [
    "nextpractice.meetings.story.meetings_held",
    "nextpractice.meetings.story.actions_completed",
    "nextpractice.reviews.story.feedback",
    "nextpractice.reviews.story.learning_walks",
    "nextpractice.support.story.help_given",
    "nextpractice.support.story.events",
    "nextpractice.support.story.successes",
    "nextpractice.clusters.aims.aims_of_the_year",
]
# An email claimed by a worker that died before sending is claimed again after this.
EMAIL_CLAIM_TIMEOUT = env.integer("EMAIL_CLAIM_TIMEOUT", 600, minimum=1)

# The worker (core.management.commands.worker): every WORKER_TICK_SECONDS one worker, the
# holder of a lease that lasts WORKER_LEASE_SECONDS, runs PERIODIC_JOBS; when it dies, any
# other worker takes the lease over once it expires. On a database outage or lock a worker
# waits and reconnects, backing off up to WORKER_MAX_BACKOFF_SECONDS.
WORKER_TICK_SECONDS = env.integer("WORKER_TICK_SECONDS", 60, minimum=1)
WORKER_LEASE_SECONDS = env.integer("WORKER_LEASE_SECONDS", 180, minimum=2)
if WORKER_LEASE_SECONDS < 2 * WORKER_TICK_SECONDS:
    # The holder renews at every tick: a lease shorter than two ticks would lapse between
    # renewals and pass to another worker while its holder is alive and well.
    raise env.EnvError("WORKER_LEASE_SECONDS: must be at least twice WORKER_TICK_SECONDS")
WORKER_MAX_BACKOFF_SECONDS = env.integer("WORKER_MAX_BACKOFF_SECONDS", 60, minimum=1)
# A formation run whose heartbeat is older than this has stopped (its worker died): the
# coordinator is told and can run the round again.
FORMATION_STALE_SECONDS = env.integer("FORMATION_STALE_SECONDS", 120, minimum=2)

# --- Retention (privacy.retention) ----------------------------------------------------
# Days each kind of record is kept before the worker removes it; 0 keeps it for ever.
RETENTION_DAYS = {
    "meeting_notes": env.integer("RETENTION_MEETING_NOTES_DAYS", 3 * 365, minimum=0),
    "help_requests": env.integer("RETENTION_HELP_REQUESTS_DAYS", 2 * 365, minimum=0),
    "audit_entries": env.integer("RETENTION_AUDIT_DAYS", 2 * 365, minimum=0),
    "email_bodies": env.integer("RETENTION_EMAIL_BODY_DAYS", 90, minimum=0),
    "review_documents": env.integer("RETENTION_REVIEW_DOCUMENTS_DAYS", 365, minimum=0),
}

# --- Static files --------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
# Files browsers ask for at the site's root (/favicon.ico), served by WhiteNoise before any
# view, so they are never a 404 and never reach the database.
WHITENOISE_ROOT = PACKAGE_DIR / "webroot"
# Uploaded documents: outside the static root, under random names, never served directly
# (only through views that check access). Any Django storage backend, an S3-compatible
# one included, can replace the disk here.
MEDIA_ROOT = env.path("MEDIA_ROOT", VAR_DIR / "uploads")
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
DATA_UPLOAD_MAX_MEMORY_SIZE = 21 * 1024 * 1024
STORAGES: dict[str, dict[str, Any]] = {
    # Owner-only from the first byte, and no partial file left when the disk is full.
    "default": {"BACKEND": "nextpractice.core.storage.PrivateFileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.string(
            "STATICFILES_STORAGE", "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Uploaded documents on S3-compatible storage instead of MEDIA_ROOT, when a bucket is named
# (the `s3` extra; core/s3storage.py): several web servers then share them. Without keys,
# boto3's own chain (an instance role) applies.
S3_BUCKET = env.string("S3_BUCKET")
if S3_BUCKET:
    if importlib.util.find_spec("storages") is None:
        raise env.EnvError(
            "S3_BUCKET: set, but django-storages is not installed (pip install '.[s3]')"
        )
    _s3_endpoint = env.string("S3_ENDPOINT_URL")
    if _s3_endpoint and not _s3_endpoint.startswith(("https://", "http://")):
        raise env.EnvError(f"S3_ENDPOINT_URL: expected an http(s):// address, got {_s3_endpoint!r}")
    STORAGES["default"] = {
        "BACKEND": "nextpractice.core.s3storage.PrivateS3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": _s3_endpoint or None,
            "region_name": env.string("S3_REGION") or None,
            "access_key": env.string("S3_ACCESS_KEY_ID") or None,
            "secret_key": env.string("S3_SECRET_ACCESS_KEY") or None,
            "location": env.string("S3_PREFIX", "uploads"),
        },
    }

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# No personal data in logs: request logging is left to the web server, which sees only
# paths; our own loggers name objects by primary key, never by name or email address.
# One JSON object a line for a log collector, or plain lines for a person reading.
LOG_FORMAT = env.choice("LOG_FORMAT", "plain", ("plain", "json"))
# Error reports to Sentry when set (the `sentry` extra; see conf/errors.py for what is sent).
SENTRY_DSN = env.string("SENTRY_DSN")
if SENTRY_DSN:
    from nextpractice.conf import errors

    errors.start(SENTRY_DSN, environment="production" if PRODUCTION else "development")
LOG_LEVEL = env.choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "nextpractice.core.logging.JsonFormatter"},
    },
    "filters": {"redact": {"()": "nextpractice.core.logging.RedactFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["redact"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.server": {"level": "WARNING"}},
}
