"""Where the application finds its files (overridable by environment variables)."""

from __future__ import annotations

import os
from pathlib import Path

# Both ship inside the package; in a checkout backcare/interview.yaml and
# backcare/samples are links to the root's (interview.yaml is the file admins edit).
PACKAGE = Path(__file__).parent.parent


# An admin's own interview file replaces the shipped one.
INTERVIEW = Path(os.environ.get("BACKCARE_INTERVIEW") or PACKAGE / "interview.yaml")
SAMPLES = PACKAGE / "samples"
