"""Offline hygiene: nothing we run may phone home or fetch weights from a hub.

Imported first by every entry point (``import qa`` does it), before any ML library is imported.
Values already set by the user are kept.
"""

from __future__ import annotations

import os

OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "ANONYMIZED_TELEMETRY": "False",
    "TOKENIZERS_PARALLELISM": "false",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
}


def apply_offline_env() -> None:
    """Set the variables that keep Hugging Face, Gradio and Chroma from contacting the network."""
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
