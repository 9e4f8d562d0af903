"""The installed apps, the middleware stack, templates and static files: each list in full, once."""

from __future__ import annotations

from .base import DATA_DIR, PRODUCTION

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
    # Login protection (see auth.py): TOTP devices, recovery codes and failed-login counting.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_otp.plugins.otp_static",
    # Content-Security-Policy header (see security.py).
    "csp",
]

MIDDLEWARE = [
    # Our own security headers and the CSP come first, so even an early refusal carries them.
    "kluis.core.middleware.SecurityHeadersMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # A too-large body is refused with 413 before anything reads it (see security.py).
    "kluis.core.middleware.BodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Staff pages need a verified TOTP device; django-otp reads it after authentication.
    # No AxesMiddleware: the login form reports a lockout as a wrong password (see auth.py).
    "django_otp.middleware.OTPMiddleware",
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

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
# WhiteNoise serves static files from waitress: from STATIC_ROOT (`kluis serve` collects them),
# and outside production also straight from the apps, so tests and `manage runserver` need no
# collectstatic.
WHITENOISE_USE_FINDERS = not PRODUCTION
