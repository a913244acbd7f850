"""Assay settings, read only from environment variables.

Laptop defaults are embedded (SQLite, a filesystem Celery broker, blobs on the
local disk); production and CI set DATABASE_URL, CELERY_BROKER_URL and
ASSAY_STORAGE. See README.md for the full list.
"""

import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from governance.environment import (
    env_bool,
    env_int,
    env_keyring,
    env_list,
    env_size,
    env_str,
    weak_secret_key,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("ASSAY_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("ASSAY_DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when ASSAY_DEBUG is off "
            "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))')"
        )
    SECRET_KEY = "insecure-debug-only-key"  # noqa: S105 - only reachable with ASSAY_DEBUG on
elif not DEBUG and (_weak_key := weak_secret_key(SECRET_KEY)):
    raise ImproperlyConfigured(
        f"SECRET_KEY is too weak: {_weak_key} (generate one with: python -c 'import secrets; "
        "print(secrets.token_urlsafe(50))')")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "audit",
    "accounts",
    "registry",
    "explain",
    "governance",
    "governance.workflow",
    "governance.reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "audit.middleware.RequestContextMiddleware",
    "governance.middleware.ContentSecurityPolicyMiddleware",
    "governance.middleware.RefuseNulCharactersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "governance.middleware.RefuseNulInFormsMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "governance.urls"
WSGI_APPLICATION = "governance.wsgi.application"

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
                "governance.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'assay.sqlite3'}"),
        conn_max_age=env_int("ASSAY_DB_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers wait for the lock instead of failing at once; WAL lets readers go on.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # A file, not memory, so a real worker process in the tests sees the test data.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
# PostgreSQL deployments run as a runtime role that owns nothing (DATABASE_URL) and
# migrate as the schema's owner (DATABASE_MIGRATION_URL, used by `manage.py migrate`
# only); after migrating, the runtime role is granted what it needs, and only INSERT and
# SELECT on the audit trail (audit/database_roles.py; README, "Database roles").
ASSAY_DB_RUNTIME_ROLE = ""
if env_str("DATABASE_MIGRATION_URL", "") and \
        DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    ASSAY_DB_RUNTIME_ROLE = DATABASES["default"]["USER"]
    if sys.argv[1:2] == ["migrate"]:
        DATABASES["default"] = dj_database_url.parse(env_str("DATABASE_MIGRATION_URL"),
                                                     conn_max_age=0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Password sign-in for people only (service accounts use tokens), with lock-outs:
# ASSAY_LOGIN_FAILURES_PER_ACCOUNT wrong passwords for one username, or
# ASSAY_LOGIN_FAILURES_PER_ADDRESS from one address, within ASSAY_LOCKOUT_SECONDS lock
# it out (429); ASSAY_SIGNATURE_FAILURES_PER_ACCOUNT wrong signature passwords likewise.
AUTHENTICATION_BACKENDS = ["accounts.backends.PeopleOnlyBackend"]
ASSAY_LOCKOUT_SECONDS = env_int("ASSAY_LOCKOUT_SECONDS", 15 * 60)
ASSAY_LOGIN_FAILURES_PER_ACCOUNT = env_int("ASSAY_LOGIN_FAILURES_PER_ACCOUNT", 5)
ASSAY_LOGIN_FAILURES_PER_ADDRESS = env_int("ASSAY_LOGIN_FAILURES_PER_ADDRESS", 20)
ASSAY_SIGNATURE_FAILURES_PER_ACCOUNT = env_int("ASSAY_SIGNATURE_FAILURES_PER_ACCOUNT", 5)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "governance" / "static"]
# Serve straight from the source folders too, so a fresh checkout works before collectstatic.
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# Blob storage: content-addressed artifacts and datasets.
ASSAY_STORAGE = env_str("ASSAY_STORAGE", "file")
if ASSAY_STORAGE == "file":
    _blob_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": env_str("ASSAY_BLOB_ROOT", str(VAR_DIR / "blobs"))},
    }
