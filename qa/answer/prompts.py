"""Prompt files from the ``prompts`` package, each with a short hash recorded on every answer."""

from __future__ import annotations

import functools
import hashlib
import json
import string
from dataclasses import dataclass
from importlib import resources

from qa.errors import ConfigError


@dataclass(frozen=True)
class PromptText:
    name: str
    text: str

    @property
    def variables(self) -> frozenset[str]:
        return frozenset(f for _, f, _, _ in string.Formatter().parse(self.text) if f)


def prompt_hash(*texts: str) -> str:
    """A short stable hash of prompt texts: a prompt edit shows up in eval reports."""
    return hashlib.sha256("\x00".join(texts).encode()).hexdigest()[:12]


@functools.cache
def load_text(name: str, variables: frozenset[str] = frozenset()) -> PromptText:
    """Read ``prompts/<name>`` and check it uses exactly the expected ``{placeholders}``."""
    try:
        text = resources.files("prompts").joinpath(name).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"Prompt file prompts/{name} is missing: reinstall conflict-qa.") from exc
    prompt = PromptText(name, text.strip())
    if prompt.variables != variables:
        raise ConfigError(
            f"prompts/{name} must use the placeholders {sorted(variables)}, found {sorted(prompt.variables)}."
        )
    return prompt


@functools.cache
def load_examples(name: str) -> tuple[tuple[str, str], ...]:
    """Few-shot turns ``(user, assistant)`` from a JSON list of ``{"user", "assistant"}``."""
    raw = resources.files("prompts").joinpath(name).read_text(encoding="utf-8")
    return tuple((turn["user"], turn["assistant"]) for turn in json.loads(raw))
