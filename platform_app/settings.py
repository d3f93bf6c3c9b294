"""Settings for the platform, driven by environment variables only.

Nothing set: SQLite file database and kombu's filesystem broker, so `make run` needs only Python.
DATABASE_URL / REDIS_URL switch to PostgreSQL and Redis. DJANGO_ENV=production hardens everything.
"""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DJANGO_ENV = os.environ.get("DJANGO_ENV", "development")
PRODUCTION = DJANGO_ENV == "production"

DEBUG = env_bool("DEBUG", default=not PRODUCTION)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when DJANGO_ENV=production.")
    SECRET_KEY = "insecure-development-key-never-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# The public address links in emails start with (emails are sent by the worker, which has no
# request to read it from). Required in production; `make run` sets it to the address it serves.
SITE_URL = os.environ.get("SITE_URL", "").rstrip("/")
if not SITE_URL:
    if PRODUCTION:
        raise ImproperlyConfigured(
            "SITE_URL must be set when DJANGO_ENV=production (e.g. https://hocvuso.example.vn)."
        )
    SITE_URL = f"http://127.0.0.1:{os.environ.get('PORT', '8000')}"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_celery_beat",
    "csp",
    "audit",
    "units",
    "accounts",
    "courses",
    "reports",
    "platform_app",
]
# Development-only tools (generated data set, benchmarks): never installed in production.
if DJANGO_ENV in ("development", "test"):
    INSTALLED_APPS.append("loadtest")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "platform_app.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "platform_app.middleware.SecurityHeadersMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Inside every middleware that adds headers; runs before any view reads the body.
    "platform_app.middleware.RequestGuardMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.SecondFactorRequiredMiddleware",
]

ROOT_URLCONF = "platform_app.urls"
WSGI_APPLICATION = "platform_app.wsgi.application"
ASGI_APPLICATION = "platform_app.asgi.application"

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
            ],
        },
    },
]

# Database ------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # Web and worker write at once: WAL, a busy timeout and immediate transactions avoid "locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if REPLICA_URL := os.environ.get("REPLICA_DATABASE_URL", ""):  # officials' figures: reports.replica
    DATABASES["replica"] = {**dj_database_url.parse(REPLICA_URL), "TEST": {"MIRROR": "default"}}
DATABASE_ROUTERS = ["reports.replica.ReportReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache and broker ------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
# While Redis does not answer, the cache is a database table (platform_app.cache): sessions,
# log-in limits and report pages keep working. The table exists in every configuration.
DATABASE_CACHE = {
    "BACKEND": "django.core.cache.backends.db.DatabaseCache",
    "LOCATION": "cache_fallback",
    "KEY_PREFIX": "",
    "OPTIONS": {"MAX_ENTRIES": 200_000},
}
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "platform_app.cache.FallbackCache",
            "OPTIONS": {"PRIMARY": "redis", "FALLBACK": "database"},
        },
        "redis": {
            "BACKEND": "platform_app.cache.ReusedClientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "bdhvs"),
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        },
        "database": DATABASE_CACHE,
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
else:
    broker_dir = VAR_DIR / "broker"
    for sub in ("out", "processed", "results", "control"):
        (broker_dir / sub).mkdir(parents=True, exist_ok=True)
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        },
        "database": DATABASE_CACHE,
    }
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(broker_dir / "out"),
        "data_folder_out": str(broker_dir / "out"),
        "processed_folder": str(broker_dir / "processed"),
        "control_folder": str(broker_dir / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = f"file://{broker_dir / 'results'}"

# Celery ----------------------------------------------------------------------
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_TIME_LIMIT = int(os.environ.get("CELERY_TASK_TIME_LIMIT", 30 * 60))
CELERY_TASK_SOFT_TIME_LIMIT = int(os.environ.get("CELERY_TASK_SOFT_TIME_LIMIT", 25 * 60))
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TIMEZONE = "Asia/Ho_Chi_Minh"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# One queue per kind of work, so 10,000 invitation emails never delay statistics or exports. A
# worker started without -Q takes every queue (development, tests); in production each queue
# has workers of its own (docker-compose.yml).
CELERY_TASK_QUEUES = [Queue(q, routing_key=q) for q in ("celery", "stats", "exports", "email")]
CELERY_TASK_ROUTES = {
    "reports.stats_*": {"queue": "stats"},
    "reports.export*": {"queue": "exports"},
    "accounts.invitation*": {"queue": "email"},
    "courses.assignment_reminders_send": {"queue": "email"},
}

# Auth and accounts -------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}Validator"}
    for name in ("UserAttributeSimilarity", "MinimumLength", "CommonPassword", "NumericPassword")
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = os.environ.get("ACCOUNT_EMAIL_VERIFICATION", "mandatory")
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_UNIQUE_EMAIL = True
# Sign-up and password reset answer alike for known and unknown addresses; the owner of a known
# address is told by email that someone tried (allauth's ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS default).
ACCOUNT_PREVENT_ENUMERATION = True
# Failed log-ins only (a successful one gives its attempt back): 5 per account in 5 minutes, 30
# per address a minute. A class of 60 behind one NAT, typos included, stays far below; all
# attempts, failed or not, 300 per address a minute.
ACCOUNT_RATE_LIMITS = {
    "login": "300/m/ip",
    "login_failed": "30/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "change_password": "5/m/user",
}
# X-Forwarded-For is believed only through this many reverse proxies in front of the site; with
# 0 (no proxy) the header is ignored and the connection's address counts.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", 0))
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
ACCOUNT_FORMS = {"signup": "accounts.forms.SignupForm"}
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Bình dân học vụ số] "
ACCOUNT_EMAIL_NOTIFICATIONS = True

