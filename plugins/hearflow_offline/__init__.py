"""The offline analyzer: lexicon and metric based, deterministic, no language model."""
