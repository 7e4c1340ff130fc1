"""``python -m inference TOOL ...``: run Atelier's pipelines on files, without the web server."""

import sys

from .cli import main

sys.exit(main())
