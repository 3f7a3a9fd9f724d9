"""Errors raised while turning an input into documents."""

from __future__ import annotations

from qa.errors import ConflictQAError


class LoadError(ConflictQAError):
    """An input could not be read. ``source`` names it, ``reason`` says why, for the user."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class SkippedInput(LoadError):
    """An input we deliberately do not read (unknown type, directory loop): reported, not failed."""
