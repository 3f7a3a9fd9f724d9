"""Evaluation of answer accuracy, retrieval, citations and refusals against a gold question set."""
