"""What every other include builds on: the environment helpers, the environment, the data
directory and the secret key.

Every setting is read from a `KLUIS_*` environment variable with an embedded default, so a bare
machine runs Kluis with no configuration at all.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"KLUIS_{name}", default)


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in (env(name) or default).split(",") if item.strip()]


# The kluis package: templates, locale and static files are found relative to it.
BASE_DIR = Path(__file__).resolve().parent.parent.parent
# development (the default), test (the test suite) or production (every secure default on).
ENVIRONMENT = env("ENVIRONMENT", "development")
PRODUCTION = ENVIRONMENT == "production"
if ENVIRONMENT not in {"development", "production", "test"}:
    raise ImproperlyConfigured(
        f"KLUIS_ENVIRONMENT must be development, production or test, not {ENVIRONMENT!r}."
    )

# Everything Kluis keeps on disk by default (database, footage, keys, uploads) lives here.
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
