"""conflict-qa: ask questions of the conflict reports you load, get answers with cited passages."""

from qa.env import apply_offline_env

apply_offline_env()

__version__ = "0.1.0"
