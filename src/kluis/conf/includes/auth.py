"""Staff login: users and passwords, the TOTP second factor, optional OIDC single sign-on, and
login protection (lockout, activation codes, recovery codes). See docs/staff-app.md.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from .base import ENVIRONMENT, env

AUTH_USER_MODEL = "organisations.User"
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
    # A slow hasher is the point in production and only slows the test suite.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Staff pages need a password and a verified TOTP device (django-otp), also after OIDC.
LOGIN_URL = "staff:login"
LOGIN_REDIRECT_URL = "staff:home"
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", "Kluis")
# An administrator's activation code for a first login (or after an authenticator reset).
ACTIVATION_CODE_HOURS = int(env("ACTIVATION_CODE_HOURS", "72"))
RECOVERY_CODE_COUNT = 10

# Optional: staff log in with the municipality's own identity provider (OpenID Connect, through
# mozilla-django-oidc) instead of a Kluis password. Kluis still asks for its own TOTP code after.
# Only existing Kluis users whose claim matches their user name (or e-mail) get in; none is made.
OIDC_ENABLED = bool(env("OIDC_RP_CLIENT_ID"))
if OIDC_ENABLED:
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
    _missing = [
        name
        for name in (
            "OIDC_OP_AUTHORIZATION_ENDPOINT",
            "OIDC_OP_TOKEN_ENDPOINT",
            "OIDC_OP_USER_ENDPOINT",
            "OIDC_OP_JWKS_ENDPOINT",
        )
        if not globals()[name]
    ]
    if _missing:
        raise ImproperlyConfigured(
            "KLUIS_OIDC_RP_CLIENT_ID is set, so OIDC login is on; also set "
            + ", ".join(f"KLUIS_{m}" for m in _missing)
            + " (from your identity provider's /.well-known/openid-configuration)."
        )

# django-axes comes first so a locked-out user name or address is refused before any password
# check; then OIDC when it is on, then Kluis's own passwords.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    *(["kluis.staff.oidc.StaffOIDCBackend"] if OIDC_ENABLED else []),
    "django.contrib.auth.backends.ModelBackend",
]

# django-axes counts failed logins (a wrong password, code, recovery or activation code, also
# when co-signing) by user name and, separately, by address; past the limit every attempt gets
# the same message as a wrong password until the cool-off ends or an administrator unlocks it.
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
# axes.W002 asks for AxesMiddleware, which Kluis leaves out on purpose: the login form says
# "wrong password" itself, so a lockout never shows as a lockout.
SILENCED_SYSTEM_CHECKS = ["axes.W002"]
