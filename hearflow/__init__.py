"""hearflow: call recordings in, speaker-attributed transcripts and call intelligence out."""

__version__ = "0.1.0"
