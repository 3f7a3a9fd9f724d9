"""What every command shares: the Typer apps, the consoles, the settings overrides of the global flags."""

from __future__ import annotations

import logging
from typing import Any

import typer
from rich.console import Console

import qa  # noqa: F401  (offline environment first)
from qa.errors import ConflictQAError
from qa.settings import Settings

app = typer.Typer(help="Ask questions of conflict reports; every answer cites its passages.", no_args_is_help=True)
docs_app = typer.Typer(help="List and remove stored documents.", no_args_is_help=True)
app.add_typer(docs_app, name="docs")
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)  # a path in a message stays whole

# Libraries that log at INFO/DEBUG on every call (bm25s: "Building index from tokens").
_NOISY = ("bm25s", "httpx", "httpcore", "chromadb", "sentence_transformers", "urllib3", "gradio", "matplotlib")


class State:
    overrides: dict[str, Any] = {}


def settings(**more: Any) -> Settings:
    """The effective settings: defaults < .env < environment < global flags < command flags."""
    values = {**State.overrides, **{k: v for k, v in more.items() if v is not None}}
    try:
        return Settings(**values)
    except Exception as exc:  # pydantic ValidationError: say which setting is wrong
        raise ConflictQAError(f"Invalid settings: {exc}") from exc


def configure_logging(*, verbose: bool = False, debug: bool = False) -> None:
    """Our own logs at INFO with --verbose; libraries stay at WARNING unless --debug."""
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        force=True,
    )
    for name in _NOISY:
        logging.getLogger(name).setLevel(logging.DEBUG if debug else logging.WARNING)
