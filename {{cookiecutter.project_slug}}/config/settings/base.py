"""Settings shared by every environment.

Everything that differs between machines comes from the environment (or a git-ignored ``.env``
file) through django-environ. With nothing set, the project runs on an SQLite file, a
local-memory cache, the in-process lock backend and eager Celery: ``manage.py runserver`` works
on a fresh machine. ``DATABASE_URL`` and ``REDIS_URL`` move it to PostgreSQL and Redis.
"""

from pathlib import Path

import environ
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(str(BASE_DIR / ".env"))

# General
# ------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
TIME_ZONE = "{{ cookiecutter.timezone }}"
LANGUAGE_CODE = "en-us"
USE_I18N = True
USE_TZ = True
SITE_NAME = "{{ cookiecutter.project_name }}"

# Databases
# ------------------------------------------------------------------------------
# ATOMIC_REQUESTS stays off on every alias. Transactions are explicit: each write path is one
# service function that opens its own transaction. A distributed lock must be acquired before
# that transaction begins and released after it ends, which a per-request transaction (opened
# before the view runs) makes impossible.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a concurrent writer instead of failing at once with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
# A second connection to the same database, for records that must survive the rollback they
# describe (saga and failure logs): written through "monitoring", they commit on their own.
DATABASES["monitoring"] = {**DATABASES["default"], "OPTIONS": dict(DATABASES["default"].get("OPTIONS", {}))}
if DATABASES["monitoring"]["ENGINE"] == "django.db.backends.sqlite3":
    # Take SQLite's write lock when a monitoring transaction begins: two processes folding metrics
    # then queue for it instead of one failing at once with "database is locked".
    DATABASES["monitoring"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
MONITORING_DB_ALIAS = "monitoring"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Apps
# ------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "csp",
    "django_htmx",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "apps.core",
    "apps.peoples",
    "apps.onboarding",
    "apps.activity",
    "apps.attendance",
    "apps.work_order_management",
    "apps.benchmarks",
{%- if cookiecutter.include_demo_data == "y" %}
    "apps.demo",
{%- endif %}
]

AUTH_USER_MODEL = "peoples.People"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sign-in abuse (apps/core/signin): failed sign-ins are counted per username and per address on
# the cache. A username with SIGNIN_FAILURE_LIMIT_PER_USERNAME failures, or an address with
# SIGNIN_FAILURE_LIMIT_PER_ADDRESS, is refused (429 with Retry-After) for SIGNIN_COOLOFF_SECONDS.
AUTHENTICATION_BACKENDS = ["apps.core.signin.backends.ThrottledModelBackend"]
SIGNIN_FAILURE_LIMIT_PER_USERNAME = env.int("SIGNIN_FAILURE_LIMIT_PER_USERNAME", default=5)
SIGNIN_FAILURE_LIMIT_PER_ADDRESS = env.int("SIGNIN_FAILURE_LIMIT_PER_ADDRESS", default=20)
SIGNIN_COOLOFF_SECONDS = env.int("SIGNIN_COOLOFF_SECONDS", default=15 * 60)
# The request.META key holding the client's address: REMOTE_ADDR, or behind a reverse proxy the
# header that proxy overwrites (e.g. HTTP_X_REAL_IP). Never a header clients can set themselves.
SIGNIN_ADDRESS_HEADER = env("SIGNIN_ADDRESS_HEADER", default="REMOTE_ADDR")

MIDDLEWARE = [
    "apps.core.services.correlation.CorrelationIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "apps.core.services.write_guard.WriteGuardMiddleware",
    # Reads the body before the CSRF check does: a body over the limits is a 413, not a bare 400 or a 500.
    "apps.core.input.body.RequestBodyLimitMiddleware",
{%- if cookiecutter.use_tenant_routing == "y" %}
    "apps.core.tenancy.middleware.TenantRoutingMiddleware",
{%- endif %}
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "apps.core.idempotency.middleware.IdempotencyKeyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Innermost, so every middleware above also processes the 429 it may put in a view's place.
    "apps.core.signin.middleware.SignInThrottleMiddleware",
]
{%- if cookiecutter.use_tenant_routing == "y" %}

