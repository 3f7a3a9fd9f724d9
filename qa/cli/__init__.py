"""The ``conflict-qa`` command line: one Typer app, its commands in :mod:`qa.cli.commands` and
:mod:`qa.cli.eval`, the state they share in :mod:`qa.cli.common`."""

from __future__ import annotations

import os
import sys

import typer

from qa.cli import commands as _commands  # noqa: F401  (registers the commands)
from qa.cli.common import State, app, err
from qa.cli.eval import eval_command
from qa.errors import ConflictQAError

app.command("eval")(eval_command)


def run() -> None:
    """Console entry point: user errors are one clean line, never a traceback (unless debugging)."""
    try:
        code = app(standalone_mode=False)
        sys.exit(code if isinstance(code, int) else 0)
    except ConflictQAError as exc:
        if State.overrides.get("debug") or os.environ.get("CONFLICT_QA_DEBUG", "").lower() in ("1", "true"):
            raise
        err.print(f"[bold red]Error:[/] {exc}")
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        err.print("Aborted.")
        sys.exit(130)
    except Exception as exc:  # click usage errors
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