# Second factor: TOTP with recovery codes; required of officials, content administrators and
# superusers before these paths (accounts.middleware), optional for learners.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Bình dân học vụ số"
MFA_TOTP_TOLERANCE = 1  # a 30-second step either side: cheap phones keep loose time
MFA_ADAPTER = "accounts.adapter.MFAAdapter"
SECOND_FACTOR_PATHS = ("/admin/", "/reports/", "/preview/")

# Email -----------------------------------------------------------------------------
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", 587))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Bình dân học vụ số <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Internationalisation ------------------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_SECURE = PRODUCTION
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

# Static and media ------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Files only permission-checked views may serve (report exports); never under MEDIA_URL.
PRIVATE_ROOT = Path(os.environ.get("PRIVATE_ROOT", VAR_DIR / "private"))
# Uploaded learner files wait here between the dry run and the confirmation (shared by web nodes).
LEARNER_IMPORT_DIR = Path(os.environ.get("LEARNER_IMPORT_DIR", VAR_DIR / "learner-imports"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns when it is missing
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Upload and input limits (bytes). A body over its page's limit is refused from its
# Content-Length before it is read (platform_app.middleware); each file field checks its own
# kind's limit too. The reverse proxy's body limit (nginx: client_max_body_size) must be at
# least the largest of these.
MB = 1024 * 1024
VIDEO_MAX_BYTES = int(os.environ.get("VIDEO_MAX_BYTES", 1024 * MB))
IMAGE_MAX_BYTES = int(os.environ.get("IMAGE_MAX_BYTES", 5 * MB))
ATTACHMENT_MAX_BYTES = int(os.environ.get("ATTACHMENT_MAX_BYTES", 50 * MB))
COURSE_IMPORT_MAX_ARCHIVE_BYTES = int(os.environ.get("COURSE_IMPORT_MAX_ARCHIVE_BYTES", 200 * MB))
LEARNER_FILE_MAX_BYTES = int(os.environ.get("LEARNER_FILE_MAX_BYTES", 25 * MB))
# Any other request: forms without files, and the fields of a form with files.
REQUEST_MAX_BYTES = int(os.environ.get("REQUEST_MAX_BYTES", 10 * MB))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * MB  # the non-file part of a request; a long lesson text fits

# Sessions are read from the cache (Redis when configured) and written through to the
# database, so a page view costs no session query and a cache flush logs nobody out.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Security ------------------------------------------------------------------------------
# Django's defaults stay: HttpOnly and SameSite=Lax cookies, X-Frame-Options DENY, nosniff.
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 31536000))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Lesson videos may be embedded from these hosts only (HTTPS), and framed by nothing else.
VIDEO_EMBED_HOSTS = ["www.youtube-nocookie.com", "www.youtube.com", "player.vimeo.com"]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "media-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-src": [f"https://{host}" for host in VIDEO_EMBED_HOSTS],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [NONE],
        "object-src": [NONE],
        "report-uri": "/csp-report/",
    },
}
_VIDEO_ORIGINS = " ".join(f'"https://{host}"' for host in VIDEO_EMBED_HOSTS)
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
    f"fullscreen=(self {_VIDEO_ORIGINS})"
)
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Schedules (installed into django-celery-beat's tables when beat starts).
def _at(hour: int, minute: int) -> crontab:
    return crontab(hour=hour, minute=minute)


_EXPIRE = {"expires": 60}  # a run every minute or less: a late one is dropped, not stacked

CELERY_BEAT_SCHEDULE = {
    "stats-incremental": {
        "task": "reports.stats_incremental",
        "schedule": float(os.environ.get("STATS_INCREMENTAL_SECONDS", 20)),
        "options": _EXPIRE,
    },
    "stats-full-rebuild-nightly": {"task": "reports.stats_full_rebuild", "schedule": _at(2, 15)},
    "stats-runs-purge-daily": {"task": "reports.stats_runs_purge", "schedule": _at(3, 30)},
    "assignment-reminders-daily": {
        "task": "courses.assignment_reminders_send",
        "schedule": _at(7, 0),
    },
    "exports-purge-daily": {"task": "reports.exports_purge", "schedule": _at(3, 0)},
    # Exports whose message was lost, or whose worker died, are sent again.
    "exports-sweep": {"task": "reports.exports_sweep", "schedule": 60.0, "options": _EXPIRE},
}
EXPORT_RETENTION_DAYS = 7
EXPORT_REDISPATCH_AFTER_S = 120  # a pending export is sent to the workers again after this
EXPORT_MAX_ATTEMPTS = 3  # builds tried before the export says it failed
EXPORT_WAIT_NOTICE_S = 60  # the status page says the server has not picked it up yet
STATS_RUN_RETENTION_DAYS = 30  # runs kept (full rebuilds and the latest always are)
STATS_CACHE_LOCK_TTL_S = 20  # SQLite only: PostgreSQL holds an advisory lock instead
# How far the statistics engine's watermarks trail a run's start (longest write transaction).
STATS_WATERMARK_MARGIN_S = int(os.environ.get("STATS_WATERMARK_MARGIN_S", 60))
