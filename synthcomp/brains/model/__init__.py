"""Claude backends (anthropic SDK). ``client.ModelClient`` is the shared door: retries,
cache, accounting, budget, validated structured output. The per-role backends build on it."""
