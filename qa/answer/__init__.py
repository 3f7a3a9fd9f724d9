"""Making an answer: the chain, the numbered context, prompts, follow-up rewrites, [n] citations."""
