"""Settings for the MDM, read from the environment (SPEC §1).

`DATABASE_URL` chooses the database (embedded SQLite by default), `MDM_QUEUE` the django-q2
broker (`orm` or a `redis://` URL), `MDM_HTTPS` turns on the settings that only make sense
behind TLS.
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    """An environment flag: 1/true/yes/on are true."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY") or "insecure-dev-key-set-SECRET_KEY-in-production"
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "django_q",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "connectors",
    "profiles",
    "governance",
    "access",
    "audit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
]

ROOT_URLCONF = "mdm.urls"
WSGI_APPLICATION = "mdm.wsgi.application"

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
            ],
            "builtins": ["django.contrib.humanize.templatetags.humanize"],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Parameters travel separately from the SQL instead of being quoted into it client-side:
    # several times faster for the large bulk statements of imports and match runs.
    DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = True
    # JIT compilation pays off for long analytical queries; for the short queries of pages and
    # the API its compile time (150 ms and more at a million records) is pure latency.
    DATABASES["default"]["OPTIONS"].setdefault("options", "-c jit=off")
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while an import or a resolve writes; the busy timeout
    # makes a writer wait for the lock instead of failing at once.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedStaticFilesStorage"
        )
    },
}
# Serve from the app finders too, so `runserver` with DEBUG off works without collectstatic.
WHITENOISE_USE_FINDERS = True

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# Security headers that hold over plain http too; the TLS-only ones follow MDM_HTTPS.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
MDM_HTTPS = env_bool("MDM_HTTPS", False)
if MDM_HTTPS:
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Audit trail (audit app): days entries are kept before `manage.py audit_purge` may delete them;
# login throttle: failed logins per user name / per address within the window before further
# attempts are refused until it has passed. Passwords go through the throttled backend.
MDM_AUDIT_RETENTION_DAYS = int(os.environ.get("MDM_AUDIT_RETENTION_DAYS", "365"))
MDM_LOGIN_FAILURE_LIMIT = int(os.environ.get("MDM_LOGIN_FAILURE_LIMIT", "5"))
MDM_LOGIN_IP_FAILURE_LIMIT = int(os.environ.get("MDM_LOGIN_IP_FAILURE_LIMIT", "20"))
MDM_LOGIN_THROTTLE_SECONDS = int(os.environ.get("MDM_LOGIN_THROTTLE_SECONDS", "900"))
# Behind a reverse proxy: the request header (META key) holding the client address it sets.
MDM_CLIENT_IP_HEADER = os.environ.get("MDM_CLIENT_IP_HEADER", "")
AUTHENTICATION_BACKENDS = ["audit.backends.ThrottledModelBackend"]

# Background work: django-q2 on the ORM broker by default, Redis for many worker machines.
MDM_QUEUE = os.environ.get("MDM_QUEUE", "orm")
Q_CLUSTER = {
    "name": "mdm",
    "workers": int(os.environ.get("MDM_WORKERS", "2")),
    "timeout": 3600,
    "retry": 3700,
    "max_attempts": 1,
    "catch_up": False,
    "label": "Background tasks",
}
if MDM_QUEUE.startswith("redis://"):
    Q_CLUSTER["redis"] = MDM_QUEUE
else:
    Q_CLUSTER["orm"] = "default"

# The REST API (SPEC §4): hashed scoped tokens (or a page session), JSON only, one error
# format, cursor pagination, a rate limit per token (MDM_API_RATE, e.g. "6000/min").
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "access.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["access.permissions.ScopePermission"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["mdm.api_parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "mdm.api_schema.ApiAutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "mdm.api.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": ["access.throttling.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"token": os.environ.get("MDM_API_RATE", "6000/min")},
    "EXCEPTION_HANDLER": "mdm.api.api_exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Customer MDM API",
    "DESCRIPTION": "Golden records, source-record upserts, the changes feed, match review and governance. "
    "Authenticate with `Authorization: Token <token>` (`manage.py issue_token`).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "CustomerStatusEnum": "profiles.choices.CustomerStatus",
        "PairStatusEnum": "profiles.choices.PairStatus",
        "ChangeKindEnum": "profiles.choices.ChangeKind",
        "WebhookEventTypeEnum": "connectors.models.WebhookEventType",
    },
    # Swagger UI from the drf-spectacular-sidecar static files (whitenoise), never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Import tuning: rows per database round trip, and the largest field kept in a raw payload.
MDM_IMPORT_BATCH_SIZE = int(os.environ.get("MDM_IMPORT_BATCH_SIZE", "2000"))
# Largest request body the API accepts (upserts of up to 1000 records): bigger ones get a 413.
# Django's own limit follows it so that reading the body never fails first with a 400.
MDM_API_MAX_BODY_BYTES = int(os.environ.get("MDM_API_MAX_BODY_BYTES", str(10 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = MDM_API_MAX_BODY_BYTES

# Webhooks (outbound sync): seconds a subscriber has to answer; retry n waits about
# BASE * 2**(n-1) seconds (at most CAP, plus up to 10% jitter); attempts before dead-lettering.
MDM_WEBHOOK_TIMEOUT = float(os.environ.get("MDM_WEBHOOK_TIMEOUT", "10"))
MDM_WEBHOOK_BACKOFF_BASE = float(os.environ.get("MDM_WEBHOOK_BACKOFF_BASE", "30"))
MDM_WEBHOOK_BACKOFF_CAP = float(os.environ.get("MDM_WEBHOOK_BACKOFF_CAP", "21600"))
MDM_WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("MDM_WEBHOOK_MAX_ATTEMPTS", "8"))


LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
