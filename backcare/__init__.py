"""backcare: self-care assistant for chronic non-specific low back pain.

Everything installs under this one name. The design's top-level folders (vision/,
assessment/, reasoning/, content/, bot/, samples/) stay where they are in the
checkout; backcare/ holds a link to each, so they are ``backcare.vision``,
``backcare.bot``, ... in the checkout and in the wheel alike, and nothing generic
lands in site-packages.
"""

__version__ = "0.2.0"
