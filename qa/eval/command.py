"""``conflict-qa eval``: placeholder until the evaluation harness lands."""

from __future__ import annotations


def eval_command() -> None:
    """Evaluate answer accuracy on a question set (not yet available)."""
    raise SystemExit("conflict-qa eval is not available yet")
