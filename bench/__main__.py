"""Entry point: ``.venv/bin/python -m bench`` from the project root."""

import sys

from bench.run import main

sys.exit(main())
