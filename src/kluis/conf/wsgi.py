"""WSGI entry point for `kluis serve` and any WSGI server."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kluis.conf.settings")
application = get_wsgi_application()
