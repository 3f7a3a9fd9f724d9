"""The one error type that means "show this to the user"."""

from __future__ import annotations


class ConflictQAError(Exception):
    """An error whose message is meant for the user and names the next step.

    The CLI prints it without a traceback and exits non-zero; the UI shows it with ``gr.Error``.
    """


class ConfigError(ConflictQAError):
    """A setting has a value we cannot use."""


class ModelError(ConflictQAError):
    """The language model could not be prepared, loaded or reached."""


class StoreError(ConflictQAError):
    """The vector store could not be opened or queried."""