# Tenant routing
# ------------------------------------------------------------------------------
# Each request host is served from its own database alias. TENANT_DATABASES maps an alias to a
# database URL and TENANT_HOSTS maps a host name to an alias. A host that is not listed gets a
# 404: it never falls back to another tenant's data.
for _alias, _url in env.dict("TENANT_DATABASES", default={}).items():
    DATABASES[_alias] = env.db_url_config(_url)
    DATABASES[_alias]["ATOMIC_REQUESTS"] = False
    DATABASES[_alias]["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
TENANT_HOSTS = env.dict("TENANT_HOSTS", default={"localhost": "default", "127.0.0.1": "default"})
DATABASE_ROUTERS = ["apps.core.tenancy.router.TenantDatabaseRouter"]
# Every tenant host is a host this project serves (a settings module that sets its own
# ALLOWED_HOSTS adds them again).
ALLOWED_HOSTS += [host for host in TENANT_HOSTS if host not in ALLOWED_HOSTS]
{%- endif %}

ROOT_URLCONF = "config.urls"
ADMIN_URL = env("DJANGO_ADMIN_URL", default="admin/")
WSGI_APPLICATION = "config.wsgi.application"

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
                "apps.core.context_processors.site",
            ],
        },
    },
]

# Content-Security-Policy (django-csp): scripts and styles come from files under static/ only;
# no inline script or style anywhere, so neither needs 'unsafe-inline'.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Static files
# ------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# What a request, task or command that writes twice outside a transaction gets: "raise" (tests),
# "warn" (local development) or "log" (an error line and a Prometheus counter).
WRITE_GUARD_MODE = env("WRITE_GUARD_MODE", default="log")

# Cache and locks
# ------------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "{{ cookiecutter.project_slug }}",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# "redis" (needs REDIS_URL), "postgres" (advisory locks, needs PostgreSQL) or "inprocess"
# (threads of one process only: the SQLite default; refused by `check --deploy`).
DISTRIBUTED_LOCK_BACKEND = env("DISTRIBUTED_LOCK_BACKEND", default="redis" if REDIS_URL else "inprocess")

# Celery
# ------------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default="")
# Without a broker, tasks run in-process when they are sent (after commit, like a worker would).
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
if not CELERY_BROKER_URL:
    # Even an eager task asks the broker connection which content types it accepts. With no URL
    # at all kombu would fall back to AMQP on localhost (and warn "No hostname was supplied");
    # the in-memory transport answers without a network and without a warning.
    CELERY_BROKER_URL = "memory://localhost/"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A web process publishing a task does not wait for a broker that refuses: one quick retry, then the
# message stays in the task outbox for the relay. A task a killed worker had taken is redelivered
# after CELERY_VISIBILITY_TIMEOUT seconds (keep it above the longest task; acks are late).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
}
CELERY_BEAT_SCHEDULE = {
    "fold-transaction-metrics": {"task": "core.fold_transaction_metrics", "schedule": 60.0},
    "transaction-health-snapshot": {"task": "core.take_transaction_health_snapshot", "schedule": 300.0},
    "prune-transaction-monitoring": {"task": "core.prune_transaction_monitoring", "schedule": 24 * 3600.0},
    "recover-stuck-sagas": {"task": "core.recover_stuck_sagas", "schedule": 60.0},
    "relay-outbox": {"task": "core.relay_outbox", "schedule": 15.0},
    "prune-outbox-and-idempotency-keys": {"task": "core.prune_outbox_and_idempotency_keys", "schedule": 3600.0},
}
# A saga run still RUNNING this many seconds after it started was interrupted (its process died):
# the beat task compensates it. Far above any run's real duration.
SAGA_RECOVERY_TIMEOUT = env.int("SAGA_RECOVERY_TIMEOUT", default=300)

# Task outbox (apps.core.outbox)
# ------------------------------------------------------------------------------
# A task is published right after its write commits, without the broker's own retries (a refused
# message waits in the outbox instead of holding up the request). The relay (beat task above,
# `manage.py relay_outbox`) publishes messages still pending OUTBOX_RELAY_DELAY seconds after
# they were recorded, OUTBOX_RELAY_BATCH_SIZE at a time, each claimed for OUTBOX_CLAIM_SECONDS.
OUTBOX_PUBLISH_RETRY = False
OUTBOX_RELAY_DELAY = env.int("OUTBOX_RELAY_DELAY", default=10)
OUTBOX_RELAY_BATCH_SIZE = env.int("OUTBOX_RELAY_BATCH_SIZE", default=200)
OUTBOX_CLAIM_SECONDS = env.int("OUTBOX_CLAIM_SECONDS", default=60)
# A published message whose task left no delivery receipt within OUTBOX_REDELIVER_AFTER seconds is
# published again (keep it above CELERY_VISIBILITY_TIMEOUT), up to OUTBOX_MAX_DELIVERIES times.
OUTBOX_REDELIVER_AFTER = env.int("OUTBOX_REDELIVER_AFTER", default=3900)
OUTBOX_MAX_DELIVERIES = env.int("OUTBOX_MAX_DELIVERIES", default=10)
# A pending message older than this makes the transaction health Degraded (the relay is not running
# or the broker has been down that long). Published messages are deleted after the retention.
OUTBOX_STUCK_AFTER_SECONDS = env.int("OUTBOX_STUCK_AFTER_SECONDS", default=300)
OUTBOX_RETENTION_DAYS = env.int("OUTBOX_RETENTION_DAYS", default=7)

