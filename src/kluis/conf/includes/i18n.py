"""Language and time: Dutch first, English second; times shown in Amsterdam, stored in UTC."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .base import BASE_DIR

LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Dutch")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True
