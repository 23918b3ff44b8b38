"""``python -m translator``: see translator/cli.py."""

import sys

from translator.cli import main

sys.exit(main())
