"""Language-model analyzers: Anthropic, and any OpenAI-compatible chat endpoint."""
