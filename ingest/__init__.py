"""Turning files, URLs and feeds into documents, chunks and store entries."""

import qa  # noqa: F401  (applies the offline environment before any ML import)