# Idempotency keys (apps.core.idempotency)
# ------------------------------------------------------------------------------
# A key whose request neither committed nor answered within IDEMPOTENCY_CLAIM_TIMEOUT seconds was
# abandoned (its worker died): a retry runs the request again. Keep it above the longest a request
# may run (gunicorn's --timeout). Keys and their answers are kept IDEMPOTENCY_KEY_RETENTION_HOURS.
IDEMPOTENCY_CLAIM_TIMEOUT = env.int("IDEMPOTENCY_CLAIM_TIMEOUT", default=60)
IDEMPOTENCY_KEY_RETENTION_HOURS = env.int("IDEMPOTENCY_KEY_RETENTION_HOURS", default=24)
# Answers larger than this are not stored: a replay answers that the request was applied.
IDEMPOTENCY_MAX_STORED_ANSWER = 256 * 1024

# Transaction monitoring
# ------------------------------------------------------------------------------
# False stops the failure log and the metrics (the platform's switch); transactions, the saga log
# and the task outbox work the same.
TRANSACTION_MONITORING_ENABLED = env.bool("TRANSACTION_MONITORING_ENABLED", default=True)
# Status of the health summary and snapshots: every figure must stay at or below its threshold.
# A failure rate above "failure_rate_critical" (percent) or any deadlock is Critical; a failure rate
# above "failure_rate_degraded", an average duration above "slow_transaction_ms" or more lock waits
# that ran out than "lock_timeouts_degraded" is Degraded.
TRANSACTION_HEALTH_THRESHOLDS = {
    "failure_rate_degraded": env.float("TRANSACTION_FAILURE_RATE_DEGRADED", default=1.0),
    "failure_rate_critical": env.float("TRANSACTION_FAILURE_RATE_CRITICAL", default=5.0),
    "slow_transaction_ms": env.float("TRANSACTION_SLOW_MS", default=1000.0),
    "deadlocks_critical": 0,
    "lock_timeouts_degraded": env.int("TRANSACTION_LOCK_TIMEOUTS_DEGRADED", default=10),
    "after_commit_incidents_degraded": env.int("TRANSACTION_AFTER_COMMIT_INCIDENTS_DEGRADED", default=0),
}
# The window (hours) each periodic health snapshot judges.
TRANSACTION_HEALTH_WINDOW_HOURS = env.int("TRANSACTION_HEALTH_WINDOW_HOURS", default=1)
# Seconds between folds of a process's in-memory counts into TransactionMetrics (0: only the beat task).
TRANSACTION_METRICS_FOLD_INTERVAL = env.int("TRANSACTION_METRICS_FOLD_INTERVAL", default=60)
TRANSACTION_FAILURE_LOG_RETENTION_DAYS = env.int("TRANSACTION_FAILURE_LOG_RETENTION_DAYS", default=90)
TRANSACTION_METRICS_RETENTION_DAYS = env.int("TRANSACTION_METRICS_RETENTION_DAYS", default=30)
TRANSACTION_HEALTH_CHECK_RETENTION_DAYS = env.int("TRANSACTION_HEALTH_CHECK_RETENTION_DAYS", default=30)
# Errors that reject bad input rather than fail: counted as rejections, not in the failure log.
TRANSACTION_MONITORING_EXPECTED_ERRORS = [
    "django.core.exceptions.ValidationError",
    "django.core.exceptions.PermissionDenied",
    "django.http.Http404",
    "rest_framework.exceptions.ValidationError",
    "rest_framework.exceptions.PermissionDenied",
]

{%- if cookiecutter.include_demo_data == "y" %}

# Demo data
# ------------------------------------------------------------------------------
# Every demo login's password is derived from DEMO_PASSWORD (baking wrote one into .env); when it
# is missing, seed_demo or create_demo_staff makes one and appends it to DEMO_ENV_FILE.
DEMO_PASSWORD = env("DEMO_PASSWORD", default="")
DEMO_ENV_FILE = BASE_DIR / ".env"
{%- endif %}
{%- if cookiecutter.use_prometheus == "y" %}

