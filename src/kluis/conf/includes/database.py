"""The database: SQLite in the data directory unless KLUIS_DATABASE_URL names another."""

from __future__ import annotations

import dj_database_url

from .base import DATA_DIR, env

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
