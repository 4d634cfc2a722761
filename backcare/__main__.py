"""`python -m backcare` is the `backcare` command."""

import sys

from backcare.application.cli import main

sys.exit(main())