# Prometheus
# ------------------------------------------------------------------------------
# /metrics answers only "Authorization: Bearer <METRICS_BEARER_TOKEN>" when a token is set. Without
# one it is switched off (404), except in the local and test settings, which keep it open.
METRICS_BEARER_TOKEN = env("METRICS_BEARER_TOKEN", default="")
METRICS_OPEN_WITHOUT_TOKEN = False
{%- endif %}

# E-mail
# ------------------------------------------------------------------------------
EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
# Who hears of server errors and of the transaction health turning Critical.
ADMINS = [("{{ cookiecutter.author_name }}", env("DJANGO_ADMIN_EMAIL", default="{{ cookiecutter.email }}"))]
SERVER_EMAIL = env("DJANGO_SERVER_EMAIL", default="{{ cookiecutter.project_slug }}@{{ cookiecutter.domain_name }}")
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="{{ cookiecutter.project_name }} <noreply@{{ cookiecutter.domain_name }}>")

# Request limits (apps/core/input)
# ------------------------------------------------------------------------------
# A body over DATA_UPLOAD_MAX_MEMORY_SIZE bytes or with more than DATA_UPLOAD_MAX_NUMBER_FIELDS
# fields is answered 413; JSON (API bodies, JSON form fields) nested deeper than JSON_MAX_DEPTH 400.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
DATA_UPLOAD_MAX_NUMBER_FIELDS = env.int("DATA_UPLOAD_MAX_NUMBER_FIELDS", default=1000)
JSON_MAX_DEPTH = env.int("JSON_MAX_DEPTH", default=32)

# Django REST framework
# ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # JSON with a limit on nesting (a 400, never a RecursionError), forms and multipart as DRF's own.
    "DEFAULT_PARSER_CLASSES": [
        "apps.core.api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # DRF's JSON, written with escapes when an error quotes back a lone surrogate (apps/core/api/renderers.py).
    "DEFAULT_RENDERER_CLASSES": [
        "apps.core.api.renderers.EscapingJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so that an anonymous API call is answered 401 with a WWW-Authenticate header.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Roles and model permissions (apps.core.access): reading needs a sign-in, writing a permission.
    "DEFAULT_PERMISSION_CLASSES": ["apps.core.access.permissions.RolePermission"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "apps.core.api.exceptions.atomic_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

# The OpenAPI 3 schema (drf-spectacular): /api/schema/ for any signed-in user, with Swagger UI at
# /api/docs/ served from the sidecar's static files (no CDN; the CSP's 'self' covers them).
SPECTACULAR_SETTINGS = {
    "TITLE": "{{ cookiecutter.project_name }} API",
    "DESCRIPTION": "Every write is one transaction: a 2xx means committed, an error means nothing was written.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Operations are grouped (tagged) by the resource after this prefix: people, assets, work-permits...
    "SCHEMA_PATH_PREFIX": r"/api(/v1)?",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Separate request and response components: read-only fields are not asked for in a request body.
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "PREPROCESSING_HOOKS": ["apps.core.api.schema.drop_shadowed_routes"],
    # One name per choice set where several fields share it.
    "ENUM_NAME_OVERRIDES": {
        "AssetStatusEnum": "apps.activity.models.Asset.Status",
        "JobneedStatusEnum": "apps.activity.models.Jobneed.Status",
        "PermitStatusEnum": "apps.work_order_management.models.WorkPermit.Status",
        "ApproverRoleEnum": "apps.work_order_management.models.Approver.Identifier",
        "PermitDecisionEnum": ["APPROVED", "REJECTED"],
    },
}

# Logging: one JSON object per line in production, readable lines locally.
# ------------------------------------------------------------------------------
LOG_LEVEL = env("DJANGO_LOG_LEVEL", default="INFO")
LOG_FORMAT = env("DJANGO_LOG_FORMAT", default="json")
# Every record carries the correlation id of its request or task ("-" outside any).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "correlation_id": {"()": "apps.core.services.correlation.CorrelationIdFilter"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "formatters": {
        "json": {"()": "apps.core.logging.JsonFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s [%(correlation_id)s] %(name)s %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["correlation_id"]},
        "mail_admins": {
            "class": "django.utils.log.AdminEmailHandler",
            "level": "ERROR",
            "filters": ["require_debug_false"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's own configuration gives "django" a console handler of its own: its records would
        # be printed twice, once there and once by the root's handler they propagate to.
        "django": {"handlers": ["mail_admins"], "level": LOG_LEVEL, "propagate": True},
        "django.db.backends": {"level": "WARNING"},
    },
}
