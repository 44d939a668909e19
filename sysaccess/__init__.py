"""Developer and operator tooling: local infrastructure, the process runner, tokens, benchmarks."""
