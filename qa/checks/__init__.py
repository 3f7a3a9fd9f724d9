"""Deciding whether an answer can be trusted: the gate before generation and every check after it."""
