"""backcare: self-care assistant for chronic non-specific low back pain.

This package holds what the other packages share (strict YAML loading, the
vocabulary) and the application layer (pipeline, report, CLI, storage,
configuration). Lower layers (vision, assessment, reasoning, content) import
only ``backcare.yamlfile`` and ``backcare.vocabulary`` from here.
"""

__version__ = "0.1.0"
