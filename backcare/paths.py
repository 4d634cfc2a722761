"""Where the application finds its files (overridable by environment variables)."""

from __future__ import annotations

import os
from pathlib import Path

# The checkout (or /app in the container): holds interview.yaml and samples/.
HOME = Path(os.environ.get("BACKCARE_HOME") or Path(__file__).resolve().parents[1])
INTERVIEW = Path(os.environ.get("BACKCARE_INTERVIEW") or HOME / "interview.yaml")
SAMPLES = HOME / "samples"
