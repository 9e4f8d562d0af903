"""A JSON parser that turns every malformed body into a 400, including ones nested too deeply.

DRF's JSONParser turns ValueError into a ParseError, but `[[[[...]]]]` nested 100,000 deep
raises RecursionError inside the json module, which reached the caller as a 500.
"""

from __future__ import annotations

import json

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def loads(raw: bytes | str):
    """json.loads that raises ValueError for anything it cannot read, deep nesting included."""
    try:
        return json.loads(raw)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


class SafeJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("The request body is JSON nested too deeply.")) from None
