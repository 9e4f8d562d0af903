"""Kluis settings: read from environment variables with embedded defaults, split by concern.

With no environment at all Kluis runs on SQLite and a local data directory, so `kluis demo` works
on a bare machine. Production sets KLUIS_ENVIRONMENT=production, which turns on every secure
default that `manage.py check --deploy` asks for and refuses to start without a real secret key.
docs/operator.md lists every KLUIS_* variable.

Each module in `includes/` sets the settings of one concern, each setting once, so the order
below is for the reader (from the ground up), not for overriding; `base` holds the environment
helpers, the environment, the data directory and the secret key that the others import.
"""

# ruff: noqa: F403, I001

from .includes.base import *
from .includes.apps import *
from .includes.database import *
from .includes.storage import *
from .includes.ingest import *
from .includes.security import *
from .includes.auth import *
from .includes.viewing import *
from .includes.api import *
from .includes.tasks import *
from .includes.i18n import *
from .includes.mail import *
from .includes.logs import *
