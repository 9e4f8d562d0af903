"""`python -m kluis.camera ...`: the camera commands on a device without the server."""

import sys

from .cli import main

sys.exit(main())
