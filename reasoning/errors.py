"""Errors reasoning/ raises on bad input (the knowledge base file raises
``backcare.kernel.yamlfile.DataFileError`` instead, naming file, line and entry)."""

from __future__ import annotations


class CaseError(ValueError):
    """A case the engine cannot reason about. ``reason`` says why, in plain words."""

    def __init__(self, reason: str, items: tuple[str, ...] = ()):
        self.reason = reason
        self.items = tuple(items)
        super().__init__(f"{reason}: {', '.join(self.items)}" if self.items else reason)
