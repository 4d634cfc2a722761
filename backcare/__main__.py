"""`python -m backcare` is the `backcare` command."""

import sys

from backcare.cli import main

sys.exit(main())