elif ASSAY_STORAGE == "s3":
    _blob_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("ASSAY_S3_BUCKET"),
            "endpoint_url": env_str("ASSAY_S3_ENDPOINT_URL"),
            "access_key": env_str("ASSAY_S3_ACCESS_KEY"),
            "secret_key": env_str("ASSAY_S3_SECRET_KEY"),
            "file_overwrite": False,
        },
    }
else:
    raise ImproperlyConfigured(f"ASSAY_STORAGE must be 'file' or 's3', got {ASSAY_STORAGE!r}")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "blobs": _blob_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

ASSAY_MAX_ARTIFACT_BYTES = env_size("ASSAY_MAX_ARTIFACT_BYTES", "512MB")
ASSAY_MAX_DATASET_BYTES = env_size("ASSAY_MAX_DATASET_BYTES", "2GB")
# Uploads stream to a temporary file past this size instead of staying in memory.
# Uploads are inspected from metadata before anything decodes them in the web process
# (registry/upload_bounds.py): 413 past any of these.
ASSAY_DATASET_MAX_ROWS = env_int("ASSAY_DATASET_MAX_ROWS", 20_000_000)
ASSAY_DATASET_MAX_COLUMNS = env_int("ASSAY_DATASET_MAX_COLUMNS", 5_000)
ASSAY_UPLOAD_MAX_EXPANDED_BYTES = env_size("ASSAY_UPLOAD_MAX_EXPANDED_BYTES", "2GB")
ASSAY_UPLOAD_MAX_COMPRESSION_RATIO = env_int("ASSAY_UPLOAD_MAX_COMPRESSION_RATIO", 200)
# Tree artifacts (XGBoost, LightGBM) are loaded completely at registration in a child
# process: the address space that loading may add, and its wall-clock limit.
ASSAY_ARTIFACT_CHECK_MEMORY_BYTES = env_size("ASSAY_ARTIFACT_CHECK_MEMORY_BYTES", "2GB")
ASSAY_ARTIFACT_CHECK_SECONDS = env_int("ASSAY_ARTIFACT_CHECK_SECONDS", 60)
FILE_UPLOAD_MAX_MEMORY_SIZE = env_size("ASSAY_UPLOAD_MEMORY_BYTES", "4MB")
FILE_UPLOAD_TEMP_DIR = env_str("ASSAY_UPLOAD_TEMP_DIR")
# Keys the database does not hold (audit/keys.py): keyed audit hashes, signed records.
ASSAY_SERVER_KEYS = env_keyring("ASSAY_SERVER_KEYS")
# Private Ed25519 keys that sign audit packs, one PEM file per key id (create_signing_key).
ASSAY_SIGNING_KEY_DIR = Path(env_str("ASSAY_SIGNING_KEY_DIR", str(VAR_DIR / "signing-keys")))
# Untrusted JSON (API bodies, multipart metadata and roles): size, nesting, string length;
# the most items one list page returns (docs/SECURITY.md).
ASSAY_MAX_JSON_BYTES = env_size("ASSAY_MAX_JSON_BYTES", "1MB")
ASSAY_MAX_JSON_DEPTH = env_int("ASSAY_MAX_JSON_DEPTH", 32)
ASSAY_MAX_TEXT_CHARS = env_int("ASSAY_MAX_TEXT_CHARS", 20_000)
ASSAY_API_MAX_PAGE_SIZE = env_int("ASSAY_API_MAX_PAGE_SIZE", 500)
ASSAY_TOKEN_DEFAULT_LIFETIME = env_str("ASSAY_TOKEN_DEFAULT_LIFETIME", "90d")

