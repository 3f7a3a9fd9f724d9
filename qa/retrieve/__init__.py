"""Finding passages for a question: dense search, hybrid (dense + BM25), actor aliases, recency."""
