"""Settings for lacoe_kpi, read from environment variables.

Without any variable the app runs on the embedded default: an SQLite file in the
project and Celery tasks executed in-process. A deployment sets DATABASE_URL,
REDIS_URL, SECRET_KEY, ALLOWED_HOSTS and friends (see README.md).
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from lacoe_kpi.env import envbool, envint, envlist, envstr, envurl

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = envbool("DEBUG", False)

SECRET_KEY = envstr("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY (or SECRET_KEY_FILE) for any deployment; "
            "only DEBUG=1 development runs fall back to a throw-away key."
        )
    # Development only: never valid with DEBUG off (checked above).
    SECRET_KEY = "django-insecure-dev-only-key-never-used-with-debug-off"  # noqa: S105

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # Before the admin, so that its admin classes take the translated fields (its docs).
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_tables2",
    "simple_history",
    "axes",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "pillars",
    "metrics",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # django-csp's, building each policy once (metrics/middleware.py).
    "metrics.middleware.CSPMiddleware",
    "metrics.middleware.RequestBodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After the session and before CommonMiddleware, as Django's translation docs ask
    # (https://docs.djangoproject.com/en/5.2/topics/i18n/translation/#how-django-discovers-language-preference).
    "django.middleware.locale.LocaleMiddleware",
    # A link's ?lang=es becomes the switcher's cookie, then the same address without it.
    "metrics.language.LanguageQueryMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, reading the user in the session's round trip (metrics/middleware.py).
    "metrics.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: turns a refused sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "lacoe_kpi.urls"

# The largest request body accepted, in bytes (a 20 MB import plus the form around it);
# larger ones get 413 before being read. Keep the proxy's limit (nginx
# client_max_body_size) at or below it.
MAX_REQUEST_BYTES = envint("MAX_REQUEST_BYTES", 25 * 1024 * 1024)

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "lacoe_kpi.wsgi.application"

# Database: embedded SQLite unless DATABASE_URL names PostgreSQL. Persistent
# connections matter on PostgreSQL (about 8x throughput here), so CONN_MAX_AGE is on.
DATABASE_URL = envurl("DATABASE_URL", ("postgres", "postgresql", "sqlite"))
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=envint("CONN_MAX_AGE", 600),
            conn_health_checks=True,
        )
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": BASE_DIR / "db.sqlite3",
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
            # A live Celery worker (another process) cannot see an in-memory test
            # database, so tests use a file when a real broker is configured.
            "TEST": {"NAME": BASE_DIR / ".test-db.sqlite3"} if envstr("REDIS_URL") else {},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Celery: Redis broker and a real worker when REDIS_URL is set; otherwise tasks
# run eagerly in-process so that the embedded default needs no server.
REDIS_URL = envurl("REDIS_URL", ("redis", "rediss"))
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
# A task is acknowledged once it is done, and goes back to the queue when its worker
# process dies (kill -9, out of memory) instead of being marked failed: running one
# of ours again is safe (a rebuild redoes its work; an export job already taken is
# left as it is).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# No task of ours should run near 10 minutes (`make bench` times the full rebuild of
# 4.3 M readings); one that does is stuck and is killed.
CELERY_TASK_TIME_LIMIT = 10 * 60
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Redis hands an unacknowledged message to another worker after this long: how
    # soon a task of a killed worker runs again. Longer than any task may run (the
    # time limit above), or a task still running would be run twice; far shorter than
    # kombu's default hour, which left a killed rebuild waiting that long.
    "visibility_timeout": envint("CELERY_VISIBILITY_TIMEOUT", 15 * 60, minimum=5),
    # Look for such messages every 10 s (kombu's default is every 100 s): one cheap
    # Redis query per worker.
    "unacked_restore_throttle": 1,
    "socket_connect_timeout": 5,  # a Redis host that drops packets fails a save fast
}
# A task running when the broker connection drops runs to its end (Celery 6 would
# cancel it): ours may safely run twice, and a cancelled export would leave its job
# "running". (Cancelling needs the broker anyway, so it fails while Redis is down.)
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_TIMEZONE = "America/Los_Angeles"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    # Proves beat and a worker alive to /healthz and the compose health checks: beat
    # records when it sends this, the worker when it runs it (metrics/health.py).
    "worker-heartbeat": {
        "task": "metrics.tasks.heartbeat",
        "schedule": 60.0,
        "options": {"expires": 120},  # a worker back after an outage skips old ones
    },
    # Drains the rebuilds that could not be queued (Redis was down at the save) or
    # whose task was lost, so dashboards catch up without waiting for another save.
    # Cron without Redis: `python manage.py rebuild_aggregates --pending`.
    "rebuild-pending": {
        "task": "metrics.tasks.rebuild_pending",
        "schedule": 60.0,
    },
    # A full rebuild every night corrects anything an incremental one missed
    # (and moves "stale" forward as days pass). Without Redis: cron runs
    # `python manage.py rebuild_aggregates` instead.
    "nightly-full-rebuild": {
        "task": "metrics.tasks.rebuild_all",
        "schedule": crontab(hour=2, minute=30),
    },
    # Stewards hear about due and overdue metrics once per period (cron without
    # Redis: `python manage.py send_reminders`).
    "daily-reminders": {
        "task": "metrics.tasks.send_reminders",
        "schedule": crontab(hour=7, minute=0),
    },
    # Pillar leads hear, at most once a day, that values wait for their approval
    # (cron without Redis: `python manage.py send_approval_digests`).
    "daily-approval-digests": {
        "task": "metrics.tasks.send_approval_digests",
        "schedule": crontab(hour=7, minute=15),
    },
    # Audit log rows older than AUDIT_RETENTION_DAYS go (cron without Redis:
    # `python manage.py prune_audit_log`).
    "prune-audit-log": {
        "task": "metrics.tasks.prune_audit_log",
        "schedule": crontab(hour=3, minute=45),
    },
    # Generated report files expire (cron without Redis: `manage.py expire_exports`).
    "expire-report-exports": {
        "task": "reports.tasks.expire_exports",
        "schedule": crontab(minute=15),
    },
}
# /healthz (metrics/health.py): the worker or beat is down once its heartbeat (every
# minute) is older than this; the nightly full rebuild is late (a warning, not down)
# once older than the other.
HEALTH_HEARTBEAT_STALE_SECONDS = envint("HEALTH_HEARTBEAT_STALE_SECONDS", 180, minimum=60)
HEALTH_FULL_REBUILD_WARN_HOURS = envint("HEALTH_FULL_REBUILD_WARN_HOURS", 26, minimum=1)
REPORT_EXPORT_TTL_HOURS = envint("REPORT_EXPORT_TTL_HOURS", 24, minimum=1)

if REDIS_URL:
    # Django's, keeping its redis-py client (metrics/redis_cache.py says why).
    CACHES = {"default": {"BACKEND": "metrics.redis_cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Sessions read from Redis, written through to the database (metrics/sessions.py: a page
# needs no query for its session). The embedded default keeps them in the database: its
# cache is per process, so a sign-out in one would not reach another's.
if REDIS_URL:
    SESSION_ENGINE = "metrics.sessions"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "pillars:home"
LOGOUT_REDIRECT_URL = "pillars:home"

# Sign-in throttling (django-axes). Its database handler keeps the failure counts in
# PostgreSQL/SQLite, so they hold across web processes and with Redis down. A client
# is locked out after AXES_FAILURE_LIMIT failures for one account (from any address)
# or from one address (for any account), until AXES_COOLOFF_MINUTES after the failure
# that locked it: failures during a lockout do not extend it, so the time the lockout
# page names stays true. The axes backend comes first: it refuses a locked-out client
# before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, whose signed-in user and permissions come from the shared
    # cache while no change of users, roles or permissions has committed since
    # (metrics/user_cache.py); only with Redis: the embedded cache is per process.
    "metrics.user_cache.CachedModelBackend",
]
USER_CACHE = bool(REDIS_URL)
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=envint("AXES_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # our audit log records sign-ins (metrics/audit.py)
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "metrics.views.signin.lockout_response"
# One rule for the client's address (axes, the reset limiter and the audit log):
# REMOTE_ADDR, or with TRUST_X_FORWARDED_FOR the address the nearest of
# TRUSTED_PROXY_COUNT proxies saw in X-Forwarded-For. Off by default: without a
# proxy that overwrites it, the header is whatever the client sends.
TRUST_X_FORWARDED_FOR = envbool("TRUST_X_FORWARDED_FOR", False)
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 1, minimum=1)
AXES_CLIENT_IP_CALLABLE = "metrics.services.audit.client_ip"

# Password-reset requests: at most PASSWORD_RESET_LIMIT per address and per e-mail
# address in PASSWORD_RESET_WINDOW_MINUTES, counted in the audit log's own rows (the
# database: the same in every process, and working with Redis down).
PASSWORD_RESET_LIMIT = envint("PASSWORD_RESET_LIMIT", 5, minimum=1)
PASSWORD_RESET_WINDOW_MINUTES = envint("PASSWORD_RESET_WINDOW_MINUTES", 60, minimum=1)
# The audit log (sign-ins, failures, lockouts, role and permission changes) keeps
# this many days; the daily beat task `prune-audit-log` deletes older rows.
AUDIT_RETENTION_DAYS = envint("AUDIT_RETENTION_DAYS", 365, minimum=1)

# Single sign-on with OpenID Connect, off unless OIDC_RP_CLIENT_ID is set (README,
# "Security: sign-in"). mozilla-django-oidc, not django-allauth: it is one
# authentication backend plus two views and no models or migrations, so it sits after
# the axes backend (a locked-out client stays refused), leaves our sign-in page,
# password reset and audit log as they are, and serves one organisation's provider,
# which is all we need; allauth brings its own account, e-mail and social-account
# models and pages for many providers and sign-up flows we do not want.
# metrics/oidc.py checks what the library leaves out (the ID token's issuer and
# audience) and maps the provider's groups to our roles.
OIDC_RP_CLIENT_ID = envstr("OIDC_RP_CLIENT_ID", "")
OIDC_ENABLED = bool(OIDC_RP_CLIENT_ID)
OIDC_PROVIDER_NAME = envstr("OIDC_PROVIDER_NAME", "single sign-on")
OIDC_RP_CLIENT_SECRET = envstr("OIDC_RP_CLIENT_SECRET", "")
OIDC_OP_ISSUER = envstr("OIDC_OP_ISSUER", "")
OIDC_OP_AUTHORIZATION_ENDPOINT = envstr("OIDC_OP_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = envstr("OIDC_OP_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = envstr("OIDC_OP_USER_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = envstr("OIDC_OP_JWKS_ENDPOINT", "")
OIDC_RP_SIGN_ALGO = envstr("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = " ".join(envlist("OIDC_RP_SCOPES", ["openid", "email", "profile"]))
OIDC_USE_PKCE = envbool("OIDC_USE_PKCE", True)
OIDC_GROUPS_CLAIM = envstr("OIDC_GROUPS_CLAIM", "groups")
OIDC_LEEWAY_SECONDS = envint("OIDC_LEEWAY_SECONDS", 60)
OIDC_TIMEOUT = envint("OIDC_TIMEOUT_SECONDS", 10, minimum=1)
OIDC_USERNAME_ALGO = "metrics.oidc.username_for"
# The sign-in page's "Sign in with <OIDC_PROVIDER_NAME>" button (nothing when off).
TEMPLATES[0]["OPTIONS"]["context_processors"].append("metrics.oidc.sign_in_context")
# "provider group=Our role" pairs; a role may appear more than once.
OIDC_ROLE_MAP = {}
for _pair in envlist("OIDC_ROLE_MAP"):
    _group, _sep, _role = (part.strip() for part in _pair.partition("="))
    if not (_sep and _group and _role):
        raise ImproperlyConfigured(
            f"OIDC_ROLE_MAP entry {_pair!r} is not 'provider group=Role'."
        )
    OIDC_ROLE_MAP[_group] = _role
if OIDC_ENABLED:
    _missing = [name for name in ("OIDC_RP_CLIENT_SECRET", "OIDC_OP_ISSUER",
                                  "OIDC_OP_AUTHORIZATION_ENDPOINT", "OIDC_OP_TOKEN_ENDPOINT",
                                  "OIDC_OP_USER_ENDPOINT", "OIDC_OP_JWKS_ENDPOINT")
                if not globals()[name]]
    if _missing:
        raise ImproperlyConfigured(
            f"OIDC_RP_CLIENT_ID is set, so single sign-on needs {', '.join(_missing)} too."
        )
    INSTALLED_APPS.append("mozilla_django_oidc")
    AUTHENTICATION_BACKENDS.append("metrics.oidc.OIDCBackend")

# Languages: English, and Spanish for the county's Spanish-reading families. Each is named in
# its own language (the switcher shows these). The conventions chosen for Spanish (1,234.5 as
# in Mexico and the United States; "1 de diciembre de 2026") are in lacoe_kpi/formats/es/ and
# README.md, "Languages".
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["lacoe_kpi.formats"]
# The switcher's choice lasts a year; the language cookie is not a secret (Django's default
# is a session cookie, so a family would choose again on every visit).
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_SAMESITE = "Lax"
# The plan's content in English and Spanish (pillars/translation.py): English is the
# source; a field without its Spanish version shows the English text, marked lang="en"
# on the page (metrics/templatetags/content.py).
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_LANGUAGES = ("en", "es")
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)
TIME_ZONE = "America/Los_Angeles"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(envstr("MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed, compressed names in production; plain files while developing and testing.
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Email: console by default; SMTP when EMAIL_HOST is set.
EMAIL_HOST = envstr("EMAIL_HOST", "")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = envint("EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "lacoe-kpi@localhost")
# Where emails point people to (no trailing slash), e.g. https://kpi.example.org
SITE_URL = envstr("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Security: strict by default outside development, so `check --deploy` is clean.
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
# A load balancer or the compose health check probes over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", not DEBUG)
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if envbool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy: lacoe_kpi/csp_policy.py (why each source is allowed).
from lacoe_kpi.csp_policy import (  # noqa: E402, F401 - settings Django reads
    CONTENT_SECURITY_POLICY,
    CONTENT_SECURITY_POLICY_STYLE_HASHES,
)

# The read-only API (metrics/api/, why Django REST framework: its __init__). Only our
# hashed tokens authenticate it; without one a request sees the public plans.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["metrics.api.auth.ApiTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "LACOE KPI API",
    "DESCRIPTION": "Read-only: plans, their structure, metrics, approved readings, the "
                   "precomputed aggregates and analytics rows. Without a token: the public "
                   "plans. With `Authorization: Token <token>` (created on your account "
                   "page): what you may see.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from our own static files (drf-spectacular-sidecar), nothing from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No deep links: Swagger UI puts each one, a link, inside its operation's button
    # (axe: nested-interactive, a serious failure of the browser crawl).
    "SWAGGER_UI_SETTINGS": {"deepLinking": False},
}

FORMS_URLFIELD_ASSUME_HTTPS = True  # Django 6 behaviour now: a bare host means https
DJANGO_TABLES2_TEMPLATE = "django_tables2/table.html"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
}