# Celery: the embedded filesystem broker needs no server (laptop default).
_broker_dir = VAR_DIR / "broker"
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # Without this kombu writes its broadcast exchanges into the working directory.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    for _folder in ("queue", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 3}
CELERY_BROKER_CONNECTION_TIMEOUT = env_int("ASSAY_BROKER_TIMEOUT", 4)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "cpu"
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env_bool("ASSAY_CELERY_EAGER", False)
# Workers listen on cpu (default), gpu (heavy TreeSHAP/scoring on a CUDA host) and
# reports (PDF packs): `celery -A governance worker -Q cpu,reports`.
CELERY_BEAT_SCHEDULE = {
    "reap-stale-evidence-runs": {
        "task": "explain.reap_stale_evidence_runs",
        "schedule": env_int("ASSAY_EVIDENCE_REAPER_SECONDS", 60)},
    "dispatch-pending-evidence-runs": {
        "task": "explain.dispatch_pending_evidence_runs",
        "schedule": env_int("ASSAY_EVIDENCE_SWEEPER_SECONDS", 60)},
    "send-pending-webhooks": {
        "task": "workflow.send_pending_webhooks",
        "schedule": env_int("ASSAY_WEBHOOK_SWEEPER_SECONDS", 60)},
    # Re-hash stored files in turn (bounded per run) and collect orphan files.
    "verify-blobs-rolling": {
        "task": "registry.verify_blobs_rolling",
        "schedule": env_int("ASSAY_BLOB_VERIFY_SECONDS", 600)},
    # The audit trail's head, signed, written to the blob store (audit/anchors.py).
    "anchor-audit-chain-head": {
        "task": "audit.anchor_chain_head",
        "schedule": env_int("ASSAY_AUDIT_ANCHOR_SECONDS", 300)},
    # The whole chain against the latest anchor, plus the deep checks; alerts on failure.
    "verify-audit-chain": {
        "task": "audit.verify_chain",
        "schedule": env_int("ASSAY_AUDIT_VERIFY_SECONDS", 3600)},
    "verify-workflow-records": {
        "task": "workflow.verify_records",
        "schedule": env_int("ASSAY_VERIFY_RECORDS_SECONDS", 3600)},
}
ASSAY_BLOB_VERIFY_BYTES_PER_RUN = env_size("ASSAY_BLOB_VERIFY_BYTES_PER_RUN", "2GB")
ASSAY_BLOB_VERIFY_MAX_PER_RUN = env_int("ASSAY_BLOB_VERIFY_MAX_PER_RUN", 1000)
ASSAY_BLOB_ORPHAN_GRACE_SECONDS = env_int("ASSAY_BLOB_ORPHAN_GRACE_SECONDS", 24 * 3600)
# After a failed send, a process leaves dispatch to the sweepers for this long.
ASSAY_BROKER_BACKOFF_SECONDS = env_int("ASSAY_BROKER_BACKOFF_SECONDS", 30)
# Where anchors of the audit chain are written (a STORAGES alias outside the database),
# and who is e-mailed when the periodic verification fails.
ASSAY_AUDIT_ANCHOR_STORAGE = env_str("ASSAY_AUDIT_ANCHOR_STORAGE", "blobs")
ASSAY_CHAIN_ALERT_GROUP = "Risk officer"
ASSAY_CHAIN_ALERT_EMAILS = env_list("ASSAY_CHAIN_ALERT_EMAILS", [])

# Evidence runs: which kinds registration asks for, per risk tier (the workflow's
# editable tier policy builds on this default), and how dead workers are detected.
ASSAY_EVIDENCE_POLICY = {
    1: env_list("ASSAY_EVIDENCE_TIER_1",
                ["scoring", "performance", "shap", "reason_codes", "fairness", "drift"]),
    2: env_list("ASSAY_EVIDENCE_TIER_2", ["performance", "shap", "fairness", "drift"]),
    3: env_list("ASSAY_EVIDENCE_TIER_3", ["performance"]),
}
_unknown_kinds = {kind for kinds in ASSAY_EVIDENCE_POLICY.values() for kind in kinds} - {
    "scoring", "performance", "shap", "reason_codes", "fairness", "drift"}
if _unknown_kinds:
    raise ImproperlyConfigured(f"ASSAY_EVIDENCE_TIER_*: unknown kinds {sorted(_unknown_kinds)}")
