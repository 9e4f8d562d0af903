"""Background jobs: Django's Tasks API with a database queue, one mechanism on every database."""

from __future__ import annotations

from .base import ENVIRONMENT, env_bool

_QUEUES = ["default", "ingest", "redaction", "retention"]

# Tests run each task at once in the caller, unless KLUIS_TEST_REAL_TASKS=1 asks for the
# database queue (then a worker must run the tasks).
if ENVIRONMENT == "test" and not env_bool("TEST_REAL_TASKS", False):
    TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": _QUEUES,
        }
    }
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": _QUEUES}}
