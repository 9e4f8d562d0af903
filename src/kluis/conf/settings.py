"""Kluis settings: one module, read from environment variables with embedded defaults.

With no environment at all Kluis runs on SQLite and a local data directory, so `kluis demo` works
on a bare machine. Production sets KLUIS_ENVIRONMENT=production, which turns on every secure
default that `manage.py check --deploy` asks for and refuses to start without a real secret key.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"KLUIS_{name}", default)


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in (env(name) or default).split(",") if item.strip()]


BASE_DIR = Path(__file__).resolve().parent.parent
ENVIRONMENT = env("ENVIRONMENT", "development")
PRODUCTION = ENVIRONMENT == "production"
if ENVIRONMENT not in {"development", "production", "test"}:
    raise ImproperlyConfigured(
        f"KLUIS_ENVIRONMENT must be development, production or test, not {ENVIRONMENT!r}."
    )

DATA_DIR = Path(
    env("DATA_DIR")
    or os.path.join(os.environ.get("XDG_DATA_HOME", str(Path.home() / ".local" / "share")), "kluis")
).resolve()


def _secret_key() -> str:
    if key := env("SECRET_KEY"):
        return key
    if PRODUCTION:
        raise ImproperlyConfigured(
            "KLUIS_SECRET_KEY is not set. Production needs a long random secret key; generate one "
            "with: python -c 'import secrets; print(secrets.token_urlsafe(64))'"
        )
    # Development: a random key kept in the data directory, never in the repository.
    path = DATA_DIR / "secret_key"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(64))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
# Django's debug page shows settings and source to whoever triggers an error: only on request.
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "django_tasks",
    "django_tasks_db",
    "kluis.core",
    "kluis.organisations",
    "kluis.custody",
    "kluis.devices",
    "kluis.recordings",
    "kluis.retention",
    "kluis.reports",
    "kluis.viewing",
    "kluis.staff",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "kluis.conf.urls"
WSGI_APPLICATION = "kluis.conf.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

# Database: SQLite in the data directory unless KLUIS_DATABASE_URL says otherwise.
DATABASE_URL = env("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'kluis.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the task worker use one file at once; IMMEDIATE transactions
    # take the write lock up front, so concurrent writers wait instead of failing mid-way.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
    }
    DATABASES["default"].setdefault("TEST", {})["NAME"] = env("TEST_DATABASE_NAME")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "organisations.User"

# Footage storage: a local directory by default, or s3://bucket?endpoint=... (see docs/operator.md).
STORAGE_URL = env("STORAGE_URL") or f"file://{DATA_DIR / 'footage'}"
KEYSTORE_URL = env("KEYSTORE_URL") or f"file://{DATA_DIR / 'keys'}"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if ENVIRONMENT == "test":
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Dutch")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
# WhiteNoise serves static files from waitress: from STATIC_ROOT (`kluis serve` collects them),
# and outside production also straight from the apps, so tests and `manage runserver` need no
# collectstatic.
WHITENOISE_USE_FINDERS = not PRODUCTION
LOGIN_URL = "admin:login"

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "ingest", "redaction", "retention"],
    }
}
if ENVIRONMENT == "test" and not env_bool("TEST_REAL_TASKS", False):
    TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default", "ingest", "redaction", "retention"],
        }
    }

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PERMISSION_CLASSES": ["kluis.core.gate.IsVerifiedPerson"],
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "EXCEPTION_HANDLER": "kluis.core.problems.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kluis API",
    "DESCRIPTION": "Evidence management for municipal bodycams.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
}

EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env("EMAIL_HOST", "localhost")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "kluis@localhost")

# Security headers everywhere; HTTPS-only settings in production.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 3600
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(env("HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("KLUIS_ALLOWED_HOSTS must name the host names Kluis serves.")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Ingest, key store and footage storage (issue 5; docs/ingest.md, docs/storage.md) --------
# The master key wraps every key in the local key store: base64 of 32 random bytes, given
# directly or as a file. Development and tests generate one in the data directory; production
# refuses to start ingest without one (see kluis.devices.keystore).
MASTER_KEY = env("MASTER_KEY")
MASTER_KEY_FILE = env("MASTER_KEY_FILE")
# Uploads are staged here (sealed ciphertext only) until verified; keep it on the same file
# system as a file:// footage store so storing is a rename, not a copy.
UPLOAD_DIR = Path(env("UPLOAD_DIR") or DATA_DIR / "incoming")
UPLOAD_MAX_BYTES = int(env("UPLOAD_MAX_BYTES", str(16 * 1024**3)))
UPLOAD_PATCH_MAX_BYTES = int(env("UPLOAD_PATCH_MAX_BYTES", str(8 * 1024**2)))
CAMERA_CLOCK_SKEW_SECONDS = int(env("CAMERA_CLOCK_SKEW_SECONDS", "300"))
ENROLMENT_CODE_HOURS = int(env("ENROLMENT_CODE_HOURS", "72"))
# S3: Object Lock mode for stored footage when the bucket has Object Lock enabled.
S3_OBJECT_LOCK_MODE = env("S3_OBJECT_LOCK_MODE", "GOVERNANCE")
S3_PART_SIZE = int(env("S3_PART_SIZE", str(64 * 1024**2)))

# --- Audit trail (custody, issue 4) --------------------------------------------------------------
# The Ed25519 key that signs audit checkpoints stays outside the database: KLUIS_AUDIT_SIGNING_KEY
# (PEM, or base64 of the 32 raw bytes) or a file created with mode 0600 on first use.
AUDIT_SIGNING_KEY = env("AUDIT_SIGNING_KEY")
AUDIT_SIGNING_KEY_FILE = Path(
    env("AUDIT_SIGNING_KEY_FILE") or DATA_DIR / "keys" / "audit-signing.key"
)
# Every this many entries of a chain a checkpoint task is queued (0: only `kluis audit checkpoint`).
AUDIT_CHECKPOINT_EVERY = int(env("AUDIT_CHECKPOINT_EVERY", "1000"))

# --- Staff login with a TOTP second factor (issue 8; docs/staff-app.md) ----------------------
# Staff pages need a password and a verified TOTP device (django-otp). OTPMiddleware must come
# after AuthenticationMiddleware, which appending guarantees.
INSTALLED_APPS += ["django_otp", "django_otp.plugins.otp_totp"]
MIDDLEWARE += ["django_otp.middleware.OTPMiddleware"]
LOGIN_URL = "staff:login"
LOGIN_REDIRECT_URL = "staff:home"
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", "Kluis")
# A viewing session closes by itself after this many minutes, even if nobody ends it.
VIEWING_SESSION_MINUTES = int(env("VIEWING_SESSION_MINUTES", "120"))
# The most bytes one playback Range response carries: the player asks again for more, so an
# ended session stops the picture within one response.
VIEWING_MAX_RANGE_BYTES = int(env("VIEWING_MAX_RANGE_BYTES", str(2 * 1024**2)))
# Optional: staff log in with the municipality's own identity provider (OpenID Connect, through
# mozilla-django-oidc) instead of a Kluis password. Kluis still asks for its own TOTP code after.
# Only existing Kluis users whose claim matches their user name (or e-mail) get in; none is made.
OIDC_ENABLED = bool(env("OIDC_RP_CLIENT_ID"))
if OIDC_ENABLED:
    AUTHENTICATION_BACKENDS = [
        "kluis.staff.oidc.StaffOIDCBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
    OIDC_RP_CLIENT_ID = env("OIDC_RP_CLIENT_ID")
    OIDC_RP_CLIENT_SECRET = env("OIDC_RP_CLIENT_SECRET", "")
    OIDC_OP_AUTHORIZATION_ENDPOINT = env("OIDC_OP_AUTHORIZATION_ENDPOINT")
    OIDC_OP_TOKEN_ENDPOINT = env("OIDC_OP_TOKEN_ENDPOINT")
    OIDC_OP_USER_ENDPOINT = env("OIDC_OP_USER_ENDPOINT")
    OIDC_OP_JWKS_ENDPOINT = env("OIDC_OP_JWKS_ENDPOINT")
    OIDC_RP_SIGN_ALGO = env("OIDC_RP_SIGN_ALGO", "RS256")
    OIDC_RP_SCOPES = env("OIDC_RP_SCOPES", "openid email profile")
    OIDC_USERNAME_CLAIM = env("OIDC_USERNAME_CLAIM", "preferred_username")
    OIDC_CREATE_USER = False
    LOGIN_REDIRECT_URL_FAILURE = "staff:login"
    # kluis.staff.urls includes the OIDC views, so their names carry the "staff:" namespace.
    OIDC_AUTHENTICATION_CALLBACK_URL = "staff:oidc_authentication_callback"
    missing = [
        name
        for name in ("OIDC_OP_AUTHORIZATION_ENDPOINT", "OIDC_OP_TOKEN_ENDPOINT",
                     "OIDC_OP_USER_ENDPOINT", "OIDC_OP_JWKS_ENDPOINT")
        if not globals()[name]
    ]
    if missing:
        raise ImproperlyConfigured(
            "KLUIS_OIDC_RP_CLIENT_ID is set, so OIDC login is on; also set "
            + ", ".join(f"KLUIS_{m}" for m in missing)
            + " (from your identity provider's /.well-known/openid-configuration)."
        )

# --- Login protection: lockout, activation codes, recovery codes (issue 13; docs/staff-app.md) --
# django-axes counts failed logins (a wrong password, code, recovery or activation code, also
# when co-signing) by user name and, separately, by address; past the limit every attempt gets
# the same message as a wrong password until the cool-off ends or an administrator unlocks it.
# No AxesMiddleware: the login form says it itself, so a lockout never shows as a lockout.
INSTALLED_APPS += ["axes", "django_otp.plugins.otp_static"]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    *globals().get("AUTHENTICATION_BACKENDS", ["django.contrib.auth.backends.ModelBackend"]),
]
AXES_ENABLED = True
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = int(env("LOGIN_FAILURE_LIMIT", "10"))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # the audit trail records every attempt; axes need not log each too
# Hours a lockout lasts by itself; 0: until an administrator unlocks it.
AXES_COOLOFF_TIME = int(env("LOGIN_LOCKOUT_HOURS", "1")) or None
# The address failures are counted by: REMOTE_ADDR, or behind KLUIS_PROXY_COUNT reverse proxies
# the address the outermost of them saw (X-Forwarded-For), never one a client can make up.
PROXY_COUNT = int(env("PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "kluis.staff.auth.client_ip"
AXES_SENSITIVE_PARAMETERS = ["password", "code"]
SILENCED_SYSTEM_CHECKS = [*globals().get("SILENCED_SYSTEM_CHECKS", []), "axes.W002"]
# An administrator's activation code for a first login (or after an authenticator reset).
ACTIVATION_CODE_HOURS = int(env("ACTIVATION_CODE_HOURS", "72"))
RECOVERY_CODE_COUNT = 10

# --- Bad input and headers (issue 13; docs/operator.md) --------------------------------------
# Every request body is small unless its view says otherwise (kluis.core.middleware.large_body:
# only the camera's signed upload PATCH); a larger Content-Length is refused with 413 unread.
REQUEST_MAX_BYTES = int(env("REQUEST_MAX_BYTES", str(1024**2)))
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_MAX_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = REQUEST_MAX_BYTES
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "kluis.core.middleware.BodyLimitMiddleware",
)
MIDDLEWARE.insert(0, "kluis.core.middleware.SecurityHeadersMiddleware")
# Content-Security-Policy (django-csp): scripts and styles only from our own static files.
INSTALLED_APPS += ["csp"]
MIDDLEWARE.insert(
    MIDDLEWARE.index("kluis.core.middleware.SecurityHeadersMiddleware") + 1,
    "csp.middleware.CSPMiddleware",
)
# One exception to "no inline": the custody report keeps its styles in the page, because the
# same template is rendered to PDF by WeasyPrint, which loads no static files; a per-response
# nonce admits that one <style> block and nothing else.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", NONCE],
        "img-src": ["'self'", "data:"],
        "media-src": ["'self'"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# JSON nested too deeply is a 400 like any other malformed body (kluis.core.parsers).
REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = [
    "kluis.core.parsers.SafeJSONParser",
    "rest_framework.parsers.FormParser",
    "rest_framework.parsers.MultiPartParser",
]