ASSAY_EVIDENCE_HEARTBEAT_SECONDS = env_int("ASSAY_EVIDENCE_HEARTBEAT_SECONDS", 10)
ASSAY_EVIDENCE_HEARTBEAT_TIMEOUT = env_int("ASSAY_EVIDENCE_HEARTBEAT_TIMEOUT", 120)
ASSAY_EVIDENCE_MAX_ATTEMPTS = env_int("ASSAY_EVIDENCE_MAX_ATTEMPTS", 3)
# Time limits per evidence kind (Celery soft_time_limit, per task and per chunk): past the
# soft limit the run fails with a clear reason; the hard limit (soft + the extra) kills
# the worker child that did not stop, and the run says so.
_EVIDENCE_SECONDS = {"scoring": 900, "performance": 900, "shap": 3600, "reason_codes": 3600,
                     "fairness": 900, "drift": 900}
ASSAY_EVIDENCE_SOFT_TIME_LIMITS = {
    kind: env_int(f"ASSAY_EVIDENCE_SECONDS_{kind.upper()}", seconds)
    for kind, seconds in _EVIDENCE_SECONDS.items()}
ASSAY_EVIDENCE_HARD_LIMIT_EXTRA_SECONDS = env_int("ASSAY_EVIDENCE_HARD_LIMIT_EXTRA_SECONDS", 60)
# A cancelled run stops at its next cooperative check (noticed within a heartbeat); work
# that has not stopped this long after is terminated (its worker child is killed).
ASSAY_EVIDENCE_CANCEL_GRACE_SECONDS = env_int("ASSAY_EVIDENCE_CANCEL_GRACE_SECONDS", 30)

# Workflow: links in e-mails and webhooks, mail (console in the demo), webhook retries.
ASSAY_PUBLIC_URL = env_str("ASSAY_PUBLIC_URL", "http://127.0.0.1:8000")
EMAIL_BACKEND = env_str("ASSAY_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = env_str("ASSAY_EMAIL_FILE_PATH", str(VAR_DIR / "mail"))  # file backend only
EMAIL_HOST = env_str("ASSAY_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("ASSAY_EMAIL_PORT", 25)
DEFAULT_FROM_EMAIL = env_str("ASSAY_EMAIL_FROM", "assay@localhost")
ASSAY_WEBHOOK_MAX_ATTEMPTS = env_int("ASSAY_WEBHOOK_MAX_ATTEMPTS", 6)
ASSAY_WEBHOOK_TIMEOUT_SECONDS = env_int("ASSAY_WEBHOOK_TIMEOUT_SECONDS", 10)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "registry.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "registry.api.parsers.LimitedJSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "registry.api.problems.problem_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "registry.api.pagination.BoundedLimitOffsetPagination",
    "PAGE_SIZE": 100,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Assay API",
    "DESCRIPTION": "Register model versions and datasets from CI; read the model inventory.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "inventory"
LOGOUT_REDIRECT_URL = "login"

# Secure by default; a laptop demo over plain http turns these off with ASSAY_DEBUG.
_secure = env_bool("ASSAY_SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_SECURE = _secure
CSRF_COOKIE_SECURE = _secure
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("ASSAY_SESSION_SECONDS", 8 * 3600)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("ASSAY_SSL_REDIRECT", False)
# Browsers keep to https for a year once they have seen the site over TLS (when cookies are
# secure, i.e. not in debug mode); ASSAY_HSTS_SECONDS=0 turns it off.
SECURE_HSTS_SECONDS = env_int("ASSAY_HSTS_SECONDS", 365 * 24 * 3600 if _secure else 0)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool(
    "ASSAY_BEHIND_TLS_PROXY", False) else None

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("ASSAY_LOG_LEVEL", "INFO")},
    # Libraries' chatter (PDF font subsetting, HTTP clients) stays out of the console.
    "loggers": {name: {"level": "WARNING"} for name in (
        "httpx", "httpcore", "fontTools", "weasyprint", "PIL", "matplotlib")},
}
ASSAY_SERVICE_ACCOUNT_GROUP = "CI service account"
